// The resolved model of one environment: the spec with shorthands expanded, environment overrides
// merged and every default applied. Keys keep the spec's spelling so that `gantry validate --print`
// reads like the spec the user wrote. Renderers take these and nothing else.

export type Tier = "development" | "staging" | "production";
export type Size = "xs" | "s" | "m" | "l" | "xl";

export interface BuildModel {
  context: string;
  dockerfile: string;
  target?: string;
  args: Record<string, string>;
}

export interface HealthModel {
  liveness?: string;
  readiness?: string;
  startup?: string;
  interval: string;
  timeout: string;
  failure_threshold: number;
  initial_delay: string;
  startup_timeout: string;
}

export interface ResourcesModel {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

export interface ScalePolicyModel {
  window_seconds: number;
  pods: number;
  period_seconds: number;
}

export interface ScaleModel {
  min: number;
  max: number;
  cpu: number;
  memory?: number;
  up: ScalePolicyModel;
  down: ScalePolicyModel;
}

export interface SubscriptionModel {
  route: string;
  group: string;
  max_retries: number;
  dead_letter: boolean;
}

export interface CiModel {
  stack: "node" | "python" | "go" | "java" | "dotnet" | "ruby" | "other";
  working_directory: string;
  install?: string;
  lint?: string;
  typecheck?: string;
  test?: string;
  version?: string;
}

interface Common {
  name: string;
  description?: string;
  env: Record<string, string>;
  ci: CiModel;
}

/** Something that runs a container image: an HTTP service, a worker or a scheduled job. */
export interface WorkloadCommon extends Common {
  /** Exactly one of build and image is set. */
  build?: BuildModel;
  image?: string;
  command?: string;
  /** Builds from source for the local runtime (gantry up); runs in build.context. */
  build_command?: string;
  secrets: string[];
  resources: ResourcesModel;
  uses: string[];
  read_only_root: boolean;
}

export interface ServiceModel extends WorkloadCommon {
  type: "http" | "worker";
  /** Always set for http services; set for workers that receive events or serve metrics. */
  port?: number;
  health?: HealthModel;
  scale: ScaleModel;
  domains: string[];
  path: string;
  /** HTTP services: how long the local proxy waits for an answer to start (the other targets keep their own). */
  request_timeout?: string;
  metrics?: { path: string; port?: number; interval: string };
  subscribes: Record<string, SubscriptionModel>;
  migrations?: { command: string; timeout: string };
  shutdown: { drain: string; grace: string };
  rollout: { max_surge: number; max_unavailable: number };
}

export interface StaticModel extends Common {
  type: "static";
  static: string;
  install?: string;
  build?: string;
  output: string;
  spa: boolean;
  domains: string[];
  path: string;
}

export interface JobModel extends WorkloadCommon {
  type: "job";
  schedule: string;
  timezone: string;
  timeout: string;
  retries: number;
}

export type AnyServiceModel = ServiceModel | StaticModel | JobModel;

export interface PostgresModel {
  name: string;
  version: number;
  size: Size;
  storage_gb: number;
  ha: boolean;
  databases: string[];
  hosting: "managed" | "cluster";
  backups: { enabled: boolean; retention_days: number; pitr: boolean; geo_redundant: boolean };
  public_access: boolean;
}

export interface RedisModel {
  name: string;
  version: number;
  size: Size;
  persistence: "none" | "rdb" | "aof";
  tls: boolean;
  ha: boolean;
  eviction: string;
  hosting: "managed" | "cluster";
}

export interface TopicModel {
  name: string;
  partitions: number;
  retention: string;
  replication: number;
  idempotency?: { store: string; ttl: string };
  /** Services receiving this topic, by name (derived from their `subscribes`). */
  subscribers: string[];
  /** Services publishing to this topic (derived from their `uses`). */
  publishers: string[];
}

export interface LifecycleRuleModel {
  prefix: string;
  cool_after_days?: number;
  archive_after_days?: number;
  delete_after_days?: number;
}

export interface BucketModel {
  name: string;
  versioning: boolean;
  lifecycle: Record<string, LifecycleRuleModel>;
  cors_origins: string[];
}

export interface EmailModel {
  domain: string;
  senders: string[];
  dmarc: { policy: "none" | "quarantine" | "reject"; report_to: string };
}

export interface ChannelModel {
  type: "email" | "slack" | "teams" | "webhook";
  to: string[];
  webhook_secret?: string;
}

export type AlertMetric = "error_rate" | "latency_p95" | "cpu" | "memory" | "crash_loop" | "availability";

export interface AlertModel {
  metric: AlertMetric;
  above: number;
  for: string;
  severity: "info" | "warning" | "critical";
  services: string[];
  channels: string[];
}

export interface MonitoringModel {
  channels: Record<string, ChannelModel>;
  /** The SMTP relay of alert e-mails, where the platform sends none itself. */
  smtp?: { smarthost: string; from: string; username?: string };
  /** Enabled rules only. */
  alerts: Record<string, AlertModel>;
  availability: { enabled: boolean; interval: string; locations: number; failures: number };
  log_retention_days: number;
  sampling_percent: number;
  daily_cap_gb: number;
}

export interface CostAssumptions {
  hours_per_month: number;
  egress_gb: number;
  log_gb: number;
  requests_millions: number;
  storage_gb: number;
  registry_gb: number;
}

export interface DeployModel {
  on: "push" | "release" | "manual";
  branch: string;
  tag_pattern: string;
  approval: "none" | "required";
  slot: boolean;
}

export interface EnvironmentModel {
  name: string;
  tier: Tier;
  deploy: DeployModel;
  region?: string;
  namespace: string;
  resource_group: string;
}

export interface TargetsModel {
  kubernetes?: {
    provider: "doks" | "aks" | "eks" | "generic";
    registry?: string;
    ingress_class: string;
    tls_email?: string;
    tls_issuer: "letsencrypt-prod" | "letsencrypt-staging";
    image_pull_secret: string;
    secret_name: string;
  };
  azure?: { location: string; compute: "appservice" | "aks"; locks: boolean };
  aws?: { region: string; account_id?: string; availability_zones: number };
  digitalocean?: {
    region: string;
    kubernetes_version: string;
    node_size: string;
    kafka: "managed" | "external";
    cluster?: string;
    nodes: { min: number; max: number };
  };
}

/** The environment's recovery objectives (spec `recovery`, tier defaults filled in). */
export interface RecoveryModel {
  /** As written (or the tier's), for messages and docs: "15m". */
  rpo: string;
  rto: string;
  rpo_seconds: number;
  rto_seconds: number;
  /** When a drill runs: a cron expression or macro as written; undefined when `none`. */
  drill?: string;
  /** When a base backup is taken: a cron expression or macro as written. */
  base_backup: string;
  /** The second backup repository on S3-compatible storage. */
  offsite?: {
    endpoint: string;
    bucket: string;
    region: string;
    path: string;
    /** The CA bundle for the endpoint's certificate, as written (relative to the spec's folder). */
    ca_file?: string;
  };
}

export interface AppModel {
  name: string;
  description?: string;
  environment: EnvironmentModel;
  /** Every environment of the spec, in the order written. */
  environments: string[];
  services: Record<string, AnyServiceModel>;
  postgres: Record<string, PostgresModel>;
  redis: Record<string, RedisModel>;
  topics: Record<string, TopicModel>;
  buckets: Record<string, BucketModel>;
  email?: EmailModel;
  dns?: { zone: string; manage: boolean };
  monitoring: MonitoringModel;
  budget?: { monthly_usd: number; thresholds: number[]; notify: string[] };
  /** What `gantry cost` assumes of usage (read by src/cost only). */
  cost: { assumptions: CostAssumptions };
  recovery: RecoveryModel;
  tags: Record<string, string>;
  ci: {
    default_branch: string;
    repository?: string;
    image_scan: { severity: string[]; ignore_unfixed: boolean };
    deploy_timeout: string;
  };
  targets: TargetsModel;
}

/** The whole project: one resolved model per environment, in spec order. */
export interface ProjectModel {
  name: string;
  /** Directory of the spec file, relative paths in the spec are relative to it (not read by renderers). */
  environments: AppModel[];
  /** Findings `gantry check` lets pass (the spec's `checks.suppress`), in the order written. */
  suppressions?: SuppressionModel[];
}

export interface SuppressionModel {
  rule: string;
  reason: string;
  /** Only findings at this spec path or under it. */
  path?: string;
  /** Only findings in these environments. */
  environments?: string[];
}
