// The DigitalOcean alert modules: monitoring alert policies on the cluster's nodes (the spec's cpu and
// memory rules, each to its own channels) and on each managed database cluster (CPU, memory, disk),
// and uptime checks of the public URLs. DigitalOcean delivers to e-mail and Slack only: an alert's
// `alerts { email, slack { channel, url } }` block (provider docs, digitalocean_monitor_alert), whose
// Slack URL is a sensitive input and never in a file. Request-level alerts (5xx rate, latency) come
// from Prometheus in the cluster, routed by its Alertmanager.
import { expr, nested, tmpl, type Nested } from "../../format/hcl.js";
import { locals, output, resource, type VariableSpec } from "../terraform/blocks.js";
import { NAME_VAR, v, type ModuleSpec } from "../terraform/module.js";

const SLACK_VARS: Record<string, VariableSpec> = {
  slack_channels: {
    type: "map(string)",
    description: "Slack channel name (such as #ops-alerts) per Slack channel of the spec.",
    default: {},
  },
  slack_urls: {
    type: "map(string)",
    description: "Incoming-webhook URL per Slack channel of the spec (a secret).",
    default: {},
    sensitive: true,
  },
};

/** An alert policy's notifications: the addresses, and one `slack` block per Slack channel key. */
function notifications(emails: string, slack: string, iterator = "slack"): Nested {
  return nested({
    email: expr(emails),
    dynamic: [
      nested(
        {
          for_each: expr(slack),
          content: nested({
            channel: expr(`var.slack_channels[${iterator}.value]`),
            url: expr(`var.slack_urls[${iterator}.value]`),
          }),
        },
        ["slack"],
      ),
    ],
  });
}

/**
 * The database metrics DigitalOcean alerts on: type v1/dbaas/alerts/*, whose entities are database
 * cluster ids (API reference, "Create Alert Policy"; godo's Dbaas* alert type constants).
 */
const DATABASE_ALERTS = locals({
  database_alerts: {
    cpu: { type: "v1/dbaas/alerts/cpu_alerts", above: 80, window: "10m" },
    memory: { type: "v1/dbaas/alerts/memory_utilization_alerts", above: 90, window: "10m" },
    disk: { type: "v1/dbaas/alerts/disk_utilization_alerts", above: 85, window: "5m" },
  },
});

export function doAlertsModule(): ModuleSpec {
  return {
    name: "alerts",
    summary:
      "Monitoring alert policies, e-mailed and posted to Slack: the spec's cpu and memory rules on the cluster's nodes (each to its rule's channels), and CPU, memory and disk of each managed database (to every channel). Request-level alerts (5xx rate, latency) come from Prometheus in the cluster.",
    variables: {
      name: NAME_VAR,
      node_tag: { type: "string", description: "Tag of the nodes watched." },
      alerts: {
        type: "map(object({ metric = string, above = number, window = string, emails = list(string), slack = list(string) }))",
        description:
          "Rules by name: metric cpu or memory (%), above a threshold over a window (5m, 10m, 30m, 1h), and who is notified (addresses, Slack channel keys).",
      },
      databases: {
        type: "map(string)",
        description: "Managed database clusters watched, by name: their ids.",
        default: {},
      },
      emails: {
        type: "list(string)",
        description: "Addresses the database alerts notify (verified DigitalOcean team members).",
      },
      slack: { type: "list(string)", description: "Slack channel keys the database alerts notify." },
      ...SLACK_VARS,
    },
    main: [
      DATABASE_ALERTS,
      resource("digitalocean_monitor_alert", "this", {
        for_each: expr("{ for k, a in var.alerts : k => a if length(a.emails) + length(a.slack) > 0 }"),
        description: tmpl("${var.name}: ${each.key}"),
        type: expr(
          'each.value.metric == "cpu" ? "v1/insights/droplet/cpu" : "v1/insights/droplet/memory_utilization_percent"',
        ),
        compare: "GreaterThan",
        value: expr("each.value.above"),
        window: expr("each.value.window"),
        enabled: true,
        tags: [v("node_tag")],
        alerts: notifications("each.value.emails", "each.value.slack"),
      }),
      resource("digitalocean_monitor_alert", "database", {
        for_each: expr(
          'length(var.emails) + length(var.slack) == 0 ? {} : { for pair in setproduct(keys(var.databases), keys(local.database_alerts)) : "${pair[0]}-${pair[1]}" => merge(local.database_alerts[pair[1]], { id = var.databases[pair[0]], database = pair[0], metric = pair[1] }) }',
        ),
        description: tmpl(
          "${var.name}: database ${each.value.database} ${each.value.metric} above ${each.value.above}%",
        ),
        type: expr("each.value.type"),
        compare: "GreaterThan",
        value: expr("each.value.above"),
        window: expr("each.value.window"),
        enabled: true,
        entities: [expr("each.value.id")],
        alerts: notifications("var.emails", "var.slack"),
      }),
    ],
    outputs: [
      output(
        "alert_ids",
        expr(
          "concat([for a in digitalocean_monitor_alert.this : a.id], [for a in digitalocean_monitor_alert.database : a.id])",
        ),
        "IDs of the alert policies.",
      ),
    ],
  };
}

export function doUptimeModule(): ModuleSpec {
  return {
    name: "uptime",
    summary:
      "Uptime checks: DigitalOcean requests each public URL from several regions and notifies every e-mail and Slack channel when it is down.",
    variables: {
      name: NAME_VAR,
      checks: {
        type: "map(string)",
        description: "URLs by name, such as https://todo.example.com/api/health.",
      },
      emails: { type: "list(string)", description: "Addresses notified." },
      slack: { type: "list(string)", description: "Slack channel keys notified." },
      ...SLACK_VARS,
      period: {
        type: "string",
        description: "How long a URL must fail before the alert: 2m, 3m, 5m, 10m, 15m, 30m or 1h.",
        default: "2m",
        validations: [
          {
            condition: 'contains(["2m", "3m", "5m", "10m", "15m", "30m", "1h"], var.period)',
            error_message: "period must be 2m, 3m, 5m, 10m, 15m, 30m or 1h.",
          },
        ],
      },
    },
    main: [
      resource("digitalocean_uptime_check", "this", {
        for_each: v("checks"),
        name: tmpl("${var.name}-${each.key}"),
        target: expr("each.value"),
        type: "https",
        regions: ["us_east", "us_west", "eu_west", "se_asia"],
        enabled: true,
      }),
      resource("digitalocean_uptime_alert", "down", {
        for_each: expr("length(var.emails) + length(var.slack) > 0 ? var.checks : {}"),
        name: tmpl("${var.name}-${each.key}-down"),
        check_id: expr("digitalocean_uptime_check.this[each.key].id"),
        type: "down",
        period: v("period"),
        notifications: notifications("var.emails", "var.slack"),
      }),
    ],
    outputs: [
      output(
        "check_ids",
        expr("{ for k, c in digitalocean_uptime_check.this : k => c.id }"),
        "Uptime check per URL.",
      ),
    ],
  };
}
