// What every section of main.bicep reads: the project and its environments, the compute option, the
// services App Service runs, the name pieces, and the expressions of main.bicep's own parameters and
// variables (location, tags, the name suffix...).
import { isService, isStatic } from "../../../model/queries.js";
import { call, str, type BicepExprNode } from "../../../format/bicep.js";
import type { AppModel, ProjectModel, ServiceModel, StaticModel } from "../../../model/types.js";
import { alnum, slug } from "../names.js";
import { computeOf, serviceNames, zoneOwner, type Compute } from "../decisions.js";

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

/** The App Services that use a resource (as the first environment says). */
export const usersOf = (c: BaseContext, what: string): string[] =>
  c.apps.filter((n) => (appOf(c.first, n)?.uses ?? []).includes(what));

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
