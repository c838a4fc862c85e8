// The PrometheusRule of one environment, from the spec's monitoring.alerts: each rule as a PromQL
// expression over the metrics of ingress-nginx, cAdvisor, kube-state-metrics and the scrape targets.
import type { AlertModel, AppModel } from "../../model/types.js";
import type { AlertRuleValues, ChartValues } from "./values.js";
import { alertName } from "./bootstrap-alertmanager.js";

/** The PrometheusRule rules. `{{ .Release.Namespace }}` is filled in by `tpl` in the chart and by the renderer. */
export function alertValues(app: AppModel, services: ChartValues["services"]): ChartValues["alerts"] {
  const rules: AlertRuleValues[] = [];
  const workloads = Object.entries(services)
    .filter(([, v]) => v.type !== "job")
    .map(([k]) => k);
  for (const [name, a] of Object.entries(app.monitoring.alerts)) {
    const targets = (a.services.length ? a.services : workloads)
      .filter((s) => services[s] !== undefined)
      .sort();
    const web = targets.filter((s) => {
      const v = services[s]!;
      return v.type !== "job" && v.ingress.hosts.length > 0;
    });
    const rule = alertRule(a, targets, web);
    if (!rule) continue;
    rules.push({
      alert: alertName(name),
      expr: rule.expr,
      for: a.for,
      severity: a.severity,
      metric: a.metric,
      summary: rule.summary,
    });
  }
  return { enabled: rules.length > 0, rules };
}

/**
 * The expression and summary of one rule over the containers of `targets`; the request metrics come
 * from the ingress, so error rate and latency cover only `web` (services with domains) and are left
 * out when there is none.
 */
function alertRule(
  a: AlertModel,
  targets: string[],
  web: string[],
): { expr: string; summary: string } | undefined {
  const ns = "{{ .Release.Namespace }}";
  const re = (list: string[]) => list.join("|");
  switch (a.metric) {
    case "error_rate":
      if (!web.length) return undefined;
      return {
        expr: `100 * sum by (exported_service) (rate(nginx_ingress_controller_requests{exported_namespace="${ns}",exported_service=~"${re(web)}",status=~"5.."}[5m])) / sum by (exported_service) (rate(nginx_ingress_controller_requests{exported_namespace="${ns}",exported_service=~"${re(web)}"}[5m])) > ${a.above}`,
        summary: `More than ${a.above}% of requests to {{ $labels.exported_service }} fail with 5xx.`,
      };
    case "latency_p95":
      if (!web.length) return undefined;
      return {
        expr: `1000 * histogram_quantile(0.95, sum by (le, exported_service) (rate(nginx_ingress_controller_request_duration_seconds_bucket{exported_namespace="${ns}",exported_service=~"${re(web)}"}[5m]))) > ${a.above}`,
        summary: `95th percentile latency of {{ $labels.exported_service }} is above ${a.above} ms.`,
      };
    case "cpu":
      return {
        expr: `100 * sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="${ns}",container=~"${re(targets)}"}[5m])) / sum by (pod) (kube_pod_container_resource_limits{namespace="${ns}",container=~"${re(targets)}",resource="cpu"}) > ${a.above}`,
        summary: `{{ $labels.pod }} uses more than ${a.above}% of its CPU limit.`,
      };
    case "memory":
      return {
        expr: `100 * sum by (pod) (container_memory_working_set_bytes{namespace="${ns}",container=~"${re(targets)}"}) / sum by (pod) (kube_pod_container_resource_limits{namespace="${ns}",container=~"${re(targets)}",resource="memory"}) > ${a.above}`,
        summary: `{{ $labels.pod }} uses more than ${a.above}% of its memory limit.`,
      };
    case "crash_loop":
      return {
        expr: `60 * rate(kube_pod_container_status_restarts_total{namespace="${ns}",container=~"${re(targets)}"}[5m]) > ${a.above}`,
        summary: `{{ $labels.pod }} restarts more than ${a.above} times a minute.`,
      };
    case "availability":
      return {
        // The spec's threshold is the availability to keep (99 = fire below 99 %), not the
        // unavailability: `above` reads "below" for this metric (docs/spec.md).
        expr: `100 * avg by (service) (avg_over_time(up{namespace="${ns}",service=~"${re(targets)}"}[5m])) < ${a.above}`,
        summary: `{{ $labels.service }} answered fewer than ${a.above}% of scrapes.`,
      };
  }
}
