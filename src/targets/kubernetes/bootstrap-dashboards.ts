// cluster-bootstrap/dashboards/: one Grafana dashboard per environment, as a ConfigMap in the
// monitoring namespace that kube-prometheus-stack's Grafana sidecar loads (label grafana_dashboard:
// "1", its default). Panels query only what the cluster's exporters publish: ingress-nginx (requests,
// errors, latency of services with domains), cAdvisor and kube-state-metrics (CPU, memory, restarts,
// HPA replicas), and Loki for the logs. Typed against Grafana's own dashboard model (the foundation
// SDK's types), so a field Grafana does not know fails the type check.
import type {
  Dashboard as GrafanaDashboard,
  Panel as GrafanaPanel,
} from "@grafana/grafana-foundation-sdk/dashboard";
import type { Dataquery as PromQuery } from "@grafana/grafana-foundation-sdk/prometheus";
import type { dataquery as LokiQuery } from "@grafana/grafana-foundation-sdk/loki";
import type { AppModel } from "../../model/types.js";
import { labels, type K8sObject } from "./objects.js";
import type { ChartValues } from "./values.js";

/** The data sources the bootstrap's Grafana has: kube-prometheus-stack's Prometheus, and the Loki it adds. */
export const PROMETHEUS_UID = "prometheus";
export const LOKI_UID = "loki";
const prom = { type: "prometheus", uid: PROMETHEUS_UID };
const loki = { type: "loki", uid: LOKI_UID };

/** A query as JSON holds it: the SDK's types less the marker method its builders add. */
type Json<T> = Omit<T, "_implementsDataqueryVariant">;
type Panel = Omit<GrafanaPanel, "targets"> & { targets?: Json<PromQuery>[] | Json<LokiQuery>[] };
// The classic dashboard JSON (schemaVersion 39) is what the sidecar's file provisioning loads; the SDK
// marks it deprecated in favour of the v2 resource of Grafana's new API, which provisioning does not read.
// eslint-disable-next-line @typescript-eslint/no-deprecated
type Dashboard = Omit<GrafanaDashboard, "panels"> & { panels: Panel[] };

interface Query {
  expr: string;
  legend: string;
}

function timeseries(id: number, title: string, unit: string, queries: Query[], x: number, y: number): Panel {
  return {
    type: "timeseries",
    id,
    title,
    datasource: prom,
    gridPos: { h: 8, w: 8, x, y },
    fieldConfig: { defaults: { unit }, overrides: [] },
    targets: queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: prom,
      expr: q.expr,
      legendFormat: q.legend,
    })),
  };
}

/** The panels of one service: traffic (when it has a domain), saturation, restarts, replicas, logs. */
function servicePanels(ns: string, name: string, v: ChartValues, first: number, row: number): Panel[] {
  const s = v.services[name]!;
  const c = `namespace="${ns}",container="${name}"`;
  const ingress = `exported_namespace="${ns}",exported_service="${name}"`;
  const panels: Panel[] = [];
  let x = 0;
  const add = (title: string, unit: string, queries: Query[]) => {
    panels.push(
      timeseries(
        first + panels.length,
        `${name}: ${title}`,
        unit,
        queries,
        x % 24,
        row + Math.floor(x / 24) * 8,
      ),
    );
    x += 8;
  };
  if (s.type !== "job" && s.ingress.hosts.length) {
    add("requests", "reqps", [
      { expr: `sum(rate(nginx_ingress_controller_requests{${ingress}}[5m]))`, legend: "requests/s" },
    ]);
    add("error ratio", "percentunit", [
      {
        expr: `sum(rate(nginx_ingress_controller_requests{${ingress},status=~"5.."}[5m])) / sum(rate(nginx_ingress_controller_requests{${ingress}}[5m]))`,
        legend: "5xx",
      },
    ]);
    add("p95 latency", "s", [
      {
        expr: `histogram_quantile(0.95, sum by (le) (rate(nginx_ingress_controller_request_duration_seconds_bucket{${ingress}}[5m])))`,
        legend: "p95",
      },
    ]);
  }
  add("CPU", "short", [
    { expr: `sum(rate(container_cpu_usage_seconds_total{${c}}[5m]))`, legend: "used" },
    { expr: `sum(kube_pod_container_resource_requests{${c},resource="cpu"})`, legend: "requests" },
    { expr: `sum(kube_pod_container_resource_limits{${c},resource="cpu"})`, legend: "limits" },
  ]);
  add("memory", "bytes", [
    { expr: `sum(container_memory_working_set_bytes{${c}})`, legend: "working set" },
    { expr: `sum(kube_pod_container_resource_requests{${c},resource="memory"})`, legend: "requests" },
    { expr: `sum(kube_pod_container_resource_limits{${c},resource="memory"})`, legend: "limits" },
  ]);
  add("restarts (1h)", "short", [
    { expr: `sum(increase(kube_pod_container_status_restarts_total{${c}}[1h]))`, legend: "restarts" },
  ]);
  if (s.type !== "job" && s.autoscaling.enabled) {
    const hpa = `namespace="${ns}",horizontalpodautoscaler="${name}"`;
    add("replicas", "short", [
      { expr: `kube_horizontalpodautoscaler_status_current_replicas{${hpa}}`, legend: "current" },
      { expr: `kube_horizontalpodautoscaler_spec_min_replicas{${hpa}}`, legend: "min" },
      { expr: `kube_horizontalpodautoscaler_spec_max_replicas{${hpa}}`, legend: "max" },
    ]);
  }
  panels.push({
    type: "logs",
    id: first + panels.length,
    title: `${name}: logs`,
    datasource: loki,
    gridPos: { h: 8, w: 24, x: 0, y: row + Math.ceil(x / 24) * 8 },
    targets: [{ refId: "A", datasource: loki, expr: `{namespace="${ns}", container="${name}"}` }],
  });
  return panels;
}

/** The dashboard of one environment: a row of panels per service that runs a container. */
export function dashboard(app: AppModel, v: ChartValues): Dashboard {
  const ns = app.environment.namespace;
  const names = Object.keys(v.services)
    .filter((n) => v.services[n]!.enabled)
    .sort();
  const panels: Panel[] = [];
  let row = 0;
  for (const n of names) {
    const list = servicePanels(ns, n, v, panels.length + 1, row);
    panels.push(...list);
    row = Math.max(...list.map((p) => (p.gridPos?.y ?? 0) + (p.gridPos?.h ?? 0)));
  }
  return {
    uid: `${app.name}-${app.environment.name}`.slice(0, 40),
    title: `${app.name} (${app.environment.name})`,
    tags: ["gantry", app.name, app.environment.name],
    timezone: "browser",
    editable: true,
    time: { from: "now-6h", to: "now" },
    refresh: "1m",
    schemaVersion: 39,
    panels,
    templating: { list: [] },
    annotations: { list: [] },
  };
}

/** The ConfigMap the Grafana sidecar loads the dashboard from. */
export function dashboardConfigMap(app: AppModel, v: ChartValues): K8sObject {
  const name = `${app.name}-${app.environment.name}-dashboard`;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      namespace: "monitoring",
      labels: { ...labels(app.name, name, "monitoring"), grafana_dashboard: "1" },
    },
    data: { [`${name}.json`]: JSON.stringify(dashboard(app, v)) },
  };
}
