// Modules of the observability base: the Log Analytics workspace every resource logs to and the
// workspace-based Application Insights the services send telemetry to.
import { binary, member, ref, ternary, type BicepFile } from "../../../format/bicep.js";
import { LOCATION, TAGS, file, location, out, p, res, tags } from "./kit.js";

export function logAnalyticsModule(): BicepFile {
  return file("Log Analytics workspace: the logs of every resource of the environment.", {
    params: [
      p("name", "string", "Name of the workspace.", { minLength: 4, maxLength: 63 }),
      LOCATION,
      TAGS,
      p("retentionInDays", "int", "Days logs are kept.", { minValue: 30, maxValue: 730 }),
      p("dailyQuotaGb", "int", "Daily ingestion cap in GB; 0 means no cap.", { minValue: 0 }),
    ],
    vars: [],
    resources: [
      res("workspace", "workspace", {
        name: ref("name"),
        location,
        tags,
        properties: {
          sku: { name: "PerGB2018" },
          retentionInDays: ref("retentionInDays"),
          workspaceCapping: {
            dailyQuotaGb: ternary(binary(">", ref("dailyQuotaGb"), 0), ref("dailyQuotaGb"), -1),
          },
          features: { enableLogAccessUsingOnlyResourcePermissions: true },
          publicNetworkAccessForIngestion: "Enabled",
          publicNetworkAccessForQuery: "Enabled",
        },
      }),
    ],
    modules: [],
    outputs: [
      out("id", "Resource id of the workspace.", member(ref("workspace"), "id")),
      out("name", "Name of the workspace.", member(ref("workspace"), "name")),
    ],
  });
}

export function appInsightsModule(): BicepFile {
  return file("Workspace-based Application Insights: requests, dependencies and traces of the services.", {
    params: [
      p("name", "string", "Name of the Application Insights component."),
      LOCATION,
      TAGS,
      p("workspaceId", "string", "Resource id of the Log Analytics workspace that stores the telemetry."),
      p("samplingPercentage", "int", "Percentage of telemetry kept by ingestion sampling.", {
        minValue: 1,
        maxValue: 100,
      }),
    ],
    vars: [],
    resources: [
      res("appInsights", "appInsights", {
        name: ref("name"),
        location,
        tags,
        kind: "web",
        properties: {
          Application_Type: "web",
          WorkspaceResourceId: ref("workspaceId"),
          IngestionMode: "LogAnalytics",
          SamplingPercentage: ref("samplingPercentage"),
          publicNetworkAccessForIngestion: "Enabled",
          publicNetworkAccessForQuery: "Enabled",
        },
      }),
    ],
    modules: [],
    outputs: [
      out("id", "Resource id of the component.", member(ref("appInsights"), "id")),
      out("name", "Name of the component.", member(ref("appInsights"), "name")),
      out(
        "connectionString",
        "Connection string the services send telemetry with (not a secret: it only allows ingestion).",
        member(ref("appInsights"), "properties", "ConnectionString"),
      ),
    ],
  });
}
