// Starts what a release needs and is not running yet: PostgreSQL, each Redis, the pub/sub endpoint
// (or the new topics on it). The supervisor provisions the first model when it starts; each rollout
// provisions its release's (its `provision` step), so a Redis or topic added to the spec is there
// before the new instances start. Nothing is stopped here: the serving release may still use it
// (`down` stops everything).
import { join } from "node:path";
import { PUBSUB_COMPONENT } from "../../model/bindings.js";
import type { SpawnedProcess } from "../../util/exec.js";
import { BackupService, pgBackupSetup, registerRedisStart, setBackups } from "./backups.js";
import { keepRunning } from "./data-restart.js";
import { runDrill } from "./drill.js";
import type { Pgbackrest } from "./pgbackrest.js";
import { canTraverse, dataUser, findOnPath, privateDir } from "./infra.js";
import { placePostgresData } from "./postgres-location.js";
import type { ProvisionStep } from "./plan.js";
import { portOr } from "./ports.js";
import { choosePostgres, ensureDatabases, postgresInstalls, startPostgres } from "./postgres.js";
import { PubSub } from "./pubsub.js";
import { startRedis } from "./redis.js";
import { PG_APP_USER, PG_USER, type Runtime } from "./runtime.js";
import { INTERNAL_PREFIX } from "./secrets.js";
import type { SupervisorState } from "./state.js";

export const PG_PASSWORD = `${INTERNAL_PREFIX}postgres_password`;
const PG_APP_PASSWORD = `${INTERNAL_PREFIX}postgres_app_password`;
/** The password of the environment's Redis servers (each wants it: other accounts on the machine must not get in). */
const REDIS_PASSWORD = `${INTERNAL_PREFIX}redis_password`;
/** The Redis that holds the topics when the spec has none. */
const TOPICS_REDIS = "_topics";

/** `previous`: the state of the last run, whose ports are kept when still free. */
export async function provision(rt: Runtime, need: ProvisionStep, previous?: SupervisorState): Promise<void> {
  if (need.postgres && !rt.pg) await startPostgresFor(rt, need.postgres, previous);
  await startRedises(rt, need, previous);
  if (need.topics.length > 0) await startPubSub(rt, need);
  // A bucket is a folder of the environment (BUCKET_URL is its file:// URL); its files stay across releases.
  for (const b of need.buckets) privateDir(join(rt.paths.buckets, b), undefined);
}

async function startPostgresFor(
  rt: Runtime,
  need: NonNullable<ProvisionStep["postgres"]>,
  previous: SupervisorState | undefined,
): Promise<void> {
  const env = { ...rt.o.baseEnv };
  const runAs = dataUser();
  const dataDir = placePostgresData(rt.paths, runAs);
  const chosen = choosePostgres(await postgresInstalls(env.PATH), dataDir, need.versions);
  if (!chosen) throw new Error("PostgreSQL is not installed (no initdb/postgres found)");
  if (chosen.note) rt.log(chosen.note);
  const { binDir: bin, major } = chosen.install;
  const password = rt.internalPassword(PG_PASSWORD);
  const appPassword = rt.internalPassword(PG_APP_PASSWORD);
  const port = await portOr(previous?.postgres?.port);
  rt.log(`starting PostgreSQL ${major} (${bin}) on 127.0.0.1:${port}`);
  const logFile = join(rt.paths.logs, "postgres.log");
  // Backed up: the WAL archived by pgBackRest, and no empty cluster made where a backup can restore.
  const backup = pgBackupSetup(rt, port, password, dataDir);
  const start = (readyTimeoutMs?: number) => {
    backup?.guard();
    return startPostgres({
      binDir: bin,
      major,
      dataDir,
      port,
      user: PG_USER,
      password,
      databases: need.databases,
      logFile,
      env: { ...env, ...backup?.env },
      ...(runAs ? { runAs } : {}),
      app: { user: PG_APP_USER, password: appPassword },
      ...(backup ? { settings: backup.settings } : {}),
      ...(readyTimeoutMs ? { readyTimeoutMs } : {}),
    });
  };
  const pg = { proc: await start(), restarts: 0, port, password, appPassword, version: String(major) };
  rt.pg = pg;
  keepRunning(rt, "PostgreSQL", "logs/postgres.log", pg, start);
  await startBackups(rt, backup?.b, start);
}

/** Backups begin once PostgreSQL runs; one that cannot (pgBackRest refuses) is logged, the app runs on. */
async function startBackups(
  rt: Runtime,
  b: Pgbackrest | undefined,
  startPg: (readyTimeoutMs?: number) => Promise<SpawnedProcess>,
): Promise<void> {
  if (!rt.model) return;
  const service = new BackupService(rt, b, rt.model, startPg);
  service.drill = () => runDrill(rt, (m) => rt.log(`drill: ${m}`));
  setBackups(rt, service);
  try {
    await service.begin();
  } catch (e) {
    service.lastError = (e as Error).message;
    rt.log(`backups could not begin: ${service.lastError}`);
  }
}

/** The databases exist, owned by the role apps connect as (the `databases` step). */
export async function ensureAppDatabases(rt: Runtime, databases: string[]): Promise<void> {
  if (!rt.pg) return;
  await ensureDatabases({ port: rt.pg.port, user: PG_USER, password: rt.pg.password }, databases, {
    user: PG_APP_USER,
    password: rt.pg.appPassword,
  });
}

/**
 * The Redis servers to run: the spec's, and the one holding the topics. Topics stay on the Redis that
 * held them in this run or the last (undelivered events, pending ones and dead letters are there), even
 * when a later spec adds a Redis that sorts first or drops that one. The first time: the spec's first
 * Redis, or an internal one when the spec has none.
 */
function redisNames(rt: Runtime, need: ProvisionStep, previous: SupervisorState | undefined): string[] {
  const names = need.redis.map((r) => r.name);
  if (need.topics.length === 0) return names;
  const topicsRedis = rt.topicsRedis ?? previous?.topicsRedis ?? names[0] ?? TOPICS_REDIS;
  if (!names.includes(topicsRedis)) {
    names.unshift(topicsRedis);
    if (topicsRedis !== TOPICS_REDIS)
      rt.log(`Redis ${topicsRedis} is no longer in the spec; it keeps running for the topics it holds`);
  }
  rt.topicsRedis = topicsRedis;
  return names;
}

async function startRedises(
  rt: Runtime,
  need: ProvisionStep,
  previous: SupervisorState | undefined,
): Promise<void> {
  const names = redisNames(rt, need, previous);
  if (names.length === 0) return;
  const env = { ...rt.o.baseEnv };
  const bin = findOnPath("redis-server", env.PATH);
  if (!bin) throw new Error("redis-server is not installed");
  const password = rt.internalPassword(REDIS_PASSWORD);
  // Redis runs as the data user when Gantry is root, if that user can reach the data (an app under
  // /root cannot be); else as root, as Redis itself allows.
  const user = dataUser();
  const runAs = user && canTraverse(rt.paths.redis, user) ? user : undefined;
  if (user && !runAs)
    rt.log(
      `Redis runs as root: user ${user.uid} cannot reach ${rt.paths.redis} (\`chmod o+x\` on the directories above it lets it)`,
    );
  for (const name of names) {
    if (rt.redis[name]) continue;
    const port = await portOr(previous?.redis[name]?.port);
    const persistence = need.redis.find((r) => r.name === name)?.persistence ?? "aof";
    rt.log(`starting Redis ${name} (${persistence}) on 127.0.0.1:${port}`);
    const start = () =>
      startRedis({
        bin,
        dir: join(rt.paths.redis, name),
        port,
        persistence,
        logFile: join(rt.paths.logs, `redis-${name}.log`),
        env,
        password,
        ...(runAs ? { runAs } : {}),
      });
    const server = { proc: await start(), restarts: 0, port, password };
    rt.redis[name] = server;
    registerRedisStart(rt, name, start);
    keepRunning(rt, `Redis ${name}`, `logs/redis-${name}.log`, server, start);
  }
}

async function startPubSub(rt: Runtime, need: ProvisionStep): Promise<void> {
  if (rt.pubsub) {
    rt.pubsub.addTopics(need.topics);
    return;
  }
  const topicsRedis = rt.redis[rt.topicsRedis!]!;
  rt.pubsub = new PubSub({
    redisPort: topicsRedis.port,
    redisPassword: topicsRedis.password,
    pubsubName: PUBSUB_COMPONENT,
    source: need.source,
    topics: need.topics,
    targets: (service) => rt.proxy.getTable().backends[service] ?? [],
    log: (l) => rt.log(l),
  });
  rt.daprPort = await rt.pubsub.listen(0);
  rt.log(`pub/sub (Dapr HTTP API) on 127.0.0.1:${rt.daprPort}, topics on Redis Streams`);
}
