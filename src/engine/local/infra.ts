// PostgreSQL and Redis for one app environment, run from the machine's own binaries with their data
// under `.gantry/<env>/`. PostgreSQL refuses to run as root, so when Gantry runs as root the cluster
// belongs to the `postgres` user (or `nobody`); Redis runs as that user too. Both listen on 127.0.0.1
// only and want a password, and their data directories are private (0700): another account on the
// machine can neither read the files nor talk to the servers.
import {
  chmodSync,
  chownSync,
  closeSync,
  lchownSync,
  lstatSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { createHash } from "node:crypto";
import { delimiter, dirname, join, resolve } from "node:path";
import pg from "pg";
import { Redis } from "ioredis";
import type { AppModel } from "../../model/types.js";
import { UserError } from "../../spec/problems.js";
import { exec, spawnProcess, type SpawnedProcess } from "../../util/exec.js";
import { passwd } from "../../util/user.js";

export function findOnPath(bin: string, pathEnv: string | undefined): string | undefined {
  for (const dir of (pathEnv ?? "").split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, bin);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** A PostgreSQL installation: the directory with its `initdb` and `postgres`, and its major version. */
export interface PostgresInstall {
  binDir: string;
  major: number;
}

/**
 * The PostgreSQL installations on this machine, each once, in the order they are preferred:
 * `pg_config --bindir`, then `<libRoot>/<major>/bin` newest first (Debian and Ubuntu keep every
 * installed major there), then `initdb` on PATH.
 */
export async function postgresInstalls(
  pathEnv: string | undefined,
  libRoot = "/usr/lib/postgresql",
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

/** The PostgreSQL major versions the spec asks for (its clusters share one locally). */
export function postgresWanted(model: AppModel): number[] {
  return [...new Set(Object.values(model.postgres).map((p) => p.version))].sort((a, b) => b - a);
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

export const INSTALL_HINT =
  "install them with `sudo apt-get install -y postgresql redis-server` (Debian/Ubuntu) or `brew install postgresql redis` (macOS)";

export interface RunAs {
  uid: number;
  gid: number;
}

/** The user PostgreSQL and Redis run as when Gantry is root: `postgres` if it exists, else `nobody`. */
export function dataUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const users = passwd();
  const entry = users.find((e) => e.name === "postgres") ?? users.find((e) => e.name === "nobody");
  return entry ? { uid: entry.uid, gid: entry.gid } : { uid: 65534, gid: 65534 };
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .slice(-lines - 1)
      .join("\n");
  } catch {
    return "";
  }
}

async function waitFor(
  check: () => Promise<boolean>,
  proc: SpawnedProcess,
  timeoutMs: number,
  what: string,
  logFile: string,
): Promise<void> {
  let exited = false;
  void proc.exited.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited)
      throw new UserError(`${what} exited during startup; last lines of ${logFile}:\n${tail(logFile)}`);
    let ready: boolean;
    try {
      ready = await check();
    } catch (e) {
      // A check that knows waiting cannot help (a refused password) ends the wait at once.
      if (e instanceof UserError) {
        proc.kill("SIGKILL");
        throw e;
      }
      ready = false;
    }
    if (ready) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  proc.kill("SIGKILL");
  throw new UserError(
    `${what} did not become ready in ${timeoutMs / 1000}s; last lines of ${logFile}:\n${tail(logFile)}`,
  );
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
}

/** Whether `owner` may pass through `dir` and every directory above it (the x bit that applies to it). */
export function canTraverse(dir: string, owner: RunAs): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    let st;
    try {
      st = statSync(d);
    } catch {
      return true; // not made yet: it will be, with the usual 0755
    }
    const bit = st.uid === owner.uid ? 0o100 : st.gid === owner.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return false;
    if (dirname(d) === d) return true;
  }
}

/**
 * A private data directory (0700) belonging to `owner` (the current user when undefined). A directory
 * that belongs to someone else (made by `gantry up` as a normal user, now run as root under systemd)
 * is handed over whole, files included: the server cannot read its own files otherwise.
 */
export function privateDir(dir: string, owner: RunAs | undefined): void {
  // The parent is created first: a recursive mkdir would give it mode 0700 too, and the owner must traverse it.
  mkdirSync(dirname(dir), { recursive: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (!owner) return;
  if (statSync(dir).uid === owner.uid) {
    chownSync(dir, owner.uid, owner.gid);
    return;
  }
  // lstat and lchown: a symlink in the directory is handed over itself, never what it points at.
  const own = (p: string) => {
    lchownSync(p, owner.uid, owner.gid);
    if (lstatSync(p).isDirectory()) for (const e of readdirSync(p)) own(join(p, e));
  };
  own(dir);
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
      ],
      { env: o.env, output: fd, ...(owner ? { uid: owner.uid, gid: owner.gid } : {}) },
    );
  } finally {
    closeSync(fd);
  }
  await waitFor(
    async () => {
      const c = pgClient(o, "postgres", 1000);
      try {
        await c.connect();
        await c.query("SELECT 1");
        return true;
      } catch (e) {
        if ((e as { code?: unknown }).code === "28P01")
          throw new UserError(
            `PostgreSQL in ${o.dataDir} refuses the password Gantry keeps for user ${o.user}: the cluster was made with another one`,
            "the password is in the environment's secrets store, sealed with its key: put back the secrets.json and key (or GANTRY_SECRETS_KEY) it was made with, or `gantry destroy` to start over (this deletes the data)",
          );
        throw e;
      } finally {
        await c.end().catch(() => undefined);
      }
    },
    proc,
    60_000,
    "PostgreSQL",
    o.logFile,
  );
  await ensureDatabases({ ...o }, o.databases, o.app);
  return proc;
}

/** How Gantry logs in to its cluster (as the superuser). */
type PgLogin = { port: number; user: string; password: string };

/** A client of the cluster on 127.0.0.1, not yet connected. */
function pgClient(o: PgLogin, database: string, connectTimeoutMs: number): pg.Client {
  return new pg.Client({
    host: "127.0.0.1",
    port: o.port,
    user: o.user,
    password: o.password,
    database,
    connectionTimeoutMillis: connectTimeoutMs,
  });
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
  const connect = async (database: string) => {
    const c = pgClient(o, database, 5000);
    await c.connect();
    return c;
  };
  const c = await connect("postgres");
  try {
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
  } finally {
    await c.end();
  }
  if (!app) return;
  for (const db of databases) {
    const d = await connect(db);
    try {
      await d.query(handOver(app.user));
    } finally {
      await d.end();
    }
  }
}

function runAs(o: PostgresOptions, cmd: string, args: string[]) {
  // exec has no uid option; initdb is short-lived, so it goes through spawnProcess and is collected here.
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    spawnProcess(cmd, args, { env: o.env, ...(o.runAs ? { uid: o.runAs.uid, gid: o.runAs.gid } : {}) }).then(
      (p) => {
        let stdout = "";
        let stderr = "";
        p.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
        p.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
        void p.exited.then(({ code }) => resolve({ code: code ?? 1, stdout, stderr }));
      },
      reject,
    );
  });
}

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
  const connect = () =>
    new Redis({
      host: "127.0.0.1",
      port: o.port,
      ...(o.password ? { password: o.password } : {}),
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 1000,
    });
  const withRedis = async <T>(f: (r: Redis) => Promise<T>): Promise<T> => {
    const r = connect();
    r.on("error", () => undefined);
    try {
      await r.connect();
      return await f(r);
    } finally {
      r.disconnect();
    }
  };
  await waitFor(
    async () => (await withRedis((r) => r.ping())) === "PONG",
    proc,
    30_000,
    "redis-server",
    o.logFile,
  );
  if (switchToAof) {
    await withRedis((r) => r.config("SET", "appendonly", "yes"));
    // Done once the AOF is written (a rewrite from what the dump loaded).
    await waitFor(
      async () =>
        withRedis(async (r) => {
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
