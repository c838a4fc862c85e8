// The command side of the local runtime: builds releases, starts and stops the background supervisor,
// and asks it for rollouts and status over its Unix socket.
import http from "node:http";
import os from "node:os";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AppModel } from "../../model/types.js";
import { UserError } from "../../spec/problems.js";
import { exec, spawnProcess } from "../../util/exec.js";
import { splitCommand } from "./command.js";
import { isDirectory, pidAlive, pidCommand, readJson, writeJsonAtomic } from "./fsutil.js";
import { choosePostgres, findOnPath, INSTALL_HINT, postgresInstalls, postgresWanted } from "./infra.js";
import { stopLeftovers } from "./leftovers.js";
import type { EnvPaths } from "./paths.js";
import { releaseDir } from "./paths.js";
import { planDeploy } from "./plan.js";
import {
  copyApp,
  listReleases,
  nextReleaseId,
  readRelease,
  updateRelease,
  writeRelease,
  type ReleaseRecord,
} from "./release.js";
import type { SecretStore } from "./secrets.js";
import { readState, type SupervisorState } from "./state.js";
import type { RolloutEvent } from "./supervisor.js";
import type { RunRecord } from "./scheduler.js";

export type Progress = (line: string) => void;

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

export function controlRequest(
  socket: string,
  method: string,
  path: string,
  body?: unknown,
  onLine?: (line: string) => void,
  timeoutMs = 5000,
  signal?: AbortSignal,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: socket,
        method,
        path,
        headers: { "content-type": "application/json" },
        ...(signal ? { signal } : {}),
      },
      (res) => {
        let text = "";
        let partial = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          text += d;
          if (onLine) {
            const lines = (partial + d).split("\n");
            partial = lines.pop() ?? "";
            for (const l of lines) if (l.trim()) onLine(l);
          }
        });
        res.on("end", () => {
          if (onLine && partial.trim()) onLine(partial);
          resolve({ status: res.statusCode ?? 0, text });
        });
        res.on("error", reject);
      },
    );
    if (timeoutMs > 0)
      req.setTimeout(timeoutMs, () => req.destroy(new Error("the supervisor did not answer in time")));
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** The supervisor's state when it is running and answering, else undefined. */
export async function liveState(p: EnvPaths): Promise<SupervisorState | undefined> {
  const st = readState(p);
  if (!st || !pidAlive(st.pid) || !existsSync(p.socket)) return undefined;
  try {
    const r = await controlRequest(p.socket, "GET", "/status", undefined, undefined, 10_000);
    return r.status === 200 ? (JSON.parse(r.text) as SupervisorState) : undefined;
  } catch (e) {
    // Another user's supervisor runs: "not running" would be wrong, so the refusal is what is reported.
    if ((e as NodeJS.ErrnoException).code === "EACCES") throw e;
    return undefined;
  }
}

/**
 * Checks that the binaries the spec needs are installed, before anything is started, and that an
 * existing cluster's PostgreSQL version is among them. Returns notes for the user.
 */
export async function checkBinaries(
  model: AppModel,
  pathEnv: string | undefined,
  pgDataDir: string,
): Promise<string[]> {
  const missing: string[] = [];
  const notes: string[] = [];
  if (Object.keys(model.postgres).length > 0) {
    const chosen = choosePostgres(await postgresInstalls(pathEnv), pgDataDir, postgresWanted(model));
    if (!chosen) missing.push("PostgreSQL (initdb, postgres)");
    else if (chosen.note) notes.push(chosen.note);
  }
  if (
    (Object.keys(model.redis).length > 0 || Object.keys(model.topics).length > 0) &&
    !findOnPath("redis-server", pathEnv)
  )
    missing.push("redis-server");
  if (missing.length > 0)
    throw new UserError(
      `${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} not installed, and the spec needs ${missing.length === 1 ? "it" : "them"}`,
      INSTALL_HINT,
    );
  return notes;
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

/**
 * The error of a command stopped by Ctrl-C (SIGINT), SIGTERM or SIGHUP, which it ends as a shell
 * reports a signal: exit code 128 + its number (130, 143, 129).
 */
export function interrupted(signal: AbortSignal, what: string, hint?: string): UserError {
  const name = typeof signal.reason === "string" ? signal.reason : "SIGINT";
  return new UserError(
    `interrupted by ${name}: ${what}`,
    hint,
    128 + (os.constants.signals[name as NodeJS.Signals] ?? 2),
  );
}

/** Marks releases that a killed command left half-done as failed. */
export function recoverReleases(p: EnvPaths, serving: string | undefined): string[] {
  const fixed: string[] = [];
  for (const r of listReleases(p)) {
    if ((r.status === "building" || r.status === "deploying") && r.id !== serving) {
      updateRelease(p, r.id, { status: "failed", reason: `interrupted while ${r.status}` });
      fixed.push(r.id);
    }
  }
  return fixed;
}

function tailOf(text: string, n = 20): string[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(-n);
}

/** Runs the build commands and copies the result into a new immutable release. */
export async function buildRelease(
  p: EnvPaths,
  model: AppModel,
  store: SecretStore,
  env: NodeJS.ProcessEnv,
  progress: Progress,
  redact: (s: string) => string,
  signal?: AbortSignal,
): Promise<ReleaseRecord> {
  const id = nextReleaseId(p);
  const now = new Date().toISOString();
  const record: ReleaseRecord = {
    id,
    createdAt: now,
    updatedAt: now,
    status: "building",
    activations: [],
    secrets: {},
    model,
  };
  mkdirSync(releaseDir(p, id), { recursive: true });
  writeRelease(p, record);
  // Secrets first: a missing one fails the deploy before minutes of building.
  const secrets: Record<string, number> = {};
  const versions = store.versions();
  for (const s of Object.values(model.services)) {
    if (s.type === "static") continue;
    for (const name of s.secrets) {
      if (versions[name] === undefined) {
        updateRelease(p, id, { status: "failed", reason: `secret ${name} is not set` });
        throw new UserError(
          `secret ${name} (used by ${s.name}) is not set`,
          `run \`gantry secrets set ${name}${p.env ? ` --env ${p.env}` : ""}\` and type the value`,
        );
      }
      secrets[name] = versions[name];
    }
  }
  const plan = planDeploy(model, id, { instances: [] });
  for (const x of plan.skipped) progress(`note: ${x.service} is not run: ${x.reason}`);
  // A directory the spec names but the app lacks would fail later as "spawn npm ENOENT", which reads
  // as a missing command.
  for (const s of Object.values(model.services)) {
    const [field, dir] = s.type === "static" ? ["static", s.static] : ["build", s.build?.context];
    if (dir === undefined || isDirectory(join(p.appDir, dir))) continue;
    const reason = `${s.name}: its directory ${dir} does not exist`;
    updateRelease(p, id, { status: "failed", reason });
    throw new UserError(
      reason,
      `\`services.${s.name}.${field}\` is the directory of its code, relative to gantry.yaml`,
    );
  }
  const done = new Set<string>();
  for (const b of plan.build) {
    const key = `${b.cwd}\0${b.command}`;
    if (done.has(key)) continue;
    done.add(key);
    const started = Date.now();
    progress(`building ${b.service}: ${b.command}`);
    const ticker = setInterval(
      () => progress(`  still building ${b.service} (${Math.round((Date.now() - started) / 1000)}s)`),
      10_000,
    );
    let r;
    // Stopped by Ctrl-C: the build (its whole process group) is stopped, and the release recorded as failed.
    const stopped = (s: AbortSignal) => {
      updateRelease(p, id, { status: "failed", reason: "interrupted while building" });
      return interrupted(s, `the build of ${id} was stopped, and nothing was rolled out`);
    };
    try {
      // Split here: a command that needs a shell fails the release as one that cannot start does.
      const argv = splitCommand(b.command, {});
      r = await exec(argv[0]!, argv.slice(1), {
        cwd: join(p.appDir, b.cwd),
        env: childBaseEnv(env),
        timeoutMs: 15 * 60_000,
        ...(signal ? { signal } : {}),
      });
    } catch (e) {
      if (signal?.aborted) throw stopped(signal);
      updateRelease(p, id, {
        status: "failed",
        reason: `build of ${b.service} could not start: ${(e as Error).message}`,
      });
      throw new UserError(
        `build of ${b.service} could not start: ${(e as Error).message}`,
        e instanceof UserError ? e.hint : `check the build command \`${b.command}\``,
      );
    } finally {
      clearInterval(ticker);
    }
    if (signal?.aborted) throw stopped(signal);
    if (r.code !== 0) {
      const reason = `build of ${b.service} failed (exit code ${r.code})`;
      updateRelease(p, id, { status: "failed", reason });
      throw new UserError(`${reason}; last lines:\n${tailOf(redact(r.stdout + r.stderr)).join("\n")}`);
    }
    progress(`  built in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
  // A static site whose output directory is missing would deploy "fine" and answer 404 to everything.
  for (const s of plan.statics) {
    if (isDirectory(join(p.appDir, s.root))) continue;
    const reason = `${s.service}: its output directory ${s.root} does not exist${plan.build.some((b) => b.service === s.service) ? " after its build" : ""}`;
    updateRelease(p, id, { status: "failed", reason });
    throw new UserError(
      reason,
      `set \`services.${s.service}.output\` to the directory, relative to \`static\`, that holds its index.html (\`output: .\` serves the files as they are; the default is dist)`,
    );
  }
  const files = copyApp(p.appDir, join(releaseDir(p, id), "app"));
  const built = updateRelease(p, id, { status: "built", secrets })!;
  progress(`release ${id}: ${files} files in .gantry/${p.env}/releases/${id}/`);
  return built;
}

export interface RolloutResult {
  ok: boolean;
  message: string;
  logs: string[];
  hint?: string;
}

/**
 * The error for a supervisor that went away in the middle of a command (killed, crashed, out of
 * memory): the connection is refused or reset. Not a bug in Gantry; the supervisor's log says why.
 */
export function supervisorGone(p: EnvPaths, during: string, cause?: Error): UserError {
  return new UserError(
    `the supervisor stopped answering during ${during}${cause ? ` (${cause.message})` : ""}`,
    `its log is ${p.supervisorLog}; \`gantry status\` shows whether it still runs`,
  );
}

/** A streamed request to the supervisor for `during` (no time limit); a dropped connection is a UserError. */
async function askSupervisor(
  p: EnvPaths,
  during: string,
  path: string,
  body: unknown,
  onLine: (line: string) => void,
  signal?: AbortSignal,
): Promise<{ status: number; text: string }> {
  try {
    return await controlRequest(p.socket, "POST", path, body, onLine, 0, signal);
  } catch (e) {
    if (signal?.aborted) throw e;
    throw supervisorGone(p, during, e as Error);
  }
}

/**
 * What became of a release whose rollout lost the command that asked for it (Ctrl-C): the supervisor
 * abandons it unless the proxy has switched to it already. Waits a little for it to decide.
 */
async function rolloutOutcome(p: EnvPaths, release: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const st = await liveState(p);
    if (st?.release === release)
      return `the proxy had switched to ${release} already: it serves, and the old instances drain`;
    // Failed (a deploy), or back to what it was (a rollback, or a request that never got there).
    if (st?.deploying !== release && readRelease(p, release)?.status !== "deploying")
      return `the rollout of ${release} was abandoned${st?.release ? `; ${st.release} keeps serving` : ""}`;
    await new Promise((r) => setTimeout(r, 100));
  }
  return `the rollout of ${release} is still being stopped`;
}

export async function requestRollout(
  p: EnvPaths,
  release: string,
  kind: "deploy" | "rollback",
  progress: Progress,
  signal?: AbortSignal,
): Promise<RolloutResult> {
  if (signal?.aborted) throw interrupted(signal, `${release} was not rolled out; nothing changed`);
  let final: RolloutEvent | undefined;
  const during = `the ${kind} of ${release}`;
  try {
    await askSupervisor(
      p,
      during,
      "/rollout",
      { release, kind },
      (line) => {
        const e = JSON.parse(line) as RolloutEvent;
        if (e.type === "step") progress(e.message);
        else final = e;
      },
      signal,
    );
  } catch (e) {
    if (!signal?.aborted) throw e;
    throw interrupted(signal, await rolloutOutcome(p, release), "see `gantry releases` and `gantry status`");
  }
  if (!final) throw supervisorGone(p, during);
  const f: RolloutEvent = final;
  return {
    ok: f.type === "done",
    message: f.message,
    logs: f.logs ?? [],
    ...(f.hint ? { hint: f.hint } : {}),
  };
}

/** What `gantry run` receives while a job runs: its output, Gantry's steps, and at the end the run's record. */
export type JobRunEvent =
  { type: "line"; text: string } | { type: "step"; message: string } | { type: "end"; record: RunRecord };

/**
 * Asks the supervisor to run a job of the serving release now, and streams what happens until it ends.
 * Throws a UserError when the supervisor refuses (no such job, already running).
 */
export async function requestJobRun(
  p: EnvPaths,
  job: string,
  opts: { retry: boolean; signal?: AbortSignal },
  onEvent: (e: JobRunEvent) => void,
): Promise<RunRecord> {
  let record: RunRecord | undefined;
  let started: string | undefined;
  const during = `the run of ${job}`;
  let r;
  try {
    r = await askSupervisor(
      p,
      during,
      "/run",
      { job, ...(opts.retry ? {} : { retry: false }) },
      (line) => {
        // A refusal is one JSON object, not a stream; it is read from the whole answer below.
        if (!line.startsWith('{"type"')) return;
        const e = JSON.parse(line) as JobRunEvent;
        if (e.type === "end") record = e.record;
        if (e.type === "step") started ??= /^started (\S+)/.exec(e.message)?.[1];
        onEvent(e);
      },
      opts.signal,
    );
  } catch (e) {
    if (!opts.signal?.aborted) throw e;
    // Ctrl-C stops following only, as `kubectl logs -f` of a Job would: the run goes on.
    throw interrupted(
      opts.signal,
      `stopped following ${started ?? job}; the run goes on in the supervisor`,
      `\`gantry logs ${job}\` shows its output, \`gantry status\` its result`,
    );
  }
  if (r.status !== 200) {
    const refusal = JSON.parse(r.text) as { error?: string; hint?: string };
    throw new UserError(refusal.error ?? `the supervisor answered ${r.status}`, refusal.hint);
  }
  if (!record) throw supervisorGone(p, during);
  return record;
}

/**
 * Stops the supervisor and everything it runs. When the supervisor is dead (killed, out of memory) or
 * has to be killed, what it left running is stopped here, as `up` would. False when nothing ran.
 */
export async function stopSupervisor(
  p: EnvPaths,
  progress: Progress,
  signal?: AbortSignal,
): Promise<boolean> {
  const st = readState(p);
  if (!st || !pidAlive(st.pid)) return (await stopLeftovers(p, progress)).length > 0;
  progress(`stopping the supervisor (pid ${st.pid}) and everything it runs`);
  try {
    await controlRequest(p.socket, "POST", "/stop", {});
  } catch {
    process.kill(st.pid, "SIGTERM");
  }
  const deadline = Date.now() + 90_000;
  while (pidAlive(st.pid) && Date.now() < deadline) {
    if (signal?.aborted)
      throw interrupted(
        signal,
        `the supervisor (pid ${st.pid}) goes on stopping by itself`,
        "`gantry status` says when it has stopped",
      );
    await new Promise((r) => setTimeout(r, 100));
  }
  if (pidAlive(st.pid)) {
    progress(`the supervisor (pid ${st.pid}) did not stop within 90s; killing it`);
    process.kill(st.pid, "SIGKILL");
    for (let i = 0; i < 50 && pidAlive(st.pid); i++) await new Promise((r) => setTimeout(r, 100));
    await stopLeftovers(p, progress);
  }
  return true;
}

export function releaseById(p: EnvPaths, id: string): ReleaseRecord {
  const r = readRelease(p, id);
  if (!r) throw new UserError(`there is no release ${id}`, "run `gantry releases` to list them");
  return r;
}

/**
 * Why a rollback cannot go to a release, else undefined. Only a release that has served can: one that
 * failed to build or was never activated may have no copy of the app, and a rollout to it would fail
 * with a confusing error and overwrite the reason it failed with.
 */
export function cannotRollBackTo(p: EnvPaths, r: ReleaseRecord): string | undefined {
  if (r.activations.length === 0)
    return `it never served (status ${r.status}${r.reason ? `: ${r.reason}` : ""})`;
  const app = join(releaseDir(p, r.id), "app");
  if (!isDirectory(app))
    return `its copy of the app, ${join(".gantry", p.env, "releases", r.id, "app")}/, is missing`;
  return undefined;
}

/** The release `gantry rollback <id>` goes to; a UserError when it is not one that can serve again. */
export function rollbackTarget(p: EnvPaths, id: string, serving: string | undefined): ReleaseRecord {
  const r = releaseById(p, id);
  if (r.id === serving) throw new UserError(`${id} is already serving`);
  const why = cannotRollBackTo(p, r);
  if (!why) return r;
  const candidates = listReleases(p)
    .filter((x) => x.id !== serving && !cannotRollBackTo(p, x))
    .map((x) => x.id);
  throw new UserError(
    `cannot roll back to ${id}: ${why}`,
    candidates.length > 0
      ? `releases that served and can be rolled back to: ${candidates.join(", ")} (see \`gantry releases\`)`
      : "no other release has served yet; see `gantry releases`",
  );
}

export function readModelSnapshot(p: EnvPaths): AppModel | undefined {
  return readJson<AppModel>(p.model);
}
