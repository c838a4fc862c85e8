// The supervisor's side of backups: PostgreSQL's WAL is archived by the server itself (archive_command,
// see backup-config.ts); here the stanza is made on the first start, a first full backup is taken as
// soon as there is none, base backups and Redis snapshots are taken on `recovery.base_backup`'s
// schedule, and one backup runs at a time (`gantry backup`, the scheduled ones, the one before a
// restore or a migration), each logged.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { AppModel } from "../../model/types.js";
import { archiveTimeoutSeconds } from "./backup-config.js";
import type { SpawnedProcess } from "../../util/exec.js";
import { nextRun } from "./cron-next.js";
import { WaitsForRestore } from "./data-restart.js";
import { readJson, writeJsonAtomic } from "./fsutil.js";
import { recoveryFile, type RecoveryStatus } from "./recovery-status.js";
import {
  backedUp,
  ensureStanza,
  hasRepository,
  listBackups,
  openPgbackrest,
  serverSettings,
  takeBackup,
  type BackupInfo,
  type BackupKind,
  type Pgbackrest,
} from "./pgbackrest.js";
import { withClient } from "./postgres.js";
import { snapshotRedis, type RedisSnapshot } from "./redis-snapshots.js";
import { PG_USER, type Runtime } from "./runtime.js";

/** What a backup made: PostgreSQL's backup (its label, and what `backups` lists of it) and the Redis snapshots taken with it. */
export interface BackupResult {
  id?: string;
  /** The same moment's backup in the offsite repository (`recovery.offsite`). */
  offsiteId?: string;
  postgres?: BackupInfo;
  redis: RedisSnapshot[];
}

/** The backups of one running environment. */
export class BackupService {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** A scheduled drill (drill.ts, which needs this service: given after construction). */
  drill?: () => Promise<unknown>;
  private walTimer?: NodeJS.Timeout;
  /** Stops a backup in progress when the supervisor stops (pgBackRest would go on, orphaned). */
  private readonly stopping = new AbortController();
  /** The last backup that succeeded and the last failure, for `status`. */
  last?: { at: string; id?: string; reason: string };
  lastError?: string;

  constructor(
    readonly rt: Runtime,
    readonly b: Pgbackrest | undefined,
    readonly model: AppModel,
    /** Starts PostgreSQL again (a restore stops it). */
    readonly startPg: ((readyTimeoutMs?: number) => Promise<SpawnedProcess>) | undefined,
  ) {}

  /** One at a time, in the order asked. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** A PostgreSQL backup and the Redis snapshots, now. */
  backup(kind: BackupKind, reason: string): Promise<BackupResult> {
    return this.run(async () => {
      try {
        const postgres =
          this.b && this.rt.pg ? await takeBackup(this.b, kind, reason, this.stopping.signal) : undefined;
        const { id, offsiteId } = postgres ?? {};
        const redis = await snapshotRedis(this.rt, this.model, reason);
        this.last = { at: new Date().toISOString(), ...(id ? { id } : {}), reason };
        this.lastError = undefined;
        this.record();
        this.rt.log(
          `backup (${reason}) done${id ? `: PostgreSQL ${id}` : ""}${offsiteId ? ` (offsite ${offsiteId})` : ""}${redis.length > 0 ? `, Redis ${redis.map((r) => r.name).join(", ")}` : ""}`,
        );
        return {
          ...(postgres ? { id: postgres.id, postgres } : {}),
          ...(offsiteId ? { offsiteId } : {}),
          redis,
        };
      } catch (e) {
        this.lastError = (e as Error).message;
        this.record();
        this.rt.log(`backup (${reason}) failed: ${this.lastError}`);
        throw e;
      }
    });
  }

  /** The last backup and the last failure, for `gantry status` (recovery-status.ts). */
  private record(): void {
    writeJsonAtomic(recoveryFile(this.rt.paths), {
      ...(this.last ? { lastBackup: this.last } : {}),
      ...(this.lastError ? { lastError: this.rt.redact(this.lastError) } : {}),
    });
  }

  /** After PostgreSQL started: the stanza, a first full backup when there is none, the schedule. */
  async begin(): Promise<void> {
    if (this.b) {
      this.switchWal();
      await ensureStanza(this.b);
      if ((await listBackups(this.b)).length === 0) void this.backup("full", "first").catch(() => undefined);
    }
    this.schedule();
  }

  /** Base backups on recovery.base_backup, and drills on recovery.drill (runDrill is given by the supervisor). */
  private schedule(): void {
    this.every("base", this.model.recovery.base_backup, () => this.backup("full", "scheduled"));
    const drill = this.model.recovery.drill;
    if (drill && this.b && this.drill) {
      const run = this.drill;
      this.every("drill", drill, run);
    }
  }

  /** Runs `work` at each time `expr` names, one after the other. */
  private every(name: string, expr: string, work: () => Promise<unknown>): void {
    const next = nextRun(expr, new Date());
    if (!next || this.rt.stopping) return;
    // Timers are capped at a minute and re-armed: a far-away run and a clock change are both seen.
    const wait = Math.min(60_000, Math.max(0, next.getTime() - Date.now()));
    const timer = setTimeout(() => {
      if (Date.now() + 500 >= next.getTime())
        void work()
          .catch((e: unknown) => this.rt.log(`scheduled ${name} failed: ${(e as Error).message}`))
          .finally(() => this.every(name, expr, work));
      else this.every(name, expr, work);
    }, wait);
    timer.unref();
    this.timers.set(name, timer);
  }

  /**
   * Switches the WAL segment every archive_timeout too, so that it is archived: the server's own
   * archive_timeout was seen not to switch for minutes after a promotion (a restore) on PostgreSQL 15,
   * while the spread checkpoint that follows runs. pg_switch_wal() does nothing when no WAL was written
   * since the last switch.
   */
  private switchWal(): void {
    const every = archiveTimeoutSeconds(this.model) * 1000;
    this.walTimer = setInterval(() => {
      const server = this.rt.pg;
      if (!server || server.down || server.held) return;
      void withClient(
        { port: server.port, user: PG_USER, password: server.password },
        "postgres",
        (c) => c.query("SELECT pg_switch_wal()"),
        2000,
      ).catch(() => undefined);
    }, every);
    this.walTimer.unref();
  }

  /** No more scheduled backups; the one in progress is stopped, and waited for (at most 10 s). */
  async stop(): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    clearInterval(this.walTimer);
    this.stopping.abort();
    await Promise.race([this.chain, new Promise((r) => setTimeout(r, 10_000).unref())]);
  }
}

const services = new WeakMap<Runtime, BackupService>();
const redisStarts = new WeakMap<Runtime, Map<string, () => Promise<SpawnedProcess>>>();

/** How provision starts a Redis, for a restore that stops it to put a snapshot back. */
export function registerRedisStart(rt: Runtime, name: string, start: () => Promise<SpawnedProcess>): void {
  const m = redisStarts.get(rt) ?? new Map<string, () => Promise<SpawnedProcess>>();
  m.set(name, start);
  redisStarts.set(rt, m);
}

export const redisStarter = (rt: Runtime, name: string) => redisStarts.get(rt)?.get(name);

export const backupsOf = (rt: Runtime): BackupService | undefined => services.get(rt);

export function setBackups(rt: Runtime, s: BackupService): void {
  void services.get(rt)?.stop();
  services.set(rt, s);
}

/**
 * What PostgreSQL is started with when its environment is backed up: the archive settings and the
 * variables its archive_command needs; and the refusal to make an empty cluster where a backup could
 * bring the data back (the data directory was deleted).
 */
export function pgBackupSetup(
  rt: Runtime,
  port: number,
  password: string,
  dataDir: string,
): { b: Pgbackrest; settings: string[]; env: Record<string, string>; guard: () => void } | undefined {
  const model = rt.model;
  if (!model || !backedUp(model)) return undefined;
  const b = openPgbackrest({
    paths: rt.paths,
    model,
    store: rt.store,
    baseEnv: rt.o.baseEnv,
    port,
    pgPassword: password,
  });
  rt.addSecretValues({
    backup_cipher: b.env.PGBACKREST_REPO1_CIPHER_PASS!,
    // The offsite key pair may come from the environment rather than the (already redacted) store.
    ...(b.env.PGBACKREST_REPO2_S3_KEY ? { backup_s3_key: b.env.PGBACKREST_REPO2_S3_KEY } : {}),
    ...(b.env.PGBACKREST_REPO2_S3_KEY_SECRET
      ? { backup_s3_secret: b.env.PGBACKREST_REPO2_S3_KEY_SECRET }
      : {}),
  });
  // The server's archive_command needs no password: it only writes to the repository.
  const env = Object.fromEntries(Object.entries(b.env).filter(([k]) => k !== "PGPASSWORD"));
  return {
    b,
    settings: serverSettings(b),
    env,
    guard: () => {
      if (existsSync(join(dataDir, "PG_VERSION"))) return;
      if (hasRepository(rt.paths, model))
        throw new WaitsForRestore(
          `the data directory ${dataDir} is gone, and backups of it exist: \`gantry restore\` brings it back`,
        );
      // The local repository lost with it: the offsite one holds the backups this environment took.
      if (model.recovery.offsite && readJson<RecoveryStatus>(recoveryFile(rt.paths))?.lastBackup)
        throw new WaitsForRestore(
          `the data directory ${dataDir} and the local backups are gone, and the offsite repository (recovery.offsite) holds backups of it: \`gantry restore\` brings it back`,
        );
    },
  };
}
