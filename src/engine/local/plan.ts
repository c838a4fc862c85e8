// Deploys are planned, then applied. A plan is plain data: the list of every step of a rollout, in
// the order they run, each a typed value (secrets, build, release, databases, migrations, start,
// readiness, switch, drain, stop, record, prune...). `gantry deploy --plan` prints it, the command
// runs its first steps (the build: see COMMAND_STEPS) and the supervisor the rest, each with a loop
// over the steps that hands each kind to its executor (build.ts, rollout.ts). Pure: no clock, no
// file system.
import { posix } from "node:path";
import type { AppModel, JobModel, ServiceModel } from "../../model/types.js";
import { durationMs } from "../../util/duration.js";
import type { Subscription } from "./pubsub.js";

export type RolloutKind = "deploy" | "rollback";

/** A secret a service uses. */
export interface SecretUse {
  name: string;
  service: string;
}

/** Every secret the services use is set; the release records the version of each. */
export interface SecretsStep {
  kind: "secrets";
  secrets: SecretUse[];
}

/** The directories the spec names (a build context, a static site's directory) exist. */
export interface SourcesStep {
  kind: "sources";
  directories: { service: string; field: "build" | "static"; dir: string }[];
}

/** One build command, run in the app directory; services with the same command and directory share it. */
export interface BuildStep {
  kind: "build";
  service: string;
  command: string;
  /** Relative to the app directory. */
  cwd: string;
}

/** The static sites' output directories exist; then the app is copied into the release. */
export interface ReleaseStep {
  kind: "release";
  outputs: { service: string; root: string; built: boolean }[];
}

/** The versions of the secrets the release recorded, decrypted for its processes. */
export interface UnsealStep {
  kind: "unseal";
  secrets: SecretUse[];
}

/**
 * What the release needs running: PostgreSQL, each Redis, the topics. Only what is not running yet
 * is started; nothing is stopped, since the serving release may still use it.
 */
export interface ProvisionStep {
  kind: "provision";
  postgres?: { versions: number[]; databases: string[] };
  redis: { name: string; persistence: "none" | "rdb" | "aof" }[];
  topics: string[];
  /** Buckets: a folder each under .gantry/<env>/buckets/. */
  buckets: string[];
  /** The source of the events (the app's name). */
  source: string;
}

/** The databases exist, owned by the role apps connect as. */
export interface DatabasesStep {
  kind: "databases";
  databases: string[];
}

/** A scheduled job of the release: its schedule becomes active when the proxy switches to it. */
export interface ScheduledJob {
  service: string;
  schedule: string;
  timezone: string;
  command: string;
  /** Relative to the release's copy of the app. */
  cwd: string;
  timeoutMs: number;
  retries: number;
}

/** The release's jobs, read and made ready to schedule (a schedule that cannot be read fails here). */
export interface JobsStep {
  kind: "jobs";
  jobs: ScheduledJob[];
}

export interface MigrateStep {
  kind: "migrate";
  service: string;
  command: string;
  /** Relative to the release's copy of the app. */
  cwd: string;
  timeoutMs: number;
}

/** How the instances of one service run and are checked. */
export interface InstanceSpec {
  service: string;
  type: "http" | "worker";
  command: string;
  /** Relative to the release's copy of the app. */
  cwd: string;
  port: boolean;
  /** Path polled until it answers 2xx; undefined: the port accepting connections, or the process staying up. */
  readiness?: string;
  /** Path that must keep answering 2xx once the instance serves; 3 failures in a row restart it. */
  liveness?: string;
  startupTimeoutMs: number;
  drainMs: number;
  graceMs: number;
}

/** The new instances, next to the old ones, on fresh ports. */
export interface StartStep {
  kind: "start";
  services: (InstanceSpec & { instances: string[] })[];
}

/** Every new instance passes its readiness check, each within its service's startup timeout. */
export interface WaitStep {
  kind: "wait";
  services: { service: string; readiness?: string; port: boolean; timeoutMs: number }[];
}

export interface StaticSite {
  service: string;
  /** Relative to the release's copy of the app. */
  root: string;
  spa: boolean;
  /** The path prefix it is served under. */
  prefix: string;
}

/**
 * The proxy, the topic deliveries and the job schedules go to the release in one step; a crash of a
 * new instance within crashWatchMs switches them back.
 */
export interface SwitchStep {
  kind: "switch";
  release: string;
  statics: StaticSite[];
  subscriptions: Subscription[];
  crashWatchMs: number;
}

/** Instances of one service that served before the switch. */
export interface OldInstances {
  service: string;
  instances: string[];
}

/** The old instances get no new requests; their in-flight ones may finish, for at most drainMs. */
export interface DrainStep {
  kind: "drain";
  services: (OldInstances & { drainMs: number })[];
}

/** The old instances get SIGTERM, and SIGKILL after graceMs. */
export interface StopStep {
  kind: "stop";
  services: (OldInstances & { graceMs: number })[];
}

/** The release is recorded as serving, the one it replaces as superseded. */
export interface RecordStep {
  kind: "record";
  release: string;
  replaces?: string;
}

/** The copies of the app of all but the newest `keep` releases are removed, never one in use. */
export interface PruneStep {
  kind: "prune";
  keep: number;
}

/** The steps the command runs: the build needs the user's shell environment, and Ctrl-C stops it. */
export type CommandStep = SecretsStep | SourcesStep | BuildStep | ReleaseStep;
export type SupervisorStep =
  | UnsealStep
  | ProvisionStep
  | DatabasesStep
  | JobsStep
  | MigrateStep
  | StartStep
  | WaitStep
  | SwitchStep
  | DrainStep
  | StopStep
  | RecordStep
  | PruneStep;
export type DeployStep = CommandStep | SupervisorStep;

export const COMMAND_STEPS: readonly CommandStep["kind"][] = ["secrets", "sources", "build", "release"];

export function isCommandStep(s: DeployStep): s is CommandStep {
  return (COMMAND_STEPS as readonly string[]).includes(s.kind);
}

export interface DeployPlan {
  release: string;
  kind: RolloutKind;
  /** The release serving now, replaced when the new one is ready. */
  replaces?: string;
  /** Services the local runtime does not run, with the reason (shown as notes). */
  skipped: { service: string; reason: string }[];
  steps: DeployStep[];
}

export interface CurrentInstances {
  release?: string;
  instances: { id: string; service: string }[];
}

/** Everything a plan is made from: the command that prints it and the supervisor that runs it pass the same. */
export interface PlanInput {
  model: AppModel;
  release: string;
  kind: RolloutKind;
  /** What serves now: the release and its instances. */
  current: CurrentInstances;
  /** After the switch, a crash of a new instance within this window switches back. */
  crashWatchMs: number;
}

export const DEFAULT_CRASH_WATCH_MS = 1000;

/** How many of the newest releases keep their copy of the app, for rollbacks and for looking into. */
export const KEEP_RELEASES = 10;

/** A spec path (relative to the app directory) in normal form: "./web/" → "web", "." → ".". */
function rel(p: string): string {
  const n = posix.normalize(p.replace(/\\/g, "/"));
  return n.endsWith("/") && n.length > 1 ? n.slice(0, -1) : n;
}

const NO_COMMAND =
  "it has no `command` (an image alone cannot run without containers); set `command` and `build_command`";

/** The services in name order, split by what the local runtime does with them. */
function workloads(model: AppModel) {
  const services = Object.keys(model.services)
    .sort()
    .map((n) => model.services[n]!);
  const run = services.filter((s) => s.type !== "static" && s.command);
  return {
    services,
    instances: run.filter((s): s is ServiceModel => s.type !== "job"),
    jobs: run.filter((s): s is JobModel => s.type === "job"),
    skipped: services
      .filter((s) => s.type !== "static" && !s.command)
      .map((s) => ({ service: s.name, reason: NO_COMMAND })),
  };
}

/** The directory a service's commands run in, relative to the app (or its copy). */
function contextOf(s: ServiceModel | JobModel): string {
  return s.build ? rel(s.build.context) : ".";
}

// Secrets and directories are checked in the spec's order, as the messages name the first problem.
function secretUses(model: AppModel): SecretUse[] {
  return Object.values(model.services).flatMap((s) =>
    s.type === "static" ? [] : s.secrets.map((name) => ({ name, service: s.name })),
  );
}

function commandSteps(model: AppModel): CommandStep[] {
  const { services } = workloads(model);
  const secrets = secretUses(model);
  const directories: SourcesStep["directories"] = Object.values(model.services).flatMap((s) => {
    const [field, dir] =
      s.type === "static" ? (["static", s.static] as const) : (["build", s.build?.context] as const);
    return dir === undefined ? [] : [{ service: s.name, field, dir }];
  });
  const builds: BuildStep[] = [];
  for (const s of services) {
    const [command, cwd] = s.type === "static" ? [s.build, rel(s.static)] : [s.build_command, contextOf(s)];
    // The same command in the same directory (services sharing one build) runs once.
    if (command && !builds.some((b) => b.command === command && b.cwd === cwd))
      builds.push({ kind: "build", service: s.name, command, cwd });
  }
  const outputs = statics(model).map((s) => ({
    service: s.service,
    root: s.root,
    built: builds.some((b) => b.service === s.service),
  }));
  return [
    ...(secrets.length > 0 ? [{ kind: "secrets", secrets } as const] : []),
    ...(directories.length > 0 ? [{ kind: "sources", directories } as const] : []),
    ...builds,
    { kind: "release", outputs },
  ];
}

function statics(model: AppModel): StaticSite[] {
  return workloads(model).services.flatMap((s) =>
    s.type === "static"
      ? [{ service: s.name, root: rel(posix.join(s.static, s.output)), spa: s.spa, prefix: s.path }]
      : [],
  );
}

/** What a model needs running; also what the supervisor starts with (`gantry up`). */
export function provisionStep(model: AppModel): ProvisionStep | undefined {
  const pg = Object.values(model.postgres);
  const redis = Object.keys(model.redis)
    .sort()
    .map((name) => ({ name, persistence: model.redis[name]!.persistence }));
  const topics = Object.keys(model.topics);
  const buckets = Object.keys(model.buckets).sort();
  if (pg.length === 0 && redis.length === 0 && topics.length === 0 && buckets.length === 0) return undefined;
  return {
    kind: "provision",
    ...(pg.length > 0
      ? { postgres: { versions: postgresWanted(model), databases: databasesOf(model) } }
      : {}),
    redis,
    topics,
    buckets,
    source: model.name,
  };
}

/** The PostgreSQL major versions the spec asks for (its clusters share one locally). */
export function postgresWanted(model: AppModel): number[] {
  return [...new Set(Object.values(model.postgres).map((p) => p.version))].sort((a, b) => b - a);
}

function databasesOf(model: AppModel): string[] {
  const all = Object.values(model.postgres).flatMap((p) => (p.databases.length > 0 ? p.databases : [p.name]));
  return [...new Set(all)].sort();
}

function instanceSpec(s: ServiceModel): InstanceSpec {
  // Without a health path, an instance with a port is ready once it answers GET / below 500: an API
  // that answers 404 at / is up, while a port that only accepts connections may not be (instance.ts).
  const readiness = s.port !== undefined ? (s.health?.readiness ?? s.health?.liveness) : undefined;
  return {
    service: s.name,
    type: s.type,
    command: s.command!,
    cwd: contextOf(s),
    port: s.port !== undefined,
    ...(readiness ? { readiness } : {}),
    ...(s.port !== undefined && s.health?.liveness ? { liveness: s.health.liveness } : {}),
    startupTimeoutMs: durationMs(s.health?.startup_timeout, 60_000),
    drainMs: durationMs(s.shutdown.drain, 10_000),
    graceMs: durationMs(s.shutdown.grace, 30_000),
  };
}

function scheduledJob(j: JobModel): ScheduledJob {
  return {
    service: j.name,
    schedule: j.schedule,
    timezone: j.timezone,
    command: j.command!,
    cwd: contextOf(j),
    timeoutMs: durationMs(j.timeout, 3_600_000),
    retries: j.retries,
  };
}

function subscriptions(model: AppModel): Subscription[] {
  const subs: Subscription[] = [];
  for (const s of Object.values(model.services)) {
    if (s.type === "static" || s.type === "job") continue;
    for (const [topic, sub] of Object.entries(s.subscribes))
      subs.push({
        topic,
        service: s.name,
        route: sub.route,
        group: sub.group,
        maxRetries: sub.max_retries,
        deadLetter: sub.dead_letter,
      });
  }
  return subs;
}

/** The instances serving now, by service, with how the new model drains and stops them. */
function retiring(model: AppModel, current: CurrentInstances) {
  const by = new Map<string, string[]>();
  for (const i of current.instances) by.set(i.service, [...(by.get(i.service) ?? []), i.id]);
  return [...by.keys()].sort().map((service) => {
    const s = model.services[service];
    const spec = s?.type === "http" || s?.type === "worker" ? instanceSpec(s) : undefined;
    return {
      service,
      instances: by.get(service)!.sort(),
      drainMs: spec?.drainMs ?? 10_000,
      graceMs: spec?.graceMs ?? 30_000,
    };
  });
}

function instanceSteps(i: PlanInput): SupervisorStep[] {
  const { instances } = workloads(i.model);
  const start = instances.map((s) => ({
    ...instanceSpec(s),
    instances: Array.from({ length: Math.max(1, s.scale.min) }, (_, n) => `${s.name}-${i.release}-${n + 1}`),
  }));
  if (start.length === 0) return [];
  return [
    { kind: "start", services: start },
    {
      kind: "wait",
      services: start.map((s) => ({
        service: s.service,
        ...(s.readiness ? { readiness: s.readiness } : {}),
        port: s.port,
        timeoutMs: s.startupTimeoutMs,
      })),
    },
  ];
}

function supervisorSteps(i: PlanInput): SupervisorStep[] {
  const { model, release } = i;
  const { instances, jobs } = workloads(model);
  const secrets = secretUses(model);
  const provision = provisionStep(model);
  const old = retiring(model, i.current);
  return [
    ...(secrets.length > 0 ? [{ kind: "unseal", secrets } as const] : []),
    ...(provision ? [provision] : []),
    ...(jobs.length > 0 ? [{ kind: "jobs", jobs: jobs.map(scheduledJob) } as const] : []),
    ...(provision?.postgres ? [{ kind: "databases", databases: provision.postgres.databases } as const] : []),
    // A rollback runs no migrations: the schema stays as the newer release left it, so migrations must
    // be backwards compatible (expand, then contract), as for any zero-downtime deploy.
    ...(i.kind === "deploy"
      ? instances.flatMap((s) =>
          s.migrations
            ? [
                {
                  kind: "migrate",
                  service: s.name,
                  command: s.migrations.command,
                  cwd: contextOf(s),
                  timeoutMs: durationMs(s.migrations.timeout, 600_000),
                } as const,
              ]
            : [],
        )
      : []),
    ...instanceSteps(i),
    {
      kind: "switch",
      release,
      statics: statics(model),
      subscriptions: subscriptions(model),
      crashWatchMs: i.crashWatchMs,
    },
    ...(old.length > 0
      ? ([
          {
            kind: "drain",
            services: old.map(({ service, instances, drainMs }) => ({ service, instances, drainMs })),
          },
          {
            kind: "stop",
            services: old.map(({ service, instances, graceMs }) => ({ service, instances, graceMs })),
          },
        ] as const)
      : []),
    { kind: "record", release, ...(i.current.release ? { replaces: i.current.release } : {}) },
    { kind: "prune", keep: KEEP_RELEASES },
  ];
}

export function planDeploy(i: PlanInput): DeployPlan {
  return {
    release: i.release,
    kind: i.kind,
    ...(i.current.release ? { replaces: i.current.release } : {}),
    skipped: workloads(i.model).skipped,
    // A rollback's release is built already.
    steps: [...(i.kind === "deploy" ? commandSteps(i.model) : []), ...supervisorSteps(i)],
  };
}

/** The steps of one kind, in order. */
export function stepsOf<K extends DeployStep["kind"]>(
  plan: DeployPlan,
  kind: K,
): Extract<DeployStep, { kind: K }>[] {
  return plan.steps.filter((s): s is Extract<DeployStep, { kind: K }> => s.kind === kind);
}
