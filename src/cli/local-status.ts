// `gantry status`: whether the app runs, its release, and a row per process (PostgreSQL, each Redis,
// the pub/sub endpoint, every instance) with its health, port, pid, uptime and restarts; then the jobs.
import type { Command } from "commander";
import { clusterOptions, clusterStatus, onCluster, type ClusterOptions } from "./cluster.js";
import { leftoverPids } from "../engine/local/leftovers.js";
import { liveState } from "../engine/local/client.js";
import { pidAlive } from "../engine/local/fsutil.js";
import type { EnvPaths } from "../engine/local/paths.js";
import { formatRecovery, recoveryStatus } from "../engine/local/recovery-status.js";
import { readState, type ProcessRecord, type SupervisorState } from "../engine/local/state.js";
import { age, table } from "./format.js";
import { formatJobs } from "./local-jobs.js";
import { formatSignals } from "./local-status-signals.js";
import { appArguments, localAppLoose } from "./local-app.js";
import type { Io } from "./main.js";

function notRunning(paths: EnvPaths, st: SupervisorState | undefined, io: Io): void {
  io.out(
    `${paths.env}: not running${st?.release ? ` (last release ${st.release})` : ""}; \`gantry up\` starts it\n`,
  );
  // A killed supervisor's instances, Redis and PostgreSQL run on, unreachable: say so.
  const left = st && !pidAlive(st.pid) ? leftoverPids(paths) : [];
  if (left.length > 0)
    io.out(
      `its supervisor (pid ${st!.pid}) is gone, and left ${left.length} process${left.length === 1 ? "" : "es"} running (pid ${left.join(", ")}): \`gantry up\` stops ${left.length === 1 ? "it" : "them"} and starts the app again, \`gantry down\` only stops ${left.length === 1 ? "it" : "them"}\n`,
    );
}

/** The table's rows: the data services and the pub/sub endpoint, then the instances by id. */
function rows(live: SupervisorState): string[][] {
  const up = age(live.startedAt);
  const data = (service: string, name: string, rec: ProcessRecord, alive = pidAlive(rec.pid)) => [
    service,
    name,
    rec.down ? "restarting" : alive ? "running" : "down",
    "-",
    String(rec.port),
    String(rec.pid),
    up,
    String(rec.restarts ?? 0),
    rec.lastExit ?? "",
  ];
  return [
    ["SERVICE", "INSTANCE", "STATUS", "READY", "PORT", "PID", "UPTIME", "RESTARTS", "LAST EXIT"],
    ...(live.postgres
      ? [data("postgres", `postgres ${live.postgres.version ?? ""}`.trim(), live.postgres)]
      : []),
    ...Object.entries(live.redis).map(([n, r]) => data("redis", n, r)),
    ...(live.daprPort ? [data("pubsub", "dapr-api", { pid: live.pid, port: live.daprPort }, true)] : []),
    ...[...live.instances]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((i) => [
        i.service,
        `${i.id}${i.serving ? "" : " (new)"}`,
        i.status,
        i.ready ? "yes" : "no",
        i.port ? String(i.port) : "-",
        i.pid ? String(i.pid) : "-",
        i.pid ? age(i.startedAt) : "-",
        String(i.restarts),
        i.lastExit ?? "",
      ]),
  ];
}

async function status(path: string, opts: { env?: string; json?: boolean }, io: Io): Promise<void> {
  const { paths } = localAppLoose(path, opts.env, io);
  const live = await liveState(paths);
  const st = live ?? readState(paths);
  if (opts.json) {
    io.out(
      JSON.stringify(
        { running: live !== undefined, ...(st ?? {}), recovery: recoveryStatus(paths) },
        null,
        2,
      ) + "\n",
    );
    return;
  }
  if (!live) return notRunning(paths, st, io);
  io.out(
    `${paths.env}: ${live.release ? `running release ${live.release}` : "running, no release serving (`gantry releases` says why)"}${live.deploying ? `, deploying ${live.deploying}` : ""}; supervisor pid ${live.pid}, up ${age(live.startedAt)}\n`,
  );
  if (live.proxyPort) io.out(`proxy: http://127.0.0.1:${live.proxyPort}/\n`);
  io.out(table(rows(live)));
  if (live.jobs && live.jobs.length > 0) io.out(`\n${formatJobs(live.jobs)}`);
  io.out(formatSignals(live));
  io.out(formatRecovery(recoveryStatus(paths)));
  const loops = live.instances.filter((i) => i.status === "crash-loop");
  if (loops.length > 0)
    io.out(`\ncrash loop: ${loops.map((i) => i.id).join(", ")}; see \`gantry logs ${loops[0]!.service}\`\n`);
}

export function registerStatus(program: Command, io: Io): void {
  clusterOptions(
    appArguments(
      program
        .command("status")
        .description("Show services, instances, health, release, ports, uptime and restarts."),
    ),
  )
    .option("--json", "print the state as JSON")
    .action((path: string, opts: ClusterOptions & { json?: boolean }) =>
      onCluster(opts) ? clusterStatus(path, opts, io) : status(path, opts, io),
    );
}
