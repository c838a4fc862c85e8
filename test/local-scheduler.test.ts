// The scheduler's decisions with a fake clock and fake processes: when runs start, Forbid overlap,
// missed runs, timeouts (SIGTERM, then SIGKILL), retries with back-off, manual runs, and the switch
// to a new release's schedule while an old run finishes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Scheduler,
  type Attempt,
  type Clock,
  type JobDefinition,
  type RunEvent,
} from "../src/engine/local/scheduler.js";

class FakeClock implements Clock {
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private ids = 0;
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== h);
  }
  /** Moves time forward, firing every timer at its own time. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await flush();
      const due = this.timers.filter((x) => x.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = target;
    await flush();
  }
  /** Jumps forward without firing timers on the way (a machine that slept), then fires what is due. */
  async jump(ms: number): Promise<void> {
    this.t += ms;
    await this.advance(0);
  }
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

class FakeProc implements Attempt {
  readonly signals: NodeJS.Signals[] = [];
  private end!: (r: { code: number | null; signal: NodeJS.Signals | null }) => void;
  readonly exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (r) => (this.end = r),
  );
  constructor(
    readonly pid: number,
    /** Whether SIGTERM ends it (a well-behaved job) or it has to be killed. */
    private readonly obeysTerm = true,
  ) {}
  kill(signal: NodeJS.Signals): void {
    this.signals.push(signal);
    if (signal === "SIGKILL" || this.obeysTerm) this.end({ code: null, signal });
  }
  exit(code: number): void {
    this.end({ code, signal: null });
  }
}

interface Harness {
  clock: FakeClock;
  sched: Scheduler;
  starts: { job: JobDefinition; runId: string; proc: FakeProc; line: (t: string) => void }[];
  lines: string[];
  logs: string[];
  /** The processes the next starts get (default: well-behaved ones). */
  next: FakeProc[];
}

function harness(start = "2026-11-22T10:02:00Z", opts: { failStart?: string } = {}): Harness {
  const clock = new FakeClock(Date.parse(start));
  const h: Harness = { clock, sched: undefined as never, starts: [], lines: [], logs: [], next: [] };
  let pid = 100;
  h.sched = new Scheduler(
    {
      start: (job, runId, line) => {
        if (opts.failStart) return Promise.reject(new Error(opts.failStart));
        const proc = h.next.shift() ?? new FakeProc(++pid);
        h.starts.push({ job, runId, proc, line });
        return Promise.resolve(proc);
      },
      line: (job, runId, text) => h.lines.push(`${job} ${runId} | ${text}`),
      log: (m) => h.logs.push(m),
      changed: () => undefined,
    },
    { clock, killGraceMs: 5000 },
  );
  return h;
}

function job(o: Partial<JobDefinition> = {}): JobDefinition {
  return {
    name: "report",
    release: "v1",
    schedule: "*/5 * * * *",
    timezone: "UTC",
    command: "node report.js",
    timeoutMs: 3_600_000,
    retries: 0,
    ...o,
  };
}

const MIN = 60_000;

describe("scheduler: when runs start", () => {
  it("starts a run at each scheduled time and records how it ended", async () => {
    const h = harness();
    h.sched.setJobs([job()]);
    assert.equal(h.sched.info()[0]!.nextRun, "2026-11-22T10:05:00.000Z");
    await h.clock.advance(3 * MIN - 1);
    assert.equal(h.starts.length, 0, "not a millisecond early");
    await h.clock.advance(1);
    assert.equal(h.starts.length, 1);
    assert.equal(h.starts[0]!.runId, "report-20261122T100500");
    h.starts[0]!.line("42 rows");
    assert.equal(h.sched.info()[0]!.running?.pid, 101);
    await h.clock.advance(1500);
    h.starts[0]!.proc.exit(0);
    await flush();
    const info = h.sched.info()[0]!;
    assert.equal(info.running, undefined);
    assert.deepEqual(info.lastRun, {
      id: "report-20261122T100500",
      trigger: "schedule",
      release: "v1",
      startedAt: "2026-11-22T10:05:00.000Z",
      endedAt: "2026-11-22T10:05:01.500Z",
      durationMs: 1500,
      attempts: 1,
      result: "succeeded",
      exitCode: 0,
      reason: "exited with code 0",
    });
    assert.equal(info.nextRun, "2026-11-22T10:10:00.000Z");
    assert.ok(h.lines.includes("report report-20261122T100500 | 42 rows"));
    assert.ok(
      h.lines.includes("report report-20261122T100500 | gantry: run succeeded in 1.5s: exited with code 0"),
    );
    await h.clock.advance(5 * MIN);
    assert.equal(h.starts.length, 2);
  });

  it("remembers the last run and the skipped ones across a restart of the supervisor", async () => {
    const h = harness();
    h.sched.setJobs([job()]);
    await h.clock.advance(3 * MIN);
    h.starts[0]!.proc.exit(3);
    await flush();
    const before = h.sched.info();
    assert.equal(before[0]!.lastRun?.result, "failed");
    // A new supervisor: a new scheduler, given what the state file said.
    const after = harness();
    after.sched.restore([{ ...before[0]!, skipped: 2, lastSkipped: "2026-11-22T09:00:00.000Z" }]);
    after.sched.setJobs([job()]);
    const info = after.sched.info()[0]!;
    assert.deepEqual(info.lastRun, before[0]!.lastRun);
    assert.equal(info.skipped, 2);
    assert.equal(info.lastSkipped, "2026-11-22T09:00:00.000Z");
  });

  it("looks at far-away runs again at least every minute, and runs them on time", async () => {
    const h = harness();
    h.sched.setJobs([job({ schedule: "0 3 * * *" })]);
    await h.clock.advance(16 * 60 * MIN + 57 * MIN);
    assert.equal(h.starts.length, 0);
    await h.clock.advance(MIN);
    assert.equal(h.starts.length, 1);
    assert.equal(h.starts[0]!.runId, "report-20261123T030000");
  });

  it("forbids overlap: a run due while the previous one goes is skipped and logged", async () => {
    const h = harness();
    h.sched.setJobs([job({ schedule: "* * * * *" })]);
    await h.clock.advance(MIN);
    assert.equal(h.starts.length, 1);
    await h.clock.advance(2 * MIN);
    assert.equal(h.starts.length, 1, "no second run while the first goes");
    const info = h.sched.info()[0]!;
    assert.equal(info.skipped, 2);
    assert.equal(info.running?.id, "report-20261122T100300");
    assert.ok(
      h.logs.includes(
        "job report: skipped the run due at 2026-11-22T10:04:00.000Z: report-20261122T100300 is still running (concurrency: forbid)",
      ),
    );
    h.starts[0]!.proc.exit(0);
    await h.clock.advance(MIN);
    assert.equal(h.starts.length, 2, "runs again once the previous one ended");
  });

  it("skips a run the machine slept through instead of running it late", async () => {
    const h = harness();
    h.sched.setJobs([job({ schedule: "0 11 * * *" })]);
    await h.clock.advance(57 * MIN);
    await h.clock.jump(3 * 60 * MIN);
    assert.equal(h.starts.length, 0);
    const info = h.sched.info()[0]!;
    assert.equal(info.skipped, 1);
    assert.equal(info.nextRun, "2026-11-23T11:00:00.000Z");
    assert.ok(h.logs.includes("job report: missed the run due at 2026-11-22T11:00:00.000Z (2h59m late)"));
    assert.ok(
      h.lines.includes("report report | gantry: missed the run due at 2026-11-22T11:00:00.000Z (2h59m late)"),
    );
  });

  it("shows a schedule that never comes, and starts nothing", async () => {
    const h = harness();
    h.sched.setJobs([job({ schedule: "0 0 30 2 *" }), job({ name: "tz", timezone: "Mars/Olympus" })]);
    const [never, tz] = h.sched.info();
    assert.equal(never!.problem, "the schedule never matches a date");
    assert.match(tz!.problem ?? "", /unknown time zone "Mars\/Olympus"/);
    await h.clock.advance(60 * MIN);
    assert.equal(h.starts.length, 0);
  });
});

describe("scheduler: timeouts and retries", () => {
  it("sends SIGTERM at the timeout, SIGKILL a few seconds later, and does not retry", async () => {
    const h = harness();
    h.next.push(new FakeProc(7, false));
    h.sched.setJobs([job({ timeoutMs: 30_000, retries: 2 })]);
    await h.clock.advance(3 * MIN);
    const proc = h.starts[0]!.proc;
    await h.clock.advance(30_000 - 1);
    assert.deepEqual(proc.signals, []);
    await h.clock.advance(1);
    assert.deepEqual(proc.signals, ["SIGTERM"]);
    await h.clock.advance(5000);
    assert.deepEqual(proc.signals, ["SIGTERM", "SIGKILL"]);
    const last = h.sched.info()[0]!.lastRun!;
    assert.equal(last.result, "timed-out");
    assert.equal(last.reason, "timed out after 30s (killed by SIGKILL)");
    assert.equal(last.durationMs, 35_000);
    await h.clock.advance(60_000);
    assert.equal(h.starts.length, 1, "a timed-out run is not retried");
  });

  it("a job that obeys SIGTERM gets no SIGKILL", async () => {
    const h = harness();
    h.sched.setJobs([job({ timeoutMs: 10_000 })]);
    await h.clock.advance(3 * MIN + 10_000);
    await h.clock.advance(10_000);
    assert.deepEqual(h.starts[0]!.proc.signals, ["SIGTERM"]);
    assert.equal(h.sched.info()[0]!.lastRun!.reason, "timed out after 10s (killed by SIGTERM)");
  });

  it("retries a failed run after 10 s, then 20 s, and gives up after `retries`", async () => {
    const h = harness();
    h.sched.setJobs([job({ retries: 2 })]);
    await h.clock.advance(3 * MIN);
    h.starts[0]!.proc.exit(3);
    await flush();
    const waiting = h.sched.info()[0]!.running!;
    assert.equal(waiting.attempt, 1);
    assert.equal(waiting.retryAt, "2026-11-22T10:05:10.000Z");
    await h.clock.advance(10_000 - 1);
    assert.equal(h.starts.length, 1);
    await h.clock.advance(1);
    assert.equal(h.starts.length, 2);
    assert.equal(h.starts[1]!.runId, h.starts[0]!.runId, "a retry is the same run");
    h.starts[1]!.proc.exit(3);
    await h.clock.advance(20_000);
    assert.equal(h.starts.length, 3);
    h.starts[2]!.proc.exit(4);
    await h.clock.advance(MIN);
    const last = h.sched.info()[0]!.lastRun!;
    assert.equal(last.result, "failed");
    assert.equal(last.exitCode, 4);
    assert.equal(last.attempts, 3);
    assert.equal(last.reason, "exited with code 4 after 3 attempts");
    assert.ok(
      h.lines.some((l) =>
        l.endsWith("gantry: attempt 1 exited with code 3; retrying in 10s (2 retries left)"),
      ),
    );
    assert.equal(h.starts.length, 3, "no fourth attempt");
  });

  it("a retry that succeeds ends the run; the back-off wait counts against Forbid", async () => {
    const h = harness();
    h.sched.setJobs([job({ schedule: "* * * * *", retries: 1 })]);
    await h.clock.advance(MIN);
    h.starts[0]!.proc.exit(1);
    await h.clock.advance(5_000);
    await h.clock.advance(5_000);
    assert.equal(h.starts.length, 2);
    h.starts[1]!.proc.exit(0);
    await flush();
    const info = h.sched.info()[0]!;
    assert.equal(info.lastRun!.result, "succeeded");
    assert.equal(info.lastRun!.attempts, 2);
    // The back-off wait of a long-failing run overlaps the next minute: that minute is skipped.
    await h.clock.advance(50_000);
    assert.equal(h.starts.length, 3, "10:04 runs");
    await h.clock.advance(55_000);
    h.starts[2]!.proc.exit(1);
    await h.clock.advance(9_000);
    assert.equal(h.starts.length, 3, "10:05 comes while the 10:04 run waits to retry");
    assert.equal(h.sched.info()[0]!.skipped, 1);
  });

  it("a timeout during the back-off wait ends the run", async () => {
    const h = harness();
    h.sched.setJobs([job({ retries: 3, timeoutMs: 15_000 })]);
    await h.clock.advance(3 * MIN);
    await h.clock.advance(8000);
    h.starts[0]!.proc.exit(1);
    await h.clock.advance(7000);
    assert.equal(h.starts.length, 1);
    const last = h.sched.info()[0]!.lastRun!;
    assert.equal(last.result, "timed-out");
    assert.equal(last.reason, "timed out after 15s (waiting to retry after attempt 1)");
  });

  it("a command that cannot start fails at once, without retries", async () => {
    const h = harness(undefined, { failStart: "spawn nope ENOENT" });
    h.sched.setJobs([job({ retries: 2 })]);
    await h.clock.advance(3 * MIN + 60_000);
    const last = h.sched.info()[0]!.lastRun!;
    assert.equal(last.result, "not-started");
    assert.equal(last.reason, "could not start: spawn nope ENOENT");
    assert.equal(last.attempts, 1);
  });
});

describe("scheduler: manual runs", () => {
  it("runs a job now, streams its output, and refuses a second one while it goes", async () => {
    const h = harness();
    h.sched.setJobs([job({ retries: 1 })]);
    const r = h.sched.runNow("report");
    assert.ok("run" in r);
    const events: RunEvent[] = [];
    r.run.follow((e) => events.push(e));
    await flush();
    assert.equal(h.starts.length, 1);
    h.starts[0]!.line("hello");
    const again = h.sched.runNow("report");
    assert.ok("error" in again);
    assert.equal(again.status, 409);
    assert.equal(
      again.error,
      "report is already running (report-20261122T100200, started 2026-11-22T10:02:00.000Z)",
    );
    h.starts[0]!.proc.exit(2);
    await h.clock.advance(10_000);
    h.starts[1]!.line("second try");
    h.starts[1]!.proc.exit(0);
    const record = await r.run.done;
    assert.equal(record.trigger, "manual");
    assert.equal(record.result, "succeeded");
    assert.deepEqual(events, [
      { type: "line", text: "hello" },
      { type: "step", message: "attempt 1 exited with code 2; retrying in 10s (1 retry left)" },
      { type: "line", text: "second try" },
    ]);
  });

  it("can skip the retries, and names the jobs when asked for one that is not there", async () => {
    const h = harness();
    h.sched.setJobs([job({ retries: 3 }), job({ name: "cleanup" })]);
    const r = h.sched.runNow("report", { retry: false });
    assert.ok("run" in r);
    await flush();
    h.starts[0]!.proc.exit(5);
    const record = await r.run.done;
    assert.equal(record.result, "failed");
    assert.equal(record.exitCode, 5);
    assert.equal(record.reason, "exited with code 5");
    assert.deepEqual(h.sched.runNow("nope"), {
      status: 404,
      error: "there is no job nope in the serving release",
      hint: "its jobs: cleanup, report",
    });
  });
});

describe("scheduler: a new release", () => {
  it("switches to the new schedule at once; a run of the old release finishes, and Forbid holds across", async () => {
    const h = harness();
    h.sched.setJobs([job({ schedule: "*/10 * * * *" }), job({ name: "gone", schedule: "*/10 * * * *" })]);
    await h.clock.advance(8 * MIN);
    assert.deepEqual(
      h.starts.map((s) => `${s.job.name}@${s.job.release}`),
      ["report@v1", "gone@v1"],
    );
    // v2 runs report every 5 minutes and has no `gone` job.
    h.sched.setJobs([job({ release: "v2", schedule: "*/5 * * * *", command: "node report2.js" })]);
    let info = h.sched.info();
    assert.deepEqual(
      info.map((j) => [j.name, j.release, j.schedule, j.nextRun, j.running?.release]),
      [
        ["gone", undefined, undefined, undefined, "v1"],
        ["report", "v2", "*/5 * * * *", "2026-11-22T10:15:00.000Z", "v1"],
      ],
    );
    assert.deepEqual(h.starts[0]!.proc.signals, [], "the old run is not stopped");
    await h.clock.advance(5 * MIN);
    assert.equal(h.starts.length, 2, "the v1 run still goes: the v2 run due at 10:15 is skipped");
    h.starts[0]!.proc.exit(0);
    h.starts[1]!.proc.exit(0);
    await flush();
    info = h.sched.info();
    assert.deepEqual(
      info.map((j) => j.name),
      ["report"],
      "a removed job leaves the list once its run ended",
    );
    assert.equal(info[0]!.lastRun!.release, "v1");
    await h.clock.advance(5 * MIN);
    assert.equal(h.starts.length, 3);
    assert.equal(h.starts[2]!.job.release, "v2");
    assert.equal(h.starts[2]!.job.command, "node report2.js");
  });

  it("stop ends the runs in progress and schedules nothing more", async () => {
    const h = harness();
    h.sched.setJobs([job({ schedule: "* * * * *" })]);
    await h.clock.advance(MIN);
    const stopped = h.sched.stop();
    await flush();
    assert.deepEqual(h.starts[0]!.proc.signals, ["SIGTERM"]);
    await stopped;
    assert.equal(h.sched.info()[0]!.lastRun!.result, "stopped");
    await h.clock.advance(10 * MIN);
    assert.equal(h.starts.length, 1);
  });
});
