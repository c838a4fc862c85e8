// The names of an environment's generated resources as the runbooks write them: the literal ones
// main.bicep assembles from the app's slug and the environment code, and for those that end in a
// uniqueString() suffix (apps, vault, servers, caches) a shell line that reads the real name from
// the deployment's outputs or from the resource group by its generated prefix.
import { isService } from "../../model/queries.js";
import type { AppModel, ProjectModel, ServiceModel } from "../../model/types.js";
import type { AzureFacts } from "./main.js";
import { camel, environmentCodes, slug } from "./names.js";

export interface EnvNames {
  env: string;
  /** `az deployment sub` name of the environment's deployment (the pipelines' too). */
  deployment: string;
  resourceGroup: string;
  code: string;
  workspace: string;
  appInsights: string;
  aks: string;
  workbook: string;
  budget: string;
  deploymentAlert: string;
  actionGroup(channel: string): string;
  /** The generated prefix of the alert relay's Function App (sections/alert-relay.ts). */
  relayPrefix: string;
  plan(service: string): string;
  staticSite(service: string): string;
  webTest(service: string): string;
  /** The generated prefix of an app's, server's or cache's name (the suffix is uniqueString()). */
  appPrefix(service: string): string;
  postgresPrefix(server: string): string;
  redisPrefix(cache: string): string;
}

export function envNames(project: ProjectModel, m: AppModel): EnvNames {
  const app = slug(project.name, 8);
  const env = m.environment.name;
  const code = environmentCodes(project.environments).get(env)!;
  return {
    env,
    deployment: `${project.name}-${env}`,
    resourceGroup: m.environment.resource_group,
    code,
    workspace: `log-${app}-${code}`,
    appInsights: `appi-${app}-${code}`,
    aks: `aks-${app}-${code}`,
    workbook: `${project.name} (${env})`,
    budget: `budget-${app}-${code}`,
    deploymentAlert: `deployment-failed-${app}-${code}`,
    actionGroup: (channel) => `ag-${app}-${code}-${channel}`,
    relayPrefix: `func-${app}-alerts-${code}-`,
    plan: (s) => `asp-${app}-${slug(s, 30)}-${code}`,
    staticSite: (s) => `stapp-${app}-${slug(s, 18)}-${code}`,
    webTest: (s) => `webtest-${app}-${slug(s, 30)}-${code}`,
    appPrefix: (s) => `app-${app}-${slug(s, 24)}-${code}-`,
    postgresPrefix: (n) => `psql-${app}-${slug(n, 20)}-${code}-`,
    redisPrefix: (n) => `redis-${app}-${slug(n, 20)}-${code}-`,
  };
}

/** `NAME=$(az deployment sub show ...)`: an output of the environment's deployment into a variable. */
export const fromOutput = (n: EnvNames, variable: string, output: string): string =>
  `${variable}=$(az deployment sub show --name ${n.deployment} --query properties.outputs.${output}.value --output tsv)`;

/** `NAME=$(az <group> list ...)`: the one resource of the group whose name starts with `prefix`. */
export const byPrefix = (n: EnvNames, variable: string, group: string, prefix: string): string =>
  `${variable}=$(az ${group} list --resource-group ${n.resourceGroup} --query "[?starts_with(name, '${prefix}')].name | [0]" --output tsv)`;

export interface Env {
  app: AppModel;
  n: EnvNames;
}

/** The App Services of an environment (http services and workers), in name order. */
export const appsIn = (facts: AzureFacts, app: AppModel): ServiceModel[] =>
  facts.appServices
    .map((s) => app.services[s])
    .filter((s): s is ServiceModel => s !== undefined && isService(s));

/** `APP_X=$(...)` lines: the real name of each App Service of the environment, from the deployment's outputs. */
export const appNameLines = (facts: AzureFacts, e: Env): string[] =>
  appsIn(facts, e.app).map((s) => fromOutput(e.n, appVar(s.name), `${camel(s.name)}AppName`));
export const appVar = (service: string) => `APP_${service.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
