// The background supervisor: one detached Gantry process per app environment. It owns PostgreSQL,
// Redis, the pub/sub endpoint, the proxy and every service instance (runtime.ts, provision.ts,
// instance.ts); applies the rollouts (rollout.ts) that `gantry up|deploy|rollback` ask for over the
// control socket (protocol.ts); runs the serving release's scheduled jobs (scheduler.ts), on schedule
// and on `gantry run`; and stops it all on `gantry down` (shutdown.ts).
import { mkdirSync } from "node:fs";
import type { AppModel } from "../../model/types.js";
import { readJson } from "./fsutil.js";
import { supervisorLockFile } from "./find-supervisor.js";
import { stopLeftovers } from "./leftovers.js";
import { acquireLock } from "./lock.js";
import { provisionStep, type RolloutKind } from "./plan.js";
import { listenProxy } from "./ports.js";
import { serveControl, type ControlHandlers, type ControlServer, type RolloutEvent } from "./protocol.js";
import { provision } from "./provision.js";
import { recoveryTask } from "./recovery-tasks.js";
import { planRollout, rollout } from "./rollout.js";
import { Runtime, type SupervisorOptions } from "./runtime.js";
import { shutdown } from "./shutdown.js";
import { exposition } from "./metrics-text.js";
import { serveMetrics, type MetricsServer } from "./metrics-server.js";
import { Signals } from "./signals.js";
import type { SupervisorState } from "./state.js";

export type { SupervisorOptions } from "./runtime.js";

export class Supervisor {
  private readonly rt: Runtime;
  private control?: ControlServer;
  /** The start in progress, which a stop waits for (see shutdown). */
  private starting?: Promise<void>;
  /** Rollouts run one at a time, in the order they were asked for. */
  private rolloutChain: Promise<unknown> = Promise.resolve();
  /** Request metrics, alerts and `/metrics` (signals.ts). */
  private readonly signals: Signals;
  private metricsServer?: MetricsServer;

  constructor(o: SupervisorOptions) {
    this.rt = new Runtime(o, (m) => this.log(m));
    this.signals = new Signals(this.rt);
    this.rt.onGiveUp = (why) => {
      this.fail(new Error(why));
      void this.shutdown(1);
    };
  }

  log(msg: string): void {
    process.stdout.write(`${new Date().toISOString()} ${this.rt.redact(msg)}\n`);
  }

  /** Lines to a service's (or job's) log, each as `<time> <instance> | <text>`, redacted. */
  writeLog(service: string, instance: string, texts: string | string[]): void {
    this.rt.writeLog(service, instance, texts);
  }

  /** Starts the data services, the pub/sub endpoint, the proxy and the control socket. */
  start(): Promise<void> {
    this.starting = this.startNow();
    return this.starting;
  }

  private async startNow(): Promise<void> {
    const { rt } = this;
    mkdirSync(rt.paths.logs, { recursive: true });
    const model = readJson<AppModel>(rt.paths.model);
    if (!model) throw new Error(`${rt.paths.model} is missing`);
    rt.model = model;
    // After a supervisor was killed, its children may still run: stop those that are still ours.
    await stopLeftovers(rt.paths, (l) => this.log(l));
    rt.persist();
    const previous = readJson<SupervisorState>(rt.paths.state);
    rt.scheduler.restore(previous?.jobs ?? []);
    // The proxy first: a port asked for and taken fails `up` before PostgreSQL and Redis are started.
    rt.proxyPort = await listenProxy(
      (port) => rt.proxy.listen(port),
      rt.o.requestedProxyPort,
      previous?.proxyPort,
    );
    this.log(`proxy on 127.0.0.1:${rt.proxyPort}`);
    this.metricsServer = await serveMetrics(() => exposition(this.signals.families()), previous?.metricsPort);
    rt.metricsPort = this.metricsServer.port;
    this.signals.start();
    const need = provisionStep(model);
    if (need) await provision(rt, need, previous);
    this.control = await serveControl(rt.paths.socket, this.handlers(), (s) => rt.redact(s));
    rt.phase = "running";
    rt.writeState();
  }

  rollout(
    release: string,
    kind: RolloutKind,
    emit: (e: RolloutEvent) => void,
    aborted: () => boolean,
  ): Promise<RolloutEvent> {
    return rollout(this.rt, release, kind, emit, aborted);
  }

  private handlers(): ControlHandlers {
    const { rt } = this;
    return {
      status: () => ({ ...rt.writeState(), ...this.signals.status() }),
      metrics: () => exposition(this.signals.families()),
      stop: () => void this.shutdown(0),
      plan: (req) => planRollout(rt, req.model, req.release, req.kind),
      rollout: (req) => async (out) => {
        const run = this.rolloutChain.then(() =>
          this.rollout(req.release, req.kind, (e) => out.send(e), out.gone),
        );
        this.rolloutChain = run.catch(() => undefined);
        out.send(await run);
      },
      task: (req) => recoveryTask(rt, req),
      // `gantry run` follows the run; a command that goes away stops following, and the run goes on, as
      // a Kubernetes Job does.
      run: (req) => {
        const r = rt.scheduler.runNow(req.job, req.retry === false ? { retry: false } : {});
        if ("error" in r) return { status: r.status, error: r.error, ...(r.hint ? { hint: r.hint } : {}) };
        return async (out) => {
          out.send({ type: "step", message: `started ${r.run.id}` });
          const unfollow = r.run.follow((e) => out.send(e));
          const record = await r.run.done;
          unfollow();
          out.send({ type: "end", record });
        };
      },
    };
  }

  async shutdown(code: number): Promise<void> {
    if (this.rt.stopping) return;
    this.rt.stopping = true;
    // A stop asked for while it starts (`gantry down` right after an interrupted `up`) waits for the
    // start: a Redis or PostgreSQL it was spawning would be missed, and outlive it, orphaned.
    await this.starting?.catch(() => undefined);
    this.signals.stop();
    await this.metricsServer?.close();
    await shutdown(this.rt, this.control, code);
  }

  fail(e: unknown): void {
    this.rt.phase = "failed";
    this.rt.error = e instanceof Error ? e.message : String(e);
    this.log(`failed: ${this.rt.error}`);
    this.rt.writeState();
  }
}

export async function runSupervisor(o: SupervisorOptions): Promise<void> {
  // One supervisor per environment, for its whole life (a lock whose owner died is taken over). A
  // second one, started by an `up` that did not see the first still starting, would stop the first
  // one's PostgreSQL and Redis as leftovers and overwrite its state: it ends here, touching nothing.
  try {
    acquireLock(supervisorLockFile(o.paths), "supervisor");
  } catch (e) {
    process.stdout.write(`${new Date().toISOString()} not started: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const sup = new Supervisor(o);
  process.on("SIGTERM", () => void sup.shutdown(0));
  process.on("SIGINT", () => void sup.shutdown(0));
  process.on("SIGHUP", () => undefined);
  try {
    await sup.start();
  } catch (e) {
    sup.fail(e);
    await sup.shutdown(1);
  }
}
