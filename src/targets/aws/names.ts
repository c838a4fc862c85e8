// The names every part of the AWS stack agrees on: module names in the root module, the tfvars maps
// that say what each environment runs, and the listener path patterns of a route.
import type { AppModel, JobModel, ServiceModel } from "../../model/types.js";
import { tfName } from "../terraform/blocks.js";

export type Workload = ServiceModel | JobModel;

export const q = (s: string): string => JSON.stringify(s);

/** `<app>-<env>`: the prefix of every name in an environment's stack (main.tf's local.name). */
export const stackName = (app: AppModel): string => `${app.name}-${app.environment.name}`;

/** Module names in the root module, per workload, site and data store. */
export const moduleName = {
  service: (name: string) => `service_${tfName(name)}`,
  job: (name: string) => `job_${tfName(name)}`,
  site: (name: string) => `site_${tfName(name)}`,
  postgres: (name: string) => `postgres_${tfName(name)}`,
  redis: (name: string) => `redis_${tfName(name)}`,
  bucket: (name: string) => `bucket_${tfName(name)}`,
};

/** The tfvars maps keyed by workload, site or data store: an environment runs what its map holds. */
export type Collection = "services" | "jobs" | "static_sites" | "postgres" | "redis" | "buckets";

/** `var.services["api"]`: an entry of one of the tfvars maps. */
export const entryRef = (collection: Collection, name: string): string => `var.${collection}[${q(name)}]`;

/** The map a workload's entry is in. */
export const workloadCollection = (w: Workload): Collection => (w.type === "job" ? "jobs" : "services");

/** Listener path patterns of a route prefix: the prefix itself and everything under it. */
export function pathPatterns(path: string): string[] {
  const p = path.replace(/\/+$/, "");
  return p === "" ? ["/*"] : [p, `${p}/*`];
}
