// What the Azure target says about alerts: rules with no Azure signal. Every channel is reached: e-mail
// and webhook channels by their action groups, Slack and Teams through the alert relay
// (modules/alert-relay.ts), which posts each chat's own message format.
import type { AppModel } from "../../model/types.js";
import type { TargetProblem } from "../target.js";
import type { Compute } from "./decisions.js";

export interface Finding extends TargetProblem {
  /** Also said in the runbook's notes, once. */
  note?: string;
}

export function alertFindings(m: AppModel, compute: Compute): Finding[] {
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
