// What the DigitalOcean target provisions for one environment, priced: the DOKS cluster (its node
// pool as targets.digitalocean sets it, the HA control plane in production, the ingress load
// balancer, volumes of in-cluster data stores), managed PostgreSQL, Redis and Kafka, the registry
// (created with the first environment), Spaces and uptime checks.
import type { AppModel, ProjectModel } from "../model/types.js";
import { doOptions } from "../targets/digitalocean/shape.js";
import { DO_SIZES } from "../targets/digitalocean/sizes.js";
import { healthEndpoints } from "../targets/terraform/values.js";
import { Bill } from "./bill.js";
import { clusterItems } from "./cluster.js";
import { DO_PRICES, DO_TRANSFER_GB } from "./prices/digitalocean.js";
import { CLUSTER_PRICING } from "./prices/kubernetes.js";

export function digitaloceanBill(project: ProjectModel, m: AppModel): { bill: Bill; region: string } {
  const bill = new Bill(DO_PRICES, m.cost.assumptions);
  const o = doOptions(m);
  const pool = { size: o.node_size, min: o.nodes.min, max: Math.max(o.nodes.min, o.nodes.max) };
  clusterItems(bill, m, CLUSTER_PRICING.doks, pool);
  dataItems(bill, m);
  if (project.environments[0] === m) bill.monthly("container registry", "registry/basic", "basic");
  if (Object.keys(m.buckets).length) bill.monthly("Spaces", "spaces/subscription", "subscription");
  const checked = m.monitoring.availability.enabled
    ? Object.values(m.services).filter((s) => s.type === "http" || s.type === "static")
    : [];
  const checks = healthEndpoints(checked.filter((s) => s.type !== "job")).length;
  if (checks) bill.usage("uptime checks", "uptime/check", "uptime check", checks);
  // Nodes include outbound transfer, pooled across the team; only what exceeds it is billed.
  const included = (DO_TRANSFER_GB[pool.size] ?? 0) * pool.min;
  bill.usage(
    "egress beyond the nodes' allowance",
    "bandwidth/egress",
    "egress",
    Math.max(0, m.cost.assumptions.egress_gb - included),
  );
  return { bill, region: o.region };
}

function dataItems(bill: Bill, m: AppModel): void {
  for (const p of Object.values(m.postgres)) {
    if (p.hosting !== "managed") continue;
    const size = DO_SIZES[p.size].database;
    bill.running(`${p.name} managed PostgreSQL`, `database/${size}`, size, p.ha ? 2 : 1);
  }
  for (const r of Object.values(m.redis)) {
    if (r.hosting !== "managed") continue;
    const size = DO_SIZES[r.size].database;
    bill.running(`${r.name} managed Redis`, `database/${size}`, size, r.ha ? 2 : 1);
  }
  if (Object.keys(m.topics).length) {
    const size = m.environment.tier === "production" ? "db-s-4vcpu-8gb" : "db-s-2vcpu-2gb";
    bill.running("managed Kafka brokers", `kafka/${size}`, size, 3);
  }
}
