// The Azure Monitor workbook of an environment as typed items (the workbook format of
// github.com/microsoft/Application-Insights-Workbooks: "Notebook/1.0" with text, query and metric
// items), turned into a Bicep value that the module serialises with string() at deployment, so that
// resource ids known only then go in without any JSON written by hand.
import { call, ternary, type BicepValue } from "../../format/bicep.js";

/** Aggregations of a metric item, as the workbook format numbers them. */
const AGGREGATION = { sum: 1, max: 3, average: 4 } as const;

export interface MetricSeries {
  /** Resource type the metric belongs to, lower case (microsoft.web/serverfarms). */
  namespace: string;
  /** The metric's name in Azure Monitor's REST API (CpuPercentage). */
  metric: string;
  aggregation: keyof typeof AGGREGATION;
}

export type WorkbookItem =
  | { kind: "text"; name: string; markdown: BicepValue }
  | {
      kind: "metrics";
      name: string;
      title: string;
      resourceType: string;
      resourceIds: BicepValue;
      series: MetricSeries[];
    }
  | {
      kind: "logs";
      name: string;
      title: BicepValue;
      /** KQL over the Log Analytics workspace. */
      query: BicepValue;
      workspaceId: BicepValue;
      visualization: "timechart" | "table";
    }
  | {
      kind: "arm";
      name: string;
      title: string;
      /** GET of an Azure Resource Manager path, shown as a table of JSONPath columns. */
      path: BicepValue;
      apiVersion: string;
      /** JSONPath of the rows: `$` for one object, `$.value[*]` for a list. */
      tablePath: string;
      columns: { id: string; path: string }[];
    };

const DAY_MS = 86400000;

function itemValue(item: WorkbookItem): BicepValue {
  switch (item.kind) {
    case "text":
      return { type: 1, name: item.name, content: { json: item.markdown } };
    case "metrics":
      return {
        type: 10,
        name: item.name,
        content: {
          chartId: `workbook-${item.name}`,
          version: "MetricsItem/2.0",
          size: 0,
          chartType: 2,
          resourceType: item.resourceType,
          metricScope: 0,
          resourceIds: item.resourceIds,
          timeContext: { durationMs: DAY_MS },
          metrics: item.series.map((s) => ({
            namespace: s.namespace,
            metric: `${s.namespace}--${s.metric}`,
            aggregation: AGGREGATION[s.aggregation],
          })),
          title: item.title,
        },
      };
    case "logs":
      return {
        type: 3,
        name: item.name,
        content: {
          version: "KqlItem/1.0",
          query: item.query,
          size: 0,
          title: item.title,
          timeContext: { durationMs: DAY_MS },
          queryType: 0,
          resourceType: "microsoft.operationalinsights/workspaces",
          crossComponentResources: [item.workspaceId],
          visualization: item.visualization,
        },
      };
    case "arm":
      return {
        type: 3,
        name: item.name,
        content: {
          version: "KqlItem/1.0",
          // The ARM data source reads its request from the query, itself JSON.
          query: call("string", {
            version: "ARMEndpoint/1.0",
            data: null,
            headers: [],
            method: "GET",
            path: item.path,
            urlParams: [{ key: "api-version", value: item.apiVersion }],
            batchDisabled: false,
            transformers: [
              {
                type: "jsonpath",
                settings: {
                  tablePath: item.tablePath,
                  columns: item.columns.map((c) => ({ path: c.path, columnid: c.id })),
                },
              },
            ],
          }),
          size: 0,
          title: item.title,
          queryType: 12,
          visualization: "table",
        },
      };
  }
}

/**
 * The workbook: groups of items, a group kept only where its condition holds at deployment (an
 * environment without a cache has no cache charts).
 */
export function workbookValue(groups: { when?: BicepValue; items: WorkbookItem[] }[]): BicepValue {
  const lists = groups.map((g) => {
    const items = g.items.map(itemValue);
    return g.when === undefined ? items : ternary(g.when, items, []);
  });
  return {
    version: "Notebook/1.0",
    items: lists.length === 1 ? lists[0]! : call("concat", ...lists),
    $schema: "https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json",
  };
}
