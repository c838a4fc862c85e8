// Starting the background supervisor from a command (`gantry up`): the binaries the spec needs are
// checked first, the supervisor is spawned detached with its log as output, and the command waits
// until it answers (or reports why it could not start).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AppModel } from "../../model/types.js";
import { UserError } from "../../errors.js";
import { spawnProcess } from "../../util/exec.js";
import { interrupted, type Progress } from "./client.js";
import { pidAlive, pidCommand, writeJsonAtomic } from "./fsutil.js";
import { findOnPath, INSTALL_HINT } from "./infra.js";
import type { EnvPaths } from "./paths.js";
import { postgresWanted } from "./plan.js";
import { backedUp, findPgbackrest } from "./pgbackrest.js";
import { choosePostgres, postgresInstalls } from "./postgres.js";
import { readState, type SupervisorState } from "./state.js";
import type { Need } from "./system-packages.js";

/** What child processes inherit: the user's environment without Gantry's own keys. */
export function childBaseEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || k === "GANTRY_SECRETS_KEY" || k === "NODE_TEST_CONTEXT" || k === "NODE_CHANNEL_FD")
      continue;
    out[k] = v;
  }
  return out;
}

/** The data services the spec needs whose binaries are missing, and notes for the user. */
async function missingBinaries(
  model: AppModel,
  pathEnv: string | undefined,
  pgDataDir: string,
): Promise<{ missing: Need[]; notes: string[] }> {
  const missing: Need[] = [];
  const notes: string[] = [];
  if (Object.keys(model.postgres).length > 0) {
    const chosen = choosePostgres(await postgresInstalls(pathEnv), pgDataDir, postgresWanted(model));
    if (!chosen) missing.push("postgres");
    else if (chosen.note) notes.push(chosen.note);
  }
  if (
    (Object.keys(model.redis).length > 0 || Object.keys(model.topics).length > 0) &&
    !findOnPath("redis-server", pathEnv)
  )
    missing.push("redis");
  if (backedUp(model) && !findPgbackrest(pathEnv)) missing.push("pgbackrest");
  return { missing, notes };
}

const BINARIES: Record<Need, string> = {
  postgres: "PostgreSQL (initdb, postgres)",
  redis: "redis-server",
  pgbackrest: "pgBackRest (the backups of PostgreSQL)",
};

/**
 * Checks that the binaries the spec needs are installed, before anything is started, and that an
 * existing cluster's PostgreSQL version is among them. Returns notes for the user. `install` is asked
 * for the missing ones (system-packages.ts): it installs them, or gives the hint to print.
 */
export async function checkBinaries(
  model: AppModel,
  pathEnv: string | undefined,
  pgDataDir: string,
  install?: (needs: Need[]) => Promise<string | undefined>,
): Promise<string[]> {
  let found = await missingBinaries(model, pathEnv, pgDataDir);
  let hint = INSTALL_HINT;
  if (found.missing.length > 0 && install) {
    const refused = await install(found.missing);
    if (refused === undefined) found = await missingBinaries(model, pathEnv, pgDataDir);
    else hint = refused;
  }
  const missing = found.missing.map((n) => BINARIES[n]);
  if (missing.length > 0)
    throw new UserError(
      `${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} not installed, and the spec needs ${missing.length === 1 ? "it" : "them"}`,
      hint,
    );
  return found.notes;
}

function daemonCommand(): { node: string; args: string[] } {
  const here = fileURLToPath(import.meta.url);
  const ts = here.endsWith(".ts");
  const daemon = join(dirname(here), ts ? "daemon.ts" : "daemon.js");
  return { node: process.execPath, args: ts ? ["--import", import.meta.resolve("tsx"), daemon] : [daemon] };
}

export async function startSupervisor(
  p: EnvPaths,
  model: AppModel,
  env: NodeJS.ProcessEnv,
  opts: { requestedProxyPort?: number; crashWatchMs?: number; progress: Progress; signal?: AbortSignal },
): Promise<SupervisorState> {
  mkdirSync(p.logs, { recursive: true });
  writeJsonAtomic(p.model, model);
  const { node, args } = daemonCommand();
  const fd = openSync(p.supervisorLog, "a");
  let proc;
  try {
    proc = await spawnProcess(
      node,
      [
        ...args,
        p.appDir,
        p.env,
        String(opts.requestedProxyPort ?? 0),
        ...(opts.crashWatchMs !== undefined ? [String(opts.crashWatchMs)] : []),
      ],
      {
        cwd: p.appDir,
        // The supervisor needs the secrets key; it strips it again from what its children inherit.
        env: {
          ...childBaseEnv(env),
          ...(env.GANTRY_SECRETS_KEY ? { GANTRY_SECRETS_KEY: env.GANTRY_SECRETS_KEY } : {}),
        },
        detached: true,
        output: fd,
      },
    );
  } finally {
    closeSync(fd);
  }
  proc.unref();
  const topics = Object.keys(model.topics).length > 0;
  const parts = [
    ...(Object.keys(model.postgres).length > 0 ? ["PostgreSQL"] : []),
    // Topics live on a Redis, an internal one when the spec has none.
    ...(Object.keys(model.redis).length > 0 || topics ? ["Redis"] : []),
    ...(topics ? ["pub/sub"] : []),
    "proxy",
  ];
  opts.progress(`starting the supervisor (pid ${proc.pid}): ${parts.join(", ")}`);
  return await supervisorStarted(p, proc.pid, opts);
}

/**
 * The pid of a supervisor of this environment that is still starting, left so by an `up` that was
 * interrupted or killed: the next `up` waits for it, rather than start a second one on the same data.
 */
export function startingSupervisor(p: EnvPaths): number | undefined {
  const st = readState(p);
  return st?.phase === "starting" &&
    pidAlive(st.pid) &&
    pidCommand(st.pid)?.startsWith(`gantry-supervisor ${p.env}`)
    ? st.pid
    : undefined;
}

/** Waits until the supervisor `pid` runs and answers, with progress; a UserError when it fails. */
export async function supervisorStarted(
  p: EnvPaths,
  pid: number,
  opts: { progress: Progress; signal?: AbortSignal },
): Promise<SupervisorState> {
  const started = Date.now();
  let reported = Date.now();
  while (Date.now() - started < 180_000) {
    const st = readState(p);
    if (st?.pid === pid && st.phase === "running" && existsSync(p.socket)) return st;
    if (!pidAlive(pid) || (st?.pid === pid && (st.phase === "failed" || st.phase === "stopped"))) {
      const tail = readFileSync(p.supervisorLog, "utf8").trim().split("\n").slice(-15).join("\n");
      throw new UserError(
        `the supervisor could not start${st?.error ? `: ${st.error}` : ""}\n--- last lines of ${p.supervisorLog} ---\n${tail}`,
      );
    }
    if (opts.signal?.aborted)
      throw interrupted(
        opts.signal,
        `the supervisor (pid ${pid}) goes on starting, with no release to serve`,
        "`gantry up` carries on from there; `gantry down` stops it",
      );
    if (Date.now() - reported > 5000) {
      reported = Date.now();
      opts.progress(`  still starting (${Math.round((Date.now() - started) / 1000)}s)`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new UserError(`the supervisor did not start within 180s; see ${p.supervisorLog}`);
}
