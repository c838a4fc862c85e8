// The values of the data stores: a StatefulSet for each PostgreSQL server and Redis cache that runs
// in the cluster (hosting: cluster), switched off where the cloud's managed service runs it, and the
// ports workloads reach either on.
import { appDatabase, envName } from "../../model/queries.js";
import type { AppModel, JobModel, PostgresModel, RedisModel, ServiceModel } from "../../model/types.js";
import { resourceKey } from "./secret-keys.js";
import { KUBERNETES_SIZES } from "./sizes.js";
import { dumpSchedule } from "./recovery.js";
import type { ChartValues, DataStoreValues } from "./values.js";

export const POSTGRES_PORT = 5432;
export const REDIS_PORT = 6379;

/**
 * Ports the managed databases of each provider listen on, for egress rules: DigitalOcean's managed
 * PostgreSQL and Redis use 25060 and 25061; Azure Cache for Redis takes TLS on 6380.
 */
export function managedPorts(provider: string, kind: "postgres" | "redis", tls: boolean): number[] {
  if (provider === "doks") return [kind === "postgres" ? 25060 : 25061];
  if (kind === "postgres") return [POSTGRES_PORT];
  if (provider === "aks") return [tls ? 6380 : REDIS_PORT];
  return [REDIS_PORT];
}

export function pgServiceName(name: string): string {
  return `postgres-${name}`;
}
export function redisServiceName(name: string): string {
  return `redis-${name}`;
}

/** The database the app connects to: the first of the entry's `databases`. */
/** The role an in-cluster PostgreSQL server is created with, and the app connects as. */
export const clusterPostgresUser = (app: AppModel): string => app.name.replace(/-/g, "_");

/** The Service name and port of a store that runs in the cluster; undefined for anything else. */
export function inClusterStore(app: AppModel, name: string): { name: string; port: number } | undefined {
  const pg = app.postgres[name];
  if (pg?.hosting === "cluster") return { name: pgServiceName(name), port: POSTGRES_PORT };
  const r = app.redis[name];
  if (r?.hosting === "cluster") return { name: redisServiceName(name), port: REDIS_PORT };
  return undefined;
}

/**
 * The URL variable of each PostgreSQL and Redis entry as the contract names it: DATABASE_URL for the
 * app's only PostgreSQL, <NAME>_DATABASE_URL when it has several; REDIS_URL likewise.
 */
function urlVariables(app: AppModel): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [kind, stores] of [
    ["DATABASE_URL", Object.keys(app.postgres)],
    ["REDIS_URL", Object.keys(app.redis)],
  ] as const)
    for (const s of stores) out[s] = stores.length === 1 ? kind : `${envName(s)}_${kind}`;
  return out;
}

/**
 * What a workload connects to: its `uses`, the data stores whose URL it takes from its own `secrets`
 * under the contract's name (`secrets: [DATABASE_URL]` reaches the one PostgreSQL), and the
 * idempotency stores of the topics it receives (its Dapr sidecar writes there).
 */
export function effectiveUses(app: AppModel, svc: ServiceModel | JobModel): string[] {
  const out = new Set(svc.uses);
  for (const [store, name] of Object.entries(urlVariables(app)))
    if (svc.secrets.includes(name)) out.add(store);
  if (svc.type !== "job") {
    for (const topic of Object.keys(svc.subscribes)) {
      const store = app.topics[topic]?.idempotency?.store;
      if (store) out.add(store);
    }
  }
  return [...out].sort();
}

/** Every PostgreSQL server and Redis cache, by Service name; each knows which workloads connect to it. */
export function dataStoreValues(app: AppModel): ChartValues["datastores"] {
  const datastores: ChartValues["datastores"] = {};
  const clientsOf = (store: string) =>
    Object.values(app.services)
      .filter((s) => s.type !== "static" && effectiveUses(app, s).includes(store))
      .map((s) => s.name)
      .sort();
  for (const pg of Object.values(app.postgres))
    datastores[pgServiceName(pg.name)] = postgresValues(app, pg, clientsOf(pg.name));
  for (const r of Object.values(app.redis))
    datastores[redisServiceName(r.name)] = redisValues(r, clientsOf(r.name));
  return datastores;
}

function postgresValues(app: AppModel, pg: PostgresModel, clients: string[]): DataStoreValues {
  const size = KUBERNETES_SIZES[pg.size];
  return {
    enabled: pg.hosting === "cluster",
    engine: "postgres",
    image: `postgres:${pg.version}-alpine`,
    port: POSTGRES_PORT,
    storage: `${pg.storage_gb}Gi`,
    resources: { requests: { ...size }, limits: { ...size } },
    passwordKey: resourceKey("postgres", pg.name, "password"),
    database: appDatabase(pg),
    databases: serverDatabases(pg),
    user: clusterPostgresUser(app),
    args: [],
    clients,
    ...(pg.hosting === "cluster" && pg.backups.enabled
      ? {
          backup: {
            schedule: dumpSchedule(app).cron,
            keepDays: pg.backups.retention_days,
            storage: `${pg.storage_gb}Gi`,
            databases: serverDatabases(pg),
            ...(app.recovery.offsite ? { offsite: offsiteOf(app, pg, app.recovery.offsite) } : {}),
          },
        }
      : {}),
  };
}

function redisValues(r: RedisModel, clients: string[]): DataStoreValues {
  const size = KUBERNETES_SIZES[r.size];
  const args = ["--requirepass", "$(REDIS_PASSWORD)", "--maxmemory-policy", r.eviction];
  if (r.persistence === "aof") args.push("--appendonly", "yes");
  else args.push("--appendonly", "no");
  if (r.persistence === "none") args.push("--save", "");
  return {
    enabled: r.hosting === "cluster",
    engine: "redis",
    image: `redis:${r.version}-alpine`,
    port: REDIS_PORT,
    storage: "8Gi",
    resources: { requests: { ...size }, limits: { ...size } },
    passwordKey: resourceKey("redis", r.name, "password"),
    database: "",
    databases: [],
    user: "",
    args,
    clients,
  };
}

/** Every database of a server: those the StatefulSet creates are those its backup dumps. */
const serverDatabases = (pg: PostgresModel): string[] =>
  pg.databases.length ? [...pg.databases] : [appDatabase(pg)];

/** Where an environment's dumps of a server go in the second repository: `<path>/<app>/<env>/<server>/`. */
function offsiteOf(
  app: AppModel,
  pg: PostgresModel,
  o: NonNullable<AppModel["recovery"]["offsite"]>,
): NonNullable<DataStoreValues["backup"]>["offsite"] {
  const path = [o.path, app.name, app.environment.name, pgServiceName(pg.name)]
    .map((part) => part.replace(/^\/+|\/+$/g, ""))
    .filter(Boolean)
    .join("/");
  return { endpoint: o.endpoint, region: o.region, url: `s3://${o.bucket}/${path}/` };
}
