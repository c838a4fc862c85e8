// Unit tests of the local runtime's process lifecycle: what counts as a live process, the recovery of
// processes a killed supervisor left behind, log files that cannot be written, and an instance stopped
// while it is being started.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  pidAlive,
  pidCommand,
  pidStartTicks,
  pidState,
  writeJsonAtomic,
} from "../src/engine/local/fsutil.js";
import { isOurPostgres, stopLeftovers } from "../src/engine/local/leftovers.js";
import { postgresDataDir } from "../src/engine/local/postgres-location.js";
import { envPaths } from "../src/engine/local/paths.js";
import { stopSupervisor } from "../src/engine/local/client.js";
import type { InstanceInfo, SupervisorState } from "../src/engine/local/state.js";
import { Supervisor } from "../src/engine/local/supervisor.js";
import { Instance, type InstanceHost } from "../src/engine/local/instance.js";
import type { InstanceSpec } from "../src/engine/local/plan.js";
import { REPO_ROOT, runCli, tempDir } from "./helpers.js";
import { acquireLock } from "../src/engine/local/lock.js";
import { findOnPath } from "../src/engine/local/infra.js";
import { loadSpec } from "../src/model/load.js";
import { releaseDir } from "../src/engine/local/paths.js";
import { readRelease, writeRelease } from "../src/engine/local/release.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until check() holds, or fails after a few seconds. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await sleep(25);
  }
  assert.fail(`timed out waiting until ${what}`);
}

/** The first line a child process prints. */
async function firstLine(child: ChildProcess): Promise<string> {
  let out = "";
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    if (out.includes("\n")) break;
  }
  return out.split("\n")[0]!.trim();
}

describe("pidAlive", () => {
  it("is true for a running process and false for a zombie", async () => {
    // The shell starts a child that exits at once and does not reap it while it blocks on its input: the
    // child stays a zombie until the input closes, then `wait` reaps it and the shell exits.
    const sh = spawn("sh", ["-c", "sleep 0 & echo $!; read x; wait"], { stdio: ["pipe", "pipe", "inherit"] });
    try {
      const zombie = Number(await firstLine(sh));
      assert.ok(zombie > 0);
      await until(() => pidState(zombie) === "Z", "the child is a zombie");
      assert.equal(pidAlive(zombie), false);
      assert.equal(pidAlive(sh.pid), true);
    } finally {
      sh.stdin.end();
      await once(sh, "exit");
    }
    assert.equal(pidAlive(sh.pid), false);
  });
});

/** Long-running processes for a test, all killed by the returned function. */
function processes() {
  const all: ChildProcess[] = [];
  const start = async (cmd: string, args: string[], argv0?: string) => {
    const c = spawn(cmd, args, { stdio: "ignore", ...(argv0 ? { argv0 } : {}) });
    all.push(c);
    await once(c, "spawn");
    return c.pid!;
  };
  const killAll = async () => {
    const running = all.filter((c) => c.exitCode === null && c.signalCode === null);
    for (const c of running) c.kill("SIGKILL");
    await Promise.all(running.map((c) => once(c, "exit")));
  };
  return { start, killAll, all };
}

/** A process that looks like PostgreSQL on dataDir (`postgres ... -D <dataDir>`), without being it. */
const fakePostgres = (dataDir: string): [string, string[], string] => [
  process.execPath,
  ["-e", "setInterval(() => {}, 1000)", "--", "-D", dataDir],
  "postgres",
];

/** An exited process's pid: the pid of a supervisor that is gone. */
/** A serving instance of `api` as state.json records it. */
function instance(id: string, pid: number, cmd: string, startTicks?: number): InstanceInfo {
  return {
    id,
    service: "api",
    release: "r1",
    pid,
    cmd,
    ...(startTicks !== undefined ? { startTicks } : {}),
    status: "running",
    ready: true,
    serving: true,
    restarts: 0,
  };
}

async function deadPid(): Promise<number> {
  const c = spawn("true");
  await once(c, "exit");
  return c.pid!;
}

function writeState(statePath: string, st: Partial<SupervisorState>): void {
  writeJsonAtomic(statePath, {
    startedAt: "then",
    updatedAt: "then",
    phase: "running",
    socket: "/nonexistent",
    redis: {},
    instances: [],
    ...st,
  });
}

describe("the PostgreSQL of a stale postmaster.pid", () => {
  it("is ours only when its command line is postgres -D on our data directory", async () => {
    const { dir, cleanup } = tempDir();
    const procs = processes();
    try {
      const data = join(dir, "data");
      const sleeper = await procs.start("sleep", ["30"]);
      const ours = await procs.start(...fakePostgres(data));
      const other = await procs.start(...fakePostgres(join(dir, "other")));
      await until(() => pidCommand(ours)?.startsWith("postgres") === true, "the fake postgres runs");
      assert.equal(isOurPostgres(sleeper, data), false);
      assert.equal(isOurPostgres(other, data), false);
      assert.equal(isOurPostgres(ours, data), true);
      assert.equal(isOurPostgres(ours, `${data}/`), true);
    } finally {
      await procs.killAll();
      cleanup();
    }
  });
});

describe("leftovers of a dead supervisor", () => {
  it("stops recorded processes that still run their command, and nothing whose pid was reused", async () => {
    const { dir, cleanup } = tempDir();
    const procs = processes();
    try {
      const p = envPaths(dir, "dev");
      const leftover = await procs.start("sleep", ["30"]);
      const reused = await procs.start("sleep", ["31"]);
      const unrelated = await procs.start("sleep", ["32"]);
      const postgres = await procs.start(...fakePostgres(postgresDataDir(p)));
      await until(() => pidCommand(postgres)?.startsWith("postgres") === true, "the fake postgres runs");
      writeState(p.state, {
        pid: await deadPid(),
        instances: [
          instance("api-r1-1", leftover, "sleep 30"),
          instance("api-r1-2", reused, "node server.js"),
        ],
      });
      mkdirSync(postgresDataDir(p), { recursive: true });
      // A stale postmaster.pid whose pid now belongs to an unrelated process.
      writeFileSync(join(postgresDataDir(p), "postmaster.pid"), `${unrelated}\n/somewhere\n`);
      const notes: string[] = [];
      const stopped = await stopLeftovers(p, (l) => notes.push(l));
      assert.deepEqual(stopped, [`stopping leftover process ${leftover} (sleep 30)`]);
      assert.deepEqual(notes, stopped);
      await until(() => procs.all[0]!.signalCode !== null, "the leftover instance is stopped");
      assert.ok(pidAlive(reused) && pidAlive(unrelated), "a reused pid is never signalled");

      // The pid in postmaster.pid is signalled once it is our PostgreSQL.
      writeFileSync(join(postgresDataDir(p), "postmaster.pid"), `${postgres}\n${postgresDataDir(p)}\n`);
      assert.equal((await stopLeftovers(p, () => undefined)).length, 1);
      // Its exit is seen on a later turn of the event loop (a busy machine may take a while).
      await until(() => procs.all[3]!.signalCode !== null, "the fake PostgreSQL is stopped");
      assert.equal(procs.all[3]!.signalCode, "SIGINT");
      assert.ok(pidAlive(reused) && pidAlive(unrelated));
    } finally {
      await procs.killAll();
      cleanup();
    }
  });

  it("are recognised by their start time, whatever their command line says now", async () => {
    const { dir, cleanup } = tempDir();
    const procs = processes();
    try {
      const p = envPaths(dir, "dev");
      // One rewrote its command line after the record was written (npm sets its process title; a
      // shebang script runs as `/bin/sh script`); the other's pid was reused by a process that
      // happens to run the same command.
      const retitled = await procs.start("sleep", ["40"]);
      const reused = await procs.start("sleep", ["41"]);
      writeState(p.state, {
        pid: await deadPid(),
        instances: [
          instance("api-r1-1", retitled, "npm start", pidStartTicks(retitled)),
          instance("api-r1-2", reused, "sleep 41", pidStartTicks(reused)! - 1),
        ],
      });
      const stopped = await stopLeftovers(p, () => undefined);
      assert.deepEqual(stopped, [`stopping leftover process ${retitled} (sleep 40)`]);
      await until(() => procs.all[0]!.signalCode !== null, "the retitled leftover is stopped");
      assert.ok(pidAlive(reused), "a reused pid is never signalled");
    } finally {
      await procs.killAll();
      cleanup();
    }
  });

  it("are named by `status`, which would otherwise only say the app is not running", async () => {
    const { dir, cleanup } = tempDir({
      "gantry.yaml":
        "name: left\nservices:\n  api:\n    build: .\n    command: node server.js\n    port: 8080\nenvironments:\n  dev: {}\n",
    });
    const procs = processes();
    try {
      const p = envPaths(dir, "dev");
      const api = await procs.start("sleep", ["30"]);
      const redis = await procs.start("sleep", ["31"]);
      const dead = await deadPid();
      writeState(p.state, {
        pid: dead,
        release: "r1",
        instances: [instance("api-r1-1", api, "sleep 30")],
        redis: { cache: { pid: redis, port: 1, cmd: "sleep 31" } },
      });
      const r = await runCli(["status", dir]);
      assert.equal(r.code, 0, r.err);
      assert.equal(
        r.out,
        "dev: not running (last release r1); `gantry up` starts it\n" +
          `its supervisor (pid ${dead}) is gone, and left 2 processes running (pid ${api}, ${redis}): \`gantry up\` stops them and starts the app again, \`gantry down\` only stops them\n`,
      );
      await stopSupervisor(p, () => undefined);
      assert.equal(
        (await runCli(["status", dir])).out,
        "dev: not running (last release r1); `gantry up` starts it\n",
      );
    } finally {
      await procs.killAll();
      cleanup();
    }
  });

  it("are stopped by `down` and `destroy` when the supervisor is dead", async () => {
    const { dir, cleanup } = tempDir();
    const procs = processes();
    try {
      const p = envPaths(dir, "dev");
      const redis = await procs.start("sleep", ["30"]);
      writeState(p.state, {
        pid: await deadPid(),
        redis: { cache: { pid: redis, port: 1, cmd: "sleep 30" } },
      });
      const lines: string[] = [];
      assert.equal(await stopSupervisor(p, (l) => lines.push(l)), true);
      assert.deepEqual(lines, [`stopping leftover process ${redis} (sleep 30)`]);
      assert.equal(pidAlive(redis), false);
      // Nothing left: nothing to stop.
      assert.equal(await stopSupervisor(p, (l) => lines.push(l)), false);
      assert.equal(lines.length, 1);
    } finally {
      await procs.killAll();
      cleanup();
    }
  });
});

describe("the supervisor's log files", () => {
  it("survive a log file that cannot be written: noted once, and written again once it can be", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const paths = envPaths(dir, "dev");
      const sup = new Supervisor({ paths, baseEnv: {}, secretsKeyEnv: "11".repeat(32) });
      const notes: string[] = [];
      sup.log = (m) => notes.push(m);
      // logs/ is a file: neither the directory nor the log file in it can be created.
      mkdirSync(paths.dir, { recursive: true });
      writeFileSync(paths.logs, "");
      sup.writeLog("api", "api-r1-1", "lost");
      await sleep(250);
      sup.writeLog("api", "api-r1-1", "lost too");
      await sleep(250);
      assert.equal(notes.length, 1, notes.join("\n"));
      assert.match(
        notes[0]!,
        /could not write .*api\.log: .*; its lines are lost until it can be written again/,
      );

      rmSync(paths.logs);
      sup.writeLog("api", "api-r1-1", "kept");
      await until(() => notes.length === 2, "the log is written again");
      assert.equal(notes[1], "api.log is written again");
      assert.match(readFileSync(join(paths.logs, "api.log"), "utf8"), /^\S+ api-r1-1 \| kept\n$/);
    } finally {
      cleanup();
    }
  });
});

/** The pids of the running processes with exactly this command line. */
function pidsRunning(cmd: string): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => pidCommand(pid) === cmd && pidAlive(pid));
}

describe("an instance", () => {
  it("stopped while its process is being spawned stops that process too", async () => {
    const spec: InstanceSpec = {
      service: "worker",
      type: "worker",
      command: "sleep",
      cwd: ".",
      port: false,
      startupTimeoutMs: 5000,
      drainMs: 0,
      graceMs: 2000,
    };
    // The supervisor side the instance talks to, doing nothing.
    const host: InstanceHost = {
      persist: () => undefined,
      writeLog: () => undefined,
      log: () => undefined,
    };
    // A command line no other process has, to find the process by.
    const argv = ["sleep", `30.${process.pid}`];
    const inst = new Instance(
      "worker-r1-1",
      "worker",
      "r1",
      0,
      argv,
      "/",
      { PATH: process.env.PATH ?? "" },
      spec,
      host,
    );
    try {
      // As a back-off restart racing `down`: stop() is called before the spawn has resolved.
      const started = inst.start();
      await inst.stop(0, 2000);
      await started;
      assert.equal(inst.alive, false);
      assert.equal(inst.status, "stopped");
      assert.deepEqual(pidsRunning(argv.join(" ")), []);
    } finally {
      for (const pid of pidsRunning(argv.join(" "))) process.kill(pid, "SIGKILL");
    }
  });
});

describe("a rollout whose command went away (Ctrl-C)", () => {
  const spec = [
    "name: quiet",
    "services:",
    "  worker:",
    "    type: worker",
    "    build: .",
    `    command: sleep 30.${process.pid}`,
    "environments:",
    "  dev: {}",
    "",
  ].join("\n");

  for (const kind of ["deploy", "rollback"] as const)
    it(`${kind}: ${kind === "deploy" ? "the release is failed" : "the release that served before stays as it was"}`, async () => {
      const { dir, cleanup } = tempDir({ "gantry.yaml": spec });
      const paths = envPaths(dir, "dev");
      const model = loadSpec("gantry.yaml", spec, "dev").project.environments[0]!;
      const at = "2026-11-20T10:00:00.000Z";
      writeRelease(paths, {
        id: "v1",
        createdAt: at,
        updatedAt: at,
        status: kind === "deploy" ? "built" : "superseded",
        activations: kind === "deploy" ? [] : [at],
        secrets: {},
        model,
      });
      mkdirSync(join(releaseDir(paths, "v1"), "app"), { recursive: true });
      const sup = new Supervisor({
        paths,
        baseEnv: { PATH: process.env.PATH ?? "" },
        secretsKeyEnv: "11".repeat(32),
      });
      sup.log = () => undefined;
      try {
        const r = await sup.rollout(
          "v1",
          kind,
          () => undefined,
          () => true,
        );
        assert.equal(r.type, "failed");
        assert.match(r.message, /^interrupted: the command that asked for the deploy went away/);
        const v1 = readRelease(paths, "v1")!;
        if (kind === "deploy") assert.deepEqual([v1.status, v1.reason], ["failed", r.message]);
        else assert.deepEqual([v1.status, v1.reason], ["superseded", undefined]);
        assert.deepEqual(pidsRunning(`sleep 30.${process.pid}`), [], "its instance is stopped");
      } finally {
        for (const pid of pidsRunning(`sleep 30.${process.pid}`)) process.kill(pid, "SIGKILL");
        // Its state is written 20 ms after a change: let that happen before the directory goes.
        await sleep(100);
        cleanup();
      }
    });
});

describe("a second supervisor for the same environment", () => {
  it("ends at once, touching neither the first one's processes nor its state", async () => {
    const { dir, cleanup } = tempDir();
    const paths = envPaths(dir, "dev");
    mkdirSync(paths.logs, { recursive: true });
    // The first supervisor: a live process that holds the environment's supervisor lock.
    const first = spawn("sleep", ["30"], { stdio: "ignore" });
    await once(first, "spawn");
    acquireLock(join(paths.dir, "supervisor.lock"), "supervisor", first.pid);
    const state = JSON.stringify({ pid: first.pid, phase: "running", redis: {}, instances: [] });
    writeFileSync(paths.state, state);
    try {
      const second = spawn(
        process.execPath,
        ["--import", "tsx", join(REPO_ROOT, "src", "engine", "local", "daemon.ts"), dir, "dev", "0"],
        { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NODE_TEST_CONTEXT: "" } },
      );
      let out = "";
      second.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
      const [code] = (await once(second, "exit")) as [number | null];
      assert.equal(code, 1, out);
      assert.match(out, new RegExp(`^\\S+ not started: .*\`gantry supervisor\` \\(pid ${first.pid}, `));
      assert.equal(readFileSync(paths.state, "utf8"), state);
      assert.equal(first.exitCode, null, "the first one runs on");
    } finally {
      first.kill("SIGKILL");
      cleanup();
    }
  });
});

describe("a supervisor stopped while it starts", () => {
  const redisBin = findOnPath("redis-server", process.env.PATH);
  it(
    "stops what it was starting too: no Redis is left running",
    { skip: !redisBin && !process.env.CI && "needs redis-server" },
    async () => {
      const { dir, cleanup } = tempDir();
      const paths = envPaths(dir, "dev");
      const spec =
        "name: r\nservices:\n  w:\n    type: worker\n    build: .\n    command: sleep 1\n    uses: [cache]\nredis:\n  cache: {}\nenvironments:\n  dev: {}\n";
      mkdirSync(paths.logs, { recursive: true });
      chmodSync(dir, 0o755); // as root, Redis runs as another user, who must reach its directory
      writeJsonAtomic(paths.model, loadSpec("gantry.yaml", spec, "dev").project.environments[0]!);
      // What runs with its working directory in the app: Redis does, in its data directory.
      const ours = () =>
        readdirSync("/proc")
          .filter((d) => /^\d+$/.test(d))
          .map(Number)
          .filter((pid) => {
            try {
              return readlinkSync(`/proc/${pid}/cwd`).startsWith(dir) && pidAlive(pid);
            } catch {
              return false;
            }
          });
      const sup = new Supervisor({
        paths,
        baseEnv: { PATH: process.env.PATH ?? "" },
        secretsKeyEnv: "11".repeat(32),
      });
      // shutdown() ends the process; here it only says with which code.
      const exit = Object.getOwnPropertyDescriptor(process, "exit")!;
      let exited: number | undefined;
      process.exit = ((code?: number) => {
        exited = code ?? 0;
      }) as typeof process.exit;
      try {
        let starting = false;
        sup.log = (m) => {
          if (m.startsWith("starting Redis cache")) starting = true;
        };
        const started = sup.start();
        await until(() => starting, "the Redis is being started");
        // `gantry down` right after an interrupted `up`.
        await sup.shutdown(0);
        await started;
        assert.equal(exited, 0);
        await sleep(500);
        assert.deepEqual(ours(), [], "nothing the supervisor started runs on");
      } finally {
        Object.defineProperty(process, "exit", exit);
        for (const pid of ours()) process.kill(pid, "SIGKILL");
        await sleep(100);
        cleanup();
      }
    },
  );
});
