// The observability base of the environment: the Log Analytics workspace every resource logs to, and
// the workspace-based Application Insights the services send telemetry to.
import { str } from "../../../format/bicep.js";
import type { Ctx } from "./context.js";
import { callModule, outputOf, param, type Part } from "./part.js";

export function monitoringPart(c: Ctx): Partial<Part> {
  const retention = param(
    c.envs,
    "logRetentionDays",
    "int",
    "Days logs are kept (Log Analytics keeps 30 at least).",
    (m) => Math.min(730, Math.max(30, m.monitoring.log_retention_days)),
  );
  const dailyCap = param(c.envs, "logDailyCapGb", "int", "Daily log ingestion cap in GB (0: no cap).", (m) =>
    Math.ceil(m.monitoring.daily_cap_gb),
  );
  const sampling = param(c.envs, "samplingPercentage", "int", "Percentage of telemetry kept.", (m) =>
    Math.max(1, Math.round(m.monitoring.sampling_percent)),
  );
  return {
    params: [retention, dailyCap, sampling],
    modules: [
      callModule("logAnalytics", "log-analytics", "Log Analytics workspace.", {
        name: str`log-${c.appSlug}-${c.code}`,
        location: c.location,
        tags: c.tags,
        retentionInDays: retention.ref,
        dailyQuotaGb: dailyCap.ref,
      }),
      callModule("appInsights", "app-insights", "Workspace-based Application Insights.", {
        name: str`appi-${c.appSlug}-${c.code}`,
        location: c.location,
        tags: c.tags,
        workspaceId: outputOf("logAnalytics", "id"),
        samplingPercentage: sampling.ref,
      }),
    ],
  };
}
