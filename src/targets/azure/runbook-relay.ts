// What the runbooks say about the alert relay of Slack and Teams channels (modules/alert-relay.ts):
// how an alert reaches a chat, how to look at the relay, and how a chat's webhook URL is rotated.
import type { AppModel } from "../../model/types.js";
import { sh } from "../runbook.js";
import { RELAY_FUNCTION } from "./alert-relay-code.js";
import { byPrefix, type Env } from "./runbook-names.js";

/** The chat channels of an environment, with the secret that holds each one's webhook URL. */
const chatChannels = (m: AppModel): [string, string, string][] =>
  Object.entries(m.monitoring.channels)
    .filter(([, ch]) => (ch.type === "slack" || ch.type === "teams") && ch.webhook_secret)
    .map(([n, ch]): [string, string, string] => [n, ch.type, ch.webhook_secret!])
    .sort(([a], [b]) => a.localeCompare(b));

/** The monitoring runbook's paragraph on the relay, for an environment with chat channels. */
export function relayMonitoring(e: Env): string[] {
  const chats = chatChannels(e.app);
  if (!chats.length) return [];
  return [
    `Slack and Teams channels (${chats.map(([n]) => `\`${n}\``).join(", ")}): action groups have no Slack or Teams receiver, and a chat's incoming webhook does not show the common alert schema an action group posts. Their groups post to the alert relay instead, the Function App \`${e.n.relayPrefix}…\` (Consumption plan, function \`${RELAY_FUNCTION}\`), which turns each alert into a Slack message or a Teams Adaptive Card and posts it to the channel's webhook URL (its app setting \`ALERT_CHANNELS\`, written from ${chats.map(([, , s]) => `\`${s}\``).join(", ")} at deployment). When a chat stays silent, look at the relay: an answer 503 means the chat refused the message (Azure Monitor retries), 404 a channel the relay does not know (redeploy the infrastructure).`,
    "",
    ...sh([
      byPrefix(e.n, "RELAY", "functionapp", e.n.relayPrefix),
      `az functionapp show --resource-group ${e.n.resourceGroup} --name "$RELAY" --query state --output tsv`,
      `az functionapp function show --resource-group ${e.n.resourceGroup} --name "$RELAY" --function-name ${RELAY_FUNCTION}`,
    ]),
  ];
}

/** The secrets runbook's rotation of the chat channels' webhook URLs. */
export function relayRotation(envs: Env[]): string[] {
  const secrets = [...new Set(envs.flatMap((e) => chatChannels(e.app).map(([, , s]) => s)))].sort();
  if (!secrets.length) return [];
  return [
    `A Slack or Teams webhook URL (${secrets.map((s) => `\`${s}\``).join(", ")}) is not in Key Vault: the deployment hands it to the alert relay. To rotate one, set the pipeline secret (\`gh secret set NAME\`, with \`--env <environment>\` where it differs between environments) and run the infrastructure workflow: the deployment rewrites the relay's \`ALERT_CHANNELS\` setting, and the Functions host restarts on a setting change. The deployment stops, naming the secret, while one is empty.`,
    "",
  ];
}

/** The README's paragraph on how alerts reach Slack and Teams. */
export const relayReadme = (deployed: boolean): string[] =>
  deployed
    ? [
        "Alerts reach Slack and Teams through the alert relay: each chat channel's action group posts Azure Monitor's common alert schema to a function (`modules/alert-relay.bicep`, its code in `alert-relay/index.js`, a Function App `func-<app>-alerts-<environment code>-…` on the Consumption plan), which posts the alert as a Slack message or a Teams Adaptive Card to the channel's webhook URL, read from the channel's secret at deployment and kept in the function's settings only. The deployment stops while such a secret is empty. See operations/monitoring.md.",
        "",
      ]
    : [];
