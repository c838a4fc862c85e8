// The Azure workbook and alert routing of every example: the workbook charts only metrics Azure
// Monitor publishes for the resource type and queries only tables the environment's workspace
// receives, it gets each environment's plans, servers and caches; and every alert resource of the
// Bicep names the action groups of its rule's channels.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildAzure } from "../src/targets/azure/index.js";
import { isExpr, printValue, type BicepValue } from "../src/format/bicep.js";
import { readFileSync } from "node:fs";
import { loadSpec } from "../src/model/load.js";
import { EXAMPLES, examplePath, loadExample } from "./helpers.js";

const project = (name: string) => loadExample(name).project;

/**
 * Platform metrics by resource type, from Azure Monitor's supported-metrics reference
 * (learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/...): the names in the REST API.
 */
const METRICS: Record<string, string[]> = {
  "microsoft.web/serverfarms": ["CpuPercentage", "MemoryPercentage"],
  "microsoft.containerservice/managedclusters": [
    "node_cpu_usage_percentage",
    "node_memory_working_set_percentage",
  ],
  "microsoft.dbforpostgresql/flexibleservers": [
    "cpu_percent",
    "memory_percent",
    "storage_percent",
    "active_connections",
  ],
  "microsoft.cache/redis": [
    "allserverLoad",
    "allpercentprocessortime",
    "allusedmemorypercentage",
    "allconnectedclients",
  ],
};
/**
 * Tables the workspace receives: App Service's HTTP logs (the sites' diagnostic setting), Container
 * insights (the AKS add-on) and the availability tests (workspace-based Application Insights); each
 * with the columns queried.
 */
const TABLES: Record<string, string[]> = {
  AppServiceHTTPLogs: ["_ResourceId", "ScStatus", "TimeTaken", "TimeGenerated"],
  KubePodInventory: ["ContainerRestartCount", "ControllerName", "TimeGenerated"],
  AppAvailabilityResults: ["Success", "Name", "TimeGenerated"],
};

/** Every object of a Bicep value, expressions' arguments included (the workbook's items sit in concat and ternaries). */
function objects(v: BicepValue | undefined): Record<string, BicepValue>[] {
  if (v === undefined || v === null || typeof v !== "object") return [];
  if (Array.isArray(v)) return v.flatMap(objects);
  if (isExpr(v)) {
    const e = v as unknown as Record<string, unknown>;
    return Object.values(e).flatMap((x) => objects(x as BicepValue));
  }
  const o = v as Record<string, BicepValue>;
  return [o, ...Object.values(o).flatMap(objects)];
}

const workbookItems = (name: string) => {
  const content = buildAzure(project(name)).bicep["modules/workbook.bicep"]!.vars.find(
    (v) => v.name === "content",
  )!;
  return objects(content.value).filter((o) => typeof o.type === "number" && o.content !== undefined);
};

describe("azure workbook", () => {
  for (const ex of EXAMPLES) {
    it(`${ex}: charts only metrics Azure Monitor publishes for each resource type`, () => {
      const series = objects(workbookItems(ex).filter((i) => i.type === 10) as BicepValue).filter(
        (o) => typeof o.metric === "string" && typeof o.namespace === "string",
      );
      assert.ok(series.length > 0);
      for (const s of series) {
        const [ns, metric] = (s.metric as string).split("--");
        assert.equal(ns, s.namespace);
        assert.ok(METRICS[s.namespace as string]?.includes(metric!), `${ex}: ${s.metric as string}`);
      }
    });

    it(`${ex}: queries only tables and columns the workspace receives`, () => {
      const queries = workbookItems(ex)
        .filter((i) => i.type === 3 && (i.content as Record<string, BicepValue>).queryType === 0)
        .map((i) => printValue((i.content as Record<string, BicepValue>).query!));
      assert.ok(queries.length >= 2);
      for (const q of queries) {
        const table = /^'?([A-Za-z]+) \|/.exec(q)?.[1] ?? "";
        assert.ok(table in TABLES, `${ex}: ${q}`);
        const columns = [...q.matchAll(/\b([A-Z_][A-Za-z_]+)\b/g)].map((m) => m[1]!);
        const known = new Set([...TABLES[table]!, table, "Success", "Failure", "Microsoft"]);
        for (const col of columns.filter((c) => /^(_|[A-Z][a-z]+[A-Z])/.test(c)))
          assert.ok(known.has(col), `${ex}: ${col} in ${q}`);
      }
    });
  }

  it("each environment's workbook gets its plans, servers and caches, and the cluster on AKS", () => {
    const augeo = printValue(
      buildAzure(project("augeo")).bicep["main.bicep"]!.modules.find((m) => m.symbol === "workbook")!.params,
    );
    assert.match(augeo, /planIds: \[\n\s+apiPlan\.outputs\.id/);
    assert.match(
      augeo,
      /postgresIds: \[\n\s+resourceId\(subscription\(\)\.subscriptionId, resourceGroupName, 'Microsoft\.DBforPostgreSQL\/flexibleServers', dbPostgres\.outputs\.name\)/,
    );
    assert.match(augeo, /clusterId: ''/);
    const todo = printValue(
      buildAzure(project("todo")).bicep["main.bicep"]!.modules.find((m) => m.symbol === "workbook")!.params,
    );
    assert.match(todo, /planIds: \[\]/);
    assert.match(todo, /clusterId: aks\.outputs\.id/);
  });
});

const ALERT_TYPES = [
  "Microsoft.Insights/metricAlerts",
  "Microsoft.Insights/scheduledQueryRules",
  "Microsoft.Insights/activityLogAlerts",
];

describe("azure alerts notify action groups", () => {
  for (const ex of EXAMPLES)
    it(`${ex}: every alert resource's actions are the action groups of its channels`, () => {
      const build = buildAzure(project(ex));
      const alerts = Object.values(build.bicep).flatMap((f) =>
        f.resources.filter((r) => ALERT_TYPES.includes(r.type)),
      );
      assert.ok(alerts.length >= 2);
      for (const a of alerts) {
        const actions = printValue((a.body.properties as Record<string, BicepValue>).actions!);
        assert.match(actions, /actionGroupIds\[indexOf\(channelNames, c\)\]/, `${ex}: ${a.symbol}`);
      }
      // Every module with alerts gets the groups' ids from the one action-group module.
      const main = build.bicep["main.bicep"]!;
      const withAlerts = main.modules.filter((m) =>
        build.bicep[m.path]?.resources.some((r) => ALERT_TYPES.includes(r.type)),
      );
      for (const m of withAlerts)
        assert.equal(printValue(m.params.actionGroupIds!), "actionGroups.outputs.ids", m.symbol);
    });

  it("a rule notifies only the channels it names, in every environment that has them", () => {
    const yaml = readFileSync(examplePath("augeo"), "utf8").replace(
      "high-cpu: { metric: cpu, above: 80, for: 10m, severity: warning }",
      "high-cpu: { metric: cpu, above: 80, for: 10m, severity: warning, channels: [ops] }",
    );
    const loaded = loadSpec("gantry.yaml", yaml);
    const build = buildAzure(loaded.project);
    for (const env of ["dev", "staging", "production"]) {
      const rules = build.params[`parameters/${env}.bicepparam`]!.params.find(
        (p) => p.name === "metricAlertRules",
      )!;
      const byName = new Map((rules.value as Record<string, BicepValue>[]).map((r) => [r.name, r.channels]));
      assert.deepEqual(byName.get("high-cpu"), ["ops"], env);
      assert.deepEqual(byName.get("high-memory"), ["ops", "teams"], env);
    }
  });
});
