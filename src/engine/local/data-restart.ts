// Keeps PostgreSQL and each Redis running, as it does the instances: a server that exits while the
// supervisor is not stopping (killed, out of memory, a crash) is started again on the same port and
// data, after a back-off, and `status` counts the restarts. A server that cannot be started again
// after a few tries leaves the app unable to serve: the supervisor then fails and ends, so that a
// service manager running `gantry up --attach` (systemd's Restart=on-failure) starts it all again.
import type { SpawnedProcess } from "../../util/exec.js";

/** A data server as the supervisor runs it: its process now, and what became of the ones before. */
export interface DataServer {
  proc: SpawnedProcess;
  restarts: number;
  lastExit?: string;
  /** Set while it is down, between its exit and the restart that works. */
  down?: boolean;
  /** The restart in progress, which a stop waits for: a server being started must not be missed. */
  restarting?: Promise<void>;
  /** A restore owns the server: its exit is not restarted here (restore.ts starts it again). */
  held?: boolean;
}

/**
 * A start that cannot work until someone acts (the data directory is gone and a backup can bring it
 * back): the server is retried every few seconds without giving up, so the app is still there to
 * restore into.
 */
export class WaitsForRestore extends Error {}

export interface DataHost {
  readonly stopping: boolean;
  log(msg: string): void;
  persist(): void;
  /** The server could not be kept running: the supervisor fails. */
  giveUp(why: string): void;
}

/** Starts that fail in a row before the supervisor gives up (about 15 s of back-off). */
export const MAX_FAILED_STARTS = 5;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits ms, or less once the supervisor is stopping. */
async function pause(host: DataHost, ms: number, server?: DataServer): Promise<void> {
  for (const until = Date.now() + ms; Date.now() < until && !host.stopping && !server?.held;)
    await sleep(100);
}

/** The back-off before the nth try in a row: 0.5 s, 1 s, 2 s, ... at most 30 s. */
const backoff = (n: number) => Math.min(30_000, 250 * 2 ** Math.min(n, 7));

/**
 * Watches `server` (named `label`, its log `logFile`) and starts it again with `start` when it exits
 * while the supervisor runs.
 */
export function keepRunning(
  host: DataHost,
  label: string,
  logFile: string,
  server: DataServer,
  start: () => Promise<SpawnedProcess>,
): void {
  /** When it exited lately: one that keeps crashing once started waits longer each time. */
  let crashes: number[] = [];
  const restart = async (): Promise<void> => {
    const now = Date.now();
    crashes = [...crashes.filter((t) => now - t < 60_000), now];
    let waiting = false;
    for (let attempt = 1; ; attempt++) {
      await pause(host, waiting ? 5000 : backoff(attempt + crashes.length - 1), server);
      if (host.stopping || server.held) return;
      try {
        server.proc = await start();
        server.restarts++;
        server.down = false;
        host.log(`${label} started again (restart ${server.restarts})`);
        host.persist();
        watch(server.proc);
        return;
      } catch (e) {
        const why = (e as Error).message.split("\n")[0];
        if (e instanceof WaitsForRestore) {
          if (!waiting) host.log(`${label} cannot be started again: ${why}`);
          server.lastExit = why;
          waiting = true;
          attempt = 0;
          continue;
        }
        host.log(`${label} could not be started again (try ${attempt} of ${MAX_FAILED_STARTS}): ${why}`);
        if (attempt >= MAX_FAILED_STARTS) {
          host.giveUp(`${label} exited and could not be started again (${why}); see ${logFile}`);
          return;
        }
      }
    }
  };
  const watch = (proc: SpawnedProcess) => {
    void proc.exited.then(({ code, signal }) => {
      if (host.stopping || server.held || server.proc !== proc) return;
      server.lastExit = signal ? `killed by ${signal}` : `exited with code ${code ?? "?"}`;
      server.down = true;
      host.log(`${label} ${server.lastExit}; starting it again (see ${logFile})`);
      host.persist();
      server.restarting = restart().finally(() => (server.restarting = undefined));
    });
  };
  watch(server.proc);
}
