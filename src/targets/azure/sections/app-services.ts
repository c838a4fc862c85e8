// Each http or worker service on App Service: its plan with CPU autoscale, the site, a staging slot
// where the environment swaps releases, its app settings (./app-settings.ts: what the app receives),
// the identities that pull its image and read its secrets, and its custom domain when Gantry manages
// the zone.
import { envName } from "../../../model/queries.js";
import { binary, call, not, str, ternary, type BicepObject, type BicepValue } from "../../../format/bicep.js";
import type { AppModel, ServiceModel } from "../../../model/types.js";
import { startupCommand } from "../command.js";
import { camel, slug } from "../names.js";
import { boundIn, hasSlot, planSku } from "../decisions.js";
import { healthCheckPath, suppliedSettings } from "../supply.js";
import { deployedValues, settingsConfig } from "./app-settings.js";
import {
  appOf,
  defined,
  itemWhere,
  managedZone,
  onlyWhere,
  presenceParam,
  readEnv,
  where,
  type Ctx,
} from "./context.js";
import { domainFields, publicHost, domainRecords } from "./domains.js";
import {
  callModule,
  field,
  joinParts,
  output,
  outputOf,
  paramGroup,
  type DeployVariable,
  type Part,
} from "./part.js";

export function appServicesPart(c: Ctx): Partial<Part> {
  return joinParts(...c.apps.map((n) => appServicePart(c, n)));
}

const imageVariable = (n: string) => `${envName(n)}_IMAGE`;

const imageDeployVariable = (app: string, n: string, s0: ServiceModel): DeployVariable => ({
  name: imageVariable(n),
  description: s0.image
    ? `Image ${n} runs (unset: ${s0.image}, from the spec).`
    : `Image ${n} runs, e.g. <acrLoginServer>/${app}/${n}:sha-<short> (unset: the image that runs now is kept; the pipeline deploys it).`,
  required: false,
});

function appServicePart(c: Ctx, n: string): Partial<Part> {
  const id = camel(n);
  const s0 = defined(
    c.envs.map((m) => appOf(m, n)),
    n,
  );
  const sv = (m: AppModel) => appOf(m, n) ?? s0;
  const config = appConfig(c, n, s0, sv);
  const f = config.fields;
  // Only where the environment has the service: the sections that read its outputs elsewhere get ''.
  const enabled = presenceParam(c, n, "the App Service");
  const on = enabled?.ref;
  const slotOn = on ? binary("&&", on, f.enableSlot) : f.enableSlot;
  const health = healthCheckPath(s0);
  const bound = c.envs.some((m) => boundIn(m, appOf(m, n)) !== undefined);
  const run: BicepObject = {
    location: c.location,
    tags: c.tags,
    planId: outputOf(`${id}Plan`, "id"),
    containerImage: f.image,
    healthCheckPath: health,
    commandLine: f.startupCommand,
    alwaysOn: f.alwaysOn,
    settings: f.settings,
    secretSettings: f.secretSettings,
    keyVaultName: c.keyVaultName,
    deployedSettings: f.deployedSettings,
    deployedValues: deployedValues(c, n),
  };
  // The site's identity and its slot's pull the image and read the Key Vault references.
  const identities = [
    where(on, outputOf(`${id}App`, "principalId"), ""),
    ternary(slotOn, outputOf(`${id}Slot`, "principalId"), ""),
  ];
  const webTest = {
    name: str`webtest-${c.appSlug}-${slug(n, 30)}-${c.code}`,
    url: str`https://${publicHost(outputOf(`${id}App`, "defaultHostName"), f.domain)}${health}`,
  };
  const app: Partial<Part> = {
    params: [config.param, ...(enabled ? [enabled] : [])],
    types: [config.type],
    modules: [
      { ...planModule(c, n, f), ...onlyWhere(on) },
      callModule(
        `${id}App`,
        "app-service",
        `App Service of ${n}.`,
        {
          name: str`app-${c.appSlug}-${slug(n, 24)}-${c.code}-${c.suffix}`,
          ...run,
          workspaceId: outputOf("logAnalytics", "id"),
        },
        onlyWhere(on),
      ),
      callModule(
        `${id}Slot`,
        "app-service-slot",
        `Staging slot of ${n}.`,
        { siteName: outputOf(`${id}App`, "name"), ...run },
        { condition: slotOn },
      ),
    ],
    outputs: [
      output(
        `${id}AppName`,
        "string",
        `Name of the App Service of ${n}.`,
        where(on, outputOf(`${id}App`, "name"), ""),
      ),
    ],
    deployVariables: [imageDeployVariable(c.project.name, n, s0)],
    secretUses: operatorSecrets(c, n),
    appServices: [n],
    secretReaders: identities,
    imagePullers: identities,
    // A worker is probed where some environment binds it to a domain: that host is public.
    webTests: health && (s0.type === "http" || bound) ? [itemWhere(on, webTest)] : [],
  };
  return f.domain && f.dnsRecord ? joinParts(app, appDomain(c, n, f.domain, f.dnsRecord)) : app;
}

/** The per-environment settings of a service's plan and site, as one parameter. */
function appConfig(c: Ctx, n: string, s0: ServiceModel, sv: (m: AppModel) => ServiceModel) {
  const cooldown = (secs: number) => `PT${Math.max(1, Math.ceil(secs / 60))}M`;
  return paramGroup(
    c.envs,
    `${camel(n)}Config`,
    { name: "appServiceConfig", description: "Per-environment settings of an App Service and its plan." },
    `Settings of ${n} in this environment.`,
    {
      planSku: field("string", `App Service plan SKU of ${n}.`, (m) => planSku(m, sv(m))),
      minInstances: field("int", `Instances of ${n} at least.`, (m) => sv(m).scale.min),
      maxInstances: field("int", `Instances of ${n} at most.`, (m) => sv(m).scale.max),
      scaleOutCpu: field(
        "int",
        `Average CPU percentage above which ${n} scales out.`,
        (m) => sv(m).scale.cpu,
      ),
      scaleInCpu: field("int", `Average CPU percentage below which ${n} scales in.`, (m) =>
        Math.max(5, sv(m).scale.cpu - 40),
      ),
      scaleOutCooldown: field("string", `Wait after ${n} scales out.`, (m) =>
        cooldown(Math.max(sv(m).scale.up.window_seconds, sv(m).scale.up.period_seconds)),
      ),
      scaleInCooldown: field("string", `Wait after ${n} scales in.`, (m) =>
        cooldown(Math.max(sv(m).scale.down.window_seconds, sv(m).scale.down.period_seconds)),
      ),
      zoneRedundant: field(
        "bool",
        `Spread ${n} over availability zones.`,
        (m) =>
          m.environment.tier === "production" && sv(m).scale.min >= 2 && planSku(m, sv(m)).startsWith("P"),
      ),
      startupCommand: field("string", `Startup command of ${n} ('' keeps the image's CMD).`, (m) =>
        startupCommand(sv(m).command),
      ),
      settings: field(
        "object",
        `App settings of ${n} with their values (never secrets).`,
        (m) => settingsConfig(m, sv(m)).settings,
      ),
      secretSettings: field(
        "object",
        `App settings of ${n} read from Key Vault: name → secret.`,
        (m) => settingsConfig(m, sv(m)).secretSettings,
      ),
      deployedSettings: field(
        "object",
        `App settings of ${n} the deployment computes: name → key of the value.`,
        (m) => settingsConfig(m, sv(m)).deployedSettings,
      ),
      image: field("string", `Container image of ${n}.`, () => readEnv(imageVariable(n), s0.image ?? "")),
      alwaysOn: field("bool", `Keep ${n} loaded.`, (m) => m.environment.tier !== "development"),
      enableSlot: field("bool", `Create a staging slot for zero-downtime swaps of ${n}.`, (m) =>
        hasSlot(m, sv(m)),
      ),
      ...(managedZone(c) ? domainFields(n, (m) => boundIn(m, appOf(m, n))) : {}),
    },
  );
}

function planModule(c: Ctx, n: string, f: ReturnType<typeof appConfig>["fields"]) {
  return callModule(`${camel(n)}Plan`, "app-service-plan", `App Service plan of ${n}, with CPU autoscale.`, {
    name: str`asp-${c.appSlug}-${slug(n, 30)}-${c.code}`,
    location: c.location,
    tags: c.tags,
    skuName: f.planSku,
    minInstances: f.minInstances,
    maxInstances: f.maxInstances,
    scaleOutCpuPercent: f.scaleOutCpu,
    scaleInCpuPercent: f.scaleInCpu,
    scaleOutCooldown: f.scaleOutCooldown,
    scaleInCooldown: f.scaleInCooldown,
    zoneRedundant: f.zoneRedundant,
  });
}

/** The Key Vault secrets operators set that a service reads, in every environment. */
function operatorSecrets(c: Ctx, n: string) {
  const names = new Set<string>();
  for (const m of c.envs) {
    const s = appOf(m, n);
    for (const { name, supply } of s ? suppliedSettings(m, s) : [])
      if (supply.kind === "vault" && supply.writer.by === "operator") names.add(name);
  }
  return [...names].sort().map((envVar) => ({ envVar, service: n }));
}

/** The custom domain of a site: its CNAME and asuid TXT records, then the binding and certificate. */
function appDomain(c: Ctx, n: string, domain: BicepValue, record: BicepValue): Partial<Part> {
  const id = camel(n);
  return {
    ...domainRecords(record, outputOf(`${id}App`, "defaultHostName")),
    txtRecords: [
      ternary(
        call("empty", record),
        [],
        [{ name: str`asuid.${record}`, values: [outputOf(`${id}App`, "customDomainVerificationId")] }],
      ),
    ],
    domainModules: [
      callModule(
        `${id}Domain`,
        "app-service-domain",
        `Custom domain and managed certificate of ${n}.`,
        {
          siteName: outputOf(`${id}App`, "name"),
          hostName: domain,
          planId: outputOf(`${id}Plan`, "id"),
          location: c.location,
          tags: c.tags,
        },
        { condition: not(call("empty", domain)), dependsOn: ["dnsRecords"] },
      ),
    ],
  };
}
