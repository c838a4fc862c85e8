// Prometheus Operator objects: the ServiceMonitor or PodMonitor of a service's metrics endpoint and
// the PrometheusRule with the spec's alert rules.
import { meta, selectorLabels, type K8sObject } from "./objects.js";
import type { ChartValues, ServiceValues } from "./values.js";

/** A Prometheus Operator monitor of a service's metrics endpoint; the two kinds differ in one key. */
function metricsMonitor(
  kind: "ServiceMonitor" | "PodMonitor",
  v: ChartValues,
  ns: string,
  name: string,
  s: ServiceValues,
): K8sObject {
  const endpoints = kind === "ServiceMonitor" ? "endpoints" : "podMetricsEndpoints";
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind,
    metadata: meta(v, ns, name, s.type),
    spec: {
      selector: { matchLabels: selectorLabels(v.global.app, name) },
      [endpoints]: [
        {
          port: s.metrics.port === s.port ? "http" : "metrics",
          path: s.metrics.path,
          interval: s.metrics.interval,
        },
      ],
    },
  };
}

export function serviceMonitor(v: ChartValues, ns: string, name: string, s: ServiceValues): K8sObject[] {
  if (!s.enabled || !s.metrics.enabled || !s.port || s.type === "worker") return [];
  return [metricsMonitor("ServiceMonitor", v, ns, name, s)];
}

/** A worker has no Service, so Prometheus finds its pods directly. */
export function podMonitor(v: ChartValues, ns: string, name: string, s: ServiceValues): K8sObject[] {
  if (!s.enabled || !s.metrics.enabled || !s.metrics.port || s.type !== "worker") return [];
  return [metricsMonitor("PodMonitor", v, ns, name, s)];
}

export function prometheusRule(v: ChartValues, ns: string): K8sObject[] {
  if (!v.alerts.enabled) return [];
  const name = `${v.global.app}-alerts`;
  return [
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      metadata: meta(v, ns, name, "monitoring"),
      spec: {
        groups: [
          {
            name: `${v.global.app}.rules`,
            rules: v.alerts.rules.map((r) => ({
              alert: r.alert,
              expr: r.expr.replaceAll("{{ .Release.Namespace }}", ns),
              for: r.for,
              labels: { severity: r.severity, metric: r.metric, namespace: ns },
              annotations: { summary: r.summary },
            })),
          },
        ],
      },
    },
  ];
}
