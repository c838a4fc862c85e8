// Services: each entry of the spec's `services` as the model of its kind (HTTP service, worker, static
// frontend, scheduled job). The short forms are written out first (`health: /healthz` is the same path
// for the three checks, `scale: 3` is min = max = 3, `build: ./api` is the build context), so that
// the schema's defaults of the object forms apply to them.
import { ServiceSchema } from "../spec/schema-services.js";
import { inferType } from "./cross-checks.js";
import { DEFAULT_PORT, filled, given, withDefaults } from "./defaults.js";
import {
  mapByName,
  type BuildInput,
  type HealthInput,
  type MetricsInput,
  type MigrationsInput,
  type ScaleInput,
  type ServiceInput,
  type SubscriptionsInput,
} from "./input.js";
import { serviceCi } from "./normalize-ci.js";
import type {
  AnyServiceModel,
  JobModel,
  ResourcesModel,
  ScaleModel,
  ScalePolicyModel,
  ServiceModel,
  StaticModel,
  WorkloadCommon,
} from "./types.js";

type ShortForm = "build" | "health" | "scale" | "domain" | "metrics" | "migrations" | "subscribes";

/** A service that runs an image (HTTP service, worker or job), its short forms written out. */
interface WorkloadInput extends Omit<ServiceInput, ShortForm> {
  build?: BuildInput;
  health?: HealthInput;
  scale?: ScaleInput;
  domain?: string[];
  metrics?: MetricsInput;
  migrations?: MigrationsInput;
  subscribes?: SubscriptionsInput;
}

export function serviceModels(services: Record<string, ServiceInput> | undefined) {
  return mapByName(services, serviceModel);
}

function serviceModel(svc: ServiceInput, name: string): AnyServiceModel {
  const type = inferType(svc);
  if (type === "static") return staticModel(svc, name);
  const workload = withDefaults(ServiceSchema, objectForms(svc, name, type));
  return type === "job" ? jobModel(workload, name) : runningModel(workload, name, type);
}

/** A workload with its short forms written out, and what HTTP services and workers always have. */
function objectForms(svc: ServiceInput, name: string, type: "http" | "worker" | "job"): WorkloadInput {
  const subscribes = subscriptions(svc.subscribes, name);
  const running = type !== "job";
  const receivesEvents = type === "worker" && Object.keys(subscribes ?? {}).length > 0;
  const h = svc.health;
  const port = svc.port ?? (type === "http" || receivesEvents ? DEFAULT_PORT : undefined);
  return {
    ...svc,
    build: typeof svc.build === "string" ? { context: svc.build } : svc.build,
    health: typeof h === "string" ? { liveness: h, readiness: h, startup: h } : h,
    scale: scaleForm(svc.scale) ?? (running ? { min: 1, max: 1 } : undefined),
    domain: typeof svc.domain === "string" ? [svc.domain] : svc.domain,
    metrics: typeof svc.metrics === "string" ? { path: svc.metrics } : svc.metrics,
    migrations: typeof svc.migrations === "string" ? { command: svc.migrations } : svc.migrations,
    subscribes: subscribes ?? (running ? {} : undefined),
    port,
    resources: svc.resources ?? {},
    shutdown: svc.shutdown ?? (running ? {} : undefined),
    rollout: svc.rollout ?? (running ? {} : undefined),
  };
}

function scaleForm(scale: ServiceInput["scale"]): ScaleInput | undefined {
  if (typeof scale === "number") return { min: scale, max: scale };
  // Without max, the count is fixed at min (and at least one instance when min is 0).
  if (scale && scale.max === undefined) return { ...scale, max: Math.max(1, scale.min ?? 1) };
  return scale;
}

/** Each topic a service receives, with its route and consumer group. */
function subscriptions(subscribes: ServiceInput["subscribes"], name: string) {
  if (subscribes === undefined) return undefined;
  const map: SubscriptionsInput = Array.isArray(subscribes)
    ? Object.fromEntries(subscribes.map((topic) => [topic, {}]))
    : subscribes;
  const out: SubscriptionsInput = {};
  for (const [topic, sub] of Object.entries(map))
    out[topic] = { ...sub, route: sub.route ?? `/events/${topic}`, group: sub.group ?? name };
  return out;
}

function common(svc: Pick<ServiceInput, "env" | "description">, name: string) {
  // Values are text as written (src/spec/as-written.ts): `1.10` stays "1.10".
  const env = Object.fromEntries(Object.entries(svc.env ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { name, ...(svc.description ? { description: svc.description } : {}), env };
}

function staticModel(svc: ServiceInput, name: string): StaticModel {
  const at = `services.${name}`;
  const s = filled(withDefaults(ServiceSchema, svc), ["static", "path"], at);
  const build = s.build;
  // The checks (service-checks.ts) hold a static frontend's build to a command.
  if (typeof build === "object") throw new Error(`${at}.build is not a command after the spec's checks`);
  return {
    type: "static",
    ...common(s, name),
    ci: serviceCi(s.ci, s.static, [build, s.install].join(" "), true),
    static: s.static,
    ...(s.install ? { install: s.install } : {}),
    ...(build ? { build } : {}),
    output: s.output ?? "dist",
    spa: s.spa ?? true,
    domains: typeof s.domain === "string" ? [s.domain] : (s.domain ?? []),
    path: s.path,
  };
}

/** What HTTP services, workers and jobs share. */
function workloadCommon(svc: WorkloadInput, name: string): WorkloadCommon {
  const at = `services.${name}`;
  const w = filled(svc, ["resources", "read_only_root"], at);
  const build = w.build && filled(w.build, ["dockerfile"], `${at}.build`);
  return {
    ...common(w, name),
    ci: serviceCi(w.ci, build?.context ?? ".", w.command ?? "", false),
    ...(build ? { build: { ...build, args: build.args ?? {} } } : {}),
    ...(w.image ? { image: w.image } : {}),
    ...(w.command ? { command: w.command } : {}),
    ...(w.build_command ? { build_command: w.build_command } : {}),
    secrets: [...(w.secrets ?? [])].sort(),
    resources: resourcesModel(w.resources, `${at}.resources`),
    // As written: the first PostgreSQL, Redis and bucket in `uses` is the primary (src/model/bindings.ts).
    uses: [...(w.uses ?? [])],
    read_only_root: w.read_only_root,
  };
}

function jobModel(svc: WorkloadInput, name: string): JobModel {
  return {
    type: "job",
    ...workloadCommon(svc, name),
    schedule: given(svc.schedule, `services.${name}.schedule`),
    timezone: svc.timezone ?? "Etc/UTC",
    timeout: svc.timeout ?? "1h",
    retries: svc.retries ?? 2,
  };
}

function runningModel(svc: WorkloadInput, name: string, type: "http" | "worker"): ServiceModel {
  const at = `services.${name}`;
  const s = filled(svc, ["scale", "path", "subscribes", "shutdown", "rollout"], at);
  return {
    type,
    ...workloadCommon(s, name),
    ...(s.port !== undefined ? { port: s.port } : {}),
    ...(s.health ? { health: healthModel(s.health, `${at}.health`) } : {}),
    scale: scaleModel(s.scale, `${at}.scale`),
    domains: s.domain ?? [],
    path: s.path,
    ...(type === "http" ? { request_timeout: given(s.request_timeout, `${at}.request_timeout`) } : {}),
    ...(s.metrics ? { metrics: filled(s.metrics, ["path", "interval"], `${at}.metrics`) } : {}),
    subscribes: mapByName(s.subscribes, (sub, topic) =>
      filled(sub, ["route", "group", "max_retries", "dead_letter"], `${at}.subscribes.${topic}`),
    ),
    ...(s.migrations ? { migrations: filled(s.migrations, ["timeout"], `${at}.migrations`) } : {}),
    shutdown: filled(s.shutdown, ["drain", "grace"], `${at}.shutdown`),
    rollout: filled(s.rollout, ["max_surge", "max_unavailable"], `${at}.rollout`),
  };
}

function healthModel(health: HealthInput, at: string) {
  return filled(health, ["interval", "timeout", "failure_threshold", "initial_delay", "startup_timeout"], at);
}

function scaleModel(scale: ScaleInput, at: string): ScaleModel {
  const s = filled(scale, ["min", "max", "cpu", "up", "down"], at);
  const policy = (p: typeof s.up, dir: string): ScalePolicyModel =>
    filled(p, ["window_seconds", "pods", "period_seconds"], `${at}.${dir}`);
  return { ...s, up: policy(s.up, "up"), down: policy(s.down, "down") };
}

function resourcesModel(resources: NonNullable<ServiceInput["resources"]>, at: string): ResourcesModel {
  const r = filled(resources, ["requests", "limits"], at);
  return {
    ...r,
    requests: filled(r.requests, ["cpu", "memory"], `${at}.requests`),
    limits: filled(r.limits, ["cpu", "memory"], `${at}.limits`),
  };
}
