// The processes a dead supervisor left behind: instances, job runs, Redis and PostgreSQL keep running
// when the supervisor is killed (SIGKILL, out of memory). `gantry up` stops them before it starts
// again, and `gantry down` and `gantry destroy` stop them when there is no supervisor to ask. A
// process is only signalled when it is provably ours: pids are reused, after a reboot most of all.
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { pidAlive, pidCommand, pidStartTicks, readJson } from "./fsutil.js";
import { runningSupervisor } from "./find-supervisor.js";
import { postgresDataDir } from "./postgres-location.js";
import type { EnvPaths } from "./paths.js";
import type { SupervisorState } from "./state.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Whether pid is a PostgreSQL server on this data directory, from its command line (`postgres -D
 * <dir> ...`, as infra.ts starts it). The pid in a stale postmaster.pid may belong to anything now.
 */
export function isOurPostgres(pid: number, dataDir: string): boolean {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0+$/, "").split("\0");
  } catch {
    return false;
  }
  if (basename(argv[0] ?? "") !== "postgres") return false;
  const d = argv.indexOf("-D");
  const dir = d >= 0 ? argv[d + 1] : undefined;
  if (!dir) return false;
  // A relative -D is relative to the server's working directory.
  let cwd = "/";
  try {
    cwd = readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    /* an absolute -D does not need it */
  }
  return resolve(cwd, dir) === resolve(dataDir);
}

/**
 * Whether pid is still the process recorded for it: the same start time (a reused pid has another),
 * else the same command line (records written before start times were). Where neither can be read
 * (no /proc), the pid alone decides.
 */
function isRecorded(pid: number, rec: { cmd?: string; startTicks?: number }): boolean {
  const ticks = pidStartTicks(pid);
  if (rec.startTicks !== undefined && ticks !== undefined) return ticks === rec.startTicks;
  const now = pidCommand(pid);
  return rec.cmd === undefined || now === undefined || now === rec.cmd;
}

/** Signals a process and, when it leads a process group (instances and job runs do), the whole group. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    process.kill(pid, sig);
  }
}

/** A process a dead supervisor may have left: how to tell it is still ours, and how to stop it. */
interface Candidate {
  kind: "instance" | "job" | "redis" | "postgres";
  pid: number | undefined;
  isOurs: (pid: number) => boolean;
  sig: NodeJS.Signals;
}

/** What a dead supervisor may have left, from its state.json and PostgreSQL's postmaster.pid. */
function candidates(p: EnvPaths): Candidate[] {
  const all: Candidate[] = [];
  // A supervisor that runs owns all of it, whatever state.json says (a damaged one says nothing).
  const supervisor = runningSupervisor(p);
  if (supervisor !== undefined && supervisor !== process.pid) return all;
  const prev = readJson<SupervisorState>(p.state);
  if (prev && prev.pid !== process.pid && !pidAlive(prev.pid)) {
    const recorded = (rec: { cmd?: string; startTicks?: number }) => (pid: number) => isRecorded(pid, rec);
    for (const i of prev.instances)
      all.push({ kind: "instance", pid: i.pid, isOurs: recorded(i), sig: "SIGKILL" });
    for (const j of prev.jobs ?? [])
      all.push({ kind: "job", pid: j.running?.pid, isOurs: recorded(j.running ?? {}), sig: "SIGTERM" });
    for (const r of Object.values(prev.redis))
      all.push({ kind: "redis", pid: r.pid, isOurs: recorded(r), sig: "SIGTERM" });
  }
  const dataDir = postgresDataDir(p);
  const pidFile = join(dataDir, "postmaster.pid");
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
    // SIGINT is PostgreSQL's fast shutdown.
    if (Number.isInteger(pid))
      all.push({ kind: "postgres", pid, isOurs: (pid) => isOurPostgres(pid, dataDir), sig: "SIGINT" });
  }
  return all;
}

const running = (c: Candidate): c is Candidate & { pid: number } =>
  !!c.pid && c.pid !== process.pid && pidAlive(c.pid) && c.isOurs(c.pid);

/** The pids of what a dead supervisor left running (`status` says so: the app does not answer, yet runs). */
export function leftoverPids(p: EnvPaths): number[] {
  return candidates(p)
    .filter(running)
    .map((c) => c.pid);
}

/**
 * Stops what a dead supervisor left running, as recorded in its state.json (pid and command line) and
 * in PostgreSQL's postmaster.pid. Returns a line for each process stopped; `note` is told about
 * each as it happens.
 */
export async function stopLeftovers(p: EnvPaths, note: (line: string) => void): Promise<string[]> {
  const stopped: string[] = [];
  const stop = async (c: Candidate) => {
    if (!running(c)) return;
    const pid = c.pid;
    const line = `stopping leftover process ${pid} (${pidCommand(pid) ?? "?"})`;
    note(line);
    stopped.push(line);
    try {
      signal(pid, c.sig);
    } catch {
      return;
    }
    for (let i = 0; i < 100 && pidAlive(pid); i++) await sleep(100);
    try {
      // What is left: the process, or what it started (its group outlives it).
      signal(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  };
  const all = candidates(p);
  // The apps before their data: instances, job runs, Redis, then PostgreSQL.
  for (const kind of ["instance", "job", "redis", "postgres"])
    await Promise.all(all.filter((c) => c.kind === kind).map(stop));
  return stopped;
}
