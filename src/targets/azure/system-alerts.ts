// azure/alert-route: every alert the Bicep deploys notifies action groups, and each channel its rule
// names has a group with a receiver in that environment (an e-mail address, or a webhook URL read at
// deployment). A Slack or Teams channel counts only when its group posts to the alert relay
// (modules/alert-relay.bicep) and the relay knows the channel: those webhooks do not accept the
// common alert schema an action group sends. Read from the rendered tree: the alert resources of the
// modules, main.bicep's calls and each environment's parameter file (the rules, their channels, the
// channels' receivers).
import type { AlertMetric, ProjectModel } from "../../model/types.js";
import type { FileTree, RuleDoc, SystemFinding } from "../target.js";
import { readParamValue, type Decl, type ParamValue } from "./bicep-read.js";

export const ALERT_ROUTE_RULE: RuleDoc = {
  id: "azure/alert-route",
  title: "Every Azure Monitor alert notifies an action group with a receiver for each channel of its rule",
  severity: "error",
  why: "An alert without an action group, or whose channel's group has no e-mail address or webhook, fires in the portal and nobody hears of the outage; a Slack or Teams webhook given Azure Monitor's common alert schema shows nothing.",
  fix: "Regenerate with `gantry synth azure`; give each rule a channel of the environment (`monitoring.channels`), and set the webhook secrets of Slack, Teams and webhook channels at deployment (Slack and Teams go through the alert relay).",
};

/** Resources that notify: alerts and budgets. */
const NOTIFYING = [
  "Microsoft.Insights/metricAlerts@",
  "Microsoft.Insights/scheduledQueryRules@",
  "Microsoft.Insights/activityLogAlerts@",
  "Microsoft.Consumption/budgets@",
];
const GROUPS = "modules/action-group.bicep";
const RELAY = "modules/alert-relay.bicep";
const RULE_PARAMS = ["metricAlertRules", "logAlertRules"];

const notifies = (d: Decl) => d.kind === "resource" && NOTIFYING.some((t) => d.target.startsWith(t));
const asList = (v: ParamValue): ParamValue[] => (Array.isArray(v) ? v : []);
const asText = (v: ParamValue | undefined): string =>
  typeof v === "string" || typeof v === "number" ? String(v) : "";
const asObject = (v: ParamValue): Record<string, ParamValue> =>
  v && typeof v === "object" && !Array.isArray(v) ? v : {};

export function alertRouteFindings(
  project: ProjectModel,
  tree: FileTree,
  decls: Decl[],
  modules: ReadonlyMap<string, Decl[]>,
): SystemFinding[] {
  const groups = decls.find((d) => d.kind === "module" && d.target === GROUPS);
  const relay = decls.find((d) => d.kind === "module" && d.target === RELAY);
  return [
    ...unnamedGroups(modules),
    ...unwiredCalls(decls, modules, groups),
    ...(groups
      ? project.environments.flatMap((m) =>
          channelRoutes(m.environment.name, project, tree, { groups, relay }, evaluated(decls)),
        )
      : []),
  ];
}

/** Every alert resource of a module names action groups in its properties. */
function unnamedGroups(modules: ReadonlyMap<string, Decl[]>): SystemFinding[] {
  return [...modules].flatMap(([file, ds]) =>
    ds
      .filter((d) => notifies(d) && !/actionGroup|contactGroups/.test(d.body.get("properties")?.text ?? ""))
      .map((d) => ({
        rule: ALERT_ROUTE_RULE.id,
        message: `${d.symbol} (${d.target.split("@")[0]!}) names no action group: it notifies no one`,
        hint: "add the action groups of the rule's channels to its actions",
        file,
        line: d.line,
      })),
  );
}

/** Every call of a module with alerts hands it the ids of the action groups main.bicep deploys. */
function unwiredCalls(
  decls: Decl[],
  modules: ReadonlyMap<string, Decl[]>,
  groups: Decl | undefined,
): SystemFinding[] {
  return decls
    .filter((d) => d.kind === "module" && (modules.get(d.target) ?? []).some(notifies))
    .filter(
      (d) =>
        !groups || !(d.params.get("actionGroupIds")?.text ?? "").includes(`${groups.symbol}.outputs.ids`),
    )
    .map((d) => ({
      rule: ALERT_ROUTE_RULE.id,
      message: groups
        ? `${d.symbol} is not given the ids of the action groups (${groups.symbol}.outputs.ids)`
        : `${d.symbol} deploys alerts, but main.bicep deploys no action group`,
      hint: "pass actionGroupIds from the action-group module",
      file: "main.bicep",
      line: d.params.get("actionGroupIds")?.line ?? d.line,
    }));
}

/** The rules parameter that carries each metric's rules, where main.bicep deploys their alerts. */
function evaluated(decls: Decl[]): Partial<Record<AlertMetric, string>> {
  const has = (path: string) => decls.some((d) => d.kind === "module" && d.target === path);
  const metric = has("modules/metric-alerts.bicep") ? "metricAlertRules" : undefined;
  // On AKS there are no log alerts: the cluster's Prometheus evaluates those rules (findings-alerts.ts).
  const log = has("modules/log-alerts.bicep") ? "logAlertRules" : undefined;
  return { cpu: metric, memory: metric, error_rate: log, latency_p95: log };
}

/** In one environment, each rule with channels is deployed, and each of its channels has a group with a receiver. */
function channelRoutes(
  env: string,
  project: ProjectModel,
  tree: FileTree,
  { groups, relay }: { groups: Decl; relay: Decl | undefined },
  carriers: Partial<Record<AlertMetric, string>>,
): SystemFinding[] {
  const file = `parameters/${env}.bicepparam`;
  const text = tree[file] ?? "";
  const lineOf = (name: string) => text.split("\n").findIndex((l) => l.startsWith(`param ${name} = `)) + 1;
  const urls = webhookUrls(groups.params.get("webhookUrls")?.text ?? "");
  const model = project.environments.find((m) => m.environment.name === env);
  const relayed = relayChannels(relay);
  /** Whether the channel's webhook receiver reaches it in a form it shows. */
  const delivers = (name: string, url: string) => {
    const type = model?.monitoring.channels[name]?.type;
    if (type !== "slack" && type !== "teams") return true;
    return !!relay && url.includes(`${relay.symbol}.outputs.`) && relayed.has(name);
  };
  const receivers = new Map(
    asList(readParamValue(text, "alertChannels")).map((c) => {
      const ch = asObject(c);
      const name = asText(ch.name);
      const url = urls.get(name) ?? "''";
      return [name, asList(ch.emails).length > 0 || (url !== "''" && delivers(name, url))] as const;
    }),
  );
  const spec = model?.monitoring.alerts ?? {};
  const out: SystemFinding[] = [];
  const report = (param: string, message: string) =>
    out.push({
      rule: ALERT_ROUTE_RULE.id,
      env,
      path: "monitoring.channels",
      message,
      hint: ALERT_ROUTE_RULE.fix,
      file,
      line: lineOf(param),
    });
  const rules = [
    ...RULE_PARAMS.flatMap((param) =>
      asList(readParamValue(text, param)).map((r) => {
        const rule = asObject(r);
        return { param, name: asText(rule.name), channels: asList(rule.channels).map(asText) };
      }),
    ),
    ...[
      ["availabilityChannels", "the availability tests"],
      ["deploymentAlertChannels", "the failed-deployment alert"],
    ].map(([param, name]) => ({
      param: param!,
      name: name!,
      channels: asList(readParamValue(text, param!)).map(asText),
    })),
  ];
  for (const [name, a] of Object.entries(spec)) {
    const param = carriers[a.metric];
    if (param && a.channels.length && !rules.some((r) => r.param === param && r.name === name))
      report(param, `${name} (${a.metric}) has channels, but no alert of ${param} evaluates it in ${env}`);
  }
  for (const { param, name, channels } of rules) {
    // A rule the spec gives no channel is spec/alert-unrouted's finding, not a wiring defect.
    const named = spec[name]?.channels ?? [];
    if (!channels.length && named.length)
      report(param, `${name} notifies no channel, though the spec gives it ${named.join(", ")}`);
    for (const c of channels)
      if (!receivers.has(c))
        report(param, `${name} notifies channel ${c}, which has no action group in ${env}`);
      else if (!receivers.get(c))
        report(
          param,
          `${name} notifies channel ${c}, whose action group has no receiver${chatNote(model?.monitoring.channels[c]?.type)}`,
        );
  }
  return out;
}

/** main.bicep's `webhookUrls: { channel: expression }` of the action-group call. */
function webhookUrls(text: string): Map<string, string> {
  return new Map(
    [...text.matchAll(/^\s+'?([A-Za-z0-9_-]+)'?: (.+)$/gm)].map((m) => [m[1]!, m[2]!.trim()] as const),
  );
}

/** The channels the relay posts to: the keys of its `channels` parameter in main.bicep. */
function relayChannels(relay: Decl | undefined): Set<string> {
  const text = relay?.params.get("channels")?.text ?? "";
  return new Set([...text.matchAll(/^\s+'?([A-Za-z0-9_-]+)'?: \{$/gm)].map((m) => m[1]!));
}

const chatNote = (type: string | undefined) =>
  type === "slack" || type === "teams"
    ? ` that ${type} shows (its webhook must go through the alert relay, which posts ${type}'s message format)`
    : "";
