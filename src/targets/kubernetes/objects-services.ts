// The objects of a long-running service (HTTP, worker, static): its Deployment, Service, Ingress,
// autoscaler and disruption budget, and the ConfigMap every workload (jobs too) reads its settings from.
import {
  configChecksum,
  configName,
  labels,
  meta,
  podSecurityContext,
  pullSecrets,
  selectorLabels,
  checkovSkips,
  tmpVolume,
  workloadContainer,
  WRITABLE_ROOT,
  type K8sObject,
  type Plain,
} from "./objects.js";
import {
  DAPR_SIDECAR,
  type ChartValues,
  type ProbeValues,
  type ServiceValues,
  type WorkloadValues,
} from "./values.js";

/** checkov's per-object skips (with their reasons) for a worker that has no port to probe. */
const PROBELESS: Record<string, string> = {
  "checkov.io/skip1":
    "CKV_K8S_8=a worker that listens on no port has no endpoint to probe; Kubernetes restarts it when its process exits",
  "checkov.io/skip2":
    "CKV_K8S_9=a worker that listens on no port receives no traffic, so it has nothing to be ready for",
};

/** An HTTP GET of the health path, or a TCP check of the port when the service has none. */
function httpProbe(p: ProbeValues): Plain {
  return {
    ...(p.path ? { httpGet: { path: p.path, port: "http" } } : { tcpSocket: { port: "http" } }),
    initialDelaySeconds: p.initialDelaySeconds,
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
  };
}

export function configMap(v: ChartValues, ns: string, name: string, w: WorkloadValues): K8sObject[] {
  if (!w.enabled || w.type === "static") return [];
  return [
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta(v, ns, configName(name), w.type), data: w.config },
  ];
}

/** Pod annotations: the config checksum (restarts pods when settings change) and the Dapr sidecar's. */
function podAnnotations(s: ServiceValues): Record<string, string> {
  const annotations: Record<string, string> = {};
  if (s.type !== "static") annotations["checksum/config"] = configChecksum(s.config);
  if (s.dapr.enabled) {
    annotations["dapr.io/enabled"] = "true";
    annotations["dapr.io/app-id"] = s.dapr.appId;
    if (s.dapr.appPort) annotations["dapr.io/app-port"] = String(s.dapr.appPort);
    annotations["dapr.io/config"] = s.dapr.config;
    annotations["dapr.io/sidecar-cpu-request"] = DAPR_SIDECAR.requests.cpu;
    annotations["dapr.io/sidecar-memory-request"] = DAPR_SIDECAR.requests.memory;
    annotations["dapr.io/sidecar-cpu-limit"] = DAPR_SIDECAR.limits.cpu;
    annotations["dapr.io/sidecar-memory-limit"] = DAPR_SIDECAR.limits.memory;
  }
  return annotations;
}

/** The service's container: the workload container with its ports, probes and the preStop drain. */
function serviceContainer(v: ChartValues, name: string, s: ServiceValues): Plain {
  const ports: Plain[] = [];
  if (s.port) ports.push({ name: "http", containerPort: s.port, protocol: "TCP" });
  if (s.metrics.enabled && s.metrics.port !== s.port)
    ports.push({ name: "metrics", containerPort: s.metrics.port, protocol: "TCP" });
  return {
    ...workloadContainer(v, name, s),
    ...(ports.length ? { ports } : {}),
    ...(s.probes.liveness ? { livenessProbe: httpProbe(s.probes.liveness) } : {}),
    ...(s.probes.readiness ? { readinessProbe: httpProbe(s.probes.readiness) } : {}),
    ...(s.probes.startup ? { startupProbe: httpProbe(s.probes.startup) } : {}),
    lifecycle: { preStop: { sleep: { seconds: s.preStopSleepSeconds } } },
  };
}

/** Spread the pods over nodes and zones, as far as the cluster allows. */
const topologySpread = (selector: Record<string, string>) =>
  ["kubernetes.io/hostname", "topology.kubernetes.io/zone"].map((topologyKey) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector: { matchLabels: selector },
  }));

export function deployment(v: ChartValues, ns: string, name: string, s: ServiceValues): K8sObject[] {
  if (!s.enabled) return [];
  const annotations = podAnnotations(s);
  const selector = selectorLabels(v.global.app, name);
  const skipped = checkovSkips(!s.port && PROBELESS, !s.readOnlyRootFilesystem && WRITABLE_ROOT);
  return [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta(v, ns, name, s.type, skipped),
      spec: {
        ...(s.autoscaling.enabled ? {} : { replicas: s.replicas }),
        revisionHistoryLimit: 10,
        selector: { matchLabels: selector },
        strategy: {
          type: "RollingUpdate",
          rollingUpdate: { maxSurge: s.strategy.maxSurge, maxUnavailable: s.strategy.maxUnavailable },
        },
        template: {
          metadata: {
            labels: labels(v.global.app, name, s.type),
            ...(Object.keys(annotations).length ? { annotations } : {}),
          },
          spec: {
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: s.terminationGracePeriodSeconds,
            imagePullSecrets: pullSecrets(v),
            securityContext: podSecurityContext(v),
            ...(s.topologySpread ? { topologySpreadConstraints: topologySpread(selector) } : {}),
            containers: [serviceContainer(v, name, s)],
            volumes: tmpVolume,
          },
        },
      },
    },
  ];
}

/** Workers get no Service: nothing connects to them (Dapr delivers events through the sidecar). */
export function service(v: ChartValues, ns: string, name: string, s: ServiceValues): K8sObject[] {
  if (!s.enabled || !s.port || s.type === "worker") return [];
  const ports: Plain[] = [{ name: "http", port: s.port, targetPort: "http", protocol: "TCP" }];
  if (s.metrics.enabled && s.metrics.port !== s.port)
    ports.push({ name: "metrics", port: s.metrics.port, targetPort: "metrics", protocol: "TCP" });
  return [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(v, ns, name, s.type),
      spec: { type: "ClusterIP", selector: selectorLabels(v.global.app, name), ports },
    },
  ];
}

export const DENYLIST = "nginx.ingress.kubernetes.io/denylist-source-range";
export const DENY_ALL = "0.0.0.0/0,::/0";

export const tlsSecretName = (name: string, host: string) => `${name}-${host.replace(/\./g, "-")}-tls`;

export function ingress(v: ChartValues, ns: string, name: string, s: ServiceValues): K8sObject[] {
  if (!s.enabled || s.ingress.hosts.length === 0) return [];
  return [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: meta(v, ns, name, s.type, {
        "cert-manager.io/cluster-issuer": v.global.ingress.clusterIssuer,
        "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
        "nginx.ingress.kubernetes.io/ssl-redirect": "true",
      }),
      spec: {
        ingressClassName: v.global.ingress.className,
        tls: s.ingress.hosts.map((host) => ({ hosts: [host], secretName: tlsSecretName(name, host) })),
        rules: s.ingress.hosts.map((host) => ({
          host,
          http: {
            paths: [
              {
                path: s.ingress.path,
                pathType: "Prefix",
                backend: { service: { name, port: { name: "http" } } },
              },
            ],
          },
        })),
      },
    },
  ];
}

/**
 * An Ingress that refuses the service's delivery routes on its hosts to every client address
 * (ingress-nginx's `denylist-source-range`, which applies to the paths of this Ingress only). Its
 * paths are longer than the service's prefix, so they win; TLS comes from the service's own Ingress.
 */
export function deliveryDenyIngress(v: ChartValues, ns: string, name: string, s: ServiceValues): K8sObject[] {
  if (!s.enabled || s.ingress.hosts.length === 0 || s.ingress.deniedPaths.length === 0) return [];
  return [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: meta(v, ns, `${name}-deliveries`, s.type, { [DENYLIST]: DENY_ALL }),
      spec: {
        ingressClassName: v.global.ingress.className,
        rules: s.ingress.hosts.map((host) => ({
          host,
          http: {
            paths: s.ingress.deniedPaths.map((path) => ({
              path,
              pathType: "Prefix",
              backend: { service: { name, port: { name: "http" } } },
            })),
          },
        })),
      },
    },
  ];
}

export function hpa(v: ChartValues, ns: string, name: string, s: ServiceValues): K8sObject[] {
  const a = s.autoscaling;
  if (!s.enabled || !a.enabled) return [];
  const metric = (resource: string, averageUtilization: number) => ({
    type: "Resource",
    resource: { name: resource, target: { type: "Utilization", averageUtilization } },
  });
  return [
    {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: meta(v, ns, name, s.type),
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
        minReplicas: a.minReplicas,
        maxReplicas: a.maxReplicas,
        metrics: [metric("cpu", a.cpu), ...(a.memory !== undefined ? [metric("memory", a.memory)] : [])],
        behavior: a.behavior,
      },
    },
  ];
}

export function pdb(v: ChartValues, ns: string, name: string, s: ServiceValues): K8sObject[] {
  if (!s.enabled || !s.podDisruptionBudget.enabled) return [];
  return [
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: meta(v, ns, name, s.type),
      spec: {
        minAvailable: s.podDisruptionBudget.minAvailable,
        selector: { matchLabels: selectorLabels(v.global.app, name) },
      },
    },
  ];
}
