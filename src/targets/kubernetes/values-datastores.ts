// The values of the data stores: a StatefulSet for each PostgreSQL server and Redis cache that runs
// in the cluster (hosting: cluster), switched off where the cloud's managed service runs it, and the
// ports workloads reach either on.
import type { AppModel, JobModel, PostgresModel, RedisModel, ServiceModel } from "../../model/types.js";
import type { ConnectionKeys } from "./settings.js";
import { KUBERNETES_SIZES } from "./sizes.js";
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

/** The Service name and port of a store that runs in the cluster; undefined for anything else. */
export function inClusterStore(app: AppModel, name: string): { name: string; port: number } | undefined {
  const pg = app.postgres[name];
  if (pg?.hosting === "cluster") return { name: pgServiceName(name), port: POSTGRES_PORT };
  const r = app.redis[name];
  if (r?.hosting === "cluster") return { name: redisServiceName(name), port: REDIS_PORT };
  return undefined;
}

/**
 * What a workload connects to: its `uses`, the data stores whose connection key it names as a secret
 * (`secrets: [DATABASE_URL]` reaches the one PostgreSQL), and the idempotency stores of the topics it
 * receives (its Dapr sidecar writes there).
 */
export function effectiveUses(
  app: AppModel,
  svc: ServiceModel | JobModel,
  byStore: Record<string, string>,
): string[] {
  const out = new Set(svc.uses);
  for (const [store, key] of Object.entries(byStore)) if (svc.secrets.includes(key)) out.add(store);
  if (svc.type !== "job") {
    for (const topic of Object.keys(svc.subscribes)) {
      const store = app.topics[topic]?.idempotency?.store;
      if (store) out.add(store);
    }
  }
  return [...out].sort();
}

/** Every PostgreSQL server and Redis cache, by Service name; each knows which workloads connect to it. */
export function dataStoreValues(app: AppModel, keys: ConnectionKeys): ChartValues["datastores"] {
  const datastores: ChartValues["datastores"] = {};
  const clientsOf = (store: string) =>
    Object.values(app.services)
      .filter((s) => s.type !== "static" && effectiveUses(app, s, keys.byStore).includes(store))
      .map((s) => s.name)
      .sort();
  for (const pg of Object.values(app.postgres))
    datastores[pgServiceName(pg.name)] = postgresValues(
      app,
      pg,
      keys.passwords[pg.name]!,
      clientsOf(pg.name),
    );
  for (const r of Object.values(app.redis))
    datastores[redisServiceName(r.name)] = redisValues(r, keys.passwords[r.name]!, clientsOf(r.name));
  return datastores;
}

function postgresValues(
  app: AppModel,
  pg: PostgresModel,
  passwordKey: string,
  clients: string[],
): DataStoreValues {
  const size = KUBERNETES_SIZES[pg.size];
  return {
    enabled: pg.hosting === "cluster",
    engine: "postgres",
    image: `postgres:${pg.version}-alpine`,
    port: POSTGRES_PORT,
    storage: `${pg.storage_gb}Gi`,
    resources: { requests: { ...size }, limits: { ...size } },
    passwordKey,
    database: pg.databases[0] ?? pg.name.replace(/-/g, "_"),
    user: app.name.replace(/-/g, "_"),
    args: [],
    clients,
  };
}

function redisValues(r: RedisModel, passwordKey: string, clients: string[]): DataStoreValues {
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
    passwordKey,
    database: "",
    user: "",
    args,
    clients,
  };
}
