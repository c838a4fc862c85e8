// Per-environment decisions of the Azure target that both main.bicep / the parameter files and the
// checks need: which SKU a service's plan gets, where the DNS zone lives, which domains are bound.
import { seconds } from "../../util/duration.js";
import { quantity } from "../../util/quantity.js";
import type {
  AnyServiceModel,
  AppModel,
  ProjectModel,
  RedisModel,
  ServiceModel,
  Size,
  StaticModel,
} from "../../model/types.js";
import { AZURE_SIZES } from "./sizes.js";

export type Compute = "appservice" | "aks";

export function computeOf(project: ProjectModel): Compute {
  return project.environments[0]?.targets.azure?.compute ?? "appservice";
}

export function locationOf(m: AppModel): string {
  return m.environment.region ?? m.targets.azure?.location ?? "eastus";
}

/** Names of the services of a type across every environment, sorted. */
export function serviceNames(project: ProjectModel, pick: (s: AnyServiceModel) => boolean): string[] {
  const names = new Set<string>();
  for (const m of project.environments)
    for (const [n, s] of Object.entries(m.services)) if (pick(s)) names.add(n);
  return [...names].sort();
}

/** Kubernetes quantity → number (cores or GiB). */
function coresOrGiB(q: string, unit: "cpu" | "memory"): number {
  const n = quantity(q) ?? 0;
  return unit === "cpu" ? n : n / 2 ** 30;
}

/**
 * App Service plan SKU of a service: B1 in development when one instance without a slot is enough
 * (B1 has neither autoscale nor slots), else the smallest Premium v3 size that fits the limits.
 */
export function planSku(m: AppModel, s: ServiceModel): string {
  const cpu = coresOrGiB(s.resources.limits.cpu, "cpu");
  const mem = coresOrGiB(s.resources.limits.memory, "memory");
  if (
    m.environment.tier === "development" &&
    !m.environment.deploy.slot &&
    s.scale.max <= 1 &&
    cpu <= 1 &&
    mem <= 1.75
  )
    return "B1";
  if (cpu <= 1 && mem <= 4) return "P0v3";
  if (cpu <= 2 && mem <= 8) return "P1v3";
  if (cpu <= 4 && mem <= 16) return "P2v3";
  return "P3v3";
}

/** Whether a service gets a staging slot in an environment (B1 plans have none). */
export const hasSlot = (m: AppModel, s: ServiceModel): boolean =>
  m.environment.deploy.slot && planSku(m, s) !== "B1";

export function postgresSku(size: Size) {
  return AZURE_SIZES[size].postgres;
}

/**
 * Redis SKU: the size's row, raised to Premium P1 when persistence is asked (only Premium caches
 * persist: learn.microsoft.com/azure/azure-cache-for-redis/cache-how-to-premium-persistence), and to
 * Standard when HA is asked of a Basic size. The spec asks for persistence, so it gets it; the
 * runbook says what it costs (../findings.ts notesOf).
 */
export function redisSku(r: RedisModel) {
  const row = AZURE_SIZES[r.size].redis;
  if (r.persistence !== "none" && row.name !== "Premium")
    return { name: "Premium" as const, family: "P" as const, capacity: 1 };
  if (r.ha && row.name === "Basic")
    return { name: "Standard" as const, family: "C" as const, capacity: Math.max(1, row.capacity) };
  return row;
}

/** Flexible Server storage sizes (GB). */
const PG_STORAGE = [32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32767];
export function postgresStorage(gb: number): number {
  return PG_STORAGE.find((s) => s >= gb) ?? 32767;
}

/** The environment whose deployment owns the DNS zone (and the custom email domain): the first production one, else the last. */
export function zoneOwner(project: ProjectModel): AppModel | undefined {
  const envs = project.environments;
  return envs.find((m) => m.environment.tier === "production") ?? envs[envs.length - 1];
}

/** The DNS zone Gantry manages: the zone owner's, else the first environment's that manages one. */
export function managedZoneOf(project: ProjectModel): string | undefined {
  const owner = zoneOwner(project);
  if (owner?.dns?.manage) return owner.dns.zone;
  return project.environments.find((m) => m.dns?.manage)?.dns?.zone;
}

/** The record name of `domain` inside `zone` ('@' for the apex), or undefined when it is outside. */
export function relativeName(domain: string, zone: string): string | undefined {
  const d = domain.toLowerCase().replace(/\.$/, "");
  const z = zone.toLowerCase().replace(/\.$/, "");
  if (d === z) return "@";
  return d.endsWith(`.${z}`) ? d.slice(0, -z.length - 1) : undefined;
}

/** The first domain of a service if Gantry can create its records (a CNAME, so not the apex). */
export function boundDomain(
  m: AppModel,
  s: ServiceModel | StaticModel,
): { domain: string; record: string } | undefined {
  const domain = s.domains[0];
  if (!domain || !m.dns?.manage || hostOwner(m, domain) !== s.name) return undefined;
  const record = relativeName(domain, m.dns.zone);
  if (!record || record === "@") return undefined;
  return { domain, record };
}

/**
 * The service a host name is bound to on App Service and Static Web Apps, which bind a host to one
 * site: of the services whose first domain it is, the one with the shortest path (the root), then by
 * name. Paths of the others on that host cannot be routed there (../findings.ts says so).
 */
export function hostOwner(m: AppModel, host: string): string | undefined {
  const onHost = Object.values(m.services).filter(
    (x): x is ServiceModel | StaticModel => x.type !== "job" && x.domains[0] === host,
  );
  const path = (x: ServiceModel | StaticModel) => x.path.replace(/\/+$/, "");
  return onHost.sort((a, b) => path(a).length - path(b).length || a.name.localeCompare(b.name))[0]?.name;
}

/** The bound domain of a service in an environment; none where the environment does not have it. */
export const boundIn = (m: AppModel, s: ServiceModel | StaticModel | undefined) =>
  s ? boundDomain(m, s) : undefined;

function finiteSeconds(d: string): number {
  const s = seconds(d);
  return Number.isFinite(s) ? s : 300;
}

/** Smallest allowed metric-alert window that covers `duration`. */
export function metricWindow(duration: string): { windowSize: string; frequency: string } {
  const s = finiteSeconds(duration);
  const windows: [number, string][] = [
    [60, "PT1M"],
    [300, "PT5M"],
    [900, "PT15M"],
    [1800, "PT30M"],
    [3600, "PT1H"],
    [21600, "PT6H"],
    [43200, "PT12H"],
    [86400, "PT24H"],
  ];
  const w = windows.find(([n]) => n >= s) ?? windows[windows.length - 1]!;
  return { windowSize: w[1], frequency: w[0] <= 300 ? "PT1M" : "PT5M" };
}

/** Log alerts evaluate at least every 5 minutes over at least 5 minutes. */
export function logWindow(duration: string): { windowSize: string; frequency: string } {
  const s = Math.max(300, finiteSeconds(duration));
  const windows: [number, string][] = [
    [300, "PT5M"],
    [600, "PT10M"],
    [900, "PT15M"],
    [1800, "PT30M"],
    [3600, "PT1H"],
    [21600, "PT6H"],
    [86400, "P1D"],
  ];
  const w = windows.find(([n]) => n >= s) ?? windows[windows.length - 1]!;
  return { windowSize: w[1], frequency: "PT5M" };
}

export const SEVERITY: Record<"info" | "warning" | "critical", number> = { critical: 1, warning: 2, info: 3 };

/** Availability test locations, in the order they are picked. */
export const TEST_LOCATIONS = [
  "us-va-ash-azr",
  "emea-nl-ams-azr",
  "apac-sg-sin-azr",
  "us-ca-sjc-azr",
  "emea-gb-db3-azr",
  "us-tx-sn1-azr",
  "apac-jp-kaw-edge",
];

/** Static Web Apps run in a few regions; the nearest one to the environment's region. */
export function staticWebAppLocation(location: string): string {
  const l = location.toLowerCase();
  if (["westus2", "centralus", "eastus2", "westeurope", "eastasia"].includes(l)) return l;
  if (l.startsWith("east") && l.includes("us")) return "eastus2";
  if (l.includes("us") || l.startsWith("canada") || l.startsWith("brazil") || l.startsWith("mexico"))
    return l.startsWith("west") ? "westus2" : "centralus";
  if (
    l.includes("europe") ||
    l.startsWith("uk") ||
    l.startsWith("france") ||
    l.startsWith("germany") ||
    l.startsWith("norway") ||
    l.startsWith("sweden") ||
    l.startsWith("switzerland") ||
    l.startsWith("poland") ||
    l.startsWith("italy") ||
    l.startsWith("spain")
  )
    return "westeurope";
  return "eastasia";
}

/** AKS node pool size from the services' CPU requests at their minimum and maximum scale. */
export function aksNodes(m: AppModel): { vmSize: string; min: number; max: number } {
  let low = 0;
  let high = 0;
  for (const s of Object.values(m.services)) {
    if (s.type === "static") continue;
    const cpu = coresOrGiB(s.resources.requests.cpu, "cpu");
    const scale = s.type === "job" ? { min: 1, max: 1 } : s.scale;
    low += cpu * scale.min;
    high += cpu * scale.max;
  }
  // A D2ds_v5 node (2 cores, a 75 GiB local disk for the ephemeral OS disk) leaves about 1.5
  // cores to workloads after the system pods.
  const production = m.environment.tier === "production";
  const min = Math.max(production ? 3 : 1, Math.ceil(low / 1.5));
  const max = Math.min(100, Math.max(min + 2, Math.ceil(high / 1.5)));
  return { vmSize: production ? "Standard_D4ds_v5" : "Standard_D2ds_v5", min, max };
}

/**
 * Where the images live, one registry for every environment (an image is built once and promoted):
 * the Azure Container Registry the spec names (`targets.kubernetes.registry` on `<name>.azurecr.io`),
 * one Gantry names itself (`acr: undefined`), or none when AKS pulls from another registry the spec
 * names (with the chart's image pull secret). The pipelines push where this says (./pipeline.ts).
 * Its SKU is the same in every environment's deployment: Standard once the project has production.
 */
export function registryPlan(project: ProjectModel): RegistryPlan | undefined {
  const fromSpec = project.environments[0]?.targets.kubernetes?.registry;
  const host = fromSpec?.split("/")[0] ?? "";
  if (fromSpec && !host.endsWith(".azurecr.io") && computeOf(project) === "aks") return undefined;
  const sku = project.environments.some((e) => e.environment.tier === "production") ? "Standard" : "Basic";
  return { acr: host.endsWith(".azurecr.io") ? host.slice(0, -".azurecr.io".length) : undefined, sku };
}

export interface RegistryPlan {
  acr: string | undefined;
  sku: "Basic" | "Standard";
}

/** The DNS zone an environment's deployment creates and writes its records into, when Gantry manages one. */
export const zoneIn = (m: AppModel): string | undefined => (m.dns?.manage ? m.dns.zone : undefined);
