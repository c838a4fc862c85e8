// What the Azure target provisions for one environment, priced: the App Service plans (or the AKS
// cluster), Static Web Apps, PostgreSQL Flexible Servers, Azure Cache for Redis, the registry, blob
// storage, the DNS zone, and the monitoring that bills by use. SKUs come from the target's own
// decisions (src/targets/azure/decisions.ts), so the estimate prices what `synth azure` writes.
import { isService, isStatic } from "../model/queries.js";
import type { AppModel, ProjectModel } from "../model/types.js";
import { seconds } from "../util/duration.js";
import {
  aksNodes,
  computeOf,
  locationOf,
  managedZoneOf,
  planSku,
  postgresSku,
  postgresStorage,
  redisSku,
  registryPlan,
  zoneOwner,
} from "../targets/azure/decisions.js";
import { Bill } from "./bill.js";
import { clusterItems } from "./cluster.js";
import { AZURE_PRICES } from "./prices/azure.js";
import { CLUSTER_PRICING } from "./prices/kubernetes.js";

export function azureBill(project: ProjectModel, m: AppModel): { bill: Bill; region: string } {
  const bill = new Bill(AZURE_PRICES, m.cost.assumptions);
  const aks = computeOf(project) === "aks";
  if (aks) {
    clusterItems(bill, m, CLUSTER_PRICING.aks, { size: aksNodes(m).vmSize, ...aksNodes(m) });
  } else appServiceItems(bill, m);
  for (const s of Object.values(m.services).filter(isStatic)) {
    const sku = m.environment.tier === "development" ? "Free" : "Standard";
    bill.monthly(`${s.name} Static Web App`, `staticwebapp/${sku}`, sku);
  }
  dataItems(bill, m, aks);
  registryItem(bill, project, m);
  if (managedZoneOf(project) && zoneOwner(project) === m) bill.monthly("DNS zone", "dns/zone", "zone");
  monitoringItems(bill, m);
  const a = m.cost.assumptions;
  bill.usage("internet egress", "bandwidth/egress", "egress", a.egress_gb);
  bill.notes.push("Key Vault operations and e-mail sends are billed per use and left out (cents a month).");
  return { bill, region: locationOf(m) };
}

/**
 * The registry is shared by every environment (in the shared resource group, src/targets/azure/
 * sections/shared.ts): it is priced once, in production (else the first environment), at the SKU the
 * Bicep gives it in every deployment.
 */
function registryItem(bill: Bill, project: ProjectModel, m: AppModel): void {
  const sku = registryPlan(project)?.sku;
  if (!sku) return;
  const owner =
    project.environments.find((e) => e.environment.tier === "production") ?? project.environments[0];
  if (owner?.environment.name === m.environment.name)
    bill.daily("container registry (shared)", `registry/${sku}`, sku);
  else
    bill.notes.push(
      `The container registry is shared by every environment and priced in ${owner?.environment.name ?? "the first"}.`,
    );
}

function appServiceItems(bill: Bill, m: AppModel): void {
  for (const s of Object.values(m.services).filter(isService)) {
    const sku = planSku(m, s);
    const single = sku === "B1";
    const min = single ? 1 : Math.max(1, s.scale.min);
    bill.running(
      `${s.name} App Service plan`,
      `appservice/${sku}`,
      sku,
      min,
      single ? 1 : Math.max(min, s.scale.max),
    );
  }
  const jobs = Object.values(m.services).filter((s) => s.type === "job");
  if (jobs.length)
    bill.notes.push(
      `Scheduled jobs (${jobs.map((j) => j.name).join(", ")}) are not generated on App Service, so they cost nothing here.`,
    );
}

/** On AKS a store with `hosting: cluster` runs in the cluster (priced with its nodes), not as a service. */
function dataItems(bill: Bill, m: AppModel, aks: boolean): void {
  const onAzure = (s: { hosting: string }) => !(aks && s.hosting === "cluster");
  for (const p of Object.values(m.postgres).filter(onAzure)) {
    const sku = postgresSku(p.size).sku;
    const copies = p.ha ? 2 : 1;
    bill.running(
      `${p.name} PostgreSQL server${p.ha ? " (with HA standby)" : ""}`,
      `postgres/${sku}`,
      sku,
      copies,
    );
    const gb = postgresStorage(p.storage_gb);
    bill.monthly(`${p.name} PostgreSQL storage`, "postgres/storage", `${gb} GB`, gb * copies);
    if (p.backups.enabled && p.backups.geo_redundant)
      bill.monthly(`${p.name} geo-redundant backups`, "postgres/geo-backup", `${gb} GB`, gb);
  }
  for (const r of Object.values(m.redis).filter(onAzure)) {
    const sku = redisSku(r);
    const name = `${sku.name}_${sku.family}${sku.capacity}`;
    bill.running(`${r.name} Azure Cache for Redis`, `redis/${name}`, name.replace("_", " "), 1);
  }
  const buckets = Object.keys(m.buckets);
  if (buckets.length) {
    const sku = m.environment.tier === "production" ? "Standard_ZRS" : "Standard_LRS";
    const gb = m.cost.assumptions.storage_gb * buckets.length;
    bill.usage("blob storage", `storage/${sku}`, sku, gb);
  }
}

function monitoringItems(bill: Bill, m: AppModel): void {
  const a = m.cost.assumptions;
  bill.usage("log ingestion (Log Analytics)", "monitor/logs", "analytics logs", a.log_gb);
  const alerts = Object.values(m.monitoring.alerts);
  const metric = alerts.filter((x) => x.metric === "cpu" || x.metric === "memory").length;
  const log = alerts.filter((x) => x.metric === "error_rate" || x.metric === "latency_p95").length;
  bill.monthly("metric alert rules", "monitor/metric-alert", "metric alert", metric);
  bill.monthly("log search alert rules", "monitor/log-alert", "log alert", log);
  const { availability } = m.monitoring;
  const tests = Object.values(m.services).filter(
    (s) => (s.type === "http" && s.health) || s.type === "static",
  ).length;
  if (!availability.enabled || tests === 0) return;
  const interval = Math.max(60, seconds(availability.interval) || 300);
  const runs = (tests * availability.locations * a.hours_per_month * 3600) / interval;
  bill.usage("availability tests", "monitor/standard-test", `${tests} standard tests`, Math.round(runs));
}
