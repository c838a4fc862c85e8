// `gantry up`: starts the supervisor when it does not run (or waits for one still starting), deploys the
// first release, and with --attach stays in the foreground streaming the logs until a signal stops the
// app or the supervisor ends.
import type { Command } from "commander";
import { join } from "node:path";
import { UserError } from "../errors.js";
import type { AppModel } from "../model/types.js";
import { interrupted, liveState, requestRollout, stopSupervisor } from "../engine/local/client.js";
import { lastServing, type ReleaseRecord } from "../engine/local/release.js";
import { pidAlive, subdirectories } from "../engine/local/fsutil.js";
import {
  checkBinaries,
  startingSupervisor,
  startSupervisor,
  supervisorStarted,
} from "../engine/local/launch.js";
import { runningSupervisor } from "../engine/local/find-supervisor.js";
import { postgresDataDir } from "../engine/local/postgres-location.js";
import { envPaths, type EnvPaths } from "../engine/local/paths.js";
import { openStore } from "../engine/local/secrets.js";
import { readState } from "../engine/local/state.js";
import { installMissing, type Need } from "../engine/local/system-packages.js";
import { deployNew, fail, printUrls } from "./local-deploy.js";
import { followLogs } from "./local-logs.js";
import { appArguments, localApp, locked, progress, type LocalApp } from "./local-app.js";
import type { Io } from "./main.js";

/** The other environment of the app whose running proxy listens on `port` ("another program" would mislead). */
function envOnPort(paths: EnvPaths, port: number): string | undefined {
  const others = subdirectories(paths.root).filter((d) => d !== paths.env);
  return others.find((d) => {
    const st = readState(envPaths(paths.appDir, d));
    return st?.phase === "running" && st.proxyPort === port && pidAlive(st.pid);
  });
}

/** `up --port`: a TCP port number, checked before anything starts (Number("abc") would be any port). */
function portOption(text: string): number {
  const port = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535))
    throw new UserError(
      `--port must be a port number from 1 to 65535, not ${JSON.stringify(text)}`,
      "leave --port out to use the port of the last run, else a free one",
    );
  return port;
}

/**
 * Streams the logs until Ctrl-C (or SIGTERM), then stops the app. It also ends when the supervisor
 * does: with 0 after a `gantry down` from elsewhere, with 1 when the supervisor died, so that a service
 * manager running `gantry up --attach` (systemd's Restart=on-failure) starts it again.
 */
async function attach(paths: EnvPaths, io: Io): Promise<void> {
  io.err("attached: streaming logs; press Ctrl-C to stop the app\n");
  const pid = runningSupervisor(paths) ?? readState(paths)?.pid;
  let watch: NodeJS.Timeout | undefined;
  const ended = new Promise<"signal" | "supervisor">((resolve) => {
    process.once("SIGINT", () => resolve("signal"));
    process.once("SIGTERM", () => resolve("signal"));
    watch = setInterval(() => {
      if (!pidAlive(pid)) resolve("supervisor");
    }, 1000);
  });
  const follower = followLogs(paths, undefined, io);
  // Nobody reads the logs any more (a journal restarting, a pipe closed): the app runs on, unstreamed.
  void io.outClosed?.then(() => follower.stop());
  const why = await ended;
  clearInterval(watch);
  follower.stop();
  if (why === "signal") {
    await stopSupervisor(paths, progress(io));
    return;
  }
  const st = readState(paths);
  if (st?.phase === "stopped") {
    io.err("the app was stopped (`gantry down`)\n");
    return;
  }
  throw new UserError(
    st?.phase === "failed" && st.error
      ? `the supervisor failed: ${st.error}; the app is not running`
      : `the supervisor (pid ${pid ?? "unknown"}) ended without stopping the app (killed?): the app is not running`,
    `its log is ${join(paths.logs, "supervisor.log")}; \`gantry up\` starts the app again with the same data`,
  );
}

/** Rolls the release that served last out again, through the same health-gated path as a rollback. */
async function resumeRelease(
  t: LocalApp,
  { id, model }: ReleaseRecord,
  io: Io,
  signal: AbortSignal,
  p: (l: string) => void,
) {
  p(`resuming ${id}, which served before; \`gantry deploy\` rolls out the working tree`);
  const r = await requestRollout(t.paths, id, "rollback", p, signal);
  if (!r.ok) fail(io, r);
  io.out(`${t.model.name} (${t.model.environment.name}) is up with ${id}: ${r.message}\n`);
  const st = (await liveState(t.paths)) ?? readState(t.paths);
  if (st) printUrls(io, model, st);
}

/** Starts the supervisor, or waits for one an earlier, interrupted `up` left starting. */
async function ensureSupervisor(
  t: LocalApp,
  port: number | undefined,
  signal: AbortSignal,
  p: (l: string) => void,
  model: AppModel,
) {
  const starting = startingSupervisor(t.paths);
  if (starting) {
    p(`waiting for the supervisor (pid ${starting}), which an earlier \`gantry up\` started`);
    await supervisorStarted(t.paths, starting, { progress: p, signal });
    return;
  }
  const other = port === undefined ? undefined : envOnPort(t.paths, port);
  if (other)
    throw new UserError(
      `port ${port} is the proxy of this app's ${other} environment`,
      "every environment needs a port of its own: pick another --port, or leave it out",
    );
  openStore(t.paths, process.env.GANTRY_SECRETS_KEY);
  await startSupervisor(t.paths, model, process.env, {
    ...(port !== undefined ? { requestedProxyPort: port } : {}),
    ...(process.env.GANTRY_CRASH_WATCH_MS ? { crashWatchMs: Number(process.env.GANTRY_CRASH_WATCH_MS) } : {}),
    progress: p,
    signal,
  });
}

interface UpOptions {
  env?: string;
  port?: string;
  attach?: boolean;
  /** false with --no-install. */
  install?: boolean;
}

async function up(path: string, opts: UpOptions, io: Io) {
  const port = opts.port === undefined ? undefined : portOption(opts.port);
  const t = localApp(path, opts.env, io);
  const install = (needs: Need[]) =>
    installMissing(needs, {
      noInstall: opts.install === false,
      pathEnv: process.env.PATH,
      say: progress(io),
    });
  for (const note of await checkBinaries(t.model, process.env.PATH, postgresDataDir(t.paths), install))
    io.err(`note: ${note}\n`);
  await locked(t.paths, "up", io, async (signal) => {
    try {
      const live = await liveState(t.paths);
      // A supervisor that runs keeps its proxy port: serving elsewhere than asked is refused, as
      // when another program holds the port.
      if (port !== undefined && live?.proxyPort !== undefined && live.proxyPort !== port)
        throw new UserError(
          `${t.model.name} (${t.model.environment.name}) already runs with its proxy on port ${live.proxyPort}, not ${port}`,
          `\`gantry down\`, then \`gantry up --port ${port}\`, moves it`,
        );
      if (live?.release) {
        io.out(
          `${t.model.name} (${t.model.environment.name}) is already running release ${live.release}; \`gantry deploy\` rolls out changes\n`,
        );
        printUrls(io, t.model, live);
        return;
      }
      const p = progress(io);
      // The release that served before `down` or a crash comes back, not the working tree (which may
      // hold the code a rollback took out of service): building that is `gantry deploy`.
      const resume = lastServing(t.paths, readState(t.paths)?.release);
      if (!live) await ensureSupervisor(t, port, signal, p, resume?.model ?? t.model);
      if (resume) await resumeRelease(t, resume, io, signal, p);
      else await deployNew(t, io, "up", signal, p);
    } catch (e) {
      // With --attach, Ctrl-C (or a service manager's SIGTERM) stops the app, also before it serves.
      if (!opts.attach || !signal.aborted) throw e;
      await stopSupervisor(t.paths, progress(io));
      throw interrupted(signal, "the app was stopped before `up --attach` had started it");
    }
  });
  if (opts.attach) await attach(t.paths, io);
}

export function registerUp(program: Command, io: Io): void {
  appArguments(
    program
      .command("up")
      .description(
        "Run the app on this machine: PostgreSQL, Redis, topics, every service and a proxy, in the background.",
      ),
  )
    .option("-p, --port <port>", "proxy port (default: the last one used, else a free one)")
    .option("-a, --attach", "stay in the foreground and stream the logs; Ctrl-C stops the app")
    .option(
      "--no-install",
      "never install missing PostgreSQL or Redis with the system's package manager; print the command instead",
    )
    .action((path: string, opts: UpOptions) => up(path, opts, io));
}
