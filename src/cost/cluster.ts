// A Kubernetes cluster's bill, shared by the kubernetes target, DigitalOcean (DOKS) and Azure with
// compute: aks: its nodes at minimum and maximum scale, the control plane where it costs, the load
// balancer of the ingress controller and the volumes of the data stores that run in the cluster.
import { isService } from "../model/queries.js";
import type { AppModel } from "../model/types.js";
import { KUBERNETES_SIZES } from "../targets/kubernetes/sizes.js";
import type { Bill } from "./bill.js";
import type { ClusterPricing } from "./prices/kubernetes.js";

export interface NodePool {
  size: string;
  min: number;
  max: number;
}

/** CPU cores: "250m" → 0.25, "2" → 2. */
export function cores(q: string): number {
  return q.endsWith("m") ? Number(q.slice(0, -1)) / 1000 : Number(q) || 0;
}

/** Cores the pods of an environment request at minimum and at maximum scale (in-cluster data stores included). */
export function requestedCores(m: AppModel): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (const s of Object.values(m.services)) {
    if (s.type === "static") continue;
    const cpu = cores(s.resources.requests.cpu);
    const scale = isService(s) ? s.scale : { min: 1, max: 1 };
    min += cpu * scale.min;
    max += cpu * Math.max(scale.min, scale.max);
  }
  for (const d of [...Object.values(m.postgres), ...Object.values(m.redis)]) {
    if (d.hosting !== "cluster") continue;
    const cpu = cores(KUBERNETES_SIZES[d.size].cpu);
    min += cpu;
    max += cpu;
  }
  return { min, max };
}

/** The nodes the pods need: at least `floor` (three in production, for spreading), two spare at most. */
export function poolFor(m: AppModel, pricing: ClusterPricing, size = pricing.defaultNode): NodePool {
  const per = pricing.allocatableCpu(size);
  const { min: low, max: high } = requestedCores(m);
  const floor = m.environment.tier === "production" ? 3 : 1;
  const min = Math.max(floor, Math.ceil(low / per));
  return { size, min, max: Math.max(min, Math.ceil(high / per)) };
}

/** Gigabytes of the volumes the in-cluster data stores claim. */
export function clusterVolumesGb(m: AppModel): number {
  const pg = Object.values(m.postgres).filter((p) => p.hosting === "cluster");
  const redis = Object.values(m.redis).filter((r) => r.hosting === "cluster");
  // The chart claims each PostgreSQL server's storage_gb and 8 GiB for each Redis (values-datastores.ts).
  return pg.reduce((n, p) => n + p.storage_gb, 0) + redis.length * 8;
}

export const hasIngress = (m: AppModel): boolean =>
  Object.values(m.services).some((s) => s.type !== "job" && s.domains.length > 0);

export function clusterItems(bill: Bill, m: AppModel, pricing: ClusterPricing, pool: NodePool): void {
  bill.running("cluster nodes", pricing.nodeKey(pool.size), pool.size, pool.min, pool.max);
  const production = m.environment.tier === "production";
  const plane = production ? pricing.controlPlane.production : pricing.controlPlane.other;
  if (plane) bill.running("cluster control plane", plane, plane.slice(plane.indexOf("/") + 1), 1);
  if (hasIngress(m)) bill.running("ingress load balancer", pricing.loadBalancer, pricing.loadBalancerSku, 1);
  const gb = clusterVolumesGb(m);
  if (gb > 0 && pricing.volume) bill.monthly("data store volumes", pricing.volume, `${gb} GB`, gb);
  else if (gb > 0)
    bill.notes.push(`The ${gb} GB of volumes the in-cluster data stores claim are not priced.`);
}
