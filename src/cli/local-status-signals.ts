// The part of `gantry status` that says how the app is doing: per service, the last minute's requests
// a second, error ratio (answers 500 and above) and p95 latency through the proxy; the alerts firing
// and pending; where Prometheus scrapes the metrics.
import { withUnit } from "../engine/local/alert-notify.js";
import type { SupervisorState } from "../engine/local/state.js";
import { age, table } from "./format.js";

function ms(v: number | undefined): string {
  if (v === undefined) return "-";
  return v >= 100 ? `${Math.round(v)} ms` : `${Number(v.toFixed(1))} ms`;
}

function percent(ratio: number | undefined): string {
  return ratio === undefined ? "-" : `${Number((100 * ratio).toFixed(1))}%`;
}

export function formatSignals(live: SupervisorState): string {
  let out = "";
  const traffic = Object.entries(live.traffic ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (traffic.length > 0) {
    const seconds = Math.max(...traffic.map(([, t]) => t.seconds));
    out += `\ntraffic over the last ${seconds === 60 ? "minute" : `${seconds}s`}, through the proxy:\n`;
    out += table([
      ["SERVICE", "REQ/S", "REQUESTS", "ERRORS (5XX)", "P95"],
      ...traffic.map(([service, t]) => [
        service,
        t.requestsPerSecond.toFixed(t.requestsPerSecond >= 10 ? 0 : 2),
        String(t.requests),
        t.requests > 0 ? `${percent(t.errorRatio)} (${t.errors})` : "-",
        ms(t.p95Ms),
      ]),
    ]);
  }
  const alerts = live.alerts ?? [];
  if (alerts.length > 0) {
    out += `\nalerts:\n`;
    out += table([
      ["ALERT", "SERVICE", "STATE", "SEVERITY", "VALUE", "ABOVE", "FOR", "SINCE"],
      ...alerts.map((a) => [
        a.rule,
        a.service,
        a.state,
        a.severity,
        withUnit(a.metric, a.value),
        withUnit(a.metric, a.above),
        a.for,
        age(a.firedAt ?? a.activeAt),
      ]),
    ]);
  }
  if (live.metricsPort) out += `\nmetrics: http://127.0.0.1:${live.metricsPort}/metrics\n`;
  return out;
}
