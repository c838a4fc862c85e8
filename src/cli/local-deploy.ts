// `gantry deploy`, `rollback` and `releases`, and the deploy of a new release that `up` shares: the plan
// (the supervisor's, which runs it), the build by this command, then the rollout by the supervisor.
import type { Command } from "commander";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { AppModel } from "../model/types.js";
import { UserError } from "../errors.js";
import { exec } from "../util/exec.js";
import { buildRelease } from "../engine/local/build.js";
import { deployPlan, liveState, requestRollout, type RolloutResult } from "../engine/local/client.js";
import { formatWall } from "../engine/local/cron-next.js";
import type { EnvPaths } from "../engine/local/paths.js";
import { formatPlan } from "../engine/local/plan-format.js";
import {
  cannotRollBackTo,
  listReleases,
  readRelease,
  releaseIds,
  rollbackTarget,
} from "../engine/local/release.js";
import { publicUrls, shadowedPaths } from "../engine/local/routing.js";
import { readState, type SupervisorState } from "../engine/local/state.js";
import { table } from "./format.js";
import {
  clusterDeploy,
  clusterOptions,
  clusterReleases,
  clusterRollback,
  onCluster,
  type ClusterOptions,
} from "./cluster.js";
import { rollBackData, schemaCell } from "./local-rollback-data.js";
import type { Io } from "./main.js";
import {
  appArguments,
  checkSupervisorUser,
  isDiskFull,
  lock,
  locked,
  progress,
  secretRedactor,
  store,
  localApp,
  localAppLoose,
  type LocalApp,
} from "./local-app.js";

export function printUrls(io: Io, model: AppModel, st: SupervisorState): void {
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

export function fail(io: Io, r: RolloutResult): never {
  if (r.logs.length > 0) io.err(`--- last log lines ---\n${r.logs.join("\n")}\n`);
  // The message ends with "; vN keeps serving" when a release still serves; the first `up` has none.
  throw new UserError(
    r.message,
    `${r.hint ? `${r.hint}\n  then ` : ""}see \`gantry logs\` and \`gantry releases\``,
  );
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

/** Plans, builds and rolls out a new release of the spec (`up` once the supervisor runs, and `deploy`). */
export async function deployNew(
  t: LocalApp,
  io: Io,
  kind: "up" | "deploy",
  signal: AbortSignal,
  p = progress(io),
): Promise<void> {
  checkSupervisorUser(t.paths);
  const plan = await deployPlan(t.paths, t.model, await liveState(t.paths));
  const release = await buildRelease(t.paths, plan, t.model, {
    store: store(t.paths),
    env: process.env,
    progress: p,
    redact: secretRedactor(t.paths),
    signal,
  });
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

async function deploy(path: string, opts: { env?: string; plan?: boolean; json?: boolean }, io: Io) {
  if (opts.json && !opts.plan)
    throw new UserError("--json goes with --plan", "`gantry deploy --plan --json`");
  const t = localApp(path, opts.env, io);
  if (opts.plan) {
    // The plan the deploy would run now, from the supervisor that would run it.
    const plan = await deployPlan(t.paths, t.model, await liveState(t.paths));
    io.out(opts.json ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan));
    return;
  }
  await locked(t.paths, "deploy", io, async (signal) => {
    const live = await liveState(t.paths);
    if (!live)
      throw new UserError(
        `${t.model.name} (${t.model.environment.name}) is not running`,
        "start it with `gantry up`",
      );
    await deployNew(t, io, "deploy", signal);
  });
}

/** The release `rollback` without an id goes to: the newest before the serving one that can serve again. */
function previousRelease(paths: EnvPaths, serving: string | undefined): string {
  const candidates = listReleases(paths).filter(
    (r) => r.id !== serving && r.status !== "failed" && !cannotRollBackTo(paths, r),
  );
  const earlier = candidates.filter((r) => Number(r.id.slice(1)) < Number((serving ?? "v0").slice(1)));
  const id = (earlier.at(-1) ?? candidates.at(-1))?.id;
  if (!id)
    throw new UserError("there is no earlier release to roll back to", "run `gantry releases` to see them");
  return id;
}

async function rollback(
  release: string | undefined,
  path: string,
  opts: { env?: string; data?: boolean; yes?: boolean },
  io: Io,
) {
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
  const { paths } = localAppLoose(path, opts.env, io);
  await locked(paths, "rollback", io, async (signal) => {
    const live = await liveState(paths);
    if (!live) throw new UserError("the app is not running", "start it with `gantry up`");
    const id = release ?? previousRelease(paths, live.release);
    checkSupervisorUser(paths);
    const rec = rollbackTarget(paths, id, live.release);
    const p = progress(io);
    if (opts.data) await rollBackData(paths, id, live.release, opts.yes === true, io, p);
    p(`rolling back from ${live.release ?? "nothing"} to ${id}`);
    const r = await requestRollout(paths, rec.id, "rollback", p, signal);
    if (!r.ok) fail(io, r);
    io.out(`rolled back to ${id}: ${r.message}\n`);
  });
}

/**
 * Marks the releases a killed command left `building` or `deploying` as failed, unless a command that
 * runs holds the lock (its build goes on). Nothing is marked on a disk that cannot be written.
 */
function settleInterrupted(paths: EnvPaths, io: Io): void {
  try {
    lock(paths, "releases", io).release();
  } catch (e) {
    if (!(e instanceof UserError) && !isDiskFull(e)) throw e;
  }
}

function releases(path: string, opts: { env?: string }, io: Io) {
  const { paths } = localAppLoose(path, opts.env, io);
  if (existsSync(paths.releases)) settleInterrupted(paths, io);
  const serving = readState(paths)?.release;
  const rows = [["RELEASE", "STATUS", "CREATED", "LAST ACTIVE", "SCHEMA", "REASON"]];
  for (const id of releaseIds(paths)) {
    const r = readRelease(paths, id);
    // A record that cannot be read (truncated, garbage) is shown, not skipped: the release is there.
    if (!r) {
      rows.push([
        id,
        "unreadable",
        "-",
        "-",
        "",
        `${join(".gantry", paths.env, "releases", id, "release.json")} is missing or damaged`,
      ]);
      continue;
    }
    rows.push([
      `${r.id}${r.id === serving ? " *" : ""}`,
      r.status,
      r.createdAt,
      r.activations.at(-1) ?? "-",
      schemaCell(r),
      // A release that served and lost its copy of the app (only the newest ones keep theirs).
      r.reason ?? (r.activations.length > 0 ? (cannotRollBackTo(paths, r) ?? "") : ""),
    ]);
  }
  if (rows.length === 1) {
    io.out("no releases yet; `gantry up` makes the first\n");
    return;
  }
  io.out(table(rows));
}

export function registerDeploy(program: Command, io: Io): void {
  clusterOptions(
    appArguments(
      program
        .command("deploy")
        .description(
          "Build a new release and roll it out with zero downtime; a failed release is stopped and the old one keeps serving. With --target kubernetes: install or upgrade the Helm release in the cluster, rolled back when it fails.",
        ),
    ),
  )
    .option(
      "--image-tag <tag>",
      "with --target: the image tag to deploy (global.imageTag; default: the chart's)",
    )
    .option("--no-smoke", "with --target: skip the smoke checks of the public URLs")
    .option("--plan", "print what the deploy would do, and do nothing")
    .option("--json", "with --plan: print the plan as JSON")
    .action((path: string, opts: ClusterOptions & { json?: boolean }) =>
      onCluster(opts) ? clusterDeploy(path, opts, io) : deploy(path, opts, io),
    );
  clusterOptions(
    appArguments(
      program
        .command("rollback")
        .description(
          "Deploy an earlier release again (default: the one before the serving release), through the same health-gated path.",
        )
        .argument(
          "[release]",
          "release id such as v3 (see `gantry releases`), or a Helm revision with --target",
        ),
    ),
  )
    .option("--no-smoke", "with --target: skip the smoke checks of the public URLs")
    .option(
      "--data",
      "also return the database to the restore point taken before the migrations of the release after it (asks first; the current data is kept as a backup)",
    )
    .option("-y, --yes", "with --data: do not ask for confirmation")
    .action(
      (
        release: string | undefined,
        path: string,
        opts: ClusterOptions & { data?: boolean; yes?: boolean },
      ) => {
        if (!onCluster(opts)) return rollback(release, path, opts, io);
        if (opts.data)
          throw new UserError(
            "--data returns the local runtime's database; a cluster's databases are restored as its operations/disaster-recovery.md says",
            "roll the release back without --data",
          );
        return clusterRollback(release, path, opts, io);
      },
    );
  clusterOptions(
    appArguments(
      program
        .command("releases")
        .description("List the releases of an environment, newest last, with their status."),
    ),
  ).action((path: string, opts: ClusterOptions) =>
    onCluster(opts) ? clusterReleases(path, opts, io) : releases(path, opts, io),
  );
}
