// What a Kubernetes cluster costs by provider: which price table prices its nodes, its control plane
// and the load balancer in front of the ingress controller. The figures themselves live in each
// cloud's table (a DOKS node is a Droplet, an AKS node an Azure VM, an EKS node an EC2 instance).
import type { TargetsModel } from "../../model/types.js";
import { AWS_PRICES } from "./aws.js";
import { AZURE_PRICES } from "./azure.js";
import { DO_PRICES } from "./digitalocean.js";
import type { PriceTable } from "./types.js";

export type Provider = NonNullable<TargetsModel["kubernetes"]>["provider"];

export interface ClusterPricing {
  table: PriceTable;
  /** Node size when the spec names none, and its price key. */
  defaultNode: string;
  nodeKey(size: string): string;
  /** vCPUs a node of this size leaves to workloads after the system pods. */
  allocatableCpu(size: string): number;
  /** The control plane's price key in production (undefined: free), and in other tiers. */
  controlPlane: { production?: string; other?: string };
  loadBalancer: string;
  /** What the load balancer is called on the provider's bill. */
  loadBalancerSku: string;
  /** Price key of a GB-month of persistent volume, where the table has one. */
  volume?: string;
}

/** Cores of the sizes this file knows; the system pods take about half a core of each node. */
const CORES: Record<string, number> = {
  "s-1vcpu-512mb-10gb": 1,
  "s-1vcpu-1gb": 1,
  "s-1vcpu-2gb": 1,
  "s-2vcpu-2gb": 2,
  "s-2vcpu-4gb": 2,
  "s-4vcpu-8gb": 4,
  "s-8vcpu-16gb": 8,
  Standard_D2ds_v5: 2,
  Standard_D4ds_v5: 4,
  "m6i.large": 2,
  "m6i.xlarge": 4,
};
const allocatable = (size: string) => Math.max(0.5, (CORES[size] ?? 2) - 0.5);

export const CLUSTER_PRICING: Record<Exclude<Provider, "generic">, ClusterPricing> = {
  doks: {
    table: DO_PRICES,
    defaultNode: "s-2vcpu-4gb",
    nodeKey: (size) => `droplet/${size}`,
    allocatableCpu: allocatable,
    controlPlane: { production: "doks/ha-control-plane" },
    loadBalancer: "lb/node",
    loadBalancerSku: "1 node",
    volume: "volume/storage",
  },
  aks: {
    table: AZURE_PRICES,
    defaultNode: "Standard_D2ds_v5",
    nodeKey: (size) => `vm/${size}`,
    allocatableCpu: allocatable,
    controlPlane: { production: "aks/standard-tier" },
    loadBalancer: "lb/standard",
    loadBalancerSku: "Standard",
  },
  eks: {
    table: AWS_PRICES,
    defaultNode: "m6i.large",
    nodeKey: (size) => `ec2/${size}`,
    allocatableCpu: allocatable,
    controlPlane: { production: "eks/cluster", other: "eks/cluster" },
    loadBalancer: "nlb/hour",
    loadBalancerSku: "NLB",
    volume: "ebs/gp3",
  },
};
