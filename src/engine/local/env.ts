// The environment each process gets: connection URLs for what the service `uses`, the pub/sub endpoint,
// its port, the spec's `env` and its secrets. Pure: everything comes in as arguments.
import type { AppModel, JobModel, ServiceModel } from "../../model/types.js";

export interface PostgresEndpoint {
  port: number;
  user: string;
  password: string;
}

export interface Infra {
  postgres?: PostgresEndpoint;
  redis: Record<string, { port: number; password?: string }>;
  daprPort?: number;
}

export const PUBSUB_NAME = "pubsub";

function envName(resource: string): string {
  return resource.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

export function postgresUrl(pg: PostgresEndpoint, database: string): string {
  return `postgres://${encodeURIComponent(pg.user)}:${encodeURIComponent(pg.password)}@127.0.0.1:${pg.port}/${encodeURIComponent(database)}`;
}

export interface EnvInput {
  model: AppModel;
  service: ServiceModel | JobModel;
  infra: Infra;
  release: string;
  instance?: string;
  port?: number;
  secrets: Record<string, string>;
  /** The inherited environment (PATH, HOME, ...), already without Gantry's own keys. */
  base: Record<string, string>;
}

export function serviceEnv(i: EnvInput): Record<string, string> {
  // Python buffers its output when it is not a terminal: a `print` would reach the log late, or never
  // when the process crashes. Containers set the same for Python images; an inherited value wins.
  const env: Record<string, string> = { PYTHONUNBUFFERED: "1", ...i.base };
  const uses = new Set(i.service.uses);
  const pgUsed = Object.keys(i.model.postgres)
    .filter((n) => uses.has(n))
    .sort();
  const redisUsed = Object.keys(i.model.redis)
    .filter((n) => uses.has(n))
    .sort();
  if (i.infra.postgres) {
    for (const n of pgUsed) {
      const db = i.model.postgres[n]!.databases[0] ?? n;
      env[`POSTGRES_${envName(n)}_URL`] = postgresUrl(i.infra.postgres, db);
    }
    if (pgUsed[0]) env.DATABASE_URL = env[`POSTGRES_${envName(pgUsed[0])}_URL`]!;
  }
  for (const n of redisUsed) {
    const r = i.infra.redis[n];
    if (r)
      env[`REDIS_${envName(n)}_URL`] =
        `redis://${r.password ? `:${encodeURIComponent(r.password)}@` : ""}127.0.0.1:${r.port}`;
  }
  if (redisUsed[0] && env[`REDIS_${envName(redisUsed[0])}_URL`])
    env.REDIS_URL = env[`REDIS_${envName(redisUsed[0])}_URL`]!;
  const topics = Object.keys(i.model.topics).filter(
    (t) => uses.has(t) || (i.service.type !== "job" && t in i.service.subscribes),
  );
  if (topics.length > 0 && i.infra.daprPort) {
    env.DAPR_HTTP_PORT = String(i.infra.daprPort);
    env.PUBSUB_NAME = PUBSUB_NAME;
  }
  if (i.port !== undefined) {
    env.PORT = String(i.port);
    env.HOST = "127.0.0.1";
  }
  env.GANTRY_ENV = i.model.environment.name;
  env.GANTRY_SERVICE = i.service.name;
  env.GANTRY_RELEASE = i.release;
  if (i.instance) env.GANTRY_INSTANCE = i.instance;
  Object.assign(env, i.service.env);
  for (const name of i.service.secrets) {
    const v = i.secrets[name];
    if (v !== undefined) env[name] = v;
  }
  return env;
}
