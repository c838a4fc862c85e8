// Running the app: notification channels, the alert rules (the built-in ones changed or turned off by
// the spec, plus its own), availability checks, telemetry by tier, the monthly budget and the usage
// the cost estimate assumes.
import { BudgetSchema, MonitoringSchema } from "../spec/schema-monitoring.js";
import { CostSchema } from "../spec/schema-cost.js";
import { DEFAULT_ALERTS, filled, given, TIER_DEFAULTS, withDefaults } from "./defaults.js";
import { byName, mapByName, type AlertRuleInput, type BudgetInput, type MonitoringInput } from "./input.js";
import type { AlertModel, AppModel, ChannelModel, CostAssumptions, MonitoringModel, Tier } from "./types.js";

export function monitoringModel(input: MonitoringInput | undefined, tier: Tier): MonitoringModel {
  const mon = filled(withDefaults(MonitoringSchema, input ?? {}), ["availability"], "monitoring");
  const channels = mapByName(mon.channels, (ch): ChannelModel => ({ ...ch, to: ch.to ?? [] }));
  return {
    channels,
    ...(mon.smtp ? { smtp: mon.smtp } : {}),
    alerts: alertModels(mon.alerts, Object.keys(channels)),
    availability: filled(
      mon.availability,
      ["enabled", "interval", "locations", "failures"],
      "monitoring.availability",
    ),
    log_retention_days: mon.log_retention_days ?? TIER_DEFAULTS.log_retention_days[tier],
    sampling_percent: mon.sampling_percent ?? TIER_DEFAULTS.sampling_percent[tier],
    daily_cap_gb: mon.daily_cap_gb ?? TIER_DEFAULTS.daily_cap_gb[tier],
  };
}

/**
 * The enabled rules by name: the built-in ones with what the spec changes of them, and the spec's own
 * (which the checks hold to name a metric and a threshold). By default a rule notifies every channel.
 */
function alertModels(spec: Record<string, AlertRuleInput> | undefined, channels: string[]) {
  const rules: Record<string, AlertRuleInput> = { ...DEFAULT_ALERTS };
  for (const [name, rule] of Object.entries(spec ?? {})) rules[name] = { ...rules[name], ...rule };
  const alerts: Record<string, AlertModel> = {};
  for (const [name, r] of byName(rules)) {
    if (r.enabled === false) continue;
    const at = `monitoring.alerts.${name}`;
    alerts[name] = {
      metric: given(r.metric, `${at}.metric`),
      above: given(r.above, `${at}.above`),
      for: r.for ?? "5m",
      severity: r.severity ?? "warning",
      services: r.services ?? [],
      channels: r.channels ?? channels,
    };
  }
  return alerts;
}

export function budgetModel(input: BudgetInput | undefined): AppModel["budget"] {
  if (!input) return undefined;
  const budget = filled(withDefaults(BudgetSchema, input), ["thresholds"], "budget");
  return { ...budget, notify: budget.notify ?? [] };
}

/** The usage the cost estimate assumes: the spec's, every other figure from the schema's defaults. */
export function costModel(input: { assumptions?: Partial<CostAssumptions> } | undefined): AppModel["cost"] {
  const cost = withDefaults(CostSchema, { assumptions: input?.assumptions ?? {} });
  return { assumptions: cost.assumptions as CostAssumptions };
}
