// The facts every workflow needs, derived once from the project and the synth context: paths
// relative to the repository root, the image registry and how to log in to it, the images to build,
// the environments in spec order. Pure: no file system, no environment variables.
import { buildAzure } from "../azure/main.js";
import { posix } from "node:path";
import type {
  AnyServiceModel,
  AppModel,
  JobModel,
  ProjectModel,
  ServiceModel,
  StaticModel,
} from "../../model/types.js";
import { seconds } from "../../util/duration.js";
import type { SynthContext } from "../target.js";

export type DeployTarget = "kubernetes" | "azure" | "aws" | "digitalocean";
export const DEPLOY_TARGETS: readonly DeployTarget[] = ["kubernetes", "azure", "aws", "digitalocean"];

export type RegistryKind = "ghcr" | "acr" | "ecr" | "docr" | "other";

export interface Registry {
  kind: RegistryKind;
  /** Image name prefix; `<prefix>/<service>:<tag>`. May hold a `${{ }}` expression of trusted values. */
  prefix: string;
}

export interface ImageBuild {
  service: string;
  context: string;
  dockerfile: string;
  target?: string;
}

export interface Pipeline {
  app: string;
  target: DeployTarget;
  specDir: string;
  specPath: string;
  defaultBranch: string;
  /** The first environment's model: the services and CI settings (the same in every environment). */
  base: AppModel;
  envs: AppModel[];
  registry: Registry;
  /** Images built from a Dockerfile, one per service, worker or job with a `build`. */
  images: ImageBuild[];
  /** Static frontends packaged as web server images (Kubernetes targets only). */
  staticImages: StaticModel[];
  /** Kubernetes-style rollout (helm) rather than App Service or ECS. */
  helm: boolean;
  chart: string;
  azureDir: string;
  awsDir: string;
  doDir: string;
  /**
   * Environment variables the Azure parameter files read (readEnvironmentVariable), mapped to the
   * GitHub secret or variable that holds them. `<SERVICE>_IMAGE` is left out: an infrastructure
   * deployment keeps the image each app is running.
   */
  azureParameterEnv: Record<string, string>;
  /** Notification channels with a webhook secret. */
  notify: { type: "slack" | "teams"; secret: string }[];
  deployTimeout: string;
  deployTimeoutMinutes: number;
}

/** A spec-relative path as a repository-relative one. */
export function repoPath(specDir: string, p: string): string {
  const joined = posix.normalize(posix.join(specDir, p));
  return joined.replace(/\/+$/, "") || ".";
}

/** The deploy target: `--target`, else the first of kubernetes/azure/aws/digitalocean the spec configures. */
export function chooseTarget(project: ProjectModel, ctx: SynthContext): DeployTarget {
  if (ctx.deployTarget) return ctx.deployTarget;
  const targets = project.environments[0]?.targets ?? {};
  return DEPLOY_TARGETS.find((t) => targets[t] !== undefined) ?? "kubernetes";
}

export function registryKind(prefix: string): RegistryKind {
  const host = prefix.split("/")[0] ?? "";
  if (host === "ghcr.io") return "ghcr";
  if (host.endsWith(".azurecr.io")) return "acr";
  if (/\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com$/.test(host)) return "ecr";
  if (host === "registry.digitalocean.com") return "docr";
  return "other";
}

/**
 * Image repositories are `<registry>/<service>` when the registry path already ends with the app's
 * name (ghcr.io/hackathon/todo), else `<registry>/<app>/<service>`: the Kubernetes chart's rule.
 */
function withApp(registry: string, app: string): string {
  const trimmed = registry.replace(/\/+$/, "");
  return trimmed.split("/").pop() === app ? trimmed : `${trimmed}/${app}`;
}

function chooseRegistry(base: AppModel, target: DeployTarget): Registry {
  const r = registryOf(base, target);
  return { kind: r.kind, prefix: withApp(r.prefix, base.name) };
}

function registryOf(base: AppModel, target: DeployTarget): Registry {
  const fromSpec = base.targets.kubernetes?.registry;
  const app = base.name;
  switch (target) {
    case "aws":
      // ECR repositories <app>/<service>; the registry host comes from the ECR login step.
      return { kind: "ecr", prefix: "${{ steps.login-ecr.outputs.registry }}" };
    case "azure":
      if (fromSpec && (base.targets.azure?.compute === "aks" || registryKind(fromSpec) === "acr"))
        return { kind: registryKind(fromSpec), prefix: fromSpec };
      return { kind: "acr", prefix: "${{ vars.ACR_LOGIN_SERVER }}" };
    case "digitalocean":
      if (fromSpec) return { kind: registryKind(fromSpec), prefix: fromSpec };
      return { kind: "docr", prefix: `registry.digitalocean.com/${app}` };
    case "kubernetes":
      if (fromSpec) return { kind: registryKind(fromSpec), prefix: fromSpec };
      return {
        kind: "ghcr",
        prefix: base.ci.repository
          ? `ghcr.io/${base.ci.repository.toLowerCase()}`
          : "ghcr.io/${{ github.repository }}",
      };
  }
}

export const isWorkload = (s: AnyServiceModel): s is ServiceModel | JobModel => s.type !== "static";
export const isService = (s: AnyServiceModel): s is ServiceModel => s.type === "http" || s.type === "worker";
export const isStatic = (s: AnyServiceModel): s is StaticModel => s.type === "static";

export function buildPipeline(project: ProjectModel, ctx: SynthContext): Pipeline {
  const base = project.environments[0];
  if (!base) throw new Error("a project has at least one environment");
  const target = chooseTarget(project, ctx);
  const helm =
    target === "kubernetes" ||
    target === "digitalocean" ||
    (target === "azure" && base.targets.azure?.compute === "aks");
  const images: ImageBuild[] = [];
  for (const s of Object.values(base.services)) {
    if (isWorkload(s) && s.build) {
      const context = repoPath(ctx.specDir, s.build.context);
      images.push({
        service: s.name,
        context,
        dockerfile: repoPath(context, s.build.dockerfile),
        ...(s.build.target ? { target: s.build.target } : {}),
      });
    }
  }
  images.sort((a, b) => (a.service < b.service ? -1 : 1));
  // On Kubernetes a static frontend runs as a small web server image (the chart's static pod).
  const staticImages = helm ? Object.values(base.services).filter(isStatic) : [];
  const notify: Pipeline["notify"] = [];
  for (const ch of Object.values(base.monitoring.channels)) {
    if (
      (ch.type === "slack" || ch.type === "teams") &&
      ch.webhook_secret &&
      !notify.some((n) => n.secret === ch.webhook_secret)
    )
      notify.push({ type: ch.type, secret: ch.webhook_secret });
  }
  if (notify.length === 0) notify.push({ type: "slack", secret: "SLACK_WEBHOOK_URL" });
  const timeout = seconds(base.ci.deploy_timeout);
  return {
    app: project.name,
    target,
    specDir: ctx.specDir,
    specPath: ctx.specPath,
    defaultBranch: base.ci.default_branch,
    base,
    envs: project.environments,
    registry: chooseRegistry(base, target),
    images,
    staticImages,
    helm,
    chart: `${ctx.outputs.kubernetes}/chart`,
    azureDir: ctx.outputs.azure,
    azureParameterEnv: target === "azure" ? azureParameterEnv(project) : {},
    awsDir: ctx.outputs.aws,
    doDir: ctx.outputs.digitalocean,
    notify,
    deployTimeout: base.ci.deploy_timeout,
    deployTimeoutMinutes: Number.isFinite(timeout) ? Math.max(1, Math.ceil(timeout / 60)) : 10,
  };
}

function azureParameterEnv(project: ProjectModel): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of buildAzure(project).facts.deployVariables) {
    if (v.name.endsWith("_IMAGE")) continue;
    // Passwords and webhook URLs are secrets; switches such as EMAIL_DOMAIN_VERIFIED are variables.
    out[v.name] = /PASSWORD|WEBHOOK|SECRET|TOKEN|KEY/.test(v.name)
      ? `\${{ secrets.${v.name} }}`
      : `\${{ vars.${v.name} }}`;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
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

/** SHOUTING_CASE for environment variable names: sse-gateway → SSE_GATEWAY. */
export const envName = (s: string): string => s.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
/** camelCase for Bicep output names: sse-gateway → sseGateway. */
export const camel = (s: string): string => s.replace(/[-_]+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
/** snake_case for Terraform output names: sse-gateway → sse_gateway. */
export const snake = (s: string): string => s.replace(/-/g, "_");

/** The public URLs a smoke test can reach in one environment: health endpoints behind a domain. */
export function smokeUrls(env: AppModel): string[] {
  const routed = Object.values(env.services).filter(
    (s): s is ServiceModel | StaticModel => s.type === "http" || s.type === "static",
  );
  const prefixOf = (s: ServiceModel | StaticModel) => s.path.replace(/\/$/, "");
  const covers = (prefix: string, path: string) =>
    prefix === "" || path === prefix || path.startsWith(`${prefix}/`);
  // The ingress passes paths through unchanged and sends each request to the service with the
  // longest matching path prefix on that domain: a health path is public only if it routes back
  // to its own service.
  const owner = (domain: string, path: string) =>
    routed
      .filter((s) => s.domains.includes(domain) && covers(prefixOf(s), path))
      .sort((a, b) => prefixOf(b).length - prefixOf(a).length || (a.name < b.name ? -1 : 1))[0];
  const urls: string[] = [];
  for (const s of routed) {
    const domain = s.domains[0];
    if (!domain) continue;
    const path = s.type === "static" ? `${prefixOf(s)}/` : (s.health?.readiness ?? s.health?.liveness);
    if (path && owner(domain, path) === s) urls.push(`https://${domain}${path}`);
  }
  return [...new Set(urls)].sort();
}

/** The environment's public URL for the GitHub environment page. */
export function environmentUrl(env: AppModel): string | undefined {
  const all = Object.values(env.services);
  const pick =
    all.find((s) => s.type === "static" && s.domains.length) ??
    all.find((s) => s.type === "http" && s.domains.length);
  const d = pick && pick.type !== "job" ? pick.domains[0] : undefined;
  return d ? `https://${d}` : undefined;
}
