// Grafana dashboards of the cluster bootstrap: one per environment, every panel querying only metrics
// the cluster's exporters publish (each named with its source below), through the data sources the
// bootstrap's Grafana has, a row of panels for every service that runs, and logs from Loki.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { kubernetesTarget } from "../src/targets/kubernetes/index.js";
import { EXAMPLES, exampleContext, loadExample } from "./helpers.js";

/** Metric → who publishes it in the bootstrap's cluster. */
const METRICS: Record<string, string> = {
  nginx_ingress_controller_requests: "ingress-nginx (metrics enabled in its values)",
  nginx_ingress_controller_request_duration_seconds_bucket: "ingress-nginx",
  container_cpu_usage_seconds_total: "cAdvisor (kubelet, scraped by kube-prometheus-stack)",
  container_memory_working_set_bytes: "cAdvisor",
  kube_pod_container_resource_requests: "kube-state-metrics v2",
  kube_pod_container_resource_limits: "kube-state-metrics v2",
  kube_pod_container_status_restarts_total: "kube-state-metrics",
  kube_horizontalpodautoscaler_status_current_replicas: "kube-state-metrics",
  kube_horizontalpodautoscaler_spec_min_replicas: "kube-state-metrics",
  kube_horizontalpodautoscaler_spec_max_replicas: "kube-state-metrics",
};
const FUNCTIONS = new Set(["sum", "rate", "increase", "histogram_quantile", "by", "le"]);

type Target = { expr: string; datasource: { type: string; uid: string } };
type Panel = {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: Target[];
};
type Dash = { uid: string; title: string; panels: Panel[]; schemaVersion: number };

describe("kubernetes: Grafana dashboards", () => {
  for (const ex of EXAMPLES) {
    it(`${ex}: a dashboard per environment, on metrics that exist, for every service that runs`, () => {
      const loaded = loadExample(ex);
      const tree = kubernetesTarget.render(loaded.project, exampleContext(ex));
      const stack = parse(tree["cluster-bootstrap/values/kube-prometheus-stack.yaml"]!) as {
        grafana: { additionalDataSources: { uid: string; type: string }[] };
      };
      const uids = new Map([
        ["prometheus", "prometheus"],
        ...stack.grafana.additionalDataSources.map((d) => [d.type, d.uid] as [string, string]),
      ]);
      const seen = new Set<string>();
      for (const app of loaded.project.environments) {
        const file = tree[`cluster-bootstrap/dashboards/${app.environment.name}.yaml`]!;
        const [cm] = parseAllDocuments(file).map(
          (d) =>
            d.toJS() as {
              metadata: { namespace: string; labels: Record<string, string> };
              data: Record<string, string>;
            },
        );
        assert.equal(cm!.metadata.namespace, "monitoring");
        assert.equal(cm!.metadata.labels.grafana_dashboard, "1");
        const dash = JSON.parse(Object.values(cm!.data)[0]!) as Dash;
        assert.ok(!seen.has(dash.uid) && dash.uid.length <= 40, dash.uid);
        seen.add(dash.uid);
        const ids = dash.panels.map((p) => p.id);
        assert.equal(new Set(ids).size, ids.length, "panel ids are unique");
        const ns = app.environment.namespace;
        for (const p of dash.panels)
          for (const t of p.targets) {
            assert.equal(
              t.datasource.uid,
              uids.get(t.datasource.type),
              `${p.title}: a data source Grafana has`,
            );
            if (t.datasource.type === "loki") {
              assert.match(t.expr, new RegExp(`^\\{namespace="${ns}", container="[a-z0-9-]+"\\}$`));
              continue;
            }
            const names = [...t.expr.matchAll(/([a-z_:][a-z0-9_:]*)\s*[{(]/g)]
              .map((m) => m[1]!)
              .filter((n) => !FUNCTIONS.has(n));
            assert.ok(names.length > 0, t.expr);
            for (const n of names)
              assert.ok(METRICS[n], `${ex} ${p.title}: ${n} is published by nothing in the cluster`);
            assert.ok(t.expr.includes(`"${ns}"`), `${p.title}: scoped to ${ns}`);
          }
        for (const name of Object.keys(app.services)) {
          const titles = dash.panels.filter((p) => p.title.startsWith(`${name}: `)).map((p) => p.title);
          assert.ok(
            titles.includes(`${name}: logs`) && titles.includes(`${name}: CPU`),
            `${ex} ${name}: ${titles.join(", ")}`,
          );
        }
      }
      assert.match(tree["cluster-bootstrap/install.sh"]!, /kubectl apply -f "\$here\/dashboards\/"/);
    });
  }
});
