// The one place Gantry runs child processes: argument arrays, never a shell.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Set when the process was killed for taking longer than `timeoutMs`. */
  timedOut: boolean;
}

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
  /**
   * Stops the command when aborted (Ctrl-C of the `gantry` that runs it). The command then leads a
   * process group of its own, and the whole group is stopped: `npm run` passes SIGTERM to its shell,
   * which dies without passing it on, and the compiler it started would run on, orphaned.
   */
  signal?: AbortSignal;
  /** Run as this user and group (pgBackRest, which works on PostgreSQL's files as their owner). */
  uid?: number;
  gid?: number;
}

/**
 * Signals to the process group `child` leads. When the leader exits, `killRest` says whether what is
 * left of its group is killed; after that nothing is sent, since its pid (and group id) may be another
 * process's by now. False when nothing was signalled.
 */
function processGroup(child: ChildProcess, killRest: () => boolean): (signal: NodeJS.Signals) => boolean {
  let leaderExited = false;
  const send = (signal: NodeJS.Signals): boolean => {
    if (leaderExited) return false;
    try {
      process.kill(-child.pid!, signal);
      return true;
    } catch {
      return false; // the group is gone: nothing of it runs any more
    }
  };
  child.on("exit", () => {
    if (killRest()) send("SIGKILL");
    leaderExited = true;
  });
  return send;
}

export function exec(command: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const options: SpawnOptions = {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
      shell: false,
      detached: opts.signal !== undefined,
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    };
    const child = spawn(command, args, options);
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    // The group may live on after its leader (the shell killed, the compiler not): it is stopped too.
    const group = opts.signal ? processGroup(child, () => opts.signal!.aborted) : undefined;
    const kill = (signal: NodeJS.Signals) => (group ? group(signal) : child.kill(signal));
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          kill("SIGKILL");
        }, opts.timeoutMs)
      : undefined;
    const onAbort = () => {
      kill("SIGTERM");
      setTimeout(() => kill("SIGKILL"), 5000).unref();
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("exit", () => opts.signal?.removeEventListener("abort", onAbort));
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr, timedOut });
    });
    // A child that exits without reading its input closes the pipe: that EPIPE is not an error of ours.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(opts.input ?? "");
  });
}

export interface SpawnProcessOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this user and group (used to run PostgreSQL, which refuses root, when Gantry runs as root). */
  uid?: number;
  gid?: number;
  /** Start in its own process group and keep running after Gantry exits (the background supervisor). */
  detached?: boolean;
  /**
   * Lead a process group of its own, and end like a container: SIGTERM and other signals go to the
   * leader only (`npm start` or a shell passes them on; sent to all, the app would get two), SIGKILL
   * goes to the whole group, and what is left of the group when the leader exits is killed, so
   * nothing the process started outlives it. Instances and job runs.
   */
  group?: boolean;
  /** "pipe" (read stdout/stderr from the handle), "ignore", or a file descriptor both streams are written to. */
  output?: "pipe" | "ignore" | number;
}

export interface SpawnedProcess {
  pid: number;
  stdout: NodeJS.ReadableStream | null;
  stderr: NodeJS.ReadableStream | null;
  /** Resolves once the process has ended, with its exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (signal?: NodeJS.Signals) => boolean;
  /** Lets Gantry exit while the process keeps running. */
  unref: () => void;
}

/** Starts a long-running process (a service instance, a database server) without a shell. */
export function spawnProcess(
  command: string,
  args: readonly string[],
  opts: SpawnProcessOptions = {},
): Promise<SpawnedProcess> {
  return new Promise((resolve, reject) => {
    const out = opts.output ?? "pipe";
    const options: SpawnOptions = {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ["ignore", out, out],
      shell: false,
      detached: (opts.detached ?? false) || (opts.group ?? false),
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    };
    const child = spawn(command, args, options);
    // What is left of the group when the leader exits is killed.
    const signalGroup = opts.group ? processGroup(child, () => true) : undefined;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
      child.on("exit", (code, signal) => res({ code, signal }));
    });
    child.once("error", (e) => reject(e));
    child.once("spawn", () => {
      resolve({
        pid: child.pid!,
        stdout: child.stdout,
        stderr: child.stderr,
        exited,
        kill: (signal = "SIGTERM") =>
          signalGroup && signal === "SIGKILL" ? signalGroup(signal) : child.kill(signal),
        unref: () => child.unref(),
      });
    });
  });
}
