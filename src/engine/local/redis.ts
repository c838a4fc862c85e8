// Redis for one app environment, from the machine's redis-server, with its data under
// `.gantry/<env>/redis/<name>/` (see infra.ts for the user it runs as and its private directory).
import { closeSync, existsSync, openSync, readdirSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { Redis, ReplyError } from "ioredis";
import { UserError } from "../../errors.js";
import { exec, spawnProcess, type SpawnedProcess } from "../../util/exec.js";
import { privateDir, waitFor, type RunAs } from "./infra.js";

export interface RedisOptions {
  bin: string;
  dir: string;
  port: number;
  persistence: "none" | "rdb" | "aof";
  logFile: string;
  env: NodeJS.ProcessEnv;
  /** The default user's password (Gantry generates one per environment); none: no password. */
  password?: string;
  runAs?: RunAs;
}

/** The version of a redis-server binary as [major, minor], from `redis-server --version` ("v=7.0.15"). */
export async function redisVersion(bin: string): Promise<[number, number] | undefined> {
  const r = await exec(bin, ["--version"], { timeoutMs: 10_000 }).catch(() => undefined);
  const m = r && /v=(\d+)\.(\d+)/.exec(r.stdout);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export function redisArgs(
  o: Pick<RedisOptions, "dir" | "port" | "persistence" | "password">,
  version: [number, number] = [7, 0],
): string[] {
  // The password is given as its SHA-256 (Redis ACL "#<hash>"): the command line, readable by every
  // account in /proc, never holds it (Redis also rewrites its title once started). Pub/sub channel
  // rules ("&*") exist from Redis 6.2 on.
  const channels = version[0] > 6 || (version[0] === 6 && version[1] >= 2) ? ["&*"] : [];
  const auth = o.password
    ? [
        "--user",
        "default",
        "on",
        "resetpass",
        `#${createHash("sha256").update(o.password).digest("hex")}`,
        "~*",
        ...channels,
        "+@all",
      ]
    : [];
  return [
    "--port",
    String(o.port),
    "--bind",
    "127.0.0.1",
    "--protected-mode",
    "yes",
    "--daemonize",
    "no",
    "--dir",
    o.dir,
    "--appendonly",
    o.persistence === "aof" ? "yes" : "no",
    "--save",
    o.persistence === "none" ? "" : "3600 1 300 100 60 10000",
    ...auth,
  ];
}

/** When a file was last written (ms), or 0 when it is not there. */
function writtenAt(p: string): number {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Whether a Redis about to run with `aof` must load its dump.rdb first: Redis with appendonly on loads
 * only the append-only file (none: nothing), and its next save overwrites the dump with that. So a
 * dump newer than the AOF (the spec went from `rdb` to `aof`, perhaps back again) is loaded, then AOF
 * is turned on, which writes the AOF from it. The AOF is `appendonlydir/` from Redis 7, `appendonly.aof` before.
 */
function dumpIsNewer(dir: string): boolean {
  const dump = writtenAt(join(dir, "dump.rdb"));
  if (dump === 0) return false;
  const aofDir = join(dir, "appendonlydir");
  const aofFiles = [
    join(dir, "appendonly.aof"),
    ...(existsSync(aofDir) ? readdirSync(aofDir).map((f) => join(aofDir, f)) : []),
  ];
  return dump > Math.max(0, ...aofFiles.map(writtenAt));
}

/**
 * The kind of error Redis answered with: the upper-case word its reply starts with (ERR, NOGROUP,
 * BUSYGROUP, ...), which code may rely on, unlike the words after it (redis.io, "Redis error
 * messages"). Undefined for anything that is not Redis's answer (a lost connection).
 */
export function redisErrorPrefix(e: unknown): string | undefined {
  return e instanceof ReplyError ? /^[A-Z]+(?=\s|$)/.exec((e as Error).message)?.[0] : undefined;
}

/**
 * One short connection to a local Redis for `f`: it fails at once rather than reconnecting (a Redis
 * that went away is the caller's to wait for or report), and is closed after.
 */
export async function withRedis<T>(
  port: number,
  password: string | undefined,
  f: (r: Redis) => Promise<T>,
): Promise<T> {
  const r = new Redis({
    host: "127.0.0.1",
    port,
    ...(password ? { password } : {}),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  r.on("error", () => undefined);
  try {
    await r.connect();
    return await f(r);
  } finally {
    r.disconnect();
  }
}

export async function startRedis(o: RedisOptions): Promise<SpawnedProcess> {
  privateDir(o.dir, o.runAs);
  const version = await redisVersion(o.bin);
  if (version && version[0] < 6)
    throw new UserError(
      `redis-server ${version.join(".")} is too old: Gantry needs Redis 6 or newer (passwords as ACL rules)`,
      "install a newer one: `sudo apt-get install -y redis-server` on a current Debian or Ubuntu",
    );
  const switchToAof = o.persistence === "aof" && dumpIsNewer(o.dir);
  const args = redisArgs(switchToAof ? { ...o, persistence: "rdb" } : o, version);
  const fd = openSync(o.logFile, "a");
  let proc: SpawnedProcess;
  try {
    proc = await spawnProcess(o.bin, args, {
      env: o.env,
      output: fd,
      ...(o.runAs ? { uid: o.runAs.uid, gid: o.runAs.gid } : {}),
    });
  } finally {
    closeSync(fd);
  }
  await waitFor(
    async () => (await withRedis(o.port, o.password, (r) => r.ping())) === "PONG",
    proc,
    30_000,
    "redis-server",
    o.logFile,
  );
  if (switchToAof) {
    await withRedis(o.port, o.password, (r) => r.config("SET", "appendonly", "yes"));
    // Done once the AOF is written (a rewrite from what the dump loaded).
    await waitFor(
      async () =>
        withRedis(o.port, o.password, async (r) => {
          const info = await r.info("persistence");
          return (
            /aof_enabled:1/.test(info) &&
            /aof_rewrite_in_progress:0/.test(info) &&
            /aof_rewrite_scheduled:0/.test(info)
          );
        }),
      proc,
      60_000,
      "redis-server (turning AOF on)",
      o.logFile,
    );
  }
  return proc;
}
