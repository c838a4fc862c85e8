// main.bicep and the parameter files. main.bicep is the same for every environment: it deploys at
// subscription scope, creates the environment's resource group and calls the modules; everything
// that differs between environments is a parameter whose value each `parameters/<env>.bicepparam`
// sets. Each section of the template (./sections) declares its parameters together with their value
// in every environment, so the two can never disagree; this file joins the sections in order.
import type { BicepFile, BicepParamFile, BicepTypeDecl } from "../../format/bicep.js";
import type { ProjectModel } from "../../model/types.js";
import { GENERATED, MODULES, type ModuleName } from "./modules/index.js";
import { secretName } from "./names.js";
import { alertsPart } from "./sections/alerts.js";
import { composedSecretsPart } from "./sections/app-settings.js";
import { appServicesPart } from "./sections/app-services.js";
import { availabilityPart } from "./sections/availability.js";
import { budgetPart, lockPart } from "./sections/budget-lock.js";
import { clusterPart } from "./sections/cluster.js";
import { baseContext, type Ctx } from "./sections/context.js";
import { registryPlan, zoneIn, type RegistryPlan } from "./decisions.js";
import { dataPart } from "./sections/data.js";
import { dnsPart } from "./sections/dns.js";
import { emailPart } from "./sections/email.js";
import { environmentPart } from "./sections/environment.js";
import { keyVaultPart } from "./sections/identity.js";
import { monitoringPart } from "./sections/monitoring.js";
import {
  joinParts,
  type DeployVariable,
  type ManagedSecret,
  type Part,
  type SecretUse,
} from "./sections/part.js";
import { hasShared, registryPart, sharedGroupName, sharedPart } from "./sections/shared.js";
import { staticSitesPart } from "./sections/static-sites.js";
import { workbookPart } from "./sections/workbook.js";

export interface AzureBuild {
  /** Bicep files by path (main.bicep, modules/*.bicep). */
  bicep: Record<string, BicepFile>;
  /** Parameter files by path (parameters/<env>.bicepparam). */
  params: Record<string, BicepParamFile>;
  /** Facts the runbook needs. */
  facts: AzureFacts;
}

export interface AzureFacts {
  compute: "appservice" | "aks";
  /** Environment variables read at deployment by the parameter files (secure values and images). */
  deployVariables: DeployVariable[];
  /** Key Vault secrets whose values operators set, by name, with the settings that read them. */
  operatorSecrets: { secret: string; envVar: string; services: string[] }[];
  /** Key Vault secrets the deployment writes itself (connection strings). */
  managedSecrets: ManagedSecret[];
  appServices: string[];
  staticSites: string[];
  /** The resource group every environment shares (registry, DNS zones), when there is one. */
  sharedGroup?: string;
  /** The registry of the images: the one the spec names (`acr`), or Gantry's (output acrLoginServer). */
  registry?: RegistryPlan;
  /** The DNS zones Gantry manages, with the environments whose records go into each. */
  zones: { zone: string; envs: string[] }[];
  outputs: string[];
  /** Whether the alert relay of Slack and Teams channels is deployed (modules/alert-relay.ts). */
  alertRelay: boolean;
}

export function buildAzure(project: ProjectModel): AzureBuild {
  const base = baseContext(project);
  const environment = environmentPart(base);
  const c: Ctx = { ...base, ...environment.refs };
  const compute = joinParts(appServicesPart(c), staticSitesPart(c), clusterPart(c));
  const email = emailPart(c);
  const part = joinParts(
    environment.part,
    sharedPart(c),
    monitoringPart(c),
    compute,
    registryPart(c, compute.imagePullers),
    keyVaultPart(c, compute),
    dataPart(c),
    composedSecretsPart(c),
    email,
    dnsPart(c, joinParts(compute, email)),
    alertsPart(c),
    availabilityPart(c, compute.webTests),
    budgetPart(c),
    workbookPart(c),
    lockPart(c),
  );
  return {
    bicep: bicepFiles(c, part),
    params: paramFiles(c, part),
    facts: facts(c, part),
  };
}

function bicepFiles(c: Ctx, part: Part): Record<string, BicepFile> {
  const main: BicepFile = {
    header: [
      `Infrastructure of ${c.project.name} on Azure, one resource group per environment.`,
      GENERATED,
      "Deploy: see README.md.",
    ],
    targetScope: "subscription",
    types: typeDecls(part.types),
    params: [...checkedParams(part).map((p) => p.decl), ...part.fixedParams],
    vars: part.vars,
    resources: part.resources,
    modules: part.modules,
    outputs: part.outputs,
  };
  const paths = new Set(part.modules.map((m) => m.path));
  const used = (Object.keys(MODULES) as ModuleName[]).filter((n) => paths.has(`modules/${n}.bicep`)).sort();
  const bicep: Record<string, BicepFile> = { "main.bicep": main };
  for (const name of used) bicep[`modules/${name}.bicep`] = MODULES[name]();
  // The domain module deploys app-service-tls.bicep itself.
  if (used.includes("app-service-domain"))
    bicep["modules/app-service-tls.bicep"] = MODULES["app-service-tls"]();
  return bicep;
}

function checkedParams(part: Part) {
  const seen = new Set<string>();
  for (const { decl } of part.params) {
    if (seen.has(decl.name)) throw new Error(`parameter ${decl.name} declared twice`);
    seen.add(decl.name);
  }
  return part.params;
}

/** Each type once, as its first group declared it; every group of a type has the same fields. */
function typeDecls(types: BicepTypeDecl[]): BicepTypeDecl[] {
  const byName = new Map<string, BicepTypeDecl>();
  for (const t of types) {
    const known = byName.get(t.name);
    if (!known) byName.set(t.name, t);
    else if (known.fields.map((f) => f.name).join() !== t.fields.map((f) => f.name).join())
      throw new Error(`fields of ${t.name} differ between resources`);
  }
  return [...byName.values()];
}

function paramFiles(c: Ctx, part: Part): Record<string, BicepParamFile> {
  return Object.fromEntries(
    c.envs.map((m) => {
      const e = m.environment.name;
      const file: BicepParamFile = {
        header: [
          `Parameters of ${c.project.name} in ${e} (tier ${m.environment.tier}).`,
          GENERATED,
          "Secure values are read from environment variables at deployment, never written here.",
        ],
        using: "../main.bicep",
        params: part.params.map((p) => ({ name: p.decl.name, value: p.values.get(e)! })),
      };
      return [`parameters/${e}.bicepparam`, file];
    }),
  );
}

function facts(c: Ctx, part: Part): AzureFacts {
  return {
    compute: c.compute,
    deployVariables: part.deployVariables.filter(
      (v, i, all) => all.findIndex((w) => w.name === v.name) === i,
    ),
    operatorSecrets: operatorSecrets(part.secretUses),
    managedSecrets: part.managedSecrets,
    appServices: part.appServices,
    staticSites: part.staticSites,
    outputs: part.outputs.map((o) => o.name),
    alertRelay: part.modules.some((m) => m.path === "modules/alert-relay.bicep"),
    ...(hasShared(c) ? { sharedGroup: sharedGroupName(c) } : {}),
    ...(registryPlan(c.project) ? { registry: registryPlan(c.project) } : {}),
    zones: zonesOf(c),
  };
}

/** The operator secrets by variable, in the order services first read them, with every reader. */
function operatorSecrets(uses: SecretUse[]): AzureFacts["operatorSecrets"] {
  const byVar = new Map<string, string[]>();
  for (const { envVar, service } of uses) {
    const services = byVar.get(envVar) ?? [];
    if (!services.includes(service)) services.push(service);
    byVar.set(envVar, services);
  }
  return [...byVar].map(([envVar, services]) => ({ secret: secretName(envVar), envVar, services }));
}

/** Each managed zone once, with the environments that write records into it, in pipeline order. */
function zonesOf(c: Ctx): AzureFacts["zones"] {
  const byZone = new Map<string, string[]>();
  for (const m of c.envs) {
    const zone = zoneIn(m);
    if (zone) byZone.set(zone, [...(byZone.get(zone) ?? []), m.environment.name]);
  }
  return [...byZone].map(([zone, envs]) => ({ zone, envs }));
}
