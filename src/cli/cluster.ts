// `gantry deploy|rollback|releases|status --target <name>`: the same commands as the local runtime's,
// against a cluster. The target renders its tree from the spec into a scratch directory (what is
// deployed is what the spec says now, as `gantry synth` would write it) and says which release that
// is (Target.clusterRelease); src/engine/kubernetes runs helm and kubectl with the user's kubeconfig.
import type { Command } from "commander";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SpecError, UserError, sortProblems } from "../errors.js";
import { kube, type Kube } from "../engine/kubernetes/client.js";
import {
  deploy,
  deployPlan,
  rollback,
  templateRelease,
  type DeployOptions,
} from "../engine/kubernetes/deploy.js";
import type { HelmRelease } from "../engine/kubernetes/release.js";
import { releaseRows, releaseStatus } from "../engine/kubernetes/status.js";
import { writeTree } from "../output/writer.js";
import { TARGETS, findTarget } from "../targets/registry.js";
import { findTool } from "../validate/tools.js";
import { table } from "./format.js";
import { interruptible, progress } from "./local-app.js";
import type { Io } from "./main.js";
import { locateSpec, readSpec } from "./spec-file.js";
import { synthContext, targetProblems } from "./synth.js";

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
  release: HelmRelease;
  tree: string;
  done: () => void;
}

/** The spec's release on the target, its tree written to a scratch directory, and the tools to deploy it. */
async function session(path: string, opts: ClusterOptions, io: Io, signal?: AbortSignal): Promise<Session> {
  const target = findTarget(opts.target ?? "");
  const deployable = TARGETS.filter((t) => t.clusterRelease).map((t) => t.name);
  if (!target?.clusterRelease)
    throw new UserError(
      `\`--target ${opts.target ?? ""}\` is not a target these commands deploy to`,
      `targets: local, ${deployable.join(", ")}`,
    );
  const loc = locateSpec(path, io.cwd);
  const loaded = readSpec(loc);
  const ctx = await synthContext(loc);
  const problems = sortProblems([...loaded.warnings, ...targetProblems(target, loaded, ctx)]);
  if (problems.some((p) => p.severity === "error")) throw new SpecError(problems);
  const envs = loaded.project.environments;
  const env = opts.env ? envs.find((e) => e.environment.name === opts.env) : envs[0];
  if (!env)
    throw new UserError(
      `${loc.display} has no environment \`${opts.env ?? ""}\``,
      `environments: ${envs.map((e) => e.environment.name).join(", ")}`,
    );
  const rendered = target.render(loaded.project, ctx);
  const kubectl = findTool("kubectl");
  const helm = findTool("helm");
  if (!kubectl || !helm)
    throw new UserError(
      `${[kubectl ? "" : "kubectl", helm ? "" : "helm"].filter(Boolean).join(" and ")} not found on PATH`,
      "install them (https://kubernetes.io/docs/tasks/tools/, https://helm.sh/docs/intro/install/)",
    );
  const tree = mkdtempSync(join(tmpdir(), "gantry-deploy-"));
  writeTree(tree, rendered, true);
  const release: HelmRelease = target.clusterRelease(env, rendered);
  const k = kube({
    kubectl,
    helm,
    ...(opts.context ? { context: opts.context } : {}),
    env: process.env,
    ...(signal ? { signal } : {}),
  });
  return { k, release, tree, done: () => rmSync(tree, { recursive: true, force: true }) };
}

async function withSession<T>(
  path: string,
  opts: ClusterOptions,
  io: Io,
  work: (s: Session, signal: AbortSignal) => Promise<T>,
) {
  const stop = interruptible();
  let s: Session | undefined;
  try {
    // Inside the try: a session that cannot start (a spec error, no helm) still releases the signals.
    s = await session(path, opts, io, stop.signal);
    return await work(s, stop.signal);
  } finally {
    s?.done();
    stop.dispose();
  }
}

function deployOptions(s: Session, opts: ClusterOptions, io: Io): DeployOptions {
  return {
    tree: s.tree,
    smoke: opts.smoke !== false,
    progress: progress(io),
    ...(opts.imageTag ? { imageTag: opts.imageTag } : {}),
  };
}

export async function clusterDeploy(path: string, opts: ClusterOptions, io: Io): Promise<void> {
  await withSession(path, opts, io, async (s) => {
    const o = deployOptions(s, opts, io);
    if (opts.plan) {
      const steps = deployPlan(s.release, await templateRelease(s.k, s.release, o), o);
      if (opts.json) {
        io.out(`${JSON.stringify(steps, null, 2)}\n`);
        return;
      }
      io.out(
        steps
          .map((st) => st.lines.map((l, i) => `${i ? " ".repeat(11) : st.kind.padEnd(11)}${l}\n`).join(""))
          .join(""),
      );
      return;
    }
    io.out(`${await deploy(s.k, s.release, o)}\n`);
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
      `${await rollback(s.k, s.release, deployOptions(s, opts, io), revision === undefined ? undefined : Number(revision))}\n`,
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
