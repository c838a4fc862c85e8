// DigitalOcean's alert policies reach the spec's e-mail and Slack channels: each node rule its own
// channels, the database and uptime alerts every channel, Slack URLs a sensitive input from the
// channel's secret and channel names a per-environment variable, never in a file.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { loadSpec } from "../src/model/load.js";
import { buildDigitalOcean, digitaloceanTarget } from "../src/targets/digitalocean/index.js";
import { slackInputs } from "../src/targets/digitalocean/pipeline.js";
import { doAlertRouteFindings } from "../src/targets/digitalocean/system-alerts.js";
import { attr, findBlocks, literal, readHcl } from "../src/targets/terraform/read-hcl.js";
import { checkTerraform, formatSchemaProblems } from "../src/validate/terraform-schema.js";
import { examplePath, exampleContext } from "./helpers.js";

const ctx = exampleContext("todo", "digitalocean");

describe("digitalocean alert routes", () => {
  const { project } = loadSpec("gantry.yaml", fixedSpec());
  const tree = digitaloceanTarget.render(project, ctx);

  it("passes the provider schema check", () => {
    assert.equal(formatSchemaProblems(checkTerraform(buildDigitalOcean(project, ctx).hcl)), "");
  });

  it("sends each node rule to its own channels, and the rest to every e-mail and Slack channel", () => {
    const tfvars = readHcl(tree["environments/production.tfvars"]!);
    const alerts = literal(attr(tfvars, "alerts")!.text) as Record<
      string,
      { emails: string[]; slack: string[] }
    >;
    assert.deepEqual(alerts["high-cpu"], {
      metric: "cpu",
      above: 75,
      window: "10m",
      emails: ["ops@example.com"],
      slack: [],
    });
    assert.deepEqual(alerts["high-memory"]!.slack, ["slack"]);
    assert.deepEqual(alerts["high-memory"]!.emails, ["ops@example.com"]);
    assert.deepEqual(literal(attr(tfvars, "alert_slack")!.text), ["slack"]);
    const module = readHcl(tree["modules/alerts/main.tf"]!);
    const node = findBlocks(module, "resource", "digitalocean_monitor_alert", "this")[0]!;
    const block = node.blocks.find((b) => b.type === "alerts")!;
    assert.equal(attr(block, "email")!.text, "each.value.emails");
    const slack = block.blocks.find((b) => b.type === "dynamic" && b.labels[0] === "slack")!;
    assert.equal(attr(slack, "for_each")!.text, "each.value.slack");
    assert.ok(findBlocks(module, "resource", "digitalocean_monitor_alert", "database")[0]);
    assert.match(
      tree["main.tf"]!,
      /databases += merge\(\{ for k, m in module\.postgres : "postgres-\$\{k\}" => m\.id \}/,
    );
    assert.match(tree["modules/uptime/main.tf"]!, /dynamic "slack"/);
    assert.match(
      tree["variables.tf"]!,
      /variable "alert_slack_urls" \{\n(?: {2}.*\n)*? {2}sensitive\s+= true\n/,
    );
  });

  it("passes Slack URLs from their secrets and channel names from a variable, and writes neither", () => {
    assert.deepEqual(slackInputs(project.environments), {
      env: {
        TF_VAR_alert_slack_urls: '{"slack":"${{ secrets.SLACK_WEBHOOK_URL }}"}',
        TF_VAR_alert_slack_channels: "${{ vars.ALERT_SLACK_CHANNELS || '{}' }}",
      },
      variables: ["ALERT_SLACK_CHANNELS"],
      secrets: ["SLACK_WEBHOOK_URL"],
    });
    assert.doesNotMatch(Object.values(tree).join("\n"), /hooks\.slack\.com/);
    assert.match(tree["README.md"]!, /ALERT_SLACK_CHANNELS/);
    assert.match(tree["README.md"]!, /teams \| not by DigitalOcean/);
  });
});

/** The todo spec with an e-mail and a Teams channel, and a cpu rule for the e-mail channel only. */
function fixedSpec(): string {
  const base = readFileSync(examplePath("todo"), "utf8");
  return base
    .replace(
      "    slack: { type: slack, webhook_secret: SLACK_WEBHOOK_URL }\n",
      "    slack: { type: slack, webhook_secret: SLACK_WEBHOOK_URL }\n    ops: { type: email, to: [ops@example.com] }\n    teams: { type: teams, webhook_secret: TEAMS_WEBHOOK_URL }\n",
    )
    .replace(
      "  alerts:\n",
      "  alerts:\n    high-cpu: { metric: cpu, above: 75, for: 10m, channels: [ops] }\n",
    );
}

describe("digitalocean/alert-route", () => {
  const { project } = loadSpec("gantry.yaml", fixedSpec());
  const tree = digitaloceanTarget.render(project, ctx);

  it("finds nothing on the tree as generated", () => {
    assert.deepEqual(doAlertRouteFindings(project, tree), []);
  });

  it("finds a node rule whose tfvars entry notifies no one, at that file", () => {
    const file = "environments/staging.tfvars";
    const damaged = {
      ...tree,
      [file]: tree[file]!.replace(
        /("high-cpu" = \{\n(?: {4}.*\n)*? {4}emails = )\["ops@example\.com"\]/,
        "$1[]",
      ),
    };
    assert.notEqual(damaged[file], tree[file]);
    const found = doAlertRouteFindings(project, damaged);
    assert.deepEqual(
      found.map((f) => [f.rule, f.env, f.path, f.file]),
      [["digitalocean/alert-route", "staging", "monitoring.alerts.high-cpu", file]],
    );
    assert.match(found[0]!.message, /notifies no address and no Slack channel/);
  });

  it("finds a policy that no longer posts to Slack, and a module call without the Slack URLs", () => {
    const damaged = {
      ...tree,
      "modules/alerts/main.tf": tree["modules/alerts/main.tf"]!.replace(
        "for_each = each.value.slack",
        "for_each = []",
      ),
      "main.tf": tree["main.tf"]!.replace(/ +slack_urls += var\.alert_slack_urls\n/, ""),
    };
    const found = doAlertRouteFindings(project, damaged);
    assert.deepEqual(
      found.map((f) => f.file),
      ["modules/alerts/main.tf", "main.tf"],
    );
  });
});
