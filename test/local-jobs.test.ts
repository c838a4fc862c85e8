// The supervisor's side of jobs with real processes (through src/util/exec.ts): what a release's jobs
// run with, and the scheduler driving real attempts (output, exit codes, SIGTERM then SIGKILL, retry).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { jobDefinitions, startJobProcess, type LocalJob } from "../src/engine/local/jobs.js";
import { planDeploy, stepsOf } from "../src/engine/local/plan.js";
import { Scheduler, systemClock, type RunEvent, type RunRecord } from "../src/engine/local/scheduler.js";
import { pidAlive } from "../src/engine/local/fsutil.js";
import { loadExample } from "./helpers.js";

const augeo = () => loadExample("augeo").project.environments[0]!;
const infra = { postgres: { port: 5999, user: "gantry", password: "pw" }, redis: { cache: { port: 6999 } } };

function defs(model = augeo()) {
  return jobDefinitions({
    model,
    jobs: stepsOf(
      planDeploy({ model, release: "v4", kind: "deploy", current: { instances: [] }, crashWatchMs: 1000 }),
      "jobs",
    ).flatMap((s) => s.jobs),
    release: "v4",
    appCopy: "/srv/app/.gantry/dev/releases/v4/app",
    infra,
    secrets: { JWT_SECRET: "s3cret" },
    base: { PATH: "/usr/bin" },
  });
}

describe("jobDefinitions", () => {
  it("gives a job its command, the release's directory and the environment of a service", () => {
    const [cleanup] = defs();
    assert.ok(cleanup);
    assert.equal(cleanup.name, "cleanup");
    assert.equal(cleanup.release, "v4");
    assert.deepEqual(cleanup.argv, ["python", "-m", "app.jobs.cleanup"]);
    assert.equal(cleanup.cwd, "/srv/app/.gantry/dev/releases/v4/app/backend");
    assert.equal(cleanup.env.DATABASE_URL, "postgresql://gantry:pw@127.0.0.1:5999/augeo");
    assert.equal(cleanup.env.REDIS_URL, "redis://127.0.0.1:6999");
    assert.equal(cleanup.env.JWT_SECRET, "s3cret");
    assert.equal(cleanup.env.GANTRY_SERVICE, "cleanup");
    assert.equal(cleanup.env.PORT, undefined);
    assert.equal(cleanup.env.PATH, "/usr/bin");
  });

  it("refuses a time zone or a command it cannot run, before anything starts", () => {
    const m = augeo();
    const job = m.services.cleanup!;
    assert.ok(job.type === "job");
    assert.throws(
      () => defs({ ...m, services: { cleanup: { ...job, timezone: "Europe/Pariss" } } }),
      /^Error: job cleanup: unknown time zone "Europe\/Pariss"/,
    );
    assert.throws(
      () => defs({ ...m, services: { cleanup: { ...job, command: "python clean.py --db $DB_URL" } } }),
      /uses \$DB_URL, which the process does not receive/,
    );
  });
});

function realJob(script: string, o: Partial<LocalJob> = {}): LocalJob {
  return {
    name: "real",
    release: "v1",
    schedule: "@yearly",
    timezone: "UTC",
    command: "node -e ...",
    timeoutMs: 10_000,
    retries: 0,
    argv: [process.execPath, "-e", script],
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? "", GREETING: "hello" },
    ...o,
  };
}

function realScheduler(o: { killGraceMs?: number } = {}) {
  const lines: string[] = [];
  const sched = new Scheduler<LocalJob>(
    {
      start: startJobProcess,
      line: (_job, runId, text) => lines.push(`${runId} | ${text}`),
      log: () => undefined,
      changed: () => undefined,
    },
    { killGraceMs: o.killGraceMs ?? 300, backoffMs: () => 50 },
  );
  return { sched, lines };
}

/** Runs one job to its end on a real scheduler: the record and every event the run streamed. */
async function runToEnd(
  job: LocalJob,
  o: { killGraceMs?: number } = {},
): Promise<{ record: RunRecord; events: RunEvent[]; lines: string[] }> {
  const { sched, lines } = realScheduler(o);
  sched.setJobs([job]);
  const r = sched.runNow(job.name);
  assert.ok("run" in r);
  const events: RunEvent[] = [];
  r.run.follow((e) => events.push(e));
  const record = await r.run.done;
  await sched.stop();
  return { record, events, lines };
}

describe("scheduler with real processes", () => {
  it("streams every line, the last one without a newline too, and records the exit code", async () => {
    const { record, events, lines } = await runToEnd(
      realJob(
        'console.log(process.env.GREETING + " from " + process.env.GANTRY_INSTANCE); console.error("to stderr"); process.stdout.write("no newline"); process.exitCode = 0',
      ),
    );
    assert.equal(record.result, "succeeded");
    assert.equal(record.exitCode, 0);
    const texts = events.flatMap((e) => (e.type === "line" ? [e.text] : []));
    assert.deepEqual(texts.sort(), [`hello from ${record.id}`, "no newline", "to stderr"].sort());
    assert.ok(lines.includes(`${record.id} | hello from ${record.id}`));
  });

  it("retries a failing process, then reports its exit code", async () => {
    const { record } = await runToEnd(realJob("process.exit(7)", { retries: 1 }));
    assert.equal(record.result, "failed");
    assert.equal(record.exitCode, 7);
    assert.equal(record.attempts, 2);
  });

  it("kills a process that ignores SIGTERM after the grace period", async () => {
    const { record, events } = await runToEnd(
      realJob(
        'process.on("SIGTERM", () => console.log("ignoring SIGTERM")); setInterval(() => {}, 1000); console.log("up")',
        { timeoutMs: 500 },
      ),
      { killGraceMs: 300 },
    );
    assert.equal(record.result, "timed-out");
    assert.equal(record.signal, "SIGKILL");
    assert.equal(record.reason, "timed out after 0.5s (killed by SIGKILL)");
    assert.ok(record.durationMs >= 800 && record.durationMs < 5000, String(record.durationMs));
    assert.ok(events.some((e) => e.type === "line" && e.text === "ignoring SIGTERM"));
  });

  it("stops what the job started too when it times out: nothing outlives the run", async () => {
    // The job starts a child (as `npm run` or a shell script does) and ends on SIGTERM; the child does not.
    const { record, events } = await runToEnd(
      realJob(
        'const c = require("child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" }); console.log("child " + c.pid); process.on("SIGTERM", () => process.exit(143)); setInterval(() => {}, 1000)',
        { timeoutMs: 500 },
      ),
      { killGraceMs: 300 },
    );
    assert.equal(record.result, "timed-out");
    const line = events.find((e) => e.type === "line" && e.text.startsWith("child "));
    const child = Number(line?.type === "line" ? line.text.slice(6) : NaN);
    assert.ok(child > 0, "the job printed its child's pid");
    for (let i = 0; i < 100 && pidAlive(child); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(pidAlive(child), false, `the job's child ${child} outlived the run`);
  });

  it("keeps a deadline further away than Node's longest timer (24.8 days)", async () => {
    let fired = false;
    const t = systemClock.setTimeout(() => (fired = true), 30 * 24 * 3600 * 1000);
    await new Promise((r) => setTimeout(r, 50));
    systemClock.clearTimeout(t);
    assert.equal(fired, false);
  });

  it("says why a command could not start", async () => {
    const { record } = await runToEnd({ ...realJob(""), argv: ["/nonexistent/job-binary"] });
    assert.equal(record.result, "not-started");
    assert.match(record.reason, /^could not start: spawn \/nonexistent\/job-binary ENOENT/);
  });
});
