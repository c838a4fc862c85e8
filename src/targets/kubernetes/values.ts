// What the chart values of one environment hold, and the constants the values builder, the chart's
// templates and the object builders share. The values carry every per-environment fact; the chart's
// templates (templates*.ts) and the object builders (objects*.ts) turn the same values into the same
// Kubernetes objects, so `helm template -f values-<env>.yaml` and `rendered/<env>/` cannot drift.
// values-environment.ts builds them from one environment's model.

export interface ProbeValues {
  /** HTTP GET path; empty: a TCP check of the port. */
  path: string;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  initialDelaySeconds: number;
}

/** An env var read from a key of the app's Secret. */
export interface SecretEnv {
  name: string;
  key: string;
}

/** An env var Kubernetes composes from variables defined before it (`$(NAME)`; `$$` is a literal `$`). */
export interface ComposedEnv {
  name: string;
  value: string;
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
  /** Env vars composed from the ones above them (after secretEnv, so that they can refer to it). */
  composedEnv: ComposedEnv[];
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
  /** `deniedPaths`: paths under `path` the ingress refuses (delivery routes Dapr calls inside the cluster). */
  ingress: { hosts: string[]; path: string; deniedPaths: string[] };
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
  /** postgres: every database of the server, created when missing (objects-datastores.ts); redis: none. */
  databases: string[];
  user: string;
  args: string[];
  clients: string[];
  /** PostgreSQL: its scheduled dumps to a volume of their own (objects-backup.ts). */
  backup?: BackupValues;
}

export interface BackupValues {
  /** 5-field cron (UTC): often enough to meet the environment's RPO. */
  schedule: string;
  /** Days a dump is kept (postgres.<name>.backups.retention_days). */
  keepDays: number;
  /** Size of the backup volume. */
  storage: string;
  /** Every database of the server, dumped one by one. */
  databases: string[];
  /** The second copy on S3-compatible storage (`recovery.offsite`): where each dump is copied to. */
  offsite?: { endpoint: string; region: string; url: string };
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
  /** The spec's metric: a critical alert silences the warnings of the same metric (Alertmanager's inhibit rule). */
  metric: string;
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
/** Requests and limits of the Dapr sidecar (pod annotations; counted in the namespace quota). */
export const DAPR_SIDECAR: Resources = {
  requests: { cpu: "50m", memory: "64Mi" },
  limits: { cpu: "300m", memory: "256Mi" },
};
export const DAPR_CONFIG = "dapr-config";

/** The groups of values whose items the chart switches on and off per environment. */
export const ITEM_GROUPS = ["services", "datastores", "dapr"] as const;
type ItemGroup = (typeof ITEM_GROUPS)[number];

/**
 * Every service, data store and Dapr component of the chart: those of any environment (an environment
 * may remove one with `null`), in the order they first appear.
 */
export type ChartItems = Record<ItemGroup, string[]>;

export function chartItems(values: readonly ChartValues[]): ChartItems {
  const union = (group: ItemGroup) => [...new Set(values.flatMap((v) => Object.keys(v[group])))];
  return { services: union("services"), datastores: union("datastores"), dapr: union("dapr") };
}
