// Who is told and when: the action group (email receivers, webhooks whose URLs are read at
// deployment), CPU and memory alerts on the plans or the cluster, and error-rate and p95-latency
// alerts from Application Insights.
import { call, str, ternary, type BicepValue } from "../../../format/bicep.js";
import type { AlertModel, AppModel } from "../../../model/types.js";
import { camel, slug } from "../names.js";
import { logWindow, metricWindow, serviceNames, SEVERITY } from "../decisions.js";
import { anyEnv, appCondition, appOf, itemWhere, joinItems, readEnv, type Ctx } from "./context.js";
import { callModule, outputOf, param, type DeployVariable, type EnvParam, type Part } from "./part.js";

export function alertsPart(c: Ctx): Partial<Part> {
  const webhooks = webhookParams(c);
  const emailReceivers = param(
    c.envs,
    "alertEmailReceivers",
    "array",
    "Email receivers of the alerts.",
    (m) =>
      channels(m)
        .filter(([, ch]) => ch.type === "email")
        .flatMap(([n, ch]) =>
          ch.to.map((address, i) => ({ name: ch.to.length > 1 ? `${n}-${i + 1}` : n, address })),
        ),
  );
  const metricRules = param(
    c.envs,
    "metricAlertRules",
    "array",
    "CPU and memory alerts of the environment.",
    metricAlertRules,
  );
  const logRules = param(
    c.envs,
    "logAlertRules",
    "array",
    "Error-rate and p95-latency alerts of the environment.",
    logAlertRules,
  );
  const actionGroup = callModule("actionGroup", "action-group", "Action group of the alerts.", {
    name: str`ag-${c.appSlug}-${c.code}`,
    shortName: call("take", str`${c.appSlug}-${c.code}`, 12),
    tags: c.tags,
    emailReceivers: emailReceivers.ref,
    webhooks: {
      receivers: call(
        "concat",
        ...(webhooks.length
          ? webhooks.map(({ channel, url }) =>
              ternary(call("empty", url.ref), [], [{ name: channel, serviceUri: url.ref }]),
            )
          : [[]]),
      ),
    },
  });
  return {
    params: [...webhooks.map((w) => w.url), emailReceivers, metricRules, logRules],
    deployVariables: webhooks.map((w) => w.variable),
    modules: [actionGroup, ...metricAlerts(c, metricRules.ref), ...logAlerts(c, logRules.ref)],
  };
}

const channels = (m: AppModel) =>
  Object.entries(m.monitoring.channels).sort(([a], [b]) => a.localeCompare(b));

/** A secure parameter per webhook channel (in any environment), read from its secret at deployment. */
function webhookParams(c: Ctx): { channel: string; url: EnvParam; variable: DeployVariable }[] {
  const names = [
    ...new Set(
      c.envs.flatMap((m) =>
        channels(m)
          .filter(([, ch]) => ch.type !== "email" && ch.webhook_secret)
          .map(([n]) => n),
      ),
    ),
  ].sort();
  return names.map((n) => {
    const secret = c.envs.map((m) => m.monitoring.channels[n]?.webhook_secret).find(Boolean)!;
    return {
      channel: n,
      url: param(
        c.envs,
        `${camel(n)}WebhookUrl`,
        "string",
        `Webhook URL of the ${n} alert channel, read at deployment.`,
        () => readEnv(secret, ""),
        { secure: true },
      ),
      variable: {
        name: secret,
        description: `Webhook URL of the ${n} alert channel (a secret; unset: no ${n} notifications).`,
        required: false,
      },
    };
  });
}

const alertsOf = (m: AppModel, metrics: AlertModel["metric"][]) =>
  Object.entries(m.monitoring.alerts)
    .filter(([, a]) => metrics.includes(a.metric))
    .sort(([a], [b]) => a.localeCompare(b));

const metricAlertRules = (m: AppModel): BicepValue =>
  alertsOf(m, ["cpu", "memory"]).map(([n, a]) => ({
    name: n,
    metric: a.metric,
    threshold: Math.round(a.above),
    severity: SEVERITY[a.severity],
    ...metricWindow(a.for),
    description: `${a.metric === "cpu" ? "CPU" : "Memory"} above ${a.above}% for ${a.for}.`,
    services: [...a.services].sort(),
  }));

const logAlertRules = (m: AppModel): BicepValue =>
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
  }));

/** CPU and memory alerts on each App Service plan, or on the cluster. */
function metricAlerts(c: Ctx, rules: BicepValue) {
  const appService = c.compute === "appservice";
  const targets = appService
    ? c.apps.map((n) =>
        itemWhere(appCondition(c, n), { service: slug(n), scope: outputOf(`${camel(n)}Plan`, "id") }),
      )
    : [{ service: "cluster", scope: outputOf("aks", "id") }];
  if (!targets.length) return [];
  return [
    callModule("metricAlerts", "metric-alerts", "CPU and memory alerts.", {
      rules,
      targets: joinItems(targets),
      metricNamespace: appService
        ? "Microsoft.Web/serverfarms"
        : "Microsoft.ContainerService/managedClusters",
      cpuMetric: appService ? "CpuPercentage" : "node_cpu_usage_percentage",
      memoryMetric: appService ? "MemoryPercentage" : "node_memory_working_set_percentage",
      actionGroupId: outputOf("actionGroup", "id"),
      tags: c.tags,
    }),
  ];
}

/** Error-rate and p95-latency alerts on each http service's requests. */
function logAlerts(c: Ctx, rules: BicepValue) {
  // App Service reports the site name as cloud_RoleName; in the cluster the services set their own name.
  const targets =
    c.compute === "appservice"
      ? c.apps
          .filter((n) => anyEnv(c, (m) => appOf(m, n))?.type === "http")
          .map((n) =>
            itemWhere(appCondition(c, n), { service: slug(n), role: outputOf(`${camel(n)}App`, "name") }),
          )
      : serviceNames(c.project, (s) => s.type === "http").map((n) => ({ service: slug(n), role: n }));
  if (!targets.length) return [];
  return [
    callModule("logAlerts", "log-alerts", "Error-rate and p95-latency alerts from Application Insights.", {
      rules,
      targets: joinItems(targets),
      appInsightsId: outputOf("appInsights", "id"),
      actionGroupId: outputOf("actionGroup", "id"),
      location: c.location,
      tags: c.tags,
    }),
  ];
}
