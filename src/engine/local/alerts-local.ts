// The spec's alert rules on one machine, evaluated by the supervisor every few seconds as Prometheus
// evaluates the PrometheusRule Gantry writes for Kubernetes (src/targets/kubernetes/values-alerts.ts),
// with the same meaning for each metric over the same five minutes: error_rate, the percentage of
// answers 500 and above; latency_p95, the 95th percentile in ms; cpu and memory, the percentage of
// the service's limit an instance uses (its process and their children); crash_loop, restarts a
// minute. A rule whose condition holds is pending, and firing once it has held for its `for`; its
// channels are told when it fires and when it is resolved (alert-notify.ts). No data (no request in
// five minutes) is not a breach, as in PromQL, where the ratio of nothing is no sample.
import type { AlertMetric, AlertModel, AppModel } from "../../model/types.js";
import { durationMs } from "../../util/duration.js";

/** How often the rules are evaluated. */
export const EVALUATION_MS = 2000;
/** The look-back of every rule: the `[5m]` of the Kubernetes rules. */
export const LOOKBACK_SECONDS = 300;

/** One rule on one service, pending or firing, as `gantry status` shows it. */
export interface AlertInfo {
  /** The rule's name in the spec (high-error-rate). */
  rule: string;
  service: string;
  metric: AlertMetric;
  severity: AlertModel["severity"];
  state: "pending" | "firing";
  /** The metric's last value, in the rule's unit (%, ms, restarts a minute). */
  value: number;
  above: number;
  for: string;
  /** When the condition began to hold, and when the alert fired (ISO). */
  activeAt: string;
  firedAt?: string;
}

/** What the channels are told: an alert that fired, or one that is resolved. */
export interface AlertEvent {
  status: "firing" | "resolved";
  alert: AlertInfo;
  channels: string[];
  /** When it was resolved (ISO). */
  endsAt?: string;
}

/** What the evaluation reads and where it sends. */
export interface AlertSources {
  /** The model of the release serving now, else of the environment. */
  model(): AppModel | undefined;
  /** The metric's value for a service over the look-back; undefined: no data. */
  sample(metric: AlertMetric, service: string): number | undefined;
  notify(e: AlertEvent): void;
  now(): number;
}

/** The services a rule covers: those it names, else every service that runs (not jobs). */
function targets(model: AppModel, a: AlertModel): string[] {
  const all = Object.entries(model.services)
    .filter(([, s]) => s.type !== "job")
    .map(([n]) => n);
  return (a.services.length > 0 ? a.services.filter((s) => all.includes(s)) : all).sort();
}

export class LocalAlerts {
  private readonly active = new Map<string, AlertInfo>();
  /** The channels each active alert notifies: a rule removed by a deploy still resolves to them. */
  private readonly channels = new Map<string, string[]>();

  constructor(private readonly src: AlertSources) {}

  /** The alerts pending and firing, firing first. */
  list(): AlertInfo[] {
    return [...this.active.values()].sort(
      (a, b) =>
        (a.state === b.state ? 0 : a.state === "firing" ? -1 : 1) ||
        a.rule.localeCompare(b.rule) ||
        a.service.localeCompare(b.service),
    );
  }

  /** One evaluation of every rule on every service it covers. */
  evaluate(): void {
    const model = this.src.model();
    const now = this.src.now();
    const seen = new Set<string>();
    for (const [rule, a] of Object.entries(model?.monitoring.alerts ?? {})) {
      const forMs = durationMs(a.for, 0);
      for (const service of targets(model!, a)) {
        const key = `${rule}\u0000${service}`;
        const value = this.src.sample(a.metric, service);
        if (value === undefined || !(value > a.above)) continue;
        seen.add(key);
        const prev = this.active.get(key);
        const info: AlertInfo = prev
          ? { ...prev, value, above: a.above, severity: a.severity, for: a.for }
          : {
              rule,
              service,
              metric: a.metric,
              severity: a.severity,
              state: "pending",
              value,
              above: a.above,
              for: a.for,
              activeAt: new Date(now).toISOString(),
            };
        if (info.state === "pending" && now - Date.parse(info.activeAt) >= forMs) {
          info.state = "firing";
          info.firedAt = new Date(now).toISOString();
          this.src.notify({ status: "firing", alert: info, channels: a.channels });
        }
        this.active.set(key, info);
        this.channels.set(key, a.channels);
      }
    }
    // Cleared, or its rule or service gone with a deploy: a firing alert is resolved.
    for (const [key, info] of this.active) {
      if (seen.has(key)) continue;
      const channels = this.channels.get(key) ?? [];
      this.active.delete(key);
      this.channels.delete(key);
      if (info.state === "firing")
        this.src.notify({ status: "resolved", alert: info, channels, endsAt: new Date(now).toISOString() });
    }
  }
}
