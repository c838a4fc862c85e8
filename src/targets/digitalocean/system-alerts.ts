// digitalocean/alert-route: every cpu or memory rule the spec sends to an e-mail or Slack channel has
// a DigitalOcean node alert that notifies it, as the printed tree says: the environment's tfvars give
// the rule its addresses and Slack channels, the alerts module's policy sends to them (the `alerts`
// block's email and a `slack` block per channel), and main.tf hands the module the Slack inputs.
// Teams and webhook channels are the cluster's Alertmanager's to reach (kubernetes/alert-route).
import type { AppModel, ProjectModel } from "../../model/types.js";
import { attr, findBlocks, literal, readHcl } from "../terraform/read-hcl.js";
import type { FileTree, RuleDoc, SystemFinding } from "../target.js";

export const DO_ALERT_ROUTE: RuleDoc = {
  id: "digitalocean/alert-route",
  title: "A node alert rule reaches none of its e-mail or Slack channels",
  severity: "error",
  why: "DigitalOcean sees the nodes run out of CPU or memory and notifies no one (the policy is not created without a recipient), so the first sign is the app failing.",
  fix: "Regenerate the DigitalOcean tree (`gantry synth digitalocean`); give the rule an e-mail channel with addresses or a Slack channel.",
};

const MODULE = "modules/alerts/main.tf";

/** The policy sends to the rule's addresses and to a `slack` block per Slack channel of the rule. */
function moduleFindings(tree: FileTree): SystemFinding[] {
  const text = tree[MODULE];
  if (text === undefined) return [];
  const policy = findBlocks(readHcl(text), "resource", "digitalocean_monitor_alert", "this")[0];
  const alerts = policy?.blocks.find((b) => b.type === "alerts");
  const slack = alerts?.blocks.find((b) => b.type === "dynamic" && b.labels[0] === "slack");
  const content = slack?.blocks.find((b) => b.type === "content");
  const ok =
    attr(alerts, "email")?.text === "each.value.emails" &&
    attr(slack, "for_each")?.text === "each.value.slack" &&
    attr(content, "url")?.text === "var.slack_urls[slack.value]";
  const main = readHcl(tree["main.tf"] ?? "");
  const call = findBlocks(main, "module", "alerts")[0];
  const given = attr(call, "slack_urls")?.text === "var.alert_slack_urls";
  const out: SystemFinding[] = [];
  if (!ok)
    out.push({
      rule: DO_ALERT_ROUTE.id,
      path: "monitoring.alerts",
      message: "digitalocean_monitor_alert.this does not send to its rule's addresses and Slack channels",
      hint: "regenerate with `gantry synth digitalocean`",
      file: MODULE,
      line: alerts?.line ?? policy?.line ?? 1,
    });
  if (call && !given)
    out.push({
      rule: DO_ALERT_ROUTE.id,
      path: "monitoring.channels",
      message: "module alerts is not given the Slack webhook URLs (slack_urls = var.alert_slack_urls)",
      hint: "regenerate with `gantry synth digitalocean`",
      file: "main.tf",
      line: call.line,
    });
  return out;
}

type Rules = Record<string, { emails?: string[]; slack?: string[] } | undefined>;

function envFindings(env: AppModel, tree: FileTree): SystemFinding[] {
  const name = env.environment.name;
  const file = `environments/${name}.tfvars`;
  const tfvars = readHcl(tree[file] ?? "");
  const rules = (literal(attr(tfvars, "alerts")?.text ?? "{}") ?? {}) as Rules;
  const out: SystemFinding[] = [];
  for (const [rule, a] of Object.entries(env.monitoring.alerts)) {
    if (a.metric !== "cpu" && a.metric !== "memory") continue;
    const reachable = a.channels.filter((c) => {
      const ch = env.monitoring.channels[c];
      return ch?.type === "slack" || (ch?.type === "email" && ch.to.length > 0);
    });
    // A rule without e-mail or Slack channels is Alertmanager's alone (or spec/alert-unrouted's).
    if (!reachable.length) continue;
    const r = rules[rule];
    if ((r?.emails ?? []).length + (r?.slack ?? []).length > 0) continue;
    out.push({
      rule: DO_ALERT_ROUTE.id,
      env: name,
      path: `monitoring.alerts.${rule}`,
      message: r
        ? `${rule} in ${name} notifies no address and no Slack channel, so DigitalOcean creates no alert for it (the spec gives ${reachable.join(", ")})`
        : `${rule} has no node alert in ${name} (the spec sends it to ${reachable.join(", ")})`,
      hint: "regenerate with `gantry synth digitalocean`",
      file,
      line: attr(tfvars, "alerts")?.line ?? 1,
    });
  }
  return out;
}

export function doAlertRouteFindings(project: ProjectModel, tree: FileTree): SystemFinding[] {
  return [...moduleFindings(tree), ...project.environments.flatMap((e) => envFindings(e, tree))];
}
