// The steps of a deploy's plan that the command runs (plan.ts, COMMAND_STEPS), each kind with its
// executor: the secrets are set (their versions recorded), the directories exist, the build commands
// run, and the built app is copied into a new immutable release. The supervisor runs the rest.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { AppModel } from "../../model/types.js";
import { UserError } from "../../errors.js";
import { exec } from "../../util/exec.js";
import { interrupted, type Progress } from "./client.js";
import { splitCommand } from "./command.js";
import { isDirectory } from "./fsutil.js";
import { childBaseEnv } from "./launch.js";
import { releaseDir, type EnvPaths } from "./paths.js";
import {
  isCommandStep,
  type BuildStep,
  type CommandStep,
  type DeployPlan,
  type ReleaseStep,
  type SecretsStep,
  type SourcesStep,
} from "./plan.js";
import { copyApp, readRelease, updateRelease, writeRelease, type ReleaseRecord } from "./release.js";
import type { SecretStore } from "./secrets.js";

export interface BuildOptions {
  store: SecretStore;
  /** The environment of the shell that ran the command; the builds inherit it. */
  env: NodeJS.ProcessEnv;
  progress: Progress;
  redact: (s: string) => string;
  /** Ctrl-C, SIGTERM or SIGHUP: the build is stopped, its whole process group with it. */
  signal?: AbortSignal;
}

/** What the steps of one build share. */
interface Build extends BuildOptions {
  p: EnvPaths;
  plan: DeployPlan;
  /** The versions of the secrets the release runs with (the secrets step). */
  versions: Record<string, number>;
}

type Executors = {
  [K in CommandStep["kind"]]: (s: Extract<CommandStep, { kind: K }>, b: Build) => void | Promise<void>;
};

/** Records the release as failed with `reason`; returns the error to throw. */
function failed(b: Build, reason: string, error: UserError): UserError {
  updateRelease(b.p, b.plan.release, { status: "failed", reason });
  return error;
}

function secrets(s: SecretsStep, b: Build): void {
  // First in the plan: a missing secret fails the deploy before minutes of building.
  const versions = b.store.versions();
  for (const { name, service } of s.secrets) {
    const version = versions[name];
    if (version === undefined)
      throw failed(
        b,
        `secret ${name} is not set`,
        new UserError(
          `secret ${name} (used by ${service}) is not set`,
          `run \`gantry secrets set ${name}${b.p.env ? ` --env ${b.p.env}` : ""}\` and type the value`,
        ),
      );
    b.versions[name] = version;
  }
}

function sources(s: SourcesStep, b: Build): void {
  // A directory the spec names but the app lacks would fail later as "spawn npm ENOENT", which reads
  // as a missing command.
  for (const d of s.directories) {
    if (isDirectory(join(b.p.appDir, d.dir))) continue;
    const reason = `${d.service}: its directory ${d.dir} does not exist`;
    throw failed(
      b,
      reason,
      new UserError(
        reason,
        `\`services.${d.service}.${d.field}\` is the directory of its code, relative to gantry.yaml`,
      ),
    );
  }
}

/**
 * Runs a build command (its argv after `--`) and stops its whole process group when the command that
 * started it is gone (killed with SIGKILL, which it cannot handle): it polls its parent's pid, which
 * changes when the parent dies. Without it, the build would run on, orphaned, writing into the app.
 * Plain JavaScript for `node -e`, so that it starts at once, without a compiler.
 */
const NOT_STARTED = "gantry build guard: could not start: ";
const BUILD_GUARD = `
const { spawn } = require("node:child_process");
const [cmd, ...args] = process.argv.slice(1);
const parent = process.ppid;
const child = spawn(cmd, args, { stdio: "inherit" });
child.on("error", (e) => { process.stderr.write("${NOT_STARTED}" + e.message + "\\n"); process.exit(127); });
const watch = setInterval(() => { if (process.ppid !== parent) process.kill(0, "SIGKILL"); }, 200);
child.on("exit", (code, signal) => {
  clearInterval(watch);
  process.exit(code ?? 128 + (require("node:os").constants.signals[signal] ?? 1));
});
`;

function tailOf(text: string, n = 20): string[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(-n);
}

async function build(s: BuildStep, b: Build): Promise<void> {
  const started = Date.now();
  b.progress(`building ${s.service}: ${s.command}`);
  const ticker = setInterval(
    () => b.progress(`  still building ${s.service} (${Math.round((Date.now() - started) / 1000)}s)`),
    10_000,
  );
  // Stopped by Ctrl-C: the build (its whole process group) is stopped, and the release recorded as failed.
  const stopped = (signal: AbortSignal) => {
    updateRelease(b.p, b.plan.release, { status: "failed", reason: "interrupted while building" });
    return interrupted(signal, `the build of ${b.plan.release} was stopped, and nothing was rolled out`);
  };
  let r;
  try {
    // Split here: a command that needs a shell fails the release as one that cannot start does.
    const argv = splitCommand(s.command, {});
    // Through the guard, in a process group of its own (the signal makes one).
    r = await exec(process.execPath, ["-e", BUILD_GUARD, "--", ...argv], {
      cwd: join(b.p.appDir, s.cwd),
      env: childBaseEnv(b.env),
      timeoutMs: 15 * 60_000,
      signal: b.signal ?? new AbortController().signal,
    });
  } catch (e) {
    if (b.signal?.aborted) throw stopped(b.signal);
    const reason = `build of ${s.service} could not start: ${(e as Error).message}`;
    throw failed(
      b,
      reason,
      new UserError(reason, e instanceof UserError ? e.hint : `check the build command \`${s.command}\``),
    );
  } finally {
    clearInterval(ticker);
  }
  if (b.signal?.aborted) throw stopped(b.signal);
  const notStarted = r.stderr.lastIndexOf(NOT_STARTED);
  if (r.code === 127 && notStarted >= 0) {
    const reason = `build of ${s.service} could not start: ${r.stderr.slice(notStarted + NOT_STARTED.length).trim()}`;
    throw failed(b, reason, new UserError(reason, `check the build command \`${s.command}\``));
  }
  if (r.code !== 0) {
    const reason = `build of ${s.service} failed (exit code ${r.code})`;
    throw failed(
      b,
      reason,
      new UserError(`${reason}; last lines:\n${tailOf(b.redact(r.stdout + r.stderr)).join("\n")}`),
    );
  }
  b.progress(`  built in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

function release(s: ReleaseStep, b: Build): void {
  // A static site whose output directory is missing would deploy "fine" and answer 404 to everything.
  for (const o of s.outputs) {
    if (isDirectory(join(b.p.appDir, o.root))) continue;
    const reason = `${o.service}: its output directory ${o.root} does not exist${o.built ? " after its build" : ""}`;
    throw failed(
      b,
      reason,
      new UserError(
        reason,
        `set \`services.${o.service}.output\` to the directory, relative to \`static\`, that holds its index.html (\`output: .\` serves the files as they are; the default is dist)`,
      ),
    );
  }
  const id = b.plan.release;
  const files = copyApp(b.p.appDir, join(releaseDir(b.p, id), "app"));
  updateRelease(b.p, id, { status: "built", secrets: b.versions });
  b.progress(`release ${id}: ${files} files in .gantry/${b.p.env}/releases/${id}/`);
}

const executors: Executors = { secrets, sources, build, release };

/** Runs one step with the executor of its kind (the table's type pairs each kind with its step). */
async function run(step: CommandStep, b: Build): Promise<void> {
  await (executors[step.kind] as (s: CommandStep, b: Build) => void | Promise<void>)(step, b);
}

/** Runs the command's steps of a deploy's plan: a new release, built, of `model`. */
export async function buildRelease(
  p: EnvPaths,
  plan: DeployPlan,
  model: AppModel,
  o: BuildOptions,
): Promise<ReleaseRecord> {
  const now = new Date().toISOString();
  mkdirSync(releaseDir(p, plan.release), { recursive: true });
  writeRelease(p, {
    id: plan.release,
    createdAt: now,
    updatedAt: now,
    status: "building",
    activations: [],
    secrets: {},
    model,
  });
  for (const x of plan.skipped) o.progress(`note: ${x.service} is not run: ${x.reason}`);
  const b: Build = { ...o, p, plan, versions: {} };
  for (const step of plan.steps) if (isCommandStep(step)) await run(step, b);
  return readRelease(p, plan.release)!;
}
