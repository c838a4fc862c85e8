// Prometheus Operator templates: the ServiceMonitor or PodMonitor of a service's metrics endpoint and
// the PrometheusRule with the spec's alert rules.
import { head } from "./templates.js";

/** The template of a Prometheus Operator monitor (metricsMonitor in objects-monitoring.ts prints the same object). */
function monitorTemplate(
  title: string,
  condition: string,
  kind: "ServiceMonitor" | "PodMonitor",
  name: string,
): string {
  const endpoints = kind === "ServiceMonitor" ? "endpoints" : "podMetricsEndpoints";
  return `${head(title, "services", name)}
{{- if ${condition} }}
apiVersion: monitoring.coreos.com/v1
kind: ${kind}
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" $name "component" .type) | nindent 2 }}
spec:
  selector:
    matchLabels:
      {{- include "gantry.selectorLabels" (dict "app" $.Values.global.app "name" $name) | nindent 6 }}
  ${endpoints}:
    - port: {{ if eq .metrics.port .port }}http{{ else }}metrics{{ end }}
      path: {{ .metrics.path }}
      interval: {{ .metrics.interval }}
{{- end }}
{{- end }}
`;
}

export function serviceMonitorTemplate(name: string): string {
  return monitorTemplate(
    "ServiceMonitor",
    'and .enabled .metrics.enabled .port (ne .type "worker")',
    "ServiceMonitor",
    name,
  );
}

export function podMonitorTemplate(name: string): string {
  return monitorTemplate(
    "PodMonitor (a worker has no Service to monitor)",
    'and .enabled .metrics.enabled .metrics.port (eq .type "worker")',
    "PodMonitor",
    name,
  );
}

export const PROMETHEUS_RULE_TEMPLATE = `{{- /* Alert rules from the spec's monitoring.alerts; expressions name the release namespace, and the namespace label routes each alert to its environment's channels in Alertmanager. */ -}}
{{- if .Values.alerts.enabled }}
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" (printf "%s-alerts" .Values.global.app) "component" "monitoring") | nindent 2 }}
spec:
  groups:
    - name: {{ .Values.global.app }}.rules
      rules:
        {{- range .Values.alerts.rules }}
        - alert: {{ .alert }}
          expr: {{ tpl .expr $ | toJson }}
          for: {{ .for }}
          labels:
            severity: {{ .severity }}
            metric: {{ .metric }}
            namespace: {{ $.Release.Namespace }}
          annotations:
            summary: {{ .summary | toJson }}
        {{- end }}
{{- end }}
`;
