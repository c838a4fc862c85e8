// `gantry backup`, `backups`, `restore` and `drill`: thin commands over the supervisor's recovery tasks
// (src/engine/local/recovery-tasks.ts) and, when no supervisor runs, the repository itself.
import type { Command } from "commander";
import { UserError } from "../errors.js";
import { humanBytes } from "../util/bytes.js";
import { liveState, requestTask } from "../engine/local/client.js";
import type { DrillReport } from "../engine/local/drill.js";
import type { EnvPaths } from "../engine/local/paths.js";
import {
  listBackups,
  newestArchived,
  openPgbackrest,
  type BackupInfo,
  type Pgbackrest,
  type RestoreTarget,
} from "../engine/local/pgbackrest.js";
import { listRedisSnapshots } from "../engine/local/redis-snapshots.js";
import { describeTarget, restoreOffline } from "../engine/local/restore.js";
import { restoreIntoNewEnv } from "../engine/local/restore-into.js";
import { readState } from "../engine/local/state.js";
import { table } from "./format.js";
import { confirmDataChange } from "./confirm.js";
import { appArguments, localApp, locked, progress, store, type LocalApp } from "./local-app.js";
import type { Io } from "./main.js";

/** pgBackRest for the command's environment (the repository is read; the server need not run). */
function repository(t: LocalApp): Pgbackrest {
  return openPgbackrest({
    paths: t.paths,
    model: t.model,
    store: store(t.paths),
    baseEnv: process.env as Record<string, string>,
    port: readState(t.paths)?.postgres?.port ?? 5432,
  });
}

function notRunning(paths: EnvPaths, what: string): never {
  throw new UserError(
    `${paths.env} is not running: ${what} needs its PostgreSQL`,
    "start it with `gantry up`",
  );
}

async function backup(path: string, opts: { env?: string }, io: Io): Promise<void> {
  const t = localApp(path, opts.env, io);
  if (!(await liveState(t.paths))) notRunning(t.paths, "a backup");
  const done = await requestTask(t.paths, { task: "backup" }, progress(io));
  io.out(`${done.message}\n`);
}

/** What `backups` calls each pgBackRest repository (pgbackrest.ts reposOf). */
const REPO_NAMES: Record<number, string> = { 1: "local", 2: "offsite" };

/**
 * Each backup with the window it restores: from its end to the newest archived WAL. A backup waits for
 * its last segment to be archived and then writes its manifest, so it may end after the newest
 * segment's time: its window is then its end alone.
 */
export function rowsOf(list: BackupInfo[], archivedUntil: string | undefined) {
  return list.map((b) => ({
    ...b,
    recoverable: {
      from: b.endedAt,
      until: archivedUntil && archivedUntil > b.endedAt ? archivedUntil : b.endedAt,
    },
  }));
}

async function backups(path: string, opts: { env?: string; json?: boolean }, io: Io): Promise<void> {
  const t = localApp(path, opts.env, io);
  const b = repository(t);
  // No stanza yet (never started with backups on): nothing to list.
  const pgList = await listBackups(b).catch((e: unknown) => {
    if (/stanza|missing|does not exist/i.test((e as Error).message)) return [];
    throw e;
  });
  const rows = rowsOf(pgList, newestArchived(b));
  const redis = Object.fromEntries(
    Object.keys(t.model.redis).map((n) => [n, listRedisSnapshots(t.paths, n)]),
  );
  if (opts.json) {
    io.out(`${JSON.stringify({ environment: t.paths.env, postgres: rows, redis }, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) io.out(`${t.paths.env}: no PostgreSQL backups yet; \`gantry backup\` takes one\n`);
  else
    io.out(
      table([
        [
          "BACKUP",
          "WHERE",
          "KIND",
          "REASON",
          "TAKEN",
          "SIZE",
          "STORED",
          "RECOVERABLE FROM",
          "UNTIL (ARCHIVED WAL)",
        ],
        ...rows.map((r) => [
          r.id,
          r.repos.map((n) => REPO_NAMES[n] ?? `repo${n}`).join("+"),
          r.kind,
          r.reason ?? "-",
          r.endedAt,
          humanBytes(r.sizeBytes),
          humanBytes(r.repoBytes),
          r.recoverable.from,
          r.recoverable.until,
        ]),
      ]),
    );
  for (const [name, snaps] of Object.entries(redis))
    if (snaps.length > 0)
      io.out(
        `redis ${name}: ${snaps.length} snapshot${snaps.length === 1 ? "" : "s"}, newest ${snaps.at(-1)!.at}\n`,
      );
}

/** The target of `restore`: --to TIME, --backup ID, or neither (the newest state). */
function targetOf(opts: { to?: string; backup?: string }): RestoreTarget {
  if (opts.to && opts.backup)
    throw new UserError("--to and --backup are two different targets", "give one of them");
  if (opts.backup) return { kind: "backup", id: opts.backup };
  if (!opts.to) return { kind: "latest" };
  // A time without a zone is UTC, as every time Gantry prints is.
  const text = /(Z|[+-]\d\d:?\d\d)$/.test(opts.to.trim()) ? opts.to : `${opts.to}Z`;
  const at = new Date(text.replace(" ", "T"));
  if (Number.isNaN(at.getTime()))
    throw new UserError(
      `--to ${JSON.stringify(opts.to)} is not a time`,
      "give an ISO 8601 time such as 2026-12-07T10:15:00Z (UTC when no zone is given)",
    );
  if (at.getTime() > Date.now())
    throw new UserError(`--to ${at.toISOString()} is in the future`, "give a time in the past");
  return { kind: "time", at };
}

interface RestoreOptions {
  env?: string;
  to?: string;
  backup?: string;
  into?: string;
  yes?: boolean;
}

async function restore(path: string, opts: RestoreOptions, io: Io): Promise<void> {
  const t = localApp(path, opts.env, io);
  const target = targetOf(opts);
  if (opts.into) {
    const message = await restoreIntoNewEnv(t, opts.into, target, progress(io), repository(t), {
      env: process.env,
      openStore: store,
    });
    io.out(`${message}\n`);
    return;
  }
  await confirmDataChange(
    {
      yes: opts.yes === true,
      change: `a restore replaces the data of ${t.paths.env}`,
      question: `replace the data of ${t.paths.env} with ${describeTarget(target)}?`,
      doing: "restore",
      nothing: "restored",
    },
    io,
  );
  await locked(t.paths, "restore", io, async () => {
    const p = progress(io);
    if (await liveState(t.paths)) {
      const done = await requestTask(t.paths, { task: "restore", target: wire(target) }, p);
      io.out(`${done.message}\n`);
    } else io.out(`${await restoreOffline(t.paths, repository(t), target, p)}\n`);
  });
}

const wire = (t: RestoreTarget) =>
  t.kind === "time" ? { kind: "time" as const, at: t.at.toISOString() } : t;

export function formatDrill(r: DrillReport): string {
  const ok = (b: boolean) => (b ? "ok" : "FAILED");
  const lines = [
    `drill of ${r.environment} at ${r.started_at} (backup ${r.backup ?? "-"})`,
    `  RTO ${r.rto_seconds}s (target ${r.rto_target_seconds}s), restore ${r.restore_seconds}s`,
    `  RPO ${r.rpo_seconds}s (target ${r.rpo_target_seconds}s): ${r.lost_commits} commit${r.lost_commits === 1 ? "" : "s"} not recovered${r.earliest_lost_commit ? `, the earliest of ${r.earliest_lost_commit}` : ""}; source's newest commit ${r.source_newest_commit ?? "-"}, newest recovered ${r.recovered_newest_commit ?? "-"}`,
    `  pg_amcheck ${ok(r.amcheck.ok)}${r.amcheck.output ? `: ${r.amcheck.output}` : ""}`,
    `  tables ${r.tables.filter((x) => x.match).length}/${r.tables.length} match the source at the recovery point`,
    ...r.tables
      .filter((x) => !x.match)
      .map((x) => `    ${x.database} ${x.table}: ${x.rows} rows, source ${x.source_rows}`),
    ...(r.app
      ? [
          `  ${r.app.release} (${r.app.service}) on the restored data: ${r.app.healthy ? "healthy" : `not healthy (${r.app.detail ?? "?"})`}`,
        ]
      : []),
    ...(r.error ? [`  error: ${r.error}`] : []),
    `  ${r.verified && r.within_targets ? "passed" : "FAILED"}`,
  ];
  return `${lines.join("\n")}\n`;
}

async function drill(path: string, opts: { env?: string; json?: boolean }, io: Io, cmd: Command) {
  const t = localApp(path, opts.env, io);
  if (!(await liveState(t.paths))) notRunning(t.paths, "a drill");
  const done = await requestTask(t.paths, { task: "drill" }, progress(io));
  const report = done.result as DrillReport;
  io.out(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatDrill(report));
  if (!report.verified || !report.within_targets) cmd.parent?.setOptionValue("exitCode", 1);
}

export function registerBackup(program: Command, io: Io): void {
  appArguments(
    program
      .command("backup")
      .description("Take a full backup of PostgreSQL (pgBackRest) and a snapshot of each Redis now."),
  ).action((path: string, opts: { env?: string }) => backup(path, opts, io));
  appArguments(
    program
      .command("backups")
      .description("List the backups: time, kind, size, and the window each can restore to."),
  )
    .option("--json", "print them as JSON")
    .action((path: string, opts: { env?: string; json?: boolean }) => backups(path, opts, io));
  appArguments(
    program
      .command("restore")
      .description(
        "Restore PostgreSQL and Redis: to the newest state (default), a point in time, or one backup; in place (the proxy answers 503 meanwhile, the current data kept as a backup first) or into a new environment.",
      ),
  )
    .option("--to <time>", "restore up to this time (ISO 8601; UTC when no zone is given)")
    .option("--backup <id>", "restore this backup (see `gantry backups`)")
    .option(
      "--into <env>",
      "restore into a new environment running the same release; the live one is untouched",
    )
    .option("-y, --yes", "do not ask for confirmation")
    .action((path: string, opts: RestoreOptions) => restore(path, opts, io));
  const drillCmd = appArguments(
    program
      .command("drill")
      .description(
        "Restore the newest backup and WAL into a scratch cluster, check its integrity, start the serving release on it, measure RTO and RPO; exit 1 when over the spec's targets.",
      ),
  ).option("--json", "print the report as JSON");
  drillCmd.action((path: string, opts: { env?: string; json?: boolean }) => drill(path, opts, io, drillCmd));
}
