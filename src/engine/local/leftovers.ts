// The processes a dead supervisor left behind: instances, job runs, Redis and PostgreSQL keep running
// when the supervisor is killed (SIGKILL, out of memory). `gantry up` stops them before it starts
// again, and `gantry down` and `gantry destroy` stop them when there is no supervisor to ask. A
// process is only signalled when it is provably ours: pids are reused, after a reboot most of all.
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { pidAlive, pidCommand, pidStartTicks, readJson } from "./fsutil.js";
import type { EnvPaths } from "./paths.js";
import type { SupervisorState } from "./state.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The data directory of PostgreSQL under an environment. */
export function postgresDataDir(p: EnvPaths): string {
  return join(p.postgres, "data");
}

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

/**
 * Stops what a dead supervisor left running, as recorded in its state.json (pid and command line) and
 * in PostgreSQL's postmaster.pid. Returns a line for each process stopped; `note` is told about
 * each as it happens.
 */
export async function stopLeftovers(p: EnvPaths, note: (line: string) => void): Promise<string[]> {
  const stopped: string[] = [];
  const stop = async (pid: number | undefined, isOurs: (pid: number) => boolean, sig: NodeJS.Signals) => {
    if (!pid || pid === process.pid || !pidAlive(pid) || !isOurs(pid)) return;
    const line = `stopping leftover process ${pid} (${pidCommand(pid) ?? "?"})`;
    note(line);
    stopped.push(line);
    try {
      signal(pid, sig);
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
  const prev = readJson<SupervisorState>(p.state);
  if (prev && prev.pid !== process.pid && !pidAlive(prev.pid)) {
    const recorded = (rec: { cmd?: string; startTicks?: number }) => (pid: number) => isRecorded(pid, rec);
    await Promise.all(prev.instances.map((i) => stop(i.pid, recorded(i), "SIGKILL")));
    await Promise.all(
      (prev.jobs ?? []).map((j) => stop(j.running?.pid, recorded(j.running ?? {}), "SIGTERM")),
    );
    await Promise.all(Object.values(prev.redis).map((r) => stop(r.pid, recorded(r), "SIGTERM")));
  }
  const dataDir = postgresDataDir(p);
  const pidFile = join(dataDir, "postmaster.pid");
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
    // SIGINT is PostgreSQL's fast shutdown.
    if (Number.isInteger(pid)) await stop(pid, (pid) => isOurPostgres(pid, dataDir), "SIGINT");
  }
  return stopped;
}
