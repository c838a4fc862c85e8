// Restores: PostgreSQL from pgBackRest (the newest state, a point in time, or one backup) and each
// Redis from its snapshot at or before that point.
// - In place, by the supervisor: the proxy answers 503 with Retry-After meanwhile; the current data is
//   kept first (a backup when PostgreSQL runs, else its directory is moved aside), the servers are
//   stopped, the data put back, and the servers started again.
// - Offline, by the command, when no supervisor runs: the same, and `gantry up` starts the app.
// - Into a scratch cluster (a drill, or `--into` a new environment): restored with archiving off, so a
//   copy never writes to the repository of the data it came from, and recovered to its end.
import { existsSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import type { AppModel } from "../../model/types.js";
import { UserError } from "../../errors.js";
import type { SpawnedProcess } from "../../util/exec.js";
import { backupsOf, redisStarter } from "./backups.js";
import { keepRunning } from "./data-restart.js";
import type { DataServer } from "./data-restart.js";
import { sleep } from "./instance.js";
import type { EnvPaths } from "./paths.js";
import {
  restoreInto,
  backupRoot,
  ensureStanza,
  pgbackrest,
  resolveTarget,
  type Pgbackrest,
  type ResolvedTarget,
  type RestoreTarget,
} from "./pgbackrest.js";
import { postgresDataDir } from "./postgres-location.js";
import { choosePostgres, postgresInstalls, startPostgres, withClient } from "./postgres.js";
import { placeRedisSnapshot, snapshotFor } from "./redis-snapshots.js";
import { PG_USER, type Runtime } from "./runtime.js";

/** A restored cluster may replay a lot of WAL before it answers. */
const RECOVERY_TIMEOUT_MS = 60 * 60_000;
/** What clients are told to wait before they try again while a restore runs. */
const RESTORE_RETRY_AFTER_S = 30;

export type Say = (line: string) => void;

/** Moves a cluster's directory aside, next to the repository; returns where, or undefined if none was there. */
function moveAside(dataDir: string, b: Pgbackrest): string | undefined {
  if (!existsSync(dataDir)) return undefined;
  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    rmSync(dataDir, { recursive: true, force: true });
    return undefined;
  }
  const aside = join(dirname(b.repoDir), `before-restore-${new Date().toISOString().replace(/[-:.]/g, "")}`);
  renameSync(dataDir, aside);
  return aside;
}

/** Stops a data server the restore holds (its exit is not restarted) and waits for its exit. */
async function hold(server: DataServer, signal: NodeJS.Signals): Promise<void> {
  server.held = true;
  await server.restarting;
  if (server.down) return;
  server.proc.kill(signal);
  await Promise.race([server.proc.exited, sleep(60_000)]);
}

/** Starts a held data server again and keeps it running from then on. */
async function release(
  rt: Runtime,
  label: string,
  logFile: string,
  server: DataServer,
  start: () => Promise<SpawnedProcess>,
): Promise<void> {
  server.proc = await start();
  server.down = false;
  server.held = false;
  server.lastExit = undefined;
  keepRunning(rt, label, logFile, server, start);
  rt.persist();
}

/**
 * The Redis snapshot of each Redis of the spec that keeps data, taken at or before `at` (the newest
 * without it): what goes with PostgreSQL restored to that moment.
 */
export function redisSnapshotsAt(paths: EnvPaths, model: AppModel, at: Date | undefined) {
  return Object.values(model.redis).flatMap((spec) => {
    const snap = spec.persistence === "none" ? undefined : snapshotFor(paths, spec.name, at);
    return snap ? [{ name: spec.name, snap }] : [];
  });
}

/** Each Redis of the spec that keeps data goes back to its snapshot at or before `at`. */
async function restoreRedis(rt: Runtime, model: AppModel, at: Date | undefined, say: Say): Promise<void> {
  for (const { name, snap } of redisSnapshotsAt(rt.paths, model, at)) {
    const server = rt.redis[name];
    const start = redisStarter(rt, name);
    if (!server || !start) continue;
    say(`restoring Redis ${name} from its snapshot of ${snap.at}`);
    await hold(server, "SIGKILL"); // SIGTERM would save a dump over the one put back
    placeRedisSnapshot(rt.paths, snap, join(rt.paths.redis, name));
    await release(rt, `Redis ${name}`, `logs/redis-${name}.log`, server, start);
  }
}

/**
 * The restore the supervisor runs, under the command's lock: see the top of the file. Every step that
 * reads or writes the repository runs in the backup service's queue, one at a time with the backups.
 */
export async function restoreInPlace(rt: Runtime, target: RestoreTarget, say: Say): Promise<string> {
  const svc = backupsOf(rt);
  const pg = rt.pg;
  if (!svc?.b || !pg || !svc.startPg) throw new Error("this environment's PostgreSQL is not backed up");
  const { b, model } = svc;
  // Chosen once, before anything changes: a target nothing restores is refused with the data untouched.
  let resolved = await svc.run(() => resolveTarget(b, target));
  rt.proxy.maintenance.begin(RESTORE_RETRY_AFTER_S);
  say(`the proxy answers 503 (Retry-After: ${RESTORE_RETRY_AFTER_S}s) until the restore is done`);
  let kept: string | undefined;
  try {
    if (!pg.down) {
      // A commit after any target time: recovery to a time stops at the first commit past it, and an
      // idle database would have none in its WAL.
      await withClient({ port: pg.port, user: PG_USER, password: pg.password }, "postgres", (c) =>
        c.query("SELECT pg_current_xact_id()"),
      );
      say("keeping the current data: an incremental backup first");
      const backup = (await svc.backup("incr", "before-restore")).postgres;
      if (!backup) throw new Error("the backup of the current data made no PostgreSQL backup");
      kept = backup.id;
      say(`the current data is backup ${kept}`);
      // The newest state is that backup and the WAL after it: nothing older need be replayed.
      if (target.kind === "latest") resolved = { ...resolved, backup };
    }
    say("stopping PostgreSQL");
    await hold(pg, "SIGINT");
    const dataDir = postgresDataDir(rt.paths);
    // The data in a backup already is restored over (pgBackRest's delta: only the files that differ
    // are written); data that is in none is moved aside and kept.
    const delta = kept !== undefined && existsSync(join(dataDir, "PG_VERSION"));
    const aside = delta ? undefined : moveAside(dataDir, b);
    if (aside) say(`the damaged data directory is kept in ${aside}`);
    say(`restoring PostgreSQL from backup ${resolved.backup.id} (${describeTarget(target)})`);
    await svc.run(() => restoreInto(b, resolved, dataDir, { delta }));
    say("starting PostgreSQL: it replays the archived WAL up to the target");
    await release(rt, "PostgreSQL", "logs/postgres.log", pg, () => svc.startPg!(RECOVERY_TIMEOUT_MS));
    say("PostgreSQL is recovered and serves");
    // Until the new timeline's history file is in the archive (check switches the WAL and waits for
    // it), a restore or drill that follows would choose its backup without knowing of that timeline.
    // They choose theirs in the same queue, after this check: the restore need not wait for it. The
    // stanza first: restored from the offsite copy, the local repository may be empty.
    void svc
      .run(async () => {
        await ensureStanza(b);
        await pgbackrest(b, ["check"], 120_000);
      })
      .catch((e: unknown) => rt.log(`after the restore, pgbackrest check failed: ${(e as Error).message}`));
    // The newest state leaves Redis as it is (its own files are newer than any snapshot); a point in
    // the past takes it back to its snapshot of that moment, so both hold the same past.
    if (target.kind !== "latest") await restoreRedis(rt, model, resolved.at, say);
    return `restored (${describeTarget(target)})${kept ? `; the data from before is backup ${kept}` : ""}`;
  } catch (e) {
    // PostgreSQL stays down, held, until a restore that works: status says why.
    if (pg.held) {
      pg.down = true;
      pg.lastExit = `restore failed: ${(e as Error).message.split("\n")[0]}`;
      rt.persist();
    }
    throw new UserError(
      `the restore failed: ${(e as Error).message}`,
      kept
        ? `\`gantry restore --backup ${kept} --yes\` brings back the data from before; the PostgreSQL log is ${join(rt.paths.logs, "postgres.log")}`
        : `the PostgreSQL log is ${join(rt.paths.logs, "postgres.log")}; \`gantry backups\` lists what can be restored`,
    );
  } finally {
    rt.proxy.maintenance.end();
  }
}

export function describeTarget(t: RestoreTarget): string {
  return t.kind === "latest"
    ? "the newest backup and all the archived WAL"
    : t.kind === "time"
      ? `to ${t.at.toISOString()}`
      : `backup ${t.id}`;
}

/** The restore a command runs itself when no supervisor runs; the app is started by `gantry up`. */
export async function restoreOffline(
  paths: EnvPaths,
  b: Pgbackrest,
  target: RestoreTarget,
  say: Say,
): Promise<string> {
  const resolved = await resolveTarget(b, target);
  const dataDir = postgresDataDir(paths);
  const aside = moveAside(dataDir, b);
  if (aside) say(`the current data directory is kept in ${aside}`);
  say(`restoring PostgreSQL from backup ${resolved.backup.id} (${describeTarget(target)})`);
  await restoreInto(b, resolved, dataDir);
  // Redis: put back by the next start, which loads the dump.
  return `restored (${describeTarget(target)}); \`gantry up\` starts the app on it`;
}

/** A cluster restored into `dataDir` and recovered, running on `port` until `proc` is stopped. */
export interface ScratchCluster {
  proc: SpawnedProcess;
  port: number;
  dataDir: string;
}

/**
 * Restores a resolved target into a new directory and runs it on `port` with archiving off, until its
 * recovery has ended (the server answers once it is promoted: hot_standby is off).
 */
export async function recoverScratch(
  b: Pgbackrest,
  resolved: ResolvedTarget,
  dataDir: string,
  port: number,
  password: string,
  logFile: string,
): Promise<ScratchCluster> {
  await restoreInto(b, resolved, dataDir, { archiveOff: true });
  const chosen = choosePostgres(await postgresInstalls(b.baseEnv.PATH), dataDir, []);
  if (!chosen) throw new Error("PostgreSQL is not installed (no initdb/postgres found)");
  const proc = await startPostgres({
    binDir: chosen.install.binDir,
    major: chosen.install.major,
    dataDir,
    port,
    user: PG_USER,
    password,
    databases: [],
    logFile,
    env: { ...b.baseEnv, ...b.env },
    ...(b.runAs ? { runAs: b.runAs } : {}),
    settings: ["archive_mode=off", "hot_standby=off", "track_commit_timestamp=on"],
    readyTimeoutMs: RECOVERY_TIMEOUT_MS,
  });
  return { proc, port, dataDir };
}

/** Stops a scratch cluster (a fast shutdown, then a kill if it does not end in `graceMs`). */
export async function stopScratch(s: ScratchCluster, graceMs: number): Promise<void> {
  s.proc.kill("SIGINT");
  await Promise.race([s.proc.exited, sleep(graceMs)]);
  s.proc.kill("SIGKILL");
  await s.proc.exited;
}

/** Stops a scratch cluster and deletes it. */
export async function removeScratch(s: ScratchCluster): Promise<void> {
  await stopScratch(s, 20_000);
  rmSync(dirname(s.dataDir), { recursive: true, force: true });
}

/** A new directory for a scratch cluster, next to the repository (the data user can reach it). */
export function scratchDir(paths: EnvPaths, what: string): string {
  return join(backupRoot(paths), `${what}-${Date.now()}`, "data");
}
