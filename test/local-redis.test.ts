// Redis as the local runtime starts it, on a real redis-server: it wants the environment's password
// (never on its command line) and keeps its directory private, and a spec that switches a Redis from
// `rdb` to `aof` keeps its data; a snapshot taken while Redis rewrites its AOF waits for the rewrite
// rather than failing the backup. Needs redis-server: skipped without it, but FAILS when CI is set.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, statSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { Redis } from "ioredis";
import { canTraverse, findOnPath } from "../src/engine/local/infra.js";
import { startRedis, withRedis as withGantryRedis, type RedisOptions } from "../src/engine/local/redis.js";
import { snapshotRedis } from "../src/engine/local/redis-snapshots.js";
import { envPaths } from "../src/engine/local/paths.js";
import type { AppModel } from "../src/model/types.js";
import { pidCommand } from "../src/engine/local/fsutil.js";
import { freePort } from "../src/engine/local/ports.js";
import { tempDir } from "./helpers.js";

const redisBin = findOnPath("redis-server", process.env.PATH);
if (!redisBin && process.env.CI)
  throw new Error("redis-server must be installed for this test in CI (apt-get install -y redis-server)");

/** The first reply line of a raw command, without authenticating. */
function rawReply(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1", () => sock.write(`${command}\r\n`));
    sock.once("data", (d: Buffer) => {
      resolve(d.toString().split("\r\n")[0]!);
      sock.destroy();
    });
    sock.once("error", reject);
  });
}

describe("canTraverse", () => {
  it("says whether another user can pass through every directory above the data", () => {
    const { dir, cleanup } = tempDir();
    try {
      const other = { uid: 65_534, gid: 65_534 }; // nobody: owns none of these
      mkdirSync(join(dir, "open", "data"), { recursive: true });
      mkdirSync(join(dir, "closed", "data"), { recursive: true });
      chmodSync(dir, 0o755);
      chmodSync(join(dir, "open"), 0o755);
      chmodSync(join(dir, "closed"), 0o700);
      assert.equal(canTraverse(join(dir, "open", "data"), other), true);
      assert.equal(canTraverse(join(dir, "closed", "data"), other), false);
      // Not made yet: the directories above it decide.
      assert.equal(canTraverse(join(dir, "closed", "data", "new", "deeper"), other), false);
      assert.equal(canTraverse(join(dir, "open", "data", "new"), other), true);
    } finally {
      cleanup();
    }
  });
});

/** Options for a Redis in a new temporary directory, as the supervisor would start it. */
async function redis(
  persistence: RedisOptions["persistence"],
): Promise<{ cleanup: () => void; o: RedisOptions }> {
  const { dir, cleanup } = tempDir();
  const o: RedisOptions = {
    bin: redisBin!,
    dir: join(dir, "redis", "cache"),
    port: await freePort(),
    persistence,
    logFile: join(dir, "redis.log"),
    env: process.env,
    password: "a-password-0123456789",
  };
  return { cleanup, o };
}

describe("redis-server as gantry starts it", { skip: redisBin ? false : "needs redis-server" }, () => {
  it("wants the password, which its command line never shows, and keeps its directory private", async () => {
    const { cleanup, o } = await redis("none");
    const proc = await startRedis(o);
    try {
      assert.match(await rawReply(o.port, "PING"), /^-NOAUTH/);
      assert.equal(await rawReply(o.port, `AUTH ${o.password!}`), "+OK");
      assert.ok(!(pidCommand(proc.pid) ?? "").includes(o.password!));
      assert.equal(statSync(o.dir).mode & 0o777, 0o700);
    } finally {
      proc.kill("SIGKILL");
      await proc.exited;
      cleanup();
    }
  });

  it("keeps the data when the spec switches a Redis from rdb to aof", async () => {
    const { cleanup, o } = await redis("rdb");
    const withRedis = async <T>(f: (r: Redis) => Promise<T>): Promise<T> => {
      const r = new Redis({ host: "127.0.0.1", port: o.port, password: o.password });
      try {
        return await f(r);
      } finally {
        r.disconnect();
      }
    };
    try {
      let proc = await startRedis(o);
      await withRedis((r) => r.set("kept", "yes"));
      proc.kill("SIGTERM"); // saves dump.rdb on the way out
      await proc.exited;
      proc = await startRedis({ ...o, persistence: "aof" });
      try {
        assert.equal(await withRedis((r) => r.get("kept")), "yes");
        assert.match(await withRedis((r) => r.config("GET", "appendonly")).then(String), /yes/);
      } finally {
        proc.kill("SIGTERM");
        await proc.exited;
      }
      // Again with the AOF alone in charge.
      proc = await startRedis({ ...o, persistence: "aof" });
      try {
        assert.equal(await withRedis((r) => r.get("kept")), "yes");
      } finally {
        proc.kill("SIGTERM");
        await proc.exited;
      }
      // Back to rdb for a while, then aof again: the older AOF left behind must not win.
      proc = await startRedis(o);
      await withRedis((r) => r.set("later", "yes"));
      proc.kill("SIGTERM");
      await proc.exited;
      proc = await startRedis({ ...o, persistence: "aof" });
      try {
        assert.deepEqual(await withRedis((r) => r.mget("kept", "later")), ["yes", "yes"]);
      } finally {
        proc.kill("SIGKILL");
        await proc.exited;
      }
    } finally {
      cleanup();
    }
  });

  it("takes a snapshot while Redis rewrites its AOF, once the rewrite is done", async () => {
    const { cleanup, o } = await redis("aof");
    const paths = envPaths(join(o.dir, "..", ".."), "dev");
    const server = { ...o, dir: join(paths.redis, "cache") };
    const proc = await startRedis(server);
    try {
      const run = <T>(f: (r: Redis) => Promise<T>) => withGantryRedis(o.port, o.password, f);
      await run(async (r) => {
        for (let i = 0; i < 40; i++) await r.set(`k${i}`, "v");
        // 25 ms a key: the rewrite takes about a second, and BGSAVE is refused ("Another child process
        // is active") meanwhile.
        await r.config("SET", "rdb-key-save-delay", "25000");
        await r.bgrewriteaof();
        assert.match(await r.info("persistence"), /aof_rewrite_in_progress:1/);
      });
      const model = { redis: { cache: { name: "cache", persistence: "aof" } } } as unknown as AppModel;
      const [snap] = await snapshotRedis(
        { paths, redis: { cache: { port: o.port, password: o.password! } } },
        model,
        "test",
      );
      assert.ok(
        snap?.files.some((f) => f.file === "dump.rdb" && f.bytes > 0),
        JSON.stringify(snap),
      );
    } finally {
      proc.kill("SIGKILL");
      await proc.exited;
      cleanup();
    }
  });
});
