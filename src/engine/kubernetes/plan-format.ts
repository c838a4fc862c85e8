// A Kubernetes deploy plan as `gantry deploy --target kubernetes --plan` prints it: one line or more
// per step, each starting with the step's kind, in the order the steps run.
import type { KubePlan, KubeStep } from "./plan.js";
import { helmUpgradeArgs } from "./plan.js";

type Describe = {
  [K in KubeStep["kind"]]: (s: Extract<KubeStep, { kind: K }>, p: KubePlan) => string[];
};

const describe: Describe = {
  cluster: () => ["reach the cluster and read its version"],
  platform: (s) => [
    `the cluster serves ${s.apiVersions.join(", ")}`,
    s.installer
      ? `when one is not served: run ${s.installer} (platform charts and their CRDs), then check again`
      : "when one is not served: stop and name it",
  ],
  namespace: (s) => [
    `kubectl apply ${s.manifests.join(", ")}: namespace ${s.namespace} with its quota and limits, made when missing; quotas only grow before the upgrade`,
  ],
  secrets: (s) =>
    s.secrets.length
      ? s.secrets.map(
          (x) =>
            `${x.name} exists in ${s.namespace}${x.keys.length ? ` with keys ${x.keys.join(", ")}` : ""}`,
        )
      : ["the pods read no Secret"],
  upgrade: (s, p) => [
    `helm ${helmUpgradeArgs(p.release, "", s.imageTag).join(" ")}`,
    ...s.hooks.map(
      (h) => `first job ${h.name}, the ${h.phases.join("/")} hook (migrations), before any workload changes`,
    ),
    `then ${s.workloads.map((w) => `${w.kind}/${w.name}`).join(", ") || "nothing"} reach their replicas; a rollout that does not is undone by --atomic`,
  ],
  quota: (s) => [`kubectl apply ${s.manifests.join(", ")} as the spec gives them, quotas included`],
  smoke: (s) => [
    ...s.urls.map((u) => `GET ${u} answers below 400 (${s.attempts} tries, ${s.pauseMs / 1000}s apart)`),
    "when one does not: roll back to the revision before",
  ],
};

function lines(s: KubeStep, p: KubePlan): string[] {
  return (describe[s.kind] as (s: KubeStep, p: KubePlan) => string[])(s, p);
}

export function formatKubePlan(p: KubePlan): string {
  const r = p.release;
  const out = [`deploy ${r.app} to ${r.namespace} (environment ${r.environment})`];
  for (const step of p.steps)
    lines(step, p).forEach((l, i) => out.push(`  ${(i ? "" : step.kind).padEnd(11)}${l}`));
  for (const x of p.skipped) out.push(`  ${"skip".padEnd(11)}${x}`);
  return `${out.join("\n")}\n`;
}
