// aws/alert-route: every alert rule the spec gives a channel, and that a CloudWatch alarm watches,
// reaches a channel that delivers, as the printed tree says: the environment's tfvars carry the rule
// with its channels and each channel's kind (and an e-mail channel's addresses), the monitoring
// module subscribes or configures that kind, the service module's alarms notify the topics of their
// rule's channels, and main.tf hands the service modules those topics.
import type { AppModel, ProjectModel } from "../../model/types.js";
import { attr, findBlocks, literal, readHcl, type HclBlockRead } from "../terraform/read-hcl.js";
import type { FileTree, RuleDoc, SystemFinding } from "../target.js";
import { moduleName } from "./names.js";
import { ALARM_METRICS } from "./tfvars.js";

export const AWS_ALERT_ROUTE: RuleDoc = {
  id: "aws/alert-route",
  title: "An alert rule's alarm reaches no channel that delivers",
  severity: "error",
  why: "CloudWatch changes the alarm's state and notifies a topic nobody is subscribed to (or none), and nobody hears of the outage.",
  fix: "Regenerate the AWS tree (`gantry synth aws`); give the rule a channel, and an e-mail channel its addresses.",
};

/** The resource of the monitoring module that delivers each kind of channel. */
const DELIVERY: Record<string, [type: string, name: string]> = {
  email: ["aws_sns_topic_subscription", "email"],
  webhook: ["aws_sns_topic_subscription", "webhook"],
  slack: ["aws_chatbot_slack_channel_configuration", "this"],
  teams: ["aws_chatbot_teams_channel_configuration", "this"],
};

type Channels = Record<string, { type?: string; emails?: string[] } | undefined>;
type Alerts = Record<string, { channels?: string[] } | undefined>;

/** Whether the printed tree wires the alarms to the topics: a finding per broken link, else none. */
function wiringFindings(project: ProjectModel, tree: FileTree): SystemFinding[] {
  const out: SystemFinding[] = [];
  const service = tree["modules/service/main.tf"];
  if (service === undefined) return out;
  const routed = /^\[for c in each\.value\.channels : var\.alarm_topic_arns\[c\]\]$/;
  for (const alarm of findBlocks(readHcl(service), "resource", "aws_cloudwatch_metric_alarm")) {
    const actions = attr(alarm, "alarm_actions");
    if (actions && routed.test(actions.text)) continue;
    out.push({
      rule: AWS_ALERT_ROUTE.id,
      path: "monitoring.alerts",
      message: `aws_cloudwatch_metric_alarm.${alarm.labels[1] ?? "?"} does not notify the topics of its rule's channels`,
      hint: "regenerate with `gantry synth aws`",
      file: "modules/service/main.tf",
      line: actions?.line ?? alarm.line,
    });
  }
  const main = readHcl(tree["main.tf"] ?? "");
  const names = new Set(
    project.environments.flatMap((e) =>
      Object.values(e.services).flatMap((s) => (s.type === "http" || s.type === "worker" ? [s.name] : [])),
    ),
  );
  for (const name of [...names].sort()) {
    const call = findBlocks(main, "module", moduleName.service(name))[0];
    if (!call || attr(call, "alarm_topic_arns")?.text === "module.monitoring.topic_arns") continue;
    out.push({
      rule: AWS_ALERT_ROUTE.id,
      path: `services.${name}`,
      message: `module ${moduleName.service(name)} is not given the alert topics (alarm_topic_arns = module.monitoring.topic_arns)`,
      hint: "regenerate with `gantry synth aws`",
      file: "main.tf",
      line: call.line,
    });
  }
  return out;
}

/** The rules of one environment whose alarm reaches no channel that delivers. */
function envFindings(env: AppModel, tree: FileTree, monitoring: HclBlockRead): SystemFinding[] {
  const name = env.environment.name;
  const file = `environments/${name}.tfvars`;
  const tfvars = readHcl(tree[file] ?? "");
  const alerts = (literal(attr(tfvars, "alerts")?.text ?? "{}") ?? {}) as Alerts;
  const channels = (literal(attr(tfvars, "alert_channels")?.text ?? "{}") ?? {}) as Channels;
  const delivers = (c: string): boolean => {
    const ch = channels[c];
    const kind = ch?.type && DELIVERY[ch.type];
    if (!kind || !findBlocks(monitoring, "resource", ...kind).length) return false;
    return ch.type !== "email" || (ch.emails ?? []).length > 0;
  };
  const out: SystemFinding[] = [];
  for (const [rule, a] of Object.entries(env.monitoring.alerts)) {
    // A rule without channels is spec/alert-unrouted's finding; one no alarm watches, the runbook's.
    if (!a.channels.length || !ALARM_METRICS.has(a.metric)) continue;
    const given = alerts[rule]?.channels ?? [];
    if (given.some(delivers)) continue;
    const line = attr(tfvars, alerts[rule] ? "alerts" : "alert_channels")?.line ?? 1;
    out.push({
      rule: AWS_ALERT_ROUTE.id,
      env: name,
      path: `monitoring.alerts.${rule}`,
      message: given.length
        ? `${rule} notifies ${given.join(", ")} in ${name}, none of which delivers (no subscription, Chatbot configuration or address)`
        : `${rule} notifies no channel in ${name}: its alarm changes state and nobody hears of it`,
      hint: `regenerate with \`gantry synth aws\`; the spec gives it ${a.channels.join(", ")}`,
      file,
      line,
    });
  }
  return out;
}

export function alertRouteFindings(project: ProjectModel, tree: FileTree): SystemFinding[] {
  const monitoring = readHcl(tree["modules/monitoring/main.tf"] ?? "");
  return [
    ...wiringFindings(project, tree),
    ...project.environments.flatMap((e) => envFindings(e, tree, monitoring)),
  ];
}
