// One environment's model → the chart values of that environment. The values carry every
// per-environment fact; the chart's templates and `objects.ts` turn the same values into the same
// Kubernetes objects, so `helm template -f values-<env>.yaml` and `rendered/<env>/` cannot drift.
import { seconds } from "../../spec/cross-checks.js";
import { KUBERNETES_SIZES } from "./sizes.js";
import type {
  AppModel,
  HealthModel,
  JobModel,
  PostgresModel,
  RedisModel,
  ServiceModel,
  StaticModel,
} from "../../model/types.js";
import { connectionKeys, imageRepository, imageTag, kubernetesSettings } from "./settings.js";

export interface ProbeValues {
  /** HTTP GET path; empty: a TCP check of the port. */
  path: string;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  initialDelaySeconds: number;
}

export interface SecretEnv {
  name: string;
  key: string;
}

export interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

export interface AutoscalingValues {
  enabled: boolean;
  minReplicas: number;
  maxReplicas: number;
  cpu: number;
  memory?: number;
  behavior: {
    scaleUp: {
      stabilizationWindowSeconds: number;
      policies: { type: "Pods"; value: number; periodSeconds: number }[];
    };
    scaleDown: {
      stabilizationWindowSeconds: number;
      policies: { type: "Pods"; value: number; periodSeconds: number }[];
    };
  };
}

/** Who may connect to a workload, and where it may connect to. */
export interface NetworkValues {
  /** Ingress controller → this port (services with domains). */
  fromIngressController: boolean;
  /** Prometheus → the metrics port. */
  fromMonitoring: boolean;
  /** In-cluster data stores this workload uses: the pod name labels and ports it reaches. */
  toInCluster: { name: string; port: number }[];
  /** Ports it reaches outside the cluster (managed databases, Kafka, HTTPS APIs). */
  toExternalPorts: number[];
  /** Dapr sidecar → the Dapr control plane. */
  toDapr: boolean;
}

export interface WorkloadValues {
  enabled: boolean;
  type: "http" | "worker" | "static" | "job";
  image: string;
  /** The service's own image tag; empty: global.imageTag. */
  tag: string;
  command: string[];
  port: number;
  replicas: number;
  resources: Resources;
  readOnlyRootFilesystem: boolean;
  /** ConfigMap data (plain settings, never secrets). */
  config: Record<string, string>;
  /** Env vars read from the app's Secret. */
  secretEnv: SecretEnv[];
  network: NetworkValues;
}

export interface ServiceValues extends WorkloadValues {
  type: "http" | "worker" | "static";
  strategy: { maxSurge: number; maxUnavailable: number };
  probes: { liveness?: ProbeValues; readiness?: ProbeValues; startup?: ProbeValues };
  terminationGracePeriodSeconds: number;
  preStopSleepSeconds: number;
  topologySpread: boolean;
  dapr: { enabled: boolean; appId: string; appPort: number; config: string };
  autoscaling: AutoscalingValues;
  podDisruptionBudget: { enabled: boolean; minAvailable: number };
  ingress: { hosts: string[]; path: string };
  metrics: { enabled: boolean; path: string; port: number; interval: string };
  /** Helm pre-install/pre-upgrade hook; `enabled: false` when the service has none. */
  migrations: { enabled: boolean; command: string[]; activeDeadlineSeconds: number };
  subscriptions: { name: string; topic: string; route: string; deadLetterTopic: string }[];
  /** Redeliveries of an event the service failed to handle (the most its subscriptions ask for), before the dead-letter topic. */
  eventRetries: number;
}

export interface JobValues extends WorkloadValues {
  type: "job";
  schedule: string;
  timeZone: string;
  activeDeadlineSeconds: number;
  backoffLimit: number;
}

export interface DataStoreValues {
  enabled: boolean;
  engine: "postgres" | "redis";
  image: string;
  port: number;
  storage: string;
  resources: Resources;
  /** Secret key holding the password. */
  passwordKey: string;
  /** postgres: the first database and the user; redis: the persistence flags. */
  database: string;
  user: string;
  args: string[];
  clients: string[];
}

export interface DaprComponentValues {
  enabled: boolean;
  name: string;
  type: string;
  metadata: (
    { name: string; value: string } | { name: string; secretKeyRef: { name: string; key: string } }
  )[];
  scopes: string[];
}

export interface AlertRuleValues {
  alert: string;
  expr: string;
  for: string;
  severity: string;
  summary: string;
}

export interface ChartValues {
  global: {
    app: string;
    environment: string;
    imageTag: string;
    imagePullSecrets: string[];
    secretName: string;
    runAsUser: number;
    ingress: { className: string; clusterIssuer: string; controllerNamespace: string };
    monitoringNamespace: string;
    daprNamespace: string;
  };
  services: Record<string, ServiceValues | JobValues>;
  datastores: Record<string, DataStoreValues>;
  dapr: Record<string, DaprComponentValues>;
  alerts: { enabled: boolean; rules: AlertRuleValues[] };
}

export const RUN_AS_USER = 10001;
/** The chart's appVersion, and the image tag until CI sets global.imageTag (sha-<commit>). */
export const DEFAULT_IMAGE_TAG = "0.1.0";
/** Probe timing when the spec gives none (static servers, services probed on their port). */
const DEFAULT_HEALTH: HealthModel = {
  interval: "10s",
  timeout: "3s",
  failure_threshold: 3,
  initial_delay: "0s",
  startup_timeout: "60s",
};
/** Port the static-file server (nginx-unprivileged) listens on. */
export const STATIC_PORT = 8080;
export const PUBSUB_NAME = "pubsub";
/** Requests and limits of the Dapr sidecar (pod annotations; counted in the namespace quota). */
export const DAPR_SIDECAR: Resources = {
  requests: { cpu: "50m", memory: "64Mi" },
  limits: { cpu: "300m", memory: "256Mi" },
};
export const DAPR_CONFIG = "dapr-config";
const POSTGRES_PORT = 5432;
const REDIS_PORT = 6379;

/**
 * Ports the managed databases of each provider listen on, for egress rules: DigitalOcean's managed
 * PostgreSQL and Redis use 25060 and 25061; Azure Cache for Redis takes TLS on 6380.
 */
export function managedPorts(provider: string, kind: "postgres" | "redis", tls: boolean): number[] {
  if (provider === "doks") return [kind === "postgres" ? 25060 : 25061];
  if (kind === "postgres") return [POSTGRES_PORT];
  if (provider === "aks") return [tls ? 6380 : REDIS_PORT];
  return [REDIS_PORT];
}
const HTTPS_PORT = 443;
const KAFKA_PORTS = [9092, 9093];

/** Kubernetes `command` from a spec command: words as a shell would split them, $VAR as $(VAR). */
export function commandArgs(command: string | undefined): string[] {
  if (!command) return [];
  // Shell syntax that only a shell can run: hand the whole line to sh.
  if (/[|&;<>`]|\$\(/.test(command)) return ["/bin/sh", "-c", command];
  const words: string[] = [];
  let cur = "";
  let quote: "'" | '"' | undefined;
  let has = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < command.length) cur += command[++i] ?? "";
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (/\s/.test(c)) {
      if (cur || has) words.push(cur);
      cur = "";
      has = false;
    } else if (c === "\\" && i + 1 < command.length) cur += command[++i] ?? "";
    else cur += c;
  }
  if (cur || has) words.push(cur);
  return words.map((w) =>
    w.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (_m, a?: string, b?: string) => `$(${a ?? b ?? ""})`,
    ),
  );
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

export function pgServiceName(name: string): string {
  return `postgres-${name}`;
}
export function redisServiceName(name: string): string {
  return `redis-${name}`;
}

/** The values of one environment. */
export function buildValues(app: AppModel): ChartValues {
  const k8s = kubernetesSettings(app);
  const keys = connectionKeys(app);
  const services: ChartValues["services"] = {};
  const inCluster = (name: string): { name: string; port: number } | undefined => {
    const pg = app.postgres[name];
    if (pg?.hosting === "cluster") return { name: pgServiceName(name), port: POSTGRES_PORT };
    const r = app.redis[name];
    if (r?.hosting === "cluster") return { name: redisServiceName(name), port: REDIS_PORT };
    return undefined;
  };

  const topicNames = Object.keys(app.topics);
  const daprApps = new Set<string>();
  for (const t of Object.values(app.topics))
    for (const s of [...t.subscribers, ...t.publishers]) daprApps.add(s);

  for (const svc of Object.values(app.services)) {
    if (svc.type === "static") {
      services[svc.name] = staticValues(app, svc, k8s.registry);
      continue;
    }
    // What the workload connects to.
    // Secret keys read as env vars of the same name: the spec's secrets and the connection keys.
    const secretKeys = new Set(svc.secrets);
    const config: Record<string, string> = { ...svc.env };
    const toInCluster: { name: string; port: number }[] = [];
    const external = new Set<number>([HTTPS_PORT]);
    let usesTopics = false;
    for (const u of effectiveUses(app, svc, keys.byStore)) {
      const key = keys.byStore[u];
      if (key) secretKeys.add(key);
      const local = inCluster(u);
      if (local) toInCluster.push(local);
      else if (app.postgres[u]) for (const p of managedPorts(k8s.provider, "postgres", true)) external.add(p);
      else if (app.redis[u])
        for (const p of managedPorts(k8s.provider, "redis", app.redis[u].tls)) external.add(p);
      if (u === "email" && keys.email) secretKeys.add(keys.email);
      if (topicNames.includes(u)) usesTopics = true;
    }
    const dapr = daprApps.has(svc.name);
    if (usesTopics || (svc.type !== "job" && Object.keys(svc.subscribes).length > 0)) {
      config.DAPR_PUBSUB_NAME = PUBSUB_NAME;
      for (const p of KAFKA_PORTS) external.add(p);
    }
    const network: NetworkValues = {
      fromIngressController: false,
      fromMonitoring: false,
      toInCluster: toInCluster.sort((a, b) => (a.name < b.name ? -1 : 1)),
      toExternalPorts: [...external].sort((a, b) => a - b),
      toDapr: dapr,
    };
    const common = {
      enabled: true,
      image: imageRepository(app.name, k8s.registry, svc),
      tag: imageTag(svc) ?? "",
      command: commandArgs(svc.command),
      resources: svc.resources,
      readOnlyRootFilesystem: svc.read_only_root,
      secretEnv: [...secretKeys].sort().map((name) => ({ name, key: name })),
    };

    if (svc.type === "job") {
      services[svc.name] = {
        ...common,
        type: "job",
        port: 0,
        replicas: 1,
        config: sortedRecord(config),
        network,
        schedule: svc.schedule,
        timeZone: svc.timezone,
        activeDeadlineSeconds: seconds(svc.timeout),
        backoffLimit: svc.retries,
      } satisfies JobValues;
      continue;
    }
    services[svc.name] = serviceValues(svc, common, config, network, dapr);
  }

  const datastores: ChartValues["datastores"] = {};
  const clientsOf = (store: string) =>
    Object.values(app.services)
      .filter((s) => s.type !== "static" && effectiveUses(app, s, keys.byStore).includes(store))
      .map((s) => s.name)
      .sort();
  for (const pg of Object.values(app.postgres))
    datastores[pgServiceName(pg.name)] = postgresValues(
      app,
      pg,
      keys.passwords[pg.name]!,
      clientsOf(pg.name),
    );
  for (const r of Object.values(app.redis))
    datastores[redisServiceName(r.name)] = redisValues(r, keys.passwords[r.name]!, clientsOf(r.name));

  return {
    global: {
      app: app.name,
      environment: app.environment.name,
      imageTag: DEFAULT_IMAGE_TAG,
      imagePullSecrets: [k8s.image_pull_secret],
      secretName: k8s.secret_name,
      runAsUser: RUN_AS_USER,
      ingress: {
        className: k8s.ingress_class,
        clusterIssuer: clusterIssuer(app),
        controllerNamespace: "ingress-nginx",
      },
      monitoringNamespace: "monitoring",
      daprNamespace: "dapr-system",
    },
    services,
    datastores,
    dapr: daprComponents(app, k8s.secret_name, keys),
    alerts: alertValues(app, services),
  };
}

/**
 * What a workload connects to: its `uses`, the data stores whose connection key it names as a secret
 * (`secrets: [DATABASE_URL]` reaches the one PostgreSQL), and the idempotency stores of the topics it
 * receives (its Dapr sidecar writes there).
 */
export function effectiveUses(
  app: AppModel,
  svc: ServiceModel | JobModel,
  byStore: Record<string, string>,
): string[] {
  const out = new Set(svc.uses);
  for (const [store, key] of Object.entries(byStore)) if (svc.secrets.includes(key)) out.add(store);
  if (svc.type !== "job") {
    for (const topic of Object.keys(svc.subscribes)) {
      const store = app.topics[topic]?.idempotency?.store;
      if (store) out.add(store);
    }
  }
  return [...out].sort();
}

function sortedRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(r)
      .sort()
      .map((k) => [k, r[k]!]),
  );
}

/** Production environments get the production Let's Encrypt issuer; the others the staging one. */
export function clusterIssuer(app: AppModel): string {
  return app.environment.tier === "production" ? "letsencrypt-prod" : "letsencrypt-staging";
}

function serviceValues(
  svc: ServiceModel,
  common: Pick<
    WorkloadValues,
    "enabled" | "image" | "tag" | "command" | "resources" | "readOnlyRootFilesystem" | "secretEnv"
  >,
  config: Record<string, string>,
  network: NetworkValues,
  dapr: boolean,
): ServiceValues {
  const port = svc.port ?? 0;
  if (port) config.PORT = String(port);
  const h = svc.health;
  const probes: ServiceValues["probes"] = {};
  if (h && port) {
    if (h.liveness) probes.liveness = probe(h.liveness, h);
    if (h.readiness) probes.readiness = probe(h.readiness, h);
    const startPath = h.startup ?? h.liveness ?? h.readiness;
    if (startPath)
      probes.startup = probe(
        startPath,
        h,
        Math.max(1, Math.ceil(seconds(h.startup_timeout) / seconds(h.interval))),
      );
  } // Without a health path, a service that listens is probed on its port: open means alive and ready.
  if (port) {
    const d = DEFAULT_HEALTH;
    probes.liveness ??= probe("", h ?? d);
    probes.readiness ??= probe("", h ?? d);
    probes.startup ??= probe(
      "",
      h ?? d,
      Math.max(1, Math.ceil(seconds((h ?? d).startup_timeout) / seconds((h ?? d).interval))),
    );
  }

  const metricsPort = svc.metrics?.port ?? port;
  const scale = svc.scale;
  return {
    ...common,
    type: svc.type,
    port,
    replicas: scale.min,
    config: sortedRecord(config),
    network: {
      ...network,
      fromIngressController: svc.domains.length > 0,
      fromMonitoring: svc.metrics !== undefined,
    },
    strategy: { maxSurge: svc.rollout.max_surge, maxUnavailable: svc.rollout.max_unavailable },
    probes,
    terminationGracePeriodSeconds: seconds(svc.shutdown.grace),
    preStopSleepSeconds: seconds(svc.shutdown.drain),
    topologySpread: scale.max >= 2,
    dapr: { enabled: dapr, appId: svc.name, appPort: port, config: DAPR_CONFIG },
    autoscaling: {
      enabled: scale.max > scale.min,
      minReplicas: scale.min,
      maxReplicas: scale.max,
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
    },
    podDisruptionBudget: { enabled: scale.min >= 2, minAvailable: Math.max(1, scale.min - 1) },
    ingress: { hosts: [...svc.domains], path: svc.path },
    metrics: {
      enabled: svc.metrics !== undefined,
      path: svc.metrics?.path ?? "/metrics",
      port: metricsPort,
      interval: svc.metrics?.interval ?? "30s",
    },
    migrations: {
      enabled: svc.migrations !== undefined,
      command: commandArgs(svc.migrations?.command),
      activeDeadlineSeconds: svc.migrations ? seconds(svc.migrations.timeout) : 0,
    },
    subscriptions: Object.entries(svc.subscribes).map(([topic, sub]) => ({
      name: `${svc.name}-${topic}`,
      topic,
      route: sub.route,
      deadLetterTopic: sub.dead_letter ? `${topic}-dead-letter` : "",
    })),
    eventRetries: Math.max(0, ...Object.values(svc.subscribes).map((s) => s.max_retries)),
  };
}

function staticValues(app: AppModel, svc: StaticModel, registry: string): ServiceValues {
  const h = DEFAULT_HEALTH;
  return {
    enabled: true,
    type: "static",
    image: imageRepository(app.name, registry, svc),
    tag: "",
    command: [],
    port: STATIC_PORT,
    replicas: 2,
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
    readOnlyRootFilesystem: true,
    config: {},
    secretEnv: [],
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
    ingress: { hosts: [...svc.domains], path: svc.path },
    metrics: { enabled: false, path: "/metrics", port: STATIC_PORT, interval: "30s" },
    migrations: { enabled: false, command: [], activeDeadlineSeconds: 0 },
    subscriptions: [],
    eventRetries: 0,
  };
}

function postgresValues(
  app: AppModel,
  pg: PostgresModel,
  passwordKey: string,
  clients: string[],
): DataStoreValues {
  const size = KUBERNETES_SIZES[pg.size];
  return {
    enabled: pg.hosting === "cluster",
    engine: "postgres",
    image: `postgres:${pg.version}-alpine`,
    port: POSTGRES_PORT,
    storage: `${pg.storage_gb}Gi`,
    resources: { requests: { ...size }, limits: { ...size } },
    passwordKey,
    database: pg.databases[0] ?? pg.name.replace(/-/g, "_"),
    user: app.name.replace(/-/g, "_"),
    args: [],
    clients,
  };
}

function redisValues(r: RedisModel, passwordKey: string, clients: string[]): DataStoreValues {
  const size = KUBERNETES_SIZES[r.size];
  const args = ["--requirepass", "$(REDIS_PASSWORD)", "--maxmemory-policy", r.eviction];
  if (r.persistence === "aof") args.push("--appendonly", "yes");
  else args.push("--appendonly", "no");
  if (r.persistence === "none") args.push("--save", "");
  return {
    enabled: r.hosting === "cluster",
    engine: "redis",
    image: `redis:${r.version}-alpine`,
    port: REDIS_PORT,
    storage: "8Gi",
    resources: { requests: { ...size }, limits: { ...size } },
    passwordKey,
    database: "",
    user: "",
    args,
    clients,
  };
}

function daprComponents(
  app: AppModel,
  secretName: string,
  keys: ReturnType<typeof connectionKeys>,
): ChartValues["dapr"] {
  const out: ChartValues["dapr"] = {};
  const topics = Object.values(app.topics);
  if (topics.length === 0) return out;
  const ref = (key: string) => ({ secretKeyRef: { name: secretName, key } });
  const scopes = [...new Set(topics.flatMap((t) => [...t.subscribers, ...t.publishers]))].sort();
  out[PUBSUB_NAME] = {
    enabled: true,
    name: PUBSUB_NAME,
    type: "pubsub.kafka",
    metadata: [
      { name: "brokers", ...ref(keys.kafka.brokers) },
      { name: "authType", value: "password" },
      { name: "saslUsername", ...ref(keys.kafka.username) },
      { name: "saslPassword", ...ref(keys.kafka.password) },
      { name: "saslMechanism", value: "SHA-256" },
      { name: "disableTls", value: "false" },
      { name: "consumerGroup", value: "{appID}" },
      { name: "initialOffset", value: "oldest" },
    ],
    scopes,
  };
  // One state store per store named by a topic's idempotency, used by that topic's subscribers.
  const stores = new Map<string, Set<string>>();
  for (const t of topics) {
    if (!t.idempotency) continue;
    const set = stores.get(t.idempotency.store) ?? new Set<string>();
    for (const s of t.subscribers) set.add(s);
    stores.set(t.idempotency.store, set);
  }
  for (const store of [...stores.keys()].sort()) {
    const name = `idempotency-${store}`;
    const storeScopes = [...stores.get(store)!].sort();
    if (app.postgres[store]) {
      out[name] = {
        enabled: true,
        name,
        type: "state.postgresql",
        metadata: [
          { name: "connectionString", ...ref(keys.byStore[store]!) },
          { name: "tableName", value: "dapr_idempotency" },
        ],
        scopes: storeScopes,
      };
    } else if (app.redis[store]) {
      out[name] = {
        enabled: true,
        name,
        type: "state.redis",
        metadata: [
          { name: "redisHost", ...ref(keys.redisHost[store]!) },
          { name: "redisPassword", ...ref(keys.passwords[store]!) },
          {
            name: "enableTLS",
            value: String(app.redis[store].tls && app.redis[store].hosting !== "cluster"),
          },
        ],
        scopes: storeScopes,
      };
    }
  }
  return out;
}

/** high-error-rate → HighErrorRate, as Prometheus alert names are written. */
function alertName(rule: string): string {
  return rule
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
}

/** The PrometheusRule rules. `{{ .Release.Namespace }}` is filled in by `tpl` in the chart and by the renderer. */
function alertValues(app: AppModel, services: ChartValues["services"]): ChartValues["alerts"] {
  const ns = "{{ .Release.Namespace }}";
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
    const re = (list: string[]) => list.join("|");
    let expr: string | undefined;
    let summary = "";
    switch (a.metric) {
      case "error_rate":
        if (!web.length) break;
        expr = `100 * sum by (exported_service) (rate(nginx_ingress_controller_requests{exported_namespace="${ns}",exported_service=~"${re(web)}",status=~"5.."}[5m])) / sum by (exported_service) (rate(nginx_ingress_controller_requests{exported_namespace="${ns}",exported_service=~"${re(web)}"}[5m])) > ${a.above}`;
        summary = `More than ${a.above}% of requests to {{ $labels.exported_service }} fail with 5xx.`;
        break;
      case "latency_p95":
        if (!web.length) break;
        expr = `1000 * histogram_quantile(0.95, sum by (le, exported_service) (rate(nginx_ingress_controller_request_duration_seconds_bucket{exported_namespace="${ns}",exported_service=~"${re(web)}"}[5m]))) > ${a.above}`;
        summary = `95th percentile latency of {{ $labels.exported_service }} is above ${a.above} ms.`;
        break;
      case "cpu":
        expr = `100 * sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="${ns}",container=~"${re(targets)}"}[5m])) / sum by (pod) (kube_pod_container_resource_limits{namespace="${ns}",container=~"${re(targets)}",resource="cpu"}) > ${a.above}`;
        summary = `{{ $labels.pod }} uses more than ${a.above}% of its CPU limit.`;
        break;
      case "memory":
        expr = `100 * sum by (pod) (container_memory_working_set_bytes{namespace="${ns}",container=~"${re(targets)}"}) / sum by (pod) (kube_pod_container_resource_limits{namespace="${ns}",container=~"${re(targets)}",resource="memory"}) > ${a.above}`;
        summary = `{{ $labels.pod }} uses more than ${a.above}% of its memory limit.`;
        break;
      case "crash_loop":
        expr = `60 * rate(kube_pod_container_status_restarts_total{namespace="${ns}",container=~"${re(targets)}"}[5m]) > ${a.above}`;
        summary = `{{ $labels.pod }} restarts more than ${a.above} times a minute.`;
        break;
      case "availability":
        expr = `100 * (1 - avg by (service) (avg_over_time(up{namespace="${ns}",service=~"${re(targets)}"}[5m]))) > ${a.above}`;
        summary = `{{ $labels.service }} was unreachable for more than ${a.above}% of scrapes.`;
        break;
    }
    if (!expr) continue;
    rules.push({ alert: alertName(name), expr, for: a.for, severity: a.severity, summary });
  }
  return { enabled: rules.length > 0, rules };
}
