// The commands' side of the supervisor: its state, the plan it would run, rollouts and job runs
// followed to their end, and the stop. Requests go through the protocol's client (protocol.ts); here
// their failures become messages for people: a supervisor gone in the middle of a command, a request
// it refused, a command interrupted by a signal.
import os from "node:os";
import { existsSync } from "node:fs";
import type { AppModel } from "../../model/types.js";
import { UserError } from "../../errors.js";
import { pidAlive } from "./fsutil.js";
import { runningSupervisor } from "./find-supervisor.js";
import { stopLeftovers } from "./leftovers.js";
import type { EnvPaths } from "./paths.js";
import { DEFAULT_CRASH_WATCH_MS, planDeploy, type DeployPlan, type RolloutKind } from "./plan.js";
import {
  ControlClient,
  Refused,
  type JobRunEvent,
  type RolloutEvent,
  type TaskEvent,
  type TaskRequest,
} from "./protocol.js";
import { nextReleaseId, readRelease } from "./release.js";
import type { RunRecord } from "./scheduler.js";
import type { SupervisorState } from "./state.js";

export type Progress = (line: string) => void;

/** The supervisor's state when it is running and answering, else undefined. */
export async function liveState(p: EnvPaths): Promise<SupervisorState | undefined> {
  // Asked on its socket, whatever state.json says (it may be damaged while the app serves): an answer
  // is the proof that it runs (a socket left by a killed supervisor refuses at once).
  if (!existsSync(p.socket)) return undefined;
  try {
    const st = await new ControlClient(p.socket).status(10_000);
    return pidAlive(st.pid) ? st : undefined;
  } catch (e) {
    // Another user's supervisor runs: "not running" would be wrong, so the refusal is what is reported.
    if ((e as NodeJS.ErrnoException).code === "EACCES") throw e;
    return undefined;
  }
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

/** A request to the supervisor for `during`; a refusal and a dropped connection are UserErrors. */
async function ask<T>(
  p: EnvPaths,
  during: string,
  signal: AbortSignal | undefined,
  request: (c: ControlClient) => Promise<T>,
): Promise<T> {
  try {
    return await request(new ControlClient(p.socket));
  } catch (e) {
    if (signal?.aborted) throw e;
    if (e instanceof Refused) throw new UserError(e.message, e.hint);
    throw supervisorGone(p, during, e as Error);
  }
}

/**
 * The plan of a deploy of `model` as the next release: the supervisor's, which runs it, when it runs
 * (`live`); else the plan of a first rollout, with nothing serving.
 */
export async function deployPlan(
  p: EnvPaths,
  model: AppModel,
  live: SupervisorState | undefined,
): Promise<DeployPlan> {
  const release = nextReleaseId(p);
  if (!live)
    return planDeploy({
      model,
      release,
      kind: "deploy",
      current: { instances: [] },
      crashWatchMs: DEFAULT_CRASH_WATCH_MS,
    });
  return ask(p, "the planning of the deploy", undefined, (c) => c.plan({ model, release, kind: "deploy" }));
}

export interface RolloutResult {
  ok: boolean;
  message: string;
  logs: string[];
  hint?: string;
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

/** Asks the supervisor to roll `release` out, printing its steps, and returns how it ended. */
export async function requestRollout(
  p: EnvPaths,
  release: string,
  kind: RolloutKind,
  progress: Progress,
  signal?: AbortSignal,
): Promise<RolloutResult> {
  if (signal?.aborted) throw interrupted(signal, `${release} was not rolled out; nothing changed`);
  let final: RolloutEvent | undefined;
  const during = `the ${kind} of ${release}`;
  const onEvent = (e: RolloutEvent) => {
    if (e.type === "step") progress(e.message);
    else final = e;
  };
  try {
    await ask(p, during, signal, (c) => c.rollout({ release, kind }, onEvent, signal));
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
  const follow = (e: JobRunEvent) => {
    if (e.type === "end") record = e.record;
    if (e.type === "step") started ??= /^started (\S+)/.exec(e.message)?.[1];
    onEvent(e);
  };
  try {
    await ask(p, during, opts.signal, (c) =>
      c.run({ job, ...(opts.retry ? {} : { retry: false }) }, follow, opts.signal),
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
  const pid = runningSupervisor(p) ?? (await liveState(p))?.pid;
  if (pid === undefined) return (await stopLeftovers(p, progress)).length > 0;
  const st = { pid };
  progress(`stopping the supervisor (pid ${st.pid}) and everything it runs`);
  try {
    await new ControlClient(p.socket).stop();
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

/**
 * Asks the supervisor for a backup, restore or drill, printing its steps; returns the `done` event, and
 * throws a UserError for a `failed` one.
 */
export async function requestTask(
  p: EnvPaths,
  req: TaskRequest,
  progress: Progress,
  signal?: AbortSignal,
): Promise<Extract<TaskEvent, { type: "done" }>> {
  let final: TaskEvent | undefined;
  const during = `the ${req.task}`;
  await ask(p, during, signal, (c) =>
    c.task(
      req,
      (e) => {
        if (e.type === "step") progress(e.message);
        else final = e;
      },
      signal,
    ),
  );
  if (!final) throw supervisorGone(p, during);
  const f: TaskEvent = final;
  if (f.type === "failed") throw new UserError(f.message, f.hint);
  if (f.type !== "done") throw supervisorGone(p, during);
  return f;
}
