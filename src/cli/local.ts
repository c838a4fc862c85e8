// The local runtime's commands: up, deploy, rollback, releases, status, logs, run, down, destroy, secrets.
// Thin: they read the spec and the environment here, and leave the work to src/engine/local.
import type { Command } from "commander";
import { existsSync, fstatSync, readdirSync, rmSync, statSync, openSync, readSync, closeSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { AppModel } from "../model/types.js";
import { exec } from "../util/exec.js";
import { humanMs } from "../util/duration.js";
import { SpecError, UserError } from "../spec/problems.js";
import type { Io } from "./main.js";
import { locateSpec, readSpec, type SpecLocation } from "./spec-file.js";
import { envPaths, type EnvPaths } from "../engine/local/paths.js";
import { postgresDataDir } from "../engine/local/leftovers.js";
import { acquireLock, type Lock } from "../engine/local/lock.js";
import {
  INTERNAL_PREFIX,
  openStore,
  SecretStore,
  redactor,
  REDACT_MIN_LENGTH,
} from "../engine/local/secrets.js";
import { SECRET_NAME_PATTERN } from "../spec/schema-kit.js";
import {
  buildRelease,
  checkBinaries,
  interrupted,
  liveState,
  recoverReleases,
  cannotRollBackTo,
  rollbackTarget,
  requestJobRun,
  requestRollout,
  startSupervisor,
  startingSupervisor,
  stopSupervisor,
  supervisorStarted,
  type RolloutResult,
} from "../engine/local/client.js";
import { listReleases } from "../engine/local/release.js";
import { publicUrls, shadowedPaths } from "../engine/local/routing.js";
import { formatPlan, planDeploy } from "../engine/local/plan.js";
import { readState, type SupervisorState } from "../engine/local/state.js";
import { pidAlive, pidUid, readJson, subdirectories } from "../engine/local/fsutil.js";
import { userName } from "../util/user.js";
import { formatWall } from "../engine/local/cron-next.js";
import { leftoverPids } from "../engine/local/leftovers.js";
import { age, table } from "./format.js";
import { formatJobs, runFailure } from "./local-jobs.js";

interface Target {
  loc: SpecLocation;
  model: AppModel;
  paths: EnvPaths;
}

function target(path: string | undefined, env: string | undefined, io: Io): Target {
  const loc = locateSpec(path, io.cwd);
  const { project } = readSpec(loc, env);
  const model = project.environments[0]!;
  return { loc, model, paths: envPaths(loc.dir, model.environment.name) };
}

/** For commands that work without a valid spec (status, logs, down, destroy): the app dir and the environment. */
function targetLoose(
  path: string | undefined,
  env: string | undefined,
  io: Io,
): { loc: SpecLocation; paths: EnvPaths } {
  const loc = locateSpec(path, io.cwd);
  let name: string | undefined;
  try {
    // With --env, an environment the spec does not have is refused (a typo would be "not running").
    name = readSpec(loc, env).project.environments[0]?.environment.name;
  } catch (e) {
    // A spec that no longer loads, or no longer has the environment, must not stop `down` or
    // `status`: use the environment on disk.
    const dirs = subdirectories(join(loc.dir, ".gantry"));
    // Several on disk: which one cannot be guessed, but the command can still work with --env.
    if (!env && dirs.length > 1 && e instanceof SpecError)
      throw new UserError(
        `${loc.display} does not load (\`gantry validate\` shows why), so the environment to use is unknown`,
        `pass --env with one of those in .gantry/: ${dirs.join(", ")}`,
      );
    if (env ? !dirs.includes(env) : dirs.length !== 1) throw e;
    name = env ?? dirs[0];
  }
  if (!name) throw new UserError("cannot tell which environment to use", "pass --env NAME");
  return { loc, paths: envPaths(loc.dir, name) };
}

/**
 * A name a spec can list under `secrets:` (upper case, digits, underscores); Gantry's own entries
 * (`__gantry_...`, such as the database password) cannot be set or removed by hand.
 */
function checkSecretName(name: string): void {
  if (!new RegExp(SECRET_NAME_PATTERN).test(name))
    throw new UserError(
      `invalid secret name ${JSON.stringify(name)}`,
      "use upper-case letters, digits and underscores, starting with a letter, as in a spec's `secrets:` (STRIPE_API_KEY)",
    );
}

function store(paths: EnvPaths): SecretStore {
  return openStore(paths, process.env.GANTRY_SECRETS_KEY);
}

function secretRedactor(paths: EnvPaths): (s: string) => string {
  try {
    const s = store(paths);
    return redactor(Object.fromEntries(s.names(true).map((n) => [n, s.get(n) ?? ""])));
  } catch {
    return (t) => t;
  }
}

function lock(paths: EnvPaths, command: string, io: Io): Lock {
  const l = acquireLock(paths.lock, command);
  if (l.recovered) {
    io.err(
      `note: took over a stale lock left by \`gantry ${l.recovered.command}\` (pid ${l.recovered.pid}, which is gone)\n`,
    );
  }
  const fixed = recoverReleases(paths, readState(paths)?.release);
  if (fixed.length > 0)
    io.err(
      `note: marked interrupted release${fixed.length === 1 ? "" : "s"} ${fixed.join(", ")} as failed\n`,
    );
  return l;
}

/**
 * Ctrl-C, SIGTERM or SIGHUP during a command that holds the lock (up, deploy, rollback, down,
 * destroy) or follows a job's run: the signal aborts what the command is doing (the build, its
 * process group with it; the rollout, which the supervisor abandons unless it has switched; the wait
 * for a stop; the following of the run, which goes on), each step records what became of the
 * release, and the command ends through its `finally`, freeing the lock. Killed where it stood, it
 * left the lock stale, the release `building`, and the build running on. A second signal kills at
 * once.
 */
function interruptible(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  // SIGHUP too: the terminal closed. The build, in a process group of its own, would not get it.
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  const dispose = () => {
    for (const name of signals) process.off(name, onSignal);
  };
  const onSignal = (name: NodeJS.Signals) => {
    dispose();
    ac.abort(name);
  };
  for (const name of signals) process.once(name, onSignal);
  return { signal: ac.signal, dispose };
}

function progress(io: Io): (line: string) => void {
  const t0 = Date.now();
  return (line) => io.err(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}\n`);
}

function printUrls(io: Io, model: AppModel, st: SupervisorState): void {
  if (st.proxyPort) {
    for (const u of publicUrls(model, st.proxyPort)) io.out(`  ${u.service.padEnd(12)} ${u.url}\n`);
    for (const s of shadowedPaths(model))
      io.err(
        `note: ${s.by} and ${s.service} both have the path ${s.prefix}; ${s.by} gets its requests (the first by name), ${s.service} is at http://${s.service}.localhost:${st.proxyPort}/: give one of them another \`path\` in gantry.yaml\n`,
      );
  }
  for (const j of st.jobs ?? [])
    if (j.schedule)
      io.out(
        `  ${j.name.padEnd(12)} job: ${j.schedule} (${j.timezone ?? "UTC"}), next run ${j.nextRun ? formatWall(Date.parse(j.nextRun), j.timezone ?? "UTC") : `never (${j.problem ?? "?"})`}\n`,
      );
}

function fail(io: Io, r: RolloutResult): never {
  if (r.logs.length > 0) io.err(`--- last log lines ---\n${r.logs.join("\n")}\n`);
  // The message ends with "; vN keeps serving" when a release still serves; the first `up` has none.
  throw new UserError(
    r.message,
    `${r.hint ? `${r.hint}\n  then ` : ""}see \`gantry logs\` and \`gantry releases\``,
  );
}

/**
 * Refuses to roll out to an app whose supervisor runs as another user (`sudo gantry deploy` of an app
 * a user runs): the release this command writes would be root's, the supervisor could not record its
 * rollout (it stayed "deploying"), and the build's files left in the app would break the user's next
 * build.
 */
function checkSupervisorUser(paths: EnvPaths): void {
  const pid = readState(paths)?.pid;
  const owner = pid === undefined || !pidAlive(pid) ? undefined : pidUid(pid);
  const me = process.getuid?.();
  if (owner === undefined || me === undefined || owner === me) return;
  throw new UserError(
    `the app's supervisor (pid ${pid}) runs as ${userName(owner)}, and this command as ${userName(me)}: it could not use what the command writes`,
    `run the command as ${userName(owner)}`,
  );
}

async function deployNew(
  t: Target,
  io: Io,
  kind: "up" | "deploy",
  signal: AbortSignal,
  p = progress(io),
): Promise<void> {
  checkSupervisorUser(t.paths);
  const s = store(t.paths);
  const release = await buildRelease(t.paths, t.model, s, process.env, p, secretRedactor(t.paths), signal);
  p(`rolling out ${release.id}`);
  const r = await requestRollout(t.paths, release.id, "deploy", p, signal);
  if (!r.ok) fail(io, r);
  const st = (await liveState(t.paths)) ?? readState(t.paths)!;
  io.out(
    `${kind === "up" ? `${t.model.name} (${t.model.environment.name}) is up` : `deployed ${release.id}`}: ${r.message}\n`,
  );
  printUrls(io, t.model, st);
  if (kind === "up" && (await notIgnored(t.paths.appDir))) {
    io.err("note: .gantry/ holds databases, logs and sealed secrets; add it to .gitignore\n");
  }
}

/** True when the app is in a Git work tree that does not ignore `.gantry/` (false when Git is not there). */
async function notIgnored(dir: string): Promise<boolean> {
  try {
    const r = await exec("git", ["check-ignore", "-q", ".gantry/"], { cwd: dir, timeoutMs: 5000 });
    return r.code === 1;
  } catch {
    return false;
  }
}

/**
 * Streams the logs until Ctrl-C (or SIGTERM), then stops the app. It also ends when the supervisor
 * does: with 0 after a `gantry down` from elsewhere, with 1 when the supervisor died, so that a service
 * manager running `gantry up --attach` (systemd's Restart=on-failure) starts it again.
 */
async function attach(paths: EnvPaths, io: Io): Promise<void> {
  io.err("attached: streaming logs; press Ctrl-C to stop the app\n");
  const pid = readState(paths)?.pid;
  let watch: NodeJS.Timeout | undefined;
  const ended = new Promise<"signal" | "supervisor">((resolve) => {
    process.once("SIGINT", () => resolve("signal"));
    process.once("SIGTERM", () => resolve("signal"));
    watch = setInterval(() => {
      if (!pidAlive(pid)) resolve("supervisor");
    }, 1000);
  });
  const follower = followLogs(paths, undefined, io);
  // Nobody reads the logs any more (a journal restarting, a pipe closed): the app runs on, unstreamed.
  void io.outClosed?.then(() => follower.stop());
  const why = await ended;
  clearInterval(watch);
  follower.stop();
  if (why === "signal") {
    await stopSupervisor(paths, progress(io));
    return;
  }
  const st = readState(paths);
  if (st?.phase === "stopped") {
    io.err("the app was stopped (`gantry down`)\n");
    return;
  }
  throw new UserError(
    st?.phase === "failed" && st.error
      ? `the supervisor failed: ${st.error}; the app is not running`
      : `the supervisor (pid ${pid ?? "unknown"}) ended without stopping the app (killed?): the app is not running`,
    `its log is ${join(paths.logs, "supervisor.log")}; \`gantry up\` starts the app again with the same data`,
  );
}

function logFiles(paths: EnvPaths, service: string | undefined): string[] {
  const all = (existsSync(paths.logs) ? readdirSync(paths.logs) : [])
    .filter((f) => f.endsWith(".log"))
    .sort();
  if (!service) {
    // Services of the app (a job named redis-cleanup too) are merged; Gantry's own logs are not.
    const services = Object.keys(readJson<AppModel>(paths.model)?.services ?? {});
    return all
      .filter(
        (f) =>
          services.includes(basename(f, ".log")) ||
          (f !== "supervisor.log" && !f.startsWith("postgres") && !f.startsWith("redis-")),
      )
      .map((f) => join(paths.logs, f));
  }
  const f = all.find((x) => x === `${service}.log`);
  if (!f)
    throw new UserError(
      `no logs for ${service}`,
      `logs exist for: ${all.map((x) => x.replace(/\.log$/, "")).join(", ") || "nothing yet"}`,
    );
  return [join(paths.logs, f)];
}

/**
 * The last n lines of a log, read from its end: logs are never rotated, and an instance's health
 * checks alone add some 70 MB a day, so a log read whole would soon pass what a string can hold
 * (512 MiB) and fail, after filling the memory.
 */
function lastLines(file: string, n: number): string[] {
  if (n === 0) return []; // slice(-0) would be every line
  const fd = openSync(file, "r");
  try {
    const chunks: Buffer[] = [];
    let newlines = 0;
    // One newline more than n lines need: the first piece read may begin mid-line.
    for (let pos = fstatSync(fd).size; pos > 0 && newlines <= n;) {
      const len = Math.min(64 * 1024, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, pos);
      chunks.unshift(buf);
      for (const b of buf) if (b === 0x0a) newlines++;
    }
    return Buffer.concat(chunks)
      .toString("utf8")
      .split("\n")
      .filter((l) => l !== "")
      .slice(-n);
  } finally {
    closeSync(fd);
  }
}

/** The service column of merged logs; none for one service's log. */
function logPrefix(file: string, service: string | undefined): string {
  return service ? "" : `${basename(file, ".log").padEnd(10)} `;
}

function followLogs(paths: EnvPaths, service: string | undefined, io: Io): { stop: () => void } {
  const offsets = new Map<string, number>();
  for (const f of logFiles(paths, service)) offsets.set(f, statSync(f).size);
  const timer = setInterval(() => {
    let files: string[] = [];
    try {
      files = logFiles(paths, service);
    } catch {
      return;
    }
    for (const f of files) {
      const size = statSync(f).size;
      const from = offsets.get(f) ?? 0;
      if (size <= from) {
        offsets.set(f, size);
        continue;
      }
      const fd = openSync(f, "r");
      const buf = Buffer.alloc(size - from);
      readSync(fd, buf, 0, buf.length, from);
      closeSync(fd);
      const text = buf.toString("utf8");
      const end = text.lastIndexOf("\n") + 1;
      offsets.set(f, from + Buffer.byteLength(text.slice(0, end)));
      for (const l of text.slice(0, end).split("\n")) if (l) io.out(`${logPrefix(f, service)}${l}\n`);
    }
  }, 250);
  return { stop: () => clearInterval(timer) };
}

async function readSecretValue(name: string, io: Io): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of stdin) chunks.push(c as Buffer);
    // One trailing newline (from `echo` or a heredoc) is not part of the value.
    return Buffer.concat(chunks)
      .toString("utf8")
      .replace(/\r?\n$/, "");
  }
  io.err(`value for ${name} (input hidden): `);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    let value = "";
    const onData = (d: string) => {
      for (const ch of d) {
        if (ch === "\r" || ch === "\n") {
          done();
          resolve(value);
          return;
        }
        if (ch === "\u0003") {
          done();
          reject(new UserError("cancelled"));
          return;
        }
        if (ch === "\u007f") value = value.slice(0, -1);
        else value += ch;
      }
    };
    const done = () => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      io.err("\n");
    };
    stdin.on("data", onData);
  });
}

async function confirm(question: string, io: Io): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  io.err(`${question} [y/N] `);
  process.stdin.resume();
  process.stdin.setEncoding("utf8");
  const answer = await new Promise<string>((resolve) =>
    process.stdin.once("data", (d: string) => resolve(d)),
  );
  process.stdin.pause();
  return /^y(es)?\s*$/i.test(answer.trim());
}

/** The other environment of the app whose running proxy listens on `port` ("another program" would mislead). */
function envOnPort(paths: EnvPaths, port: number): string | undefined {
  const others = subdirectories(paths.root).filter((d) => d !== paths.env);
  return others.find((d) => {
    const st = readState(envPaths(paths.appDir, d));
    return st?.phase === "running" && st.proxyPort === port && pidAlive(st.pid);
  });
}

/** `up --port`: a TCP port number, checked before anything starts (Number("abc") would be any port). */
function portOption(text: string): number {
  const port = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535))
    throw new UserError(
      `--port must be a port number from 1 to 65535, not ${JSON.stringify(text)}`,
      "leave --port out to use the port of the last run, else a free one",
    );
  return port;
}

export function registerLocal(program: Command, io: Io): void {
  program
    .command("up")
    .description(
      "Run the app on this machine: PostgreSQL, Redis, topics, every service and a proxy, in the background.",
    )
    .argument("[path]", "gantry.yaml, or the directory that holds it", ".")
    .option("-e, --env <name>", "environment (default: the spec's first)")
    .option("-p, --port <port>", "proxy port (default: the last one used, else a free one)")
    .option("-a, --attach", "stay in the foreground and stream the logs; Ctrl-C stops the app")
    .action(async (path: string, opts: { env?: string; port?: string; attach?: boolean }) => {
      const port = opts.port === undefined ? undefined : portOption(opts.port);
      const t = target(path, opts.env, io);
      for (const note of await checkBinaries(t.model, process.env.PATH, postgresDataDir(t.paths)))
        io.err(`note: ${note}\n`);
      const l = lock(t.paths, "up", io);
      const stop = interruptible();
      try {
        const live = await liveState(t.paths);
        // A supervisor that runs keeps its proxy port: serving elsewhere than asked is refused, as
        // when another program holds the port.
        if (port !== undefined && live?.proxyPort !== undefined && live.proxyPort !== port)
          throw new UserError(
            `${t.model.name} (${t.model.environment.name}) already runs with its proxy on port ${live.proxyPort}, not ${port}`,
            `\`gantry down\`, then \`gantry up --port ${port}\`, moves it`,
          );
        if (live?.release) {
          io.out(
            `${t.model.name} (${t.model.environment.name}) is already running release ${live.release}; \`gantry deploy\` rolls out changes\n`,
          );
          printUrls(io, t.model, live);
        } else {
          const p = progress(io);
          const starting = live ? undefined : startingSupervisor(t.paths);
          if (starting) {
            p(`waiting for the supervisor (pid ${starting}), which an earlier \`gantry up\` started`);
            await supervisorStarted(t.paths, starting, { progress: p, signal: stop.signal });
          } else if (!live) {
            const other = port === undefined ? undefined : envOnPort(t.paths, port);
            if (other)
              throw new UserError(
                `port ${port} is the proxy of this app's ${other} environment`,
                "every environment needs a port of its own: pick another --port, or leave it out",
              );
            openStore(t.paths, process.env.GANTRY_SECRETS_KEY);
            await startSupervisor(t.paths, t.model, process.env, {
              ...(port !== undefined ? { requestedProxyPort: port } : {}),
              ...(process.env.GANTRY_CRASH_WATCH_MS
                ? { crashWatchMs: Number(process.env.GANTRY_CRASH_WATCH_MS) }
                : {}),
              progress: p,
              signal: stop.signal,
            });
          }
          await deployNew(t, io, "up", stop.signal, p);
        }
      } catch (e) {
        // With --attach, Ctrl-C (or a service manager's SIGTERM) stops the app, also before it serves.
        if (!opts.attach || !stop.signal.aborted) throw e;
        await stopSupervisor(t.paths, progress(io));
        throw interrupted(stop.signal, "the app was stopped before `up --attach` had started it");
      } finally {
        stop.dispose();
        l.release();
      }
      if (opts.attach) await attach(t.paths, io);
    });

  program
    .command("deploy")
    .description(
      "Build a new release and roll it out with zero downtime; a failed release is stopped and the old one keeps serving.",
    )
    .argument("[path]", "gantry.yaml, or the directory that holds it", ".")
    .option("-e, --env <name>", "environment (default: the spec's first)")
    .option("--plan", "print what the deploy would do, and do nothing")
    .action(async (path: string, opts: { env?: string; plan?: boolean }) => {
      const t = target(path, opts.env, io);
      if (opts.plan) {
        const st = readState(t.paths);
        const current = {
          ...(st?.release ? { release: st.release } : {}),
          instances: (st?.instances ?? [])
            .filter((i) => i.serving)
            .map((i) => ({ id: i.id, service: i.service })),
        };
        io.out(formatPlan(planDeploy(t.model, "(next)", current)));
        return;
      }
      const l = lock(t.paths, "deploy", io);
      const stop = interruptible();
      try {
        const live = await liveState(t.paths);
        if (!live)
          throw new UserError(
            `${t.model.name} (${t.model.environment.name}) is not running`,
            "start it with `gantry up`",
          );
        await deployNew(t, io, "deploy", stop.signal);
      } finally {
        stop.dispose();
        l.release();
      }
    });

  program
    .command("rollback")
    .description(
      "Deploy an earlier release again (default: the one before the serving release), through the same health-gated path.",
    )
    .argument("[release]", "release id such as v3 (see `gantry releases`)")
    .argument("[path]", "gantry.yaml, or the directory that holds it", ".")
    .option("-e, --env <name>", "environment (default: the spec's first)")
    .action(async (release: string | undefined, path: string, opts: { env?: string }) => {
      if (release && !/^v\d+$/.test(release)) {
        // One argument: a release id or the app's path. A mistyped id is not "a path that does not exist".
        if (path === "." && !existsSync(resolve(io.cwd, release)))
          throw new UserError(
            `there is no release ${JSON.stringify(release)}`,
            "a release is v and its number (v3), as `gantry releases` lists them",
          );
        path = release;
        release = undefined;
      }
      const { paths } = targetLoose(path, opts.env, io);
      const l = lock(paths, "rollback", io);
      const stop = interruptible();
      try {
        const live = await liveState(paths);
        if (!live) throw new UserError("the app is not running", "start it with `gantry up`");
        let id = release;
        if (!id) {
          const candidates = listReleases(paths).filter(
            (r) => r.id !== live.release && r.status !== "failed" && !cannotRollBackTo(paths, r),
          );
          const earlier = candidates.filter(
            (r) => Number(r.id.slice(1)) < Number((live.release ?? "v0").slice(1)),
          );
          id = (earlier.at(-1) ?? candidates.at(-1))?.id;
          if (!id)
            throw new UserError(
              "there is no earlier release to roll back to",
              "run `gantry releases` to see them",
            );
        }
        checkSupervisorUser(paths);
        const rec = rollbackTarget(paths, id, live.release);
        const p = progress(io);
        p(`rolling back from ${live.release ?? "nothing"} to ${id}`);
        const r = await requestRollout(paths, rec.id, "rollback", p, stop.signal);
        if (!r.ok) fail(io, r);
        io.out(`rolled back to ${id}: ${r.message}\n`);
      } finally {
        stop.dispose();
        l.release();
      }
    });

  program
    .command("releases")
    .description("List the releases of an environment, newest last, with their status.")
    .argument("[path]", "gantry.yaml, or the directory that holds it", ".")
    .option("-e, --env <name>", "environment (default: the spec's first)")
    .action((path: string, opts: { env?: string }) => {
      const { paths } = targetLoose(path, opts.env, io);
      const serving = readState(paths)?.release;
      const rows = [["RELEASE", "STATUS", "CREATED", "LAST ACTIVE", "REASON"]];
      for (const r of listReleases(paths))
        rows.push([
          `${r.id}${r.id === serving ? " *" : ""}`,
          r.status,
          r.createdAt,
          r.activations.at(-1) ?? "-",
          // A release that served and lost its copy of the app (only the newest ones keep theirs).
          r.reason ?? (r.activations.length > 0 ? (cannotRollBackTo(paths, r) ?? "") : ""),
        ]);
      if (rows.length === 1) {
        io.out("no releases yet; `gantry up` makes the first\n");
        return;
      }
      io.out(table(rows));
    });

  program
    .command("status")
    .description("Show services, instances, health, release, ports, uptime and restarts.")
    .argument("[path]", "gantry.yaml, or the directory that holds it", ".")
    .option("-e, --env <name>", "environment (default: the spec's first)")
    .option("--json", "print the state as JSON")
    .action(async (path: string, opts: { env?: string; json?: boolean }) => {
      const { paths } = targetLoose(path, opts.env, io);
      const live = await liveState(paths);
      const st = live ?? readState(paths);
      if (opts.json) {
        io.out(JSON.stringify({ running: live !== undefined, ...(st ?? {}) }, null, 2) + "\n");
        return;
      }
      if (!live) {
        io.out(
          `${paths.env}: not running${st?.release ? ` (last release ${st.release})` : ""}; \`gantry up\` starts it\n`,
        );
        // A killed supervisor's instances, Redis and PostgreSQL run on, unreachable: say so.
        const left = st && !pidAlive(st.pid) ? leftoverPids(paths) : [];
        if (left.length > 0)
          io.out(
            `its supervisor (pid ${st!.pid}) is gone, and left ${left.length} process${left.length === 1 ? "" : "es"} running (pid ${left.join(", ")}): \`gantry up\` stops ${left.length === 1 ? "it" : "them"} and starts the app again, \`gantry down\` only stops ${left.length === 1 ? "it" : "them"}\n`,
          );
        return;
      }
      io.out(
        `${paths.env}: ${live.release ? `running release ${live.release}` : "running, no release serving (`gantry releases` says why)"}${live.deploying ? `, deploying ${live.deploying}` : ""}; supervisor pid ${live.pid}, up ${age(live.startedAt)}\n`,
      );
      if (live.proxyPort) io.out(`proxy: http://127.0.0.1:${live.proxyPort}/\n`);
      const rows = [
        ["SERVICE", "INSTANCE", "STATUS", "READY", "PORT", "PID", "UPTIME", "RESTARTS", "LAST EXIT"],
      ];
      if (live.postgres)
        rows.push([
          "postgres",
          `postgres ${live.postgres.version ?? ""}`.trim(),
          pidAlive(live.postgres.pid) ? "running" : "down",
          "-",
          String(live.postgres.port),
          String(live.postgres.pid),
          age(live.startedAt),
          "0",
          "",
        ]);
      for (const [n, r] of Object.entries(live.redis))
        rows.push([
          "redis",
          n,
          pidAlive(r.pid) ? "running" : "down",
          "-",
          String(r.port),
          String(r.pid),
          age(live.startedAt),
          "0",
          "",
        ]);
      if (live.daprPort)
        rows.push([
          "pubsub",
          "dapr-api",
          "running",
          "-",
          String(live.daprPort),
          String(live.pid),
          age(live.startedAt),
          "0",
          "",
        ]);
      for (const i of [...live.instances].sort((a, b) => a.id.localeCompare(b.id))) {
        rows.push([
          i.service,
          `${i.id}${i.serving ? "" : " (new)"}`,
          i.status,
          i.ready ? "yes" : "no",
          i.port ? String(i.port) : "-",
          i.pid ? String(i.pid) : "-",
          i.pid ? age(i.startedAt) : "-",
          String(i.restarts),
          i.lastExit ?? "",
        ]);
      }
      io.out(table(rows));
      if (live.jobs && live.jobs.length > 0) io.out(`\n${formatJobs(live.jobs)}`);
      const loops = live.instances.filter((i) => i.status === "crash-loop");
      if (loops.length > 0)
        io.out(
          `\ncrash loop: ${loops.map((i) => i.id).join(", ")}; see \`gantry logs ${loops[0]!.service}\`\n`,
        );
    });

  program
    .command("logs")
    .description("Print a service's logs (all services without a name); -f follows them.")
    .argument("[service]", "service name (or postgres, redis-<name>, supervisor)")
    .argument("[path]", "gantry.yaml, or the directory that holds it", ".")
    .option("-e, --env <name>", "environment (default: the spec's first)")
    .option("-f, --follow", "keep printing new lines")
    .option("-n, --lines <n>", "how many lines to print first", "100")
    .action(
      async (
        service: string | undefined,
        path: string,
        opts: { env?: string; follow?: boolean; lines: string },
      ) => {
        if (
          service &&
          path === "." &&
          (service.includes("/") ||
            existsSync(join(io.cwd, service, "gantry.yaml")) ||
            service.endsWith(".yaml"))
        ) {
          path = service;
          service = undefined;
        }
        const { paths } = targetLoose(path, opts.env, io);
        // `-n 0` prints nothing before following, as tail's does; anything but a count is refused.
        if (!/^\d+$/.test(opts.lines.trim()))
          throw new UserError(
            `-n must be a number of lines, not ${JSON.stringify(opts.lines)}`,
            "`gantry logs api -n 50`; `-n 0 -f` prints only new lines",
          );
        const n = Number(opts.lines);
        const files = logFiles(paths, service);
        const lines: { time: string; shown: string }[] = [];
        for (const f of files)
          for (const l of lastLines(f, n))
            lines.push({ time: l.slice(0, 24), shown: `${logPrefix(f, service)}${l}` });
        // Every line starts with its ISO time: merged logs are sorted by it only (not by what follows the
        // service column, which is wider for names over 10 characters), and the sort is stable, so the
        // lines of one read, which share a time, keep their order.
        if (!service) lines.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
        for (const l of lines.slice(-n)) io.out(`${l.shown}\n`);
        if (opts.follow) {
          const f = followLogs(paths, service, io);
          await new Promise<void>((resolve) => {
            process.once("SIGINT", () => resolve());
            process.once("SIGTERM", () => resolve());
            void io.outClosed?.then(resolve);
          });
          f.stop();
        }
      },
    );

  program
    .command("run")
    .description("Run a scheduled job now in the serving release, stream its output, and exit 1 if it fails.")
    .argument("<job>", "a service with a `schedule`")
    .argument("[path]", "gantry.yaml, or the directory that holds it", ".")
    .option("-e, --env <name>", "environment (default: the spec's first)")
    .option("--no-retry", "run once, without the job's `retries`")
    .action(async (job: string, path: string, opts: { env?: string; retry: boolean }) => {
      const { paths } = targetLoose(path, opts.env, io);
      const live = await liveState(paths);
      if (!live?.release)
        throw new UserError(
          "the app is not running",
          `start it with \`gantry up\`, then \`gantry run ${job}\``,
        );
      const jobs = (live.jobs ?? []).filter((j) => j.schedule).map((j) => j.name);
      if (!jobs.includes(job)) {
        const service = live.instances.some((i) => i.service === job);
        throw new UserError(
          service
            ? `${job} is a service, not a scheduled job`
            : `there is no job ${job} in the serving release ${live.release}`,
          jobs.length > 0
            ? `its jobs: ${jobs.join(", ")}`
            : "a job is a service with a `schedule` in gantry.yaml; add one, then `gantry deploy`",
        );
      }
      const p = progress(io);
      const stop = interruptible();
      let record;
      try {
        record = await requestJobRun(paths, job, { retry: opts.retry, signal: stop.signal }, (e) => {
          if (e.type === "line") io.out(`${e.text}\n`);
          else if (e.type === "step") p(e.message);
        });
      } finally {
        stop.dispose();
      }
      if (record.result !== "succeeded")
        throw new UserError(runFailure(job, record), `see \`gantry logs ${job}\` and \`gantry status\``);
      p(`${record.id} succeeded in ${humanMs(record.durationMs)} (${record.reason})`);
    });

  program
    .command("down")
    .description("Stop the app and everything it runs; data (databases, Redis, releases, secrets) is kept.")
    .argument("[path]", "gantry.yaml, or the directory that holds it", ".")
    .option("-e, --env <name>", "environment (default: the spec's first)")
    .action(async (path: string, opts: { env?: string }) => {
      const { paths } = targetLoose(path, opts.env, io);
      // Never started here: nothing to stop, and the lock would leave an empty .gantry/<env>/ behind.
      if (!existsSync(paths.dir)) {
        io.out(`${paths.env}: not running\n`);
        return;
      }
      const l = lock(paths, "down", io);
      const stop = interruptible();
      try {
        const stopped = await stopSupervisor(paths, progress(io), stop.signal);
        io.out(
          stopped
            ? `${paths.env}: stopped; data kept in ${join(".gantry", paths.env)}/\n`
            : `${paths.env}: not running\n`,
        );
      } finally {
        stop.dispose();
        l.release();
      }
    });

  program
    .command("destroy")
    .description(
      "Stop the app and delete its data: databases, Redis, releases, logs and secrets of the environment.",
    )
    .argument("[path]", "gantry.yaml, or the directory that holds it", ".")
    .option("-e, --env <name>", "environment (default: the spec's first)")
    .option("-y, --yes", "do not ask for confirmation")
    .action(async (path: string, opts: { env?: string; yes?: boolean }) => {
      const { paths } = targetLoose(path, opts.env, io);
      if (!opts.yes) {
        const ok = await confirm(
          `delete every database, Redis data, release and secret of ${paths.env} in ${paths.dir}?`,
          io,
        );
        if (!ok)
          throw new UserError(
            "not confirmed; nothing deleted",
            process.stdin.isTTY ? undefined : "pass --yes to destroy without a prompt",
          );
      }
      const l = lock(paths, "destroy", io);
      const stop = interruptible();
      try {
        await stopSupervisor(paths, progress(io), stop.signal);
      } finally {
        stop.dispose();
        l.release();
      }
      rmSync(paths.dir, { recursive: true, force: true });
      if (subdirectories(paths.root).length === 0) rmSync(paths.root, { recursive: true, force: true });
      io.out(`${paths.env}: destroyed\n`);
    });

  const secrets = program
    .command("secrets")
    .description("Manage the encrypted secrets the local runtime injects into services.");
  secrets
    .command("set")
    .description(
      "Set a secret; the value is read from stdin or a hidden prompt, never from the command line.",
    )
    .argument("<name>", "secret name, such as STRIPE_API_KEY")
    .argument("[path]", "gantry.yaml, or the directory that holds it", ".")
    .option("-e, --env <name>", "environment (default: the spec's first)")
    .action(async (name: string, path: string, opts: { env?: string }) => {
      checkSecretName(name);
      const { paths } = targetLoose(path, opts.env, io);
      const value = await readSecretValue(name, io);
      if (value === "")
        throw new UserError(
          `no value given for ${name}`,
          `pipe it in: \`printf %s "$VALUE" | gantry secrets set ${name}\``,
        );
      const version = store(paths).set(name, value);
      if (value.length < REDACT_MIN_LENGTH)
        io.err(
          `warning: the value of ${name} is shorter than ${REDACT_MIN_LENGTH} characters, so it cannot be redacted from logs and errors\n`,
        );
      io.out(`${name} set (version ${version}) for ${paths.env}; \`gantry deploy\` rolls it out\n`);
    });
  secrets
    .command("list")
    .description("List the secrets' names and versions (never their values).")
    .argument("[path]", "gantry.yaml, or the directory that holds it", ".")
    .option("-e, --env <name>", "environment (default: the spec's first)")
    .action((path: string, opts: { env?: string }) => {
      const { paths } = targetLoose(path, opts.env, io);
      const info = existsSync(paths.secrets) ? store(paths).info() : [];
      if (info.length === 0) {
        io.out(`no secrets set for ${paths.env}\n`);
        return;
      }
      io.out(
        table([["NAME", "VERSION", "UPDATED"], ...info.map((s) => [s.name, String(s.version), s.updated])]),
      );
    });
  secrets
    .command("rm")
    .description("Remove a secret (every version).")
    .argument("<name>", "secret name")
    .argument("[path]", "gantry.yaml, or the directory that holds it", ".")
    .option("-e, --env <name>", "environment (default: the spec's first)")
    .action((name: string, path: string, opts: { env?: string }) => {
      // Names set before the spec's rule was enforced can still be removed; Gantry's own cannot.
      if (name.startsWith(INTERNAL_PREFIX)) checkSecretName(name);
      const { paths } = targetLoose(path, opts.env, io);
      if (!existsSync(paths.secrets) || !store(paths).remove(name))
        throw new UserError(`no secret ${name} in ${paths.env}`);
      io.out(`${name} removed from ${paths.env}\n`);
    });
}
