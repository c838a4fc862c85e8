// The AKS cluster the Helm chart of `gantry synth kubernetes` deploys onto (compute: aks): its node
// pool per environment, the identities that pull images and read secrets, and the operator secrets
// the chart's services read.
import { str } from "../../../format/bicep.js";
import { aksNodes, serviceNames } from "../decisions.js";
import { topicsUsed } from "../../../model/queries.js";
import { KAFKA_SECRETS } from "../supply.js";
import type { Ctx } from "./context.js";
import { callModule, output, outputOf, param, type Part, type SecretUse } from "./part.js";

export function clusterPart(c: Ctx): Partial<Part> {
  if (c.compute !== "aks") return {};
  const { envs } = c;
  const skuTier = param(envs, "aksSkuTier", "string", "AKS tier (Standard has an uptime SLA).", (m) =>
    m.environment.tier === "production" ? "Standard" : "Free",
  );
  const nodeVmSize = param(
    envs,
    "aksNodeVmSize",
    "string",
    "VM size of the nodes.",
    (m) => aksNodes(m).vmSize,
  );
  const minNodes = param(envs, "aksMinNodes", "int", "Nodes at least.", (m) => aksNodes(m).min);
  const maxNodes = param(envs, "aksMaxNodes", "int", "Nodes at most.", (m) => aksNodes(m).max);
  const zones = param(envs, "aksZones", "array", "Availability zones of the nodes.", (m) =>
    m.environment.tier === "production" ? ["1", "2", "3"] : [],
  );
  return {
    params: [skuTier, nodeVmSize, minNodes, maxNodes, zones],
    modules: [
      callModule("aks", "aks", "AKS cluster the Helm chart deploys onto.", {
        name: str`aks-${c.appSlug}-${c.code}`,
        location: c.location,
        tags: c.tags,
        skuTier: skuTier.ref,
        nodeVmSize: nodeVmSize.ref,
        minNodes: minNodes.ref,
        maxNodes: maxNodes.ref,
        availabilityZones: zones.ref,
        workspaceId: outputOf("logAnalytics", "id"),
      }),
    ],
    outputs: [
      output(
        "aksClusterName",
        "string",
        "Name of the AKS cluster (az aks get-credentials).",
        outputOf("aks", "name"),
      ),
    ],
    secretUses: clusterSecretUses(c),
    imagePullers: [outputOf("aks", "kubeletObjectId")],
    secretReaders: [outputOf("aks", "secretsProviderObjectId")],
  };
}

/** The operator secrets of the chart's services: their own, and the broker's where they use topics. */
function clusterSecretUses(c: Ctx): SecretUse[] {
  return serviceNames(c.project, (s) => s.type !== "static").flatMap((n) => {
    // Every environment's secrets of the service: environments may give it different ones.
    const names = new Set<string>();
    for (const m of c.envs) {
      const s = m.services[n];
      if (!s || s.type === "static") continue;
      for (const v of s.secrets) names.add(v);
      if (s.type !== "job" && topicsUsed(m, s).length > 0) for (const v of KAFKA_SECRETS) names.add(v);
    }
    return [...names].map((envVar) => ({ envVar, service: n }));
  });
}
