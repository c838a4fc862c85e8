// PostgreSQL for one app environment, from the machine's own installation, with its cluster under
// `.gantry/<env>/postgres/` (see infra.ts for the user it runs as and its private directory). Apps get
// a role of their own that owns their databases, never the superuser Gantry logs in as.
import {
  chownSync,
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import pg from "pg";
import { UserError } from "../../errors.js";
import { exec, spawnProcess, type SpawnedProcess } from "../../util/exec.js";
import { findOnPath, privateDir, waitFor, type RunAs } from "./infra.js";

/** A PostgreSQL installation: the directory with its `initdb` and `postgres`, and its major version. */
export interface PostgresInstall {
  binDir: string;
  major: number;
}

/** Homebrew's opt/ directories (Apple silicon, Intel, Linux), where keg-only formulae live off PATH. */
export const HOMEBREW_OPT = ["/opt/homebrew/opt", "/usr/local/opt", "/home/linuxbrew/.linuxbrew/opt"];

/**
 * The PostgreSQL installations on this machine, each once, in the order they are preferred:
 * `pg_config --bindir`, then `<libRoot>/<major>/bin` newest first (Debian and Ubuntu keep every
 * installed major there), then `initdb` on PATH, then Homebrew's keg-only `postgresql@<major>`
 * formulae (not linked onto PATH), newest first.
 */
export async function postgresInstalls(
  pathEnv: string | undefined,
  libRoot = "/usr/lib/postgresql",
  brewOpt = HOMEBREW_OPT,
): Promise<PostgresInstall[]> {
  // With the major when the path tells it (Debian's, as pg_config reports it there too).
  const candidates: { dir: string; major?: number }[] = [];
  const pgConfig = findOnPath("pg_config", pathEnv);
  if (pgConfig) {
    const r = await exec(pgConfig, ["--bindir"], { timeoutMs: 5000 }).catch(() => undefined);
    const dir = r?.code === 0 ? r.stdout.trim() : "";
    if (dir) candidates.push({ dir, major: Number(/postgresql\/(\d+)\/bin$/.exec(dir)?.[1]) || undefined });
  }
  if (existsSync(libRoot)) {
    const versions = readdirSync(libRoot)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => ({ dir: join(libRoot, v, "bin"), major: Number(v) })));
  }
  const onPath = findOnPath("initdb", pathEnv);
  if (onPath) candidates.push({ dir: dirname(onPath) });
  for (const opt of brewOpt) {
    if (!existsSync(opt)) continue;
    const kegs = readdirSync(opt)
      .map((k) => ({ k, major: Number(/^postgresql@(\d+)$/.exec(k)?.[1]) }))
      .filter((x) => x.major > 0)
      .sort((a, b) => b.major - a.major);
    candidates.push(...kegs.map(({ k, major }) => ({ dir: join(opt, k, "bin"), major })));
  }
  const installs: PostgresInstall[] = [];
  const seen = new Set<string>();
  for (const { dir, major: known } of candidates) {
    if (!existsSync(join(dir, "initdb")) || !existsSync(join(dir, "postgres"))) continue;
    // Debian links its binaries into /usr/local/bin and pg_config names its directory: one install.
    const real = realpathSync(join(dir, "postgres"));
    if (seen.has(real)) continue;
    seen.add(real);
    let major = known;
    if (!major) {
      // Elsewhere (Homebrew, a build in /usr/local) postgres says it.
      const r = await exec(join(dir, "postgres"), ["--version"], { timeoutMs: 5000 }).catch(() => undefined);
      major = Number(/\(PostgreSQL\) (\d+)/.exec(r?.stdout ?? "")?.[1]) || undefined;
    }
    if (major) installs.push({ binDir: dir, major });
  }
  return installs;
}

/** The preferred PostgreSQL installation's bin directory, or undefined when none is installed. */
export async function findPostgresBin(pathEnv: string | undefined): Promise<string | undefined> {
  return (await postgresInstalls(pathEnv))[0]?.binDir;
}

/**
 * The installation to run a cluster with. A cluster made before can only be run by its own major
 * version (PG_VERSION in its directory): when that one is not installed (the machine was upgraded to
 * a newer PostgreSQL) this is a user error with the ways out, rather than a server that exits at once.
 * A new cluster gets the major the spec asks for when installed, else the preferred one, with a note.
 */
export function choosePostgres(
  installs: PostgresInstall[],
  dataDir: string,
  wanted: number[],
): { install: PostgresInstall; note?: string } | undefined {
  if (installs.length === 0) return undefined;
  const have = [...new Set(installs.map((i) => i.major))].join(", ");
  let made: number | undefined;
  try {
    made = Number(readFileSync(join(dataDir, "PG_VERSION"), "utf8").trim()) || undefined;
  } catch {
    made = undefined; // no cluster yet
  }
  if (made !== undefined) {
    const install = installs.find((i) => i.major === made);
    if (install) return { install };
    throw new UserError(
      `the PostgreSQL data in ${dataDir} was made by PostgreSQL ${made}, and this machine has PostgreSQL ${have}, which cannot run it`,
      `install PostgreSQL ${made} next to it (\`sudo apt-get install -y postgresql-${made}\`), or move the data to the newer version with pg_upgrade or pg_dump and pg_restore; \`gantry destroy\` starts over and deletes the data`,
    );
  }
  const install = installs.find((i) => wanted.includes(i.major)) ?? installs[0]!;
  if (wanted.length === 0 || wanted.includes(install.major)) return { install };
  return {
    install,
    note: `the spec asks for PostgreSQL ${wanted.join(" or ")}; this machine has ${have}, so the cluster is made with PostgreSQL ${install.major}`,
  };
}

export interface PostgresOptions {
  binDir: string;
  dataDir: string;
  port: number;
  user: string;
  password: string;
  databases: string[];
  logFile: string;
  runAs?: RunAs;
  env: NodeJS.ProcessEnv;
  /** The role apps connect as (see ensureDatabases). */
  app?: { user: string; password: string };
  /** More server settings (`name=value`): WAL archiving when the environment is backed up (backup-config.ts). */
  settings?: string[];
  /** How long the server may take to accept connections: a restored cluster replays its WAL first. */
  readyTimeoutMs?: number;
  /** The installation's major version (postgresInstalls), for the settings that depend on it. */
  major?: number;
}

/**
 * How a server started after a crash or from a restored backup makes its data directory durable before
 * it replays WAL: file by file (fsync, the default) took 3 of the 4 s a restored 0.2 GB cluster needed
 * to start (bench/recovery); one syncfs() of the file system does the same. Linux only, from
 * PostgreSQL 14 (the recovery_init_sync_method reference), where a value it lacks would stop the server.
 */
export function syncSettings(major: number | undefined, platform = process.platform): string[] {
  return platform === "linux" && major !== undefined && major >= 14
    ? ["recovery_init_sync_method=syncfs"]
    : [];
}

export async function startPostgres(o: PostgresOptions): Promise<SpawnedProcess> {
  const owner = o.runAs;
  const fresh = !existsSync(join(o.dataDir, "PG_VERSION"));
  privateDir(o.dataDir, owner);
  if (fresh) {
    const pwFile = join(o.dataDir, "..", `.initdb-${process.pid}`);
    writeFileSync(pwFile, o.password + "\n", { mode: 0o600 });
    if (owner) chownSync(pwFile, owner.uid, owner.gid);
    try {
      const r = await runAs(o, join(o.binDir, "initdb"), [
        "-D",
        o.dataDir,
        "-U",
        o.user,
        `--pwfile=${pwFile}`,
        "-A",
        "scram-sha-256",
        "-E",
        "UTF8",
        "--no-instructions",
        // Page checksums: a torn or rotted page is found by reads, backups (pgBackRest checks them
        // while it copies) and drills (pg_amcheck), instead of being served.
        "--data-checksums",
      ]);
      if (r.code !== 0) {
        throw new UserError(
          `initdb failed for ${o.dataDir}: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" ")}`,
          owner
            ? "PostgreSQL runs as the postgres user: every directory above .gantry/ must be readable by it (chmod o+x)"
            : undefined,
        );
      }
    } finally {
      unlinkSync(pwFile);
    }
  }
  const fd = openSync(o.logFile, "a");
  let proc: SpawnedProcess;
  try {
    proc = await spawnProcess(
      join(o.binDir, "postgres"),
      [
        "-D",
        o.dataDir,
        "-p",
        String(o.port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        "-c",
        "max_connections=200",
        ...[...syncSettings(o.major), ...(o.settings ?? [])].flatMap((setting) => ["-c", setting]),
      ],
      // cwd: the postgres user may not be able to enter Gantry's (the app's) directory.
      { env: o.env, output: fd, cwd: "/", ...(owner ? { uid: owner.uid, gid: owner.gid } : {}) },
    );
  } finally {
    closeSync(fd);
  }
  await waitFor(
    async () => {
      try {
        await withClient(o, "postgres", (c) => c.query("SELECT 1"), 1000);
        return true;
      } catch (e) {
        if ((e as { code?: unknown }).code === "28P01")
          throw new UserError(
            `PostgreSQL in ${o.dataDir} refuses the password Gantry keeps for user ${o.user}: the cluster was made with another one`,
            "the password is in the environment's secrets store, sealed with its key: put back the secrets.json and key (or GANTRY_SECRETS_KEY) it was made with, or `gantry destroy` to start over (this deletes the data)",
          );
        throw e;
      }
    },
    proc,
    o.readyTimeoutMs ?? 60_000,
    "PostgreSQL",
    o.logFile,
  );
  await ensureDatabases({ ...o }, o.databases, o.app);
  return proc;
}

/** How Gantry logs in to its cluster (as the superuser). */
type PgLogin = { port: number; user: string; password: string };

/** A client of the cluster on 127.0.0.1, not yet connected: every connection Gantry makes is this one. */
function pgClient(o: PgLogin, database: string, connectTimeoutMs: number): pg.Client {
  const c = new pg.Client({
    host: "127.0.0.1",
    port: o.port,
    user: o.user,
    password: o.password,
    database,
    connectionTimeoutMillis: connectTimeoutMs,
  });
  // A server that stops (a restore, a crash) ends the connection: the query in flight fails, and an
  // idle client's 'error' event must not end the process.
  c.on("error", () => undefined);
  return c;
}

/** Runs `f` with a client connected to `database`, ended afterwards whatever happens. */
export async function withClient<T>(
  o: PgLogin,
  database: string,
  f: (c: pg.Client) => Promise<T>,
  connectTimeoutMs = 10_000,
): Promise<T> {
  const c = pgClient(o, database, connectTimeoutMs);
  try {
    await c.connect();
    return await f(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A quoted SQL identifier. */
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
/** A quoted SQL string literal. */
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Hands what the bootstrap superuser owns in a database (clusters made before apps had a role of
 * their own) to the app's role: schemas, tables, views, sequences not tied to a column, routines and
 * types, never members of an extension. `REASSIGN OWNED` cannot do it: it refuses for the role that
 * owns the system catalogs.
 */
const handOver = (app: string) => `
DO $$
DECLARE
  r record;
  me oid := (SELECT oid FROM pg_roles WHERE rolname = current_user);
  app text := ${literal(app)};
BEGIN
  FOR r IN SELECT n.nspname FROM pg_namespace n
    WHERE n.nspowner = me AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
  LOOP EXECUTE format('ALTER SCHEMA %I OWNER TO %I', r.nspname, app); END LOOP;
  FOR r IN SELECT c.oid, c.relkind, c.reltype FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relowner = me AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
      AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'c')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
  LOOP
    IF r.relkind = 'c' THEN
      EXECUTE format('ALTER TYPE %s OWNER TO %I', r.reltype::regtype, app);
    ELSE
      EXECUTE format('ALTER %s %s OWNER TO %I',
        CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
          WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.oid::regclass, app);
    END IF;
  END LOOP;
  FOR r IN SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE p.proowner = me AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
  LOOP EXECUTE format('ALTER ROUTINE %s OWNER TO %I', r.oid::regprocedure, app); END LOOP;
  FOR r IN SELECT t.oid FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE t.typowner = me AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND t.typtype IN ('e', 'd', 'r')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype IN ('e', 'i'))
  LOOP EXECUTE format('ALTER TYPE %s OWNER TO %I', r.oid::regtype, app); END LOOP;
END $$`;

/**
 * Creates the databases that are missing, and, given `app`, the role apps connect as: a login without
 * superuser that owns every database (and what was made in them before it existed). Apps never get
 * the bootstrap superuser, which can run programs on the machine (`COPY ... FROM PROGRAM`).
 */
export async function ensureDatabases(
  o: PgLogin,
  databases: string[],
  app?: { user: string; password: string },
): Promise<void> {
  await withClient(
    o,
    "postgres",
    async (c) => {
      if (app) {
        const role = await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [app.user]);
        if (role.rowCount === 0) await c.query(`CREATE ROLE ${ident(app.user)}`);
        // ALTER ROLE takes no parameters: the (generated) password goes in as a literal.
        await c.query(
          `ALTER ROLE ${ident(app.user)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD ${literal(app.password)}`,
        );
      }
      for (const db of databases) {
        const r = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [db]);
        if (r.rowCount === 0)
          await c.query(`CREATE DATABASE ${ident(db)}${app ? ` OWNER ${ident(app.user)}` : ""}`);
        else if (app) await c.query(`ALTER DATABASE ${ident(db)} OWNER TO ${ident(app.user)}`);
      }
    },
    5000,
  );
  if (!app) return;
  for (const db of databases) await withClient(o, db, (d) => d.query(handOver(app.user)), 5000);
}

function runAs(o: PostgresOptions, cmd: string, args: string[]) {
  // exec has no uid option; initdb is short-lived, so it goes through spawnProcess and is collected here.
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    spawnProcess(cmd, args, {
      env: o.env,
      cwd: "/",
      ...(o.runAs ? { uid: o.runAs.uid, gid: o.runAs.gid } : {}),
    }).then((p) => {
      let stdout = "";
      let stderr = "";
      p.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
      p.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
      void p.exited.then(({ code }) => resolve({ code: code ?? 1, stdout, stderr }));
    }, reject);
  });
}
