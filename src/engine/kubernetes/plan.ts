// `gantry deploy --target kubernetes` as a plan: the steps of one environment's deploy, in the order
// they run, each a typed value made from the release and the objects it installs (read from the
// target's rendered manifests: no cluster is needed to plan). `--plan` prints it (plan-format.ts);
// deploy.ts runs it, one executor per kind. Pure.
import { join } from "node:path";
import type { ClusterRelease } from "../../model/cluster-release.js";
import { installedObjects, type NeededSecret, type TreeFiles } from "./manifests.js";

/** The cluster answers; its version is reported. */
export interface ClusterStep {
  kind: "cluster";
}

/** The cluster serves every API version the chart uses; else the cluster bootstrap runs once. */
export interface PlatformStep {
  kind: "platform";
  apiVersions: string[];
  installer?: string;
}

/** The environment's namespace, quota and limit range, made or kept to the spec; quotas only grow here. */
export interface NamespaceStep {
  kind: "namespace";
  namespace: string;
  manifests: string[];
}

/** Each Secret (and key) the pods read exists; names only, never values. */
export interface SecretsStep {
  kind: "secrets";
  namespace: string;
  secrets: NeededSecret[];
  doc?: string;
}

/**
 * One `helm upgrade --install --atomic`: Helm runs the hook Jobs (migrations) before any workload
 * changes and undoes a rollout that does not complete; the workloads are watched meanwhile.
 */
export interface UpgradeStep {
  kind: "upgrade";
  imageTag?: string;
  hooks: { name: string; phases: string[] }[];
  workloads: { kind: "Deployment" | "StatefulSet"; name: string }[];
}

/** The bootstrap as the spec gives it, once no pod of the release before needs room (see bootstrap.ts). */
export interface QuotaStep {
  kind: "quota";
  manifests: string[];
}

/** The public health URLs answer; when one does not, the release rolls back to the one before. */
export interface SmokeStep {
  kind: "smoke";
  urls: string[];
  trusted: boolean;
  attempts: number;
  pauseMs: number;
}

export type KubeStep =
  ClusterStep | PlatformStep | NamespaceStep | SecretsStep | UpgradeStep | QuotaStep | SmokeStep;

export interface KubePlan {
  release: ClusterRelease;
  steps: KubeStep[];
  /** What the deploy leaves out, and why (printed as notes). */
  skipped: string[];
}

/** A URL gets this many tries, this far apart, while the ingress and DNS catch up. */
export const SMOKE_ATTEMPTS = 5;
export const SMOKE_PAUSE_MS = 3000;

export interface PlanOptions {
  imageTag?: string;
  /** Whether the smoke checks run (`--no-smoke`: a cluster whose public URLs this machine cannot reach). */
  smoke: boolean;
}

/** The steps of the deploy of `r`, from the tree its target rendered. */
export function planDeploy(r: ClusterRelease, files: TreeFiles, o: PlanOptions): KubePlan {
  const objects = installedObjects(r, files);
  const { manifests, installer, secretsDoc } = r.bootstrap;
  const steps: KubeStep[] = [
    { kind: "cluster" },
    { kind: "platform", apiVersions: objects.apiVersions, ...(installer ? { installer } : {}) },
    { kind: "namespace", namespace: r.namespace, manifests },
    {
      kind: "secrets",
      namespace: r.namespace,
      secrets: objects.secrets,
      ...(secretsDoc ? { doc: secretsDoc } : {}),
    },
    {
      kind: "upgrade",
      ...(o.imageTag ? { imageTag: o.imageTag } : {}),
      hooks: objects.hooks,
      workloads: objects.workloads,
    },
    { kind: "quota", manifests },
  ];
  const skipped: string[] = [];
  if (!o.smoke) skipped.push("smoke checks (--no-smoke)");
  else if (!r.smoke.urls.length) skipped.push("smoke checks: no public health URL in the spec");
  else
    steps.push({
      kind: "smoke",
      urls: r.smoke.urls,
      trusted: r.smoke.trusted,
      attempts: SMOKE_ATTEMPTS,
      pauseMs: SMOKE_PAUSE_MS,
    });
  return { release: r, steps, skipped };
}

/**
 * The arguments of the deploy's `helm upgrade`, the chart and values under `dir` (the written tree;
 * "" for paths relative to it, as the plan prints them).
 */
export function helmUpgradeArgs(r: ClusterRelease, dir: string, imageTag?: string): string[] {
  const at = (p: string) => (dir ? join(dir, p) : p);
  return [
    "upgrade",
    "--install",
    r.app,
    at(r.chart),
    "--namespace",
    r.namespace,
    "--values",
    at(r.values),
    ...(imageTag ? ["--set-string", `global.imageTag=${imageTag}`] : []),
    "--atomic",
    "--wait",
    "--wait-for-jobs",
    "--timeout",
    r.timeout,
    "--history-max",
    "10",
  ];
}
