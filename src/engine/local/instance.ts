// One process of a service, as the supervisor runs it: started with its environment, its output fed to
// the service's log, its readiness (and liveness) checked, restarted with back-off when it crashes,
// drained and stopped when its release is retired.
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { spawnProcess, type SpawnedProcess } from "../../util/exec.js";
import { pidStartTicks } from "./fsutil.js";
import { eachLines } from "./output.js";
import type { InstanceSpec } from "./plan.js";
import type { Backend } from "./proxy.js";
import { isVirtualEnv } from "./release.js";
import type { InstanceInfo, InstanceStatus } from "./state.js";

/** What an instance tells the supervisor: a change to record, lines for a log, a line for its own log. */
export interface InstanceHost {
  persist(): void;
  writeLog(service: string, instance: string, texts: string | string[]): void;
  log(msg: string): void;
  /** A readiness or liveness check's result, counted (not logged: one a second per instance). */
  healthChecked?(service: string, ok: boolean): void;
}

/** Whether `cmd` is an npm package's command in a node_modules/.bin at or above dir (workspaces hoist them). */
function inNodeModulesBin(dir: string, cmd: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, "node_modules", ".bin", cmd))) return true;
    if (dirname(d) === d) return false;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Asks a process to stop (SIGTERM) and kills it (SIGKILL) if it has not exited after graceMs. */
export async function terminate(p: SpawnedProcess, graceMs: number): Promise<void> {
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
    readonly spec: InstanceSpec,
    private readonly host: InstanceHost,
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
      await terminate(p, this.stopGraceMs ?? this.spec.graceMs);
      this.status = "stopped";
      this.host.persist();
      return;
    }
    this.proc = p;
    this.procStartTicks = pidStartTicks(p.pid);
    this.startedAt = Date.now();
    const lines = (ls: string[]) => this.lines(ls, true);
    const outputClosed = Promise.all([eachLines(p.stdout, lines), eachLines(p.stderr, lines)]);
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
    this.host.persist();
    void this.healthLoop(p);
  }

  line(text: string): void {
    this.lines([text]);
  }

  /** Lines of output: kept for failure messages (the last 40) and written to the service's log. */
  lines(texts: string[], fromApp = false): void {
    this.tail.push(...texts.slice(-40));
    if (this.tail.length > 40) this.tail.splice(0, this.tail.length - 40);
    // Gantry's own lines (which may name a check: "failed 3 liveness checks (GET /health ...)") stay.
    const kept = fromApp ? texts.filter((t) => !this.isProbeLine(t)) : texts;
    if (kept.length > 0) this.host.writeLog(this.service, this.id, kept);
  }

  /** When each health check was sent whose access-log line the app has not printed yet. */
  private probesSent: number[] = [];

  /**
   * Whether a line is the app's access-log line of one of Gantry's own health checks (`"GET /ready
   * HTTP/1.1" 200`), which are not written to the log: a check a second per instance would bury the
   * app's own lines (and some 70 MB a day); what changes (out of rotation, restarted) is logged. At
   * most one line per check sent in the last 3 s.
   */
  private isProbeLine(text: string): boolean {
    const now = Date.now();
    this.probesSent = this.probesSent.filter((t) => now - t < 3000);
    if (this.probesSent.length === 0) return false;
    const paths = [this.spec.readiness ?? (this.spec.port ? "/" : undefined), this.spec.liveness];
    const hit = paths.some((p) => {
      if (!p) return false;
      const at = text.indexOf(`GET ${p}`);
      const next = text[at + 4 + p.length];
      return at >= 0 && (next === undefined || next === " " || next === '"' || next === "\t");
    });
    if (hit) this.probesSent.shift();
    return hit;
  }

  private onExit(): void {
    this.ready = false;
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const w of waiters) w();
    if (this.stopping) {
      this.status = "stopped";
      this.host.persist();
      return;
    }
    if (!this.serving) {
      // A new instance that dies during a rollout fails that rollout; it is not restarted.
      this.status = "failed";
      this.host.persist();
      return;
    }
    const now = Date.now();
    if (this.startedAt && now - this.startedAt > 30_000) this.crashes = [];
    this.crashes.push(now);
    this.crashes = this.crashes.filter((t) => now - t < 60_000);
    this.status = this.crashes.length >= 3 ? "crash-loop" : "crashed";
    const delay = Math.min(30_000, 250 * 2 ** Math.min(this.crashes.length, 8));
    this.host.log(
      `${this.id} ${this.lastExit ?? "exited"}; restarting in ${delay} ms${this.status === "crash-loop" ? " (crash loop)" : ""}`,
    );
    this.host.persist();
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
    if (status && !this.spec.readiness)
      return `the app answers GET / with ${status}: without a health path it is ready once it answers below 500; or set \`services.${this.service}.health\` in gantry.yaml to a path it answers with 2xx`;
    if (status)
      return `the app answers ${this.checkName()} with ${status}: add that route (answering 2xx), or set \`services.${this.service}.health\` in gantry.yaml to a path it answers with 2xx`;
    return undefined;
  }

  /** The readiness check, as messages name it: the GET of its health path, or of / without one. */
  checkName(): string {
    return this.spec.readiness
      ? `GET ${this.spec.readiness}`
      : `GET / on port ${this.port} (any answer below 500)`;
  }

  /**
   * GET path on the instance: whether it answered 2xx, and what happened, for messages. With `anyAnswer`
   * (a service without a health path) any answer below 500 will do: an API may answer 404 at /, yet
   * it runs. A port that merely accepts connections does not: gunicorn's master, for one, accepts
   * them before the app has loaded, and a bad release would take traffic.
   */
  private async probe(path: string, anyAnswer = false): Promise<{ ok: boolean; what: string }> {
    try {
      this.probesSent.push(Date.now());
      const res = await fetch(`http://127.0.0.1:${this.port}${path}`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      const ok = anyAnswer ? res.status < 500 : res.status >= 200 && res.status < 300;
      this.host.healthChecked?.(this.service, ok);
      return { ok, what: `answered ${res.status}` };
    } catch (e) {
      this.host.healthChecked?.(this.service, false);
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
    const path = this.spec.readiness;
    const live = this.spec.liveness;
    const aliveSince = Date.now();
    while (this.proc === p && !this.stopping) {
      const checkLiveness = live !== undefined && this.serving && this.status !== "starting";
      // Both at once, so a hung instance costs one probe timeout per round, not two.
      const [readiness, liveness] = await Promise.all([
        path ? this.probe(path) : this.spec.port ? this.probe("/", true) : undefined,
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
        if (this.healthFails >= 3)
          this.line(`gantry: ${this.id} passes its readiness check again; back in rotation`);
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
      if (before !== this.ready) this.host.persist();
      await sleep(this.ready ? 1000 : 50);
    }
  }

  /** Stops a hung process; its exit then restarts it like a crash, with the same back-off. */
  private restartHung(p: SpawnedProcess, why: string): void {
    this.ready = false;
    this.killedBecause = `restarted: ${why}`;
    this.line(`gantry: ${this.id} ${why}; restarting it`);
    this.host.persist();
    void terminate(p, this.spec.graceMs);
  }

  waitExit(): Promise<void> {
    if (!this.proc) return Promise.resolve();
    return new Promise((r) => this.exitWaiters.push(r));
  }

  /** Stops taking traffic (for good: it is not restarted) and waits for in-flight requests, up to drainMs. */
  async drain(drainMs: number): Promise<void> {
    this.stopping = true;
    this.ready = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const drainUntil = Date.now() + drainMs;
    while (this.inflight > 0 && Date.now() < drainUntil) await sleep(25);
  }

  /** Drains (up to drainMs), then SIGTERM, then SIGKILL after graceMs. */
  async stop(drainMs: number, graceMs: number): Promise<void> {
    this.stopGraceMs = graceMs;
    await this.drain(drainMs);
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
      ...(this.spec.port ? { port: this.port } : {}),
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
