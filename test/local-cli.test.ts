// The local runtime's commands when nothing runs: their messages, word for word, without processes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { Readable } from "node:stream";
import { REPO_ROOT, runCli, tempDir, examplePath, loadExample } from "./helpers.js";
import { requestJobRun, requestRollout } from "../src/engine/local/client.js";
import { checkBinaries } from "../src/engine/local/launch.js";
import { choosePostgres, postgresInstalls } from "../src/engine/local/postgres.js";
import { planDeploy } from "../src/engine/local/plan.js";
import {
  ROUTES,
  serveControl,
  type ControlHandlers,
  type RolloutEvent,
} from "../src/engine/local/protocol.js";
import { UserError } from "../src/errors.js";
import { formatJobs, runFailure } from "../src/cli/local-jobs.js";
import { reportError } from "../src/cli/main.js";
import type { JobInfo } from "../src/engine/local/scheduler.js";
import { envPaths, releaseDir, type EnvPaths } from "../src/engine/local/paths.js";
import {
  cannotRollBackTo,
  listReleases,
  pruneReleases,
  readRelease,
  writeRelease,
  type ReleaseRecord,
} from "../src/engine/local/release.js";
import type { SupervisorState } from "../src/engine/local/state.js";

function app(): { dir: string; cleanup: () => void } {
  return tempDir({ "gantry.yaml": readFileSync(examplePath("hello"), "utf8") });
}

describe("local commands without a running app", () => {
  it("status says it is not running", async () => {
    const { dir, cleanup } = app();
    try {
      const r = await runCli(["status", dir]);
      assert.equal(r.code, 0);
      assert.equal(r.out, "dev: not running; `gantry up` starts it\n");
    } finally {
      cleanup();
    }
  });

  it("an --env the spec does not have is refused, unless its data is still on disk", async () => {
    const { dir, cleanup } = app();
    try {
      for (const args of [["status"], ["down"], ["logs"], ["releases"], ["secrets", "list"]]) {
        const r = await runCli([...args, dir, "--env", "prod"]);
        assert.equal(r.code, 1, `${args.join(" ")}: ${r.out}`);
        assert.equal(
          r.err,
          `error: ${join(dir, "gantry.yaml")} has no environment \`prod\`\n  hint: environments: dev, production\n`,
        );
      }
      assert.equal(existsSync(join(dir, ".gantry")), false, "nothing was made for it");
      // An environment dropped from the spec whose data is still there can still be looked at and stopped.
      mkdirSync(join(dir, ".gantry", "staging"), { recursive: true });
      const r = await runCli(["status", dir, "--env", "staging"]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, "staging: not running; `gantry up` starts it\n");
    } finally {
      cleanup();
    }
  });

  it("logs -n prints that many lines, none for 0, and refuses what is not a count", async () => {
    const { dir, cleanup } = app();
    try {
      const logs = join(dir, ".gantry", "dev", "logs");
      mkdirSync(logs, { recursive: true });
      const line = (i: number) => `2026-11-22T10:00:0${i}.000Z api-v1-1 | line ${i}\n`;
      writeFileSync(join(logs, "api.log"), [1, 2, 3, 4].map(line).join(""));
      assert.deepEqual(await runCli(["logs", "api", dir, "-n", "2"]), {
        code: 0,
        out: line(3) + line(4),
        err: "",
      });
      assert.deepEqual(await runCli(["logs", "api", dir, "-n", "0"]), { code: 0, out: "", err: "" });
      assert.deepEqual(await runCli(["logs", dir, "-n", "0"]), { code: 0, out: "", err: "" });
      for (const bad of ["-3", "abc", "1.5"]) {
        const r = await runCli(["logs", "api", dir, "-n", bad]);
        assert.equal(r.code, 1, bad);
        assert.equal(r.out, "");
        assert.match(
          r.err,
          new RegExp(`^error: -n must be a number of lines, not "${bad.replace(".", "\\.")}"\n`),
        );
      }
    } finally {
      cleanup();
    }
  });

  it("from a sub-directory of the app, without a path, use the app's spec", async () => {
    const { dir, cleanup } = app();
    try {
      const sub = join(dir, "api", "src");
      mkdirSync(sub, { recursive: true });
      assert.deepEqual(await runCli(["status"], sub), {
        code: 0,
        out: "dev: not running; `gantry up` starts it\n",
        err: "",
      });
      // A directory given by name must hold the spec itself; the hint names the one above.
      const named = await runCli(["status", "src"], join(dir, "api"));
      assert.equal(named.code, 1);
      assert.equal(
        named.err,
        "error: no gantry.yaml in src\n  hint: the app's spec is ../gantry.yaml: pass that path, or run the command in its directory\n",
      );
    } finally {
      cleanup();
    }
  });

  it("with a spec that does not load and several environments on disk, asks for --env", async () => {
    const { dir, cleanup } = tempDir({ "gantry.yaml": "name: [broken\n" });
    try {
      for (const env of ["dev", "production"]) mkdirSync(join(dir, ".gantry", env), { recursive: true });
      assert.deepEqual(await runCli(["status", dir]), {
        code: 1,
        out: "",
        err:
          `error: ${join(dir, "gantry.yaml")} does not load (\`gantry validate\` shows why), so the environment to use is unknown\n` +
          "  hint: pass --env with one of those in .gantry/: dev, production\n",
      });
      const r = await runCli(["status", dir, "--env", "production"]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, "production: not running; `gantry up` starts it\n");
    } finally {
      cleanup();
    }
  });

  it("logs prints the last lines of a log bigger than a string can hold (weeks of health checks)", async () => {
    const { dir, cleanup } = app();
    try {
      const logs = join(dir, ".gantry", "dev", "logs");
      mkdirSync(logs, { recursive: true });
      const log = join(logs, "api.log");
      // 520 MiB, sparse: no disk used, and only its end is read.
      writeFileSync(log, "");
      truncateSync(log, 520 * 1024 * 1024);
      const line = (i: number) => `2026-11-22T10:00:0${i}.000Z api-v1-1 | line ${i}\n`;
      appendFileSync(log, `\n${[1, 2, 3].map(line).join("")}`);
      assert.deepEqual(await runCli(["logs", "api", dir, "-n", "2"]), {
        code: 0,
        out: line(2) + line(3),
        err: "",
      });
    } finally {
      cleanup();
    }
  });

  it("logs merges every service's lines by time, whatever the length of their names", async () => {
    const { dir, cleanup } = app();
    try {
      const logs = join(dir, ".gantry", "dev", "logs");
      mkdirSync(logs, { recursive: true });
      const at = (s: number, who: string, text: string) => `2026-11-22T10:00:0${s}.000Z ${who} | ${text}\n`;
      writeFileSync(join(logs, "api.log"), at(1, "api-v1-1", "one") + at(3, "api-v1-1", "three"));
      writeFileSync(join(logs, "notifications.log"), at(2, "notifications-v1-1", "two"));
      const r = await runCli(["logs", dir]);
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(
        r.out.split("\n").map((l) => l.split(" | ")[1]),
        ["one", "two", "three", undefined],
      );
    } finally {
      cleanup();
    }
  });

  it("down of an app never started here says so and leaves no .gantry/ behind", async () => {
    const { dir, cleanup } = app();
    try {
      assert.deepEqual(await runCli(["down", dir]), { code: 0, out: "dev: not running\n", err: "" });
      assert.equal(existsSync(join(dir, ".gantry")), false);
    } finally {
      cleanup();
    }
  });

  it("deploy and rollback ask for `gantry up` first", async () => {
    const { dir, cleanup } = app();
    try {
      const d = await runCli(["deploy", dir]);
      assert.equal(d.code, 1);
      assert.equal(d.err, "error: hello (dev) is not running\n  hint: start it with `gantry up`\n");
      const r = await runCli(["rollback", dir]);
      assert.equal(r.code, 1);
      assert.equal(r.err, "error: the app is not running\n  hint: start it with `gantry up`\n");
    } finally {
      cleanup();
    }
  });

  it("deploy --plan prints the plan of a first rollout and does nothing", async () => {
    const { dir, cleanup } = app();
    try {
      const r = await runCli(["deploy", dir, "--plan", "--env", "production"]);
      assert.equal(r.code, 0, r.err);
      assert.equal(
        r.out,
        [
          "deploy v1",
          "  sources   api: ., web: ./web, worker: . (each directory exists)",
          "  build     api: npm run build:api  (in .)",
          "  build     web: node build.mjs  (in web)",
          "  build     worker: npm run build:worker  (in .)",
          "  release   copy the built app into .gantry/<env>/releases/v1/ (once web/dist exists)",
          "  provision PostgreSQL 16, Redis cache (aof), topics note-events: started unless running",
          "  databases hello (owned by the role apps connect as)",
          "  migrate   api: node api/dist/migrate.js",
          "  start     api: 2 × node api/dist/server.js on fresh ports",
          "  start     worker: 1 × node worker/dist/worker.js on fresh ports",
          "  wait      api: GET /ready answers 2xx (at most 60s)",
          "  wait      worker: GET /health answers 2xx (at most 60s)",
          "  switch    the proxy, topic deliveries and job schedules to v1, then watch 1000 ms for crashes",
          "  switch    web: static files from web/dist at / (SPA fallback)",
          "  switch    note-events: delivered to worker at POST /events/note-events",
          "  record    v1 serving",
          "  prune     the copies of the app of releases older than the newest 10, unless in use",
          "",
        ].join("\n"),
      );
      const json = await runCli(["deploy", dir, "--plan", "--json", "--env", "production"]);
      assert.equal(json.code, 0, json.err);
      const model = loadExample("hello", "production").project.environments[0]!;
      assert.deepEqual(
        JSON.parse(json.out),
        planDeploy({ model, release: "v1", kind: "deploy", current: { instances: [] }, crashWatchMs: 1000 }),
      );
      assert.equal(existsSync(join(dir, ".gantry")), false, "nothing was written");
      const alone = await runCli(["deploy", dir, "--json"]);
      assert.equal(alone.code, 1);
      assert.equal(alone.err, "error: --json goes with --plan\n  hint: `gantry deploy --plan --json`\n");
    } finally {
      cleanup();
    }
  });

  it("run asks for `gantry up` first, and is in the help", async () => {
    const { dir, cleanup } = app();
    try {
      const r = await runCli(["run", "cleanup", dir]);
      assert.equal(r.code, 1);
      assert.equal(
        r.err,
        "error: the app is not running\n  hint: start it with `gantry up`, then `gantry run cleanup`\n",
      );
      const help = await runCli(["--help"]);
      assert.match(help.out, /\n {2}run \[options\] <job> \[path\]\s+Run a scheduled job now in the/);
    } finally {
      cleanup();
    }
  });

  it("releases, secrets list and logs have nothing to show yet", async () => {
    const { dir, cleanup } = app();
    try {
      assert.equal((await runCli(["releases", dir])).out, "no releases yet; `gantry up` makes the first\n");
      assert.equal((await runCli(["secrets", "list", dir])).out, "no secrets set for dev\n");
      const logs = await runCli(["logs", "api", dir]);
      assert.equal(logs.code, 1);
      assert.equal(logs.err, "error: no logs for api\n  hint: logs exist for: nothing yet\n");
    } finally {
      cleanup();
    }
  });

  it("logs merges the services (not Gantry's own logs) by time, keeping the order of lines that share one", async () => {
    const { dir, cleanup } = app();
    try {
      const logs = envPaths(dir, "dev").logs;
      mkdirSync(logs, { recursive: true });
      // `npm start` prints its banner in one read: the lines share a time and must stay in order.
      writeFileSync(
        join(logs, "api.log"),
        "2026-11-22T10:00:00.100Z api-v1-1 | > api@1.0.0 start\n" +
          "2026-11-22T10:00:00.100Z api-v1-1 | > node server.js\n" +
          "2026-11-22T10:00:00.300Z api-v1-1 | listening\n",
      );
      writeFileSync(join(logs, "notifications.log"), "2026-11-22T10:00:00.200Z notifications-v1-1 | up\n");
      // Gantry's own logs stay out; a service whose name starts like one (a job redis-cleanup) is in.
      writeFileSync(join(logs, "redis-cache.log"), "2026-11-22T10:00:00.250Z redis | ready\n");
      writeFileSync(join(logs, "redis-cleanup.log"), "2026-11-22T10:00:00.260Z redis-cleanup-1 | 3 keys\n");
      writeFileSync(
        envPaths(dir, "dev").model,
        JSON.stringify({ services: { api: {}, notifications: {}, "redis-cleanup": {} } }),
      );
      const r = await runCli(["logs", dir]);
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(
        r.out.split("\n").map((l) => l.replace(/ \S+-v1-1 \| /, " | ")),
        [
          "api        2026-11-22T10:00:00.100Z | > api@1.0.0 start",
          "api        2026-11-22T10:00:00.100Z | > node server.js",
          "notifications 2026-11-22T10:00:00.200Z | up",
          "redis-cleanup 2026-11-22T10:00:00.260Z redis-cleanup-1 | 3 keys",
          "api        2026-11-22T10:00:00.300Z | listening",
          "",
        ],
      );
    } finally {
      cleanup();
    }
  });

  it("rejects bad secret names and a removal of what is not there", async () => {
    const { dir, cleanup } = app();
    try {
      const bad = await runCli(["secrets", "set", "my-key", dir]);
      assert.equal(bad.code, 1);
      assert.equal(
        bad.err,
        'error: invalid secret name "my-key"\n  hint: use upper-case letters, digits and underscores, starting with a letter, as in a spec\'s `secrets:` (STRIPE_API_KEY)\n',
      );
      // A name the old rule allowed can still be removed; Gantry's own entries (the database password)
      // cannot be set or removed by hand.
      assert.equal(
        (await runCli(["secrets", "rm", "lower_case", dir])).err,
        "error: no secret lower_case in dev\n",
      );
      for (const cmd of ["set", "rm"]) {
        const internal = await runCli(["secrets", cmd, "__gantry_postgres_password", dir]);
        assert.equal(internal.code, 1);
        assert.match(internal.err, /^error: invalid secret name "__gantry_postgres_password"/);
      }
      const rm = await runCli(["secrets", "rm", "NOPE", dir]);
      assert.equal(rm.err, "error: no secret NOPE in dev\n");
    } finally {
      cleanup();
    }
  });

  it("secrets set warns that a value shorter than 4 characters cannot be redacted", async () => {
    const { dir, cleanup } = app();
    const stdin = Object.getOwnPropertyDescriptor(process, "stdin")!;
    const withStdin = (text: string) =>
      Object.defineProperty(process, "stdin", {
        configurable: true,
        value: Readable.from([Buffer.from(text)]),
      });
    try {
      withStdin("abc\n");
      const short = await runCli(["secrets", "set", "PIN", dir]);
      assert.equal(short.code, 0, short.err);
      assert.equal(short.out, "PIN set (version 1) for dev; `gantry deploy` rolls it out\n");
      assert.equal(
        short.err,
        "warning: the value of PIN is shorter than 4 characters, so it cannot be redacted from logs and errors\n",
      );
      withStdin("abcd");
      const long = await runCli(["secrets", "set", "PIN", dir]);
      assert.equal(long.out, "PIN set (version 2) for dev; `gantry deploy` rolls it out\n");
      assert.equal(long.err, "");
    } finally {
      Object.defineProperty(process, "stdin", stdin);
      cleanup();
    }
  });

  it("up checks --port before anything starts", async () => {
    const { dir, cleanup } = app();
    // Without redis-server on the PATH, nothing could start even if the port were not checked.
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      for (const bad of ["abc", "0", "65536", "80.5", "-1", ""]) {
        const r = await runCli(["up", dir, "--port", bad]);
        assert.equal(r.code, 1, r.err);
        assert.equal(
          r.err,
          `error: --port must be a port number from 1 to 65535, not ${JSON.stringify(bad)}\n` +
            "  hint: leave --port out to use the port of the last run, else a free one\n",
        );
      }
      // A valid port passes the check and gets as far as the missing server.
      const ok = await runCli(["up", dir, "--port", "8080"]);
      assert.match(ok.err, /^error: redis-server is not installed/);
    } finally {
      process.env.PATH = path;
      cleanup();
    }
  });

  it("destroy asks first, and without a terminal needs --yes", async () => {
    const { dir, cleanup } = app();
    try {
      const r = await runCli(["destroy", dir]);
      assert.equal(r.code, 1);
      assert.equal(
        r.err,
        "error: not confirmed; nothing deleted\n  hint: pass --yes to destroy without a prompt\n",
      );
      const y = await runCli(["destroy", dir, "--yes"]);
      assert.equal(y.code, 0, y.err);
      assert.equal(y.out, "dev: destroyed\n");
    } finally {
      cleanup();
    }
  });

  it("an app of another user: permission denied names the path and its owner, not an internal error", () => {
    const { dir, cleanup } = app();
    const env = join(dir, ".gantry", "dev");
    mkdirSync(env, { recursive: true });
    // As root, the directory is given to nobody; as anyone else, it stays theirs.
    const root = process.getuid?.() === 0;
    if (root) chownSync(env, 65534, 65534);
    const lockDraft = join(env, "lock.123.tmp");
    const denied = Object.assign(new Error(`EACCES: permission denied, open '${lockDraft}'`), {
      code: "EACCES",
      syscall: "open",
      path: lockDraft,
    });
    try {
      let err = "";
      const code = reportError(denied, { out: () => undefined, err: (s) => (err += s), cwd: dir });
      assert.equal(code, 1, err);
      assert.match(err, new RegExp(`^error: permission denied: cannot open ${lockDraft}\n {2}hint: `));
      if (root)
        assert.match(
          err,
          new RegExp(
            `hint: ${env} belongs to (nobody|uid 65534), and Gantry runs as root: run the command as`,
          ),
        );
    } finally {
      cleanup();
    }
  });

  it(
    "status of an app another user runs says permission denied, not that it is not running",
    {
      skip: process.getuid?.() !== 0 && "needs root, to run the command as another user",
    },
    async () => {
      const { dir, cleanup } = app();
      const paths = envPaths(dir, "dev");
      const sup = await fakeSupervisor(paths, "v1");
      try {
        chmodSync(dir, 0o755); // the app's files are readable by all, its control socket writable by root only
        const child = spawn(
          process.execPath,
          ["--import", "tsx", join(REPO_ROOT, "test", "e2e", "cli.ts"), "status", dir],
          {
            stdio: ["ignore", "pipe", "pipe"],
            uid: 65534,
            gid: 65534,
            env: { ...process.env, NODE_TEST_CONTEXT: "" },
          },
        );
        let out = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
        const [code] = (await once(child, "exit")) as [number | null];
        assert.match(out, new RegExp(`^error: permission denied: cannot connect to ${paths.socket}\n`));
        assert.equal(code, 1);
      } finally {
        await sup.close();
        cleanup();
      }
    },
  );

  it("names the missing server and how to install it", async () => {
    const model = loadExample("hello", "dev").project.environments[0]!;
    await assert.rejects(
      checkBinaries({ ...model, postgres: {} }, "/nonexistent", "/nonexistent"),
      (e: Error) => {
        assert.equal(e.message, "redis-server is not installed, and the spec needs it");
        assert.match((e as Error & { hint: string }).hint, /apt-get install -y postgresql redis-server/);
        return true;
      },
    );
  });
});

describe("which PostgreSQL runs the cluster", () => {
  /** Fake installations: `<root>/lib/<major>/bin` for each major, and one elsewhere that says its version. */
  function machine(majors: number[], other?: number): { root: string; path: string; cleanup: () => void } {
    const files: Record<string, string> = {};
    for (const m of majors) files[`lib/${m}/bin/initdb`] = files[`lib/${m}/bin/postgres`] = "";
    if (other) {
      files["opt/pg/bin/initdb"] = "";
      files["opt/pg/bin/postgres"] = `#!/bin/sh\necho "postgres (PostgreSQL) ${other}.2"\n`;
    }
    const { dir, cleanup } = tempDir(files);
    if (other) chmodSync(join(dir, "opt/pg/bin/postgres"), 0o755);
    return { root: dir, path: other ? join(dir, "opt/pg/bin") : "", cleanup };
  }

  it("lists each installation once, newest first, with its major version", async () => {
    const m = machine([15, 16], 14);
    try {
      const lib = join(m.root, "lib");
      assert.deepEqual(await postgresInstalls(m.path, lib), [
        { binDir: join(lib, "16/bin"), major: 16 },
        { binDir: join(lib, "15/bin"), major: 15 },
        { binDir: join(m.root, "opt/pg/bin"), major: 14 },
      ]);
      // Binaries linked into a directory on PATH, as Debian does into /usr/local/bin: the same install.
      mkdirSync(join(m.root, "local"));
      for (const bin of ["initdb", "postgres"])
        symlinkSync(join(lib, "15/bin", bin), join(m.root, "local", bin));
      assert.deepEqual(
        (await postgresInstalls(join(m.root, "local"), lib)).map((i) => i.binDir),
        [join(lib, "16/bin"), join(lib, "15/bin")],
      );
    } finally {
      m.cleanup();
    }
  });

  it("runs a cluster with the version that made it, and a new one with the version the spec asks for", async () => {
    const m = machine([15, 16]);
    const data = tempDir({ PG_VERSION: "15\n" });
    try {
      const installs = await postgresInstalls("", join(m.root, "lib"));
      assert.equal(choosePostgres(installs, data.dir, [16])?.install.major, 15);
      const fresh = join(data.dir, "none");
      assert.deepEqual(choosePostgres(installs, fresh, [15]), { install: installs[1] });
      assert.deepEqual(choosePostgres(installs, fresh, [16]), { install: installs[0] });
      assert.deepEqual(choosePostgres(installs, fresh, [17]), {
        install: installs[0],
        note: "the spec asks for PostgreSQL 17; this machine has 16, 15, so the cluster is made with PostgreSQL 16",
      });
      assert.equal(choosePostgres([], fresh, [16]), undefined);
    } finally {
      data.cleanup();
      m.cleanup();
    }
  });

  it("refuses a cluster whose version is not installed, with the ways out, before anything starts", async (t) => {
    const installs = await postgresInstalls(process.env.PATH);
    // Reported as skipped, not passed; CI installs PostgreSQL, so there it always runs.
    if (installs.length === 0) return t.skip("needs a PostgreSQL installed to compare with");
    const { dir, cleanup } = app();
    try {
      const data = join(dir, ".gantry", "dev", "postgres", "data");
      mkdirSync(data, { recursive: true });
      writeFileSync(join(data, "PG_VERSION"), "9\n");
      const r = await runCli(["up", dir]);
      assert.equal(r.code, 1);
      assert.equal(
        r.err,
        `error: the PostgreSQL data in ${data} was made by PostgreSQL 9, and this machine has PostgreSQL ${[...new Set(installs.map((i) => i.major))].join(", ")}, which cannot run it\n` +
          "  hint: install PostgreSQL 9 next to it (`sudo apt-get install -y postgresql-9`), or move the data to the newer version with pg_upgrade or pg_dump and pg_restore; `gantry destroy` starts over and deletes the data\n",
      );
      assert.equal(existsSync(join(dir, ".gantry", "dev", "state.json")), false);
    } finally {
      cleanup();
    }
  });
});

describe("jobs in `gantry status` and `gantry run`", () => {
  const now = Date.parse("2026-11-22T10:00:00Z");
  const jobs: JobInfo[] = [
    {
      name: "cleanup",
      release: "v3",
      schedule: "0 3 * * *",
      timezone: "Europe/Paris",
      command: "node cleanup.js",
      nextRun: "2026-11-23T02:00:00.000Z",
      lastRun: {
        id: "cleanup-20261122T020000",
        trigger: "schedule",
        release: "v2",
        startedAt: "2026-11-22T02:00:00.000Z",
        endedAt: "2026-11-22T02:00:01.500Z",
        durationMs: 1500,
        attempts: 1,
        result: "succeeded",
        exitCode: 0,
        reason: "exited with code 0",
      },
      skipped: 0,
    },
    {
      name: "report",
      release: "v3",
      schedule: "*/5 * * * *",
      timezone: "UTC",
      command: "node report.js",
      nextRun: "2026-11-22T10:05:00.000Z",
      running: {
        id: "report-20261122T095500",
        trigger: "schedule",
        release: "v3",
        startedAt: "2026-11-22T09:55:00.000Z",
        attempt: 1,
        pid: 42,
      },
      skipped: 1,
      lastSkipped: "2026-11-22T10:00:00.000Z",
    },
    {
      name: "never",
      release: "v3",
      schedule: "0 0 30 2 *",
      timezone: "UTC",
      problem: "the schedule never matches a date",
      skipped: 0,
    },
  ];

  it("shows schedule, time zone, next run, the run going on and the last run, in the job's time zone", () => {
    assert.equal(
      formatJobs(jobs, now),
      [
        "JOB      SCHEDULE     TIMEZONE      NEXT RUN                                  RUNNING    LAST RUN                     DURATION  RESULT",
        "cleanup  0 3 * * *    Europe/Paris  2026-11-23 03:00 (in 16h0m)               no         2026-11-22 03:00 (8h0m ago)  1.5s      succeeded: exited with code 0",
        "report   */5 * * * *  UTC           2026-11-22 10:05 (in 5m)                  yes, 5m0s  -                            -         -",
        "never    0 0 30 2 *   UTC           never: the schedule never matches a date  no         -                            -         -",
        "note: report skipped 1 run (the previous one was still running, or the run was missed), the last 0s ago; see `gantry logs report`",
        "",
      ].join("\n"),
    );
  });

  it("counts far-away runs in days", () => {
    const yearly: JobInfo = {
      name: "y",
      schedule: "@yearly",
      timezone: "UTC",
      nextRun: "2027-01-01T00:00:00.000Z",
      skipped: 0,
    };
    assert.match(
      formatJobs([yearly], now),
      /\ny +@yearly +UTC +2027-01-01 00:00 \(in 39d14h\) +no +- +- +-\n$/,
    );
  });

  it("says why a run did not succeed", () => {
    const base = jobs[0]!.lastRun!;
    assert.equal(
      runFailure("fail", { ...base, result: "failed", reason: "exited with code 3 after 3 attempts" }),
      "job fail failed: exited with code 3 after 3 attempts",
    );
    assert.equal(
      runFailure("slow", { ...base, result: "timed-out", reason: "timed out after 30s (killed by SIGTERM)" }),
      "job slow timed out after 30s (killed by SIGTERM)",
    );
    assert.equal(
      runFailure("x", { ...base, result: "not-started", reason: "could not start: spawn nope ENOENT" }),
      "job x could not start: spawn nope ENOENT",
    );
  });
});

/**
 * A supervisor for the commands to talk to: the real control server (protocol.ts) on the environment's
 * socket, with handlers standing in for the supervisor's. state.json names this process and /status
 * answers it; /plan plans from nothing serving; a rollout succeeds; a job run is refused; `handlers`
 * replace any of these. Records the requests, as "<method> <path>".
 */
async function fakeSupervisor(
  paths: EnvPaths,
  release: string,
  handlers: Partial<Omit<ControlHandlers, "status">> = {},
  more: Partial<SupervisorState> = {},
): Promise<{ asked: string[]; close: () => Promise<void> }> {
  const state: SupervisorState = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    phase: "running",
    socket: paths.socket,
    redis: {},
    release,
    instances: [],
    jobs: [{ name: "cleanup", release, schedule: "0 3 * * *", timezone: "UTC", skipped: 0 }],
    ...more,
  };
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.state, JSON.stringify(state));
  const asked: string[] = [];
  const ask = (route: keyof typeof ROUTES) => asked.push(`${ROUTES[route].method} ${ROUTES[route].path}`);
  const server = await serveControl(
    paths.socket,
    {
      status: () => state,
      stop: () => {
        ask("stop");
        handlers.stop?.();
      },
      plan: (req) => {
        ask("plan");
        return handlers.plan?.(req) ?? planDeploy({ ...req, current: { instances: [] }, crashWatchMs: 1000 });
      },
      rollout: (req) => {
        ask("rollout");
        return handlers.rollout?.(req) ?? ((out) => Promise.resolve(out.send(done(req.release))));
      },
      run: (req) => {
        ask("run");
        return handlers.run?.(req) ?? { status: 404, error: `there is no job ${req.job}` };
      },
    },
    (t) => t,
  );
  return { asked, close: () => server.close() };
}

const done = (release: string): RolloutEvent => ({ type: "done", message: `${release} is serving` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the CLI in a process of its own, sends it `signal` once `ready(stderr so far)` holds, and waits for its end. */
async function interrupted(
  args: string[],
  ready: (err: string) => boolean,
  signal: NodeJS.Signals,
): Promise<{ code: number | null; err: string }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(REPO_ROOT, "test", "e2e", "cli.ts"), ...args],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_TEST_CONTEXT: "" } },
  );
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  child.stdout.resume();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const poll = setInterval(() => {
    if (ready(err)) {
      clearInterval(poll);
      child.kill(signal); // the command only, not its process group: as `kill` or a service manager does
    }
  }, 50);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  clearInterval(poll);
  return { code, err };
}

describe("gantry rollback to a given release", () => {
  const model = () => loadExample("hello", "dev").project.environments[0]!;
  function release(paths: EnvPaths, r: Partial<ReleaseRecord> & { id: string }, app: boolean): void {
    const at = "2026-11-20T10:00:00.000Z";
    writeRelease(paths, {
      createdAt: at,
      updatedAt: at,
      status: "built",
      activations: [],
      secrets: {},
      model: model(),
      ...r,
    });
    if (app) mkdirSync(join(releaseDir(paths, r.id), "app"), { recursive: true });
  }
  function setup(): { dir: string; paths: EnvPaths; cleanup: () => void } {
    const { dir, cleanup } = app();
    const paths = envPaths(dir, "dev");
    release(paths, { id: "v1", status: "superseded", activations: ["2026-11-20T10:01:00.000Z"] }, true);
    release(paths, { id: "v2", status: "failed", reason: "build of api failed (exit code 1)" }, false);
    release(paths, { id: "v3", status: "failed", reason: "api-v3-1 did not become ready" }, true);
    // Served once, but its copy of the app is gone.
    release(paths, { id: "v4", status: "superseded", activations: ["2026-11-20T10:04:00.000Z"] }, false);
    release(paths, { id: "v5", status: "active", activations: ["2026-11-20T10:05:00.000Z"] }, true);
    return { dir, paths, cleanup };
  }

  it("refuses a release that never served, naming its status and reason, and leaves it as it was", async () => {
    const { dir, paths, cleanup } = setup();
    const sup = await fakeSupervisor(paths, "v5");
    try {
      const v2 = await runCli(["rollback", "v2", dir]);
      assert.equal(v2.code, 1, v2.err);
      assert.equal(
        v2.err,
        "error: cannot roll back to v2: it never served (status failed: build of api failed (exit code 1))\n" +
          "  hint: releases that served and can be rolled back to: v1 (see `gantry releases`)\n",
      );
      const v3 = await runCli(["rollback", "v3", dir]);
      assert.equal(v3.code, 1, v3.err);
      assert.match(
        v3.err,
        /^error: cannot roll back to v3: it never served \(status failed: api-v3-1 did not become ready\)\n/,
      );
      const v4 = await runCli(["rollback", "v4", dir]);
      assert.equal(v4.code, 1, v4.err);
      assert.match(
        v4.err,
        /^error: cannot roll back to v4: its copy of the app, \.gantry\/dev\/releases\/v4\/app\/, is missing\n/,
      );
      assert.deepEqual(sup.asked, []);
      assert.equal(readRelease(paths, "v2")!.reason, "build of api failed (exit code 1)");
      assert.equal(readRelease(paths, "v3")!.status, "failed");

      const v1 = await runCli(["rollback", "v1", dir]);
      assert.equal(v1.code, 0, v1.err);
      assert.equal(v1.out, "rolled back to v1: v1 is serving\n");
      assert.deepEqual(sup.asked, ["POST /rollout"]);
    } finally {
      await sup.close();
      cleanup();
    }
  });

  it("rollback without an id skips releases whose copy of the app is missing", async () => {
    const { dir, paths, cleanup } = setup();
    const sup = await fakeSupervisor(paths, "v5");
    try {
      const r = await runCli(["rollback", dir]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /rolling back from v5 to v1\n/);
    } finally {
      await sup.close();
      cleanup();
    }
  });

  it("a mistyped release id is called that, not a path that does not exist", async () => {
    const { dir, paths, cleanup } = setup();
    const sup = await fakeSupervisor(paths, "v5");
    try {
      for (const id of ["x1", "V1"]) {
        const r = await runCli(["rollback", id], dir);
        assert.equal(r.code, 1, r.out);
        assert.equal(
          r.err,
          `error: there is no release "${id}"\n  hint: a release is v and its number (v3), as \`gantry releases\` lists them\n`,
        );
      }
      assert.deepEqual(sup.asked, []);
      // A path still works, relative or absolute.
      assert.equal((await runCli(["rollback", "."], dir)).code, 0);
      assert.equal((await runCli(["rollback", dir], "/")).code, 0);
    } finally {
      await sup.close();
      cleanup();
    }
  });

  it("Ctrl-C abandons a rollout not switched to yet, says so, and frees the lock", async () => {
    const { dir, paths, cleanup } = setup();
    // As the supervisor does: a rollback whose command goes away before the switch is abandoned a
    // moment later, its release back to what it was; v5 serves on.
    const sup = await fakeSupervisor(paths, "v5", {
      rollout: () => async (out) => {
        const v1 = readRelease(paths, "v1")!;
        writeRelease(paths, { ...v1, status: "deploying" });
        out.send({ type: "step", message: "starting 2 instances: api ×2" });
        while (!out.gone()) await sleep(20);
        setTimeout(() => writeRelease(paths, v1), 300);
      },
    });
    try {
      const r = await interrupted(["rollback", "v1", dir], () => sup.asked.length > 0, "SIGINT");
      assert.equal(r.code, 130, r.err);
      assert.match(
        r.err,
        /\nerror: interrupted by SIGINT: the rollout of v1 was abandoned; v5 keeps serving\n {2}hint: see `gantry releases` and `gantry status`\n$/,
      );
      assert.equal(existsSync(paths.lock), false, "the lock is freed");
    } finally {
      await sup.close();
      cleanup();
    }
  });

  it("after a rollout, keeps the copies of the newest releases and of those in use, and every record", async () => {
    const { dir, cleanup } = app();
    try {
      const paths = envPaths(dir, "dev");
      const served = { status: "superseded" as const, activations: ["2026-11-20T10:01:00.000Z"] };
      for (let n = 1; n <= 13; n++) release(paths, { id: `v${n}`, ...served }, true);
      // v1 is in use (a job run of it goes on): kept with the newest ten.
      assert.deepEqual(await pruneReleases(paths, new Set(["v1"]), 10), ["v2", "v3"]);
      const copies = listReleases(paths)
        .filter((r) => existsSync(join(releaseDir(paths, r.id), "app")))
        .map((r) => r.id);
      assert.deepEqual(copies, ["v1", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13"]);
      assert.equal(listReleases(paths).length, 13);
      assert.equal(
        cannotRollBackTo(paths, readRelease(paths, "v2")!),
        "its copy of the app, .gantry/dev/releases/v2/app/, is missing",
      );
      const listed = await runCli(["releases", dir]);
      assert.match(
        listed.out,
        /\nv2 +superseded .* its copy of the app, \.gantry\/dev\/releases\/v2\/app\/, is missing\n/,
      );
      assert.match(listed.out, /\nv4 +superseded +\S+ +\S+\n/);
      assert.deepEqual(await pruneReleases(paths, new Set(), 10), ["v1"]);
    } finally {
      cleanup();
    }
  });
});

describe("up while the app runs", () => {
  it("refuses a --port other than the one it serves on, and otherwise prints the URLs", async () => {
    // No PostgreSQL or Redis: `up` checks their binaries first.
    const { dir, cleanup } = tempDir({
      "gantry.yaml":
        "name: hello\nservices:\n  api:\n    build: .\n    command: node server.js\n    port: 8080\nenvironments:\n  dev: {}\n",
    });
    const sup = await fakeSupervisor(
      envPaths(dir, "dev"),
      "v3",
      {},
      {
        proxyPort: 41141,
      },
    );
    try {
      const moved = await runCli(["up", dir, "--port", "45000"]);
      assert.equal(moved.code, 1, moved.out);
      assert.equal(
        moved.err,
        "error: hello (dev) already runs with its proxy on port 41141, not 45000\n" +
          "  hint: `gantry down`, then `gantry up --port 45000`, moves it\n",
      );
      const same = await runCli(["up", dir, "--port", "41141"]);
      assert.equal(same.code, 0, same.err);
      assert.match(
        same.out,
        /^hello \(dev\) is already running release v3; .*\n {2}api {10}http:\/\/127\.0\.0\.1:41141\/\n/,
      );
      assert.deepEqual(sup.asked, []);
    } finally {
      await sup.close();
      cleanup();
    }
  });
});

describe("deploy or rollback as root to an app another user runs", () => {
  it(
    "is refused before anything is built, naming that user",
    {
      skip: process.getuid?.() !== 0 && "needs root, to run a supervisor as another user",
    },
    async () => {
      const { dir, cleanup } = tempDir({
        "gantry.yaml":
          "name: theirs\nservices:\n  api:\n    build: .\n    command: node server.js\n    port: 8080\nenvironments:\n  dev: {}\n",
      });
      const paths = envPaths(dir, "dev");
      const sup = await fakeSupervisor(paths, "v1");
      // Their supervisor: a process of uid 65534, as the state says.
      const theirs = spawn("sleep", ["30"], { uid: 65534, gid: 65534, stdio: "ignore" });
      await once(theirs, "spawn");
      const state = JSON.parse(readFileSync(paths.state, "utf8")) as SupervisorState;
      writeFileSync(paths.state, JSON.stringify({ ...state, pid: theirs.pid }));
      try {
        for (const args of [
          ["deploy", dir],
          ["rollback", "v1", dir],
        ]) {
          const r = await runCli(args);
          assert.equal(r.code, 1, r.out);
          assert.match(
            r.err,
            new RegExp(
              `^error: the app's supervisor \\(pid ${theirs.pid}\\) runs as (nobody|uid 65534), and this command as root: it could not use what the command writes\\n {2}hint: run the command as (nobody|uid 65534)\\n$`,
            ),
          );
        }
        assert.equal(existsSync(paths.releases), false, "nothing was built");
        assert.deepEqual(sup.asked, []);
      } finally {
        theirs.kill("SIGKILL");
        await sup.close();
        cleanup();
      }
    },
  );
});

describe("a build command with shell syntax", () => {
  it("runs through /bin/sh, as on every target, and a failure fails the release, not left `building`", async () => {
    const { dir, cleanup } = tempDir({
      "gantry.yaml":
        "name: shelly\nservices:\n  api:\n    build: .\n    build_command: echo from-a-shell && exit 3\n    command: node server.js\n    port: 8080\nenvironments:\n  dev: {}\n",
    });
    const paths = envPaths(dir, "dev");
    const sup = await fakeSupervisor(paths, "");
    try {
      const r = await runCli(["deploy", dir]);
      assert.equal(r.code, 1, r.out);
      // `&&` and `exit` are the shell's: the line ran in one, which printed and exited 3.
      const why = "build of api failed (exit code 3); last lines:\nfrom-a-shell";
      assert.ok(r.err.endsWith(`\nerror: ${why}\n`), r.err);
      const v1 = readRelease(paths, "v1");
      assert.equal(v1?.status, "failed");
      assert.match(v1?.reason ?? "", /^build of api failed \(exit code 3\)/);
      assert.deepEqual(sup.asked, ["POST /plan"], "nothing was rolled out");
    } finally {
      await sup.close();
      cleanup();
    }
  });
});

describe("Ctrl-C during down", () => {
  it("stops waiting for the supervisor, says it goes on stopping, and frees the lock", async () => {
    const { dir, cleanup } = app();
    const paths = envPaths(dir, "dev");
    // A supervisor slow to stop: it does not answer, and SIGTERM does not end it at once. It looks like
    // one (its title and working directory), as the commands check.
    const slow = spawn(
      process.execPath,
      ["-e", "process.on('SIGTERM', () => {}); setTimeout(() => {}, 30000)"],
      {
        argv0: "gantry-supervisor dev",
        cwd: dir,
        stdio: "ignore",
      },
    );
    await once(slow, "spawn");
    mkdirSync(paths.dir, { recursive: true });
    writeFileSync(paths.state, JSON.stringify({ pid: slow.pid, phase: "running", redis: {}, instances: [] }));
    try {
      // Once it waits (the lock is taken a moment before Gantry listens for signals).
      const r = await interrupted(["down", dir], (err) => err.includes("stopping the supervisor"), "SIGINT");
      assert.equal(r.code, 130, r.err);
      assert.match(
        r.err,
        new RegExp(
          `error: interrupted by SIGINT: the supervisor \\(pid ${slow.pid}\\) goes on stopping by itself\\n {2}hint: \`gantry status\` says when it has stopped\\n$`,
        ),
      );
      assert.equal(existsSync(paths.lock), false, "the lock is freed");
    } finally {
      slow.kill("SIGKILL");
      cleanup();
    }
  });
});

describe("up --port with the port of another environment of the app", () => {
  it("names that environment rather than 'another program', before anything starts", async () => {
    const { dir, cleanup } = tempDir({
      "gantry.yaml":
        "name: twice\nservices:\n  api:\n    build: .\n    command: node server.js\n    port: 8080\nenvironments:\n  dev: {}\n  staging: {}\n",
    });
    const staging = envPaths(dir, "staging");
    mkdirSync(staging.dir, { recursive: true });
    writeFileSync(
      staging.state,
      JSON.stringify({ pid: process.pid, phase: "running", proxyPort: 41141, redis: {}, instances: [] }),
    );
    try {
      assert.deepEqual(await runCli(["up", dir, "--port", "41141"]), {
        code: 1,
        out: "",
        err:
          "error: port 41141 is the proxy of this app's staging environment\n" +
          "  hint: every environment needs a port of its own: pick another --port, or leave it out\n",
      });
      assert.equal(existsSync(envPaths(dir, "dev").state), false, "no supervisor was started");
    } finally {
      cleanup();
    }
  });
});

describe("an up that was interrupted while the supervisor started", () => {
  it("leaves it starting; the next up waits for it rather than start a second one on the same data", async () => {
    const { dir, cleanup } = tempDir({
      "gantry.yaml":
        "name: quiet\nservices:\n  worker:\n    type: worker\n    build: .\n    command: sleep 1\nenvironments:\n  dev: {}\n",
    });
    const paths = envPaths(dir, "dev");
    // The supervisor as `ps` shows it, still starting: its state says so, and it does not answer yet.
    const starting = spawn("sleep", ["30"], { argv0: "gantry-supervisor dev", stdio: "ignore" });
    await once(starting, "spawn");
    const state = (phase: SupervisorState["phase"]) =>
      writeFileSync(
        paths.state,
        JSON.stringify({
          pid: starting.pid,
          startedAt: "",
          updatedAt: "",
          phase,
          socket: paths.socket,
          redis: {},
          instances: [],
        }),
      );
    mkdirSync(paths.dir, { recursive: true });
    state("starting");
    let sup: Awaited<ReturnType<typeof fakeSupervisor>> | undefined;
    try {
      const up = runCli(["up", dir]);
      await new Promise((r) => setTimeout(r, 500));
      sup = await fakeSupervisor(paths, "");
      state("running");
      const r = await up;
      assert.equal(r.code, 0, r.err);
      assert.match(
        r.err,
        new RegExp(
          `^\\[ *[\\d.]+s\\] waiting for the supervisor \\(pid ${starting.pid}\\), which an earlier \`gantry up\` started\\n`,
        ),
      );
      assert.doesNotMatch(r.err, /starting the supervisor/);
      assert.deepEqual(sup.asked, ["POST /plan", "POST /rollout"]);
      assert.match(r.out, /^quiet \(dev\) is up: v1 is serving\n/);
    } finally {
      starting.kill("SIGKILL");
      await sup?.close();
      cleanup();
    }
  });
});

describe("a supervisor that stops answering in the middle of a command", () => {
  /**
   * The control server on the environment's socket, whose first rollout or job run loses its
   * connection: the server goes away (as a killed supervisor does), after sending `first` if given.
   */
  async function dropping(paths: EnvPaths, first?: RolloutEvent): Promise<() => Promise<void>> {
    const unexpected = () => {
      throw new Error("not asked in this test");
    };
    let close = async () => {};
    const drop = async () => {
      await sleep(20); // what was sent is on its way
      await close();
    };
    const server = await serveControl(
      paths.socket,
      {
        status: unexpected,
        stop: unexpected,
        plan: unexpected,
        rollout: () => async (out) => {
          if (first) out.send(first);
          await drop();
        },
        run: () => drop,
      },
      (t) => t,
    );
    close = () => server.close();
    return close;
  }
  const gone = (during: string, paths: EnvPaths) => (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${(e as Error).stack}`);
    assert.match(e.message, new RegExp(`^the supervisor stopped answering during ${during} \\(.+\\)$`));
    assert.equal(e.hint, `its log is ${paths.supervisorLog}; \`gantry status\` shows whether it still runs`);
    return true;
  };

  it("a rollout or a job run whose connection is dropped is a user error naming the supervisor's log", async () => {
    const { dir, cleanup } = tempDir();
    const paths = envPaths(dir, "dev");
    mkdirSync(paths.dir, { recursive: true });
    let close = async () => {};
    try {
      close = await dropping(paths);
      await assert.rejects(
        requestRollout(paths, "v2", "deploy", () => {}),
        gone("the deploy of v2", paths),
      );
      close = await dropping(paths);
      await assert.rejects(
        requestJobRun(paths, "cleanup", { retry: true }, () => {}),
        gone("the run of cleanup", paths),
      );
      // Mid-answer: the headers and a first step arrived, then the connection was reset.
      close = await dropping(paths, { type: "step", message: "starting api-v2-1" });
      const steps: string[] = [];
      await assert.rejects(
        requestRollout(paths, "v2", "rollback", (s) => steps.push(s)),
        gone("the rollback of v2", paths),
      );
      assert.deepEqual(steps, ["starting api-v2-1"]);
      await close();
      close = async () => {};
      // Gone altogether: nothing listens on the socket.
      await assert.rejects(
        requestRollout(paths, "v2", "deploy", () => {}),
        gone("the deploy of v2", paths),
      );
    } finally {
      await close();
      cleanup();
    }
  });

  it("Ctrl-C of gantry run stops following and says the run goes on", async () => {
    const { dir, cleanup } = app();
    const paths = envPaths(dir, "dev");
    let following = false;
    const sup = await fakeSupervisor(paths, "v1", {
      run: () => async (out) => {
        out.send({ type: "step", message: "started cleanup-20261122T105400" });
        // Sent; the command reads it a moment later.
        setTimeout(() => (following = true), 300);
        while (!out.gone()) await sleep(20);
      },
    });
    try {
      const r = await interrupted(["run", "cleanup", dir], () => following, "SIGINT");
      assert.equal(r.code, 130, r.err);
      assert.match(
        r.err,
        /\nerror: interrupted by SIGINT: stopped following cleanup-20261122T105400; the run goes on in the supervisor\n {2}hint: `gantry logs cleanup` shows its output, `gantry status` its result\n$/,
      );
    } finally {
      await sup.close();
      cleanup();
    }
  });

  it("gantry run exits 1 with the error and hint, not an internal error", async () => {
    const { dir, cleanup } = app();
    const paths = envPaths(dir, "dev");
    // The supervisor goes away (killed) while the command waits for the run.
    let goAway = async () => {};
    const sup = await fakeSupervisor(paths, "v1", { run: () => () => goAway() });
    goAway = sup.close;
    try {
      const r = await runCli(["run", "cleanup", dir]);
      assert.equal(r.code, 1, r.err);
      assert.match(
        r.err,
        /^error: the supervisor stopped answering during the run of cleanup \(.+\)\n {2}hint: its log is /,
      );
    } finally {
      await sup.close();
      cleanup();
    }
  });
});

describe("a reader that goes away (`gantry logs | head -1`)", () => {
  /**
   * Runs the CLI in a process of its own and closes its standard output after the first bytes, as
   * `head -1` does; `then` runs after the close. Resolves with the exit code and standard error.
   */
  async function withOutputClosed(
    args: string[],
    then: () => void = () => undefined,
  ): Promise<{ code: number | null; err: string }> {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(REPO_ROOT, "test", "e2e", "cli.ts"), ...args],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, NODE_TEST_CONTEXT: "" },
      },
    );
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.stdout.once("data", () => {
      child.stdout.destroy();
      then();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const [code] = (await once(child, "exit")) as [number | null];
    clearTimeout(timer);
    return { code, err };
  }

  function appWithLog(lines: number): { dir: string; log: string; cleanup: () => void } {
    const a = app();
    const logs = join(a.dir, ".gantry", "dev", "logs");
    mkdirSync(logs, { recursive: true });
    const log = join(logs, "api.log");
    writeFileSync(
      log,
      Array.from({ length: lines }, (_, i) => `2026-11-22T10:00:00.000Z api-v1-1 | line ${i}\n`).join(""),
    );
    return { ...a, log };
  }

  it("drops the rest of the output and ends as it would have, without a stack trace", async () => {
    const { dir, cleanup } = appWithLog(5000);
    try {
      // One write per line: most of them come after the reader has gone.
      const r = await withOutputClosed(["logs", "api", dir, "-n", "5000"]);
      assert.equal(r.err, "");
      assert.equal(r.code, 0);
    } finally {
      cleanup();
    }
  });

  it("ends `logs -f` once the reader has gone", async () => {
    const { dir, log, cleanup } = appWithLog(3);
    let more: NodeJS.Timeout | undefined;
    try {
      // The follower notices on its next write: new lines come after the close.
      const r = await withOutputClosed(["logs", "api", dir, "-f"], () => {
        more = setInterval(() => appendFileSync(log, "2026-11-22T10:00:01.000Z api-v1-1 | more\n"), 100);
      });
      assert.equal(r.err, "");
      assert.equal(r.code, 0);
    } finally {
      clearInterval(more);
      cleanup();
    }
  });
});

describe("Ctrl-C, SIGTERM or SIGHUP during a deploy's build", () => {
  const slowSpec = [
    "name: slow",
    "services:",
    "  api:",
    "    build: .",
    "    build_command: sh -c 'sleep 60 & echo $! > sleeper.pid; wait'",
    "    command: node server.js",
    "    port: 8080",
    "",
  ].join("\n");
  for (const [signal, code] of [
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)
    it(`${signal} stops the build with everything it started, records the release as failed and frees the lock`, async () => {
      // The build starts a grandchild (as `npm run` starts a compiler), records its pid, and waits.
      const { dir, cleanup } = tempDir({ "gantry.yaml": slowSpec });
      const paths = envPaths(dir, "production");
      const sup = await fakeSupervisor(paths, "v0");
      const pidFile = join(dir, "sleeper.pid");
      const sleeper = () => Number(existsSync(pidFile) ? readFileSync(pidFile, "utf8") : 0);
      const alive = (pid: number) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      try {
        const r = await interrupted(["deploy", dir], () => sleeper() > 0, signal);
        // The time in brackets is 0.0s, or a little more on a busy machine.
        assert.equal(
          r.err.replace(/^\[ *[\d.]+s\]/, "[  0.0s]"),
          "[  0.0s] building api: sh -c 'sleep 60 & echo $! > sleeper.pid; wait'\n" +
            `error: interrupted by ${signal}: the build of v1 was stopped, and nothing was rolled out\n`,
        );
        assert.equal(r.code, code);
        assert.equal(existsSync(paths.lock), false, "the lock is freed");
        const v1 = readRelease(paths, "v1");
        assert.equal(v1?.status, "failed");
        assert.equal(v1?.reason, "interrupted while building");
        for (let i = 0; i < 40 && alive(sleeper()); i++) await new Promise((res) => setTimeout(res, 50));
        assert.equal(alive(sleeper()), false, "the build's own child is stopped too");
        assert.deepEqual(sup.asked, ["POST /plan"], "nothing was rolled out");
      } finally {
        if (sleeper() > 0 && alive(sleeper())) process.kill(sleeper(), "SIGKILL");
        await sup.close();
        cleanup();
      }
    });

  it("of `up --attach` stops the app too: attached, Ctrl-C stops it, also before it serves", async () => {
    const { dir, cleanup } = tempDir({ "gantry.yaml": slowSpec });
    const paths = envPaths(dir, "production");
    // A supervisor running nothing yet, which stops when asked to; it looks like one, as the commands check.
    const supervisor = spawn("sleep", ["30"], {
      argv0: "gantry-supervisor production",
      cwd: dir,
      stdio: "ignore",
    });
    await once(supervisor, "spawn");
    const sup = await fakeSupervisor(paths, "", { stop: () => supervisor.kill("SIGKILL") });
    const state = JSON.parse(readFileSync(paths.state, "utf8")) as SupervisorState;
    writeFileSync(paths.state, JSON.stringify({ ...state, pid: supervisor.pid }));
    const pidFile = join(dir, "sleeper.pid");
    try {
      const r = await interrupted(["up", dir, "--attach"], () => existsSync(pidFile), "SIGINT");
      assert.equal(r.code, 130, r.err);
      assert.match(
        r.err,
        new RegExp(
          `\\[ *[\\d.]+s\\] stopping the supervisor \\(pid ${supervisor.pid}\\) and everything it runs\\n` +
            "error: interrupted by SIGINT: the app was stopped before `up --attach` had started it\\n$",
        ),
      );
      // The plan of the deploy was asked for, then nothing more until the stop.
      assert.deepEqual(sup.asked, ["POST /plan", "POST /stop"]);
      assert.equal(existsSync(paths.lock), false, "the lock is freed");
    } finally {
      supervisor.kill("SIGKILL");
      const sleeper = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : 0;
      try {
        if (sleeper > 0) process.kill(sleeper, "SIGKILL");
      } catch {
        /* stopped with the build, as it should */
      }
      await sup.close();
      cleanup();
    }
  });
});
