// Each http or worker service on App Service: its plan with CPU autoscale, the site, a staging slot
// where the environment swaps releases, the app settings (plain values, Key Vault references and
// connection settings), and its custom domain when Gantry manages the zone.
import { call, not, str, ternary, type BicepObject, type BicepValue } from "../../../format/bicep.js";
import type { AppModel, ServiceModel } from "../../../model/types.js";
import { camel, secretName, slug, upperSnake } from "../names.js";
import { boundDomain, planSku } from "../plan.js";
import { appOf, defined, KAFKA_SECRETS, readEnv, usesTopics, type Ctx } from "./context.js";
import { domainFields, domainRecords } from "./domains.js";
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

/**
 * The startup command of an App Service container. App Service passes it to the container as
 * arguments, without a shell, so a command that reads variables ($PORT) runs through `sh -c`.
 */
export function commandLine(command: string | undefined): string {
  if (!command) return "";
  return command.includes("$") ? `sh -c '${command.replace(/'/g, `'"'"'`)}'` : command;
}

export function appServicesPart(c: Ctx): Partial<Part> {
  return joinParts(...c.apps.map((n) => appServicePart(c, n)));
}

const imageVariable = (n: string) => `${upperSnake(n)}_IMAGE`;

const imageDeployVariable = (n: string, s0: ServiceModel): DeployVariable => ({
  name: imageVariable(n),
  description: s0.image
    ? `Image ${n} runs (unset: ${s0.image}, from the spec).`
    : `Image ${n} runs, e.g. <acrLoginServer>/${n}:sha-<short> (unset: the image that runs now is kept; the pipeline deploys it).`,
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
  const settings = appSettings(c, n, s0);
  const health = s0.health?.readiness ?? s0.health?.liveness ?? "";
  const run: BicepObject = {
    location: c.location,
    tags: c.tags,
    planId: outputOf(`${id}Plan`, "id"),
    containerImage: f.image,
    healthCheckPath: health,
    commandLine: commandLine(s0.command),
    alwaysOn: f.alwaysOn,
    appSettings: settings.values,
    settings: f.settings,
  };
  const app: Partial<Part> = {
    params: [config.param],
    types: [config.type],
    modules: [
      planModule(c, n, f),
      callModule(`${id}App`, "app-service", `App Service of ${n}.`, {
        name: str`app-${c.appSlug}-${slug(n, 24)}-${c.code}-${c.suffix}`,
        ...run,
        workspaceId: outputOf("logAnalytics", "id"),
      }),
      callModule(
        `${id}Slot`,
        "app-service-slot",
        `Staging slot of ${n}.`,
        { siteName: outputOf(`${id}App`, "name"), ...run },
        { condition: f.enableSlot },
      ),
    ],
    outputs: [
      output(`${id}AppName`, "string", `Name of the App Service of ${n}.`, outputOf(`${id}App`, "name")),
    ],
    deployVariables: [imageDeployVariable(n, s0)],
    secretUses: settings.secrets.map((envVar) => ({ envVar, service: n })),
    appServices: [n],
    secretReaders: [
      outputOf(`${id}App`, "principalId"),
      ternary(f.enableSlot, outputOf(`${id}Slot`, "principalId"), ""),
    ],
    outboundIps: [outputOf(`${id}App`, "outboundIpAddresses")],
    webTests:
      health && s0.type === "http"
        ? [
            {
              name: str`webtest-${c.appSlug}-${slug(n, 30)}-${c.code}`,
              url: str`https://${outputOf(`${id}App`, "defaultHostName")}${health}`,
            },
          ]
        : [],
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
      settings: field("object", `Plain environment variables of ${n} (never secrets).`, (m) =>
        Object.fromEntries(Object.entries(sv(m).env).sort(([a], [b]) => a.localeCompare(b))),
      ),
      image: field("string", `Container image of ${n}.`, () => readEnv(imageVariable(n), s0.image ?? "")),
      alwaysOn: field("bool", `Keep ${n} loaded.`, (m) => m.environment.tier !== "development"),
      enableSlot: field(
        "bool",
        `Create a staging slot for zero-downtime swaps of ${n}.`,
        (m) => m.environment.deploy.slot && planSku(m, sv(m)) !== "B1",
      ),
      ...(c.first.dns?.manage ? domainFields(n, (m) => boundDomain(m, sv(m))) : {}),
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

/**
 * App settings: plain settings of the platform, then references the deployment resolves (Key Vault
 * secrets, connection settings of what the service uses); and the operator secrets among them.
 */
function appSettings(c: Ctx, n: string, s0: ServiceModel): { values: BicepValue[]; secrets: string[] } {
  const kvRef = (envVar: string) =>
    str`@Microsoft.KeyVault(VaultName=${c.keyVaultName};SecretName=${secretName(envVar)})`;
  const secrets = [...s0.secrets].sort();
  const kafka = usesTopics(c.first, s0) ? KAFKA_SECRETS : [];
  const uses = (u: string): BicepValue[] => {
    const { postgres, redis, buckets } = c.conn;
    if (postgres[u]) return [{ name: postgres[u], value: kvRef(postgres[u]) }];
    if (redis[u]) return [{ name: redis[u], value: kvRef(redis[u]) }];
    if (buckets[u])
      return [{ name: buckets[u], value: str`${outputOf("storage", "blobEndpoint")}${slug(u)}` }];
    if (u === "email" && c.first.email)
      return [
        { name: "ACS_CONNECTION_STRING", value: kvRef("ACS_CONNECTION_STRING") },
        { name: "EMAIL_SENDER_DOMAIN", value: outputOf("communication", "mailFromDomain") },
      ];
    return [];
  };
  return {
    values: [
      { name: "APPLICATIONINSIGHTS_CONNECTION_STRING", value: outputOf("appInsights", "connectionString") },
      ...(s0.port === undefined
        ? []
        : [
            { name: "PORT", value: String(s0.port) },
            { name: "WEBSITES_PORT", value: String(s0.port) },
          ]),
      { name: "WEBSITES_ENABLE_APP_SERVICE_STORAGE", value: "false" },
      // Failed health pings before App Service replaces an instance (it accepts 2 to 10).
      ...(s0.health
        ? [
            {
              name: "WEBSITE_HEALTHCHECK_MAXPINGFAILURES",
              value: String(Math.min(10, Math.max(2, s0.health.failure_threshold))),
            },
          ]
        : []),
      ...secrets.map((s) => ({ name: s, value: kvRef(s) })),
      ...[...s0.uses].sort().flatMap(uses),
      ...kafka.map((k) => ({ name: k, value: kvRef(k) })),
    ],
    secrets: [...secrets, ...kafka],
  };
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
