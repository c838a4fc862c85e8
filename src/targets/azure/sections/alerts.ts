// Who is told and when: an action group per channel (e-mail receivers, webhooks whose URLs are read at
// deployment), CPU and memory alerts on the plans or the cluster, and error-rate and p95-latency
// alerts from the App Services' HTTP logs; each alert notifies the groups of the channels it names.
import { call, lambda, member, ref, str, type BicepValue } from "../../../format/bicep.js";
import type { AlertModel, AppModel } from "../../../model/types.js";
import { camel, slug } from "../names.js";
import { logWindow, metricWindow, SEVERITY } from "../decisions.js";
import { anyEnv, appCondition, appOf, itemWhere, joinItems, readEnv, type Ctx } from "./context.js";
import { alertRelay, type ChatChannel } from "./alert-relay.js";
import { callModule, outputOf, param, type DeployVariable, type Part } from "./part.js";

export function alertsPart(c: Ctx): Partial<Part> {
  const webhooks = webhookParams(c);
  const alertChannels = param(
    c.envs,
    "alertChannels",
    "array",
    "Notification channels of the environment: one action group each.",
    (m) =>
      channels(m).map(([n, ch]) => ({
        name: n,
        emails:
          ch.type === "email"
            ? ch.to.map((address, i) => ({ name: ch.to.length > 1 ? `${n}-${i + 1}` : n, address }))
            : [],
      })),
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
  // Slack and Teams channels are told through the relay, which posts their own message format.
  const relay = alertRelay(
    c,
    webhooks.filter((w) => w.kind !== "webhook"),
  );
  // Every channel of any environment has a key, so that a group's lookup never misses.
  const urls = new Map([...webhooks.map((w) => [w.channel, w.url.ref] as const), ...relay.receivers]);
  const actionGroups = callModule("actionGroups", "action-group", "Action groups, one per channel.", {
    namePrefix: actionGroupPrefix(c),
    tags: c.tags,
    channels: alertChannels.ref,
    webhookUrls: Object.fromEntries(allChannels(c).map((n) => [n, urls.get(n) ?? ""])),
  });
  const deployChannels = param(
    c.envs,
    "deploymentAlertChannels",
    "array",
    "Channels told when a deployment or slot swap fails: those of the critical rules, else every channel.",
    deploymentChannels,
  );
  const deploymentAlert = callModule("deploymentAlerts", "deployment-alerts", "Failed deployments.", {
    name: str`deployment-failed-${c.appSlug}-${c.code}`,
    notify: deployChannels.ref,
    ...ACTION_ARGS,
    tags: c.tags,
  });
  return {
    params: [...webhooks.map((w) => w.url), alertChannels, metricRules, logRules, deployChannels],
    deployVariables: webhooks.flatMap((w) => w.variables),
    modules: [
      ...relay.modules,
      actionGroups,
      ...metricAlerts(c, metricRules.ref),
      ...(c.compute === "appservice" ? logAlerts(c, logRules.ref) : []),
      deploymentAlert,
    ],
  };
}

/** `ag-<app>-<env code>`: each channel's group is `<prefix>-<channel>` (the runbooks name them). */
const actionGroupPrefix = (c: Ctx) => str`ag-${c.appSlug}-${c.code}`;

/** What the alert modules need to notify a rule's channels: the groups' ids and the channel names. */
export const ACTION_ARGS = {
  actionGroupIds: outputOf("actionGroups", "ids"),
  channelNames: call("map", ref("alertChannels"), lambda(["ch"], member(ref("ch"), "name"))),
};

const allChannels = (c: Ctx) => [...new Set(c.envs.flatMap((m) => channels(m).map(([n]) => n)))].sort();

const channels = (m: AppModel) =>
  Object.entries(m.monitoring.channels).sort(([a], [b]) => a.localeCompare(b));

/**
 * A secure parameter per Slack, Teams or webhook channel (in any environment), read from its secret
 * at deployment. Where the environment has the channel the secret must be set: readEnvironmentVariable
 * without a fallback fails the parameter file when it is missing, and the pipeline stops on an empty
 * one (pipeline.ts), so a group never deploys without its receiver.
 */
function webhookParams(c: Ctx): WebhookParam[] {
  const secretIn = (m: AppModel, n: string) => m.monitoring.channels[n]?.webhook_secret;
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
    const type = c.envs
      .map((m) => m.monitoring.channels[n]?.type)
      .find((t): t is WebhookParam["kind"] => t !== undefined && t !== "email")!;
    const what = { webhook: "Webhook", slack: "Slack incoming webhook", teams: "Teams webhook" }[type];
    const secrets = [...new Set(c.envs.map((m) => secretIn(m, n)).filter((x) => x !== undefined))];
    return {
      channel: n,
      kind: type,
      url: param(
        c.envs,
        `${camel(n)}WebhookUrl`,
        "string",
        `Webhook URL of the ${n} alert channel, read at deployment.`,
        (m) => (secretIn(m, n) ? readEnv(secretIn(m, n)!) : ""),
        { secure: true },
      ),
      variables: secrets.map((name) => ({
        name,
        description: `${what} URL of the ${n} alert channel (a secret; the deployment stops when it is not set).`,
        required: true,
        envs: c.envs.filter((m) => secretIn(m, n) === name).map((m) => m.environment.name),
      })),
    };
  });
}

/** A channel's URL parameter, with the secrets it is read from (one per name the environments give). */
interface WebhookParam extends ChatChannel {
  variables: DeployVariable[];
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
    channels: ruleChannels(m, a),
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
    channels: ruleChannels(m, a),
  }));

/** Who hears of a failed deployment: the channels of the critical rules (someone acts on those), else all. */
function deploymentChannels(m: AppModel): string[] {
  const critical = Object.values(m.monitoring.alerts).filter((a) => a.severity === "critical");
  const named = [...new Set(critical.flatMap((a) => ruleChannels(m, a)))].sort();
  return named.length ? named : Object.keys(m.monitoring.channels).sort();
}

/** The channels a rule notifies in an environment: those it names that the environment has. */
export const ruleChannels = (m: AppModel, a: AlertModel): string[] =>
  a.channels.filter((n) => n in m.monitoring.channels).sort();

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
      ...ACTION_ARGS,
      tags: c.tags,
    }),
  ];
}

/**
 * Error-rate and p95-latency alerts on each http App Service, from its HTTP logs. On AKS the chart's
 * pods send nothing to Azure Monitor about requests: the cluster's Prometheus evaluates these rules
 * from ingress-nginx's metrics and its Alertmanager notifies the channels (deploy/kubernetes).
 */
function logAlerts(c: Ctx, rules: BicepValue) {
  const targets = c.apps
    .filter((n) => anyEnv(c, (m) => appOf(m, n))?.type === "http")
    .map((n) =>
      itemWhere(appCondition(c, n), { service: slug(n), resourceId: outputOf(`${camel(n)}App`, "id") }),
    );
  if (!targets.length) return [];
  return [
    callModule("logAlerts", "log-alerts", "Error-rate and p95-latency alerts from the apps' HTTP logs.", {
      rules,
      targets: joinItems(targets),
      workspaceId: outputOf("logAnalytics", "id"),
      ...ACTION_ARGS,
      location: c.location,
      tags: c.tags,
    }),
  ];
}
