// Questions every renderer and the runtime ask of the model, answered in one place: which kind a
// service is, what it uses, and how a resource name is spelled as part of a variable name.
import type {
  AnyServiceModel,
  AppModel,
  JobModel,
  PostgresModel,
  ServiceModel,
  StaticModel,
} from "./types.js";

/** An HTTP service or a worker: a long-running process. */
export const isService = (s: AnyServiceModel): s is ServiceModel => s.type === "http" || s.type === "worker";
export const isStatic = (s: AnyServiceModel): s is StaticModel => s.type === "static";
export const isJob = (s: AnyServiceModel): s is JobModel => s.type === "job";
/** Anything that runs a container image or a process: a service, a worker or a job. */
export const isWorkload = (s: AnyServiceModel): s is ServiceModel | JobModel => s.type !== "static";

/** SHOUTING_CASE for environment variable names: sse-gateway → SSE_GATEWAY. */
export const envName = (s: string): string => s.toUpperCase().replace(/[^A-Z0-9]+/g, "_");

/** The public URLs of something served at `path` on each of `hosts` (the root path adds nothing). */
export const publicUrls = (hosts: readonly string[], path: string): string[] =>
  hosts.map((h) => `https://${h}${path === "/" ? "" : path}`);

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The PostgreSQL servers a workload uses, in the order of its `uses`: the first is its primary. */
export function postgresUsed(app: AppModel, w: ServiceModel | JobModel): string[] {
  return w.uses.filter((u) => u in app.postgres);
}

/** The Redis servers a workload uses, in the order of its `uses`: the first is its primary. */
export function redisUsed(app: AppModel, w: ServiceModel | JobModel): string[] {
  return w.uses.filter((u) => u in app.redis);
}

/** The buckets a workload uses, in the order of its `uses`: the first is its primary. */
export function bucketsUsed(app: AppModel, w: ServiceModel | JobModel): string[] {
  return w.uses.filter((u) => u in app.buckets);
}

/** The topics a workload publishes to (`uses`) or receives (`subscribes`), sorted by name. */
export function topicsUsed(app: AppModel, w: ServiceModel | JobModel): string[] {
  const subscribed = w.type === "job" ? [] : Object.keys(w.subscribes);
  return Object.keys(app.topics)
    .filter((t) => w.uses.includes(t) || subscribed.includes(t))
    .sort(byName);
}

/** Whether a workload sends e-mail (`uses: [email]` with an `email` section). */
export const usesEmail = (app: AppModel, w: ServiceModel | JobModel): boolean =>
  app.email !== undefined && w.uses.includes("email");

/** The database apps connect to on a PostgreSQL server (`${db.database}`, PGDATABASE): its first. */
export const appDatabase = (pg: PostgresModel): string => pg.databases[0] ?? pg.name.replace(/-/g, "_");
