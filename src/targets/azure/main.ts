// main.bicep and the parameter files. main.bicep is the same for every environment: it deploys at
// subscription scope, creates the environment's resource group and calls the modules; everything
// that differs between environments is a parameter whose value each `parameters/<env>.bicepparam`
// sets. `EnvParams` keeps the declaration and the per-environment values of each parameter
// together, so the two can never disagree.
import {
  binary,
  call,
  member,
  not,
  ref,
  str,
  ternary,
  type BicepExprNode,
  type BicepFile,
  type BicepModule,
  type BicepObject,
  type BicepOutput,
  type BicepParam,
  type BicepParamFile,
  type BicepType,
  type BicepTypeDecl,
  type BicepValue,
  type BicepVar,
} from "../../format/bicep.js";
import type { AppModel, ProjectModel, ServiceModel, StaticModel } from "../../model/types.js";
import { API } from "./api.js";
import { GENERATED, MODULES, type ModuleName } from "./modules/index.js";
import { alnum, camel, environmentCodes, secretName, slug, upperSnake } from "./names.js";
import {
  aksNodes,
  boundDomain,
  computeOf,
  isApp,
  isStatic,
  locationOf,
  logWindow,
  metricWindow,
  planSku,
  postgresSku,
  postgresStorage,
  redisSku,
  relativeName,
  serviceNames,
  SEVERITY,
  staticWebAppLocation,
  TEST_LOCATIONS,
  zoneOwner,
} from "./plan.js";

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
  deployVariables: { name: string; description: string; required: boolean }[];
  /** Key Vault secrets whose values operators set, by name, with the settings that read them. */
  operatorSecrets: { secret: string; envVar: string; services: string[] }[];
  /** Key Vault secrets the deployment writes itself (connection strings). */
  managedSecrets: { secret: string; envVar: string; what: string }[];
  appServices: string[];
  staticSites: string[];
  zoneOwner?: string;
  outputs: string[];
}

class EnvParams {
  readonly decls: BicepParam[] = [];
  readonly values = new Map<string, Map<string, BicepValue>>();
  readonly types = new Map<string, BicepTypeDecl>();
  constructor(private readonly envs: readonly AppModel[]) {}

  add(
    name: string,
    type: BicepParam["type"],
    description: string,
    value: (m: AppModel) => BicepValue,
    extra: Partial<BicepParam> = {},
  ): BicepExprNode {
    if (this.values.has(name)) throw new Error(`parameter ${name} declared twice`);
    this.decls.push({ name, type, description, ...extra });
    this.values.set(name, new Map(this.envs.map((m) => [m.environment.name, value(m)])));
    return ref(name);
  }

  /**
   * One object parameter of a declared type that groups the settings of one resource (so that an
   * app with many services stays within Resource Manager's 256 parameters per template). Returns a
   * function that adds a field and gives the expression reading it.
   */
  group(name: string, typeName: string, typeDescription: string, description: string) {
    const values = new Map<string, BicepObject>(this.envs.map((m) => [m.environment.name, {}]));
    this.add(name, typeName, description, (m) => values.get(m.environment.name)!);
    let type = this.types.get(typeName);
    const fresh = !type;
    if (!type) {
      type = { name: typeName, description: typeDescription, fields: [] };
      this.types.set(typeName, type);
    }
    const decl = type;
    let position = 0;
    return (
      field: string,
      fieldType: BicepType,
      fieldDescription: string,
      value: (m: AppModel) => BicepValue,
    ): BicepExprNode => {
      if (fresh) decl.fields.push({ name: field, type: fieldType, description: fieldDescription });
      else if (decl.fields[position]?.name !== field)
        throw new Error(`${name}.${field}: fields of ${typeName} differ between resources`);
      position++;
      for (const m of this.envs) values.get(m.environment.name)![field] = value(m);
      return member(ref(name), field);
    };
  }
}

/** The first value that is set: a service may be missing from some environments, never from all. */
function defined<T>(values: (T | undefined)[], what: string): T {
  const v = values.find((x) => x !== undefined);
  if (v === undefined) throw new Error(`${what} is in no environment`);
  return v;
}

const env = (name: string, fallback?: string): BicepExprNode =>
  fallback === undefined
    ? call("readEnvironmentVariable", name)
    : call("readEnvironmentVariable", name, fallback);
const out = (symbol: string, key: string) => member(ref(symbol), "outputs", key);

/** Connection settings of what a service uses: env var → Key Vault secret or plain value. */
function connectionVars(app: AppModel): {
  postgres: Record<string, string>;
  redis: Record<string, string>;
  buckets: Record<string, string>;
} {
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

/**
 * The startup command of an App Service container. App Service passes it to the container as
 * arguments, without a shell, so a command that reads variables ($PORT) runs through `sh -c`.
 */
export function commandLine(command: string | undefined): string {
  if (!command) return "";
  return command.includes("$") ? `sh -c '${command.replace(/'/g, `'"'"'`)}'` : command;
}

export function buildAzure(project: ProjectModel): AzureBuild {
  const envs = project.environments;
  const first = envs[0];
  if (!first) throw new Error("a project has at least one environment");
  const compute = computeOf(project);
  const codes = environmentCodes(envs);
  const P = new EnvParams(envs);
  const appSlug = slug(project.name, 8);
  const appAlnum = alnum(project.name, 8);
  const owner = zoneOwner(project);
  const conn = connectionVars(first);

  const vars: BicepVar[] = [];
  const modules: BicepModule[] = [];
  const outputs: BicepOutput[] = [];
  const used = new Set<ModuleName>();
  const facts: AzureFacts = {
    compute,
    deployVariables: [],
    operatorSecrets: [],
    managedSecrets: [],
    appServices: [],
    staticSites: [],
    outputs: [],
  };
  const mod = (
    symbol: string,
    name: ModuleName,
    description: string,
    params: BicepObject,
    extra: Partial<BicepModule> = {},
  ): BicepExprNode => {
    used.add(name);
    modules.push({
      symbol,
      path: `modules/${name}.bicep`,
      name: symbol,
      description,
      scope: ref("rg"),
      params,
      ...extra,
    });
    return ref(symbol);
  };
  const output = (name: string, type: BicepOutput["type"], description: string, value: BicepValue) => {
    outputs.push({ name, type, description, value });
    facts.outputs.push(name);
  };
  const deployVar = (name: string, description: string, required: boolean) => {
    if (!facts.deployVariables.some((v) => v.name === name))
      facts.deployVariables.push({ name, description, required });
  };

  // ---- environment ------------------------------------------------------------------------------
  P.add("environmentName", "string", "Name of the environment.", (m) => m.environment.name, {
    allowed: envs.map((m) => m.environment.name),
  });
  const code = P.add(
    "environmentCode",
    "string",
    "Short code of the environment in resource names.",
    (m) => codes.get(m.environment.name)!,
    {
      minLength: 1,
      maxLength: 6,
    },
  );
  const location = P.add("location", "string", "Azure region of the environment.", locationOf);
  const rgName = P.add(
    "resourceGroupName",
    "string",
    "Resource group of the environment.",
    (m) => m.environment.resource_group,
    {
      minLength: 1,
      maxLength: 90,
    },
  );
  const tags = P.add(
    "tags",
    "object",
    "Tags on every resource (Environment, Project, Owner, CostCenter...).",
    (m) => Object.fromEntries(Object.entries(m.tags).sort(([a], [b]) => a.localeCompare(b))),
  );

  vars.push({
    name: "suffix",
    description:
      "Makes globally unique names unique per subscription and resource group, and the same on every run.",
    value: call("take", call("uniqueString", member(call("subscription"), "id"), rgName), 6),
  });
  const suffix = ref("suffix");
  vars.push({
    name: "keyVaultName",
    description: "Name of the environment's Key Vault (3-24 characters).",
    value: str`kv-${slug(project.name, 7)}-${code}-${suffix}`,
  });
  const kvName = ref("keyVaultName");
  const kvRef = (envVar: string) =>
    str`@Microsoft.KeyVault(VaultName=${kvName};SecretName=${secretName(envVar)})`;

  const rgResource = {
    symbol: "rg",
    type: API.resourceGroup[0],
    apiVersion: API.resourceGroup[1],
    description: "The environment's resource group: everything below is deployed into it.",
    body: { name: rgName, location, tags },
  };

  // ---- monitoring -------------------------------------------------------------------------------
  mod("logAnalytics", "log-analytics", "Log Analytics workspace.", {
    name: str`log-${appSlug}-${code}`,
    location,
    tags,
    retentionInDays: P.add(
      "logRetentionDays",
      "int",
      "Days logs are kept (Log Analytics keeps 30 at least).",
      (m) => Math.min(730, Math.max(30, m.monitoring.log_retention_days)),
    ),
    dailyQuotaGb: P.add("logDailyCapGb", "int", "Daily log ingestion cap in GB (0: no cap).", (m) =>
      Math.ceil(m.monitoring.daily_cap_gb),
    ),
  });
  mod("appInsights", "app-insights", "Workspace-based Application Insights.", {
    name: str`appi-${appSlug}-${code}`,
    location,
    tags,
    workspaceId: out("logAnalytics", "id"),
    samplingPercentage: P.add("samplingPercentage", "int", "Percentage of telemetry kept.", (m) =>
      Math.max(1, Math.round(m.monitoring.sampling_percent)),
    ),
  });

  // ---- App Service ----------------------------------------------------------------------------------
  const apps = compute === "appservice" ? serviceNames(project, isApp) : [];
  const statics = compute === "appservice" ? serviceNames(project, isStatic) : [];
  const principalIds: BicepValue[] = [];
  /** Identities that pull images from the registry. */
  const pullers: BicepValue[] = [];
  const outboundIps: BicepValue[] = [];
  const cnames: BicepValue[] = [];
  const txts: BicepValue[] = [];
  const domainModules: (() => void)[] = [];
  const tests: BicepValue[] = [];
  const svcOf = (m: AppModel, n: string) => m.services[n] as ServiceModel | undefined;
  const staticOf = (m: AppModel, n: string) => m.services[n] as StaticModel | undefined;
  const usersOf = (what: string) => apps.filter((n) => (svcOf(first, n)?.uses ?? []).includes(what));
  const operatorSecret = (envVar: string, service: string) => {
    const s = facts.operatorSecrets.find((x) => x.envVar === envVar);
    if (s) {
      if (!s.services.includes(service)) s.services.push(service);
    } else facts.operatorSecrets.push({ secret: secretName(envVar), envVar, services: [service] });
  };

  for (const n of apps) {
    const id = camel(n);
    const f = P.group(
      `${id}Config`,
      "appServiceConfig",
      "Per-environment settings of an App Service and its plan.",
      `Settings of ${n} in this environment.`,
    );
    const s0 = defined(
      envs.map((m) => svcOf(m, n)),
      n,
    );
    const sv = (m: AppModel) => svcOf(m, n) ?? s0;
    const sku = f("planSku", "string", `App Service plan SKU of ${n}.`, (m) => planSku(m, sv(m)));
    const min = f("minInstances", "int", `Instances of ${n} at least.`, (m) => sv(m).scale.min);
    const max = f("maxInstances", "int", `Instances of ${n} at most.`, (m) => sv(m).scale.max);
    const cpuOut = f(
      "scaleOutCpu",
      "int",
      `Average CPU percentage above which ${n} scales out.`,
      (m) => sv(m).scale.cpu,
    );
    const cpuIn = f("scaleInCpu", "int", `Average CPU percentage below which ${n} scales in.`, (m) =>
      Math.max(5, sv(m).scale.cpu - 40),
    );
    const cooldown = (secs: number) => `PT${Math.max(1, Math.ceil(secs / 60))}M`;
    mod(`${id}Plan`, "app-service-plan", `App Service plan of ${n}, with CPU autoscale.`, {
      name: str`asp-${appSlug}-${slug(n, 30)}-${code}`,
      location,
      tags,
      skuName: sku,
      minInstances: min,
      maxInstances: max,
      scaleOutCpuPercent: cpuOut,
      scaleInCpuPercent: cpuIn,
      scaleOutCooldown: f("scaleOutCooldown", "string", `Wait after ${n} scales out.`, (m) =>
        cooldown(Math.max(sv(m).scale.up.window_seconds, sv(m).scale.up.period_seconds)),
      ),
      scaleInCooldown: f("scaleInCooldown", "string", `Wait after ${n} scales in.`, (m) =>
        cooldown(Math.max(sv(m).scale.down.window_seconds, sv(m).scale.down.period_seconds)),
      ),
      zoneRedundant: f(
        "zoneRedundant",
        "bool",
        `Spread ${n} over availability zones.`,
        (m) =>
          m.environment.tier === "production" && sv(m).scale.min >= 2 && planSku(m, sv(m)).startsWith("P"),
      ),
    });

    // App settings: plain settings per environment, then references the deployment resolves.
    const settings: BicepValue[] = [
      { name: "APPLICATIONINSIGHTS_CONNECTION_STRING", value: out("appInsights", "connectionString") },
    ];
    if (s0.port !== undefined) {
      settings.push(
        { name: "PORT", value: String(s0.port) },
        { name: "WEBSITES_PORT", value: String(s0.port) },
      );
    }
    settings.push({ name: "WEBSITES_ENABLE_APP_SERVICE_STORAGE", value: "false" });
    if (s0.health) {
      // Failed health pings before App Service replaces an instance (it accepts 2 to 10).
      settings.push({
        name: "WEBSITE_HEALTHCHECK_MAXPINGFAILURES",
        value: String(Math.min(10, Math.max(2, s0.health.failure_threshold))),
      });
    }
    for (const secret of [...s0.secrets].sort()) {
      settings.push({ name: secret, value: kvRef(secret) });
      operatorSecret(secret, n);
    }
    for (const u of [...s0.uses].sort()) {
      if (conn.postgres[u]) settings.push({ name: conn.postgres[u], value: kvRef(conn.postgres[u]) });
      else if (conn.redis[u]) settings.push({ name: conn.redis[u], value: kvRef(conn.redis[u]) });
      else if (conn.buckets[u])
        settings.push({ name: conn.buckets[u], value: str`${out("storage", "blobEndpoint")}${slug(u)}` });
      else if (u === "email" && first.email) {
        settings.push({ name: "ACS_CONNECTION_STRING", value: kvRef("ACS_CONNECTION_STRING") });
        settings.push({ name: "EMAIL_SENDER_DOMAIN", value: out("communication", "mailFromDomain") });
      }
    }
    const usesTopics = s0.uses.some((u) => first.topics[u]) || Object.keys(s0.subscribes).length > 0;
    if (usesTopics) {
      for (const k of ["KAFKA_BROKERS", "KAFKA_USERNAME", "KAFKA_PASSWORD"]) {
        settings.push({ name: k, value: kvRef(k) });
        operatorSecret(k, n);
      }
    }
    const envParam = f("settings", "object", `Plain environment variables of ${n} (never secrets).`, (m) =>
      Object.fromEntries(Object.entries(sv(m).env).sort(([a], [b]) => a.localeCompare(b))),
    );
    const imageVar = `${upperSnake(n)}_IMAGE`;
    deployVar(
      imageVar,
      s0.image
        ? `Image ${n} runs (unset: ${s0.image}, from the spec).`
        : `Image ${n} runs, e.g. <acrLoginServer>/${n}:sha-<short> (unset: the image that runs now is kept; the pipeline deploys it).`,
      false,
    );
    const health = s0.health?.readiness ?? s0.health?.liveness ?? "";
    const run: BicepObject = {
      location,
      tags,
      planId: out(`${id}Plan`, "id"),
      containerImage: f("image", "string", `Container image of ${n}.`, () => env(imageVar, s0.image ?? "")),
      healthCheckPath: health,
      commandLine: commandLine(s0.command),
      alwaysOn: f("alwaysOn", "bool", `Keep ${n} loaded.`, (m) => m.environment.tier !== "development"),
      appSettings: settings,
      settings: envParam,
    };
    const enableSlot = f(
      "enableSlot",
      "bool",
      `Create a staging slot for zero-downtime swaps of ${n}.`,
      (m) => m.environment.deploy.slot && planSku(m, sv(m)) !== "B1",
    );
    mod(`${id}App`, "app-service", `App Service of ${n}.`, {
      name: str`app-${appSlug}-${slug(n, 24)}-${code}-${suffix}`,
      ...run,
      workspaceId: out("logAnalytics", "id"),
    });
    mod(
      `${id}Slot`,
      "app-service-slot",
      `Staging slot of ${n}.`,
      { siteName: out(`${id}App`, "name"), ...run },
      { condition: enableSlot },
    );
    facts.appServices.push(n);
    output(`${id}AppName`, "string", `Name of the App Service of ${n}.`, out(`${id}App`, "name"));
    principalIds.push(
      out(`${id}App`, "principalId"),
      ternary(enableSlot, out(`${id}Slot`, "principalId"), ""),
    );
    outboundIps.push(out(`${id}App`, "outboundIpAddresses"));
    if (health && s0.type === "http")
      tests.push({
        name: str`webtest-${appSlug}-${slug(n, 30)}-${code}`,
        url: str`https://${out(`${id}App`, "defaultHostName")}${health}`,
      });

    if (first.dns?.manage) {
      const domain = f(
        "domain",
        "string",
        `Custom domain of ${n} ('' for none).`,
        (m) => boundDomain(m, sv(m))?.domain ?? "",
      );
      const record = f(
        "dnsRecord",
        "string",
        `Record name of ${n}'s domain in the zone ('' for none).`,
        (m) => boundDomain(m, sv(m))?.record ?? "",
      );
      cnames.push(
        ternary(call("empty", record), [], [{ name: record, target: out(`${id}App`, "defaultHostName") }]),
      );
      txts.push(
        ternary(
          call("empty", record),
          [],
          [{ name: str`asuid.${record}`, values: [out(`${id}App`, "customDomainVerificationId")] }],
        ),
      );
      domainModules.push(() =>
        mod(
          `${id}Domain`,
          "app-service-domain",
          `Custom domain and managed certificate of ${n}.`,
          {
            siteName: out(`${id}App`, "name"),
            hostName: domain,
            planId: out(`${id}Plan`, "id"),
            location,
            tags,
          },
          { condition: not(call("empty", domain)), dependsOn: ["dnsRecords"] },
        ),
      );
    }
  }

  if (statics.length) {
    const swaLocation = P.add(
      "staticWebAppLocation",
      "string",
      "Region of the Static Web Apps (they run in a few regions only).",
      (m) => staticWebAppLocation(locationOf(m)),
    );
    for (const n of statics) {
      const id = camel(n);
      const f = P.group(
        `${id}Config`,
        "staticSiteConfig",
        "Per-environment settings of a Static Web App.",
        `Settings of ${n} in this environment.`,
      );
      const s0 = defined(
        envs.map((m) => staticOf(m, n)),
        n,
      );
      const sv = (m: AppModel) => staticOf(m, n) ?? s0;
      mod(`${id}Site`, "static-web-app", `Static Web App of ${n}.`, {
        name: str`stapp-${appSlug}-${slug(n, 18)}-${code}`,
        location: swaLocation,
        tags,
        skuName: f("staticSku", "string", `Static Web Apps plan of ${n}.`, (m) =>
          m.environment.tier === "development" ? "Free" : "Standard",
        ),
      });
      facts.staticSites.push(n);
      output(
        `${id}StaticWebAppName`,
        "string",
        `Name of the Static Web App of ${n}.`,
        out(`${id}Site`, "name"),
      );
      tests.push({
        name: str`webtest-${appSlug}-${slug(n, 30)}-${code}`,
        url: str`https://${out(`${id}Site`, "defaultHostname")}/`,
      });
      if (first.dns?.manage) {
        const domain = f(
          "domain",
          "string",
          `Custom domain of ${n} ('' for none).`,
          (m) => boundDomain(m, sv(m))?.domain ?? "",
        );
        const record = f(
          "dnsRecord",
          "string",
          `Record name of ${n}'s domain in the zone ('' for none).`,
          (m) => boundDomain(m, sv(m))?.record ?? "",
        );
        cnames.push(
          ternary(call("empty", record), [], [{ name: record, target: out(`${id}Site`, "defaultHostname") }]),
        );
        domainModules.push(() =>
          mod(
            `${id}Domain`,
            "static-web-app-domain",
            `Custom domain of ${n}.`,
            { siteName: out(`${id}Site`, "name"), hostName: domain },
            {
              condition: not(call("empty", domain)),
              dependsOn: ["dnsRecords"],
            },
          ),
        );
      }
    }
  }

  // ---- Kubernetes ------------------------------------------------------------------------------------
  if (compute === "aks") {
    mod("aks", "aks", "AKS cluster the Helm chart deploys onto.", {
      name: str`aks-${appSlug}-${code}`,
      location,
      tags,
      skuTier: P.add("aksSkuTier", "string", "AKS tier (Standard has an uptime SLA).", (m) =>
        m.environment.tier === "production" ? "Standard" : "Free",
      ),
      nodeVmSize: P.add("aksNodeVmSize", "string", "VM size of the nodes.", (m) => aksNodes(m).vmSize),
      minNodes: P.add("aksMinNodes", "int", "Nodes at least.", (m) => aksNodes(m).min),
      maxNodes: P.add("aksMaxNodes", "int", "Nodes at most.", (m) => aksNodes(m).max),
      availabilityZones: P.add("aksZones", "array", "Availability zones of the nodes.", (m) =>
        m.environment.tier === "production" ? ["1", "2", "3"] : [],
      ),
      workspaceId: out("logAnalytics", "id"),
    });
    pullers.push(out("aks", "kubeletObjectId"));
    principalIds.push(out("aks", "secretsProviderObjectId"));
    output(
      "aksClusterName",
      "string",
      "Name of the AKS cluster (az aks get-credentials).",
      out("aks", "name"),
    );
    for (const n of serviceNames(project, (s) => s.type !== "static")) {
      const s0 = envs.map((m) => m.services[n]).find(Boolean);
      if (s0 && s0.type !== "static") {
        for (const secret of s0.secrets) operatorSecret(secret, n);
        if (
          s0.type !== "job" &&
          (s0.uses.some((u) => first.topics[u]) || Object.keys(s0.subscribes).length > 0)
        )
          for (const k of ["KAFKA_BROKERS", "KAFKA_USERNAME", "KAFKA_PASSWORD"]) operatorSecret(k, n);
      }
    }
  }

  // ---- registry -------------------------------------------------------------------------------------------
  mod(
    "registry",
    "container-registry",
    compute === "aks"
      ? "Container registry of the images; the cluster pulls with its kubelet identity."
      : "Container registry of the images; the apps (and slots) pull with their managed identities.",
    {
      name: str`cr${appAlnum}${code}${suffix}`,
      location,
      tags,
      skuName: P.add("registrySku", "string", "Registry SKU.", (m) =>
        m.environment.tier === "production" ? "Standard" : "Basic",
      ),
      principalIds: pullers,
    },
  );
  output(
    "acrLoginServer",
    "string",
    "Login server of the container registry the pipeline pushes images to.",
    out("registry", "loginServer"),
  );

  // ---- Key Vault ---------------------------------------------------------------------------------------
  mod("keyVault", "key-vault", "Key Vault of the environment's secrets.", {
    name: kvName,
    location,
    tags,
    enablePurgeProtection: P.add(
      "keyVaultPurgeProtection",
      "bool",
      "Purge protection on the Key Vault (production).",
      (m) => m.environment.tier === "production",
    ),
    networkDefaultAction: compute === "appservice" ? "Deny" : "Allow",
    allowedIpAddresses:
      outboundIps.length === 0
        ? []
        : call("union", ...(outboundIps.length === 1 ? [outboundIps[0]!, []] : outboundIps)),
    workspaceId: out("logAnalytics", "id"),
  });
  output(
    "keyVaultName",
    "string",
    "Name of the Key Vault (set the operator secrets here).",
    out("keyVault", "name"),
  );
  if (principalIds.length) {
    mod(
      "keyVaultAccess",
      "key-vault-access",
      compute === "aks"
        ? "Key Vault Secrets User for the cluster's secrets provider."
        : "Key Vault Secrets User for every app identity (slots included).",
      {
        keyVaultName: out("keyVault", "name"),
        principalIds,
      },
    );
  }

  // ---- data ---------------------------------------------------------------------------------------------
  const onAzure = (hosting: "managed" | "cluster") => !(compute === "aks" && hosting === "cluster");
  for (const n of Object.keys(first.postgres).sort()) {
    const id = camel(n);
    const f = P.group(
      `${id}PostgresConfig`,
      "postgresConfig",
      "Per-environment settings of a PostgreSQL Flexible Server.",
      `Settings of PostgreSQL ${n} in this environment.`,
    );
    const pg = (m: AppModel) => m.postgres[n] ?? first.postgres[n]!;
    const enabled = envs.every((m) => onAzure(pg(m).hosting))
      ? undefined
      : P.add(
          `${id}Enabled`,
          "bool",
          `Deploy ${n} as a Flexible Server (false: it runs in the cluster).`,
          (m) => onAzure(pg(m).hosting),
        );
    const secretEnv = conn.postgres[n]!;
    const pwVar =
      Object.keys(first.postgres).length === 1
        ? "POSTGRES_ADMIN_PASSWORD"
        : `POSTGRES_${upperSnake(n)}_ADMIN_PASSWORD`;
    deployVar(
      pwVar,
      `Administrator password of PostgreSQL ${n} (keep it in your secret store; the deployment writes ${secretEnv} to Key Vault).`,
      true,
    );
    facts.managedSecrets.push({
      secret: secretName(secretEnv),
      envVar: secretEnv,
      what: `connection URL of PostgreSQL ${n}`,
    });
    mod(
      `${id}Postgres`,
      "postgres",
      `PostgreSQL Flexible Server ${n}.`,
      {
        name: str`psql-${appSlug}-${slug(n, 20)}-${code}-${suffix}`,
        location,
        tags,
        version: f("version", "string", `PostgreSQL major version of ${n}.`, (m) => String(pg(m).version)),
        skuName: f("skuName", "string", `Compute SKU of ${n}.`, (m) => postgresSku(pg(m).size).sku),
        skuTier: f("skuTier", "string", `Compute tier of ${n}.`, (m) => postgresSku(pg(m).size).tier),
        storageSizeGB: f("storageGB", "int", `Storage of ${n} in GB.`, (m) =>
          postgresStorage(pg(m).storage_gb),
        ),
        backupRetentionDays: f("backupRetentionDays", "int", `Days of backups of ${n}.`, (m) =>
          Math.min(35, Math.max(7, pg(m).backups.retention_days)),
        ),
        geoRedundantBackup: f(
          "geoRedundantBackup",
          "bool",
          `Geo-redundant backups of ${n}.`,
          (m) => pg(m).backups.geo_redundant,
        ),
        highAvailability: f(
          "highAvailability",
          "bool",
          `Zone-redundant standby of ${n}.`,
          (m) => pg(m).ha && postgresSku(pg(m).size).tier !== "Burstable",
        ),
        databases: pg(first).databases,
        administratorLogin: `${alnum(n, 16)}admin`,
        administratorLoginPassword: P.add(
          `${id}AdministratorPassword`,
          "string",
          `Administrator password of ${n}, read at deployment.`,
          (m) => env(pwVar, onAzure(pg(m).hosting) ? undefined : ""),
          { secure: true },
        ),
        keyVaultName: out("keyVault", "name"),
        connectionSecretName: secretName(secretEnv),
      },
      enabled ? { condition: enabled } : {},
    );
  }
  for (const n of Object.keys(first.redis).sort()) {
    const id = camel(n);
    const f = P.group(
      `${id}RedisConfig`,
      "redisConfig",
      "Per-environment settings of an Azure Cache for Redis.",
      `Settings of Redis ${n} in this environment.`,
    );
    const rd = (m: AppModel) => m.redis[n] ?? first.redis[n]!;
    const enabled = envs.every((m) => onAzure(rd(m).hosting))
      ? undefined
      : P.add(
          `${id}Enabled`,
          "bool",
          `Deploy ${n} as Azure Cache for Redis (false: it runs in the cluster).`,
          (m) => onAzure(rd(m).hosting),
        );
    const secretEnv = conn.redis[n]!;
    facts.managedSecrets.push({
      secret: secretName(secretEnv),
      envVar: secretEnv,
      what: `connection URL of Redis ${n} (TLS)`,
    });
    mod(
      `${id}Redis`,
      "redis",
      `Azure Cache for Redis ${n}.`,
      {
        name: str`redis-${appSlug}-${slug(n, 20)}-${code}-${suffix}`,
        location,
        tags,
        skuName: f("skuName", "string", `Cache SKU of ${n}.`, (m) => redisSku(m, n).name),
        skuFamily: f("skuFamily", "string", `Cache family of ${n}.`, (m) => redisSku(m, n).family),
        capacity: f("capacity", "int", `Cache size of ${n}.`, (m) => redisSku(m, n).capacity),
        persistence: f(
          "persistence",
          "string",
          `Persistence of ${n} (Premium only).`,
          (m) => rd(m).persistence,
        ),
        maxmemoryPolicy: f("maxmemoryPolicy", "string", `Eviction policy of ${n}.`, (m) => rd(m).eviction),
        persistenceStorageName: str`st${alnum(n, 6)}${code}${suffix}`,
        keyVaultName: out("keyVault", "name"),
        connectionSecretName: secretName(secretEnv),
      },
      enabled ? { condition: enabled } : {},
    );
  }
  const buckets = Object.keys(first.buckets).sort();
  if (buckets.length) {
    const ruleName = (b: string, r: string) => camel(`${b}-${r}`).replace(/[^A-Za-z0-9]/g, "");
    const bucketUsers = compute === "appservice" ? [...new Set(buckets.flatMap(usersOf))].sort() : [];
    mod("storage", "storage", "Storage account of the buckets.", {
      name: str`st${appAlnum}${code}${suffix}`,
      location,
      tags,
      skuName: P.add("storageSku", "string", "Replication of the storage account.", (m) =>
        m.environment.tier === "production" ? "Standard_ZRS" : "Standard_LRS",
      ),
      containers: buckets.map((b) => slug(b)),
      versioning: P.add("storageVersioning", "bool", "Keep previous versions of blobs.", (m) =>
        Object.values(m.buckets).some((b) => b.versioning),
      ),
      lifecycleRules: P.add("storageLifecycleRules", "array", "Lifecycle rules of the buckets.", (m) =>
        Object.keys(m.buckets)
          .sort()
          .flatMap((b) =>
            Object.entries(m.buckets[b]!.lifecycle)
              .sort(([x], [y]) => x.localeCompare(y))
              .map(([r, rule]) => ({
                name: ruleName(b, r),
                prefixes: [`${slug(b)}/${rule.prefix}`],
                coolAfterDays: rule.cool_after_days ?? 0,
                archiveAfterDays: rule.archive_after_days ?? 0,
                deleteAfterDays: rule.delete_after_days ?? 0,
              })),
          ),
      ),
      principalIds: bucketUsers.map((n) => out(`${camel(n)}App`, "principalId")),
    });
  }

  // ---- email ---------------------------------------------------------------------------------------------
  const email = first.email;
  let emailRecord: string | undefined;
  if (email) {
    const customDomain = P.add(
      "emailCustomDomain",
      "string",
      "Custom email domain ('' uses an Azure-managed domain; the zone's environment owns it).",
      (m) => (m === owner ? email.domain : ""),
    );
    deployVar(
      "EMAIL_DOMAIN_VERIFIED",
      "Set to true once the custom email domain is verified, to link it to Communication Services.",
      false,
    );
    mod("communication", "communication", "Communication Services and Email Service.", {
      emailServiceName: str`ecs-${appSlug}-${code}`,
      communicationServiceName: str`acs-${appSlug}-${code}-${suffix}`,
      tags,
      customDomain,
      linkDomain: P.add(
        "emailLinkDomain",
        "bool",
        "Link the email domain (a custom one once it is verified).",
        (m) => (m === owner ? call("bool", env("EMAIL_DOMAIN_VERIFIED", "false")) : true),
      ),
      senders: [...email.senders],
      keyVaultName: out("keyVault", "name"),
      connectionSecretName: secretName("ACS_CONNECTION_STRING"),
    });
    facts.managedSecrets.push({
      secret: secretName("ACS_CONNECTION_STRING"),
      envVar: "ACS_CONNECTION_STRING",
      what: "connection string of Communication Services",
    });
    emailRecord = first.dns?.manage ? relativeName(email.domain, first.dns.zone) : undefined;
    if (emailRecord !== undefined) {
      const sub = emailRecord === "@" ? "" : `.${emailRecord}`;
      const guard = (records: BicepValue[]) => ternary(call("empty", customDomain), [], records);
      txts.push(
        guard([
          {
            name: emailRecord,
            values: [out("communication", "domainVerification"), out("communication", "spf")],
          },
          {
            name: `_dmarc${sub}`,
            values: [`v=DMARC1; p=${email.dmarc.policy}; rua=mailto:${email.dmarc.report_to}`],
          },
        ]),
      );
      cnames.push(
        guard([
          { name: str`${out("communication", "dkimName")}${sub}`, target: out("communication", "dkimValue") },
          {
            name: str`${out("communication", "dkim2Name")}${sub}`,
            target: out("communication", "dkim2Value"),
          },
        ]),
      );
    }
  }

  // ---- DNS -------------------------------------------------------------------------------------------------
  if (first.dns?.manage && owner) {
    const zone = first.dns.zone;
    const managed = P.add(
      "dnsZoneManaged",
      "bool",
      `Whether this environment's deployment creates the zone ${zone}.`,
      (m) => m === owner,
    );
    const zoneRg = P.add(
      "dnsZoneResourceGroup",
      "string",
      `Resource group holding the zone ${zone}.`,
      () => owner.environment.resource_group,
    );
    mod("dnsZone", "dns-zone", `DNS zone ${zone}.`, { zoneName: zone, tags }, { condition: managed });
    output(
      "dnsNameServers",
      "array",
      "Name servers of the zone to set at the registrar.",
      ternary(managed, out("dnsZone", "nameServers"), []),
    );
    mod(
      "dnsRecords",
      "dns-records",
      `Records of this environment in ${zone}.`,
      {
        zoneName: zone,
        cnameRecords: call("concat", ...(cnames.length ? cnames : [[]])),
        txtRecords: call("concat", ...(txts.length ? txts : [[]])),
      },
      {
        name: str`dns-records-${ref("environmentName")}`,
        scope: call("resourceGroup", zoneRg),
        dependsOn: ["dnsZone"],
      },
    );
    for (const f of domainModules) f();
  }

  // ---- alerts, availability, budget ------------------------------------------------------------------------
  const channels = (m: AppModel) =>
    Object.entries(m.monitoring.channels).sort(([a], [b]) => a.localeCompare(b));
  const webhookChannels = [
    ...new Set(
      envs.flatMap((m) =>
        channels(m)
          .filter(([, c]) => c.type !== "email" && c.webhook_secret)
          .map(([n]) => n),
      ),
    ),
  ].sort();
  const webhookParams = webhookChannels.map((n) => {
    const secret = envs.map((m) => m.monitoring.channels[n]?.webhook_secret).find(Boolean)!;
    deployVar(
      secret,
      `Webhook URL of the ${n} alert channel (a secret; unset: no ${n} notifications).`,
      false,
    );
    return {
      n,
      p: P.add(
        `${camel(n)}WebhookUrl`,
        "string",
        `Webhook URL of the ${n} alert channel, read at deployment.`,
        () => env(secret, ""),
        { secure: true },
      ),
    };
  });
  mod("actionGroup", "action-group", "Action group of the alerts.", {
    name: str`ag-${appSlug}-${code}`,
    shortName: call("take", str`${appSlug}-${code}`, 12),
    tags,
    emailReceivers: P.add("alertEmailReceivers", "array", "Email receivers of the alerts.", (m) =>
      channels(m)
        .filter(([, c]) => c.type === "email")
        .flatMap(([n, c]) =>
          c.to.map((address, i) => ({ name: c.to.length > 1 ? `${n}-${i + 1}` : n, address })),
        ),
    ),
    webhooks: {
      receivers: call(
        "concat",
        ...(webhookParams.length
          ? webhookParams.map(({ n, p }) => ternary(call("empty", p), [], [{ name: n, serviceUri: p }]))
          : [[]]),
      ),
    },
  });

  const alertsOf = (m: AppModel, metrics: string[]) =>
    Object.entries(m.monitoring.alerts)
      .filter(([, a]) => metrics.includes(a.metric))
      .sort(([a], [b]) => a.localeCompare(b));
  const metricRules = P.add("metricAlertRules", "array", "CPU and memory alerts of the environment.", (m) =>
    alertsOf(m, ["cpu", "memory"]).map(([n, a]) => ({
      name: n,
      metric: a.metric,
      threshold: Math.round(a.above),
      severity: SEVERITY[a.severity],
      ...metricWindow(a.for),
      description: `${a.metric === "cpu" ? "CPU" : "Memory"} above ${a.above}% for ${a.for}.`,
      services: [...a.services].sort(),
    })),
  );
  const logRules = P.add(
    "logAlertRules",
    "array",
    "Error-rate and p95-latency alerts of the environment.",
    (m) =>
      alertsOf(m, ["error_rate", "latency_p95"]).map(([n, a]) => ({
        name: n,
        metric: a.metric,
        threshold: Math.round(a.above),
        severity: SEVERITY[a.severity],
        ...logWindow(a.for),
        description:
          a.metric === "error_rate"
            ? `More than ${a.above}% of requests failed over ${a.for}.`
            : `p95 latency above ${a.above} ms over ${a.for}.`,
        services: [...a.services].sort(),
      })),
  );
  const metricTargets: BicepValue[] =
    compute === "appservice"
      ? apps.map((n) => ({ service: slug(n), scope: out(`${camel(n)}Plan`, "id") }))
      : [{ service: "cluster", scope: out("aks", "id") }];
  if (metricTargets.length) {
    mod("metricAlerts", "metric-alerts", "CPU and memory alerts.", {
      rules: metricRules,
      targets: metricTargets,
      metricNamespace:
        compute === "appservice" ? "Microsoft.Web/serverfarms" : "Microsoft.ContainerService/managedClusters",
      cpuMetric: compute === "appservice" ? "CpuPercentage" : "node_cpu_usage_percentage",
      memoryMetric: compute === "appservice" ? "MemoryPercentage" : "node_memory_working_set_percentage",
      actionGroupId: out("actionGroup", "id"),
      tags,
    });
  }
  // App Service reports the site name as cloud_RoleName; in the cluster the services set their own name.
  const logTargets: BicepValue[] =
    compute === "appservice"
      ? apps
          .filter((n) => svcOf(first, n)?.type === "http")
          .map((n) => ({ service: slug(n), role: out(`${camel(n)}App`, "name") }))
      : serviceNames(project, (s) => s.type === "http").map((n) => ({ service: slug(n), role: n }));
  if (logTargets.length) {
    mod("logAlerts", "log-alerts", "Error-rate and p95-latency alerts from Application Insights.", {
      rules: logRules,
      targets: logTargets,
      appInsightsId: out("appInsights", "id"),
      actionGroupId: out("actionGroup", "id"),
      location,
      tags,
    });
  }

  if (compute === "aks") {
    for (const n of serviceNames(project, (s) => s.type === "http")) {
      const s0 = envs.map((m) => m.services[n]).find(Boolean) as ServiceModel;
      const hp = s0.health?.readiness ?? s0.health?.liveness;
      if (!hp) continue;
      const dom = P.add(
        `${camel(n)}HealthUrl`,
        "string",
        `Public health URL of ${n} ('' when it has no domain).`,
        (m) => {
          const s = m.services[n] as ServiceModel | undefined;
          const d = s?.domains[0];
          return s && d ? `https://${d}${s.path === "/" ? "" : s.path.replace(/\/$/, "")}${hp}` : "";
        },
      );
      tests.push(
        ternary(call("empty", dom), [], [{ name: str`webtest-${appSlug}-${slug(n, 30)}-${code}`, url: dom }]),
      );
    }
  }
  if (tests.length) {
    const enabled = P.add(
      "availabilityTests",
      "bool",
      "Run availability tests on the health endpoints.",
      (m) => m.monitoring.availability.enabled,
    );
    const testsValue: BicepValue = compute === "aks" ? call("concat", ...tests) : tests;
    mod(
      "webTests",
      "web-tests",
      "Availability tests of the health endpoints.",
      {
        tests: testsValue,
        appInsightsId: out("appInsights", "id"),
        frequency: P.add("availabilityFrequency", "int", "Seconds between availability tests.", (m) => {
          const s = m.monitoring.availability.interval;
          const n = /^(\d+)m$/.exec(s) ? Number(s.slice(0, -1)) * 60 : 300;
          return n <= 300 ? 300 : n <= 600 ? 600 : 900;
        }),
        testLocations: P.add("availabilityLocations", "array", "Regions the tests run from.", (m) =>
          TEST_LOCATIONS.slice(
            0,
            Math.min(TEST_LOCATIONS.length, Math.max(1, m.monitoring.availability.locations)),
          ),
        ),
        failedLocations: P.add(
          "availabilityFailures",
          "int",
          "Failing locations that raise the alert.",
          (m) =>
            Math.min(m.monitoring.availability.failures, Math.max(1, m.monitoring.availability.locations)),
        ),
        actionGroupId: out("actionGroup", "id"),
        location,
        tags,
      },
      { condition: enabled },
    );
  }

  if (envs.some((m) => m.budget)) {
    const amount = P.add("budgetAmount", "int", "Monthly budget in the billing currency (0: none).", (m) =>
      Math.round(m.budget?.monthly_usd ?? 0),
    );
    mod(
      "budget",
      "budget",
      "Monthly budget with notifications.",
      {
        name: str`budget-${appSlug}-${code}`,
        amount,
        thresholds: P.add("budgetThresholds", "array", "Percentages of the budget that notify.", (m) =>
          [...(m.budget?.thresholds ?? [80, 100])].sort((a, b) => a - b),
        ),
        contactEmails: P.add("budgetContactEmails", "array", "Addresses told about the budget.", (m) => [
          ...(m.budget?.notify ?? []),
        ]),
        actionGroupId: out("actionGroup", "id"),
        startDate: ref("budgetStartDate"),
      },
      { condition: binary(">", amount, 0) },
    );
  }

  mod(
    "lock",
    "resource-lock",
    "CanNotDelete lock on the production resource group.",
    {
      notes: str`Production resources of ${project.name}: remove this lock on purpose before deleting anything.`,
    },
    {
      condition: P.add(
        "enableLocks",
        "bool",
        "Lock the resource group against deletion (production).",
        (m) => m.environment.tier === "production" && (m.targets.azure?.locks ?? true),
      ),
    },
  );

  outputs.unshift({
    name: "resourceGroupName",
    type: "string",
    description: "Resource group of the environment.",
    value: member(ref("rg"), "name"),
  });
  facts.outputs.unshift("resourceGroupName");
  facts.zoneOwner = first.dns?.manage ? owner?.environment.name : undefined;

  const budgetStart: BicepParam[] = envs.some((m) => m.budget)
    ? [
        {
          name: "budgetStartDate",
          type: "string",
          description: "First day of the budget; defaults to the first of this month.",
          default: call("utcNow", "yyyy-MM-01"),
        },
      ]
    : [];
  const main: BicepFile = {
    header: [
      `Infrastructure of ${project.name} on Azure, one resource group per environment.`,
      GENERATED,
      "Deploy: see README.md.",
    ],
    targetScope: "subscription",
    types: [...P.types.values()],
    params: [...P.decls, ...budgetStart],
    vars,
    resources: [rgResource],
    modules,
    outputs,
  };

  const bicep: Record<string, BicepFile> = { "main.bicep": main };
  for (const name of [...used].sort()) bicep[`modules/${name}.bicep`] = MODULES[name]();
  if (used.has("app-service-domain")) bicep["modules/app-service-tls.bicep"] = MODULES["app-service-tls"]();

  const params: Record<string, BicepParamFile> = {};
  for (const m of envs) {
    const e = m.environment.name;
    params[`parameters/${e}.bicepparam`] = {
      header: [
        `Parameters of ${project.name} in ${e} (tier ${m.environment.tier}).`,
        GENERATED,
        "Secure values are read from environment variables at deployment, never written here.",
      ],
      using: "../main.bicep",
      params: P.decls.map((d) => ({ name: d.name, value: P.values.get(d.name)!.get(e)! })),
    };
  }
  return { bicep, params, facts };
}
