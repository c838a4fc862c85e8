// Modules of App Service: the plan with its autoscale, the site and its staging slot (which share one
// site configuration), and a custom domain with its managed certificate.
import {
  binary,
  call,
  forEach,
  index,
  member,
  ref,
  str,
  ternary,
  type BicepFile,
  type BicepObject,
  type BicepParam,
  type BicepResource,
  type BicepValue,
} from "../../../format/bicep.js";
import { LOCATION, TAGS, existing, file, location, out, p, res, tags } from "./kit.js";

/** CPU autoscale of a plan: one instance more above the out threshold, one less below the in one. */
function autoscale(): BicepResource {
  const metric = (operator: "GreaterThan" | "LessThan", threshold: string) => ({
    metricName: "CpuPercentage",
    metricResourceUri: member(ref("plan"), "id"),
    timeGrain: "PT1M",
    statistic: "Average",
    timeWindow: "PT10M",
    timeAggregation: "Average",
    operator,
    threshold: ref(threshold),
  });
  return res(
    "autoscale",
    "autoscale",
    {
      name: str`${ref("name")}-autoscale`,
      location,
      tags,
      properties: {
        enabled: true,
        targetResourceUri: member(ref("plan"), "id"),
        profiles: [
          {
            name: "cpu",
            capacity: {
              minimum: call("string", ref("minInstances")),
              maximum: call("string", ref("maxInstances")),
              default: call("string", ref("minInstances")),
            },
            rules: [
              {
                metricTrigger: metric("GreaterThan", "scaleOutCpuPercent"),
                scaleAction: {
                  direction: "Increase",
                  type: "ChangeCount",
                  value: "1",
                  cooldown: ref("scaleOutCooldown"),
                },
              },
              {
                metricTrigger: metric("LessThan", "scaleInCpuPercent"),
                scaleAction: {
                  direction: "Decrease",
                  type: "ChangeCount",
                  value: "1",
                  cooldown: ref("scaleInCooldown"),
                },
              },
            ],
          },
        ],
      },
    },
    { condition: binary(">", ref("maxInstances"), ref("minInstances")) },
  );
}

export function appServicePlanModule(): BicepFile {
  return file("Linux App Service plan with CPU autoscale (scale out above, in below the thresholds).", {
    params: [
      p("name", "string", "Name of the plan.", { minLength: 1, maxLength: 60 }),
      LOCATION,
      TAGS,
      p("skuName", "string", "Plan SKU (B1 has no autoscale or slots; P0v3 and up have both)."),
      p("minInstances", "int", "Instances at least.", { minValue: 1, maxValue: 30 }),
      p("maxInstances", "int", "Instances at most.", { minValue: 1, maxValue: 30 }),
      p("scaleOutCpuPercent", "int", "Average CPU above which one instance is added.", {
        minValue: 1,
        maxValue: 100,
      }),
      p("scaleInCpuPercent", "int", "Average CPU below which one instance is removed.", {
        minValue: 1,
        maxValue: 100,
      }),
      p("scaleOutCooldown", "string", "Wait after scaling out (ISO 8601 duration).", { default: "PT5M" }),
      p("scaleInCooldown", "string", "Wait after scaling in (ISO 8601 duration).", { default: "PT10M" }),
      p(
        "zoneRedundant",
        "bool",
        "Spread instances over availability zones (Premium v3, 2 or more instances).",
        { default: false },
      ),
    ],
    vars: [],
    resources: [
      res("plan", "plan", {
        name: ref("name"),
        location,
        tags,
        kind: "linux",
        sku: { name: ref("skuName"), capacity: ref("minInstances") },
        properties: { reserved: true, zoneRedundant: ref("zoneRedundant") },
      }),
      autoscale(),
    ],
    modules: [],
    outputs: [
      out("id", "Resource id of the plan.", member(ref("plan"), "id")),
      out("name", "Name of the plan.", member(ref("plan"), "name")),
    ],
  });
}

/** The site configuration shared by the production site and its staging slot. */
function siteConfig(): BicepObject {
  return {
    // Empty: leave the image alone, so that re-deploying the infrastructure never replaces the release
    // the pipeline deployed (App Service keeps site settings a deployment omits).
    linuxFxVersion: ternary(call("empty", ref("containerImage")), null, str`DOCKER|${ref("containerImage")}`),
    alwaysOn: ref("alwaysOn"),
    healthCheckPath: ternary(call("empty", ref("healthCheckPath")), null, ref("healthCheckPath")),
    minTlsVersion: "1.2",
    scmMinTlsVersion: "1.2",
    ftpsState: "Disabled",
    http20Enabled: true,
    remoteDebuggingEnabled: false,
    httpLoggingEnabled: true,
    detailedErrorLoggingEnabled: true,
    requestTracingEnabled: true,
    acrUseManagedIdentityCreds: true,
    appCommandLine: ref("commandLine"),
    appSettings: call("concat", ref("plainSettings"), ref("vaultSettings"), ref("deployedSettingList")),
  };
}

const siteProps = (): BicepObject => ({
  serverFarmId: ref("planId"),
  httpsOnly: true,
  clientAffinityEnabled: false,
  clientCertEnabled: false,
  keyVaultReferenceIdentity: "SystemAssigned",
  publicNetworkAccess: "Enabled",
  siteConfig: siteConfig(),
});

/** Parameters of what runs in a site or slot: image, health check, settings. */
const runParams = (): BicepParam[] => [
  LOCATION,
  TAGS,
  p("planId", "string", "Resource id of the App Service plan."),
  p(
    "containerImage",
    "string",
    "Image to run; '' keeps the image that runs (the pipeline deploys releases).",
    { default: "" },
  ),
  p(
    "healthCheckPath",
    "string",
    "Path App Service probes; an instance failing it is taken out of the load balancer.",
    {
      default: "",
    },
  ),
  p("alwaysOn", "bool", "Keep the app loaded (off in dev to save cost)."),
  p(
    "commandLine",
    "string",
    "Startup command: App Service runs it in place of the image's CMD, after its ENTRYPOINT ('' keeps the CMD).",
    { default: "" },
  ),
  p("settings", "object", "App settings with their values (name: value), never secrets."),
  p("secretSettings", "object", "App settings read from Key Vault (name: secret name)."),
  p("keyVaultName", "string", "Vault of the secretSettings."),
  p("deployedSettings", "object", "App settings known at deployment (name: key in deployedValues)."),
  p("deployedValues", "object", "Values computed by the deployment, by key."),
];

/** The app settings of a site or slot: values, Key Vault references and deployment values. */
const settingVars = () => {
  const item = ref("item");
  const setting = (over: string, value: BicepValue) =>
    forEach("item", call("items", ref(over)), { name: member(item, "key"), value });
  return [
    {
      name: "plainSettings",
      description: "The settings with their values.",
      value: setting("settings", member(item, "value")),
    },
    {
      name: "vaultSettings",
      description: "The settings App Service reads from Key Vault with the site's identity.",
      value: setting(
        "secretSettings",
        str`@Microsoft.KeyVault(VaultName=${ref("keyVaultName")};SecretName=${member(item, "value")})`,
      ),
    },
    {
      name: "deployedSettingList",
      description: "The settings whose values the deployment computes.",
      value: setting("deployedSettings", index(ref("deployedValues"), member(item, "value"))),
    },
  ];
};

const siteLogs = (symbol: string, target: string): BicepResource =>
  res(
    symbol,
    "diagnostics",
    {
      name: "logs-to-log-analytics",
      properties: {
        workspaceId: ref("workspaceId"),
        logs: [
          "AppServiceHTTPLogs",
          "AppServiceConsoleLogs",
          "AppServiceAppLogs",
          "AppServicePlatformLogs",
        ].map((category) => ({
          category,
          enabled: true,
        })),
        metrics: [{ category: "AllMetrics", enabled: true }],
      },
    },
    { scope: ref(target) },
  );

export function appServiceModule(): BicepFile {
  const site = ref("site");
  return file("Linux container App Service with a system-assigned identity and Key Vault references.", {
    params: [
      p("name", "string", "Name of the site (globally unique: <name>.azurewebsites.net).", {
        minLength: 2,
        maxLength: 60,
      }),
      ...runParams(),
      p("workspaceId", "string", "Log Analytics workspace that receives the logs."),
    ],
    vars: settingVars(),
    resources: [
      res("site", "site", {
        name: ref("name"),
        location,
        tags,
        kind: "app,linux,container",
        identity: { type: "SystemAssigned" },
        properties: siteProps(),
      }),
      siteLogs("siteLogs", "site"),
    ],
    modules: [],
    outputs: [
      out("name", "Name of the site.", member(site, "name")),
      out("id", "Resource id of the site.", member(site, "id")),
      out(
        "defaultHostName",
        "Default host name (<name>.azurewebsites.net).",
        member(site, "properties", "defaultHostName"),
      ),
      out(
        "principalId",
        "Object id of the site's managed identity.",
        member(site, "identity", "principalId"),
      ),
      out(
        "customDomainVerificationId",
        "Value of the asuid TXT record that proves ownership of a custom domain.",
        member(site, "properties", "customDomainVerificationId"),
      ),
      out(
        "outboundIpAddresses",
        "Every address the site may call out from (for firewalls).",
        call("split", member(site, "properties", "possibleOutboundIpAddresses"), ","),
        "array",
      ),
    ],
  });
}

export function appServiceSlotModule(): BicepFile {
  return file(
    "Staging slot of an App Service: a new release starts and passes its health check here, then is swapped in.",
    {
      params: [
        p("siteName", "string", "Name of the site."),
        p("slotName", "string", "Name of the slot.", { default: "staging" }),
        ...runParams(),
      ],
      vars: settingVars(),
      resources: [
        existing("site", "site", ref("siteName")),
        res(
          "slot",
          "slot",
          {
            name: ref("slotName"),
            location,
            tags,
            kind: "app,linux,container",
            identity: { type: "SystemAssigned" },
            properties: siteProps(),
          },
          { parent: "site" },
        ),
      ],
      modules: [],
      outputs: [
        out(
          "principalId",
          "Object id of the slot's managed identity.",
          member(ref("slot"), "identity", "principalId"),
        ),
      ],
    },
  );
}

/**
 * The binding of a custom host name to the site: first without TLS (the managed certificate needs the
 * binding), then again with SNI TLS once the certificate exists (app-service-tls.bicep).
 */
function hostNameBinding(tls: { sslState: string; thumbprint?: BicepValue }) {
  return res(
    "binding",
    "hostNameBinding",
    {
      name: ref("hostName"),
      properties: {
        siteName: ref("siteName"),
        hostNameType: "Verified",
        customHostNameDnsRecordType: "CName",
        ...tls,
      },
    },
    { parent: "site" },
  );
}

export function appServiceDomainModule(): BicepFile {
  return file(
    "Custom domain of an App Service: host name binding and a free managed certificate, then SNI TLS.",
    {
      params: [
        p("siteName", "string", "Name of the site."),
        p("hostName", "string", "Custom host name; its CNAME and asuid TXT records must exist."),
        p("planId", "string", "Resource id of the site's plan (the managed certificate lives with it)."),
        LOCATION,
        TAGS,
      ],
      vars: [],
      resources: [
        existing("site", "site", ref("siteName")),
        hostNameBinding({ sslState: "Disabled" }),
        res(
          "certificate",
          "certificate",
          {
            name: call("replace", ref("hostName"), ".", "-"),
            location,
            tags,
            properties: { serverFarmId: ref("planId"), canonicalName: ref("hostName") },
          },
          { dependsOn: ["binding"] },
        ),
      ],
      modules: [
        {
          symbol: "tls",
          path: "app-service-tls.bicep",
          name: call("take", str`tls-${ref("hostName")}`, 64),
          params: {
            siteName: ref("siteName"),
            hostName: ref("hostName"),
            thumbprint: member(ref("certificate"), "properties", "thumbprint"),
          },
        },
      ],
      outputs: [],
    },
  );
}

export function appServiceTlsModule(): BicepFile {
  return file("Turns on SNI TLS for a custom host name once its managed certificate exists.", {
    params: [
      p("siteName", "string", "Name of the site."),
      p("hostName", "string", "Custom host name."),
      p("thumbprint", "string", "Thumbprint of the certificate."),
    ],
    vars: [],
    resources: [
      existing("site", "site", ref("siteName")),
      hostNameBinding({ sslState: "SniEnabled", thumbprint: ref("thumbprint") }),
    ],
    modules: [],
    outputs: [],
  });
}
