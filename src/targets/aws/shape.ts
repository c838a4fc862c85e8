// The app's shape on AWS: every workload, site and data store that any environment has (one
// main.tf serves them all), which environments have each (presence.ts), who reaches what, and the
// state bucket every part of the stack agrees on.
import type {
  AnyServiceModel,
  AppModel,
  BucketModel,
  JobModel,
  PostgresModel,
  ProjectModel,
  RedisModel,
  ServiceModel,
  StaticModel,
  TopicModel,
} from "../../model/types.js";
import { isWorkload } from "../../model/queries.js";
import { secretNames } from "../terraform/values.js";
import { moduleName, pathPatterns, q, type Collection } from "./names.js";
import type { Presence, PresenceMap } from "./presence.js";

/**
 * The app's shape on AWS. Each list holds what any environment has, in the order the environments
 * name it; each item is as the first environment that has it gives it (`present` says which have it).
 */
export interface AwsShape extends PresenceMap {
  /** The first environment: the app's name and CI settings, which are the same in every one. */
  app: AppModel;
  services: ServiceModel[];
  jobs: JobModel[];
  sites: StaticModel[];
  postgres: PostgresModel[];
  redis: RedisModel[];
  buckets: BucketModel[];
  topics: TopicModel[];
  /** Services reached through the load balancer (they have domains in some environment). */
  publicServices: ServiceModel[];
  /** Workloads built from source in some environment: they get an image repository. */
  built: string[];
  /** Every secret a workload names in some environment. */
  secrets: string[];
  hasDomains: boolean;
}

/** Everything any environment has of one kind, each as the first environment that has it gives it. */
function union<T extends { name: string }>(envs: readonly AppModel[], pick: (e: AppModel) => T[]): T[] {
  const seen = new Map<string, T>();
  for (const e of envs) for (const x of pick(e)) if (!seen.has(x.name)) seen.set(x.name, x);
  return [...seen.values()];
}

const ofType =
  <T extends AnyServiceModel>(test: (s: AnyServiceModel) => s is T) =>
  (e: AppModel): T[] =>
    Object.values(e.services).filter(test);
const isService = (s: AnyServiceModel): s is ServiceModel => s.type === "http" || s.type === "worker";
const isJob = (s: AnyServiceModel): s is JobModel => s.type === "job";
const isSite = (s: AnyServiceModel): s is StaticModel => s.type === "static";

/** Domains of the environment's services and sites (none for jobs). */
const domainsOf = (s: AnyServiceModel | undefined): string[] =>
  s === undefined || s.type === "job" ? [] : s.domains;

/** The HTTP services of an environment that the load balancer reaches (they have domains). */
export const publicIn = (e: AppModel): ServiceModel[] =>
  Object.values(e.services).filter((s): s is ServiceModel => s.type === "http" && s.domains.length > 0);

const shapes = new WeakMap<ProjectModel, AwsShape>();

/** The shape of a project, computed once for its check() and its render(). */
export function awsShape(project: ProjectModel): AwsShape {
  const hit = shapes.get(project);
  if (hit) return hit;
  const shape = shapeOf(project);
  shapes.set(project, shape);
  return shape;
}

function shapeOf(project: ProjectModel): AwsShape {
  const envs = project.environments;
  const app = envs[0]!;
  const services = union(envs, ofType(isService));
  const jobs = union(envs, ofType(isJob));
  const sites = union(envs, ofType(isSite));
  const workloads = union(envs, (e) => Object.values(e.services).filter(isWorkload));
  const publicServices = services.filter((s) =>
    envs.some((e) => e.services[s.name]?.type === "http" && domainsOf(e.services[s.name]).length > 0),
  );
  const base = {
    app,
    envs,
    services,
    jobs,
    sites,
    postgres: union(envs, (e) => Object.values(e.postgres)),
    redis: union(envs, (e) => Object.values(e.redis)),
    buckets: union(envs, (e) => Object.values(e.buckets)),
    topics: union(envs, (e) => Object.values(e.topics)),
    publicServices,
    built: workloads.filter((w) => envs.some((e) => isWorkloadBuilt(e.services[w.name]))).map((w) => w.name),
    secrets: secretNames(envs),
    hasDomains: envs.some((e) => Object.values(e.services).some((s) => domainsOf(s).length > 0)),
  };
  return { ...base, present: presence(envs, base) };
}

const isWorkloadBuilt = (s: AnyServiceModel | undefined): boolean =>
  s !== undefined && isWorkload(s) && s.build !== undefined;

/** Which environments have each module, and the count that says so in main.tf. */
function presence(
  envs: readonly AppModel[],
  shape: Pick<AwsShape, "services" | "jobs" | "sites" | "postgres" | "redis" | "buckets">,
): Map<string, Presence> {
  const present = new Map<string, Presence>();
  const add = (key: string, has: (e: AppModel) => boolean, count: string) =>
    present.set(key, { envs: envs.filter(has).map((e) => e.environment.name), count });
  const entries = (
    collection: Collection,
    items: readonly { name: string }[],
    module: (n: string) => string,
    has: (e: AppModel, n: string) => boolean,
  ) => {
    for (const { name } of items)
      add(module(name), (e) => has(e, name), `contains(keys(var.${collection}), ${q(name)}) ? 1 : 0`);
  };
  const typed = (test: (s: AnyServiceModel) => boolean) => (e: AppModel, n: string) =>
    e.services[n] !== undefined && test(e.services[n]);
  entries("services", shape.services, moduleName.service, typed(isService));
  entries("jobs", shape.jobs, moduleName.job, typed(isJob));
  entries("static_sites", shape.sites, moduleName.site, typed(isSite));
  entries("postgres", shape.postgres, moduleName.postgres, (e, n) => n in e.postgres);
  entries("redis", shape.redis, moduleName.redis, (e, n) => n in e.redis);
  entries("buckets", shape.buckets, moduleName.bucket, (e, n) => n in e.buckets);
  add("kafka", (e) => Object.keys(e.topics).length > 0, "length(var.topics) > 0 ? 1 : 0");
  add("load_balancer", (e) => publicIn(e).length > 0, "length(local.alb_domains) > 0 ? 1 : 0");
  add(
    "dns_zone",
    (e) => Object.values(e.services).some((s) => domainsOf(s).length > 0),
    "var.dns_zone == null ? 0 : 1",
  );
  return present;
}

/** Static sites that share a domain with public services, and the path patterns of those services. */
export function apiOriginsIn(e: AppModel): Map<string, string[]> {
  const origins = new Map<string, string[]>();
  const publicServices = publicIn(e);
  for (const site of Object.values(e.services).filter(isSite)) {
    const shared = publicServices.filter((s) => s.domains.some((d) => site.domains.includes(d)));
    if (shared.length)
      origins.set(
        site.name,
        shared.flatMap((s) => pathPatterns(s.path)),
      );
  }
  return origins;
}

/** The environments that have an item (`service_api`, `postgres_db`), in spec order. */
export const envsWith = (shape: AwsShape, key: string): AppModel[] => {
  const names = shape.present.get(key)?.envs;
  return names ? shape.envs.filter((e) => names.includes(e.environment.name)) : [...shape.envs];
};

/**
 * The AWS options of an environment. Its own `region` (environments.<env>.region) comes before the
 * target's: the provider, the tfvars and the workflows' logins all read it from here.
 */
export function awsOptions(e: AppModel): { region: string; account_id?: string; availability_zones: number } {
  const opts = e.targets.aws ?? { region: "us-east-1", availability_zones: 2 };
  return { ...opts, region: e.environment.region ?? opts.region };
}

/** Where an environment's state bucket lives: the region of the first environment that shares it. */
export function stateRegion(envs: readonly AppModel[], e: AppModel): string {
  return awsOptions(envs.find((x) => stateBucket(x) === stateBucket(e)) ?? e).region;
}

/** The state bucket of an environment: one per account, named after the app. */
export function stateBucket(app: AppModel): string {
  const account = app.targets.aws?.account_id;
  return `${app.name}-terraform-state${account ? `-${account}` : ""}`;
}
