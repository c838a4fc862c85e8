// The README's "Alerts" section of the AWS tree: how each channel of each environment is reached,
// and the inputs no file holds (the Chatbot ids of Slack and Teams, the webhook URLs).
import type { AppModel, ChannelModel } from "../../model/types.js";
import { mdTable, sh, type ReadmeSection } from "../terraform/readme.js";
import type { AwsShape } from "./shape.js";

/** How a channel is reached on AWS, in a few words (the runbooks' alert table says the same). */
export function awsDelivery(env: AppModel, channel: string): string {
  const c: ChannelModel | undefined = env.monitoring.channels[channel];
  const topic = `SNS topic \`${env.name}-${env.environment.name}-alerts-${channel}\``;
  if (!c) return `${channel} (no such channel)`;
  switch (c.type) {
    case "email":
      return `e-mail ${c.to.join(", ")} (${topic})`;
    case "webhook":
      return `webhook: HTTPS subscription of ${topic}, URL from the secret \`${c.webhook_secret ?? "?"}\``;
    default:
      return `${c.type === "slack" ? "Slack" : "Microsoft Teams"} through AWS Chatbot (${topic})`;
  }
}

export function alertsSection(shape: AwsShape): ReadmeSection {
  const rows = shape.envs.flatMap((e) =>
    Object.keys(e.monitoring.channels)
      .sort()
      .map((name) => [e.environment.name, name, awsDelivery(e, name)]),
  );
  const chat = shape.envs.some((e) =>
    Object.values(e.monitoring.channels).some((c) => c.type === "slack" || c.type === "teams"),
  );
  const hooks = [
    ...new Set(
      shape.envs.flatMap((e) =>
        Object.values(e.monitoring.channels).flatMap((c) =>
          c.type === "webhook" && c.webhook_secret ? [c.webhook_secret] : [],
        ),
      ),
    ),
  ].sort();
  const blocks: string[] = [
    "Every alarm notifies the SNS topics of its rule's channels, and only those (the alert table of each environment is in [operations/monitoring.md](operations/monitoring.md)).",
    rows.length
      ? mdTable(["environment", "channel", "delivered as"], rows)
      : "The spec has no `monitoring.channels`: the alarms are created but notify no one.",
  ];
  if (chat)
    blocks.push(
      "Slack and Microsoft Teams: authorise the workspace or team once in the AWS Chatbot console (Amazon Q Developer in chat applications; there is no API for this step), then give the ids as the GitHub variable `ALERT_CHAT_CHANNELS`, a JSON object by channel name (Slack: `team_id` is the workspace id; Teams: `team_id`, `channel_id` and `tenant_id`): in the repository (the pull request plans read it), and in an environment where its channels differ (that environment's jobs read its own). The plan fails with an invalid index while a channel's ids are missing. For a plan by hand, pass the same JSON as `TF_VAR_chat_channels`.",
      sh([
        `gh variable set ALERT_CHAT_CHANNELS --body '{"<slack channel>": {"team_id": "<workspace id>", "channel_id": "<channel id>"}}'`,
        `gh variable set ALERT_CHAT_CHANNELS --env <env> --body '...'   # where an environment's differ`,
      ]),
    );
  if (hooks.length)
    blocks.push(
      `Webhooks: the infrastructure workflow passes each URL from its GitHub secret (${hooks.map((h) => `\`${h}\``).join(", ")}) as \`TF_VAR_alert_webhook_urls\`, a sensitive input never written to a file. SNS first posts a subscription confirmation: the receiver must fetch its \`SubscribeURL\`.`,
    );
  blocks.push(
    "E-mail subscribers confirm once, from the message SNS sends. The availability alarms (in us-east-1, where Route 53 publishes its metrics) notify every channel through a topic there: its own e-mail and webhook subscriptions, and the Slack and Teams configurations subscribe it too. Budget notifications go to `budget.notify`.",
  );
  return { heading: "Alerts", blocks };
}
