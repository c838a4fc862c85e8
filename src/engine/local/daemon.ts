// Entry point of the background supervisor process, started detached by `gantry up`:
//   node daemon.js <app-dir> <env> <proxy-port> [crash-watch-ms]
// <proxy-port> is the port `up --port` asked for, which the proxy must get; 0 when none was.
// Its stdout and stderr go to .gantry/<env>/logs/supervisor.log.
import { envPaths } from "./paths.js";
import { runSupervisor } from "./supervisor.js";
import { childBaseEnv } from "./launch.js";

const [appDir, env, proxyPort, crashWatch] = process.argv.slice(2);
if (!appDir || !env) {
  process.stderr.write("usage: daemon <app-dir> <env> [proxy-port]\n");
  process.exit(2);
}
process.title = `gantry-supervisor ${env}`;
// The supervisor keeps the app, PostgreSQL and Redis running: an error nothing handled (a bug, or an
// input no one foresaw) must not take them all down with the proxy. It is written to supervisor.log
// (this process's stderr) and the work goes on.
const survive = (e: unknown) => {
  process.stderr.write(
    `gantry supervisor: unhandled error (still running): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
};
// Its log on a disk that filled up or went read-only: the lines are lost, and nothing else.
process.stdout.on("error", () => undefined);
process.stderr.on("error", () => undefined);
process.on("unhandledRejection", survive);
process.on("uncaughtException", survive);
await runSupervisor({
  paths: envPaths(appDir, env),
  baseEnv: childBaseEnv(process.env),
  ...(process.env.GANTRY_SECRETS_KEY ? { secretsKeyEnv: process.env.GANTRY_SECRETS_KEY } : {}),
  ...(Number(proxyPort) > 0 ? { requestedProxyPort: Number(proxyPort) } : {}),
  ...(crashWatch ? { crashWatchMs: Number(crashWatch) } : {}),
});
