// What every section of main.bicep reads: the project and its environments, the compute option, the
// services App Service runs, the name pieces, and the expressions of main.bicep's own parameters and
// variables (location, tags, the name suffix...).
import { isService, isStatic } from "../../../model/queries.js";
import {
  call,
  isExpr,
  ref,
  str,
  ternary,
  type BicepExprNode,
  type BicepValue,
} from "../../../format/bicep.js";
import type { AppModel, ProjectModel, ServiceModel, StaticModel } from "../../../model/types.js";
import { alnum, camel, slug } from "../names.js";
import { computeOf, managedZoneOf, serviceNames, zoneOwner, type Compute } from "../decisions.js";
import { param, type EnvParam } from "./part.js";

export interface BaseContext {
  project: ProjectModel;
  envs: readonly AppModel[];
  first: AppModel;
  compute: Compute;
  /** The environment whose deployment owns the DNS zone and the custom email domain. */
  owner: AppModel | undefined;
  /** The project's name in resource names: a slug, and letters and digits only (8 characters). */
  appSlug: string;
  appAlnum: string;
  /** Services on App Service (none on AKS): apps and static sites, across every environment. */
  apps: readonly string[];
  statics: readonly string[];
}

/** Expressions of main.bicep's environment parameters and variables (see ./environment.ts). */
export interface MainRefs {
  environmentName: BicepExprNode;
  resourceGroupName: BicepExprNode;
  code: BicepExprNode;
  location: BicepExprNode;
  tags: BicepExprNode;
  suffix: BicepExprNode;
  keyVaultName: BicepExprNode;
}

/** Read by every section, written by none. */
export type Ctx = Readonly<BaseContext & MainRefs>;

export function baseContext(project: ProjectModel): BaseContext {
  const first = project.environments[0];
  if (!first) throw new Error("a project has at least one environment");
  const compute = computeOf(project);
  return {
    project,
    envs: project.environments,
    first,
    compute,
    owner: zoneOwner(project),
    appSlug: slug(project.name, 8),
    appAlnum: alnum(project.name, 8),
    apps: compute === "appservice" ? serviceNames(project, isService) : [],
    statics: compute === "appservice" ? serviceNames(project, isStatic) : [],
  };
}

// Names from serviceNames() are apps (or static sites) in some environment; a lookup in another may be
// undefined.
export const appOf = (m: AppModel, n: string) => m.services[n] as ServiceModel | undefined;
export const staticOf = (m: AppModel, n: string) => m.services[n] as StaticModel | undefined;

/** The first value that is set: a service may be missing from some environments, never from all. */
export function defined<T>(values: (T | undefined)[], what: string): T {
  const v = values.find((x) => x !== undefined);
  if (v === undefined) throw new Error(`${what} is in no environment`);
  return v;
}

/** The App Services that use a resource in some environment. */
export const usersOf = (c: BaseContext, what: string): string[] =>
  c.apps.filter((n) => c.envs.some((m) => (appOf(m, n)?.uses ?? []).includes(what)));

/** The first environment's value of something that some environments have (a service, a data store). */
export function anyEnv<T>(c: BaseContext, pick: (m: AppModel) => T | undefined): T | undefined {
  for (const m of c.envs) {
    const v = pick(m);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** The DNS zone Gantry manages (one for every environment). */
export const managedZone = (c: BaseContext): string | undefined => managedZoneOf(c.project);

/**
 * The parameter that says where an App Service or static site runs, when an environment removes it
 * (`null`): `<id>Enabled`, true where the environment has it. Undefined when every environment has it.
 */
export function presenceParam(c: BaseContext, n: string, what: string): EnvParam | undefined {
  if (!appCondition(c, n)) return undefined;
  return param(
    c.envs,
    `${camel(n)}Enabled`,
    "bool",
    `Deploy ${what} of ${n} (false: this environment has none).`,
    deployedIn(c, n),
  );
}

/** Whether an environment deploys an App Service (c.apps) or a static site (c.statics) of this name. */
const deployedIn = (c: BaseContext, n: string) => (m: AppModel) => {
  const s = m.services[n];
  return s !== undefined && (c.apps.includes(n) ? isService(s) : isStatic(s));
};

/** `<id>Enabled` of an App Service or static site that some environment removes (see presenceParam). */
export const appCondition = (c: BaseContext, n: string): BicepExprNode | undefined =>
  c.envs.every(deployedIn(c, n)) ? undefined : ref(`${camel(n)}Enabled`);

/** `value` where the condition holds (always without one), `otherwise` elsewhere. */
export const where = (on: BicepExprNode | undefined, value: BicepValue, otherwise: BicepValue): BicepValue =>
  on ? ternary(on, value, otherwise) : value;

/** An item of a list that some environments do not have: a list of it where `on` holds (see joinItems). */
export const itemWhere = (on: BicepExprNode | undefined, item: BicepValue): BicepValue =>
  on ? ternary(on, [item], []) : item;

/** Items as one array, concatenated when some are conditional lists (itemWhere). */
export const joinItems = (items: BicepValue[]): BicepValue =>
  items.some(isExpr) ? call("concat", ...items.map((t) => (isExpr(t) ? t : [t]))) : items;

/** A module call deployed only where `on` holds (always without one). */
export const onlyWhere = (on: BicepExprNode | undefined): { condition?: BicepExprNode } =>
  on ? { condition: on } : {};

/** The name of the storage account of the buckets: `st<app><environment code><suffix>`. */
export const storageAccountName = (c: Ctx): BicepExprNode => str`st${c.appAlnum}${c.code}${c.suffix}`;

/** The name of a cache (main.bicep also reads its access key by it). */
export const redisName = (c: Ctx, n: string): BicepExprNode =>
  str`redis-${c.appSlug}-${slug(n, 20)}-${c.code}-${c.suffix}`;

/** `readEnvironmentVariable(name[, fallback])`: a value the parameter file reads at deployment. */
export const readEnv = (name: string, fallback?: string): BicepExprNode =>
  fallback === undefined
    ? call("readEnvironmentVariable", name)
    : call("readEnvironmentVariable", name, fallback);

type Server = "postgres" | "redis";

/**
 * Whether a PostgreSQL server or Redis cache runs as an Azure service in an environment: the
 * environment has it, and on AKS `hosting: cluster` runs it in the cluster instead.
 */
export const onAzureIn =
  (c: BaseContext, kind: Server, n: string) =>
  (m: AppModel): boolean => {
    const store = m[kind][n];
    return store !== undefined && !(c.compute === "aks" && store.hosting === "cluster");
  };

/** `<id>Enabled` of a server or cache that is not an Azure service in every environment (see data.ts). */
export const storeCondition = (c: BaseContext, kind: Server, n: string): BicepExprNode | undefined =>
  c.envs.every(onAzureIn(c, kind, n)) ? undefined : ref(`${camel(n)}Enabled`);

/** The names of the servers, caches or buckets of every environment, sorted. */
export const storeNames = (c: BaseContext, kind: Server | "buckets"): string[] =>
  [...new Set(c.envs.flatMap((m) => Object.keys(m[kind])))].sort();
