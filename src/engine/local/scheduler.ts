// Runs the scheduled jobs of the serving release, as the Kubernetes CronJob Gantry generates would:
// - concurrency Forbid: a run that comes due while the previous one (or its retries) still goes is
//   skipped and logged;
// - a run due more than startingDeadline (5 min, the CronJob's startingDeadlineSeconds) ago, because
//   the machine slept or the supervisor was busy, is skipped as missed instead of run late;
// - `timeout` bounds the whole run, retries and back-off included (activeDeadlineSeconds): the attempt
//   then gets SIGTERM, and SIGKILL a few seconds later; a timed-out run is not retried;
// - `retries` re-runs a failed attempt after 10 s, 20 s, 40 s, ... (at most 6 min), the Job back-off.
// The timing decisions live here, with an injected clock, so they are tested without waiting; the
// supervisor only supplies how to start a process and where lines go.
import { nextRun } from "./cron-next.js";
import { humanMs } from "../../util/duration.js";

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node fires a timer set for more than 2^31-1 ms (24.8 days) at once: longer ones are chained. */
const MAX_NODE_DELAY = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer: { current?: NodeJS.Timeout } = {};
    const end = Date.now() + ms;
    const arm = () => {
      const left = end - Date.now();
      timer.current =
        left > MAX_NODE_DELAY ? setTimeout(arm, MAX_NODE_DELAY) : setTimeout(fn, Math.max(0, left));
    };
    arm();
    return timer;
  },
  clearTimeout: (h) => clearTimeout((h as { current?: NodeJS.Timeout }).current),
};

/** One job of one release, as the scheduler needs it; the supervisor adds how to launch it. */
export interface JobDefinition {
  name: string;
  release: string;
  schedule: string;
  timezone: string;
  /** As written in the spec, for status. */
  command: string;
  timeoutMs: number;
  retries: number;
}

/** One started process of a run. */
export interface Attempt {
  pid?: number;
  /** The process's command line and start time, to recognise a leftover after a crash of the supervisor. */
  cmd?: string;
  startTicks?: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

export interface SchedulerHooks<J extends JobDefinition> {
  /** Starts one attempt; `line` receives its output, line by line. Rejects when it cannot start. */
  start(job: J, runId: string, line: (text: string) => void): Promise<Attempt>;
  /** A line of the job's own log (its output, and what Gantry says about the run). */
  line(job: string, runId: string, text: string): void;
  /** A line of the supervisor's log. */
  log(message: string): void;
  /** Something `info()` shows changed. */
  changed(): void;
}

export interface SchedulerOptions {
  clock?: Clock;
  /** Between SIGTERM and SIGKILL when a run times out or the supervisor stops. */
  killGraceMs?: number;
  startingDeadlineMs?: number;
  /** The wait before retry `attempt + 1`, after `attempt` failed. */
  backoffMs?: (attempt: number) => number;
}

export type RunResult = "succeeded" | "failed" | "timed-out" | "not-started" | "stopped";

/** A finished run, in state.json and `gantry status`. */
export interface RunRecord {
  id: string;
  trigger: "schedule" | "manual";
  release: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  attempts: number;
  result: RunResult;
  exitCode?: number;
  signal?: string;
  /** For people: "exited with code 3 after 3 attempts", "timed out after 30s (killed by SIGKILL)". */
  reason: string;
}

export interface RunningInfo {
  id: string;
  trigger: "schedule" | "manual";
  release: string;
  startedAt: string;
  attempt: number;
  pid?: number;
  cmd?: string;
  startTicks?: number;
  /** Set while waiting to retry. */
  retryAt?: string;
}

export interface JobInfo {
  name: string;
  /** The release whose schedule is active; absent for a job a newer release removed, still running. */
  release?: string;
  schedule?: string;
  timezone?: string;
  command?: string;
  nextRun?: string;
  /** Why the job has no next run. */
  problem?: string;
  running?: RunningInfo;
  lastRun?: RunRecord;
  /** Runs skipped because the previous one was still going (concurrency Forbid), or missed. */
  skipped: number;
  lastSkipped?: string;
}

/** What a run reports while it goes: its output, and steps such as "retrying in 10s". */
export type RunEvent = { type: "line"; text: string } | { type: "step"; message: string };

export interface RunHandle {
  id: string;
  /** Subscribes to the run's output and steps from now on. */
  follow(listener: (e: RunEvent) => void): () => void;
  done: Promise<RunRecord>;
}

interface Run<J extends JobDefinition> extends RunHandle {
  job: J;
  trigger: "schedule" | "manual";
  startedAt: number;
  retries: number;
  attempt: number;
  proc?: Attempt;
  timedOut: boolean;
  stopping: boolean;
  retryAt?: number;
  deadlineTimer?: unknown;
  killTimer?: unknown;
  backoffTimer?: unknown;
  listeners: Set<(e: RunEvent) => void>;
  resolve: (r: RunRecord) => void;
}

interface Scheduled<J> {
  def: J;
  next?: number;
  problem?: string;
}

/** Timers are capped so that a far-away run (or a clock change) is looked at again at least this often. */
const MAX_TIMER_MS = 60_000;

/** The run id: the job and its start time in UTC ("cleanup-20261122T030000"), as CronJobs name Jobs. */
function runId(job: string, at: number): string {
  return `${job}-${new Date(at).toISOString().replace(/[-:]/g, "").slice(0, 15)}`;
}

export class Scheduler<J extends JobDefinition = JobDefinition> {
  private readonly clock: Clock;
  private readonly killGraceMs: number;
  private readonly startingDeadlineMs: number;
  private readonly backoffMs: (attempt: number) => number;
  private scheduled = new Map<string, Scheduled<J>>();
  private readonly running = new Map<string, Run<J>>();
  private readonly last = new Map<string, RunRecord>();
  private readonly skips = new Map<string, { count: number; at: number }>();
  private timer?: unknown;
  private stopped = false;

  constructor(
    private readonly hooks: SchedulerHooks<J>,
    o: SchedulerOptions = {},
  ) {
    this.clock = o.clock ?? systemClock;
    this.killGraceMs = o.killGraceMs ?? 5000;
    this.startingDeadlineMs = o.startingDeadlineMs ?? 300_000;
    this.backoffMs = o.backoffMs ?? ((n) => Math.min(360_000, 10_000 * 2 ** (n - 1)));
  }

  /**
   * Replaces the schedule set (a new release is serving). Runs in progress, of whatever release, go
   * on to their end; a job's next run waits for its previous one to finish, as before.
   */
  setJobs(jobs: J[]): void {
    const now = this.clock.now();
    this.scheduled = new Map(jobs.map((def) => [def.name, this.plan(def, now)]));
    this.arm();
    this.hooks.changed();
  }

  /** The jobs whose schedule is active (to switch back to them). */
  jobs(): J[] {
    return [...this.scheduled.values()].map((s) => s.def);
  }

  private plan(def: J, after: number): Scheduled<J> {
    try {
      const next = nextRun(def.schedule, new Date(after), def.timezone);
      return next ? { def, next: next.getTime() } : { def, problem: "the schedule never matches a date" };
    } catch (e) {
      return { def, problem: (e as Error).message };
    }
  }

  private arm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    const nexts = [...this.scheduled.values()].flatMap((s) => (s.next === undefined ? [] : [s.next]));
    if (nexts.length === 0) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, Math.min(...nexts) - this.clock.now()));
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.tick();
    }, delay);
  }

  private tick(): void {
    const now = this.clock.now();
    for (const [name, s] of this.scheduled) {
      if (s.next === undefined || s.next > now) continue;
      const due = s.next;
      this.scheduled.set(name, this.plan(s.def, now));
      const busy = this.running.get(name);
      if (now - due > this.startingDeadlineMs) {
        this.skip(s.def, `missed the run due at ${new Date(due).toISOString()} (${humanMs(now - due)} late)`);
      } else if (busy) {
        this.skip(
          s.def,
          `skipped the run due at ${new Date(due).toISOString()}: ${busy.id} is still running (concurrency: forbid)`,
        );
      } else {
        this.start(s.def, "schedule", s.def.retries);
      }
    }
    this.arm();
    this.hooks.changed();
  }

  private skip(def: J, message: string): void {
    const prev = this.skips.get(def.name);
    this.skips.set(def.name, { count: (prev?.count ?? 0) + 1, at: this.clock.now() });
    this.hooks.line(def.name, def.name, `gantry: ${message}`);
    this.hooks.log(`job ${def.name}: ${message}`);
  }

  /** Starts a run of a job of the serving release now (`gantry run`). */
  runNow(
    name: string,
    opts: { retry?: boolean } = {},
  ): { run: RunHandle } | { error: string; hint?: string; status: number } {
    const s = this.scheduled.get(name);
    if (!s) {
      const names = [...this.scheduled.keys()].sort();
      return {
        status: 404,
        error: `there is no job ${name} in the serving release`,
        hint:
          names.length > 0 ? `its jobs: ${names.join(", ")}` : "the serving release has no scheduled jobs",
      };
    }
    const busy = this.running.get(name);
    if (busy)
      return {
        status: 409,
        error: `${name} is already running (${busy.id}, started ${new Date(busy.startedAt).toISOString()})`,
        hint: `jobs do not overlap; wait for it, or follow it with \`gantry logs ${name} -f\``,
      };
    if (this.stopped) return { status: 503, error: "the supervisor is stopping" };
    return { run: this.start(s.def, "manual", opts.retry === false ? 0 : s.def.retries) };
  }

  private start(job: J, trigger: "schedule" | "manual", retries: number): Run<J> {
    const startedAt = this.clock.now();
    let resolve!: (r: RunRecord) => void;
    const done = new Promise<RunRecord>((r) => (resolve = r));
    const listeners = new Set<(e: RunEvent) => void>();
    const run: Run<J> = {
      id: runId(job.name, startedAt),
      job,
      trigger,
      startedAt,
      retries,
      attempt: 0,
      timedOut: false,
      stopping: false,
      listeners,
      resolve,
      done,
      follow: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
    this.running.set(job.name, run);
    run.deadlineTimer = this.clock.setTimeout(() => this.onDeadline(run), job.timeoutMs);
    this.hooks.log(
      `job ${job.name}: ${trigger === "manual" ? "manual" : "scheduled"} run ${run.id} (${job.release}) started`,
    );
    this.hooks.line(
      job.name,
      run.id,
      `gantry: ${trigger === "manual" ? "manual" : "scheduled"} run of ${job.release}: ${job.command}`,
    );
    void this.attempt(run);
    return run;
  }

  private step(run: Run<J>, message: string): void {
    this.hooks.line(run.job.name, run.id, `gantry: ${message}`);
    for (const l of run.listeners) l({ type: "step", message });
  }

  private async attempt(run: Run<J>): Promise<void> {
    run.attempt++;
    run.retryAt = undefined;
    let proc: Attempt;
    try {
      proc = await this.hooks.start(run.job, run.id, (text) => {
        this.hooks.line(run.job.name, run.id, text);
        for (const l of run.listeners) l({ type: "line", text });
      });
    } catch (e) {
      // A command that cannot start (not found, not executable) will not start on a retry either.
      this.finish(run, { result: "not-started", reason: `could not start: ${(e as Error).message}` });
      return;
    }
    run.proc = proc;
    if (run.timedOut || run.stopping) this.terminate(run);
    this.hooks.changed();
    const { code, signal } = await proc.exited;
    run.proc = undefined;
    if (run.killTimer !== undefined) this.clock.clearTimeout(run.killTimer);
    const how = signal ? `killed by ${signal}` : `exited with code ${code ?? "?"}`;
    const exit = { ...(code !== null ? { exitCode: code } : {}), ...(signal ? { signal } : {}) };
    if (run.stopping)
      return this.finish(run, { result: "stopped", reason: `stopped with the supervisor (${how})`, ...exit });
    if (run.timedOut)
      return this.finish(run, {
        result: "timed-out",
        reason: `timed out after ${humanMs(run.job.timeoutMs)} (${how})`,
        ...exit,
      });
    if (code === 0 && !signal) return this.finish(run, { result: "succeeded", reason: how, ...exit });
    if (run.attempt <= run.retries) {
      const delay = this.backoffMs(run.attempt);
      const left = run.retries - run.attempt + 1;
      this.step(
        run,
        `attempt ${run.attempt} ${how}; retrying in ${humanMs(delay)} (${left} ${left === 1 ? "retry" : "retries"} left)`,
      );
      run.retryAt = this.clock.now() + delay;
      run.backoffTimer = this.clock.setTimeout(() => {
        run.backoffTimer = undefined;
        void this.attempt(run);
      }, delay);
      this.hooks.changed();
      return;
    }
    this.finish(run, {
      result: "failed",
      reason: `${how}${run.attempt > 1 ? ` after ${run.attempt} attempts` : ""}`,
      ...exit,
    });
  }

  private onDeadline(run: Run<J>): void {
    run.deadlineTimer = undefined;
    run.timedOut = true;
    if (run.backoffTimer !== undefined) {
      this.clock.clearTimeout(run.backoffTimer);
      run.backoffTimer = undefined;
      this.finish(run, {
        result: "timed-out",
        reason: `timed out after ${humanMs(run.job.timeoutMs)} (waiting to retry after attempt ${run.attempt})`,
      });
      return;
    }
    this.step(
      run,
      `timed out after ${humanMs(run.job.timeoutMs)}: SIGTERM, SIGKILL in ${humanMs(this.killGraceMs)}`,
    );
    if (run.proc) this.terminate(run);
  }

  /** SIGTERM, then SIGKILL if the attempt has not exited after the grace period. */
  private terminate(run: Run<J>): void {
    const proc = run.proc;
    if (!proc || run.killTimer !== undefined) return;
    proc.kill("SIGTERM");
    run.killTimer = this.clock.setTimeout(() => {
      if (run.proc === proc) proc.kill("SIGKILL");
    }, this.killGraceMs);
  }

  private finish(run: Run<J>, o: Pick<RunRecord, "result" | "reason" | "exitCode" | "signal">): void {
    for (const t of [run.deadlineTimer, run.killTimer, run.backoffTimer])
      if (t !== undefined) this.clock.clearTimeout(t);
    const endedAt = this.clock.now();
    const record: RunRecord = {
      id: run.id,
      trigger: run.trigger,
      release: run.job.release,
      startedAt: new Date(run.startedAt).toISOString(),
      endedAt: new Date(endedAt).toISOString(),
      durationMs: endedAt - run.startedAt,
      attempts: run.attempt,
      ...o,
    };
    if (this.running.get(run.job.name) === run) this.running.delete(run.job.name);
    this.last.set(run.job.name, record);
    const summary = `${record.result} in ${humanMs(record.durationMs)}: ${record.reason}`;
    this.hooks.line(run.job.name, run.id, `gantry: run ${summary}`);
    this.hooks.log(`job ${run.job.name}: run ${run.id} ${summary}`);
    run.resolve(record);
    this.hooks.changed();
  }

  /** Stops scheduling, and stops the runs in progress (SIGTERM, then SIGKILL after the grace period). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.arm();
    const runs = [...this.running.values()];
    for (const run of runs) {
      run.stopping = true;
      if (run.backoffTimer !== undefined) {
        this.clock.clearTimeout(run.backoffTimer);
        run.backoffTimer = undefined;
        this.finish(run, { result: "stopped", reason: "stopped with the supervisor while waiting to retry" });
      } else this.terminate(run);
    }
    await Promise.all(runs.map((r) => r.done));
  }

  /**
   * Takes back what `info()` said of the jobs before a restart of the supervisor: each job's last run
   * and skipped runs, so that `gantry status` does not forget them.
   */
  restore(previous: readonly JobInfo[]): void {
    for (const j of previous) {
      if (j.lastRun && !this.last.has(j.name)) this.last.set(j.name, j.lastRun);
      if (j.skipped > 0 && !this.skips.has(j.name))
        this.skips.set(j.name, { count: j.skipped, at: j.lastSkipped ? Date.parse(j.lastSkipped) : 0 });
    }
  }

  info(): JobInfo[] {
    const names = [...new Set([...this.scheduled.keys(), ...this.running.keys()])].sort();
    return names.map((name) => {
      const s = this.scheduled.get(name);
      const run = this.running.get(name);
      const last = this.last.get(name);
      const skips = this.skips.get(name);
      return {
        name,
        ...(s
          ? {
              release: s.def.release,
              schedule: s.def.schedule,
              timezone: s.def.timezone,
              command: s.def.command,
              ...(s.next !== undefined ? { nextRun: new Date(s.next).toISOString() } : {}),
              ...(s.problem ? { problem: s.problem } : {}),
            }
          : {}),
        ...(run
          ? {
              running: {
                id: run.id,
                trigger: run.trigger,
                release: run.job.release,
                startedAt: new Date(run.startedAt).toISOString(),
                attempt: run.attempt,
                ...(run.proc?.pid !== undefined ? { pid: run.proc.pid } : {}),
                ...(run.proc?.cmd !== undefined ? { cmd: run.proc.cmd } : {}),
                ...(run.proc?.startTicks !== undefined ? { startTicks: run.proc.startTicks } : {}),
                ...(run.retryAt !== undefined ? { retryAt: new Date(run.retryAt).toISOString() } : {}),
              },
            }
          : {}),
        ...(last ? { lastRun: last } : {}),
        skipped: skips?.count ?? 0,
        ...(skips ? { lastSkipped: new Date(skips.at).toISOString() } : {}),
      };
    });
  }
}
