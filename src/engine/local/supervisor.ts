// The background supervisor: one detached Gantry process per app environment. It owns PostgreSQL,
// Redis, the pub/sub endpoint, the proxy and every service instance; restarts crashed instances with
// back-off; and applies rollouts (migrate, start, wait for readiness, switch, watch, drain, stop)
// asked for by `gantry up|deploy|rollback` over a Unix socket. If the asking command goes away before
// the switch, the rollout is abandoned and the old release keeps serving. It also runs the serving
// release's scheduled jobs (scheduler.ts), on schedule and on `gantry run`.
import http from "node:http";
import net from "node:net";
import { createWriteStream, existsSync, mkdirSync, readdirSync, unlinkSync, type WriteStream } from "node:fs";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import type { AppModel } from "../../model/types.js";
import { exec, spawnProcess, type SpawnedProcess } from "../../util/exec.js";
import { splitCommand } from "./command.js";
import { UserError } from "../../spec/problems.js";
import { serviceEnv, PUBSUB_NAME, type Infra } from "./env.js";
import { pidCommand, pidStartTicks, readJson, writeJsonAtomic } from "./fsutil.js";
import {
  ensureDatabases,
  findOnPath,
  choosePostgres,
  postgresInstalls,
  postgresWanted,
  canTraverse,
  dataUser,
  startPostgres,
  startRedis,
} from "./infra.js";
import type { EnvPaths } from "./paths.js";
import { releaseDir } from "./paths.js";
import { planDeploy, type DeployPlan, type StartStep } from "./plan.js";
import { eachLines } from "./output.js";
import { Proxy, type Backend, type ProxyTable } from "./proxy.js";
import { PubSub, type Subscription } from "./pubsub.js";
import {
  isVirtualEnv,
  KEEP_RELEASES,
  listReleases,
  pruneReleases,
  readRelease,
  updateRelease,
} from "./release.js";
import { buildRoutes } from "./routing.js";
import { INTERNAL_PREFIX, openStore, redactor, SecretStore } from "./secrets.js";
import { postgresDataDir, stopLeftovers } from "./leftovers.js";
import { jobDefinitions, startJobProcess, type LocalJob } from "./jobs.js";
import { Scheduler } from "./scheduler.js";
import { acquireLock } from "./lock.js";
import type { InstanceInfo, InstanceStatus, ProcessRecord, SupervisorState } from "./state.js";

export const PG_PASSWORD = `${INTERNAL_PREFIX}postgres_password`;
/** The role apps connect as (DATABASE_URL): owner of their databases, not a superuser. */
export const PG_APP_USER = "app";
export const PG_APP_PASSWORD = `${INTERNAL_PREFIX}postgres_app_password`;
/** The password of the environment's Redis servers (each wants it: other accounts on the machine must not get in). */
export const REDIS_PASSWORD = `${INTERNAL_PREFIX}redis_password`;
export const PG_USER = "gantry";
const TOPICS_REDIS = "_topics";

export interface SupervisorOptions {
  paths: EnvPaths;
  /** Environment inherited by child processes (PATH, HOME, ...), without Gantry's own keys. */
  baseEnv: Record<string, string>;
  secretsKeyEnv?: string;
  /** The port `gantry up --port` asked for: the proxy listens on it or the supervisor fails to start. */
  requestedProxyPort?: number;
  crashWatchMs?: number;
}

/** One progress event of a rollout, streamed to the command that asked for it (NDJSON). */
export interface RolloutEvent {
  type: "step" | "done" | "failed";
  message: string;
  logs?: string[];
  /** What to change, when the failure says (an app on a fixed port, a health path it does not answer). */
  hint?: string;
}

/** Whether `cmd` is an npm package's command in a node_modules/.bin at or above dir (workspaces hoist them). */
function inNodeModulesBin(dir: string, cmd: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, "node_modules", ".bin", cmd))) return true;
    if (dirname(d) === d) return false;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Asks a process to stop (SIGTERM) and kills it (SIGKILL) if it has not exited after graceMs. */
async function terminate(p: SpawnedProcess, graceMs: number): Promise<void> {
  p.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<true>((r) => (timer = setTimeout(() => r(true), graceMs)));
  const killed = await Promise.race([p.exited.then(() => false), late]);
  clearTimeout(timer);
  if (killed) {
    p.kill("SIGKILL");
    await p.exited;
  }
}

/**
 * Starts the proxy on its port. One asked for with `up --port` must be free: the user's links name it,
 * and serving elsewhere would be a surprise. The port of the previous run is only a preference, kept
 * when still free; else any free port.
 */
export async function listenProxy(
  listen: (port: number) => Promise<number>,
  requested: number | undefined,
  remembered: number | undefined,
): Promise<number> {
  if (requested) {
    try {
      return await listen(requested);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(
        code === "EADDRINUSE"
          ? `port ${requested} (--port) is already in use by another program`
          : `the proxy cannot listen on port ${requested} (--port): ${(e as Error).message}`,
      );
    }
  }
  if (remembered) {
    try {
      return await listen(remembered);
    } catch {
      // Taken by another program since the last run: any free port will do.
    }
  }
  return listen(0);
}

/** One process of a service; exported for tests. */
export class Instance implements Backend {
  ready = false;
  inflight = 0;
  status: InstanceStatus = "starting";
  restarts = 0;
  serving = false;
  proc?: SpawnedProcess;
  private procStartTicks?: number;
  startedAt?: number;
  lastExit?: string;
  stopping = false;
  readonly tail: string[] = [];
  private crashes: number[] = [];
  private healthFails = 0;
  private livenessFails = 0;
  /** Why Gantry itself stopped the process, shown as its last exit instead of the signal. */
  private killedBecause: string | undefined;
  /** The command was not found when the process was last started. */
  private notFound = false;
  /** The last readiness check's outcome, for failure messages. */
  lastCheck = "was not tried";
  private restartTimer?: NodeJS.Timeout;
  private exitWaiters: (() => void)[] = [];
  /** The last start(), which stop() waits for when it finds no process: one may be being spawned. */
  private starting: Promise<void> = Promise.resolve();
  private stopGraceMs?: number;

  constructor(
    readonly id: string,
    readonly service: string,
    readonly release: string,
    readonly port: number,
    readonly argv: string[],
    readonly cwd: string,
    readonly env: Record<string, string>,
    readonly step: StartStep,
    private readonly sup: Supervisor,
  ) {}

  get alive(): boolean {
    return this.proc !== undefined;
  }

  start(): Promise<void> {
    this.starting = this.launch();
    return this.starting;
  }

  private async launch(): Promise<void> {
    const [cmd, ...args] = this.argv;
    this.status = "starting";
    this.ready = false;
    this.healthFails = 0;
    this.livenessFails = 0;
    this.killedBecause = undefined;
    this.notFound = false;
    let p: SpawnedProcess;
    try {
      p = await spawnProcess(cmd!, args, { cwd: this.cwd, env: this.env, group: true });
    } catch (e) {
      // ENOENT from spawn is the command (the release's directory exists): "spawn gunicorn ENOENT" says
      // little to someone who never saw Node's errors.
      this.notFound = (e as NodeJS.ErrnoException).code === "ENOENT";
      this.lastExit = `could not start: ${this.notFound ? `${cmd} was not found` : (e as Error).message}`;
      this.line(this.lastExit);
      this.onExit();
      return;
    }
    if (this.stopping) {
      // stop() ran while the process was being spawned (a back-off restart during `down`) and found
      // none to stop: this one must not run on, unsupervised.
      await terminate(p, this.stopGraceMs ?? this.step.graceMs);
      this.status = "stopped";
      this.sup.persist();
      return;
    }
    this.proc = p;
    this.procStartTicks = pidStartTicks(p.pid);
    this.startedAt = Date.now();
    const outputClosed = this.sup.pipeLogs(this, p);
    // The exit is handled once the last lines are read (a crash's reason is usually in them), or
    // after 300 ms when a child of the process keeps the pipes open.
    const exited = p.exited.then((r) => Promise.race([outputClosed, sleep(300)]).then(() => r));
    void exited.then(({ code, signal }) => {
      if (this.proc !== p) return;
      this.proc = undefined;
      this.lastExit =
        this.killedBecause ?? (signal ? `killed by ${signal}` : `exited with code ${code ?? "?"}`);
      if (!this.stopping && !this.killedBecause) this.line(`gantry: instance ${this.id} ${this.lastExit}`);
      this.onExit();
    });
    this.sup.persist();
    void this.healthLoop(p);
  }

  line(text: string): void {
    this.lines([text]);
  }

  /** Lines of output: kept for failure messages (the last 40) and written to the service's log. */
  lines(texts: string[]): void {
    this.tail.push(...texts.slice(-40));
    if (this.tail.length > 40) this.tail.splice(0, this.tail.length - 40);
    this.sup.writeLog(this.service, this.id, texts);
  }

  private onExit(): void {
    this.ready = false;
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const w of waiters) w();
    if (this.stopping) {
      this.status = "stopped";
      this.sup.persist();
      return;
    }
    if (!this.serving) {
      // A new instance that dies during a rollout fails that rollout; it is not restarted.
      this.status = "failed";
      this.sup.persist();
      return;
    }
    const now = Date.now();
    if (this.startedAt && now - this.startedAt > 30_000) this.crashes = [];
    this.crashes.push(now);
    this.crashes = this.crashes.filter((t) => now - t < 60_000);
    this.status = this.crashes.length >= 3 ? "crash-loop" : "crashed";
    const delay = Math.min(30_000, 250 * 2 ** Math.min(this.crashes.length, 8));
    this.sup.log(
      `${this.id} ${this.lastExit ?? "exited"}; restarting in ${delay} ms${this.status === "crash-loop" ? " (crash loop)" : ""}`,
    );
    this.sup.persist();
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.restarts++;
      void this.start();
    }, delay);
  }

  /** What to change when the instance never got ready: its command, or what its last check says. */
  hint(): string | undefined {
    if (this.notFound) {
      const cmd = this.argv[0]!;
      const where = `\`services.${this.service}.command\` in gantry.yaml`;
      if (inNodeModulesBin(this.cwd, cmd))
        return `${cmd} is in node_modules/.bin, which is not on the PATH: use \`npx ${cmd}\` or an npm script in ${where}`;
      // A virtual environment is not activated for the process: its scripts are run by their path.
      const venv = (existsSync(this.cwd) ? readdirSync(this.cwd) : []).find(
        (d) => isVirtualEnv(join(this.cwd, d)) && existsSync(join(this.cwd, d, "bin", cmd)),
      );
      if (venv)
        return `${cmd} is in the virtual environment ${venv}/, which is not on the PATH: use \`${venv}/bin/${cmd}\` in ${where}`;
      return `install ${cmd} where the shell that ran gantry finds it (commands run without a shell, on its PATH), or change ${where}`;
    }
    if (!this.alive) return undefined;
    if (this.lastCheck.startsWith("was refused"))
      return `nothing listened on 127.0.0.1:${this.port}, given to it as HOST and PORT: the app must listen on $PORT (on 127.0.0.1 or every address; ::1 alone is not reached), not on a fixed port (a process that serves no HTTP is a worker: \`type: worker\`, without \`port\`)`;
    const status = /^answered (\d+)/.exec(this.lastCheck)?.[1];
    if (status)
      return `the app answers ${this.checkName()} with ${status}: add that route (answering 2xx), or set \`services.${this.service}.health\` in gantry.yaml to a path it answers with 2xx`;
    return undefined;
  }

  /** The readiness check, as messages name it: the GET of its path, or a connection to its port. */
  checkName(): string {
    return this.step.readiness ? `GET ${this.step.readiness}` : `a connection to port ${this.port}`;
  }

  /** A connection to the instance's port, for one without a health path: whether it was accepted. */
  private probePort(): Promise<{ ok: boolean; what: string }> {
    return new Promise((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port: this.port, timeout: 2000 });
      const done = (r: { ok: boolean; what: string }) => {
        s.destroy();
        resolve(r);
      };
      s.once("connect", () => done({ ok: true, what: "was accepted" }));
      s.once("timeout", () => done({ ok: false, what: "timed out" }));
      s.once("error", (e: NodeJS.ErrnoException) =>
        done({
          ok: false,
          what: e.code === "ECONNREFUSED" ? "was refused (nothing listening yet)" : `failed (${e.message})`,
        }),
      );
    });
  }

  /** GET path on the instance: whether it answered 2xx, and what happened, for messages. */
  private async probe(path: string): Promise<{ ok: boolean; what: string }> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}${path}`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return { ok: res.status >= 200 && res.status < 300, what: `answered ${res.status}` };
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause;
      return {
        ok: false,
        what:
          cause?.code === "ECONNREFUSED"
            ? "was refused (nothing listening yet)"
            : `failed (${(e as Error).message})`,
      };
    }
  }

  /**
   * Readiness every second (every 50 ms until ready): 3 failures in a row take the instance out of
   * rotation until it passes again. Liveness, once the instance serves: 3 failures in a row mean it
   * is hung, so it is restarted, as the kubelet does (SIGTERM, SIGKILL after the grace period).
   */
  private async healthLoop(p: SpawnedProcess): Promise<void> {
    const path = this.step.readiness;
    const live = this.step.liveness;
    const aliveSince = Date.now();
    while (this.proc === p && !this.stopping) {
      const checkLiveness = live !== undefined && this.serving && this.status !== "starting";
      // Both at once, so a hung instance costs one probe timeout per round, not two.
      const [readiness, liveness] = await Promise.all([
        path ? this.probe(path) : this.step.port ? this.probePort() : undefined,
        checkLiveness && live !== path ? this.probe(live) : undefined,
      ]);
      let ok: boolean;
      if (readiness) {
        ok = readiness.ok;
        this.lastCheck = readiness.what;
      } else {
        ok = Date.now() - aliveSince >= 500;
      }
      if (this.proc !== p || this.stopping) break;
      const before = this.ready;
      if (ok) {
        this.healthFails = 0;
        this.ready = true;
        if (this.status === "starting" || this.status === "crashed" || this.status === "crash-loop")
          this.status = "running";
      } else if (this.ready) {
        this.healthFails++;
        if (this.healthFails >= 3) {
          this.ready = false;
          this.line(
            `gantry: ${this.id} failed 3 readiness checks (${this.checkName()}); taken out of rotation`,
          );
        }
      }
      if (checkLiveness) {
        const r = liveness ?? { ok, what: this.lastCheck };
        this.livenessFails = r.ok ? 0 : this.livenessFails + 1;
        if (this.livenessFails >= 3) {
          this.restartHung(p, `failed 3 liveness checks (GET ${live} ${r.what})`);
          break;
        }
      }
      if (before !== this.ready) this.sup.persist();
      await sleep(this.ready ? 1000 : 50);
    }
  }

  /** Stops a hung process; its exit then restarts it like a crash, with the same back-off. */
  private restartHung(p: SpawnedProcess, why: string): void {
    this.ready = false;
    this.killedBecause = `restarted: ${why}`;
    this.line(`gantry: ${this.id} ${why}; restarting it`);
    this.sup.persist();
    void terminate(p, this.step.graceMs);
  }

  waitExit(): Promise<void> {
    if (!this.proc) return Promise.resolve();
    return new Promise((r) => this.exitWaiters.push(r));
  }

  /** Stops taking traffic, waits for in-flight requests (up to drainMs), then SIGTERM, then SIGKILL after graceMs. */
  async stop(drainMs: number, graceMs: number): Promise<void> {
    this.stopping = true;
    this.stopGraceMs = graceMs;
    this.ready = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const drainUntil = Date.now() + drainMs;
    while (this.inflight > 0 && Date.now() < drainUntil) await sleep(25);
    const p = this.proc;
    if (!p) {
      // A process being spawned is stopped by start() itself, once it exists.
      await this.starting;
      this.status = "stopped";
      return;
    }
    this.status = "stopping";
    const exited = this.waitExit(); // once its exit is handled, output included
    await terminate(p, graceMs);
    await exited;
  }

  info(): InstanceInfo {
    return {
      id: this.id,
      service: this.service,
      release: this.release,
      ...(this.step.port ? { port: this.port } : {}),
      ...(this.proc ? { pid: this.proc.pid, cmd: this.argv.join(" ") } : {}),
      ...(this.proc && this.procStartTicks !== undefined ? { startTicks: this.procStartTicks } : {}),
      status: this.status,
      ready: this.ready,
      serving: this.serving,
      ...(this.startedAt ? { startedAt: new Date(this.startedAt).toISOString() } : {}),
      restarts: this.restarts,
      ...(this.lastExit ? { lastExit: this.lastExit } : {}),
    };
  }
}

export class Supervisor {
  private readonly paths: EnvPaths;
  private readonly store: SecretStore;
  private model!: AppModel;
  private readonly proxy = new Proxy();
  private pubsub?: PubSub;
  private pg?: {
    proc: SpawnedProcess;
    port: number;
    password: string;
    appPassword: string;
    version?: string;
  };
  private readonly redis: Record<string, { proc: SpawnedProcess; port: number; password: string }> = {};
  private instances: Instance[] = [];
  private serving?: string;
  private deploying?: string;
  private phase: SupervisorState["phase"] = "starting";
  private error?: string;
  private daprPort?: number;
  /** The Redis that holds the topics' streams (see provision). */
  private topicsRedis?: string;
  private proxyPort?: number;
  private control?: http.Server;
  private readonly startedAt = new Date().toISOString();
  private readonly logStreams = new Map<string, WriteStream>();
  private readonly logBuffers = new Map<WriteStream, string[]>();
  private readonly logServices = new WeakMap<WriteStream, string>();
  /** Services whose log file failed; noted once until it is written again. */
  private readonly failingLogs = new Set<string>();
  private logFlushTimer?: NodeJS.Timeout;
  private redact: (s: string) => string = (s) => s;
  private readonly secretValues: Record<string, string> = {};
  private rolloutChain: Promise<unknown> = Promise.resolve();
  private persistTimer?: NodeJS.Timeout;
  private stopping = false;
  /** The start in progress, which a stop waits for (see shutdown). */
  private starting?: Promise<void>;
  private readonly scheduler: Scheduler<LocalJob>;

  constructor(private readonly o: SupervisorOptions) {
    this.paths = o.paths;
    this.store = openStore(this.paths, o.secretsKeyEnv);
    this.scheduler = new Scheduler<LocalJob>({
      start: startJobProcess,
      // The job's log goes through the same redacting writer as the services' logs.
      line: (job, runId, text) => this.writeLog(job, runId, text),
      log: (m) => this.log(m),
      changed: () => this.persist(),
    });
  }

  log(msg: string): void {
    process.stdout.write(`${new Date().toISOString()} ${this.redact(msg)}\n`);
  }

  /** Lines to a service's (or job's) log, each as `<time> <instance> | <text>`, redacted. */
  writeLog(service: string, instance: string, texts: string | string[]): void {
    const s = this.logStreams.get(service) ?? this.openLog(service);
    // Lines are batched and written every 100 ms: one file write per line would cost the proxy, which
    // shares this event loop, a thread-pool round trip for every request an instance logs. The lines
    // of one read share a time and go through redaction together.
    const prefix = `${new Date().toISOString()} ${instance} | `;
    const text = this.redact(typeof texts === "string" ? texts : texts.join("\n"));
    const chunk = `${prefix}${text.replaceAll("\n", `\n${prefix}`)}\n`;
    const pending = this.logBuffers.get(s);
    if (pending) pending.push(chunk);
    else this.logBuffers.set(s, [chunk]);
    this.logFlushTimer ??= setTimeout(() => this.flushLogs(), 100);
  }

  /**
   * Opens a service's log file for appending. A failing file (its directory removed, the disk full)
   * must not take the supervisor down with everything it runs: the error is noted once, the stream
   * dropped with its pending lines, and the next line opens the file again (and its directory).
   */
  private openLog(service: string): WriteStream {
    const file = join(this.paths.logs, `${service}.log`);
    try {
      mkdirSync(this.paths.logs, { recursive: true });
    } catch {
      /* the stream's error says why */
    }
    const s = createWriteStream(file, { flags: "a" });
    s.on("error", (e) => {
      if (this.logStreams.get(service) === s) this.logStreams.delete(service);
      this.logBuffers.delete(s);
      s.destroy();
      if (this.failingLogs.has(service)) return;
      this.failingLogs.add(service);
      this.log(`could not write ${file}: ${e.message}; its lines are lost until it can be written again`);
    });
    this.logStreams.set(service, s);
    this.logServices.set(s, service);
    return s;
  }

  private flushLogs(): void {
    this.logFlushTimer = undefined;
    for (const [stream, lines] of this.logBuffers) {
      const service = this.logServices.get(stream);
      stream.write(lines.join(""), (e) => {
        if (!e && service !== undefined && this.failingLogs.delete(service))
          this.log(`${service}.log is written again`);
      });
    }
    this.logBuffers.clear();
  }

  /** Feeds an instance's output to its log, line by line; resolves once both streams are closed. */
  pipeLogs(inst: Instance, p: SpawnedProcess): Promise<void> {
    const lines = (ls: string[]) => inst.lines(ls);
    return Promise.all([eachLines(p.stdout, lines), eachLines(p.stderr, lines)]).then(() => undefined);
  }

  private addSecretValues(values: Record<string, string>): void {
    Object.assign(this.secretValues, values);
    this.redact = redactor(this.secretValues);
  }

  persist(): void {
    // Coalesce bursts of changes (a whole rollout's instances starting) into one write.
    if (this.persistTimer) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      this.writeState();
    }, 20);
  }

  private writeState(): void {
    const st: SupervisorState = {
      pid: process.pid,
      startedAt: this.startedAt,
      updatedAt: new Date().toISOString(),
      phase: this.phase,
      ...(this.error ? { error: this.redact(this.error) } : {}),
      socket: this.paths.socket,
      ...(this.proxyPort ? { proxyPort: this.proxyPort } : {}),
      ...(this.daprPort ? { daprPort: this.daprPort } : {}),
      ...(this.topicsRedis ? { topicsRedis: this.topicsRedis } : {}),
      ...(this.pg
        ? {
            postgres: {
              pid: this.pg.proc.pid,
              port: this.pg.port,
              user: PG_USER,
              cmd: pidCommand(this.pg.proc.pid),
              startTicks: pidStartTicks(this.pg.proc.pid),
              ...(this.pg.version ? { version: this.pg.version } : {}),
            },
          }
        : {}),
      redis: Object.fromEntries(
        Object.entries(this.redis).map(([n, r]) => [
          n,
          {
            pid: r.proc.pid,
            port: r.port,
            cmd: pidCommand(r.proc.pid),
            startTicks: pidStartTicks(r.proc.pid),
          } satisfies ProcessRecord,
        ]),
      ),
      ...(this.serving ? { release: this.serving } : {}),
      ...(this.deploying ? { deploying: this.deploying } : {}),
      instances: this.instances.map((i) => i.info()),
      jobs: this.scheduler.info(),
    };
    writeJsonAtomic(this.paths.state, st);
  }

  private infra(): Infra {
    return {
      ...(this.pg
        ? { postgres: { port: this.pg.port, user: PG_APP_USER, password: this.pg.appPassword } }
        : {}),
      redis: Object.fromEntries(
        Object.entries(this.redis).map(([n, r]) => [n, { port: r.port, password: r.password }]),
      ),
      ...(this.daprPort ? { daprPort: this.daprPort } : {}),
    };
  }

  /** Starts the data services, the pub/sub endpoint, the proxy and the control socket. */
  start(): Promise<void> {
    this.starting = this.startNow();
    return this.starting;
  }

  private async startNow(): Promise<void> {
    mkdirSync(this.paths.logs, { recursive: true });
    const model = readJson<AppModel>(this.paths.model);
    if (!model) throw new Error(`${this.paths.model} is missing`);
    this.model = model;
    // After a supervisor was killed, its children may still run: stop those that are still ours.
    await stopLeftovers(this.paths, (l) => this.log(l));
    this.persist();
    const previous = readJson<SupervisorState>(this.paths.state);
    this.scheduler.restore(previous?.jobs ?? []);
    // The proxy first: a port asked for and taken fails `up` before PostgreSQL and Redis are started.
    this.proxyPort = await listenProxy(
      (port) => this.proxy.listen(port),
      this.o.requestedProxyPort,
      previous?.proxyPort,
    );
    this.log(`proxy on 127.0.0.1:${this.proxyPort}`);
    await this.provision(model, previous);
    await this.listenControl();
    this.phase = "running";
    this.writeState();
  }

  /**
   * Starts what the model declares and is not running yet: PostgreSQL, each Redis, the pub/sub
   * endpoint (or the new topics on it). `up` calls it with the first model; a deploy with its
   * release's model, so a Redis or topic added to the spec is there before the new instances start.
   * Nothing is stopped here: the serving release may still use it (`down` stops everything).
   */
  private async provision(model: AppModel, previous?: SupervisorState): Promise<void> {
    const env = { ...this.o.baseEnv };
    if (Object.keys(model.postgres).length > 0 && !this.pg) {
      const dataDir = postgresDataDir(this.paths);
      const chosen = choosePostgres(await postgresInstalls(env.PATH), dataDir, postgresWanted(model));
      if (!chosen) throw new Error("PostgreSQL is not installed (no initdb/postgres found)");
      if (chosen.note) this.log(chosen.note);
      const { binDir: bin, major } = chosen.install;
      const password = this.internalPassword(PG_PASSWORD);
      const appPassword = this.internalPassword(PG_APP_PASSWORD);
      const port = await this.portOr(previous?.postgres?.port);
      const databases = [
        ...new Set(
          Object.values(model.postgres).flatMap((p) => (p.databases.length > 0 ? p.databases : [p.name])),
        ),
      ].sort();
      this.log(`starting PostgreSQL ${major} (${bin}) on 127.0.0.1:${port}`);
      const runAs = dataUser();
      const proc = await startPostgres({
        binDir: bin,
        dataDir,
        port,
        user: PG_USER,
        password,
        databases,
        logFile: join(this.paths.logs, "postgres.log"),
        env,
        ...(runAs ? { runAs } : {}),
        app: { user: PG_APP_USER, password: appPassword },
      });
      this.pg = { proc, port, password, appPassword, version: String(major) };
      void proc.exited.then(() => {
        if (!this.stopping) this.log("PostgreSQL exited unexpectedly; see logs/postgres.log");
      });
    }
    const redisNames = Object.keys(model.redis).sort();
    // Topics stay on the Redis that held them in this run or the last (undelivered events, pending
    // ones and dead letters are there), even when a later spec adds a Redis that sorts first or drops
    // that one. The first time: the spec's first Redis, or an internal one when the spec has none.
    if (Object.keys(model.topics).length > 0) {
      const topicsRedis = this.topicsRedis ?? previous?.topicsRedis ?? redisNames[0] ?? TOPICS_REDIS;
      if (!redisNames.includes(topicsRedis)) {
        redisNames.unshift(topicsRedis);
        if (topicsRedis !== TOPICS_REDIS)
          this.log(`Redis ${topicsRedis} is no longer in the spec; it keeps running for the topics it holds`);
      }
      this.topicsRedis = topicsRedis;
    }
    if (redisNames.length > 0) {
      const bin = findOnPath("redis-server", env.PATH);
      if (!bin) throw new Error("redis-server is not installed");
      const password = this.internalPassword(REDIS_PASSWORD);
      // Redis runs as the data user when Gantry is root, if that user can reach the data (an app under
      // /root cannot be); else as root, as Redis itself allows.
      const user = dataUser();
      const runAs = user && canTraverse(this.paths.redis, user) ? user : undefined;
      if (user && !runAs)
        this.log(
          `Redis runs as root: user ${user.uid} cannot reach ${this.paths.redis} (\`chmod o+x\` on the directories above it lets it)`,
        );
      for (const name of redisNames) {
        if (this.redis[name]) continue;
        const port = await this.portOr(previous?.redis[name]?.port);
        const persistence = model.redis[name]?.persistence ?? "aof";
        this.log(`starting Redis ${name} (${persistence}) on 127.0.0.1:${port}`);
        const proc = await startRedis({
          bin,
          dir: join(this.paths.redis, name),
          port,
          persistence,
          logFile: join(this.paths.logs, `redis-${name}.log`),
          env,
          password,
          ...(runAs ? { runAs } : {}),
        });
        this.redis[name] = { proc, port, password };
      }
    }
    if (Object.keys(model.topics).length > 0 && this.pubsub) {
      this.pubsub.addTopics(Object.keys(model.topics));
    } else if (Object.keys(model.topics).length > 0) {
      const topicsRedis = this.redis[this.topicsRedis!]!;
      this.pubsub = new PubSub({
        redisPort: topicsRedis.port,
        redisPassword: topicsRedis.password,
        pubsubName: PUBSUB_NAME,
        source: model.name,
        topics: Object.keys(model.topics),
        targets: (service) => this.proxy.getTable().backends[service] ?? [],
        log: (l) => this.log(l),
      });
      this.daprPort = await this.pubsub.listen(0);
      this.log(`pub/sub (Dapr HTTP API) on 127.0.0.1:${this.daprPort}, topics on Redis Streams`);
    }
  }

  /** A password Gantry keeps for itself in the secrets store, made on first use; redacted from every log. */
  private internalPassword(name: string): string {
    let password = this.store.get(name);
    if (!password) {
      password = randomBytes(18).toString("hex");
      this.store.set(name, password);
    }
    this.addSecretValues({ [name]: password });
    return password;
  }

  private async portOr(previous: number | undefined): Promise<number> {
    if (previous) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.createServer();
        s.once("error", () => resolve(false));
        s.listen(previous, "127.0.0.1", () => s.close(() => resolve(true)));
      });
      if (ok) return previous;
    }
    return freePort();
  }

  private async listenControl(): Promise<void> {
    if (existsSync(this.paths.socket)) unlinkSync(this.paths.socket);
    const server = http.createServer((req, res) => void this.handleControl(req, res));
    this.control = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.paths.socket, () => resolve());
    });
  }

  private async handleControl(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const json = (status: number, v: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(v));
    };
    try {
      if (req.url === "/status" && req.method === "GET") {
        this.writeState();
        return json(200, readJson<SupervisorState>(this.paths.state));
      }
      if (req.url === "/stop" && req.method === "POST") {
        json(200, { ok: true });
        setImmediate(() => void this.shutdown(0));
        return;
      }
      if (req.url === "/rollout" && req.method === "POST") {
        let body = "";
        for await (const c of req) body += (c as Buffer).toString("utf8");
        const { release, kind } = JSON.parse(body) as { release: string; kind: "deploy" | "rollback" };
        res.writeHead(200, { "content-type": "application/x-ndjson" });
        let gone = false;
        res.on("close", () => {
          if (!res.writableFinished) gone = true;
        });
        const emit = (e: RolloutEvent) => {
          if (!gone)
            res.write(
              JSON.stringify({
                ...e,
                message: this.redact(e.message),
                ...(e.logs ? { logs: e.logs.map((l) => this.redact(l)) } : {}),
              }) + "\n",
            );
        };
        const run = this.rolloutChain.then(() => this.rollout(release, kind, emit, () => gone));
        this.rolloutChain = run.catch(() => undefined);
        const result = await run;
        emit(result);
        res.end();
        return;
      }
      if (req.url === "/run" && req.method === "POST") return await this.runJob(req, res);
      json(404, { error: "unknown control request" });
    } catch (e) {
      if (!res.headersSent) json(500, { error: this.redact((e as Error).message) });
      else res.end();
    }
  }

  /**
   * `gantry run`: starts a job of the serving release now and streams its output (NDJSON), then the
   * run's record. A command that goes away stops following; the run goes on, as a Kubernetes Job does.
   */
  private async runJob(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body = "";
    for await (const c of req) body += (c as Buffer).toString("utf8");
    const { job, retry } = JSON.parse(body) as { job: string; retry?: boolean };
    const r = this.scheduler.runNow(job, { ...(retry === false ? { retry } : {}) });
    if ("error" in r) {
      res.writeHead(r.status, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: r.error, ...(r.hint ? { hint: r.hint } : {}) }));
      return;
    }
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    const send = (e: object) => {
      if (!res.destroyed) res.write(JSON.stringify(e) + "\n");
    };
    send({ type: "step", message: `started ${r.run.id}` });
    const unfollow = r.run.follow((e) =>
      send(
        e.type === "line"
          ? { type: "line", text: this.redact(e.text) }
          : { type: "step", message: this.redact(e.message) },
      ),
    );
    const record = await r.run.done;
    unfollow();
    send({ type: "end", record: { ...record, reason: this.redact(record.reason) } });
    res.end();
  }

  private currentPlanInput() {
    return {
      ...(this.serving ? { release: this.serving } : {}),
      instances: this.instances.filter((i) => i.serving).map((i) => ({ id: i.id, service: i.service })),
    };
  }

  async rollout(
    releaseId: string,
    kind: "deploy" | "rollback",
    emit: (e: RolloutEvent) => void,
    aborted: () => boolean,
  ): Promise<RolloutEvent> {
    const rec = readRelease(this.paths, releaseId);
    if (!rec) return { type: "failed", message: `release ${releaseId} does not exist` };
    if (this.stopping) return { type: "failed", message: "the supervisor is stopping" };
    const model = rec.model;
    const plan = planDeploy(model, releaseId, this.currentPlanInput(), {
      kind,
      ...(this.o.crashWatchMs !== undefined ? { crashWatchMs: this.o.crashWatchMs } : {}),
    });
    const appCopy = join(releaseDir(this.paths, releaseId), "app");
    this.deploying = releaseId;
    updateRelease(this.paths, releaseId, { status: "deploying" });
    this.persist();
    const started: Instance[] = [];
    const t0 = Date.now();
    const progress = emit;
    // Every step also goes to the supervisor's log, with the time since the rollout began.
    emit = (e) => {
      this.log(`${kind} ${releaseId} +${((Date.now() - t0) / 1000).toFixed(2)}s: ${e.message}`);
      progress(e);
    };
    const fail = async (reason: string, logs: string[] = [], hint?: string): Promise<RolloutEvent> => {
      await Promise.all(started.map((i) => i.stop(0, 5000)));
      this.instances = this.instances.filter((i) => !started.includes(i));
      this.deploying = undefined;
      // A rollback abandoned because its command went away (Ctrl-C) says nothing about the release,
      // which served before: it stays as it was, so that `gantry rollback` still offers it.
      if (kind === "rollback" && aborted()) updateRelease(this.paths, releaseId, { status: rec.status });
      else updateRelease(this.paths, releaseId, { status: "failed", reason: this.redact(reason) });
      this.persist();
      this.log(
        `${kind} of ${releaseId} failed: ${reason}${this.serving ? `; ${this.serving} keeps serving` : ""}`,
      );
      return {
        type: "failed",
        message: `${reason}${this.serving ? `; ${this.serving} keeps serving` : ""}`,
        logs,
        ...(hint ? { hint } : {}),
      };
    };
    // Secrets of the release (the versions it was built with).
    const secrets: Record<string, string> = {};
    for (const s of Object.values(model.services)) {
      if (s.type === "static") continue;
      for (const name of s.secrets) {
        const v = this.store.get(name, rec.secrets[name]);
        if (v === undefined)
          return await fail(
            `secret ${name} (used by ${s.name}) is not set; run \`gantry secrets set ${name}\``,
          );
        secrets[name] = v;
      }
    }
    this.addSecretValues(secrets);
    try {
      await this.provision(model);
    } catch (e) {
      return await fail(`could not start what the release needs: ${(e as Error).message}`);
    }
    const base = this.o.baseEnv;
    const infra = this.infra();
    try {
      const jobs = jobDefinitions({ model, plan, release: releaseId, appCopy, infra, secrets, base });
      if (this.pg) {
        const dbs = [
          ...new Set(
            Object.values(model.postgres).flatMap((p) => (p.databases.length > 0 ? p.databases : [p.name])),
          ),
        ];
        await ensureDatabases({ port: this.pg.port, user: PG_USER, password: this.pg.password }, dbs, {
          user: PG_APP_USER,
          password: this.pg.appPassword,
        });
      }
      for (const m of plan.migrations) {
        if (aborted()) return await fail("interrupted: the command that asked for the deploy went away");
        emit({ type: "step", message: `migrating (${m.service}): ${m.command}` });
        const svc = model.services[m.service]!;
        if (svc.type === "static") continue;
        const env = serviceEnv({ model, service: svc, infra, release: releaseId, secrets, base });
        const argv = splitCommand(m.command, {});
        const r = await exec(argv[0]!, argv.slice(1), {
          cwd: join(appCopy, m.cwd),
          env,
          timeoutMs: m.timeoutMs,
        });
        const out = `${r.stdout}${r.stderr}`.split("\n").filter((l) => l.trim() !== "");
        for (const l of out) this.writeLog(m.service, `${m.service}-migrate`, l);
        if (r.code !== 0)
          return await fail(
            r.timedOut
              ? `migrations of ${m.service} took longer than ${m.timeoutMs / 1000}s`
              : `migrations of ${m.service} failed (exit code ${r.code})`,
            out.slice(-20).map((l) => this.redact(l)),
          );
      }
      for (const step of plan.start) {
        const svc = model.services[step.service]!;
        if (svc.type === "static") continue;
        for (let n = 1; n <= step.replicas; n++) {
          const port = step.port ? await freePort() : 0;
          const id = `${step.service}-${releaseId}-${n}`;
          const env = serviceEnv({
            model,
            service: svc,
            infra,
            release: releaseId,
            instance: id,
            ...(step.port ? { port } : {}),
            secrets,
            base,
          });
          const argv = splitCommand(step.command, step.port ? { PORT: String(port) } : {});
          const inst = new Instance(
            id,
            step.service,
            releaseId,
            port,
            argv,
            join(appCopy, step.cwd),
            env,
            step,
            this,
          );
          started.push(inst);
          this.instances.push(inst);
        }
      }
      // A spec of static sites only has no instance to start.
      if (started.length > 0)
        emit({
          type: "step",
          message: `starting ${started.length} instance${started.length === 1 ? "" : "s"}: ${plan.start.map((s) => `${s.service} ×${s.replicas}`).join(", ")}`,
        });
      await Promise.all(started.map((i) => i.start()));
      // Wait for readiness.
      const deadline = Date.now() + Math.max(0, ...plan.start.map((s) => s.startupTimeoutMs));
      let lastReport = Date.now();
      for (;;) {
        const dead = started.find((i) => i.status === "failed");
        if (dead)
          return await fail(
            `instance ${dead.id} ${dead.lastExit?.startsWith("could not start") ? dead.lastExit : `${dead.lastExit ?? "exited"} before it was ready`}`,
            dead.tail.slice(-20),
            dead.hint(),
          );
        if (started.every((i) => i.ready)) break;
        if (aborted()) return await fail("interrupted: the command that asked for the deploy went away");
        const late = started.find(
          (i) => !i.ready && Date.now() > (i.startedAt ?? Date.now()) + i.step.startupTimeoutMs,
        );
        if (late || Date.now() > deadline) {
          const who = late ?? started.find((i) => !i.ready)!;
          return await fail(
            `instance ${who.id} was not ready within ${who.step.startupTimeoutMs / 1000}s (${who.checkName()} ${who.lastCheck})`,
            who.tail.slice(-20),
            who.hint(),
          );
        }
        if (Date.now() - lastReport > 5000) {
          lastReport = Date.now();
          // The first one not ready and why, so a wrong port or health path shows before the timeout.
          const waiting = started.find((i) => !i.ready);
          emit({
            type: "step",
            message: `waiting for readiness: ${started.filter((i) => i.ready).length}/${started.length} ready${waiting ? ` (${waiting.id}: ${waiting.checkName()} ${waiting.lastCheck})` : ""}`,
          });
        }
        await sleep(50);
      }
      if (aborted()) return await fail("interrupted: the command that asked for the deploy went away");
      // Switch.
      const oldTable = this.proxy.getTable();
      const old = this.instances.filter((i) => i.serving);
      const oldRelease = this.serving;
      const oldSubs = this.pubsub?.subscriptions() ?? [];
      const oldJobs = this.scheduler.jobs();
      this.switchTo(model, releaseId, appCopy, plan, started, jobs);
      emit({ type: "step", message: `switched the proxy to ${releaseId}` });
      // Watch the new instances for a moment before letting the old ones go.
      const watchUntil = Date.now() + plan.crashWatchMs;
      while (Date.now() < watchUntil) {
        const crashed = started.find((i) => !i.alive || i.status === "crashed" || i.status === "crash-loop");
        if (crashed) {
          this.proxy.setTable(oldTable);
          for (const i of old) i.serving = true;
          for (const i of started) i.serving = false;
          this.serving = oldRelease;
          this.scheduler.setJobs(oldJobs);
          if (this.pubsub) await this.pubsub.setSubscriptions(oldSubs);
          return await fail(
            `instance ${crashed.id} crashed right after the switch (${crashed.lastExit ?? "exited"}); switched back`,
            crashed.tail.slice(-20),
          );
        }
        await sleep(50);
      }
      // Retire the old instances: drain, then stop.
      if (old.length > 0)
        emit({
          type: "step",
          message: `draining and stopping ${old.length} old instance${old.length === 1 ? "" : "s"}`,
        });
      await Promise.all(
        old.map((i) => {
          const r = plan.retire.find((x) => x.service === i.service);
          return i.stop(r?.drainMs ?? 10_000, r?.graceMs ?? 30_000);
        }),
      );
      this.instances = this.instances.filter((i) => !old.includes(i));
      this.deploying = undefined;
      const now = new Date().toISOString();
      const cur = readRelease(this.paths, releaseId);
      updateRelease(this.paths, releaseId, {
        status: "active",
        activations: [...(cur?.activations ?? []), now],
      });
      if (oldRelease && oldRelease !== releaseId)
        updateRelease(this.paths, oldRelease, { status: "superseded" });
      // A release left "deploying" by a rollout that never finished is failed, not pending.
      for (const r of listReleases(this.paths))
        if (r.id !== releaseId && (r.status === "deploying" || r.status === "active"))
          updateRelease(this.paths, r.id, {
            status: r.status === "active" ? "superseded" : "failed",
            ...(r.status === "deploying" ? { reason: "interrupted" } : {}),
          });
      this.persist();
      this.log(`${kind} of ${releaseId} done in ${((Date.now() - t0) / 1000).toFixed(2)}s`);
      const inUse = new Set([
        releaseId,
        ...this.instances.map((i) => i.release),
        ...this.scheduler.info().flatMap((j) => (j.running ? [j.running.release] : [])),
      ]);
      void pruneReleases(this.paths, inUse).then(
        (pruned) => {
          if (pruned.length > 0)
            this.log(
              `removed the copies of the app of ${pruned.join(", ")} (older than the newest ${KEEP_RELEASES} releases)`,
            );
        },
        (e: unknown) => this.log(`could not remove old copies of the app: ${(e as Error).message}`),
      );
      return { type: "done", message: `${releaseId} is serving` };
    } catch (e) {
      // A UserError (a command Gantry cannot run without a shell) keeps its hint.
      return await fail((e as Error).message, [], e instanceof UserError ? e.hint : undefined);
    }
  }

  private switchTo(
    model: AppModel,
    releaseId: string,
    appCopy: string,
    plan: DeployPlan,
    started: Instance[],
    jobs: LocalJob[],
  ): void {
    const backends: Record<string, Backend[]> = {};
    for (const i of started) (backends[i.service] ??= []).push(i);
    const statics: ProxyTable["statics"] = {};
    for (const s of plan.statics) {
      const svc = model.services[s.service]!;
      const prefix = svc.type === "static" ? svc.path : "/";
      statics[s.service] = { root: join(appCopy, s.root), spa: s.spa, prefix };
    }
    const table: ProxyTable = { release: releaseId, routes: buildRoutes(model), backends, statics };
    for (const i of this.instances) i.serving = false;
    for (const i of started) i.serving = true;
    this.proxy.setTable(table);
    this.serving = releaseId;
    // The schedules switch with the proxy; a run of the old release in progress finishes.
    this.scheduler.setJobs(jobs);
    if (this.pubsub) {
      const subs: Subscription[] = [];
      for (const s of Object.values(model.services)) {
        if (s.type === "static" || s.type === "job") continue;
        for (const [topic, sub] of Object.entries(s.subscribes))
          subs.push({
            topic,
            service: s.name,
            route: sub.route,
            group: sub.group,
            maxRetries: sub.max_retries,
            deadLetter: sub.dead_letter,
          });
      }
      void this.pubsub
        .setSubscriptions(subs)
        .catch((e: unknown) => this.log(`pub/sub: ${(e as Error).message}`));
    }
    this.persist();
  }

  async shutdown(code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    // A stop asked for while it starts (`gantry down` right after an interrupted `up`) waits for the
    // start: a Redis or PostgreSQL it was spawning would be missed below, and outlive it, orphaned.
    await this.starting?.catch(() => undefined);
    const failed = this.phase === "failed";
    this.phase = "stopping";
    this.writeState();
    this.log("stopping");
    await Promise.all([
      ...this.instances.map((i) => i.stop(Math.min(i.step.drainMs, 5000), Math.min(i.step.graceMs, 10_000))),
      this.scheduler.stop(),
    ]);
    await this.pubsub?.close().catch(() => undefined);
    await this.proxy.close().catch(() => undefined);
    for (const r of Object.values(this.redis)) {
      r.proc.kill("SIGTERM");
      await Promise.race([r.proc.exited, sleep(10_000)]);
    }
    if (this.pg) {
      this.pg.proc.kill("SIGINT");
      await Promise.race([this.pg.proc.exited, sleep(20_000)]);
    }
    if (this.logFlushTimer) clearTimeout(this.logFlushTimer);
    this.flushLogs();
    // Wait for the log files to be written before the process exits.
    await Promise.all([...this.logStreams.values()].map((s) => new Promise<void>((r) => s.end(() => r()))));
    this.phase = failed ? "failed" : "stopped";
    this.instances = [];
    this.writeState();
    this.control?.close();
    try {
      unlinkSync(this.paths.socket);
    } catch {
      /* already gone */
    }
    this.log("stopped");
    process.exit(code);
  }

  fail(e: unknown): void {
    this.phase = "failed";
    this.error = e instanceof Error ? e.message : String(e);
    this.log(`failed: ${this.error}`);
    this.writeState();
  }
}

export async function runSupervisor(o: SupervisorOptions): Promise<void> {
  // One supervisor per environment, for its whole life (a lock whose owner died is taken over). A
  // second one, started by an `up` that did not see the first still starting, would stop the first
  // one's PostgreSQL and Redis as leftovers and overwrite its state: it ends here, touching nothing.
  try {
    acquireLock(join(o.paths.dir, "supervisor.lock"), "supervisor");
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
