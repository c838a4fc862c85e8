// The environment's bootstrap (namespace, ResourceQuota, LimitRange, Dapr configuration), applied on
// every deploy: created when missing, and kept to the spec, since the quota follows the spec's sizes and
// scale. In two steps around the upgrade: before it, each quota only grows (the larger of what the
// namespace has and what the spec gives, per resource), so that the pods running now (an autoscaler at
// its old maximum) and the rollout's surge pods fit; after a successful upgrade, the spec's quota as is.
// Found in the control plane: a quota shrunk before the rollout refused the surge pods, and the deploy
// timed out.
import { parseAllDocuments } from "yaml";
import { printYamlDocuments } from "../../format/yaml.js";
import { quantity } from "../../util/quantity.js";
import type { Kube } from "./client.js";
import type { ClusterRelease } from "../../model/cluster-release.js";
import type { TreeFiles } from "./manifests.js";

type Doc = { kind?: string; metadata?: { name?: string }; spec?: { hard?: Record<string, string> } };

/** The bootstrap's documents, each quota's limits raised to what the namespace's quota has now. */
async function widened(k: Kube, namespace: string, docs: Doc[]): Promise<Doc[]> {
  const out: Doc[] = [];
  for (const d of docs) {
    const hard = d.spec?.hard;
    if (d.kind !== "ResourceQuota" || !hard || !d.metadata?.name) {
      out.push(d);
      continue;
    }
    const now = await k.kubectl([
      "get",
      "resourcequota",
      d.metadata.name,
      "--namespace",
      namespace,
      "--output",
      "json",
    ]);
    const current = now.code === 0 ? ((JSON.parse(now.stdout) as Doc).spec?.hard ?? {}) : {};
    const merged = Object.fromEntries(
      Object.entries(hard).map(([key, value]) => {
        const was = current[key] ?? value;
        const [now, wanted] = [quantity(was), quantity(value)];
        return [key, now !== undefined && wanted !== undefined && now > wanted ? was : value];
      }),
    );
    out.push({ ...d, spec: { ...d.spec, hard: merged } });
  }
  return out;
}

/**
 * Applies the environment's bootstrap: `before` the upgrade with quotas that only grow, else as the
 * spec gives it. Returns what changed, as kubectl names it ("resourcequota/staging-quota configured").
 */
export async function applyBootstrap(
  k: Kube,
  r: ClusterRelease,
  files: TreeFiles,
  phase: "before" | "after",
): Promise<string[]> {
  const docs = r.bootstrap.manifests.flatMap((f) =>
    parseAllDocuments(files[f] ?? "").map((d) => d.toJS() as Doc),
  );
  const input = printYamlDocuments(phase === "before" ? await widened(k, r.namespace, docs) : docs);
  const applied = await k.must(["apply", "--filename", "-"], input);
  return applied.split("\n").filter((l) => l.trim() && !/ unchanged$/.test(l));
}
