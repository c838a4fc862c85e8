// The environment's workbook in Azure Monitor: requests, failures and p95 latency of the App Services
// (their HTTP logs), the plans' or the cluster's CPU and memory, PostgreSQL and Redis health, the
// availability tests, deployments (Resource Manager's) and the month's spend against the budget.
import { binary, call, member, ref, str, type BicepFile } from "../../../format/bicep.js";
import type { BicepValue } from "../../../format/bicep.js";
import { workbookValue, type WorkbookItem } from "../workbook.js";
import { LOCATION, TAGS, file, location, out, p, res, tags } from "./kit.js";

const workspace = ref("workspaceId");
const logs = (
  name: string,
  title: BicepValue,
  query: BicepValue,
  visualization: "timechart" | "table" = "timechart",
): WorkbookItem => ({
  kind: "logs",
  name,
  title,
  query,
  workspaceId: workspace,
  visualization,
});
const text = (name: string, markdown: string): WorkbookItem => ({ kind: "text", name, markdown });

/** The site's name in an AppServiceHTTPLogs record: .../providers/microsoft.web/sites/<name>[/slots/...]. */
const APP = "app = tostring(split(_ResourceId, '/')[8])";

const appService: WorkbookItem[] = [
  text("apps", "## Requests (App Service HTTP logs)"),
  logs(
    "requests",
    "Requests per 5 minutes",
    `AppServiceHTTPLogs | summarize requests = count() by ${APP}, bin(TimeGenerated, 5m)`,
  ),
  logs(
    "failures",
    "5xx responses (% of requests)",
    `AppServiceHTTPLogs | summarize failed = round(100.0 * countif(ScStatus >= 500) / count(), 2) by ${APP}, bin(TimeGenerated, 5m)`,
  ),
  logs(
    "latency",
    "p95 latency (ms)",
    `AppServiceHTTPLogs | summarize p95 = percentile(TimeTaken, 95) by ${APP}, bin(TimeGenerated, 5m)`,
  ),
  {
    kind: "metrics",
    name: "plans",
    title: "App Service plans: CPU and memory (%)",
    resourceType: "microsoft.web/serverfarms",
    resourceIds: ref("planIds"),
    series: [
      { namespace: "microsoft.web/serverfarms", metric: "CpuPercentage", aggregation: "average" },
      { namespace: "microsoft.web/serverfarms", metric: "MemoryPercentage", aggregation: "average" },
    ],
  },
];

const cluster: WorkbookItem[] = [
  text(
    "cluster-text",
    "## Cluster\nRequests, errors and latency per service are in Grafana (the cluster's Prometheus reads ingress-nginx); here, the nodes and the pods.",
  ),
  {
    kind: "metrics",
    name: "nodes",
    title: "Nodes: CPU and memory (%)",
    resourceType: "microsoft.containerservice/managedclusters",
    resourceIds: [ref("clusterId")],
    series: [
      {
        namespace: "microsoft.containerservice/managedclusters",
        metric: "node_cpu_usage_percentage",
        aggregation: "average",
      },
      {
        namespace: "microsoft.containerservice/managedclusters",
        metric: "node_memory_working_set_percentage",
        aggregation: "average",
      },
    ],
  },
  logs(
    "restarts",
    "Container restarts (Container insights)",
    "KubePodInventory | summarize restarts = max(ContainerRestartCount) by ControllerName, bin(TimeGenerated, 15m)",
  ),
];

const postgres: WorkbookItem[] = [
  text("postgres-text", "## PostgreSQL"),
  {
    kind: "metrics",
    name: "postgres",
    title: "PostgreSQL: CPU, memory and storage (%)",
    resourceType: "microsoft.dbforpostgresql/flexibleservers",
    resourceIds: ref("postgresIds"),
    series: ["cpu_percent", "memory_percent", "storage_percent"].map((metric) => ({
      namespace: "microsoft.dbforpostgresql/flexibleservers",
      metric,
      aggregation: "average" as const,
    })),
  },
  {
    kind: "metrics",
    name: "postgres-connections",
    title: "PostgreSQL: active connections",
    resourceType: "microsoft.dbforpostgresql/flexibleservers",
    resourceIds: ref("postgresIds"),
    series: [
      {
        namespace: "microsoft.dbforpostgresql/flexibleservers",
        metric: "active_connections",
        aggregation: "max",
      },
    ],
  },
];

const redis: WorkbookItem[] = [
  text("redis-text", "## Redis"),
  {
    kind: "metrics",
    name: "redis",
    title: "Redis: server load, CPU and memory (%)",
    resourceType: "microsoft.cache/redis",
    resourceIds: ref("redisIds"),
    series: ["allserverLoad", "allpercentprocessortime", "allusedmemorypercentage"].map((metric) => ({
      namespace: "microsoft.cache/redis",
      metric,
      aggregation: "max" as const,
    })),
  },
  {
    kind: "metrics",
    name: "redis-clients",
    title: "Redis: connected clients",
    resourceType: "microsoft.cache/redis",
    resourceIds: ref("redisIds"),
    series: [{ namespace: "microsoft.cache/redis", metric: "allconnectedclients", aggregation: "max" }],
  },
];

const operations: WorkbookItem[] = [
  text("operations", "## Availability and deployments"),
  logs(
    "availability",
    "Availability tests (% successful)",
    "AppAvailabilityResults | summarize availability = round(100.0 * countif(Success) / count(), 2) by Name, bin(TimeGenerated, 15m)",
  ),
  {
    // Resource Manager's deployments into the resource group (the infrastructure pipeline's, module by
    // module), newest first; releases by slot swap are in the failed-deployment alert's Activity Log.
    kind: "arm",
    name: "deployments",
    title: "Deployments into the resource group",
    path: str`${member(call("resourceGroup"), "id")}/providers/Microsoft.Resources/deployments`,
    apiVersion: "2021-04-01",
    tablePath: "$.value[*]",
    columns: [
      { id: "deployment", path: "$.name" },
      { id: "time", path: "$.properties.timestamp" },
      { id: "state", path: "$.properties.provisioningState" },
      { id: "duration", path: "$.properties.duration" },
    ],
  },
];

const cost: WorkbookItem[] = [
  {
    kind: "arm",
    name: "budget",
    title: "This month's spend against the budget",
    path: str`${member(call("resourceGroup"), "id")}/providers/Microsoft.Consumption/budgets/${ref("budgetName")}`,
    apiVersion: "2023-11-01",
    tablePath: "$",
    columns: [
      { id: "budget", path: "$.properties.amount" },
      { id: "spent", path: "$.properties.currentSpend.amount" },
      { id: "forecast", path: "$.properties.forecastSpend.amount" },
      { id: "currency", path: "$.properties.currentSpend.unit" },
    ],
  },
];

const any = (param: string) => binary(">", call("length", ref(param)), 0);

export function workbookModule(): BicepFile {
  return file(
    "Azure Monitor workbook of the environment: requests, saturation, data stores, deployments, cost.",
    {
      params: [
        p("displayName", "string", "Title of the workbook in the portal."),
        LOCATION,
        TAGS,
        p("workspaceId", "string", "Log Analytics workspace of the environment."),
        p("planIds", "array", "App Service plans ([] on AKS)."),
        p("clusterId", "string", "AKS cluster ('' on App Service)."),
        p("postgresIds", "array", "PostgreSQL Flexible Servers."),
        p("redisIds", "array", "Azure Caches for Redis."),
        p("budgetName", "string", "Budget of the resource group ('' for none)."),
      ],
      vars: [
        {
          name: "content",
          value: workbookValue([
            { when: any("planIds"), items: appService },
            { when: binary("!=", ref("clusterId"), ""), items: cluster },
            { when: any("postgresIds"), items: postgres },
            { when: any("redisIds"), items: redis },
            { items: operations },
            { when: binary("!=", ref("budgetName"), ""), items: cost },
          ]),
        },
      ],
      resources: [
        // microsoft.insights/workbooks@2015-05-01 is the version in the type data Gantry checks against;
        // it names the workbook by a GUID and asks for an owner id (a shared workbook has none: the
        // resource group's id stands in).
        res("workbook", "workbook", {
          name: call("guid", member(call("resourceGroup"), "id"), "gantry-workbook"),
          location,
          tags,
          kind: "shared",
          properties: {
            name: ref("displayName"),
            kind: "shared",
            category: "workbook",
            workbookId: call("guid", member(call("resourceGroup"), "id"), "gantry-workbook"),
            userId: member(call("resourceGroup"), "id"),
            sourceResourceId: ref("workspaceId"),
            version: "Notebook/1.0",
            serializedData: call("string", ref("content")),
          },
        }),
      ],
      modules: [],
      outputs: [out("id", "Resource id of the workbook.", member(ref("workbook"), "id"))],
    },
  );
}
