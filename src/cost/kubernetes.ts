// What running the Helm chart costs, by the provider the spec names (targets.kubernetes.provider):
// the nodes its pods need, the provider's control plane and the ingress load balancer, at the prices
// of that provider's cloud. A generic cluster has no price list, so only its needs are stated.
import type { AppModel, ProjectModel } from "../model/types.js";
import { aksNodes, locationOf } from "../targets/azure/decisions.js";
import { awsOptions } from "../targets/aws/shape.js";
import { doOptions } from "../targets/digitalocean/shape.js";
import { Bill } from "./bill.js";
import { clusterItems, poolFor, requestedCores, type NodePool } from "./cluster.js";
import { AWS_PRICES } from "./prices/aws.js";
import { CLUSTER_PRICING, type Provider } from "./prices/kubernetes.js";

export const providerOf = (m: AppModel): Provider => m.targets.kubernetes?.provider ?? "generic";

export function kubernetesBill(
  _project: ProjectModel,
  m: AppModel,
): { bill: Bill; region: string; provider: Provider } {
  const provider = providerOf(m);
  if (provider === "generic") {
    const bill = new Bill(AWS_PRICES, m.cost.assumptions);
    const round = (n: number) => Math.round(n * 100) / 100;
    const { min, max } = requestedCores(m);
    bill.notes.push(
      `targets.kubernetes.provider is generic, so nothing is priced: the pods request ${round(min)} to ${round(max)} CPU cores; set doks, aks or eks to price the nodes.`,
    );
    return { bill, region: "-", provider };
  }
  const pricing = CLUSTER_PRICING[provider];
  const bill = new Bill(pricing.table, m.cost.assumptions);
  clusterItems(bill, m, pricing, poolOf(provider, m));
  if (Object.keys(m.topics).length)
    bill.notes.push(
      "The in-cluster event broker runs on the nodes priced here; its own volumes are not priced.",
    );
  return { bill, region: regionOf(provider, m), provider };
}

function poolOf(provider: Exclude<Provider, "generic">, m: AppModel): NodePool {
  if (provider === "aks") return { size: aksNodes(m).vmSize, ...aksNodes(m) };
  if (provider === "doks" && m.targets.digitalocean) {
    const o = doOptions(m);
    return { size: o.node_size, min: o.nodes.min, max: Math.max(o.nodes.min, o.nodes.max) };
  }
  return poolFor(m, CLUSTER_PRICING[provider]);
}

function regionOf(provider: Exclude<Provider, "generic">, m: AppModel): string {
  if (provider === "aks") return locationOf(m);
  if (provider === "doks") return doOptions(m).region;
  return awsOptions(m).region;
}
