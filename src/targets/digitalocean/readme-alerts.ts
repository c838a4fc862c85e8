// The README's "Alerts" section of the DigitalOcean tree: who each DigitalOcean alert policy reaches,
// and the inputs no file holds (each Slack channel's name and webhook URL).
import type { AppModel } from "../../model/types.js";
import { mdTable, sh, type ReadmeSection } from "../terraform/readme.js";
import type { DoShape } from "./shape.js";

/** How a channel is reached by DigitalOcean's own alerts (the cluster's Alertmanager reaches them all). */
export function doDelivery(env: AppModel, channel: string): string {
  const c = env.monitoring.channels[channel];
  if (!c) return `${channel} (no such channel)`;
  if (c.type === "email") return `e-mail ${c.to.join(", ")}`;
  if (c.type === "slack")
    return `Slack (URL from the secret \`${c.webhook_secret ?? "?"}\`, channel name from \`ALERT_SLACK_CHANNELS\`)`;
  return `not by DigitalOcean (it posts to e-mail and Slack only); ${c.type} through the cluster's Alertmanager`;
}

export function doAlertsSection(shape: DoShape): ReadmeSection {
  const rows = shape.envs.flatMap((e) =>
    Object.keys(e.monitoring.channels)
      .sort()
      .map((name) => [e.environment.name, name, doDelivery(e, name)]),
  );
  const slack = shape.envs.some((e) => Object.values(e.monitoring.channels).some((c) => c.type === "slack"));
  return {
    heading: "Alerts",
    blocks: [
      "DigitalOcean's alert policies watch the nodes (the spec's cpu and memory rules, each to its rule's channels), each managed database (CPU above 80 %, memory above 90 %, disk above 85 %, to every channel) and the public URLs (uptime checks, to every channel). Request-level rules (5xx rate, latency, crash loops) are Prometheus rules in the cluster, routed by its Alertmanager (the Kubernetes tree). The alert table of each environment is in [operations/monitoring.md](operations/monitoring.md).",
      rows.length
        ? mdTable(["environment", "channel", "DigitalOcean alerts reach it as"], rows)
        : "The spec has no `monitoring.channels`: the alert policies are not created.",
      ...(slack
        ? [
            "Slack: DigitalOcean needs the channel's name as well as its incoming-webhook URL. The infrastructure workflow passes the URLs from their GitHub secrets as `TF_VAR_alert_slack_urls` (sensitive, never in a file) and the names from the GitHub variable `ALERT_SLACK_CHANNELS`, a JSON object by channel: set in the repository (the pull request plans read it), and in an environment where its channels differ. The plan fails with an invalid index while a name or URL is missing.",
            sh([
              `gh variable set ALERT_SLACK_CHANNELS --body '{"<slack channel>": "<#channel the webhook posts to>"}'`,
              `gh variable set ALERT_SLACK_CHANNELS --env <env> --body '...'   # where an environment's differ`,
            ]),
          ]
        : []),
      "E-mail recipients must be verified members of the DigitalOcean team.",
    ],
  };
}
