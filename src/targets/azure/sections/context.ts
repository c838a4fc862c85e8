// What every section of main.bicep reads: the project and its environments, the compute option, the
// services App Service runs, the name pieces, the variables that carry connection settings, and the
// expressions of main.bicep's own parameters and variables (location, tags, the name suffix...).
import { call, type BicepExprNode } from "../../../format/bicep.js";
import type { AppModel, ProjectModel, ServiceModel, StaticModel } from "../../../model/types.js";
import { alnum, slug, upperSnake } from "../names.js";
import { computeOf, isApp, isStatic, serviceNames, zoneOwner, type Compute } from "../plan.js";

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
  conn: ConnectionVars;
}

/** Expressions of main.bicep's environment parameters and variables (see ./environment.ts). */
export interface MainRefs {
  environmentName: BicepExprNode;
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
    apps: compute === "appservice" ? serviceNames(project, isApp) : [],
    statics: compute === "appservice" ? serviceNames(project, isStatic) : [],
    conn: connectionVars(first),
  };
}

/** Connection settings of what a service uses: resource name → the variable that carries it. */
export interface ConnectionVars {
  postgres: Readonly<Record<string, string>>;
  redis: Readonly<Record<string, string>>;
  buckets: Readonly<Record<string, string>>;
}

function connectionVars(app: AppModel): ConnectionVars {
  const suffix = (list: string[], n: string) => (list.length === 1 ? "" : `_${upperSnake(n)}`);
  const pg = Object.keys(app.postgres).sort();
  const rd = Object.keys(app.redis).sort();
  const bk = Object.keys(app.buckets).sort();
  return {
    postgres: Object.fromEntries(pg.map((n) => [n, `DATABASE_URL${suffix(pg, n)}`])),
    redis: Object.fromEntries(rd.map((n) => [n, `REDIS_URL${suffix(rd, n)}`])),
    buckets: Object.fromEntries(bk.map((n) => [n, `BUCKET_URL${suffix(bk, n)}`])),
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

/** The secrets a service that publishes or subscribes reads to reach the Kafka-compatible broker. */
export const KAFKA_SECRETS = ["KAFKA_BROKERS", "KAFKA_USERNAME", "KAFKA_PASSWORD"];

/** Whether a service publishes to or subscribes to a topic. */
export const usesTopics = (first: AppModel, s: ServiceModel) =>
  s.uses.some((u) => first.topics[u]) || Object.keys(s.subscribes).length > 0;

/** `readEnvironmentVariable(name[, fallback])`: a value the parameter file reads at deployment. */
export const readEnv = (name: string, fallback?: string): BicepExprNode =>
  fallback === undefined
    ? call("readEnvironmentVariable", name)
    : call("readEnvironmentVariable", name, fallback);
