// The app's shape on AWS: which workloads, sites and data stores exist, who reaches what, and the
// few names every part of the AWS stack agrees on (module names, the state bucket).
import type { AppModel, JobModel, ProjectModel, ServiceModel, StaticModel } from "../../model/types.js";
import { postgresUsed, redisUsed, topicsUsed } from "../../model/queries.js";
import { tfName } from "../terraform/blocks.js";
import { secretNames } from "../terraform/values.js";

export type Workload = ServiceModel | JobModel;

/** The app's shape on AWS, read from the first environment (every environment has the same shape). */
export interface AwsShape {
  app: AppModel;
  envs: AppModel[];
  services: ServiceModel[];
  jobs: JobModel[];
  sites: StaticModel[];
  /** Services reached through the load balancer (they have domains). */
  publicServices: ServiceModel[];
  /** Listener rule priority per public service: more specific paths first. */
  priority: Map<string, number>;
  /** Static sites that share a domain with public services, and the path patterns of those services. */
  apiOrigins: Map<string, string[]>;
  built: string[];
  secrets: string[];
  postgresClients: Map<string, string[]>;
  redisClients: Map<string, string[]>;
  kafkaClients: string[];
  hasDomains: boolean;
}

/** Listener path patterns of a route prefix: the prefix itself and everything under it. */
export function pathPatterns(path: string): string[] {
  const p = path.replace(/\/+$/, "");
  return p === "" ? ["/*"] : [p, `${p}/*`];
}

export function awsShape(project: ProjectModel): AwsShape {
  const envs = project.environments;
  const app = envs[0]!;
  const all = Object.values(app.services);
  const services = all.filter((s): s is ServiceModel => s.type === "http" || s.type === "worker");
  const jobs = all.filter((s): s is JobModel => s.type === "job");
  const sites = all.filter((s): s is StaticModel => s.type === "static");
  const anyDomains = (name: string) =>
    envs.some((e) => {
      const s = e.services[name];
      return s !== undefined && s.type !== "job" && s.domains.length > 0;
    });
  const publicServices = services.filter((s) => s.type === "http" && anyDomains(s.name));
  const workloads = [...services, ...jobs];
  return {
    app,
    envs,
    services,
    jobs,
    sites,
    publicServices,
    priority: listenerPriorities(publicServices),
    apiOrigins: apiOrigins(sites, publicServices),
    built: workloads.filter((w) => w.build).map((w) => w.name),
    secrets: secretNames(envs),
    ...clients(app, workloads),
    hasDomains: envs.some((e) =>
      Object.values(e.services).some((s) => s.type !== "job" && s.domains.length > 0),
    ),
  };
}

function listenerPriorities(publicServices: readonly ServiceModel[]): Map<string, number> {
  const ordered = [...publicServices].sort(
    (a, b) => b.path.length - a.path.length || a.name.localeCompare(b.name),
  );
  return new Map(ordered.map((s, i) => [s.name, (i + 1) * 10]));
}

function apiOrigins(sites: readonly StaticModel[], publicServices: readonly ServiceModel[]) {
  const origins = new Map<string, string[]>();
  for (const site of sites) {
    const shared = publicServices.filter((s) => s.domains.some((d) => site.domains.includes(d)));
    if (shared.length)
      origins.set(
        site.name,
        shared.flatMap((s) => pathPatterns(s.path)),
      );
  }
  return origins;
}

/** The workloads allowed to reach each data store (its security group admits only them). */
function clients(
  app: AppModel,
  workloads: readonly Workload[],
): Pick<AwsShape, "postgresClients" | "redisClients" | "kafkaClients"> {
  const onePg = Object.keys(app.postgres).length === 1;
  const names = (pick: (w: Workload) => boolean) => workloads.filter(pick).map((w) => w.name);
  // With one database, a workload that names a secret such as DATABASE_URL reaches it too.
  const postgresClients = new Map(
    Object.keys(app.postgres).map((p) => [
      p,
      names((w) => postgresUsed(app, w).includes(p) || (onePg && w.secrets.some((s) => /DATABASE/.test(s)))),
    ]),
  );
  const redisClients = new Map(
    Object.keys(app.redis).map((r) => [r, names((w) => redisUsed(app, w).includes(r))]),
  );
  return { postgresClients, redisClients, kafkaClients: names((w) => topicsUsed(app, w).length > 0) };
}

export const awsOptions = (e: AppModel) => e.targets.aws ?? { region: "us-east-1", availability_zones: 2 };

/** The state bucket of an environment: one per account, named after the app. */
export function stateBucket(app: AppModel): string {
  const account = app.targets.aws?.account_id;
  return `${app.name}-terraform-state${account ? `-${account}` : ""}`;
}

/** Module names in the root module, per workload, site and data store. */
export const moduleName = {
  service: (name: string) => `service_${tfName(name)}`,
  job: (name: string) => `job_${tfName(name)}`,
  site: (name: string) => `site_${tfName(name)}`,
  postgres: (name: string) => `postgres_${tfName(name)}`,
  redis: (name: string) => `redis_${tfName(name)}`,
  bucket: (name: string) => `bucket_${tfName(name)}`,
};
