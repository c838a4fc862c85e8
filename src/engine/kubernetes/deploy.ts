// `gantry deploy --target kubernetes`: runs the deploy plan (plan.ts), one executor per kind of step,
// in order. The cluster bootstrap when it is missing, the Secrets the pods read (names and keys only,
// never values), then one `helm upgrade --install --atomic`, which runs the migrations hook before
// any workload changes and undoes a rollout that does not complete; progress while it runs; smoke
// checks after it, and a rollback when they fail. A failure says why with the Warning events of the
// pods that failed.
import { join } from "node:path";
import type { ClusterRelease } from "../../model/cluster-release.js";
import { UserError } from "../../errors.js";
import { applyBootstrap } from "./bootstrap.js";
import { firstLines, type Kube } from "./client.js";
import type { TreeFiles } from "./manifests.js";
import {
  helmUpgradeArgs,
  type KubePlan,
  type KubeStep,
  type NamespaceStep,
  type PlatformStep,
  type QuotaStep,
  type SecretsStep,
  type SmokeStep,
  type UpgradeStep,
} from "./plan.js";
import { currentRevision, rollback } from "./rollback.js";
import { smokeCheck } from "./smoke.js";
import { failureEvents, watchRollout } from "./watch.js";

export interface DeployOptions {
  /** The tree the target rendered, in memory (the bootstrap's manifests are read from it). */
  files: TreeFiles;
  /** The same tree written to a directory, for what reads files: `helm upgrade` and the bootstrap's installer. */
  dir: string;
  progress: (line: string) => void;
}

interface Run extends DeployOptions {
  k: Kube;
  r: ClusterRelease;
}

/** The server's version, or why the cluster cannot be reached. */
async function reach(c: Run): Promise<void> {
  const v = await c.k.kubectl(["version", "--output", "json"]);
  if (v.code !== 0)
    throw new UserError(
      `cannot reach the cluster: ${firstLines(v, 3)}`,
      "check the kubeconfig (KUBECONFIG) and --context",
    );
  let version = "reached";
  try {
    const parsed = JSON.parse(v.stdout) as { serverVersion?: { gitVersion?: string } };
    version = `Kubernetes ${parsed.serverVersion?.gitVersion ?? "(version unknown)"}`;
  } catch {
    // A kubectl that prints no JSON still reached the cluster.
  }
  c.progress(`cluster: ${version}`);
}

/** Whether every group/version the chart uses is served; runs the cluster bootstrap once when not. */
async function ensurePlatform(s: PlatformStep, c: Run): Promise<void> {
  const missing = async () => {
    const served = new Set((await c.k.must(["api-versions"])).split("\n").map((l) => l.trim()));
    return s.apiVersions.filter((v) => !served.has(v));
  };
  let absent = await missing();
  if (!absent.length) return;
  if (!s.installer)
    throw new UserError(`the cluster does not serve ${absent.join(", ")}, which the chart uses`);
  c.progress(`the cluster does not serve ${absent.join(", ")}: running ${s.installer}`);
  const run = await c.k.script(join(c.dir, s.installer));
  if (run.code !== 0)
    throw new UserError(
      `${s.installer} failed: ${firstLines(run)}`,
      "it installs the platform charts from their Helm repositories: run it yourself to see each step",
    );
  absent = await missing();
  if (absent.length)
    throw new UserError(`the cluster still does not serve ${absent.join(", ")} after ${s.installer}`);
}

/** The environment's bootstrap before the upgrade (see bootstrap.ts: quotas only grow then). */
async function ensureNamespace(s: NamespaceStep, c: Run): Promise<void> {
  const changed = await applyBootstrap(c.k, c.r, c.files, "before");
  c.progress(
    changed.length
      ? `bootstrap of ${c.r.environment}: ${changed.join(", ")}`
      : `bootstrap of ${c.r.environment}: namespace ${s.namespace}, its quota and limits are in place`,
  );
}

/** Stops before the upgrade when the namespace lacks a Secret (or key) the pods read. Only key names are read. */
async function checkSecrets(s: SecretsStep, c: Run): Promise<void> {
  const missing: string[] = [];
  for (const x of s.secrets) {
    // The template prints key names only: the values never leave kubectl.
    const got = await c.k.kubectl([
      "get",
      "secret",
      x.name,
      "--namespace",
      s.namespace,
      "--output",
      'go-template={{range $k, $v := .data}}{{$k}}{{"\\n"}}{{end}}',
    ]);
    if (got.code !== 0) {
      missing.push(
        `${x.name}${x.keys.length ? ` (keys ${x.keys.join(", ")})` : ""}, read by ${x.users.join(", ")}`,
      );
      continue;
    }
    const keys = new Set(got.stdout.split("\n").filter(Boolean));
    const lacking = x.keys.filter((key) => !keys.has(key));
    if (lacking.length) missing.push(`${x.name} has no key ${lacking.join(", ")}`);
  }
  if (missing.length)
    throw new UserError(
      `namespace ${s.namespace} lacks the Secrets the pods read:\n${missing.map((m) => `  ${m}`).join("\n")}`,
      `create them first${s.doc ? ` (${s.doc} says how)` : ""}; the release was not touched`,
    );
}

/** The upgrade, watched; when it fails (and --atomic undid it), why: Helm's words, then the pods' events. */
async function upgrade(s: UpgradeStep, c: Run): Promise<void> {
  const { k, r } = c;
  if (s.hooks.length) c.progress(`migrations run first: ${s.hooks.map((h) => `job ${h.name}`).join(", ")}`);
  c.progress(
    `helm upgrade --install ${r.app} (namespace ${r.namespace}${s.imageTag ? `, image tag ${s.imageTag}` : ""})`,
  );
  const since = new Date();
  const done = await watchRollout(
    k,
    r.namespace,
    r.app,
    c.progress,
    k.helm(helmUpgradeArgs(r, c.dir, s.imageTag)),
  );
  if (done.code === 0) return;
  const events = await failureEvents(k, r.namespace, since);
  throw new UserError(
    `the deploy of ${r.app} to ${r.namespace} failed and was rolled back: ${firstLines(done)}${events.length ? `\n${events.map((e) => `  ${e}`).join("\n")}` : ""}`,
    `the release before it keeps serving; \`gantry releases --target kubernetes --env ${r.environment}\` lists the revisions`,
  );
}

/** The spec's quota as is, now that no pod of the release before needs room. */
async function settleQuota(_s: QuotaStep, c: Run): Promise<void> {
  const settled = await applyBootstrap(c.k, c.r, c.files, "after");
  if (settled.length) c.progress(`bootstrap of ${c.r.environment}: ${settled.join(", ")}`);
}

/** The smoke checks; when one fails, the rollback of `gantry rollback` (without its own smoke check). */
async function smoke(s: SmokeStep, c: Run): Promise<void> {
  const failed = await smokeCheck(s.urls, s.trusted, c.progress, s.attempts, s.pauseMs);
  if (!failed) return;
  c.progress(`smoke check failed (${failed}): rolling back`);
  let back: string;
  try {
    back = await rollback(c.k, c.r, { smoke: false, progress: c.progress });
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    throw new UserError(`smoke check failed: ${failed}; ${e.message}`, e.hint);
  }
  throw new UserError(
    `smoke check failed: ${failed}; ${back}`,
    "see `gantry status --target kubernetes` and the service's logs (`kubectl logs`)",
  );
}

type Execute = { [K in KubeStep["kind"]]: (s: Extract<KubeStep, { kind: K }>, c: Run) => Promise<void> };

const EXECUTE: Execute = {
  cluster: (_s, c) => reach(c),
  platform: ensurePlatform,
  namespace: ensureNamespace,
  secrets: checkSecrets,
  upgrade,
  quota: settleQuota,
  smoke,
};

/** Runs the plan's steps in order; the first that fails stops the deploy with its reason. */
export async function deploy(k: Kube, plan: KubePlan, o: DeployOptions): Promise<string> {
  const c: Run = { ...o, k, r: plan.release };
  for (const step of plan.steps)
    await (EXECUTE[step.kind] as (s: KubeStep, c: Run) => Promise<void>)(step, c);
  return `deployed ${c.r.app} revision ${await currentRevision(k, c.r)} to ${c.r.namespace}`;
}
