// End to end: `gantry up` runs examples/hello on this machine with real PostgreSQL and Redis, then
// deploys, failed deploys with automatic rollback, a crashed instance, a Gantry killed mid-deploy, a
// rollback, and secrets that never appear in clear. Loopback only; every step has a time limit, and
// the app is always stopped and its data removed at the end.
// Needs PostgreSQL and redis-server: skipped without them, but FAILS when CI is set.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exec, spawnProcess } from "../../src/util/exec.js";
import { findOnPath } from "../../src/engine/local/infra.js";
import { findPostgresBin } from "../../src/engine/local/postgres.js";
// Dead means not running: a process that exited stays a zombie until its parent (here PID 1) reaps it.
import { pidAlive } from "../../src/engine/local/fsutil.js";
import type { SupervisorState } from "../../src/engine/local/state.js";
import { REPO_ROOT } from "../helpers.js";

const SECRET = "hunter2-e2e-Zq9xW4vB7";
const CLI = join(REPO_ROOT, "test", "e2e", "cli.ts");

const missing: string[] = [];
if (!(await findPostgresBin(process.env.PATH))) missing.push("PostgreSQL");
if (!findOnPath("redis-server", process.env.PATH)) missing.push("redis-server");
if (missing.length > 0 && process.env.CI) {
  throw new Error(
    `${missing.join(" and ")} must be installed for the end-to-end tests in CI (apt-get install -y postgresql redis-server)`,
  );
}
const skip = missing.length > 0 ? `needs ${missing.join(" and ")}` : false;

let app = "";
const outputs: string[] = [];

async function gantry(args: string[], opts: { input?: string; timeoutMs?: number } = {}) {
  const r = await exec(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: app,
    env: { ...process.env, NODE_TEST_CONTEXT: "" },
    timeoutMs: opts.timeoutMs ?? 180_000,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
  outputs.push(r.stdout, r.stderr);
  return r;
}

function state(): SupervisorState {
  return JSON.parse(readFileSync(join(app, ".gantry", "dev", "state.json"), "utf8")) as SupervisorState;
}

function proxy(): string {
  return `http://127.0.0.1:${state().proxyPort}`;
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function version(): Promise<string> {
  const res = await fetch(`${proxy()}/api/version`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  return ((await res.json()) as { version: string }).version;
}

/** Polls the API through the proxy until stopped; returns the status codes seen. */
function poller(): { stop: () => Promise<number[]> } {
  const codes: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const res = await fetch(`${proxy()}/api/version`, { signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer();
        codes.push(res.status);
      } catch {
        codes.push(0);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return codes;
    },
  };
}

function setSpec(edit: (spec: string) => string): void {
  const p = join(app, "gantry.yaml");
  writeFileSync(p, edit(readFileSync(p, "utf8")));
}

function apiEnv(version: string, extra = ""): (s: string) => string {
  return (s) =>
    s.replace(
      / {4}env: \{ LOG_LEVEL: info[^\n]*\n/,
      `    env: { LOG_LEVEL: info, APP_VERSION: "${version}" }\n${extra}`,
    );
}

function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st || name === "node_modules") continue;
    if (st.isDirectory()) out.push(...allFiles(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

describe("gantry up / deploy / rollback on this machine", { skip, timeout: 900_000 }, () => {
  before(() => {
    // Under /tmp with mode 0755, so that PostgreSQL (run as the postgres user when we are root) can reach its data.
    app = mkdtempSync(join(tmpdir(), "gantry-e2e-"));
    chmodSync(app, 0o755);
    cpSync(join(REPO_ROOT, "examples", "hello"), app, {
      recursive: true,
      filter: (src) => !/[/\\](dist|\.gantry)$/.test(src),
    });
    symlinkSync(join(REPO_ROOT, "node_modules"), join(app, "node_modules"));
    // A worker that prints its secret: the value must reach the process, and never the logs. Two
    // scheduled jobs, due once a year so that only `gantry run` starts them here: one writes a note
    // through DATABASE_URL and prints its secret, one fails.
    setSpec((s) =>
      apiEnv("1")(s).replace(
        "  web:\n",
        [
          "  echo:",
          "    type: worker",
          "    build: { context: ., dockerfile: api/Dockerfile }",
          `    command: node -e 'console.log("token=" + process.env.HELLO_TOKEN); setInterval(() => {}, 60000)'`,
          "    secrets: [HELLO_TOKEN]",
          "",
          "  stamp:",
          "    build: { context: ., dockerfile: api/Dockerfile }",
          "    command: node stamp.mjs",
          '    schedule: "0 3 1 1 *"',
          "    timezone: Europe/Paris",
          "    timeout: 30s",
          "    retries: 0",
          "    uses: [db]",
          "    secrets: [HELLO_TOKEN]",
          "",
          "  fail:",
          "    build: { context: ., dockerfile: api/Dockerfile }",
          `    command: node -e 'console.log("about to fail"); process.exit(3)'`,
          "    schedule: '@yearly'",
          "    retries: 0",
          "",
          "  web:\n",
        ].join("\n"),
      ),
    );
    writeFileSync(
      join(app, "stamp.mjs"),
      [
        'import pg from "pg";',
        "const client = new pg.Client({ connectionString: process.env.DATABASE_URL });",
        "await client.connect();",
        "const { rows } = await client.query(",
        '  "INSERT INTO notes (text) VALUES ($1) RETURNING id",',
        "  [`stamped by ${process.env.GANTRY_SERVICE} of ${process.env.GANTRY_RELEASE}`],",
        ");",
        "console.log(`stamp: note ${rows[0].id}, token=${process.env.HELLO_TOKEN}`);",
        "await client.end();",
        "",
      ].join("\n"),
    );
    assert.ok(readFileSync(join(app, "gantry.yaml"), "utf8").includes('APP_VERSION: "1"'));
    // An API that becomes ready, then exits 300 ms after its first real request.
    writeFileSync(
      join(app, "crashy.mjs"),
      [
        'import http from "node:http";',
        "let armed = false;",
        "http.createServer((req, res) => {",
        '  if (!armed && !req.url.startsWith("/ready") && !req.url.startsWith("/health")) {',
        "    armed = true;",
        "    setTimeout(() => process.exit(3), 300);",
        "  }",
        '  res.writeHead(200, { "content-type": "application/json" });',
        '  res.end(JSON.stringify({ version: "crashy" }));',
        '}).listen(Number(process.env.PORT), "127.0.0.1");',
        "",
      ].join("\n"),
    );
  });

  after(async () => {
    if (!app) return;
    try {
      await gantry(["down"], { timeoutMs: 120_000 });
      await gantry(["destroy", "--yes"], { timeoutMs: 120_000 });
    } finally {
      // If the supervisor did not stop, do not leave it (or what it runs) behind.
      const st = existsSync(join(app, ".gantry", "dev", "state.json")) ? state() : undefined;
      for (const pid of [
        st?.pid,
        ...(st?.instances.map((i) => i.pid) ?? []),
        st?.postgres?.pid,
        ...Object.values(st?.redis ?? {}).map((r) => r.pid),
      ]) {
        if (pid) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            /* gone */
          }
        }
      }
      rmSync(app, { recursive: true, force: true });
    }
  });

  it("keeps a secret encrypted: set from stdin, listed by name only", async () => {
    const set = await gantry(["secrets", "set", "HELLO_TOKEN"], { input: `${SECRET}\n` });
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /^HELLO_TOKEN set \(version 1\) for dev/);
    const list = await gantry(["secrets", "list"]);
    assert.match(list.stdout, /HELLO_TOKEN\s+1\s/);
    assert.ok(!readFileSync(join(app, ".gantry", "dev", "secrets.json"), "utf8").includes(SECRET));
    assert.equal(statSync(join(app, ".gantry", "secrets.key")).mode & 0o777, 0o600);
  });

  it("up: provisions PostgreSQL, Redis and topics, starts every service, and serves through the proxy", async () => {
    const up = await gantry(["up"], { timeoutMs: 300_000 });
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /hello \(dev\) is up: v1 is serving/);
    assert.match(up.stdout, /api {10}http:\/\/127\.0\.0\.1:\d+\/api/);
    // The first URL `up` prints answers 200: a new user's first click works.
    const first = /(http:\/\/\S+)/.exec(up.stdout)![1]!;
    assert.equal((await fetch(first)).status, 200, first);
    const created = await fetch(`${proxy()}/api/notes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "from the e2e test" }),
    });
    assert.equal(created.status, 201);
    const note = (await created.json()) as { id: number; text: string };
    assert.equal(note.text, "from the e2e test");
    const list = (await (await fetch(`${proxy()}/api/notes`)).json()) as { notes: { id: number }[] };
    assert.ok(list.notes.some((n) => n.id === note.id));
    // The note's event goes through the Dapr-compatible endpoint and Redis Streams to the worker.
    await waitFor("the worker to process the note event", async () => {
      const l = (await (await fetch(`${proxy()}/api/notes`)).json()) as { eventsProcessed: number };
      return l.eventsProcessed >= 1 ? true : undefined;
    });
    // The static frontend, with its SPA fallback, and host routing.
    const page = await fetch(`${proxy()}/notes/42`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<!doctype html>/i);
    const health = await fetch(proxy() + "/health", { headers: { host: "api.localhost" } });
    assert.equal(health.status, 200);
    assert.equal(await version(), "1");
    const status = await gantry(["status"]);
    assert.match(status.stdout, /dev: running release v1/);
    assert.match(status.stdout, /api-v1-1\s+running\s+yes/);
    assert.match(status.stdout, /api-v1-2\s+running\s+yes/);
    assert.match(status.stdout, /worker-v1-1\s+running\s+yes/);
  });

  it("run: runs a job now in the serving release, with the services' environment; status shows the run", async () => {
    const r = await gantry(["run", "stamp"], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^stamp: note \d+, token=\[redacted:HELLO_TOKEN\]$/m);
    assert.match(r.stderr, /stamp-\d{8}T\d{6} succeeded in [\d.]+s \(exited with code 0\)/);
    const list = (await (await fetch(`${proxy()}/api/notes`)).json()) as { notes: { text: string }[] };
    assert.ok(
      list.notes.some((n) => n.text === "stamped by stamp of v1"),
      "the job wrote to the database",
    );
    const status = await gantry(["status", "--json"]);
    const st = JSON.parse(status.stdout) as SupervisorState;
    const job = st.jobs?.find((j) => j.name === "stamp");
    assert.ok(job, status.stdout);
    assert.equal(job.schedule, "0 3 1 1 *");
    assert.equal(job.timezone, "Europe/Paris");
    const y = new Date().getUTCFullYear();
    // 03:00 in Paris on 1 January is 02:00 UTC (winter time).
    assert.ok(
      [y, y + 1].some((year) => job.nextRun === `${year}-01-01T02:00:00.000Z`),
      job.nextRun,
    );
    assert.equal(job.running, undefined);
    assert.equal(job.lastRun?.result, "succeeded");
    assert.equal(job.lastRun.exitCode, 0);
    assert.equal(job.lastRun.trigger, "manual");
    assert.equal(job.lastRun.release, "v1");
    assert.ok(job.lastRun.durationMs > 0 && job.lastRun.durationMs < 30_000);
    const text = await gantry(["status"]);
    assert.match(
      text.stdout,
      /\nstamp +0 3 1 1 \* +Europe\/Paris +\d{4}-01-01 03:00 \(in [^)]+\) +no +\d{4}-\d\d-\d\d \d\d:\d\d \(\d+s ago\) +[\d.]+s +succeeded: exited with code 0\n/,
    );
    assert.match(
      readFileSync(join(app, ".gantry", "dev", "logs", "stamp.log"), "utf8"),
      / stamp-\d{8}T\d{6} \| stamp: note \d+, token=\[redacted:HELLO_TOKEN\]\n/,
    );
  });

  it("run: a failing job exits 1 with its reason; a name that is not a job is refused with a hint", async () => {
    const f = await gantry(["run", "fail"], { timeoutMs: 60_000 });
    assert.equal(f.code, 1);
    assert.match(f.stdout, /^about to fail$/m);
    assert.match(f.stderr, /error: job fail failed: exited with code 3\n {2}hint: see `gantry logs fail`/);
    const nope = await gantry(["run", "nope"]);
    assert.equal(nope.code, 1);
    assert.equal(
      nope.stderr,
      "error: there is no job nope in the serving release v1\n  hint: its jobs: fail, stamp\n",
    );
    const api = await gantry(["run", "api"]);
    assert.equal(api.code, 1);
    assert.match(api.stderr, /^error: api is a service, not a scheduled job\n/);
    const st = state().jobs?.find((j) => j.name === "fail");
    assert.equal(st?.lastRun?.result, "failed");
    assert.equal(st.lastRun.exitCode, 3);
  });

  it("deploy: switches to the new release without a failed request", async () => {
    setSpec(apiEnv("2"));
    const poll = poller();
    const d = await gantry(["deploy"], { timeoutMs: 300_000 });
    const codes = await poll.stop();
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /deployed v2: v2 is serving/);
    assert.equal(await version(), "2");
    assert.ok(codes.length > 10);
    assert.deepEqual(
      codes.filter((c) => c !== 200),
      [],
    );
    assert.ok(!state().instances.some((i) => i.release === "v1"), "the old instances are stopped");
    assert.deepEqual(
      state().jobs?.map((j) => [j.name, j.release]),
      [
        ["fail", "v2"],
        ["stamp", "v2"],
      ],
      "the schedules switched with the proxy",
    );
  });

  // From here on the built files in the app directory do not change: a no-op build keeps the tests short.
  it("(faster builds for the remaining deploys)", () => {
    setSpec((s) =>
      s
        .replace(/build_command: npm run build:\w+/g, "build_command: node --version")
        .replace("build: node build.mjs", "build: node --version"),
    );
    assert.ok(!readFileSync(join(app, "gantry.yaml"), "utf8").includes("build_command: npm"));
  });

  it("deploy: a release that never becomes ready is stopped and the old one keeps serving", async () => {
    setSpec((s) =>
      apiEnv("3-unready")(s).replace(
        "health: { liveness: /health, readiness: /ready }",
        "health: { liveness: /health, readiness: /never-ready, startup_timeout: 10s }",
      ),
    );
    const poll = poller();
    const d = await gantry(["deploy"], { timeoutMs: 300_000 });
    const codes = await poll.stop();
    assert.equal(d.code, 1);
    assert.match(
      d.stderr,
      /error: instance api-v3-\d was not ready within 10s \(GET \/never-ready answered 404\); v2 keeps serving/,
    );
    assert.match(d.stderr, /--- last log lines ---/);
    assert.deepEqual(
      codes.filter((c) => c !== 200),
      [],
    );
    assert.equal(await version(), "2");
    const releases = await gantry(["releases"]);
    assert.match(releases.stdout, /v2 \*\s+active/);
    assert.match(releases.stdout, /v3\s+failed .*was not ready within 10s/);
  });

  it("deploy: a release that crashes at start is stopped, with its last log lines", async () => {
    setSpec((s) =>
      s
        .replace("readiness: /never-ready, startup_timeout: 10s", "readiness: /ready")
        .replace("command: node api/dist/server.js", "command: node api/dist/missing.js"),
    );
    const d = await gantry(["deploy"], { timeoutMs: 300_000 });
    assert.equal(d.code, 1);
    assert.match(
      d.stderr,
      /error: instance api-v4-\d exited with code 1 before it was ready; v2 keeps serving/,
    );
    assert.match(d.stderr, /Cannot find module/);
    assert.equal(await version(), "2");
    setSpec((s) => s.replace("command: node api/dist/missing.js", "command: node api/dist/server.js"));
  });

  it("deploy: a release that crashes right after the switch is switched back", async () => {
    setSpec((s) =>
      apiEnv("5-crashy")(s).replace("command: node api/dist/server.js", "command: node crashy.mjs"),
    );
    const poll = poller();
    const d = await gantry(["deploy"], { timeoutMs: 300_000 });
    await poll.stop();
    assert.equal(d.code, 1);
    assert.match(
      d.stderr,
      /error: instance api-v5-\d crashed right after the switch \(exited with code 3\); switched back; v2 keeps serving/,
    );
    assert.equal(await version(), "2");
    assert.ok(state().instances.every((i) => i.release === "v2"));
    setSpec((s) => s.replace("command: node crashy.mjs", "command: node api/dist/server.js"));
  });

  it("deploy: failing migrations stop the deploy before any instance starts", async () => {
    setSpec((s) =>
      apiEnv("6-migrations")(s).replace(
        "migrations: node api/dist/migrate.js",
        "migrations: node -e 'console.error(\"relation notes cannot add column\"); process.exit(4)'",
      ),
    );
    const d = await gantry(["deploy"], { timeoutMs: 300_000 });
    assert.equal(d.code, 1);
    assert.match(d.stderr, /error: migrations of api failed \(exit code 4\); v2 keeps serving/);
    assert.match(d.stderr, /--- last log lines ---\nrelation notes cannot add column\n/);
    assert.doesNotMatch(d.stderr, /starting \d+ instances/);
    assert.equal(await version(), "2");
    setSpec((s) =>
      s.replace(
        "migrations: node -e 'console.error(\"relation notes cannot add column\"); process.exit(4)'",
        "migrations: node api/dist/migrate.js",
      ),
    );
  });

  it("restarts an instance that was killed", async () => {
    const before = state().instances.find((i) => i.id === "api-v2-1")!;
    process.kill(before.pid!, "SIGKILL");
    const after = await waitFor("api-v2-1 to be restarted", () => {
      const i = state().instances.find((x) => x.id === "api-v2-1");
      return Promise.resolve(i && i.restarts >= 1 && i.ready && i.pid !== before.pid ? i : undefined);
    });
    assert.equal(after.status, "running");
    const status = await gantry(["status"]);
    assert.match(status.stdout, /api-v2-1\s+running\s+yes\s+\d+\s+\d+\s+\S+\s+1\s+killed by SIGKILL/);
    assert.equal(await version(), "2");
  });

  it("restarts an instance that stops answering its liveness checks", async () => {
    const before = state().instances.find((i) => i.id === "api-v2-2")!;
    // SIGSTOP: the process is alive but answers nothing, like a hung event loop.
    process.kill(before.pid!, "SIGSTOP");
    const log = join(app, ".gantry", "dev", "logs", "api.log");
    await waitFor("the liveness failures", () =>
      Promise.resolve(readFileSync(log, "utf8").includes("api-v2-2 failed 3 liveness checks") || undefined),
    );
    // The supervisor sent SIGTERM; a stopped process only receives it once continued.
    process.kill(before.pid!, "SIGCONT");
    const after = await waitFor("api-v2-2 to be restarted", () => {
      const i = state().instances.find((x) => x.id === "api-v2-2");
      return Promise.resolve(i && i.restarts >= 1 && i.ready && i.pid !== before.pid ? i : undefined);
    });
    assert.match(after.lastExit ?? "", /^restarted: failed 3 liveness checks \(GET \/health failed/);
    assert.equal(await version(), "2");
  });

  it("a Gantry killed with SIGKILL mid-deploy leaves the old release serving; the next command recovers", async () => {
    // A readiness path that never answers keeps the rollout before its switch, whatever the machine's speed.
    setSpec((s) => apiEnv("6-killed")(s).replace("readiness: /ready", "readiness: /never-ready"));
    const proc = await spawnProcess(process.execPath, ["--import", "tsx", CLI, "deploy"], {
      cwd: app,
      env: { ...process.env, NODE_TEST_CONTEXT: "" },
    });
    let err = "";
    proc.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    await waitFor(
      "the deploy to start its instances",
      () => Promise.resolve(/starting \d+ instances/.test(err) ? true : undefined),
      240_000,
    );
    proc.kill("SIGKILL");
    await proc.exited;
    // The supervisor abandons the rollout; the old release keeps answering throughout.
    await waitFor("the abandoned instances to be stopped", () =>
      Promise.resolve(state().instances.every((i) => i.release === "v2") ? true : undefined),
    );
    assert.equal(await version(), "2");
    setSpec((s) => apiEnv("7")(s).replace("readiness: /never-ready", "readiness: /ready"));
    const d = await gantry(["deploy"], { timeoutMs: 300_000 });
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stderr, /note: took over a stale lock left by `gantry deploy`/);
    assert.equal(await version(), "7");
    const releases = await gantry(["releases"]);
    assert.match(releases.stdout, /v7\s+failed .*interrupted/);
    assert.match(releases.stdout, /v8 \*\s+active/);
  });

  it("rollback: deploys the previous release again through the same path", async () => {
    const poll = poller();
    const r = await gantry(["rollback"], { timeoutMs: 300_000 });
    const codes = await poll.stop();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /rolled back to v2: v2 is serving/);
    assert.equal(await version(), "2");
    assert.deepEqual(
      codes.filter((c) => c !== 200),
      [],
    );
    const again = await gantry(["rollback", "v8"], { timeoutMs: 300_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(await version(), "7");
  });

  it("deploy: a Redis and a topic added to the spec are running before the new instances start", async () => {
    // "accounts" sorts before "cache", which holds the topics: they must stay there (see the next test).
    assert.equal(state().redis.accounts, undefined);
    setSpec((s) =>
      apiEnv("9-more")(s)
        .replace("uses: [db, cache, note-events]", "uses: [db, cache, accounts, note-events, audit-events]")
        .replace("redis:\n", "redis:\n  accounts: { persistence: none }\n")
        .replace("topics:\n", "topics:\n  audit-events: { partitions: 1 }\n"),
    );
    const d = await gantry(["deploy"], { timeoutMs: 300_000 });
    assert.equal(d.code, 0, d.stderr);
    assert.equal(await version(), "9-more");
    const sessions = state().redis.accounts;
    assert.ok(sessions?.port, "redis accounts is in the state");
    // It runs, and wants the environment's password: another account on the machine cannot get in.
    const pong = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(sessions.port, "127.0.0.1", () => sock.write("PING\r\n"));
      sock.once("data", (d: Buffer) => {
        resolve(d.toString());
        sock.destroy();
      });
      sock.once("error", reject);
    });
    assert.match(pong, /^-NOAUTH /);
    const published = await fetch(`http://127.0.0.1:${state().daprPort}/v1.0/publish/pubsub/audit-events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(published.status, 204);
  });

  it("never writes the secret's value in clear: not in state, releases, data, logs or output", () => {
    const echoLog = readFileSync(join(app, ".gantry", "dev", "logs", "echo.log"), "utf8");
    assert.match(echoLog, /token=\[redacted:HELLO_TOKEN\]/);
    for (const f of allFiles(join(app, ".gantry")))
      assert.ok(!readFileSync(f).includes(SECRET), `${f} contains the secret`);
    for (const o of outputs) assert.ok(!o.includes(SECRET));
  });

  it("down stops everything and keeps the data; up brings the notes back", async () => {
    const st = state();
    const down = await gantry(["down"], { timeoutMs: 120_000 });
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /dev: stopped; data kept/);
    for (const pid of [st.pid, st.postgres!.pid, ...st.instances.map((i) => i.pid!)]) {
      assert.ok(!pidAlive(pid), `pid ${pid} is still running`);
    }
    const status = await gantry(["status"]);
    assert.match(status.stdout, /dev: not running/);
    const up = await gantry(["up"], { timeoutMs: 300_000 });
    assert.equal(up.code, 0, up.stderr);
    const list = (await (await fetch(`${proxy()}/api/notes`)).json()) as { notes: { text: string }[] };
    assert.ok(list.notes.some((n) => n.text === "from the e2e test"));
    // The topics stay on the Redis that held them, though "accounts" now sorts first: a new note's
    // event reaches the worker.
    assert.equal(state().topicsRedis, "cache");
    const created = await fetch(`${proxy()}/api/notes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "after the restart" }),
    });
    assert.equal(created.status, 201);
    const note = (await created.json()) as { id: number };
    const workerLog = join(app, ".gantry", "dev", "logs", "worker.log");
    await waitFor("the worker to process the new note's event", () =>
      Promise.resolve(
        readFileSync(workerLog, "utf8")
          .split("\n")
          .some((l) => l.includes('"msg":"event processed"') && l.includes(`"noteId":${note.id}`))
          ? true
          : undefined,
      ),
    );
  });

  it("after the supervisor itself is killed, the next `up` stops its leftovers and serves again", async () => {
    const st = state();
    process.kill(st.pid, "SIGKILL");
    await waitFor("the supervisor to be gone", () => Promise.resolve(!pidAlive(st.pid) || undefined));
    const status = await gantry(["status"]);
    assert.match(status.stdout, /dev: not running \(last release v\d+\)/);
    const up = await gantry(["up"], { timeoutMs: 300_000 });
    assert.equal(up.code, 0, up.stderr);
    assert.match(
      readFileSync(join(app, ".gantry", "dev", "logs", "supervisor.log"), "utf8"),
      /stopping leftover process \d+ \(.*postgres/,
    );
    for (const pid of [st.postgres!.pid, ...st.instances.map((i) => i.pid!)]) {
      assert.ok(!pidAlive(pid), `leftover pid ${pid} is still running`);
    }
    const list = (await (await fetch(`${proxy()}/api/notes`)).json()) as { notes: { text: string }[] };
    assert.ok(list.notes.some((n) => n.text === "from the e2e test"));
  });

  /** `gantry up --attach` as its own process: its output so far, and how it ends. */
  async function attached(): Promise<{
    out: () => string;
    kill: (s: NodeJS.Signals) => void;
    exit: () => Promise<unknown>;
  }> {
    const p = await spawnProcess(process.execPath, ["--import", "tsx", CLI, "up", "--attach"], {
      cwd: app,
      env: { ...process.env, NODE_TEST_CONTEXT: "" },
    });
    let out = "";
    p.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    void p.exited.then(() => outputs.push(out));
    after(() => p.kill("SIGKILL"));
    await waitFor(
      "the app to be attached",
      () => Promise.resolve(/attached: streaming logs/.test(out) || undefined),
      300_000,
    );
    return {
      out: () => out,
      kill: (signal) => p.kill(signal),
      exit: async () => {
        let timer: NodeJS.Timeout | undefined;
        return Promise.race([
          p.exited,
          new Promise((r) => (timer = setTimeout(r, 120_000, "timed out"))),
        ]).finally(() => clearTimeout(timer));
      },
    };
  }

  it("up --attach streams the logs in the foreground; Ctrl-C stops the app and keeps the data", async () => {
    assert.equal((await gantry(["down"], { timeoutMs: 120_000 })).code, 0);
    const a = await attached();
    // A request through the proxy shows up in the stream, as the api's own log line.
    const res = await fetch(`${proxy()}/api/version?attached=1`);
    assert.equal(res.status, 200);
    await waitFor("the request's log line", () =>
      Promise.resolve(/api[^\n]*"msg":"request"[^\n]*"path":"\/api\/version"/.test(a.out()) || undefined),
    );
    const pid = state().pid;
    a.kill("SIGINT");
    assert.deepEqual(await a.exit(), { code: 0, signal: null }, a.out());
    assert.ok(!pidAlive(pid), "the supervisor is still running");
    assert.match((await gantry(["status"])).stdout, /dev: not running/);
  });

  it("up --attach ends with the supervisor: 0 after `gantry down`, 1 when it was killed", async () => {
    const stopped = await attached();
    assert.equal((await gantry(["down"], { timeoutMs: 120_000 })).code, 0);
    assert.deepEqual(await stopped.exit(), { code: 0, signal: null }, stopped.out());
    assert.match(stopped.out(), /the app was stopped/);

    const killed = await attached();
    const st = state();
    process.kill(st.pid, "SIGKILL");
    assert.deepEqual(await killed.exit(), { code: 1, signal: null }, killed.out());
    assert.match(killed.out(), /error: the supervisor \(pid \d+\) ended without stopping the app/);
    assert.match(killed.out(), /hint: its log is .*supervisor\.log; `gantry up` starts the app again/);
    // `down` without a supervisor stops what it left running.
    const down = await gantry(["down"], { timeoutMs: 120_000 });
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout + down.stderr, /stopping leftover process \d+ \(.*postgres/);
    for (const pid of [
      st.postgres!.pid,
      ...Object.values(st.redis).map((r) => r.pid),
      ...st.instances.map((i) => i.pid!),
    ])
      assert.ok(!pidAlive(pid), `leftover pid ${pid} is still running`);
    // The data outlives all of it.
    const up = await gantry(["up"], { timeoutMs: 300_000 });
    assert.equal(up.code, 0, up.stderr);
    const list = (await (await fetch(`${proxy()}/api/notes`)).json()) as { notes: { text: string }[] };
    assert.ok(list.notes.some((n) => n.text === "from the e2e test"));
  });
});
