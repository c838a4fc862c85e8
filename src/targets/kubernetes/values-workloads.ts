// The values of the workloads: HTTP services, workers, static frontends and scheduled jobs. Each
// gets its image, command, settings, the Secret keys it reads and the network it needs; services get
// their probes, rollout, autoscaling, ingress, metrics, migrations and Dapr subscriptions.
import { kubernetesSchedule } from "../../model/schedule.js";
import { parseCommand, renderCommand } from "../../model/command-line.js";
import { seconds } from "../../util/duration.js";
import type {
  AnyServiceModel,
  AppModel,
  HealthModel,
  JobModel,
  ServiceModel,
  StaticModel,
} from "../../model/types.js";
import { containerEnv, daprSidecar, escapeDollars } from "./container-env.js";
import { staticImageName } from "../github/images.js";
import { exposedDeliveryRoutes } from "./routes.js";
import { deadLetterTopic } from "./topics.js";
import { chartProviders, imageRepository, imageTag, type KubernetesSettings } from "./settings.js";
import { effectiveUses, inClusterStore, managedPorts } from "./values-datastores.js";
import {
  DAPR_CONFIG,
  type AutoscalingValues,
  type JobValues,
  type NetworkValues,
  type ProbeValues,
  type ServiceValues,
  type WorkloadValues,
} from "./values.js";

/** Probe timing when the spec gives none (static servers, services probed on their port). */
const DEFAULT_HEALTH: HealthModel = {
  interval: "10s",
  timeout: "3s",
  failure_threshold: 3,
  initial_delay: "0s",
  startup_timeout: "60s",
};
/** Port the static-file server (nginx-unprivileged) listens on. */
const STATIC_PORT = 8080;
const HTTPS_PORT = 443;
const KAFKA_PORTS = [9092, 9093];

/** What every workload has, whatever its kind. */
type WorkloadBase = Pick<
  WorkloadValues,
  | "enabled"
  | "image"
  | "tag"
  | "command"
  | "resources"
  | "readOnlyRootFilesystem"
  | "config"
  | "secretEnv"
  | "composedEnv"
  | "network"
>;

/**
 * Kubernetes `command` from a spec command (src/model/command-line.ts): its words, with `$NAME` as
 * `$(NAME)`, which Kubernetes expands from the container's variables, and each literal `$` doubled;
 * a line with shell syntax runs as `/bin/sh -c line`.
 */
export function kubernetesCommand(line: string | undefined): string[] {
  if (!line) return [];
  return renderCommand(parseCommand(line), (name) => `$(${name})`, escapeDollars);
}

/** The values of one entry of `services`. */
export function workloadValues(
  app: AppModel,
  svc: AnyServiceModel,
  k8s: KubernetesSettings,
): ServiceValues | JobValues {
  if (svc.type === "static") return staticValues(app, svc, k8s.registry);
  const env = containerEnv(app, svc);
  const base: WorkloadBase = {
    enabled: true,
    image: imageRepository(app.name, k8s.registry, svc),
    tag: imageTag(svc) ?? "",
    command: kubernetesCommand(svc.command),
    resources: svc.resources,
    readOnlyRootFilesystem: svc.read_only_root,
    config: env.config,
    secretEnv: env.secretEnv,
    composedEnv: env.composedEnv,
    network: network(app, svc),
  };
  if (svc.type === "job") return jobValues(svc, base);
  return serviceValues(app, svc, base);
}

/** The network a workload needs: the in-cluster stores it reaches, the ports outside, the Dapr control plane. */
function network(app: AppModel, svc: ServiceModel | JobModel): NetworkValues {
  const toInCluster: { name: string; port: number }[] = [];
  const external = new Set<number>([HTTPS_PORT]);
  for (const u of effectiveUses(app, svc)) {
    const local = inClusterStore(app, u);
    if (local) toInCluster.push(local);
    else if (app.postgres[u] || app.redis[u]) {
      const kind = app.postgres[u] ? "postgres" : "redis";
      for (const provider of chartProviders(app))
        for (const p of managedPorts(provider, kind, app.redis[u]?.tls ?? true)) external.add(p);
    }
  }
  const usesTopics = svc.uses.some((u) => u in app.topics);
  if (usesTopics || (svc.type !== "job" && Object.keys(svc.subscribes).length > 0))
    for (const p of KAFKA_PORTS) external.add(p);
  return {
    fromIngressController: false,
    fromMonitoring: false,
    toInCluster: toInCluster.sort((a, b) => (a.name < b.name ? -1 : 1)),
    toExternalPorts: [...external].sort((a, b) => a - b),
    toDapr: Object.values(app.topics).some(
      (t) => t.subscribers.includes(svc.name) || t.publishers.includes(svc.name),
    ),
  };
}

function jobValues(svc: JobModel, base: WorkloadBase): JobValues {
  return {
    ...base,
    type: "job",
    port: 0,
    replicas: 1,
    schedule: kubernetesSchedule(svc.schedule),
    timeZone: svc.timezone,
    activeDeadlineSeconds: seconds(svc.timeout),
    backoffLimit: svc.retries,
  };
}

function probe(
  path: string,
  h: NonNullable<ServiceModel["health"]>,
  failureThreshold = h.failure_threshold,
): ProbeValues {
  return {
    path,
    periodSeconds: seconds(h.interval),
    timeoutSeconds: seconds(h.timeout),
    failureThreshold,
    initialDelaySeconds: seconds(h.initial_delay),
  };
}

const startupThreshold = (h: HealthModel) =>
  Math.max(1, Math.ceil(seconds(h.startup_timeout) / seconds(h.interval)));

/** The probes of a service that listens: its health paths, else a TCP check of its port (open means alive and ready). */
function serviceProbes(h: HealthModel | undefined, port: number): ServiceValues["probes"] {
  const probes: ServiceValues["probes"] = {};
  if (!port) return probes;
  if (h) {
    if (h.liveness) probes.liveness = probe(h.liveness, h);
    if (h.readiness) probes.readiness = probe(h.readiness, h);
    const startPath = h.startup ?? h.liveness ?? h.readiness;
    if (startPath) probes.startup = probe(startPath, h, startupThreshold(h));
  }
  const timing = h ?? DEFAULT_HEALTH;
  probes.liveness ??= probe("", timing);
  probes.readiness ??= probe("", timing);
  probes.startup ??= probe("", timing, startupThreshold(timing));
  return probes;
}

/** A HorizontalPodAutoscaler keeps 1 to maxReplicas pods: `scale: 0` is a Deployment of 0 replicas, not an autoscaler. */
function autoscalingValues(scale: ServiceModel["scale"]): AutoscalingValues {
  return {
    enabled: scale.max > scale.min,
    minReplicas: Math.max(1, scale.min),
    maxReplicas: Math.max(1, scale.max),
    cpu: scale.cpu,
    ...(scale.memory !== undefined ? { memory: scale.memory } : {}),
    behavior: {
      scaleUp: {
        stabilizationWindowSeconds: scale.up.window_seconds,
        policies: [{ type: "Pods", value: scale.up.pods, periodSeconds: scale.up.period_seconds }],
      },
      scaleDown: {
        stabilizationWindowSeconds: scale.down.window_seconds,
        policies: [{ type: "Pods", value: scale.down.pods, periodSeconds: scale.down.period_seconds }],
      },
    },
  };
}

function serviceValues(app: AppModel, svc: ServiceModel, base: WorkloadBase): ServiceValues {
  const port = svc.port ?? 0;
  const metricsPort = svc.metrics?.port ?? port;
  const scale = svc.scale;
  return {
    ...base,
    type: svc.type,
    port,
    replicas: scale.min,
    network: {
      ...base.network,
      fromIngressController: svc.domains.length > 0,
      fromMonitoring: svc.metrics !== undefined,
    },
    strategy: { maxSurge: svc.rollout.max_surge, maxUnavailable: svc.rollout.max_unavailable },
    probes: serviceProbes(svc.health, port),
    terminationGracePeriodSeconds: seconds(svc.shutdown.grace),
    preStopSleepSeconds: seconds(svc.shutdown.drain),
    topologySpread: scale.max >= 2,
    dapr: { enabled: daprSidecar(app, svc), appId: svc.name, appPort: port, config: DAPR_CONFIG },
    autoscaling: autoscalingValues(scale),
    podDisruptionBudget: { enabled: scale.min >= 2, minAvailable: Math.max(1, scale.min - 1) },
    ingress: { hosts: [...svc.domains], path: svc.path, deniedPaths: exposedDeliveryRoutes(app, svc) },
    metrics: {
      enabled: svc.metrics !== undefined,
      path: svc.metrics?.path ?? "/metrics",
      port: metricsPort,
      interval: svc.metrics?.interval ?? "30s",
    },
    migrations: {
      enabled: svc.migrations !== undefined,
      command: kubernetesCommand(svc.migrations?.command),
      activeDeadlineSeconds: svc.migrations ? seconds(svc.migrations.timeout) : 0,
    },
    subscriptions: Object.entries(svc.subscribes).map(([topic, sub]) => ({
      name: `${svc.name}-${topic}`,
      topic,
      route: sub.route,
      deadLetterTopic: sub.dead_letter ? deadLetterTopic(topic) : "",
    })),
    eventRetries: Math.max(0, ...Object.values(svc.subscribes).map((s) => s.max_retries)),
  };
}

function staticValues(app: AppModel, svc: StaticModel, registry: string): ServiceValues {
  const h = DEFAULT_HEALTH;
  return {
    enabled: true,
    type: "static",
    // The site is built with this environment's env (build.yml builds an image per environment then).
    image: imageRepository(app.name, registry, svc, staticImageName(svc, app.environment.name)),
    tag: "",
    command: [],
    port: STATIC_PORT,
    replicas: 2,
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
    readOnlyRootFilesystem: true,
    config: {},
    secretEnv: [],
    composedEnv: [],
    network: {
      fromIngressController: svc.domains.length > 0,
      fromMonitoring: false,
      toInCluster: [],
      toExternalPorts: [],
      toDapr: false,
    },
    strategy: { maxSurge: 1, maxUnavailable: 0 },
    probes: { liveness: probe("/", h), readiness: probe("/", h), startup: probe("/", h, 6) },
    terminationGracePeriodSeconds: 30,
    preStopSleepSeconds: 5,
    topologySpread: true,
    dapr: { enabled: false, appId: svc.name, appPort: STATIC_PORT, config: DAPR_CONFIG },
    autoscaling: {
      enabled: false,
      minReplicas: 2,
      maxReplicas: 2,
      cpu: 80,
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 60,
          policies: [{ type: "Pods", value: 2, periodSeconds: 60 }],
        },
        scaleDown: {
          stabilizationWindowSeconds: 300,
          policies: [{ type: "Pods", value: 1, periodSeconds: 120 }],
        },
      },
    },
    podDisruptionBudget: { enabled: true, minAvailable: 1 },
    ingress: { hosts: [...svc.domains], path: svc.path, deniedPaths: [] },
    metrics: { enabled: false, path: "/metrics", port: STATIC_PORT, interval: "30s" },
    migrations: { enabled: false, command: [], activeDeadlineSeconds: 0 },
    subscriptions: [],
    eventRetries: 0,
  };
}
