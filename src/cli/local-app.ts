// What the local runtime's commands share: the app and environment they act on, the lock they hold
// while they change it, their progress lines, and how a signal interrupts them.
import type { Command } from "commander";
import { join } from "node:path";
import type { AppModel } from "../model/types.js";
import { SpecError, UserError } from "../errors.js";
import { userName } from "../util/user.js";
import { pidAlive, pidUid, subdirectories } from "../engine/local/fsutil.js";
import { runningSupervisor } from "../engine/local/find-supervisor.js";
import { acquireLock, type Lock } from "../engine/local/lock.js";
import { envPaths, type EnvPaths } from "../engine/local/paths.js";
import { recoverReleases } from "../engine/local/release.js";
import { openStore, redactor, type SecretStore } from "../engine/local/secrets.js";
import { readState } from "../engine/local/state.js";
import type { Io } from "./main.js";
import { locateSpec, readSpec, type SpecLocation } from "./spec-file.js";

export interface LocalApp {
  loc: SpecLocation;
  model: AppModel;
  paths: EnvPaths;
}

/** Adds what every local command takes last: the app's path and the environment. */
export function appArguments(cmd: Command): Command {
  return cmd
    .argument("[path]", "gantry.yaml, or the directory that holds it", ".")
    .option("-e, --env <name>", "environment (default: the spec's first)");
}

export function localApp(path: string | undefined, env: string | undefined, io: Io): LocalApp {
  const loc = locateSpec(path, io.cwd);
  const { project } = readSpec(loc, env);
  const model = project.environments[0]!;
  return { loc, model, paths: envPaths(loc.dir, model.environment.name) };
}

/** For commands that work without a valid spec (status, logs, down, destroy): the app dir and the environment. */
export function localAppLoose(
  path: string | undefined,
  env: string | undefined,
  io: Io,
): { loc: SpecLocation; paths: EnvPaths } {
  const loc = locateSpec(path, io.cwd);
  let name: string | undefined;
  try {
    // With --env, an environment the spec does not have is refused (a typo would be "not running").
    name = readSpec(loc, env).project.environments[0]?.environment.name;
  } catch (e) {
    // A spec that no longer loads, or no longer has the environment, must not stop `down` or
    // `status`: use the environment on disk.
    const dirs = subdirectories(join(loc.dir, ".gantry"));
    // Several on disk: which one cannot be guessed, but the command can still work with --env.
    if (!env && dirs.length > 1 && e instanceof SpecError)
      throw new UserError(
        `${loc.display} does not load (\`gantry validate\` shows why), so the environment to use is unknown`,
        `pass --env with one of those in .gantry/: ${dirs.join(", ")}`,
      );
    if (env ? !dirs.includes(env) : dirs.length !== 1) throw e;
    name = env ?? dirs[0];
  }
  if (!name) throw new UserError("cannot tell which environment to use", "pass --env NAME");
  return { loc, paths: envPaths(loc.dir, name) };
}

export function store(paths: EnvPaths): SecretStore {
  return openStore(paths, process.env.GANTRY_SECRETS_KEY);
}

export function secretRedactor(paths: EnvPaths): (s: string) => string {
  try {
    const s = store(paths);
    return redactor(Object.fromEntries(s.names(true).map((n) => [n, s.get(n) ?? ""])));
  } catch {
    return (t) => t;
  }
}

/** Errors of a disk that is full or read-only, under which `down` still stops the app (without the lock). */
export function isDiskFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === "EROFS" || code === "ENOSPC" || code === "EDQUOT";
}

export function lock(paths: EnvPaths, command: string, io: Io, evenOnFullDisk = false): Lock {
  let l: Lock;
  try {
    l = acquireLock(paths.lock, command);
  } catch (e) {
    if (!evenOnFullDisk || !isDiskFull(e)) throw e;
    io.err(`note: cannot take the environment's lock (${(e as Error).message}); going on without it\n`);
    return { release: () => undefined };
  }
  if (l.recovered) {
    io.err(
      `note: took over a stale lock left by \`gantry ${l.recovered.command}\` (pid ${l.recovered.pid}, which is gone)\n`,
    );
  }
  let fixed: string[] = [];
  try {
    fixed = recoverReleases(paths, readState(paths)?.release);
  } catch (e) {
    if (!isDiskFull(e)) throw e;
  }
  if (fixed.length > 0)
    io.err(
      `note: marked interrupted release${fixed.length === 1 ? "" : "s"} ${fixed.join(", ")} as failed\n`,
    );
  return l;
}

/**
 * Ctrl-C, SIGTERM or SIGHUP during a command that holds the lock (up, deploy, rollback, down,
 * destroy) or follows a job's run: the signal aborts what the command is doing (the build, its
 * process group with it; the rollout, which the supervisor abandons unless it has switched; the wait
 * for a stop; the following of the run, which goes on), each step records what became of the
 * release, and the command ends through its `finally`, freeing the lock. Killed where it stood, it
 * left the lock stale, the release `building`, and the build running on. A second signal kills at
 * once.
 */
export function interruptible(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  // SIGHUP too: the terminal closed. The build, in a process group of its own, would not get it.
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  const dispose = () => {
    for (const name of signals) process.off(name, onSignal);
  };
  const onSignal = (name: NodeJS.Signals) => {
    dispose();
    ac.abort(name);
  };
  for (const name of signals) process.once(name, onSignal);
  return { signal: ac.signal, dispose };
}

/** Holds the environment's lock while `work` runs, interruptible by a signal; frees it however it ends. */
export async function locked<T>(
  paths: EnvPaths,
  command: string,
  io: Io,
  work: (signal: AbortSignal) => Promise<T>,
  /** Stopping works on a disk that is full or read-only, where the lock cannot be written. */
  evenOnFullDisk = false,
): Promise<T> {
  const l = lock(paths, command, io, evenOnFullDisk);
  const stop = interruptible();
  try {
    return await work(stop.signal);
  } finally {
    stop.dispose();
    l.release();
  }
}

export function progress(io: Io): (line: string) => void {
  const t0 = Date.now();
  return (line) => io.err(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}\n`);
}

/**
 * Refuses to roll out to an app whose supervisor runs as another user (`sudo gantry deploy` of an app
 * a user runs): the release this command writes would be root's, the supervisor could not record its
 * rollout (it stayed "deploying"), and the build's files left in the app would break the user's next
 * build.
 */
export function checkSupervisorUser(paths: EnvPaths): void {
  const recorded = readState(paths)?.pid;
  const pid = runningSupervisor(paths) ?? (pidAlive(recorded) ? recorded : undefined);
  const owner = pid === undefined ? undefined : pidUid(pid);
  const me = process.getuid?.();
  if (owner === undefined || me === undefined || owner === me) return;
  throw new UserError(
    `the app's supervisor (pid ${pid}) runs as ${userName(owner)}, and this command as ${userName(me)}: it could not use what the command writes`,
    `run the command as ${userName(owner)}`,
  );
}
