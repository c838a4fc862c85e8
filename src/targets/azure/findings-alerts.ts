// What the Azure target says about alerts and their channels: rules with no Azure signal, and chat
// channels whose webhooks cannot read Azure Monitor's payload as it is sent.
import type { AppModel } from "../../model/types.js";
import type { TargetProblem } from "../target.js";
import type { Compute } from "./decisions.js";

export interface Finding extends TargetProblem {
  /** Also said in the runbook's notes, once. */
  note?: string;
}

export function alertFindings(m: AppModel, compute: Compute): Finding[] {
  return [...ruleFindings(m, compute), ...channelFindings(m)];
}

function ruleFindings(m: AppModel, compute: Compute): Finding[] {
  return Object.entries(m.monitoring.alerts).flatMap(([n, a]): Finding[] => {
    const path = `monitoring.alerts.${n}`;
    if (a.metric === "crash_loop")
      return [
        {
          path,
          severity: "warning",
          message: `alert ${n} (crash_loop) has no Azure metric and is not generated`,
          note:
            compute === "aks"
              ? `Alert \`${n}\` (crash_loop) is not an Azure Monitor alert: AKS platform metrics do not report restarts; the cluster's Prometheus evaluates it (deploy/kubernetes).`
              : `Alert \`${n}\` (crash_loop) is not generated: App Service's platform metrics do not report restarts; its health check replaces failing instances.`,
        },
      ];
    if (a.metric === "availability")
      return [
        {
          path,
          severity: "warning",
          message: `alert ${n}: availability is covered by the availability tests`,
        },
      ];
    return [];
  });
}

/**
 * Azure Monitor posts its common alert schema to a webhook receiver (learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema);
 * Slack's incoming webhooks need a `text` field and Teams' workflows an Adaptive Card, so the secret
 * of such a channel must hold the URL of something that turns the schema into a message: the
 * action groups guide's Logic Apps workflow, which is not in the type data Gantry checks against.
 */
function channelFindings(m: AppModel): Finding[] {
  return Object.entries(m.monitoring.channels)
    .filter(([, ch]) => ch.type === "slack" || ch.type === "teams")
    .map(([n, ch]) => ({
      path: `monitoring.channels.${n}`,
      severity: "warning" as const,
      message: `Azure Monitor posts its common alert schema to ${ch.webhook_secret ?? "the webhook"}; a ${ch.type} incoming webhook does not accept it as a message`,
      hint: `on Azure, set ${ch.webhook_secret ?? "the secret"} to the HTTP trigger URL of a Logic Apps workflow that posts the alert to ${ch.type}`,
      note: `Channel \`${n}\` (${ch.type}): Azure Monitor posts its common alert schema, which ${ch.type === "slack" ? "Slack's incoming webhooks reject (they need `text`)" : "Teams' webhooks do not show (they need a card)"}; give \`${ch.webhook_secret ?? ""}\` the HTTP trigger URL of a Logic Apps workflow that posts the alert to ${ch.type} (Azure Monitor's action groups guide).`,
    }));
}
