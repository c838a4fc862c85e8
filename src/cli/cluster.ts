// `gantry deploy|rollback|releases|status --target <name>`: the same commands as the local runtime's,
// against a cluster. The target renders its tree from the spec in memory, through synth's pipeline
// (what is deployed is what the spec says now, as `gantry synth` would write it), and says which
// release that is (Target.clusterRelease); src/engine/kubernetes runs helm and kubectl with the user's
// kubeconfig. Only a deploy writes the tree, to a scratch directory, since only Helm reads files.
import type { Command } from "commander";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { kube, type Kube } from "../engine/kubernetes/client.js";
import { deploy } from "../engine/kubernetes/deploy.js";
import { planDeploy } from "../engine/kubernetes/plan.js";
import { formatKubePlan } from "../engine/kubernetes/plan-format.js";
import { rollback } from "../engine/kubernetes/rollback.js";
import { releaseRows, releaseStatus } from "../engine/kubernetes/status.js";
import type { ClusterRelease } from "../model/cluster-release.js";
import { writeTree } from "../output/writer.js";
import { TARGETS, findTarget } from "../targets/registry.js";
import type { FileTree } from "../targets/target.js";
import { findTool } from "../validate/tools.js";
import { table } from "./format.js";
import { interruptible, progress } from "./local-app.js";
import type { Io } from "./main.js";
import { locateSpec } from "./spec-file.js";
import { synthesize } from "./synth.js";

export interface ClusterOptions {
  env?: string;
  target?: string;
  context?: string;
  imageTag?: string;
  smoke?: boolean;
  plan?: boolean;
  json?: boolean;
}

/** `--target local` (the default) is the local runtime; any other name is a cluster target. */
export function onCluster(opts: { target?: string }): boolean {
  return opts.target !== undefined && opts.target !== "local";
}

/** The options every cluster command takes, after the local runtime's path and --env. */
export function clusterOptions(cmd: Command): Command {
  const names = TARGETS.filter((t) => t.clusterRelease).map((t) => t.name);
  return cmd
    .option("-t, --target <name>", `where: local (default, this machine) or ${names.join(", ")}`)
    .option("--context <name>", "with --target: the kubeconfig context (default: the current one)");
}

interface Session {
  k: Kube;
  release: ClusterRelease;
  /** The target's tree, in memory: written to disk only by the commands that hand files to helm. */
  files: FileTree;
}

/** The spec's release on the target, rendered as `gantry synth` renders it, and the tools to deploy it. */
async function session(path: string, opts: ClusterOptions, io: Io, signal?: AbortSignal): Promise<Session> {
  const target = findTarget(opts.target ?? "");
  const deployable = TARGETS.filter((t) => t.clusterRelease).map((t) => t.name);
  if (!target?.clusterRelease)
    throw new UserError(
      `\`--target ${opts.target ?? ""}\` is not a target these commands deploy to`,
      `targets: local, ${deployable.join(", ")}`,
    );
  const loc = locateSpec(path, io.cwd);
  // The spec's warnings are `gantry check`'s and `synth`'s to say: a deploy stops on errors only.
  const { loaded, tree } = await synthesize(target, loc);
  const envs = loaded.project.environments;
  const env = opts.env ? envs.find((e) => e.environment.name === opts.env) : envs[0];
  if (!env)
    throw new UserError(
      `${loc.display} has no environment \`${opts.env ?? ""}\``,
      `environments: ${envs.map((e) => e.environment.name).join(", ")}`,
    );
  const kubectl = findTool("kubectl");
  const helm = findTool("helm");
  if (!kubectl || !helm)
    throw new UserError(
      `${[kubectl ? "" : "kubectl", helm ? "" : "helm"].filter(Boolean).join(" and ")} not found on PATH`,
      "install them (https://kubernetes.io/docs/tasks/tools/, https://helm.sh/docs/intro/install/)",
    );
  const k = kube({
    kubectl,
    helm,
    ...(opts.context ? { context: opts.context } : {}),
    env: process.env,
    ...(signal ? { signal } : {}),
  });
  return { k, release: target.clusterRelease(env, tree), files: tree };
}

async function withSession<T>(
  path: string,
  opts: ClusterOptions,
  io: Io,
  work: (s: Session, signal: AbortSignal) => Promise<T>,
) {
  const stop = interruptible();
  try {
    // Inside the try: a session that cannot start (a spec error, no helm) still releases the signals.
    return await work(await session(path, opts, io, stop.signal), stop.signal);
  } finally {
    stop.dispose();
  }
}

/** The tree written to a scratch directory while `work` runs, removed however it ends. */
async function inScratchDir<T>(files: FileTree, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "gantry-deploy-"));
  try {
    writeTree(dir, files, true);
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function clusterDeploy(path: string, opts: ClusterOptions, io: Io): Promise<void> {
  await withSession(path, opts, io, async (s) => {
    const plan = planDeploy(s.release, s.files, {
      smoke: opts.smoke !== false,
      ...(opts.imageTag ? { imageTag: opts.imageTag } : {}),
    });
    if (opts.plan) {
      io.out(opts.json ? `${JSON.stringify(plan, null, 2)}\n` : formatKubePlan(plan));
      return;
    }
    const done = await inScratchDir(s.files, (dir) =>
      deploy(s.k, plan, { files: s.files, dir, progress: progress(io) }),
    );
    io.out(`${done}\n`);
  });
}

export async function clusterRollback(
  revision: string | undefined,
  path: string,
  opts: ClusterOptions,
  io: Io,
) {
  if (revision !== undefined && !/^\d+$/.test(revision) && path === ".") {
    // One argument: a revision or the app's path, as the local rollback reads it.
    path = revision;
    revision = undefined;
  }
  if (revision !== undefined && !/^\d+$/.test(revision))
    throw new UserError(
      `\`${revision}\` is not a revision`,
      "a Helm revision number, as `gantry releases --target` lists them",
    );
  await withSession(path, opts, io, async (s) => {
    io.out(
      `${await rollback(s.k, s.release, { smoke: opts.smoke !== false, progress: progress(io) }, revision === undefined ? undefined : Number(revision))}\n`,
    );
  });
}

export async function clusterReleases(path: string, opts: ClusterOptions, io: Io) {
  await withSession(path, opts, io, async (s) => {
    const rows = await releaseRows(s.k, s.release);
    if (!rows.length) {
      io.out(
        `${s.release.app} is not installed in namespace ${s.release.namespace}; \`gantry deploy --target ${opts.target ?? ""}\` installs it\n`,
      );
      return;
    }
    io.out(table([["REVISION", "STATUS", "UPDATED", "CHART", "DESCRIPTION"], ...rows]));
  });
}

export async function clusterStatus(path: string, opts: ClusterOptions & { json?: boolean }, io: Io) {
  await withSession(path, opts, io, async (s) => {
    const st = await releaseStatus(s.k, s.release);
    if (opts.json) {
      io.out(
        `${JSON.stringify({ release: s.release.app, namespace: s.release.namespace, ...st }, null, 2)}\n`,
      );
      return;
    }
    if (st.revision === undefined) {
      io.out(`${s.release.app} is not installed in namespace ${s.release.namespace}\n`);
      return;
    }
    io.out(
      `${s.release.app} (${s.release.environment}, namespace ${s.release.namespace}): revision ${st.revision}, ${st.status ?? "?"}\n`,
    );
    for (const w of st.workloads) io.out(`  ${w}\n`);
  });
}
