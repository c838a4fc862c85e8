// File helpers for the local runtime's state: every state file is written atomically (a temp file in
// the same directory, then rename), so a Gantry process killed at any moment leaves either the old or
// the new content, never half of one.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";

export function writeFileAtomic(path: string, content: string, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(tmp, "w", mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (e) {
    // A write to a full disk names no file (it writes to a descriptor): name the one it was for.
    (e as NodeJS.ErrnoException).path ??= path;
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown, mode = 0o644): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n", mode);
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the file's type
export function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/**
 * True when a process with this id runs (signal 0 checks without delivering anything). A zombie, which
 * has exited but was not reaped yet, answers signal 0 too, yet is dead: a SIGKILLed supervisor stays
 * one until its parent waits for it (forever in a container whose PID 1 never does).
 */
export function pidAlive(pid: number | undefined): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const state = pidState(pid);
  return state !== "Z" && state !== "X";
}

/** The fields of /proc/<pid>/stat after the command name, the state first; undefined without /proc. */
export function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name, in parentheses, may itself hold spaces and parentheses: the fields follow the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** The state letter of a process (R, S, Z, ...); undefined without /proc. */
export function pidState(pid: number): string | undefined {
  return procStat(pid)?.[0] || undefined;
}

/**
 * When a process started, in clock ticks since boot (field 22 of /proc/<pid>/stat); undefined without
 * /proc. With the pid it names one process for good: a reused pid has another start time.
 */
export function pidStartTicks(pid: number): number | undefined {
  const ticks = procStat(pid)?.[19];
  return ticks ? Number(ticks) : undefined;
}

export function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}

/** The names of the directories in dir (the environments under .gantry/); none when it does not exist. */
export function subdirectories(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((d) => isDirectory(join(dir, d))) : [];
}

/** The user id a process runs as (the owner of /proc/<pid>); undefined without /proc or the process. */
export function pidUid(pid: number): number | undefined {
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return undefined;
  }
}

/** The command line of a running process (Linux /proc), to tell our process from a reused pid. */
export function pidCommand(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0+$/, "").split("\0").join(" ");
  } catch {
    return undefined;
  }
}
