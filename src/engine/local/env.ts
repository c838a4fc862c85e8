// The environment each process gets: the values of its contract (src/model/bindings.ts) on this
// machine, plus a few variables only the local runtime sets. Pure: everything comes in as arguments.
import { PUBSUB_COMPONENT, workloadVariables, type Binding, type ResourceRef } from "../../model/bindings.js";
import { appDatabase } from "../../model/queries.js";
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
  /** The folder that holds one folder per bucket (`.gantry/<env>/buckets`). */
  bucketsDir?: string;
}

/** Every server listens on loopback only: nothing the app runs is reachable from the network. */
const LOOPBACK = "127.0.0.1";

export function postgresUrl(pg: PostgresEndpoint, database: string): string {
  return `postgresql://${encodeURIComponent(pg.user)}:${encodeURIComponent(pg.password)}@${LOOPBACK}:${pg.port}/${encodeURIComponent(database)}`;
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

/** A part of a PostgreSQL, Redis or bucket on this machine; undefined while it is not running. */
function resourceValue(i: EnvInput, r: ResourceRef): string | undefined {
  if (r.kind === "postgres") {
    const pg = i.infra.postgres;
    if (!pg) return undefined;
    const server = i.model.postgres[r.resource];
    const database = server ? appDatabase(server) : r.resource;
    const parts = {
      url: postgresUrl(pg, database),
      host: LOOPBACK,
      port: String(pg.port),
      database,
      user: pg.user,
      password: pg.password,
      sslmode: "disable",
    };
    return parts[r.part];
  }
  if (r.kind === "redis") {
    const rd = i.infra.redis[r.resource];
    if (!rd) return undefined;
    const auth = rd.password ? `:${encodeURIComponent(rd.password)}@` : "";
    const parts = {
      url: `redis://${auth}${LOOPBACK}:${rd.port}`,
      host: LOOPBACK,
      port: String(rd.port),
      password: rd.password ?? "",
    };
    return parts[r.part];
  }
  if (!i.infra.bucketsDir) return undefined;
  const dir = `${i.infra.bucketsDir}/${r.resource}`;
  return r.part === "name" ? r.resource : `file://${dir}`;
}

function value(i: EnvInput, b: Binding): string | undefined {
  switch (b.kind) {
    case "postgres":
    case "redis":
    case "bucket":
      return resourceValue(i, b);
    case "template": {
      const parts = b.parts.map((p) => (typeof p === "string" ? p : resourceValue(i, p)));
      return parts.some((p) => p === undefined) ? undefined : parts.join("");
    }
    case "secret":
      return i.secrets[b.name];
    case "literal":
      return b.value;
    case "port":
      return i.port === undefined ? undefined : String(i.port);
    case "listen-address":
      return i.port === undefined ? undefined : LOOPBACK;
    case "pubsub-name":
      return i.infra.daprPort ? PUBSUB_COMPONENT : undefined;
    case "pubsub-port":
      return i.infra.daprPort ? String(i.infra.daprPort) : undefined;
    case "email-domain":
      return i.model.email?.domain;
    case "environment-name":
      return i.model.environment.name;
    case "service-name":
      return i.service.name;
  }
}

/** What only this machine sets: the release and instance, and unbuffered Python output. */
export function localVariables(w: ServiceModel | JobModel): { name: string; source: string }[] {
  return [
    {
      name: "GANTRY_INSTANCE",
      source: w.type === "job" ? "the run (cleanup-20261122T013000)" : "the instance (api-v3-1, ...)",
    },
    { name: "GANTRY_RELEASE", source: "the release that runs" },
    { name: "PYTHONUNBUFFERED", source: "1 unless set (Python logs at once)" },
  ];
}

export function serviceEnv(i: EnvInput): Record<string, string> {
  // Python buffers its output when it is not a terminal: a `print` would reach the log late, or never
  // when the process crashes. Containers set the same for Python images; an inherited value wins.
  const env: Record<string, string> = { PYTHONUNBUFFERED: "1", ...i.base };
  for (const v of workloadVariables(i.model, i.service)) {
    const x = value(i, v.binding);
    if (x !== undefined) env[v.name] = x;
  }
  env.GANTRY_RELEASE = i.release;
  if (i.instance) env.GANTRY_INSTANCE = i.instance;
  return env;
}
