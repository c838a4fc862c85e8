// The platform charts the cluster bootstrap installs once per cluster, pinned, and the values Gantry
// gives each: ingress-nginx, cert-manager, Dapr, kube-prometheus-stack, Loki and Promtail.
import type { AppModel } from "../../model/types.js";
import { chartProviders, type KubernetesSettings } from "./settings.js";
import { alertmanagerValues } from "./bootstrap-alertmanager.js";
import { LOKI_UID } from "./bootstrap-dashboards.js";

/**
 * The platform charts and the versions Gantry pins (bump them here, in one place), in install order:
 * kube-prometheus-stack first, as the others create ServiceMonitors, whose CRD it brings.
 */
export const PLATFORM_CHARTS = [
  {
    release: "kube-prometheus-stack",
    repo: "prometheus-community",
    url: "https://prometheus-community.github.io/helm-charts",
    chart: "kube-prometheus-stack",
    version: "72.6.2",
    namespace: "monitoring",
  },
  {
    release: "ingress-nginx",
    repo: "ingress-nginx",
    url: "https://kubernetes.github.io/ingress-nginx",
    chart: "ingress-nginx",
    version: "4.12.1",
    namespace: "ingress-nginx",
  },
  {
    release: "cert-manager",
    repo: "jetstack",
    url: "https://charts.jetstack.io",
    chart: "cert-manager",
    version: "v1.17.2",
    namespace: "cert-manager",
  },
  {
    release: "dapr",
    repo: "dapr",
    url: "https://dapr.github.io/helm-charts",
    chart: "dapr",
    version: "1.15.5",
    namespace: "dapr-system",
  },
  {
    release: "loki",
    repo: "grafana",
    url: "https://grafana.github.io/helm-charts",
    chart: "loki",
    version: "6.29.0",
    namespace: "monitoring",
  },
  {
    release: "promtail",
    repo: "grafana",
    url: "https://grafana.github.io/helm-charts",
    chart: "promtail",
    version: "6.16.6",
    namespace: "monitoring",
  },
] as const;

/** The values file of each platform chart, by release name. */
export function platformValues(apps: readonly AppModel[], k8s: KubernetesSettings): Record<string, unknown> {
  const retentionDays = Math.max(...apps.map((a) => a.monitoring.log_retention_days));
  return {
    "ingress-nginx": ingressNginxValues(apps, k8s),
    "cert-manager": {
      crds: { enabled: true },
      prometheus: { enabled: true, servicemonitor: { enabled: true } },
    },
    dapr: { global: { ha: { enabled: true }, mtls: { enabled: true } } },
    "kube-prometheus-stack": {
      ...kubePrometheusStackValues(retentionDays),
      alertmanager: alertmanagerValues(apps),
    },
    loki: lokiValues(retentionDays),
    promtail: {
      config: { clients: [{ url: "http://loki-gateway.monitoring.svc.cluster.local/loki/api/v1/push" }] },
    },
  };
}

/**
 * Two controllers behind the load balancer, with the annotations of every provider the chart goes to
 * (each cloud ignores the others'). AKS 1.24+ probes the controller over HTTP at `/`, which answers
 * 404 without a matching host, so the probe is pointed at the controller's /healthz (Microsoft's
 * "Create an unmanaged ingress controller" guide for AKS).
 */
function ingressNginxValues(apps: readonly AppModel[], k8s: KubernetesSettings): Record<string, unknown> {
  const lbAnnotations: Record<string, Record<string, string>> = {
    aks: { "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path": "/healthz" },
    eks: {
      "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
      "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    },
    doks: { "service.beta.kubernetes.io/do-loadbalancer-name": `${apps[0]?.name ?? "app"}-ingress` },
    generic: {},
  };
  const providers = [...new Set(apps.flatMap((a) => chartProviders(a)))].sort();
  const annotations = Object.assign({}, ...providers.map((p) => lbAnnotations[p] ?? {})) as Record<
    string,
    string
  >;
  return {
    controller: {
      replicaCount: 2,
      ingressClassResource: { name: k8s.ingress_class, default: true },
      metrics: { enabled: true, serviceMonitor: { enabled: true } },
      podDisruptionBudget: { enabled: true, minAvailable: 1 },
      ...(Object.keys(annotations).length ? { service: { annotations } } : {}),
    },
  };
}

/** Prometheus keeps metrics as long as the longest log retention of the environments; Grafana reads Loki. */
function kubePrometheusStackValues(retentionDays: number): Record<string, unknown> {
  return {
    prometheus: {
      prometheusSpec: {
        retention: `${retentionDays}d`,
        // Pick up the ServiceMonitors and PrometheusRules of every namespace, not only this release's.
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        storageSpec: {
          volumeClaimTemplate: {
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "20Gi" } } },
          },
        },
      },
    },
    grafana: {
      additionalDataSources: [
        {
          name: "Loki",
          // The dashboards' log panels name it by uid (bootstrap-dashboards.ts).
          uid: LOKI_UID,
          type: "loki",
          access: "proxy",
          url: "http://loki-gateway.monitoring.svc.cluster.local",
        },
      ],
    },
  };
}

/** One Loki on the file system, keeping logs for the longest retention of the environments. */
function lokiValues(retentionDays: number): Record<string, unknown> {
  return {
    deploymentMode: "SingleBinary",
    loki: {
      auth_enabled: false,
      commonConfig: { replication_factor: 1 },
      storage: { type: "filesystem" },
      schemaConfig: {
        configs: [
          {
            from: "2024-04-01",
            store: "tsdb",
            object_store: "filesystem",
            schema: "v13",
            index: { prefix: "loki_index_", period: "24h" },
          },
        ],
      },
      limits_config: { retention_period: `${retentionDays * 24}h` },
      compactor: { retention_enabled: true, delete_request_store: "filesystem" },
    },
    singleBinary: { replicas: 1, persistence: { enabled: true, size: "20Gi" } },
    backend: { replicas: 0 },
    read: { replicas: 0 },
    write: { replicas: 0 },
    chunksCache: { enabled: false },
    resultsCache: { enabled: false },
  };
}
