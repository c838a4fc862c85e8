// What the supervisor runs now and knows: the data services, the proxy, the pub/sub endpoint, the
// instances and the job schedules, the release serving and the one being deployed, the secret values
// it redacts; and its record, `.gantry/<env>/state.json` (written atomically, changes coalesced, never
// a secret value). Provisioning, rollouts, the control server and the shutdown work on one Runtime.
import { randomBytes } from "node:crypto";
import type { AppModel } from "../../model/types.js";
import type { DataHost, DataServer } from "./data-restart.js";
import type { Infra } from "./env.js";
import { pidCommand, pidStartTicks, writeJsonAtomic } from "./fsutil.js";
import type { Instance, InstanceHost } from "./instance.js";
import { startJobProcess, type LocalJob } from "./jobs.js";
import { LogStore } from "./log-store.js";
import type { EnvPaths } from "./paths.js";
import { Proxy } from "./proxy.js";
import type { PubSub } from "./pubsub.js";
import { Scheduler } from "./scheduler.js";
import { openStore, redactor, type SecretStore } from "./secrets.js";
import type { ProcessRecord, SupervisorState } from "./state.js";

export interface SupervisorOptions {
  paths: EnvPaths;
  /** Environment inherited by child processes (PATH, HOME, ...), without Gantry's own keys. */
  baseEnv: Record<string, string>;
  secretsKeyEnv?: string;
  /** The port `gantry up --port` asked for: the proxy listens on it or the supervisor fails to start. */
  requestedProxyPort?: number;
  crashWatchMs?: number;
}

/** The superuser Gantry logs in to its PostgreSQL as. */
export const PG_USER = "gantry";
/** The role apps connect as (DATABASE_URL): owner of their databases, not a superuser. */
export const PG_APP_USER = "app";

export interface PostgresRun extends DataServer {
  port: number;
  password: string;
  appPassword: string;
  version?: string;
}

export interface RedisRun extends DataServer {
  port: number;
  password: string;
}

export class Runtime implements InstanceHost, DataHost {
  readonly paths: EnvPaths;
  readonly store: SecretStore;
  readonly logs: LogStore;
  readonly scheduler: Scheduler<LocalJob>;
  readonly proxy = new Proxy();
  /** The environment's model, as `up` wrote it (model.json), read once when the supervisor starts. */
  model?: AppModel;
  phase: SupervisorState["phase"] = "starting";
  error?: string;
  /** Set once a stop has begun: nothing new is started or rolled out. */
  stopping = false;
  pg?: PostgresRun;
  readonly redis: Record<string, RedisRun> = {};
  pubsub?: PubSub;
  daprPort?: number;
  /** The Redis that holds the topics' streams (see provision.ts). */
  topicsRedis?: string;
  proxyPort?: number;
  metricsPort?: number;
  instances: Instance[] = [];
  serving?: string;
  deploying?: string;
  private readonly startedAt = new Date().toISOString();
  private readonly secretValues: Record<string, string> = {};
  private redactor: (s: string) => string = (s) => s;
  private persistTimer?: NodeJS.Timeout;
  private stateUnwritten = false;

  constructor(
    readonly o: SupervisorOptions,
    /** A line for the supervisor's own log. */
    readonly log: (msg: string) => void,
  ) {
    this.paths = o.paths;
    this.store = openStore(this.paths, o.secretsKeyEnv);
    this.logs = new LogStore({
      dir: this.paths.logs,
      redact: (s) => this.redact(s),
      note: (m) => this.log(m),
    });
    this.scheduler = new Scheduler<LocalJob>({
      start: startJobProcess,
      // The job's log goes through the same redacting writer as the services' logs.
      line: (job, runId, text) => this.writeLog(job, runId, text),
      log: (m) => this.log(m),
      changed: () => this.persist(),
    });
  }

  /** What the supervisor does when a data server cannot be kept running (it fails and ends). */
  onGiveUp: (why: string) => void = () => undefined;

  giveUp(why: string): void {
    this.onGiveUp(why);
  }

  redact(s: string): string {
    return this.redactor(s);
  }

  addSecretValues(values: Record<string, string>): void {
    Object.assign(this.secretValues, values);
    this.redactor = redactor(this.secretValues);
  }

  /** A password Gantry keeps for itself in the secrets store, made on first use; redacted from every log. */
  internalPassword(name: string): string {
    let password = this.store.get(name);
    if (!password) {
      password = randomBytes(18).toString("hex");
      this.store.set(name, password);
    }
    this.addSecretValues({ [name]: password });
    return password;
  }

  writeLog(service: string, instance: string, texts: string | string[]): void {
    this.logs.write(service, instance, texts);
  }

  healthChecked(service: string, ok: boolean): void {
    this.proxy.metrics.healthCheck(service, ok);
  }

  persist(): void {
    // Coalesce bursts of changes (a whole rollout's instances starting) into one write.
    if (this.persistTimer) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      this.writeState();
    }, 20);
  }

  writeState(): SupervisorState {
    const record = (s: DataServer, port: number): ProcessRecord => ({
      pid: s.proc.pid,
      port,
      cmd: pidCommand(s.proc.pid),
      startTicks: pidStartTicks(s.proc.pid),
      restarts: s.restarts,
      ...(s.lastExit ? { lastExit: s.lastExit } : {}),
      ...(s.down ? { down: true } : {}),
    });
    const st: SupervisorState = {
      pid: process.pid,
      startedAt: this.startedAt,
      updatedAt: new Date().toISOString(),
      phase: this.phase,
      ...(this.error ? { error: this.redact(this.error) } : {}),
      socket: this.paths.socket,
      ...(this.proxyPort ? { proxyPort: this.proxyPort } : {}),
      ...(this.metricsPort ? { metricsPort: this.metricsPort } : {}),
      ...(this.daprPort ? { daprPort: this.daprPort } : {}),
      ...(this.topicsRedis ? { topicsRedis: this.topicsRedis } : {}),
      ...(this.pg
        ? {
            postgres: {
              ...record(this.pg, this.pg.port),
              user: PG_USER,
              ...(this.pg.version ? { version: this.pg.version } : {}),
            },
          }
        : {}),
      redis: Object.fromEntries(Object.entries(this.redis).map(([n, r]) => [n, record(r, r.port)])),
      ...(this.serving ? { release: this.serving } : {}),
      ...(this.deploying ? { deploying: this.deploying } : {}),
      instances: this.instances.map((i) => i.info()),
      jobs: this.scheduler.info(),
    };
    this.record(st);
    return st;
  }

  /**
   * Writes state.json. A disk that is full or read-only must not stop the supervisor, nor `status`,
   * which it answers from memory: the failure is noted once, and again once it is written.
   */
  private record(st: SupervisorState): void {
    try {
      writeJsonAtomic(this.paths.state, st);
      if (this.stateUnwritten) this.log(`${this.paths.state} is written again`);
      this.stateUnwritten = false;
    } catch (e) {
      if (!this.stateUnwritten)
        this.log(
          `could not write ${this.paths.state}: ${(e as Error).message}; the app runs on, and \`gantry status\` still answers`,
        );
      this.stateUnwritten = true;
    }
  }

  /** The data servers that are down now (being started again), as messages name them. */
  dataDown(): string[] {
    return [
      ...(this.pg?.down ? ["PostgreSQL"] : []),
      ...Object.entries(this.redis)
        .filter(([, r]) => r.down)
        .map(([n]) => `Redis ${n}`),
    ];
  }

  /** Where the release's processes find the data services. */
  infra(): Infra {
    return {
      ...(this.pg
        ? { postgres: { port: this.pg.port, user: PG_APP_USER, password: this.pg.appPassword } }
        : {}),
      redis: Object.fromEntries(
        Object.entries(this.redis).map(([n, r]) => [n, { port: r.port, password: r.password }]),
      ),
      ...(this.daprPort ? { daprPort: this.daprPort } : {}),
      bucketsDir: this.paths.buckets,
    };
  }
}
