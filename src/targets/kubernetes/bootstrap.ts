// cluster-bootstrap/: what a cluster needs once, before the chart is installed in any namespace:
// the platform charts (pinned), the Let's Encrypt ClusterIssuers, the Dapr Configuration and the
// namespaces with their quotas. Everything here is cluster-wide or per namespace, never per release.
import { printK8sDocuments, printK8sYaml } from "./print.js";
import type { AppModel } from "../../model/types.js";
import type { FileTree } from "../target.js";
import { DAPR_CONFIG, DAPR_SIDECAR, type ChartValues, type Resources } from "./values.js";
import { labels, type K8sObject } from "./objects.js";
import type { KubernetesSettings } from "./settings.js";

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

/** CPU in millicores ("250m", "1", "1.5"). */
export function millicores(cpu: string | number): number {
  const s = String(cpu);
  return s.endsWith("m") ? Number(s.slice(0, -1)) : Math.round(Number(s) * 1000);
}

/** Memory in MiB ("512Mi", "1Gi", "1G"). */
export function mebibytes(mem: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(mem);
  if (!m) return 0;
  const n = Number(m[1]);
  const unit = m[2] ?? "";
  const factor: Record<string, number> = {
    "": 1 / 1048576,
    Ki: 1 / 1024,
    Mi: 1,
    Gi: 1024,
    Ti: 1048576,
    K: 1000 / 1048576,
    M: 1e6 / 1048576,
    G: 1e9 / 1048576,
    T: 1e12 / 1048576,
  };
  return Math.ceil(n * (factor[unit] ?? 1));
}

interface Totals {
  cpuReq: number;
  cpuLim: number;
  memReq: number;
  memLim: number;
  pods: number;
  storageGi: number;
  pvcs: number;
}

/** The most the environment can run at once (every HPA at max, one surge pod each, jobs, sidecars), plus 25%. */
export function quotaTotals(v: ChartValues): Totals {
  const t: Totals = { cpuReq: 0, cpuLim: 0, memReq: 0, memLim: 0, pods: 0, storageGi: 0, pvcs: 0 };
  const add = (r: Resources, n: number) => {
    t.cpuReq += millicores(r.requests.cpu) * n;
    t.cpuLim += millicores(r.limits.cpu) * n;
    t.memReq += mebibytes(r.requests.memory) * n;
    t.memLim += mebibytes(r.limits.memory) * n;
    t.pods += n;
  };
  for (const w of Object.values(v.services)) {
    if (!w.enabled) continue;
    if (w.type === "job") {
      add(w.resources, 1);
      continue;
    }
    const s = w;
    const n = (s.autoscaling.enabled ? s.autoscaling.maxReplicas : s.replicas) + s.strategy.maxSurge;
    add(s.resources, n);
    if (s.dapr.enabled) {
      add(DAPR_SIDECAR, n);
      t.pods -= n;
    }
    if (s.migrations.enabled) add(s.resources, 1);
  }
  for (const d of Object.values(v.datastores)) {
    if (!d.enabled) continue;
    add(d.resources, 1);
    t.storageGi += Number(/^(\d+)Gi$/.exec(d.storage)?.[1] ?? 0);
    t.pvcs += 1;
  }
  const up = (x: number, step: number) => Math.max(step, Math.ceil((x * 1.25) / step) * step);
  return {
    cpuReq: up(t.cpuReq, 500),
    cpuLim: up(t.cpuLim, 500),
    memReq: up(t.memReq, 512),
    memLim: up(t.memLim, 512),
    pods: Math.max(10, Math.ceil(t.pods * 1.25)),
    storageGi: t.storageGi,
    pvcs: t.pvcs,
  };
}

const cpuText = (m: number) => (m % 1000 === 0 ? String(m / 1000) : `${m}m`);
const memText = (mi: number) => (mi % 1024 === 0 ? `${mi / 1024}Gi` : `${mi}Mi`);

function namespaceObjects(app: AppModel, v: ChartValues): K8sObject[] {
  const ns = app.environment.namespace;
  const t = quotaTotals(v);
  const lbl = (name: string) => labels(app.name, name, "platform");
  const hard: Record<string, string> = {
    "requests.cpu": cpuText(t.cpuReq),
    "requests.memory": memText(t.memReq),
    "limits.cpu": cpuText(t.cpuLim),
    "limits.memory": memText(t.memLim),
    pods: String(t.pods),
  };
  if (t.pvcs) {
    hard["requests.storage"] = `${t.storageGi}Gi`;
    hard.persistentvolumeclaims = String(t.pvcs);
  }
  return [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: ns,
        labels: {
          ...lbl(ns),
          "gantry.dev/environment": app.environment.name,
          // Restricted is enforced by Gantry's own pods; the Dapr sidecar meets baseline.
          "pod-security.kubernetes.io/enforce": "baseline",
          "pod-security.kubernetes.io/audit": "restricted",
          "pod-security.kubernetes.io/warn": "restricted",
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: { name: `${ns}-quota`, namespace: ns, labels: lbl(`${ns}-quota`) },
      spec: { hard },
    },
    {
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: { name: `${ns}-limits`, namespace: ns, labels: lbl(`${ns}-limits`) },
      spec: {
        limits: [
          {
            type: "Container",
            default: { cpu: "500m", memory: "512Mi" },
            defaultRequest: { cpu: "100m", memory: "128Mi" },
            max: { cpu: "4", memory: "8Gi" },
          },
        ],
      },
    },
  ];
}

function daprConfiguration(app: AppModel): K8sObject {
  return {
    apiVersion: "dapr.io/v1alpha1",
    kind: "Configuration",
    metadata: {
      name: DAPR_CONFIG,
      namespace: app.environment.namespace,
      labels: labels(app.name, DAPR_CONFIG, "platform"),
    },
    spec: {
      tracing: { samplingRate: String(app.monitoring.sampling_percent / 100) },
      metric: { enabled: true },
      mtls: {
        enabled: true,
        controlPlaneTrustDomain: "cluster.local",
        sentryAddress: "dapr-sentry.dapr-system.svc.cluster.local:443",
      },
    },
  };
}

function clusterIssuers(app: AppModel, k8s: KubernetesSettings): K8sObject[] {
  const issuer = (name: string, server: string): K8sObject => ({
    apiVersion: "cert-manager.io/v1",
    kind: "ClusterIssuer",
    metadata: { name, labels: labels(app.name, name, "platform") },
    spec: {
      acme: {
        server,
        ...(k8s.tls_email ? { email: k8s.tls_email } : {}),
        privateKeySecretRef: { name: `${name}-account-key` },
        solvers: [{ http01: { ingress: { ingressClassName: k8s.ingress_class } } }],
      },
    },
  });
  return [
    issuer("letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory"),
    issuer("letsencrypt-prod", "https://acme-v02.api.letsencrypt.org/directory"),
  ];
}

function platformValues(apps: readonly AppModel[], k8s: KubernetesSettings): Record<string, unknown> {
  const retentionDays = Math.max(...apps.map((a) => a.monitoring.log_retention_days));
  const lbAnnotations: Record<string, Record<string, string>> = {
    aks: { "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path": "/healthz" },
    eks: {
      "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
      "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    },
    doks: { "service.beta.kubernetes.io/do-loadbalancer-name": `${apps[0]?.name ?? "app"}-ingress` },
    generic: {},
  };
  const annotations = lbAnnotations[k8s.provider] ?? {};
  return {
    "ingress-nginx": {
      controller: {
        replicaCount: 2,
        ingressClassResource: { name: k8s.ingress_class, default: true },
        metrics: { enabled: true, serviceMonitor: { enabled: true } },
        podDisruptionBudget: { enabled: true, minAvailable: 1 },
        ...(Object.keys(annotations).length ? { service: { annotations } } : {}),
      },
    },
    "cert-manager": {
      crds: { enabled: true },
      prometheus: { enabled: true, servicemonitor: { enabled: true } },
    },
    dapr: { global: { ha: { enabled: true }, mtls: { enabled: true } } },
    "kube-prometheus-stack": {
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
            type: "loki",
            access: "proxy",
            url: "http://loki-gateway.monitoring.svc.cluster.local",
          },
        ],
      },
    },
    loki: {
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
    },
    promtail: {
      config: { clients: [{ url: "http://loki-gateway.monitoring.svc.cluster.local/loki/api/v1/push" }] },
    },
  };
}

function installScript(apps: readonly AppModel[]): string {
  const repos = [...new Map(PLATFORM_CHARTS.map((c) => [c.repo, c.url])).entries()];
  const lines = [
    "#!/usr/bin/env bash",
    "# Installs what the cluster needs once, before `helm upgrade --install` of the app chart.",
    "# Generated by `gantry synth kubernetes`; safe to re-run (every step is an upgrade or an apply).",
    "set -euo pipefail",
    'here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"',
    "",
    "# Helm repositories",
    ...repos.map(([name, url]) => `helm repo add ${name} ${url} --force-update`),
    "helm repo update",
    "",
    "# Platform charts, pinned",
    ...PLATFORM_CHARTS.flatMap((c) => [
      `helm upgrade --install ${c.release} ${c.repo}/${c.chart} --version ${c.version} \\`,
      `  --namespace ${c.namespace} --create-namespace \\`,
      `  --values "$here/values/${c.release}.yaml" --wait --timeout 10m`,
    ]),
    "",
    "# Let's Encrypt issuers (the cert-manager webhook must answer first)",
    "kubectl -n cert-manager wait --for=condition=Available deployment --all --timeout=300s",
    'kubectl apply -f "$here/cert-manager/cluster-issuers.yaml"',
    "",
    "# Namespaces with quotas and default limits, then the Dapr configuration of each",
    ...apps.map((a) => `kubectl apply -f "$here/namespaces/${a.environment.name}.yaml"`),
    "kubectl -n dapr-system wait --for=condition=Available deployment --all --timeout=300s",
    ...apps.map((a) => `kubectl apply -f "$here/dapr/configuration-${a.environment.name}.yaml"`),
    "",
    'echo "Cluster ready. Next: create the Secrets of each namespace (see README.md), then helm upgrade --install."',
    "",
  ];
  return lines.join("\n");
}

function readme(apps: readonly AppModel[], k8s: KubernetesSettings): string {
  const rows = PLATFORM_CHARTS.map(
    (c) =>
      `| ${c.release} | \`${c.repo}/${c.chart}\` | ${c.version} | ${c.namespace} | \`values/${c.release}.yaml\` |`,
  );
  return [
    `# Cluster bootstrap for ${apps[0]?.name ?? "the app"}`,
    "",
    "Generated by `gantry synth kubernetes`: regenerate instead of editing.",
    "Run once per cluster, before installing the chart, with `bash install.sh` (kubectl and helm pointed at the cluster).",
    "",
    "| release | chart | version | namespace | values |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
    "Then, applied with kubectl:",
    "",
    `- \`cert-manager/cluster-issuers.yaml\`: ClusterIssuers \`letsencrypt-staging\` and \`letsencrypt-prod\` (ACME HTTP-01 through the \`${k8s.ingress_class}\` ingress class${k8s.tls_email ? `, account e-mail ${k8s.tls_email}` : ""}). Production environments use \`letsencrypt-prod\`, the others \`letsencrypt-staging\`.`,
    ...apps.map(
      (a) =>
        `- \`namespaces/${a.environment.name}.yaml\`: namespace \`${a.environment.namespace}\` with its ResourceQuota and LimitRange.`,
    ),
    ...apps.map(
      (a) =>
        `- \`dapr/configuration-${a.environment.name}.yaml\`: Dapr Configuration \`${DAPR_CONFIG}\` in \`${a.environment.namespace}\` (mTLS on, tracing sampling rate ${a.monitoring.sampling_percent / 100}).`,
    ),
    "",
    "Dapr runs in HA mode with mTLS (`values/dapr.yaml`). Prometheus picks up the ServiceMonitors and PrometheusRules of every namespace.",
    "",
    "Check:",
    "",
    "```sh",
    "kubectl get pods -n ingress-nginx -n cert-manager -n dapr-system -n monitoring",
    "kubectl get clusterissuers",
    ...apps.map((a) => `kubectl describe resourcequota -n ${a.environment.namespace}`),
    "```",
    "",
  ].join("\n");
}

export function bootstrapTree(
  apps: readonly AppModel[],
  values: readonly ChartValues[],
  k8s: KubernetesSettings,
): FileTree {
  const tree: FileTree = {};
  const dir = "cluster-bootstrap";
  tree[`${dir}/cert-manager/cluster-issuers.yaml`] = printK8sDocuments(clusterIssuers(apps[0]!, k8s));
  apps.forEach((a, i) => {
    tree[`${dir}/namespaces/${a.environment.name}.yaml`] = printK8sDocuments(namespaceObjects(a, values[i]!));
    tree[`${dir}/dapr/configuration-${a.environment.name}.yaml`] = printK8sDocuments([daprConfiguration(a)]);
  });
  const pv = platformValues(apps, k8s);
  for (const c of PLATFORM_CHARTS) tree[`${dir}/values/${c.release}.yaml`] = printK8sYaml(pv[c.release]);
  tree[`${dir}/install.sh`] = installScript(apps);
  tree[`${dir}/README.md`] = readme(apps, k8s);
  return tree;
}
