// Which process is the environment's supervisor, found without trusting state.json, which may be
// damaged (truncated, garbage, on a disk that filled up): the supervisor's lock file names it with its
// start time, state.json may name it too, and each candidate is checked against the process itself:
// its title (`gantry-supervisor <env>`) and its working directory (the app's), so neither a reused pid
// nor the supervisor of another app's environment of the same name is taken for it.
import { readFileSync, readlinkSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { pidAlive, pidCommand, pidStartTicks, readJson } from "./fsutil.js";
import type { EnvPaths } from "./paths.js";

/** The lock the supervisor holds for its whole life (see runSupervisor). */
export function supervisorLockFile(p: EnvPaths): string {
  return join(p.dir, "supervisor.lock");
}

function lockOwner(p: EnvPaths): { pid: number; startTicks?: number } | undefined {
  try {
    const v = JSON.parse(readFileSync(supervisorLockFile(p), "utf8")) as {
      pid?: unknown;
      startTicks?: unknown;
    };
    return typeof v.pid === "number"
      ? { pid: v.pid, ...(typeof v.startTicks === "number" ? { startTicks: v.startTicks } : {}) }
      : undefined;
  } catch {
    return undefined;
  }
}

function realpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Whether pid is this environment's supervisor, from the process itself. */
export function isSupervisorOf(pid: number, p: EnvPaths): boolean {
  if (!pidAlive(pid)) return false;
  const title = pidCommand(pid);
  // The title may be followed by what is left of the original command line's memory.
  if (
    title !== undefined &&
    !(title === `gantry-supervisor ${p.env}` || title.startsWith(`gantry-supervisor ${p.env} `))
  )
    return false;
  try {
    return readlinkSync(`/proc/${pid}/cwd`) === realpath(p.appDir);
  } catch (e) {
    // Another user's process (EACCES): its title decides. Without /proc (macOS) the title could not
    // be read either: the pid alone decides.
    return (e as NodeJS.ErrnoException).code === "EACCES" || title === undefined;
  }
}

/**
 * The pid of the environment's running supervisor, or undefined when none runs (or it cannot be told
 * from the process: `liveState` also asks the control socket, whose answer is proof enough).
 */
export function runningSupervisor(p: EnvPaths): number | undefined {
  const lock = lockOwner(p);
  if (lock && (lock.startTicks === undefined || pidStartTicks(lock.pid) === lock.startTicks))
    if (isSupervisorOf(lock.pid, p)) return lock.pid;
  const recorded = readJson<{ pid?: unknown }>(p.state)?.pid;
  if (typeof recorded === "number" && isSupervisorOf(recorded, p)) return recorded;
  return undefined;
}
