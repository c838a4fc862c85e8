// The arguments of each workload, site and data store call as each environment gives them. An
// argument every environment gives alike is written in main.tf; one that differs (a command, a
// port, a health path, a schedule) is a field of the entry in each environment's tfvars
// (`services.api.command`) that main.tf reads. An argument that differs but has no literal form
// (an image built in one environment, a prebuilt one in another) stays as the first environment
// gives it, and check() reports it.
import { expr, printExpression, tmpl, type HclValue } from "../../format/hcl.js";
import { workloadContract } from "../../model/bindings.js";
import type { CommandLine } from "../../model/command-line.js";
import { appDatabase } from "../../model/queries.js";
import type { AppModel, BucketModel, JobModel, ServiceModel } from "../../model/types.js";
import { seconds } from "../../util/duration.js";
import { eventBridgeCron } from "../terraform/units.js";
import { commandArgv } from "./command.js";
import { entryRef, moduleName, pathPatterns, q, type Collection, type Workload } from "./names.js";
import { isPartial } from "./presence.js";
import { apiOriginsIn, envsWith, publicIn, type AwsShape } from "./shape.js";
import { wiringOf, workloadModule, type EnvWiring } from "./wiring.js";

/** An argument in one environment: main.tf's form, and the literal its tfvars holds when it differs. */
export interface Field {
  main: HclValue | undefined;
  /** Undefined when it has no literal form (it refers to other modules). */
  literal?: HclValue;
}
type Fields = Record<string, Field>;

export interface EntrySettings {
  collection: Collection;
  name: string;
  byEnv: Map<string, Fields>;
  /** Fields main.tf reads from the entry in the tfvars. */
  varying: string[];
  /** Fields that differ but cannot come from the tfvars: the environment that differs from the first. */
  fixed: { field: string; env: string }[];
}

/** The type of each field an entry in the tfvars may hold (`optional` in variables.tf). */
export const FIELD_TYPES: Record<string, string> = {
  image: "string",
  command: "list(string)",
  migrations: "list(string)",
  port: "number",
  health_check_path: "string",
  health_check: "object({ interval = number, timeout = number, retries = number, start_period = number })",
  read_only_root: "bool",
  stop_timeout: "number",
  service_connect: "bool",
  listener_priority: "number",
  listener_paths: "list(string)",
  target_health_check_path: "string",
  deregistration_delay: "number",
  schedule: "string",
  timezone: "string",
  retries: "number",
  spa: "bool",
  api_paths: "list(string)",
  db_name: "string",
  versioning: "bool",
  lifecycle_rules:
    "list(object({ id = string, prefix = string, cool_after_days = number, archive_after_days = number, delete_after_days = number }))",
  cors_origins: "list(string)",
};

/** The module's default health check timing, which the tfvars spells out where timings differ. */
const DEFAULT_HEALTH = { interval: 10, timeout: 5, retries: 3, start_period: 60 };

/** The container health check's timing: ECS allows intervals of 5 to 300 s and a start period up to 300 s. */
function healthCheck(w: Workload): HclValue | undefined {
  const h = w.type !== "job" ? w.health : undefined;
  if (!h) return undefined;
  const interval = Math.max(5, seconds(h.interval));
  return {
    interval,
    timeout: Math.min(Math.max(2, seconds(h.timeout)), interval - 1),
    retries: h.failure_threshold,
    start_period: Math.min(300, seconds(h.startup_timeout)),
  };
}

const same = (v: HclValue): Field => ({ main: v, literal: v });

const priorities = new WeakMap<AppModel, Map<string, number>>();

/** Listener rule priority of each public service of an environment: more specific paths first. */
function listenerPriorities(e: AppModel): Map<string, number> {
  const hit = priorities.get(e);
  if (hit) return hit;
  const ordered = publicIn(e).sort((a, b) => b.path.length - a.path.length || a.name.localeCompare(b.name));
  const out = new Map(ordered.map((s, i) => [s.name, (i + 1) * 10]));
  priorities.set(e, out);
  return out;
}

function workloadFields(e: AppModel, w: Workload, wired: EnvWiring): Fields {
  const contract = workloadContract(e, w);
  const command = (c: CommandLine | undefined): Field =>
    c
      ? { main: commandArgv(c, wired.known), literal: commandArgv(c, wired.literal) }
      : { main: undefined, literal: null };
  const health = w.type !== "job" ? w.health : undefined;
  const healthPath = health ? (health.readiness ?? health.liveness) : undefined;
  const fields: Fields = {
    image: w.build
      ? { main: tmpl(`\${data.aws_ecr_repository.image[${q(w.name)}].repository_url}:\${var.image_tag}`) }
      : same(w.image ?? ""),
    command: command(contract.command),
    port: { main: contract.port, literal: contract.port ?? 0 },
    health_check_path: { main: healthPath, literal: healthPath ?? null },
    health_check: { main: healthCheck(w), literal: healthCheck(w) ?? DEFAULT_HEALTH },
    read_only_root: same(w.read_only_root),
  };
  return w.type === "job"
    ? { ...fields, ...jobFields(w) }
    : { ...fields, ...serviceFields(e, w, contract.migrations, command) };
}

function jobFields(j: JobModel): Fields {
  return {
    schedule: same(eventBridgeCron(j.schedule)),
    timezone: same(j.timezone),
    retries: same(Math.min(j.retries, 185)),
  };
}

function serviceFields(
  e: AppModel,
  s: ServiceModel,
  migrations: CommandLine | undefined,
  command: (c: CommandLine | undefined) => Field,
): Fields {
  const fields: Fields = {
    migrations: command(migrations),
    stop_timeout: same(Math.min(120, seconds(s.shutdown.grace))),
    service_connect: same(s.type === "http" && !!s.port),
  };
  const priority = listenerPriorities(e).get(s.name);
  // Where the load balancer does not reach the service, its target's fields mean nothing.
  if (priority === undefined) return fields;
  return {
    ...fields,
    listener_priority: same(priority),
    listener_paths: same(pathPatterns(s.path)),
    target_health_check_path: same(s.health?.readiness ?? s.health?.liveness ?? "/"),
    deregistration_delay: same(Math.max(5, seconds(s.shutdown.drain) + 5)),
  };
}

function bucketFields(b: BucketModel): Fields {
  const rules = Object.entries(b.lifecycle).map(([id, r]) => ({
    id,
    prefix: r.prefix,
    cool_after_days: r.cool_after_days ?? null,
    archive_after_days: r.archive_after_days ?? null,
    delete_after_days: r.delete_after_days ?? null,
  }));
  return {
    versioning: same(b.versioning),
    lifecycle_rules: same(rules),
    cors_origins: {
      main: b.cors_origins.length ? [...b.cors_origins] : undefined,
      literal: [...b.cors_origins],
    },
  };
}

const printed = (v: HclValue | undefined): string => (v === undefined ? "" : printExpression(v));

function entrySettings(
  collection: Collection,
  name: string,
  envs: readonly AppModel[],
  fieldsIn: (e: AppModel) => Fields,
): EntrySettings {
  const byEnv = new Map(envs.map((e) => [e.environment.name, fieldsIn(e)]));
  const varying: string[] = [];
  const fixed: EntrySettings["fixed"] = [];
  const names = [...new Set([...byEnv.values()].flatMap((f) => Object.keys(f)))];
  for (const field of names) {
    const given = [...byEnv].filter(([, f]) => field in f).map(([env, f]) => [env, f[field]!] as const);
    const first = printed(given[0]![1].main);
    const differs = given.find(([, f]) => printed(f.main) !== first);
    if (!differs) continue;
    if (given.every(([, f]) => f.literal !== undefined)) varying.push(field);
    else fixed.push({ field, env: differs[0] });
  }
  return { collection, name, byEnv, varying, fixed };
}

const cache = new WeakMap<AwsShape, Map<string, EntrySettings>>();

/** Every entry's settings, by `<collection>/<name>` (computed once per shape). */
export function settingsOf(shape: AwsShape): Map<string, EntrySettings> {
  const hit = cache.get(shape);
  if (hit) return hit;
  const all = new Map<string, EntrySettings>();
  const add = (collection: Collection, name: string, module: string, fieldsIn: (e: AppModel) => Fields) =>
    all.set(`${collection}/${name}`, entrySettings(collection, name, envsWith(shape, module), fieldsIn));
  for (const w of [...shape.services, ...shape.jobs]) {
    const wiring = wiringOf(shape, w);
    add(w.type === "job" ? "jobs" : "services", w.name, workloadModule(w), (e) =>
      workloadFields(e, e.services[w.name] as Workload, wiring.byEnv.get(e.environment.name)!),
    );
  }
  for (const s of shape.sites)
    add("static_sites", s.name, moduleName.site(s.name), (e) => {
      const site = e.services[s.name]!;
      return {
        spa: same(site.type === "static" && site.spa),
        api_paths: same(apiOriginsIn(e).get(s.name) ?? []),
      };
    });
  for (const p of shape.postgres)
    add("postgres", p.name, moduleName.postgres(p.name), (e) => ({
      db_name: same(appDatabase(e.postgres[p.name]!)),
    }));
  for (const b of shape.buckets)
    add("buckets", b.name, moduleName.bucket(b.name), (e) => bucketFields(e.buckets[b.name]!));
  cache.set(shape, all);
  return all;
}

function entry(shape: AwsShape, collection: Collection, name: string): EntrySettings {
  return settingsOf(shape).get(`${collection}/${name}`)!;
}

/** An argument of an entry's module call: main.tf's value, or the tfvars' field where environments differ. */
export function arg(
  shape: AwsShape,
  collection: Collection,
  name: string,
  field: string,
): HclValue | undefined {
  const s = entry(shape, collection, name);
  if (s.varying.includes(field)) return expr(`${entryRef(collection, name)}.${field}`);
  for (const f of s.byEnv.values()) if (field in f) return f[field]!.main;
  return undefined;
}

/** The fields of an entry that this environment's tfvars holds. */
export function tfvarsFields(
  shape: AwsShape,
  collection: Collection,
  name: string,
  e: AppModel,
): Record<string, HclValue> {
  const s = entry(shape, collection, name);
  const fields = s.byEnv.get(e.environment.name) ?? {};
  return Object.fromEntries(s.varying.filter((f) => f in fields).map((f) => [f, fields[f]!.literal!]));
}

/** Whether some entry of the collection reads a field from the tfvars, and which. */
export function varyingFields(shape: AwsShape, collection: Collection): string[] {
  const fields = new Set<string>();
  for (const s of settingsOf(shape).values())
    if (s.collection === collection) s.varying.forEach((f) => fields.add(f));
  return Object.keys(FIELD_TYPES).filter((f) => fields.has(f));
}

/** Whether the buckets are a tfvars map: where some environments lack one, or their settings differ. */
export const bucketsVariable = (shape: AwsShape): boolean =>
  shape.buckets.some((b) => isPartial(shape, moduleName.bucket(b.name))) ||
  varyingFields(shape, "buckets").length > 0;
