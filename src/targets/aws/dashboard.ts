// The environment's CloudWatch dashboard: the load balancer's requests, 5xx and p95 latency; each
// ECS service's CPU and memory and its running tasks against min and max; each RDS instance's CPU,
// connections and free storage; each ElastiCache node's engine CPU and memory; each CloudFront
// distribution's requests and error rates. Widgets are typed values printed by jsonencode, never
// JSON text. Names and dimensions are those AWS publishes (CloudWatch User Guide, "AWS services that
// publish CloudWatch metrics": ALB, ECS and Container Insights, RDS, ElastiCache, CloudFront pages).
import { call, expr, inline, printExpression, tmpl, type Block, type HclValue } from "../../format/hcl.js";
import { resource } from "../terraform/blocks.js";
import { entryRef, moduleName } from "./names.js";
import { isPartial, outputOf } from "./presence.js";
import type { AwsShape } from "./shape.js";

/** One metric of a widget: namespace, name, dimensions in order, and how it is aggregated. */
export interface MetricSpec {
  namespace: string;
  metric: string;
  dimensions: readonly (readonly [name: string, value: HclValue])[];
  stat?: "Average" | "Sum" | "Maximum" | "Minimum" | "p95";
  label?: string;
}

/** A graph of metrics; `each` charts one metric per item of a list only Terraform knows (cache nodes). */
export interface MetricWidget {
  title: string;
  metrics: readonly MetricSpec[];
  each?: { list: string; item: (member: HclValue) => MetricSpec };
  region?: HclValue;
  /** Horizontal lines: a service's min and max tasks. */
  lines?: readonly { label: string; value: HclValue }[];
  width: 6 | 8 | 12 | 24;
}

/** A group of widgets that exists in the environments that have `present` (an HCL condition). */
export interface WidgetGroup {
  present?: string;
  widgets: readonly MetricWidget[];
}

/**
 * The metric array of the dashboard body: [namespace, name, dim, value, ..., { options }], its
 * options on one line so that a row fits on one line inside a for expression.
 */
function metricRow(m: MetricSpec): HclValue[] {
  const options: Record<string, HclValue> = {};
  if (m.stat) options.stat = m.stat;
  if (m.label) options.label = m.label;
  return [m.namespace, m.metric, ...m.dimensions.flatMap(([k, val]) => [k, val]), inline(options)];
}

const HEIGHT = 6;

/** The widgets laid out left to right in rows of 24 columns. */
function layout(groups: readonly WidgetGroup[], region: HclValue): HclValue {
  let x = 0;
  let y = 0;
  const parts: HclValue[] = [];
  for (const g of groups) {
    const printed = g.widgets.map((w): HclValue => {
      if (x + w.width > 24) [x, y] = [0, y + HEIGHT];
      const at = { x, y };
      x += w.width;
      const each = w.each
        ? expr(`[for m in ${w.each.list} : ${printExpression(metricRow(w.each.item(expr("m"))))}]`)
        : undefined;
      const rows: HclValue = !each
        ? w.metrics.map(metricRow)
        : w.metrics.length
          ? call("concat", w.metrics.map(metricRow), each)
          : each;
      return {
        type: "metric",
        ...at,
        width: w.width,
        height: HEIGHT,
        properties: {
          title: w.title,
          region: w.region ?? region,
          view: "timeSeries",
          stacked: false,
          period: 60,
          metrics: rows,
          ...(w.lines ? { annotations: { horizontal: w.lines.map((l) => ({ ...l })) } } : {}),
        },
      };
    });
    // Where some environments lack the group, its widgets read null references there (outputOf)
    // and are sliced away, so that one main.tf serves every environment.
    parts.push(g.present ? call("slice", printed, 0, expr(`${g.present} ? ${printed.length} : 0`)) : printed);
  }
  // One list argument: the printer indents it as tofu fmt does (a call of several lists it does not).
  return parts.length === 1 ? parts[0]! : call("flatten", parts);
}

/** `(count) == 1`: the module exists in this environment (where some lack it). */
const presentCond = (shape: AwsShape, key: string): string | undefined =>
  isPartial(shape, key) ? `(${shape.present.get(key)!.count}) == 1` : undefined;

const ALB = "AWS/ApplicationELB";

function loadBalancerGroup(shape: AwsShape): WidgetGroup {
  const lb: [string, HclValue] = ["LoadBalancer", outputOf(shape, "load_balancer", "arn_suffix")];
  const m = (metric: string, stat: MetricSpec["stat"], label: string): MetricSpec => ({
    namespace: ALB,
    metric,
    dimensions: [lb],
    stat,
    label,
  });
  return {
    present: presentCond(shape, "load_balancer"),
    widgets: [
      { title: "Load balancer: requests", metrics: [m("RequestCount", "Sum", "requests")], width: 8 },
      {
        title: "Load balancer: 5xx responses",
        metrics: [
          m("HTTPCode_Target_5XX_Count", "Sum", "5xx from the services"),
          m("HTTPCode_ELB_5XX_Count", "Sum", "5xx from the load balancer"),
        ],
        width: 8,
      },
      {
        title: "Load balancer: p95 response time (s)",
        metrics: [m("TargetResponseTime", "p95", "p95")],
        width: 8,
      },
    ],
  };
}

function serviceGroups(shape: AwsShape): WidgetGroup[] {
  const cluster: [string, HclValue] = ["ClusterName", expr("module.cluster.cluster_name")];
  return shape.services.map((s) => {
    const module = moduleName.service(s.name);
    const service: [string, HclValue] = ["ServiceName", outputOf(shape, module, "service_name")];
    const ecs = (namespace: string, metric: string, label: string): MetricSpec => ({
      namespace,
      metric,
      dimensions: [cluster, service],
      stat: "Average",
      label,
    });
    const entry = entryRef("services", s.name);
    const count = (field: string) =>
      expr(isPartial(shape, module) ? `try(${entry}.${field}, null)` : `${entry}.${field}`);
    return {
      present: presentCond(shape, module),
      widgets: [
        {
          title: `${s.name}: CPU and memory (% of the task's)`,
          metrics: [ecs("AWS/ECS", "CPUUtilization", "CPU"), ecs("AWS/ECS", "MemoryUtilization", "memory")],
          width: 12,
        },
        {
          // Container Insights (enabled on the cluster) publishes the task counts.
          title: `${s.name}: running tasks (min and max of autoscaling)`,
          metrics: [
            ecs("ECS/ContainerInsights", "RunningTaskCount", "running"),
            ecs("ECS/ContainerInsights", "DesiredTaskCount", "desired"),
          ],
          lines: [
            { label: "min", value: count("min_count") },
            { label: "max", value: count("max_count") },
          ],
          width: 12,
        },
      ],
    };
  });
}

function postgresGroups(shape: AwsShape): WidgetGroup[] {
  return shape.postgres.map((p) => {
    const module = moduleName.postgres(p.name);
    const id: [string, HclValue] = ["DBInstanceIdentifier", outputOf(shape, module, "identifier")];
    const rds = (metric: string, stat: MetricSpec["stat"], label: string): MetricSpec => ({
      namespace: "AWS/RDS",
      metric,
      dimensions: [id],
      stat,
      label,
    });
    return {
      present: presentCond(shape, module),
      widgets: [
        {
          title: `PostgreSQL ${p.name}: CPU (%)`,
          metrics: [rds("CPUUtilization", "Average", "CPU")],
          width: 8,
        },
        {
          title: `PostgreSQL ${p.name}: connections`,
          metrics: [rds("DatabaseConnections", "Maximum", "connections")],
          width: 8,
        },
        {
          title: `PostgreSQL ${p.name}: free storage (bytes)`,
          metrics: [rds("FreeStorageSpace", "Minimum", "free")],
          width: 8,
        },
      ],
    };
  });
}

function redisGroups(shape: AwsShape): WidgetGroup[] {
  return shape.redis.map((r) => {
    const module = moduleName.redis(r.name);
    // No label: each line is named by its node, and the row stays on one line.
    const node =
      (metric: string) =>
      (member: HclValue): MetricSpec => ({
        namespace: "AWS/ElastiCache",
        metric,
        dimensions: [["CacheClusterId", member]],
        stat: "Average",
      });
    const members = isPartial(shape, module)
      ? `coalesce(one(module.${module}[*].member_clusters), [])`
      : `module.${module}.member_clusters`;
    return {
      present: presentCond(shape, module),
      widgets: [
        {
          title: `Redis ${r.name}: engine CPU (%) per node`,
          metrics: [],
          each: { list: members, item: node("EngineCPUUtilization") },
          width: 12,
        },
        {
          title: `Redis ${r.name}: memory used (% of maxmemory) per node`,
          metrics: [],
          each: { list: members, item: node("DatabaseMemoryUsagePercentage") },
          width: 12,
        },
      ],
    };
  });
}

/** CloudFront publishes its metrics in us-east-1 with the dimension Region = Global. */
function siteGroups(shape: AwsShape): WidgetGroup[] {
  return shape.sites.map((s) => {
    const module = moduleName.site(s.name);
    const dims: [string, HclValue][] = [
      ["DistributionId", outputOf(shape, module, "distribution_id")],
      ["Region", "Global"],
    ];
    const cf = (metric: string, stat: MetricSpec["stat"], label: string): MetricSpec => ({
      namespace: "AWS/CloudFront",
      metric,
      dimensions: dims,
      stat,
      label,
    });
    return {
      present: presentCond(shape, module),
      widgets: [
        {
          title: `${s.name} (CloudFront): requests`,
          metrics: [cf("Requests", "Sum", "requests")],
          region: "us-east-1",
          width: 12,
        },
        {
          title: `${s.name} (CloudFront): error rate (%)`,
          metrics: [cf("5xxErrorRate", "Average", "5xx"), cf("4xxErrorRate", "Average", "4xx")],
          region: "us-east-1",
          width: 12,
        },
      ],
    };
  });
}

/** Every widget group of the app, in the dashboard's order (tests read the metrics from here). */
export function dashboardGroups(shape: AwsShape): WidgetGroup[] {
  return [
    ...(shape.publicServices.length ? [loadBalancerGroup(shape)] : []),
    ...serviceGroups(shape),
    ...postgresGroups(shape),
    ...redisGroups(shape),
    ...siteGroups(shape),
  ];
}

/** The dashboard resource of main.tf, or nothing for an app with nothing to chart. */
export function dashboardBlocks(shape: AwsShape): Block[] {
  const groups = dashboardGroups(shape);
  if (!groups.length) return [];
  return [
    resource("aws_cloudwatch_dashboard", "this", {
      dashboard_name: expr("local.name"),
      dashboard_body: call("jsonencode", { widgets: layout(groups, expr("var.region")) }),
    }),
  ];
}

/** The console address of the dashboard (an output, and what the runbooks link). */
export const dashboardUrl = tmpl(
  "https://${var.region}.console.aws.amazon.com/cloudwatch/home?region=${var.region}#dashboards/dashboard/${local.name}",
);
