// The processes a dead supervisor left behind: instances, job runs, Redis and PostgreSQL keep running
// when the supervisor is killed (SIGKILL, out of memory). `gantry up` stops them before it starts
// again, and `gantry down` and `gantry destroy` stop them when there is no supervisor to ask. A
// process is only signalled when it is provably ours: pids are reused, after a reboot most of all.
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { pidAlive, pidCommand, readJson } from "./fsutil.js";
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
 * Whether pid still runs the command recorded for it. Without a recorded command, or where command
 * lines cannot be read (no /proc), the pid alone decides.
 */
function runsRecorded(pid: number, cmd: string | undefined): boolean {
  const now = pidCommand(pid);
  return cmd === undefined || now === undefined || now === cmd;
}

/**
 * Stops what a dead supervisor left running, as recorded in its state.json (pid and command line) and
 * in PostgreSQL's postmaster.pid. Returns a line for each process stopped; `note` is told about
 * each as it happens.
 */
export async function stopLeftovers(p: EnvPaths, note: (line: string) => void): Promise<string[]> {
  const stopped: string[] = [];
  const stop = async (pid: number | undefined, isOurs: (pid: number) => boolean, signal: NodeJS.Signals) => {
    if (!pid || pid === process.pid || !pidAlive(pid) || !isOurs(pid)) return;
    const line = `stopping leftover process ${pid} (${pidCommand(pid) ?? "?"})`;
    note(line);
    stopped.push(line);
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    for (let i = 0; i < 100 && pidAlive(pid); i++) await sleep(100);
    if (pidAlive(pid)) process.kill(pid, "SIGKILL");
  };
  const prev = readJson<SupervisorState>(p.state);
  if (prev && prev.pid !== process.pid && !pidAlive(prev.pid)) {
    const recorded = (cmd: string | undefined) => (pid: number) => runsRecorded(pid, cmd);
    await Promise.all(prev.instances.map((i) => stop(i.pid, recorded(i.cmd), "SIGKILL")));
    await Promise.all(
      (prev.jobs ?? []).map((j) => stop(j.running?.pid, recorded(j.running?.cmd), "SIGTERM")),
    );
    await Promise.all(Object.values(prev.redis).map((r) => stop(r.pid, recorded(r.cmd), "SIGTERM")));
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
