// The AWS target's alert routes: one SNS topic per channel, every alarm notifying exactly the topics
// of its rule's channels, e-mail subscriptions, AWS Chatbot for Slack and Teams, HTTPS subscriptions
// for webhooks whose URLs stay out of every file, and the pipeline inputs that carry them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadSpec } from "../src/model/load.js";
import { awsTarget, buildAws } from "../src/targets/aws/index.js";
import { alertInputs } from "../src/targets/aws/pipeline.js";
import { alertRouteFindings } from "../src/targets/aws/system-alerts.js";
import { attr, findBlocks, literal, readHcl } from "../src/targets/terraform/read-hcl.js";
import { checkTerraform, formatSchemaProblems } from "../src/validate/terraform-schema.js";
import { SPEC } from "./check-fixtures.js";
import { CTX } from "./aws-environments-spec.js";

export const ALERT_SPEC = SPEC.replace(
  "environments:",
  `monitoring:
  channels:
    ops: { type: email, to: [ops@example.com, oncall@example.com] }
    chat: { type: slack, webhook_secret: SLACK_WEBHOOK_URL }
    teams: { type: teams, webhook_secret: TEAMS_WEBHOOK_URL }
    hook: { type: webhook, webhook_secret: PAGER_WEBHOOK_URL }
  alerts:
    high-cpu: { channels: [ops] }
    high-error-rate: { channels: [chat, hook] }
environments:`,
);

const render = (spec = ALERT_SPEC) => {
  const { project } = loadSpec("gantry.yaml", spec);
  return { project, tree: awsTarget.render(project, CTX) };
};

describe("aws alert routes", () => {
  it("passes the provider schema check with every kind of channel", () => {
    const { project } = loadSpec("gantry.yaml", ALERT_SPEC);
    assert.equal(formatSchemaProblems(checkTerraform(buildAws(project, CTX).hcl)), "");
  });

  it("gives each channel a topic and each kind its delivery", () => {
    const { tree } = render();
    const m = readHcl(tree["modules/monitoring/main.tf"]!);
    const kinds: [string, string][] = [
      ["aws_sns_topic", "channel"],
      ["aws_sns_topic_subscription", "email"],
      ["aws_sns_topic_subscription", "webhook"],
      ["aws_chatbot_slack_channel_configuration", "this"],
      ["aws_chatbot_teams_channel_configuration", "this"],
    ];
    for (const [type, name] of kinds)
      assert.equal(findBlocks(m, "resource", type, name).length, 1, `${type}.${name}`);
    const webhook = findBlocks(m, "resource", "aws_sns_topic_subscription", "webhook")[0]!;
    assert.equal(literal(attr(webhook, "protocol")!.text), "https");
    assert.equal(attr(webhook, "endpoint")!.text, "var.webhook_urls[each.key]");
    const vars = tree["modules/monitoring/variables.tf"]!;
    assert.match(vars, /variable "webhook_urls" \{\n(?: {2}.*\n)*? {2}sensitive\s+= true\n/);
    const tfvars = literal(attr(readHcl(tree["environments/production.tfvars"]!), "alert_channels")!.text);
    assert.deepEqual(tfvars, {
      chat: { type: "slack", emails: [] },
      hook: { type: "webhook", emails: [] },
      ops: { type: "email", emails: ["oncall@example.com", "ops@example.com"] },
      teams: { type: "teams", emails: [] },
    });
  });

  it("routes each alarm to the topics of its rule's channels, and only those", () => {
    const { tree } = render();
    const alerts = literal(attr(readHcl(tree["environments/production.tfvars"]!), "alerts")!.text) as Record<
      string,
      { channels: string[] }
    >;
    assert.deepEqual(alerts["high-cpu"]!.channels, ["ops"]);
    assert.deepEqual(alerts["high-error-rate"]!.channels, ["chat", "hook"]);
    assert.deepEqual(alerts["high-latency"]!.channels, ["chat", "hook", "ops", "teams"]);
    const service = readHcl(tree["modules/service/main.tf"]!);
    const alarms = findBlocks(service, "resource", "aws_cloudwatch_metric_alarm");
    assert.ok(alarms.length >= 4);
    for (const a of alarms)
      assert.equal(
        attr(a, "alarm_actions")!.text,
        "[for c in each.value.channels : var.alarm_topic_arns[c]]",
      );
    assert.match(tree["main.tf"]!, /alarm_topic_arns\s+= module\.monitoring\.topic_arns/);
    assert.match(tree["main.tf"]!, /channels = a\.channels/);
  });

  it("sends the availability alarms (us-east-1) to the webhooks and the chat channels as well", () => {
    const { tree } = render();
    const availability = readHcl(tree["modules/availability/main.tf"]!);
    const hook = findBlocks(availability, "resource", "aws_sns_topic_subscription", "webhook")[0]!;
    assert.equal(attr(hook, "topic_arn")!.text, "aws_sns_topic.availability.arn");
    assert.equal(attr(hook, "endpoint")!.text, "var.webhook_urls[each.key]");
    const chat = findBlocks(
      readHcl(tree["modules/monitoring/main.tf"]!),
      "resource",
      "aws_chatbot_slack_channel_configuration",
    )[0]!;
    assert.match(attr(chat, "sns_topic_arns")!.text, /var\.availability_topic_arn\]/);
    assert.match(tree["main.tf"]!, /availability_topic_arn = one\(module\.availability\[\*\]\.topic_arn\)/);
  });

  it("never writes a webhook URL or a chat id into a file; the pipeline passes them per environment", () => {
    const { project, tree } = render();
    const all = Object.values(tree).join("\n");
    assert.doesNotMatch(all, /hooks\.slack\.com|webhook\.office\.com/);
    const inputs = alertInputs(project.environments);
    assert.deepEqual(inputs.secrets, ["PAGER_WEBHOOK_URL"]);
    assert.deepEqual(inputs.variables, ["ALERT_CHAT_CHANNELS"]);
    assert.equal(inputs.env.TF_VAR_alert_webhook_urls, '{"hook":"${{ secrets.PAGER_WEBHOOK_URL }}"}');
    assert.equal(inputs.env.TF_VAR_chat_channels, "${{ vars.ALERT_CHAT_CHANNELS || '{}' }}");
    assert.match(tree["README.md"]!, /ALERT_CHAT_CHANNELS/);
    assert.match(tree["README.md"]!, /`PAGER_WEBHOOK_URL`/);
  });

  it("adds no chat or webhook inputs for a spec with e-mail only", () => {
    const { project } = loadSpec(
      "gantry.yaml",
      SPEC.replace(
        "environments:",
        "monitoring:\n  channels:\n    ops: { type: email, to: [a@example.com] }\nenvironments:",
      ),
    );
    assert.deepEqual(alertInputs(project.environments), { env: {}, variables: [], secrets: [] });
  });
});

describe("aws/alert-route", () => {
  const { project, tree } = render();
  const findings = (t: Record<string, string>) => alertRouteFindings(project, t);

  it("finds nothing on the tree as generated", () => {
    assert.deepEqual(findings(tree), []);
  });

  it("finds a rule whose only channel has no delivery, at its tfvars, in every environment", () => {
    const file = "modules/monitoring/main.tf";
    const damaged = {
      ...tree,
      [file]: tree[file]!.replace(/resource "aws_sns_topic_subscription" "email" \{\n[\s\S]*?\n\}\n/, ""),
    };
    assert.notEqual(damaged[file], tree[file]);
    const found = findings(damaged);
    assert.deepEqual(
      found.map((f) => [f.rule, f.env, f.path, f.file]),
      ["staging", "production"].map((env) => [
        "aws/alert-route",
        env,
        "monitoring.alerts.high-cpu",
        `environments/${env}.tfvars`,
      ]),
    );
    assert.match(found[0]!.message, /high-cpu notifies ops in staging, none of which delivers/);
    assert.ok((found[0]!.line ?? 0) > 1);
  });

  it("finds a rule the tfvars route nowhere", () => {
    const file = "environments/production.tfvars";
    const damaged = {
      ...tree,
      [file]: tree[file]!.replace(/("high-cpu" = \{\n(?: {4}.*\n)*? {4}channels = )\["ops"\]/, "$1[]"),
    };
    assert.notEqual(damaged[file], tree[file]);
    const found = findings(damaged);
    assert.equal(found.length, 1);
    assert.match(found[0]!.message, /high-cpu notifies no channel in production/);
  });

  it("finds alarms that do not notify their rule's topics, and a service module not given them", () => {
    const damaged = {
      ...tree,
      "modules/service/main.tf": tree["modules/service/main.tf"]!.replace(
        "alarm_actions       = [for c in each.value.channels : var.alarm_topic_arns[c]]",
        "alarm_actions       = []",
      ),
      "main.tf": tree["main.tf"]!.replace(/ +alarm_topic_arns += module\.monitoring\.topic_arns\n/, ""),
    };
    const found = findings(damaged);
    assert.deepEqual(
      found.map((f) => f.file),
      ["modules/service/main.tf", "main.tf"],
    );
    assert.match(found[1]!.message, /module service_api is not given the alert topics/);
  });
});
