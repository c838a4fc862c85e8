// Redis snapshots in the backup repository: on each backup, every Redis the spec keeps data in (rdb or
// aof) writes a fresh RDB (BGSAVE), and the dump, with the append-only files where the spec asks for
// AOF, is copied to `<backups>/redis/<name>/<id>/`, each file sealed with AES-256-GCM under the backup
// key and listed with its SHA-256 in the snapshot's manifest. A restore checks every file against the
// manifest before it touches the server, then starts it on the dump (startRedis turns AOF on from it).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { ReplyError, type Redis } from "ioredis";
import type { AppModel } from "../../model/types.js";
import { writeJsonAtomic, readJson } from "./fsutil.js";
import type { EnvPaths } from "./paths.js";
import { backupKeyFile, backupRoot } from "./pgbackrest.js";
import { loadKey } from "./secrets.js";
import { sleep } from "./instance.js";
import { withRedis } from "./redis.js";

export interface RedisSnapshot {
  name: string;
  id: string;
  at: string;
  reason: string;
  files: { file: string; bytes: number; sha256: string }[];
}

interface RedisHost {
  paths: EnvPaths;
  redis: Record<string, { port: number; password: string }>;
}

const snapshotsDir = (p: EnvPaths, name: string) => join(backupRoot(p), "redis", name);

function seal(key: Buffer, data: Buffer): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([c.update(data), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]);
}

function unseal(key: Buffer, sealed: Buffer): Buffer {
  const d = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12));
  d.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([d.update(sealed.subarray(28)), d.final()]);
}

/** Whether Redis has a child writing now (a dump, or an AOF rewrite): it refuses a BGSAVE meanwhile. */
async function childBusy(r: Redis): Promise<boolean> {
  const info = await r.info("persistence");
  return /rdb_bgsave_in_progress:1/.test(info) || /aof_rewrite_in_progress:1/.test(info);
}

/** A fresh dump: BGSAVE (once a dump or AOF rewrite in progress is done), then until it is written. */
async function bgsave(r: Redis): Promise<void> {
  const before = await r.lastsave();
  for (let i = 0; ; i++) {
    if (!(await childBusy(r)))
      try {
        await r.bgsave();
        break;
      } catch (e) {
        // Refused because a child began since (an automatic save): wait for that one too. Any other
        // refusal (Redis says why in words, which are no contract) is final.
        if (!(e instanceof ReplyError) || !(await childBusy(r))) throw e;
      }
    if (i >= 600) throw new Error("Redis was busy writing for over a minute; no snapshot was taken");
    await sleep(100);
  }
  for (let i = 0; i < 6000; i++) {
    const info = await r.info("persistence");
    const done = /rdb_bgsave_in_progress:0/.test(info) && (await r.lastsave()) >= before;
    if (done && /rdb_last_bgsave_status:ok/.test(info) && i > 0) return;
    if (done && /rdb_last_bgsave_status:err/.test(info)) throw new Error("Redis could not write its dump");
    await sleep(100);
  }
  throw new Error("Redis did not finish its dump within 10 minutes");
}

/** The files of a Redis directory a snapshot holds: the dump, and the AOF when the spec asks for it. */
function filesOf(dir: string, aof: boolean): string[] {
  const files = existsSync(join(dir, "dump.rdb")) ? ["dump.rdb"] : [];
  if (aof && existsSync(join(dir, "appendonlydir")))
    files.push(...readdirSync(join(dir, "appendonlydir")).map((f) => join("appendonlydir", f)));
  return files;
}

/** Snapshots each Redis of the spec that keeps data, into the repository. */
export async function snapshotRedis(
  rt: RedisHost,
  model: AppModel,
  reason: string,
): Promise<RedisSnapshot[]> {
  const key = loadKey(backupKeyFile(rt.paths), undefined)!;
  const out: RedisSnapshot[] = [];
  for (const spec of Object.values(model.redis).sort((a, b) => a.name.localeCompare(b.name))) {
    const server = rt.redis[spec.name];
    if (!server || spec.persistence === "none") continue;
    await withRedis(server.port, server.password, bgsave);
    const dir = join(rt.paths.redis, spec.name);
    const at = new Date();
    const id = at.toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
    const target = join(snapshotsDir(rt.paths, spec.name), id);
    mkdirSync(join(target, "appendonlydir"), { recursive: true, mode: 0o700 });
    const files = filesOf(dir, spec.persistence === "aof").map((file) => {
      const data = readFileSync(join(dir, file));
      writeFileSync(join(target, `${file}.sealed`), seal(key, data), { mode: 0o600 });
      return { file, bytes: data.length, sha256: createHash("sha256").update(data).digest("hex") };
    });
    const snap: RedisSnapshot = { name: spec.name, id, at: at.toISOString(), reason, files };
    writeJsonAtomic(join(target, "manifest.json"), snap, 0o600);
    out.push(snap);
  }
  return out;
}

/** The snapshots of one Redis, oldest first. */
export function listRedisSnapshots(p: EnvPaths, name: string): RedisSnapshot[] {
  const dir = snapshotsDir(p, name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((id) => {
      const m = readJson<RedisSnapshot>(join(dir, id, "manifest.json"));
      return m ? [m] : [];
    });
}

/** The newest snapshot of a Redis taken at or before `at` (undefined: the newest of all). */
export function snapshotFor(p: EnvPaths, name: string, at?: Date): RedisSnapshot | undefined {
  const all = listRedisSnapshots(p, name);
  return at ? all.filter((s) => Date.parse(s.at) <= at.getTime()).at(-1) : all.at(-1);
}

/**
 * Puts a snapshot's dump in place of a stopped Redis's files, each checked against its SHA-256 first.
 * The AOF is removed: the server loads the dump and writes a new AOF from it (see startRedis).
 */
export function placeRedisSnapshot(p: EnvPaths, snap: RedisSnapshot, dir: string): void {
  const key = loadKey(backupKeyFile(p), undefined)!;
  const source = join(snapshotsDir(p, snap.name), snap.id);
  const dump = snap.files.find((f) => f.file === "dump.rdb");
  if (!dump) throw new Error(`Redis snapshot ${snap.name}/${snap.id} holds no dump`);
  const data = unseal(key, readFileSync(join(source, "dump.rdb.sealed")));
  if (createHash("sha256").update(data).digest("hex") !== dump.sha256)
    throw new Error(
      `Redis snapshot ${snap.name}/${snap.id} is damaged: dump.rdb does not match its checksum`,
    );
  const owner = statSync(dir);
  rmSync(join(dir, "appendonlydir"), { recursive: true, force: true });
  rmSync(join(dir, "appendonly.aof"), { force: true });
  writeFileSync(join(dir, "dump.rdb"), data, { mode: 0o600 });
  chownSync(join(dir, "dump.rdb"), owner.uid, owner.gid);
}
