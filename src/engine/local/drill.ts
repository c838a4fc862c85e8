// A recovery drill, as if the machine were lost now: the newest backup and every WAL segment archived
// so far are restored into a scratch cluster on a free port (archiving off: it never writes to the
// repository), its integrity is checked, the serving release is started against it until its
// readiness check passes, and the scratch cluster is removed.
// - RTO: from the start of the restore to the release answering healthy on the restored data.
// - RPO: the data a loss of the machine when the drill began would have lost, as time: from the
//   earliest commit the restore did not bring back to the drill's start (0 when none was lost). The
//   commits counted are the app's: the transactions whose rows (inserted or updated) the source's
//   tables hold, committed by the drill's start (commit timestamps: track_commit_timestamp is on in
//   every backed-up cluster) and not committed in the scratch cluster (pg_xact_status there).
//   PostgreSQL's own transactions (autovacuum analysing a catalog, Gantry's role and database checks
//   at each start) change no data of the app and are not counted, nor is a transaction that only
//   deleted rows (nothing of it is left to read). The source's newest commit and the newest recovered
//   one are reported with them. (The newest commit alone says little for an idle database: one commit
//   a second ago after an hour without any is not an hour lost.)
// - Integrity: pg_amcheck over every relation, and every table's row count and checksum (an md5 over
//   its rows in a fixed order) compared with the source at the recovery point: the source's rows whose
//   commit timestamp is at or before the newest recovered commit, read in one snapshot. Rows updated or
//   deleted on the source after that point no longer exist there, so such a table is reported as
//   changed, not as damaged.
// The report goes to `.gantry/<env>/drills/<time>.json`.
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import type pg from "pg";
import type { AppModel, ServiceModel } from "../../model/types.js";
import { exec } from "../../util/exec.js";
import { backupsOf } from "./backups.js";
import { splitCommand } from "./command.js";
import { readJson, writeJsonAtomic } from "./fsutil.js";
import { serviceEnv } from "./env.js";
import { Instance, sleep } from "./instance.js";
import type { EnvPaths } from "./paths.js";
import { drillsDir, resolveTarget } from "./pgbackrest.js";
import type { StartStep, UnsealStep } from "./plan.js";
import { freePort } from "./ports.js";
import { choosePostgres, postgresInstalls, withClient } from "./postgres.js";
import { releaseDir } from "./paths.js";
import { readRelease } from "./release.js";
import { recoverScratch, removeScratch, scratchDir, type Say, type ScratchCluster } from "./restore.js";
import { PG_APP_USER, PG_USER, type Runtime } from "./runtime.js";

export interface TableCheck {
  database: string;
  table: string;
  rows: number;
  checksum: string;
  source_rows: number;
  source_checksum: string;
  match: boolean;
}

export interface DrillReport {
  environment: string;
  started_at: string;
  ended_at: string;
  backup?: string;
  rto_seconds: number;
  rpo_seconds: number;
  rto_target_seconds: number;
  rpo_target_seconds: number;
  within_targets: boolean;
  source_newest_commit?: string;
  recovered_newest_commit?: string;
  /** Commits of the source when the drill began that the restore did not bring back, and the earliest. */
  lost_commits: number;
  earliest_lost_commit?: string;
  restore_seconds: number;
  verified: boolean;
  amcheck: { ok: boolean; output?: string };
  tables: TableCheck[];
  app?: { release: string; service: string; healthy: boolean; detail?: string };
  error?: string;
}

type Login = { port: number; password: string };

const withDb = <T>(l: Login, database: string, f: (c: pg.Client) => Promise<T>): Promise<T> =>
  withClient({ port: l.port, user: PG_USER, password: l.password }, database, f);

/**
 * Commit times are kept as microseconds since the epoch (a JavaScript Date has milliseconds, and a
 * commit 0.4 ms after the recovery point would be taken for one before it).
 */
const MICROS = (expr: string) => `(extract(epoch FROM ${expr}) * 1000000)::bigint::text`;
const AT = (param: string) => `(timestamptz 'epoch' + ${param}::bigint * interval '1 microsecond')`;
const micros = (v: string | null | undefined): bigint | undefined => (v ? BigInt(v) : undefined);
const ms = (m: bigint): number => Number(m / 1000n);

/** An ISO 8601 time with microseconds, which PostgreSQL reads back exactly. */
function isoMicros(m: bigint): string {
  return new Date(ms(m))
    .toISOString()
    .replace(/\.\d{3}Z$/, `.${(m % 1000000n).toString().padStart(6, "0")}Z`);
}

/** The next transaction id (xid8, as text): the transactions before it have begun. */
const nextXid = (c: pg.Client) =>
  c
    .query<{ x: string }>("SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS x")
    .then((r) => BigInt(r.rows[0]!.x));

/** Commits of the source read back a while before the newest recovered one: commit timestamps and WAL order may differ a little between concurrent transactions. */
const LOST_SEARCH_MARGIN_US = 60_000_000n;

/**
 * The transactions that wrote the rows a table holds, committed after `after` and by `until`, as
 * full transaction ids (xid8, given the next one: `xmin` has no epoch) with their commit times.
 */
async function writersOf(c: pg.Client, table: string, after: bigint, until: bigint, next: bigint) {
  const r = await c.query<{ x: string; ts: string }>(
    `SELECT DISTINCT t.xmin::text AS x, ${MICROS("pg_xact_commit_timestamp(t.xmin)")} AS ts FROM ${table} t
     WHERE pg_xact_commit_timestamp(t.xmin) > ${AT("$1")} AND pg_xact_commit_timestamp(t.xmin) <= ${AT("$2")}`,
    [after.toString(), until.toString()],
  );
  return r.rows.map((row) => {
    let x = (next & ~0xffffffffn) | BigInt(row.x);
    if (x >= next) x -= 0x100000000n;
    return { xid: x, ts: BigInt(row.ts) };
  });
}

/** Which of these transactions the scratch cluster has not committed (aborted there, or never seen). */
async function notCommitted(c: pg.Client, xids: bigint[]): Promise<Set<bigint>> {
  if (xids.length === 0) return new Set();
  const r = await c.query<{ x: string }>(
    `SELECT x::text AS x FROM unnest($1::xid8[]) x
     WHERE CASE WHEN x >= pg_snapshot_xmax(pg_current_snapshot()) THEN true
                ELSE coalesce(pg_xact_status(x), 'committed') <> 'committed' END`,
    [xids.map(String)],
  );
  return new Set(r.rows.map((row) => BigInt(row.x)));
}

const newestCommit = (c: pg.Client) =>
  c
    .query<{ t: string | null }>(`SELECT ${MICROS("(pg_last_committed_xact()).timestamp")} AS t`)
    .then((r) => micros(r.rows[0]?.t));

/** The user tables of the database the client is in, as quoted names. */
async function tables(c: pg.Client): Promise<string[]> {
  const r = await c.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
     ORDER BY 1`,
  );
  return r.rows.map((x) => x.name);
}

/** Row count, checksum and newest commit of a table; `upTo`: only rows committed by then (the source). */
async function tableSum(
  c: pg.Client,
  table: string,
  upTo?: bigint,
): Promise<{ rows: number; checksum: string; newest?: bigint }> {
  // Frozen rows and rows from before commit timestamps were on have none: they are older than any point.
  const where =
    upTo !== undefined ? `WHERE coalesce(pg_xact_commit_timestamp(t.xmin) <= ${AT("$1")}, true)` : "";
  const r = await c.query<{ rows: string; checksum: string | null; newest: string | null }>(
    `SELECT count(*) AS rows, md5(coalesce(string_agg(h, '' ORDER BY h), '')) AS checksum, ${MICROS("max(ts)")} AS newest
     FROM (SELECT md5(t::text) AS h, pg_xact_commit_timestamp(t.xmin) AS ts FROM ${table} t ${where}) x`,
    upTo !== undefined ? [upTo.toString()] : [],
  );
  const row = r.rows[0]!;
  return {
    rows: Number(row.rows),
    checksum: row.checksum ?? "",
    ...(row.newest ? { newest: BigInt(row.newest) } : {}),
  };
}

const databasesOf = (model: AppModel) => [
  ...new Set(Object.values(model.postgres).flatMap((p) => p.databases)),
];

/** pg_amcheck over every database of the scratch cluster (the amcheck extension is added there). */
async function amcheck(rt: Runtime, bin: string, l: Login): Promise<{ ok: boolean; output?: string }> {
  const r = await exec(
    join(bin, "pg_amcheck"),
    ["-h", "127.0.0.1", "-p", String(l.port), "-U", PG_USER, "--all", "--install-missing", "--no-password"],
    { env: { ...rt.o.baseEnv, PGPASSWORD: l.password }, timeoutMs: 30 * 60_000 },
  );
  const output = `${r.stdout}${r.stderr}`.trim().split("\n").slice(-10).join("\n");
  return r.code === 0 ? { ok: true } : { ok: false, output: output || `exit ${r.code}` };
}

/** Starts the serving release's first HTTP service against the scratch cluster and waits for its readiness. */
async function appHealthy(
  rt: Runtime,
  scratch: ScratchCluster,
  appPassword: string,
): Promise<DrillReport["app"]> {
  const id = rt.serving;
  const rec = id ? readRelease(rt.paths, id) : undefined;
  const startStep = rec?.plan?.steps.find((s): s is StartStep => s.kind === "start");
  const spec = startStep?.services.find((s) => s.port);
  if (!rec || !spec) return undefined;
  const unseal = rec.plan?.steps.find((s): s is UnsealStep => s.kind === "unseal");
  const secrets: Record<string, string> = {};
  for (const { name } of unseal?.secrets ?? []) {
    const v = rt.store.get(name, rec.secrets[name]);
    if (v !== undefined) secrets[name] = v;
  }
  const port = await freePort();
  const infra = rt.infra();
  const env = serviceEnv({
    model: rec.model,
    service: rec.model.services[spec.service] as ServiceModel,
    infra: { ...infra, postgres: { port: scratch.port, user: PG_APP_USER, password: appPassword } },
    release: rec.id,
    instance: `${spec.service}-drill`,
    port,
    secrets,
    base: rt.o.baseEnv,
  });
  const host = { persist: () => undefined, writeLog: rt.writeLog.bind(rt), log: (m: string) => rt.log(m) };
  const inst = new Instance(
    `${spec.service}-drill`,
    spec.service,
    rec.id,
    port,
    splitCommand(spec.command, { PORT: String(port) }),
    join(releaseDir(rt.paths, rec.id), "app", spec.cwd),
    env,
    spec,
    host,
  );
  await inst.start();
  const deadline = Date.now() + spec.startupTimeoutMs;
  while (!inst.ready && inst.status !== "failed" && Date.now() < deadline) await sleep(100);
  const healthy = inst.ready;
  await inst.stop(0, 5000);
  return {
    release: rec.id,
    service: spec.service,
    healthy,
    ...(healthy ? {} : { detail: `${inst.checkName()} ${inst.lastCheck}` }),
  };
}

const sec = (ms: number) => Math.round(ms / 10) / 100;

/**
 * The restored cluster against the source: the newest recovered commit, the commits lost, each table's
 * rows and checksum against the source at that point, and pg_amcheck.
 */
async function checkIntegrity(
  rt: Runtime,
  report: DrillReport,
  at: { source: Login; sourceNewest?: bigint; startedAt: Date },
  scratch: ScratchCluster,
  model: AppModel,
): Promise<void> {
  const { source, sourceNewest, startedAt } = at;
  const scratchLogin: Login = { port: scratch.port, password: source.password };
  let recovered = await withDb(scratchLogin, "postgres", newestCommit);
  const sums: Omit<TableCheck, "source_rows" | "source_checksum" | "match">[] = [];
  for (const db of databasesOf(model))
    await withDb(scratchLogin, db, async (c) => {
      for (const table of await tables(c)) {
        const s = await tableSum(c, table);
        if (s.newest !== undefined && (recovered === undefined || s.newest > recovered)) recovered = s.newest;
        sums.push({ database: db, table, rows: s.rows, checksum: s.checksum });
      }
    });
  if (recovered !== undefined) report.recovered_newest_commit = isoMicros(recovered);
  const until = sourceNewest ?? BigInt(startedAt.getTime()) * 1000n;
  const after = recovered === undefined ? 0n : recovered - LOST_SEARCH_MARGIN_US;
  /** The app's commits of the source near or after the recovery point: transaction id to commit time. */
  const written = new Map<bigint, bigint>();
  for (const db of databasesOf(model))
    await withDb(source, db, async (c) => {
      await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const next = await nextXid(c);
      for (const s of sums.filter((x) => x.database === db)) {
        const src = await tableSum(c, s.table, recovered ?? 0n);
        report.tables.push({
          ...s,
          source_rows: src.rows,
          source_checksum: src.checksum,
          match: src.rows === s.rows && src.checksum === s.checksum,
        });
      }
      for (const table of await tables(c))
        for (const w of await writersOf(c, table, after, until, next)) written.set(w.xid, w.ts);
      await c.query("COMMIT");
    });
  const lost = await withDb(scratchLogin, "postgres", (c) => notCommitted(c, [...written.keys()]));
  const first = [...lost].map((x) => written.get(x)!).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[0];
  report.lost_commits = lost.size;
  if (first !== undefined) report.earliest_lost_commit = isoMicros(first);
  report.rpo_seconds = first !== undefined ? Math.max(0, sec(startedAt.getTime() - ms(first))) : 0;
  const chosen = choosePostgres(await postgresInstalls(rt.o.baseEnv.PATH), scratch.dataDir, []);
  report.amcheck = chosen
    ? await amcheck(rt, chosen.install.binDir, scratchLogin)
    : { ok: false, output: "PostgreSQL's pg_amcheck was not found" };
}

/** Runs a drill of the supervisor's environment; records and returns its report. */
export async function runDrill(rt: Runtime, say: Say): Promise<DrillReport> {
  const svc = backupsOf(rt);
  if (!svc?.b || !rt.pg) throw new Error("this environment's PostgreSQL is not backed up");
  const { b, model } = svc;
  const source: Login = { port: rt.pg.port, password: rt.pg.password };
  const startedAt = new Date();
  const sourceNewest = await withDb(source, "postgres", newestCommit);
  // In the backups' queue: after a restore's check has put its new timeline in the archive.
  const resolved = await svc.run(() => resolveTarget(b, { kind: "latest" }));
  const backup = resolved.backup.id;
  const port = await freePort();
  const dir = scratchDir(rt.paths, "drill");
  say(`restoring backup ${backup} and the archived WAL into a scratch cluster on port ${port}`);
  const t0 = Date.now();
  let scratch: ScratchCluster | undefined;
  const report: DrillReport = {
    environment: model.environment.name,
    started_at: startedAt.toISOString(),
    ended_at: "",
    backup,
    rto_seconds: 0,
    rpo_seconds: 0,
    rto_target_seconds: model.recovery.rto_seconds,
    rpo_target_seconds: model.recovery.rpo_seconds,
    within_targets: false,
    lost_commits: 0,
    ...(sourceNewest !== undefined ? { source_newest_commit: isoMicros(sourceNewest) } : {}),
    restore_seconds: 0,
    verified: false,
    amcheck: { ok: false },
    tables: [],
  };
  try {
    scratch = await svc.run(() =>
      recoverScratch(b, resolved, dir, port, source.password, join(rt.paths.logs, "drill-postgres.log")),
    );
    report.restore_seconds = sec(Date.now() - t0);
    say(
      `restored and recovered in ${report.restore_seconds}s; checking integrity: pg_amcheck, and every table against the source`,
    );
    // Checked before the release starts on it: the app would write to it.
    await checkIntegrity(rt, report, { source, sourceNewest, startedAt }, scratch, model);
    say("starting the serving release against it");
    const t1 = Date.now();
    report.app = await appHealthy(rt, scratch, rt.pg.appPassword);
    // RTO: the restore and the release starting on it; the checks in between are the drill's own.
    report.rto_seconds = sec(Date.now() - t1 + report.restore_seconds * 1000);
    report.verified =
      report.amcheck.ok && report.tables.every((t) => t.match) && report.app?.healthy !== false;
  } catch (e) {
    report.error = (e as Error).message;
  } finally {
    if (scratch) await removeScratch(scratch);
    else rmSync(dirname(dir), { recursive: true, force: true });
  }
  report.ended_at = new Date().toISOString();
  report.within_targets =
    report.error === undefined &&
    report.rto_seconds <= report.rto_target_seconds &&
    report.rpo_seconds <= report.rpo_target_seconds;
  recordDrill(rt.paths, report);
  say(
    `drill ${report.verified && report.within_targets ? "passed" : "failed"}: RTO ${report.rto_seconds}s, RPO ${report.rpo_seconds}s`,
  );
  return report;
}

function recordDrill(p: EnvPaths, r: DrillReport): void {
  mkdirSync(drillsDir(p), { recursive: true });
  writeJsonAtomic(join(drillsDir(p), `${r.started_at.replace(/[-:.]/g, "")}.json`), r);
}

/** The newest drill's report, if any ran. */
export function lastDrill(p: EnvPaths): DrillReport | undefined {
  let files: string[] = [];
  try {
    files = readdirSync(drillsDir(p)).filter((f) => f.endsWith(".json"));
  } catch {
    return undefined;
  }
  const newest = files.sort().at(-1);
  return newest ? readJson<DrillReport>(join(drillsDir(p), newest)) : undefined;
}
