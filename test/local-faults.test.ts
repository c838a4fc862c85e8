// Faults that servers meet, with real processes: PostgreSQL or Redis killed with SIGKILL, a state.json
// damaged while the app runs, `up` after `down` or a crash. Each time the app keeps serving or comes
// back by itself, `status` tells the truth, and no command stops what it did not start.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pidAlive } from "../src/engine/local/fsutil.js";
import { findOnPath } from "../src/engine/local/infra.js";
import { envPaths } from "../src/engine/local/paths.js";
import { postgresOutside } from "../src/engine/local/postgres-location.js";
import type { SupervisorState } from "../src/engine/local/state.js";
import { REPO_ROOT, runCli, tempDir } from "./helpers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hasData = findOnPath("redis-server", process.env.PATH) && findOnPath("initdb", process.env.PATH);

/**
 * An app with PostgreSQL and Redis whose /ready answers 200 only while both accept connections, and
 * whose / answers the text of version.txt, read when it starts.
 */
export function dataApp(version = "one", extra = "") {
  return tempDir({
    "gantry.yaml": `name: faults
services:
  web:
    build: .
    command: node server.js
    port: 8080
    health: { readiness: /ready, startup_timeout: 5s }
    uses: [db, cache]
postgres:
  db: { databases: [faults] }
redis:
  cache: {}
${extra}`,
    "version.txt": version,
    "server.js": `const http = require("http"), net = require("net"), fs = require("fs");
const version = fs.readFileSync("version.txt", "utf8").trim();
const port = (u) => Number(new URL(u).port);
const reach = (p) => new Promise((ok) => {
  const s = net.connect(p, "127.0.0.1", () => { s.destroy(); ok(true); });
  s.on("error", () => ok(false));
});
http.createServer(async (q, s) => {
  if (q.url === "/ready") {
    const up = (await reach(port(process.env.DATABASE_URL))) && (await reach(port(process.env.REDIS_URL)));
    s.statusCode = up ? 200 : 503;
    return s.end(up ? "ok" : "down");
  }
  s.end(version);
}).listen(process.env.PORT, "127.0.0.1");
`,
  });
}

export async function statusJson(dir: string): Promise<SupervisorState & { running: boolean }> {
  const r = await runCli(["status", dir, "--json"]);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as SupervisorState & { running: boolean };
}

export async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${ms / 1000}s waiting until ${what}`);
    await sleep(200);
  }
}

const urlOf = (out: string) => /http:\/\/127\.0\.0\.1:\d+\//.exec(out)![0];
const get = async (url: string) => {
  const r = await fetch(url);
  return `${r.status} ${await r.text()}`;
};

async function up(dir: string): Promise<string> {
  const r = await runCli(["up", dir]);
  assert.equal(r.code, 0, r.err);
  return urlOf(r.out);
}

async function destroy(dir: string): Promise<void> {
  const d = await runCli(["destroy", dir, "--yes"]);
  assert.equal(d.code, 0, d.err);
}

describe(
  "PostgreSQL and Redis killed with SIGKILL",
  { skip: hasData ? false : "needs PostgreSQL and Redis" },
  () => {
    it("are started again by the supervisor, logged, counted by status, and the app serves again", async () => {
      const { dir, cleanup } = dataApp();
      try {
        const url = await up(dir);
        assert.equal(await get(url), "200 one");
        // Run as root in a folder the postgres user cannot pass through (mkdtemp makes it 0700), the
        // cluster is made where that user can reach it, and \`destroy\` deletes it there too.
        const outside = postgresOutside(envPaths(dir, "production"));
        if (process.getuid?.() === 0) assert.match(outside ?? "", /^\/var\/lib\/gantry\/[0-9a-f]{16}\/data$/);
        const before = await statusJson(dir);
        for (const which of ["redis", "postgres"] as const) {
          const old = which === "redis" ? before.redis.cache! : before.postgres!;
          process.kill(old.pid, "SIGKILL");
          const now = await until(`${which} runs again`, async () => {
            const st = await statusJson(dir);
            const rec = which === "redis" ? st.redis.cache! : st.postgres!;
            return rec.pid !== old.pid && pidAlive(rec.pid) && !rec.down ? rec : undefined;
          });
          assert.equal(now.port, old.port, "the same port: the app's URLs still hold");
          assert.equal(now.restarts, 1);
          assert.equal(now.lastExit, "killed by SIGKILL");
          await until("the app is ready again", async () =>
            (await get(url)) === "200 one" ? true : undefined,
          );
        }
        const table = (await runCli(["status", dir])).out;
        assert.match(table, /\npostgres +postgres \d+ +running +- +\d+ +\d+ +\S+ +1 +killed by SIGKILL\n/);
        assert.match(table, /\nredis +cache +running +- +\d+ +\d+ +\S+ +1 +killed by SIGKILL\n/);
        const log = readFileSync(envPaths(dir, "production").supervisorLog, "utf8");
        assert.match(log, /Redis cache killed by SIGKILL; starting it again \(see logs\/redis-cache\.log\)/);
        assert.match(log, /Redis cache started again \(restart 1\)/);
        assert.match(log, /PostgreSQL killed by SIGKILL; starting it again \(see logs\/postgres\.log\)/);
        assert.match(log, /PostgreSQL started again \(restart 1\)/);
        await destroy(dir);
        if (outside) assert.equal(existsSync(join(outside, "..")), false);
      } finally {
        await destroy(dir);
        cleanup();
      }
    });

    it("that cannot be started again fail the supervisor, so `up --attach` exits 1 for systemd to restart it", async () => {
      const { dir, cleanup } = dataApp();
      try {
        await up(dir);
        const attached = runCli(["up", dir, "--attach"]);
        const st = await statusJson(dir);
        // Its data directory is replaced by a file, which no start gets past.
        const data = join(envPaths(dir, "production").redis, "cache");
        renameSync(data, `${data}.moved`);
        writeFileSync(data, "");
        process.kill(st.redis.cache!.pid, "SIGKILL");
        // A deploy meanwhile fails (its instance's /ready answers 503), and says why: not a missing route.
        const deploy = await runCli(["deploy", dir]);
        assert.equal(deploy.code, 1, deploy.err);
        assert.match(
          deploy.err,
          /error: instance web-v2-1 was not ready within 5s \(GET \/ready answered 503\), while Redis cache was down; v1 keeps serving\n {2}hint: the supervisor is starting Redis cache again/,
        );
        assert.doesNotMatch(deploy.err, /add that route/);
        const r = await Promise.race([
          attached,
          sleep(90_000).then(() => assert.fail("`up --attach` still runs after 90s")),
        ]);
        assert.equal(r.code, 1, r.err);
        assert.match(
          r.err,
          /error: the supervisor failed: Redis cache exited and could not be started again \([^)]*(ENOTDIR|EEXIST)[^)]*\); see logs\/redis-cache\.log; the app is not running\n/,
        );
        // Everything it ran is stopped: systemd starts the app again from nothing.
        assert.equal(pidAlive(st.pid), false);
        assert.equal(pidAlive(st.postgres!.pid), false);
        assert.equal(pidAlive(st.instances[0]!.pid), false);
      } finally {
        await destroy(dir);
        cleanup();
      }
    });
  },
);

describe(
  "a damaged state.json while the app runs",
  { skip: hasData ? false : "needs PostgreSQL and Redis" },
  () => {
    for (const damage of ["", '{ "pid": 1, garbage']) {
      it(`(${JSON.stringify(damage)}): status and deploy find the supervisor, and down stops it all`, async () => {
        const { dir, cleanup } = dataApp();
        try {
          const url = await up(dir);
          const st = await statusJson(dir);
          const paths = envPaths(dir, "production");
          writeFileSync(paths.state, damage);
          const status = await runCli(["status", dir]);
          assert.match(status.out, /^production: running release v1;/, status.out);
          const deploy = await runCli(["deploy", dir]);
          assert.equal(deploy.code, 0, deploy.err);
          assert.match(deploy.out, /^deployed v2/);
          assert.equal(await get(url), "200 one");
          writeFileSync(paths.state, damage);
          const down = await runCli(["down", dir]);
          assert.equal(down.code, 0, down.err);
          assert.match(down.out, /^production: stopped;/);
          for (const pid of [st.pid, st.postgres!.pid, st.redis.cache!.pid])
            await until(`pid ${pid} has stopped`, () => (pidAlive(pid) ? undefined : true), 10_000);
        } finally {
          await destroy(dir);
          cleanup();
        }
      });
    }
  },
);

/** An app without data services whose / answers the text of version.txt, read when it starts. */
function plainApp(version: string) {
  return tempDir({
    "gantry.yaml": `name: plain\nservices:\n  web:\n    build: .\n    command: node server.js\n    port: 8080\n    health: { readiness: /, startup_timeout: 5s }\n`,
    "version.txt": version,
    "server.js": `const v = require("fs").readFileSync("version.txt", "utf8").trim();
require("http").createServer((q, s) => s.end(v)).listen(process.env.PORT, "127.0.0.1");
`,
  });
}

describe("`up` after `down` or a crash", () => {
  it("resumes the release that served, not the working tree, which `deploy` builds", async () => {
    const { dir, cleanup } = plainApp("one");
    try {
      await up(dir);
      writeFileSync(join(dir, "version.txt"), "two (bad)");
      assert.equal((await runCli(["deploy", dir])).code, 0);
      const back = await runCli(["rollback", dir]);
      assert.equal(back.code, 0, back.err);
      assert.equal((await runCli(["down", dir])).code, 0);
      const again = await runCli(["up", dir]);
      assert.equal(again.code, 0, again.err);
      assert.match(
        again.err,
        /resuming v1, which served before; `gantry deploy` rolls out the working tree\n/,
      );
      assert.match(again.out, /^plain \(production\) is up with v1: /);
      assert.equal(await get(urlOf(again.out)), "200 one");
      // Killed, the supervisor leaves its instance behind; `up` stops it and resumes v1 again.
      const st = await statusJson(dir);
      process.kill(st.pid, "SIGKILL");
      await until("the supervisor has died", () => (pidAlive(st.pid) ? undefined : true));
      const crashed = await runCli(["up", dir]);
      assert.equal(crashed.code, 0, crashed.err);
      assert.equal(await get(urlOf(crashed.out)), "200 one");
      const releases = (await runCli(["releases", dir])).out;
      assert.doesNotMatch(releases, /\nv3 /, "nothing was built");
      assert.match(releases, /\nv1 \* +active /);
    } finally {
      await destroy(dir);
      cleanup();
    }
  });
});

describe("a `gantry deploy` killed with SIGKILL during its build", () => {
  it("takes its build with it, and `releases` marks the release failed, not building forever", async () => {
    const { dir, cleanup } = plainApp("one");
    const build = `node -e "require('fs').writeFileSync('build.pid', String(process.pid)); setTimeout(() => {}, 120000)"`;
    try {
      await up(dir);
      const spec = readFileSync(join(dir, "gantry.yaml"), "utf8");
      writeFileSync(
        join(dir, "gantry.yaml"),
        spec.replace("    build: .\n", `    build: .\n    build_command: ${build}\n`),
      );
      const cli = spawn(
        process.execPath,
        ["--import", "tsx", join(REPO_ROOT, "test/e2e/cli.ts"), "deploy", dir],
        {
          cwd: REPO_ROOT,
          stdio: "ignore",
        },
      );
      const pidFile = join(dir, "build.pid");
      const buildPid = await until("the build runs", () =>
        existsSync(pidFile) && readFileSync(pidFile, "utf8")
          ? Number(readFileSync(pidFile, "utf8"))
          : undefined,
      );
      cli.kill("SIGKILL");
      await until("the build is stopped", () => (pidAlive(buildPid) ? undefined : true), 5000);
      const releases = await runCli(["releases", dir]);
      assert.match(releases.err, /note: marked interrupted release v2 as failed\n/);
      assert.match(releases.out, /\nv2 +failed +\S+ +- +interrupted while building\n/);
    } finally {
      await destroy(dir);
      cleanup();
    }
  });
});

describe("a damaged release.json", () => {
  it("is named by `releases`, not hidden", async () => {
    const { dir, cleanup } = plainApp("one");
    try {
      await up(dir);
      assert.equal((await runCli(["deploy", dir])).code, 0);
      writeFileSync(join(envPaths(dir, "production").releases, "v1", "release.json"), '{"id": "v1", "sta');
      const r = await runCli(["releases", dir]);
      assert.equal(r.code, 0, r.err);
      assert.match(
        r.out,
        /\nv1 +unreadable +- +- +\.gantry\/production\/releases\/v1\/release\.json is missing or damaged\nv2 \* +active /,
      );
    } finally {
      await destroy(dir);
      cleanup();
    }
  });
});
