// The app's shape on DigitalOcean: which managed data stores, buckets and DNS records exist in any
// environment, and the target options with their defaults.
import type { AppModel, ProjectModel } from "../../model/types.js";
import { dnsZone } from "../terraform/values.js";

export interface DoShape {
  app: AppModel;
  envs: AppModel[];
  postgres: string[];
  redis: string[];
  hasTopics: boolean;
  buckets: string[];
  hasDns: boolean;
  /** Some environment runs on a cluster an earlier environment creates. */
  sharesCluster: boolean;
}

export function doShape(project: ProjectModel): DoShape {
  const envs = project.environments;
  const union = (f: (e: AppModel) => string[]) => [...new Set(envs.flatMap(f))];
  return {
    app: envs[0]!,
    envs,
    postgres: union((e) => Object.keys(e.postgres)),
    redis: union((e) => Object.keys(e.redis)),
    hasTopics: envs.some((e) => Object.keys(e.topics).length > 0),
    buckets: union((e) => Object.keys(e.buckets)),
    hasDns: envs.some((e) => dnsZone(e) !== ""),
    sharesCluster: envs.some((e) => !createsCluster(envs, e)),
  };
}

/** The DigitalOcean options of an environment; its own `region` (environments.<env>.region) comes first. */
export const doOptions = (e: AppModel) => {
  const opts = e.targets.digitalocean ?? {
    region: "nyc1",
    kubernetes_version: "1.33",
    node_size: "s-2vcpu-4gb",
    kafka: "managed" as const,
    nodes: { min: 2, max: 5 },
  };
  return { ...opts, region: e.environment.region ?? opts.region };
};

/** Spaces live in fewer regions than droplets: the Spaces region serving a droplet region. */
export function spacesRegion(region: string): string {
  const r = region.replace(/[0-9]+$/, "");
  return (
    {
      nyc: "nyc3",
      sfo: "sfo3",
      ams: "ams3",
      sgp: "sgp1",
      fra: "fra1",
      syd: "syd1",
      blr: "blr1",
      lon: "lon1",
      tor: "tor1",
    }[r] ?? "nyc3"
  );
}

/** The state bucket: one per app, in the Spaces region of the environment. */
export const stateBucket = (e: AppModel): string => `${e.name}-terraform-state`;

/** Where the state bucket is: the Spaces endpoint of the first environment's region. */
export const stateEndpoint = (shape: DoShape): string =>
  `https://${spacesRegion(doOptions(shape.app).region)}.digitaloceanspaces.com`;

/** The DOKS cluster an environment runs on: `targets.digitalocean.cluster`, else `<app>-<environment>`. */
export const clusterName = (e: AppModel): string =>
  e.targets.digitalocean?.cluster ?? `${e.name}-${e.environment.name}`;

/** Whether an environment creates its cluster: the first environment (in spec order) that names it does. */
export const createsCluster = (envs: readonly AppModel[], e: AppModel): boolean =>
  envs.find((o) => clusterName(o) === clusterName(e)) === e;
