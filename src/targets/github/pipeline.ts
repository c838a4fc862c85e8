// The facts every workflow needs, derived once from the project, the synth context and the chosen
// deploy platform: paths relative to the repository root, the image registry, the images to build,
// the environments in spec order, and the platform's pieces. Pure: no file system, no environment
// variables.
import { prefixOf, routeOwner } from "../../model/routes.js";
import { posix } from "node:path";
import type {
  AnyServiceModel,
  AppModel,
  ProjectModel,
  ServiceModel,
  StaticModel,
} from "../../model/types.js";
import { seconds } from "../../util/duration.js";
import type { Platform, PlatformPipeline, RegistryService } from "../platform.js";
import type { SynthContext } from "../target.js";
import { isWorkload, publicUrls } from "../../model/queries.js";
import { allServices, builtServices, builtStaticImages, type StaticImage } from "./images.js";
import { registryFor } from "./registries.js";

export interface ImageBuild {
  service: string;
  context: string;
  dockerfile: string;
  target?: string;
}

export interface Pipeline {
  app: string;
  /** The deploy platform's name (`--target`). */
  target: string;
  specDir: string;
  specPath: string;
  /** Where the workflows are written, relative to the repository root (.github/workflows). */
  workflowsDir: string;
  defaultBranch: string;
  /** The whole project, for what spans its environments (the alert drill's channels). */
  project: ProjectModel;
  /** The first environment's model: its CI settings (the same in every environment). */
  base: AppModel;
  envs: AppModel[];
  /** Every service of any environment (some environments may remove some), as images.ts reads them. */
  services: AnyServiceModel[];
  registry: {
    /** Image name prefix; `<prefix>/<service>:<tag>`. May hold a `${{ }}` expression of trusted values. */
    prefix: string;
    service: RegistryService;
  };
  /** Images built from a Dockerfile, one per service, worker or job with a `build`. */
  images: ImageBuild[];
  /** Static frontends packaged as web server images (on platforms whose pods serve them). */
  staticImages: StaticImage[];
  /** Notification channels with a webhook secret. */
  notify: { type: "slack" | "teams"; secret: string }[];
  deployTimeout: string;
  deployTimeoutMinutes: number;
  /** The deploy platform's steps, jobs and settings for this project. */
  platform: PlatformPipeline;
}

/** A spec-relative path as a repository-relative one. */
export function repoPath(specDir: string, p: string): string {
  const joined = posix.normalize(posix.join(specDir, p));
  return joined.replace(/\/+$/, "") || ".";
}

/**
 * The deploy platform: `--target`, else the first platform (in the registry's order of preference)
 * the spec configures, else the first platform. Undefined for a `--target` no platform has.
 */
export function choosePlatform(
  project: ProjectModel,
  ctx: SynthContext,
  platforms: readonly Platform[],
): Platform | undefined {
  if (ctx.deployTarget) return platforms.find((p) => p.name === ctx.deployTarget);
  const base = project.environments[0];
  return (base && platforms.find((p) => p.configured(base))) ?? platforms[0];
}

/**
 * Image repositories are `<registry>/<service>` when the registry path already ends with the app's
 * name (ghcr.io/hackathon/todo), else `<registry>/<app>/<service>`: the Kubernetes chart's rule.
 */
function withApp(registry: string, app: string): string {
  const trimmed = registry.replace(/\/+$/, "");
  return trimmed.split("/").pop() === app ? trimmed : `${trimmed}/${app}`;
}

function imageBuilds(project: ProjectModel, specDir: string): ImageBuild[] {
  const images: ImageBuild[] = [];
  for (const s of builtServices(project, false)) {
    if (isWorkload(s) && s.build) {
      const context = repoPath(specDir, s.build.context);
      images.push({
        service: s.name,
        context,
        dockerfile: repoPath(context, s.build.dockerfile),
        ...(s.build.target ? { target: s.build.target } : {}),
      });
    }
  }
  return images.sort((a, b) => (a.service < b.service ? -1 : 1));
}

function notifications(project: ProjectModel): Pipeline["notify"] {
  const notify: Pipeline["notify"] = [];
  for (const ch of project.environments.flatMap((m) => Object.values(m.monitoring.channels))) {
    if (
      (ch.type === "slack" || ch.type === "teams") &&
      ch.webhook_secret &&
      !notify.some((n) => n.secret === ch.webhook_secret)
    )
      notify.push({ type: ch.type, secret: ch.webhook_secret });
  }
  if (notify.length === 0) notify.push({ type: "slack", secret: "SLACK_WEBHOOK_URL" });
  return notify;
}

export function buildPipeline(
  project: ProjectModel,
  ctx: SynthContext,
  platforms: readonly Platform[],
): Pipeline {
  const base = project.environments[0];
  if (!base) throw new Error("a project has at least one environment");
  const chosen = choosePlatform(project, ctx, platforms);
  if (!chosen) throw new Error(`no deploy platform is named ${ctx.deployTarget ?? ""}`);
  const platform = chosen.pipeline(project, ctx);
  const prefix = withApp(platform.registry, base.name);
  const timeout = seconds(base.ci.deploy_timeout);
  return {
    app: project.name,
    target: chosen.name,
    specDir: ctx.specDir,
    specPath: ctx.specPath,
    workflowsDir: ctx.outputs.github,
    defaultBranch: base.ci.default_branch,
    project,
    base,
    envs: project.environments,
    registry: { prefix, service: registryFor(prefix, platforms) },
    services: allServices(project),
    images: imageBuilds(project, ctx.specDir),
    staticImages: builtStaticImages(project, platform.staticImages),
    notify: notifications(project),
    deployTimeout: base.ci.deploy_timeout,
    deployTimeoutMinutes: Number.isFinite(timeout) ? Math.max(1, Math.ceil(timeout / 60)) : 10,
    platform,
  };
}

/** The job strategy over the images, shared by the build and the pull-request image scan. */
export function imageStrategy(p: Pipeline): {
  "fail-fast": false;
  matrix: { include: Record<string, string>[] };
} {
  return {
    "fail-fast": false,
    matrix: {
      include: p.images.map((i) => ({
        service: i.service,
        context: i.context,
        dockerfile: i.dockerfile,
        ...(i.target ? { target: i.target } : {}),
      })),
    },
  };
}

/** Whether build.yml has anything to build. */
export const hasImages = (p: Pipeline): boolean => p.images.length > 0 || p.staticImages.length > 0;

/** A public health URL and the service that answers it. */
export interface SmokeTarget {
  service: ServiceModel | StaticModel;
  url: string;
}

/** The public health URLs of one environment, each with the service that answers it. */
export function smokeTargets(env: AppModel): SmokeTarget[] {
  const routed = Object.values(env.services).filter(
    (s): s is ServiceModel | StaticModel => s.type === "http" || s.type === "static",
  );
  // A health path is public only if the ingress routes it back to its own service.
  const targets: SmokeTarget[] = [];
  for (const s of routed) {
    const domain = s.domains[0];
    if (!domain) continue;
    const path = s.type === "static" ? `${prefixOf(s.path)}/` : (s.health?.readiness ?? s.health?.liveness);
    const url = `https://${domain}${path ?? ""}`;
    if (path && routeOwner(env, domain, path) === s && !targets.some((t) => t.url === url))
      targets.push({ service: s, url });
  }
  return targets.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
}

/** The public URLs a smoke test can reach in one environment: health endpoints behind a domain. */
export function smokeUrls(env: AppModel): string[] {
  return smokeTargets(env).map((t) => t.url);
}

/** Every public host of an environment: the domains of its HTTP services and static frontends. */
export function publicHosts(env: AppModel): string[] {
  const hosts = Object.values(env.services).flatMap((s) =>
    s.type === "http" || s.type === "static" ? s.domains : [],
  );
  return [...new Set(hosts)].sort();
}

/** The environment's public URL for the GitHub environment page. */
export function environmentUrl(env: AppModel): string | undefined {
  const all = Object.values(env.services);
  const pick =
    all.find((s) => s.type === "static" && s.domains.length) ??
    all.find((s) => s.type === "http" && s.domains.length);
  const d = pick && pick.type !== "job" ? pick.domains[0] : undefined;
  return d ? publicUrls([d], "/")[0] : undefined;
}
