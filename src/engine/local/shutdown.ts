// How the supervisor stops (`gantry down`, SIGTERM, SIGINT, a failed start): the instances drain and
// stop with the job runs, then the pub/sub endpoint, the proxy, each Redis and PostgreSQL; the logs are
// written out, the state recorded, the control socket removed, and the process ends.
import { unlinkSync } from "node:fs";
import { backupsOf } from "./backups.js";
import { sleep } from "./instance.js";
import type { ControlServer } from "./protocol.js";
import type { Runtime } from "./runtime.js";

export async function shutdown(rt: Runtime, control: ControlServer | undefined, code: number): Promise<void> {
  const failed = rt.phase === "failed";
  rt.phase = "stopping";
  rt.writeState();
  rt.log("stopping");
  await backupsOf(rt)?.stop();
  await Promise.all([
    ...rt.instances.map((i) => i.stop(Math.min(i.spec.drainMs, 5000), Math.min(i.spec.graceMs, 10_000))),
    rt.scheduler.stop(),
  ]);
  await rt.pubsub?.close().catch(() => undefined);
  await rt.proxy.close().catch(() => undefined);
  // A data server being started again is stopped once it runs, with the others.
  await Promise.all([rt.pg, ...Object.values(rt.redis)].map((s) => s?.restarting ?? Promise.resolve()));
  for (const r of Object.values(rt.redis)) {
    r.proc.kill("SIGTERM");
    await Promise.race([r.proc.exited, sleep(10_000)]);
  }
  if (rt.pg) {
    rt.pg.proc.kill("SIGINT");
    await Promise.race([rt.pg.proc.exited, sleep(20_000)]);
  }
  // Wait for the log files to be written before the process exits.
  await rt.logs.close();
  rt.phase = failed ? "failed" : "stopped";
  rt.instances = [];
  rt.writeState();
  void control?.close();
  try {
    unlinkSync(rt.paths.socket);
  } catch {
    /* already gone */
  }
  rt.log("stopped");
  process.exit(code);
}
