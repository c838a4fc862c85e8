// Chart values of one environment → the Kubernetes objects, grouped by the chart template that
// produces them. Each builder here does what the template of the same name in templates.ts does, so
// the plain manifests in rendered/<env>/ are exactly what `helm template` gives (a test compares them).
import { createHash } from "node:crypto";
import {
  DAPR_SIDECAR,
  type ChartValues,
  type DaprComponentValues,
  type DataStoreValues,
  type JobValues,
  type ServiceValues,
  type WorkloadValues,
} from "./values.js";

export interface Metadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A Kubernetes object: apiVersion, kind, metadata and the kind's own fields. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
  [field: string]: unknown;
}

type Obj = Record<string, unknown>;

/** Go's encoding/json form of a string map (sorted keys, HTML-safe escapes), as Helm's toJson prints it. */
export function goJson(map: Record<string, string>): string {
  const body = Object.keys(map)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(map[k])}`)
    .join(",");
  return `{${body}}`.replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** sha256sum of `toJson` of the ConfigMap data, the pod annotation that restarts pods on config changes. */
export function configChecksum(config: Record<string, string>): string {
  return createHash("sha256").update(goJson(config)).digest("hex");
}

export function selectorLabels(app: string, name: string): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": app };
}

export function labels(app: string, name: string, component: string): Record<string, string> {
  return {
    ...selectorLabels(app, name),
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/managed-by": "gantry",
  };
}

function meta(
  v: ChartValues,
  ns: string,
  name: string,
  component: string,
  annotations?: Record<string, string>,
): Metadata {
  return {
    name,
    namespace: ns,
    labels: labels(v.global.app, name, component),
    ...(annotations ? { annotations } : {}),
  };
}

export function podSecurityContext(v: ChartValues): Obj {
  const uid = v.global.runAsUser;
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export function containerSecurityContext(v: ChartValues, readOnly: boolean): Obj {
  const uid = v.global.runAsUser;
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: readOnly,
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

const image = (v: ChartValues, w: WorkloadValues) => `${w.image}:${w.tag || v.global.imageTag}`;
const pullSecrets = (v: ChartValues) => v.global.imagePullSecrets.map((name) => ({ name }));
const secretEnv = (v: ChartValues, w: WorkloadValues) =>
  w.secretEnv.map((e) => ({
    name: e.name,
    valueFrom: { secretKeyRef: { name: v.global.secretName, key: e.key } },
  }));
const tmpMount = [{ name: "tmp", mountPath: "/tmp" }];
const tmpVolume = [{ name: "tmp", emptyDir: {} }];
const configName = (name: string) => `${name}-config`;

function httpProbe(p: {
  path: string;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  initialDelaySeconds: number;
}): Obj {
  return {
    ...(p.path ? { httpGet: { path: p.path, port: "http" } } : { tcpSocket: { port: "http" } }),
    initialDelaySeconds: p.initialDelaySeconds,
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
  };
}

/** The workload's container: image, command, settings from the ConfigMap, secrets by reference. */
function workloadContainer(v: ChartValues, name: string, w: WorkloadValues): Obj {
  return {
    name,
    image: image(v, w),
    imagePullPolicy: "Always",
    ...(w.command.length ? { command: w.command } : {}),
    ...(w.type !== "static" ? { envFrom: [{ configMapRef: { name: configName(name) } }] } : {}),
    ...(w.secretEnv.length ? { env: secretEnv(v, w) } : {}),
    resources: w.resources,
    securityContext: containerSecurityContext(v, w.readOnlyRootFilesystem),
    volumeMounts: tmpMount,
  };
}

export function configMap(v: ChartValues, ns: string, name: string, w: WorkloadValues): K8sObject[] {
  if (!w.enabled || w.type === "static") return [];
  return [
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta(v, ns, configName(name), w.type), data: w.config },
  ];
}

/** checkov's per-object skips (with their reasons) for a worker that has no port to probe. */
export const PROBELESS: Record<string, string> = {
  "checkov.io/skip1":
    "CKV_K8S_8=a worker that listens on no port has no endpoint to probe; Kubernetes restarts it when its process exits",
  "checkov.io/skip2":
    "CKV_K8S_9=a worker that listens on no port receives no traffic, so it has nothing to be ready for",
};

/** checkov's per-object skip for a workload whose spec turns the read-only root file system off. */
export const WRITABLE_ROOT: Record<string, string> = {
  "checkov.io/skip3":
    "CKV_K8S_22=the spec gives this service a writable root file system (read_only_root is false)",
};

const skips = (...parts: (Record<string, string> | false)[]) => {
  const out = Object.assign({}, ...parts.filter((p) => p !== false)) as Record<string, string>;
  return Object.keys(out).length ? out : undefined;
};

export function deployment(v: ChartValues, ns: string, name: string, s: ServiceValues): K8sObject[] {
  if (!s.enabled) return [];
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
  const ports: Obj[] = [];
  if (s.port) ports.push({ name: "http", containerPort: s.port, protocol: "TCP" });
  if (s.metrics.enabled && s.metrics.port !== s.port)
    ports.push({ name: "metrics", containerPort: s.metrics.port, protocol: "TCP" });
  const container: Obj = {
    ...workloadContainer(v, name, s),
    ...(ports.length ? { ports } : {}),
    ...(s.probes.liveness ? { livenessProbe: httpProbe(s.probes.liveness) } : {}),
    ...(s.probes.readiness ? { readinessProbe: httpProbe(s.probes.readiness) } : {}),
    ...(s.probes.startup ? { startupProbe: httpProbe(s.probes.startup) } : {}),
    lifecycle: { preStop: { sleep: { seconds: s.preStopSleepSeconds } } },
  };
  const selector = selectorLabels(v.global.app, name);
  return [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta(
        v,
        ns,
        name,
        s.type,
        skips(!s.port && PROBELESS, !s.readOnlyRootFilesystem && WRITABLE_ROOT),
      ),
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
            ...(s.topologySpread
              ? {
                  topologySpreadConstraints: ["kubernetes.io/hostname", "topology.kubernetes.io/zone"].map(
                    (topologyKey) => ({
                      maxSkew: 1,
                      topologyKey,
                      whenUnsatisfiable: "ScheduleAnyway",
                      labelSelector: { matchLabels: selector },
                    }),
                  ),
                }
              : {}),
            containers: [container],
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
  const ports: Obj[] = [{ name: "http", port: s.port, targetPort: "http", protocol: "TCP" }];
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
  if (!s.enabled || !s.metrics.enabled || !s.metrics.port) return [];
  return [metricsMonitor("PodMonitor", v, ns, name, s)];
}

const nsSelector = (namespace: string) => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
});
const tcp = (port: number) => ({ port, protocol: "TCP" });

/** Pods of a workload, and of its migrations Job, which reaches the same databases. */
function workloadPods(v: ChartValues, name: string): Obj {
  return {
    matchLabels: { "app.kubernetes.io/part-of": v.global.app },
    matchExpressions: [
      { key: "app.kubernetes.io/name", operator: "In", values: [name, `${name}-migrations`] },
    ],
  };
}

const dnsEgress = () => ({
  to: [{ ...nsSelector("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
  ports: [
    { port: 53, protocol: "UDP" },
    { port: 53, protocol: "TCP" },
  ],
});

export function networkPolicy(v: ChartValues, ns: string, name: string, w: WorkloadValues): K8sObject[] {
  if (!w.enabled) return [];
  const n = w.network;
  const ingressRules: Obj[] = [];
  if (n.fromIngressController)
    ingressRules.push({ from: [nsSelector(v.global.ingress.controllerNamespace)], ports: [tcp(w.port)] });
  if (n.fromMonitoring)
    ingressRules.push({
      from: [nsSelector(v.global.monitoringNamespace)],
      ports: [tcp((w as ServiceValues).metrics.port)],
    });
  const egress: Obj[] = [dnsEgress()];
  for (const t of n.toInCluster)
    egress.push({
      to: [{ podSelector: { matchLabels: selectorLabels(v.global.app, t.name) } }],
      ports: [tcp(t.port)],
    });
  if (n.toExternalPorts.length)
    egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: n.toExternalPorts.map(tcp) });
  if (n.toDapr) egress.push({ to: [nsSelector(v.global.daprNamespace)] });
  return [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta(v, ns, name, w.type),
      spec: {
        podSelector: workloadPods(v, name),
        policyTypes: ["Ingress", "Egress"],
        ...(ingressRules.length ? { ingress: ingressRules } : {}),
        egress,
      },
    },
  ];
}

export function defaultDeny(v: ChartValues, ns: string): K8sObject[] {
  return [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta(v, ns, "default-deny", "network"),
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    },
  ];
}

export function migrationsJob(v: ChartValues, ns: string, name: string, s: ServiceValues): K8sObject[] {
  if (!s.enabled || !s.migrations.enabled) return [];
  const jobName = `${name}-migrations`;
  const env = [...Object.entries(s.config).map(([k, value]) => ({ name: k, value })), ...secretEnv(v, s)];
  return [
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: meta(v, ns, jobName, "migrations", {
        // A hook runs before the release's other objects exist: so no ConfigMap here, the settings inline.
        "helm.sh/hook": "pre-install,pre-upgrade",
        "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
        "helm.sh/hook-weight": "0",
        ...(s.readOnlyRootFilesystem ? {} : WRITABLE_ROOT),
      }),
      spec: {
        backoffLimit: 1,
        activeDeadlineSeconds: s.migrations.activeDeadlineSeconds,
        template: {
          metadata: { labels: labels(v.global.app, jobName, "migrations") },
          spec: {
            restartPolicy: "Never",
            automountServiceAccountToken: false,
            imagePullSecrets: pullSecrets(v),
            securityContext: podSecurityContext(v),
            containers: [
              {
                name: "migrations",
                image: image(v, s),
                imagePullPolicy: "Always",
                command: s.migrations.command,
                ...(env.length ? { env } : {}),
                resources: s.resources,
                securityContext: containerSecurityContext(v, s.readOnlyRootFilesystem),
                volumeMounts: tmpMount,
              },
            ],
            volumes: tmpVolume,
          },
        },
      },
    },
  ];
}

export function subscriptions(v: ChartValues, ns: string, name: string, s: ServiceValues): K8sObject[] {
  if (!s.enabled) return [];
  return s.subscriptions.map((sub) => ({
    apiVersion: "dapr.io/v2alpha1",
    kind: "Subscription",
    // Labelled with the service: `<service>-<topic>` can be longer than a label value may be.
    metadata: { name: sub.name, namespace: ns, labels: labels(v.global.app, name, "events") },
    spec: {
      topic: sub.topic,
      routes: { default: sub.route },
      pubsubname: "pubsub",
      ...(sub.deadLetterTopic ? { deadLetterTopic: sub.deadLetterTopic } : {}),
    },
    scopes: [name],
  }));
}

/** Dapr retries a failed delivery this often (exponential back-off) before the dead-letter topic. */
export function resiliency(v: ChartValues, ns: string, name: string, s: ServiceValues): K8sObject[] {
  if (!s.enabled || !s.eventRetries) return [];
  return [
    {
      apiVersion: "dapr.io/v1alpha1",
      kind: "Resiliency",
      metadata: { name: `${name}-events`, namespace: ns, labels: labels(v.global.app, name, "events") },
      spec: {
        policies: {
          retries: { events: { policy: "exponential", maxInterval: "60s", maxRetries: s.eventRetries } },
        },
        targets: { components: { pubsub: { inbound: { retry: "events" } } } },
      },
      scopes: [name],
    },
  ];
}

export function cronJob(v: ChartValues, ns: string, name: string, j: JobValues): K8sObject[] {
  if (!j.enabled) return [];
  return [
    {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: meta(v, ns, name, "job", skips(!j.readOnlyRootFilesystem && WRITABLE_ROOT)),
      spec: {
        schedule: j.schedule,
        timeZone: j.timeZone,
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: 300,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            backoffLimit: j.backoffLimit,
            activeDeadlineSeconds: j.activeDeadlineSeconds,
            template: {
              metadata: {
                labels: labels(v.global.app, name, "job"),
                annotations: { "checksum/config": configChecksum(j.config) },
              },
              spec: {
                restartPolicy: "Never",
                automountServiceAccountToken: false,
                imagePullSecrets: pullSecrets(v),
                securityContext: podSecurityContext(v),
                containers: [workloadContainer(v, name, j)],
                volumes: tmpVolume,
              },
            },
          },
        },
      },
    },
  ];
}

export function statefulSet(v: ChartValues, ns: string, name: string, d: DataStoreValues): K8sObject[] {
  if (!d.enabled) return [];
  const password = { valueFrom: { secretKeyRef: { name: v.global.secretName, key: d.passwordKey } } };
  const pg = d.engine === "postgres";
  const container: Obj = pg
    ? {
        name: "postgres",
        image: d.image,
        imagePullPolicy: "Always",
        ports: [{ name: "postgres", containerPort: d.port, protocol: "TCP" }],
        env: [
          { name: "POSTGRES_USER", value: d.user },
          { name: "POSTGRES_DB", value: d.database },
          { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
          { name: "POSTGRES_PASSWORD", ...password },
        ],
        resources: d.resources,
        livenessProbe: {
          exec: { command: ["pg_isready", "-U", d.user, "-d", d.database] },
          periodSeconds: 10,
          timeoutSeconds: 5,
          failureThreshold: 6,
        },
        readinessProbe: {
          exec: { command: ["pg_isready", "-U", d.user, "-d", d.database] },
          periodSeconds: 5,
          timeoutSeconds: 3,
          failureThreshold: 3,
        },
        securityContext: containerSecurityContext(v, true),
        volumeMounts: [
          { name: "data", mountPath: "/var/lib/postgresql/data" },
          { name: "tmp", mountPath: "/tmp" },
          { name: "run", mountPath: "/var/run/postgresql" },
        ],
      }
    : {
        name: "redis",
        image: d.image,
        imagePullPolicy: "Always",
        args: ["redis-server", ...d.args],
        ports: [{ name: "redis", containerPort: d.port, protocol: "TCP" }],
        env: [{ name: "REDIS_PASSWORD", ...password }],
        resources: d.resources,
        livenessProbe: {
          tcpSocket: { port: "redis" },
          periodSeconds: 10,
          timeoutSeconds: 5,
          failureThreshold: 6,
        },
        readinessProbe: {
          tcpSocket: { port: "redis" },
          periodSeconds: 5,
          timeoutSeconds: 3,
          failureThreshold: 3,
        },
        securityContext: containerSecurityContext(v, true),
        volumeMounts: [
          { name: "data", mountPath: "/data" },
          { name: "tmp", mountPath: "/tmp" },
        ],
      };
  return [
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: meta(v, ns, name, "database"),
      spec: {
        serviceName: name,
        replicas: 1,
        selector: { matchLabels: selectorLabels(v.global.app, name) },
        template: {
          metadata: { labels: labels(v.global.app, name, "database") },
          spec: {
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 60,
            securityContext: podSecurityContext(v),
            containers: [container],
            volumes: pg ? [...tmpVolume, { name: "run", emptyDir: {} }] : tmpVolume,
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: "data" },
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: d.storage } } },
          },
        ],
      },
    },
  ];
}

export function dataStoreService(v: ChartValues, ns: string, name: string, d: DataStoreValues): K8sObject[] {
  if (!d.enabled) return [];
  return [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(v, ns, name, "database"),
      spec: {
        type: "ClusterIP",
        selector: selectorLabels(v.global.app, name),
        ports: [{ name: d.engine, port: d.port, targetPort: d.engine, protocol: "TCP" }],
      },
    },
  ];
}

export function dataStoreNetworkPolicy(
  v: ChartValues,
  ns: string,
  name: string,
  d: DataStoreValues,
): K8sObject[] {
  if (!d.enabled) return [];
  const clients = d.clients.flatMap((c) => [c, `${c}-migrations`]);
  return [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta(v, ns, name, "database"),
      spec: {
        podSelector: { matchLabels: selectorLabels(v.global.app, name) },
        policyTypes: ["Ingress", "Egress"],
        ...(clients.length
          ? {
              ingress: [
                {
                  from: [
                    {
                      podSelector: {
                        matchLabels: { "app.kubernetes.io/part-of": v.global.app },
                        matchExpressions: [
                          { key: "app.kubernetes.io/name", operator: "In", values: clients },
                        ],
                      },
                    },
                  ],
                  ports: [tcp(d.port)],
                },
              ],
            }
          : {}),
        egress: [dnsEgress()],
      },
    },
  ];
}

export function daprComponent(v: ChartValues, ns: string, _key: string, c: DaprComponentValues): K8sObject[] {
  if (!c.enabled) return [];
  return [
    {
      apiVersion: "dapr.io/v1alpha1",
      kind: "Component",
      metadata: meta(v, ns, c.name, "events"),
      spec: { type: c.type, version: "v1", metadata: c.metadata },
      auth: { secretStore: "kubernetes" },
      scopes: c.scopes,
    },
  ];
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
              labels: { severity: r.severity },
              annotations: { summary: r.summary },
            })),
          },
        ],
      },
    },
  ];
}

/** Every chart template file (without `.yaml`) → the objects it gives for these values. */
export function objectsByTemplate(v: ChartValues, ns: string): Record<string, K8sObject[]> {
  const out: Record<string, K8sObject[]> = {};
  // Two entries can name the same template (a service `postgres-db` and postgres `db`): keep both
  // lists, so that check() finds the clash instead of an object silently going missing.
  const add = (file: string, list: K8sObject[]) => (out[file] = [...(out[file] ?? []), ...list]);
  for (const name of Object.keys(v.services).sort()) {
    const w = v.services[name]!;
    add(`${name}-configmap`, configMap(v, ns, name, w));
    if (w.type === "job") {
      add(`${name}-cronjob`, cronJob(v, ns, name, w));
    } else {
      add(`${name}-deployment`, deployment(v, ns, name, w));
      if (w.type !== "worker") add(`${name}-service`, service(v, ns, name, w));
      add(`${name}-ingress`, ingress(v, ns, name, w));
      add(`${name}-hpa`, hpa(v, ns, name, w));
      add(`${name}-pdb`, pdb(v, ns, name, w));
      if (w.type === "worker") add(`${name}-podmonitor`, podMonitor(v, ns, name, w));
      else add(`${name}-servicemonitor`, serviceMonitor(v, ns, name, w));
      add(`${name}-migrations-job`, migrationsJob(v, ns, name, w));
      add(`${name}-subscriptions`, subscriptions(v, ns, name, w));
      add(`${name}-resiliency`, resiliency(v, ns, name, w));
    }
    add(`${name}-networkpolicy`, networkPolicy(v, ns, name, w));
  }
  for (const name of Object.keys(v.datastores).sort()) {
    const d = v.datastores[name]!;
    add(`${name}-statefulset`, statefulSet(v, ns, name, d));
    add(`${name}-service`, dataStoreService(v, ns, name, d));
    add(`${name}-networkpolicy`, dataStoreNetworkPolicy(v, ns, name, d));
  }
  for (const key of Object.keys(v.dapr).sort()) add(`dapr-${key}`, daprComponent(v, ns, key, v.dapr[key]!));
  add("networkpolicy-default-deny", defaultDeny(v, ns));
  add("prometheusrule", prometheusRule(v, ns));
  return out;
}
