// The Gantry spec: the single source of truth for validation, the published JSON Schema
// (schema/gantry.schema.json) and the field reference (docs/spec.md). Every description here is read
// by people in their editor and in the docs, so it says what the field does, not how it is stored.
import {
  Bool,
  CPU_PATTERN,
  DURATION_PATTERN,
  EMAIL_PATTERN,
  ENV_VAR_PATTERN,
  Enum,
  HOSTNAME_PATTERN,
  Int,
  List,
  MEMORY_PATTERN,
  MapOf,
  NAME_PATTERN,
  Num,
  Obj,
  OneOf,
  PATH_PATTERN,
  SECRET_NAME_PATTERN,
  Str,
  Type,
  type Static,
} from "./schema-kit.js";

const nameKey = {
  keyPattern: NAME_PATTERN,
  keyExpected: "a lower-case name (a-z, 0-9, '-'), at most 40 characters",
};

const Duration = (description: string, dflt?: string) =>
  Str({
    description,
    pattern: DURATION_PATTERN,
    "x-expected": "a duration such as 30s, 5m, 1h or 7d",
    "x-hint": "a number followed by s, m, h or d, with no space",
    ...(dflt ? { default: dflt } : {}),
  });

const Percent = (description: string, dflt?: number) =>
  Int({
    description,
    minimum: 1,
    maximum: 100,
    "x-expected": "a percentage from 1 to 100",
    ...(dflt ? { default: dflt } : {}),
  });

const Path = (description: string, dflt?: string) =>
  Str({
    description,
    pattern: PATH_PATTERN,
    "x-expected": "a URL path starting with /",
    ...(dflt ? { default: dflt } : {}),
  });

const Hostname = Str({
  description: "A fully qualified host name, such as api.example.com.",
  pattern: HOSTNAME_PATTERN,
  "x-expected": "a lower-case host name such as api.example.com",
});

const SecretName = Str({
  description:
    "The name of a secret. Only the name lives in the spec; the value lives in a vault or in Gantry's encrypted store.",
  pattern: SECRET_NAME_PATTERN,
  "x-expected": "an upper-case secret name such as JWT_SECRET",
});

const Size = Enum(["xs", "s", "m", "l", "xl"], {
  description:
    "A size class that each target maps to its own SKU (see docs/spec.md, 'Sizes'): xs for development, s and m for small production, l and xl for heavy load.",
});

// ---------------------------------------------------------------------------------------------
// Services

const Health = Obj(
  {
    liveness: Path(
      "Path answered with 2xx while the process is alive. A failing liveness check restarts the instance.",
    ),
    readiness: Path(
      "Path answered with 2xx when the instance can take traffic. Until then it gets no requests.",
    ),
    startup: Path("Path checked while the instance starts; liveness checks begin only after it succeeds."),
    interval: Duration("Time between checks.", "10s"),
    timeout: Duration("Time a check may take before it counts as failed.", "3s"),
    failure_threshold: Int({
      description: "Failed checks in a row before the instance counts as unhealthy.",
      minimum: 1,
      maximum: 30,
      default: 3,
    }),
    initial_delay: Duration("Time after start before the first check.", "0s"),
    startup_timeout: Duration(
      "How long the startup check may keep failing before the instance is restarted.",
      "60s",
    ),
  },
  { description: "Health checks. A string is short for the same path for liveness, readiness and startup." },
);

const Resources = Obj(
  {
    requests: Obj(
      {
        cpu: Str({
          description: "CPU reserved for each instance, in cores (0.5) or millicores (500m).",
          pattern: CPU_PATTERN,
          "x-expected": "a CPU amount such as 250m or 0.5",
          default: "100m",
        }),
        memory: Str({
          description: "Memory reserved for each instance (128Mi, 1Gi).",
          pattern: MEMORY_PATTERN,
          "x-expected": "a memory amount such as 256Mi or 1Gi",
          default: "128Mi",
        }),
      },
      { description: "What each instance is guaranteed.", default: {} },
    ),
    limits: Obj(
      {
        cpu: Str({
          description: "CPU each instance may use at most.",
          pattern: CPU_PATTERN,
          "x-expected": "a CPU amount such as 500m or 1",
          default: "500m",
        }),
        memory: Str({
          description: "Memory each instance may use at most; above it the instance is restarted.",
          pattern: MEMORY_PATTERN,
          "x-expected": "a memory amount such as 512Mi or 1Gi",
          default: "512Mi",
        }),
      },
      { description: "The most each instance may use.", default: {} },
    ),
  },
  { description: "CPU and memory per instance." },
);

const ScalePolicy = (what: string, window: number, pods: number, period: number) =>
  Obj(
    {
      window_seconds: Int({
        description: `Stabilization window before scaling ${what}.`,
        minimum: 0,
        maximum: 3600,
        default: window,
      }),
      pods: Int({
        description: `At most this many instances are added or removed per period when scaling ${what}.`,
        minimum: 1,
        maximum: 100,
        default: pods,
      }),
      period_seconds: Int({
        description: "The period for `pods`.",
        minimum: 1,
        maximum: 1800,
        default: period,
      }),
    },
    { description: `How fast to scale ${what}.`, default: {} },
  );

const Scale = Obj(
  {
    min: Int({ description: "Fewest instances.", minimum: 0, maximum: 1000, default: 1 }),
    max: Int({
      description: "Most instances. Autoscaling is on when max is greater than min.",
      minimum: 1,
      maximum: 1000,
    }),
    cpu: Percent("Target average CPU utilization, in percent of the CPU request, for autoscaling.", 70),
    memory: Percent("Target average memory utilization, in percent of the memory request, for autoscaling."),
    up: ScalePolicy("up", 60, 2, 60),
    down: ScalePolicy("down", 300, 1, 120),
  },
  { description: "Instance count and autoscaling. A number is short for a fixed count (min = max)." },
);

const Metrics = Obj(
  {
    path: Path("Path serving Prometheus metrics.", "/metrics"),
    port: Int({
      description: "Port serving metrics, when it is not the service port.",
      minimum: 1,
      maximum: 65535,
    }),
    interval: Duration("Scrape interval.", "30s"),
  },
  { description: "Prometheus metrics endpoint. A string is short for the path." },
);

const Subscription = Obj(
  {
    route: Path(
      "Path on this service that receives the topic's events (POST, CloudEvents JSON). Default: /events/<topic>.",
    ),
    group: Str({
      description: "Consumer group. Default: the service name, so each service gets every event once.",
      pattern: NAME_PATTERN,
      "x-expected": "a lower-case name",
    }),
    max_retries: Int({
      description: "Deliveries of one event before it goes to the dead-letter topic.",
      minimum: 0,
      maximum: 100,
      default: 5,
    }),
    dead_letter: Bool({
      description: "Send events that keep failing to `<topic>-dlq` instead of dropping them.",
      default: true,
    }),
  },
  { description: "How this service receives one topic." },
);

const BuildObject = Obj(
  {
    context: Str({ description: "Build context directory, relative to the spec file.", minLength: 1 }),
    dockerfile: Str({
      description: "Dockerfile, relative to the context.",
      minLength: 1,
      default: "Dockerfile",
    }),
    target: Str({ description: "Build stage to stop at.", minLength: 1 }),
    args: MapOf(Str({ description: "Build argument value (never a secret).", maxLength: 1000 }), {
      description: "Docker build arguments.",
      keyPattern: ENV_VAR_PATTERN,
      keyExpected: "a build argument name",
    }),
  },
  { description: "How to build the container image." },
);

const Build = OneOf(
  Str({
    description: "The build context directory; for a static frontend, the build command.",
    minLength: 1,
  }),
  BuildObject,
  {
    description:
      "For services, workers and jobs: the image build context (a directory, or an object with context, dockerfile, target, args). For a static frontend: the command that builds it (npm run build).",
  },
);

const Ci = Obj(
  {
    stack: Enum(["node", "python", "go", "java", "dotnet", "ruby", "other"], {
      description:
        "Language stack; picks default commands and setup actions. Default: detected from the command.",
    }),
    working_directory: Str({
      description: "Directory the commands run in. Default: the build context or static source.",
      minLength: 1,
    }),
    install: Str({
      description: "Install dependencies (npm ci, pip install -r requirements.txt).",
      minLength: 1,
    }),
    lint: Str({ description: "Lint command.", minLength: 1 }),
    typecheck: Str({ description: "Type-check command.", minLength: 1 }),
    test: Str({ description: "Test command.", minLength: 1 }),
    version: Str({ description: "Language version for the setup action (20, 3.12).", minLength: 1 }),
  },
  { description: "Pull-request checks for this service." },
);

const Migrations = Obj(
  {
    command: Str({
      description: "Command that migrates the database, run with this service's image and settings.",
      minLength: 1,
    }),
    timeout: Duration("How long migrations may take.", "10m"),
  },
  { description: "Database migrations run before each rollout. A string is short for the command." },
);

const Shutdown = Obj(
  {
    drain: Duration(
      "Time an instance keeps serving after it is told to stop, so load balancers stop sending it traffic (preStop).",
      "10s",
    ),
    grace: Duration("Time after the stop signal before the instance is killed; longer than drain.", "30s"),
  },
  { description: "How an instance stops." },
);

const Rollout = Obj(
  {
    max_surge: Int({
      description: "Extra instances started during a rollout.",
      minimum: 0,
      maximum: 100,
      default: 1,
    }),
    max_unavailable: Int({
      description: "Instances that may be down during a rollout. 0 means zero downtime.",
      minimum: 0,
      maximum: 100,
      default: 0,
    }),
  },
  { description: "Rolling update settings." },
);

export const ServiceSchema = Obj(
  {
    type: Enum(["http", "worker", "static", "job"], {
      description:
        "What kind of service this is. Default: `static` when `static` is set, `job` when `schedule` is set, `http` when `port` or a domain is set, else `worker`.",
    }),
    description: Str({ description: "What the service does.", maxLength: 500 }),
    build: Build,
    image: Str({
      description: "A prebuilt image to run instead of building one (repository:tag).",
      minLength: 1,
      pattern: "^[a-z0-9][a-z0-9._/:@-]*$",
      "x-expected": "an image reference such as nginx:1.27",
    }),
    command: Str({
      description: "The command that starts the process. `$PORT` is the port it must listen on.",
      minLength: 1,
    }),
    build_command: Str({
      description:
        "Command that builds the service from source when it runs without containers (`gantry up`), run in the build context.",
      minLength: 1,
    }),
    port: Int({
      description: "Port the service listens on (HTTP services).",
      minimum: 1,
      maximum: 65535,
      "x-expected": "a port from 1 to 65535",
    }),
    health: OneOf(Path("Path used for liveness, readiness and startup."), Health, {
      description: "Health checks. A string is short for one path for all checks.",
    }),
    env: MapOf(
      OneOf(
        Type.String({ description: "Value." }),
        Type.Union([Type.Number(), Type.Boolean()], { description: "Value." }),
        { description: "Value (never a secret)." },
      ),
      {
        description:
          "Plain settings given to the process as environment variables. Never secrets: list those in `secrets`.",
        keyPattern: ENV_VAR_PATTERN,
        keyExpected: "an environment variable name (letters, digits, _)",
      },
    ),
    secrets: List(SecretName, {
      description: "Names of the secrets given to the process as environment variables.",
      uniqueItems: true,
    }),
    resources: Resources,
    scale: OneOf(Int({ description: "A fixed instance count.", minimum: 0, maximum: 1000 }), Scale, {
      description: "Instance count and autoscaling. A number is short for a fixed count.",
    }),
    domain: OneOf(Hostname, List(Hostname, { description: "Host names.", minItems: 1, uniqueItems: true }), {
      description: "Public host name(s) of this service; routed with TLS.",
    }),
    path: Path("URL path prefix this service answers under its domains (for example /api).", "/"),
    metrics: OneOf(Path("Metrics path."), Metrics, {
      description: "Prometheus metrics endpoint. A string is short for the path.",
    }),
    uses: List(
      Str({ description: "Name of a database, cache, topic, bucket, or `email`.", pattern: NAME_PATTERN }),
      {
        description:
          "What this service connects to: PostgreSQL databases, Redis caches, topics it publishes to, storage buckets, and `email`.",
        uniqueItems: true,
      },
    ),
    subscribes: OneOf(
      List(Str({ description: "Topic name.", pattern: NAME_PATTERN }), {
        description: "Topics.",
        uniqueItems: true,
      }),
      MapOf(Subscription, { description: "Topics with delivery settings.", ...nameKey }),
      {
        description:
          "Topics whose events this service receives. A list of names, or a map of name to delivery settings.",
      },
    ),
    migrations: OneOf(Str({ description: "Migration command.", minLength: 1 }), Migrations, {
      description: "Database migrations run before each rollout, with this service's image.",
    }),
    shutdown: Shutdown,
    rollout: Rollout,
    read_only_root: Bool({
      description: "Run with a read-only root file system (a writable /tmp is mounted).",
      default: true,
    }),
    ci: Ci,
    // static frontends
    static: Str({
      description: "Static frontend: its source directory, relative to the spec file.",
      minLength: 1,
    }),
    install: Str({ description: "Static frontend: command that installs its dependencies.", minLength: 1 }),
    output: Str({
      description:
        "Static frontend: the build output directory, relative to `static` (`.` for files served as they are). Default: dist.",
      minLength: 1,
    }),
    spa: Bool({
      description:
        "Static frontend: answer unknown paths with index.html (single-page app). Default: true; false answers them with 404.",
    }),
    // scheduled jobs
    schedule: Str({
      description: "Scheduled job: a 5-field cron expression in UTC (`0 3 * * *`).",
      minLength: 1,
      "x-expected": "a cron expression such as '0 3 * * *'",
    }),
    timezone: Str({ description: "Scheduled job: IANA time zone of the schedule.", minLength: 1 }),
    timeout: Duration("Scheduled job: how long one run may take."),
    retries: Int({ description: "Scheduled job: retries of a failed run.", minimum: 0, maximum: 10 }),
  },
  { description: "A service: an HTTP service, a worker, a static frontend or a scheduled job." },
);

// ---------------------------------------------------------------------------------------------
// Data

export const PostgresSchema = Obj(
  {
    version: Int({
      description: "PostgreSQL major version.",
      minimum: 13,
      maximum: 17,
      default: 16,
      "x-expected": "a PostgreSQL major version from 13 to 17",
    }),
    size: Size,
    storage_gb: Int({ description: "Storage in GiB.", minimum: 5, maximum: 16384, default: 32 }),
    ha: Bool({
      description:
        "High availability: a standby in another zone (zone-redundant HA, Multi-AZ, standby nodes).",
      default: false,
    }),
    databases: List(
      Str({
        description: "Database name.",
        pattern: "^[a-z_][a-z0-9_]{0,62}$",
        "x-expected": "a database name (a-z, 0-9, _)",
      }),
      {
        description: "Databases to create. Default: one named like this entry (with - as _).",
        uniqueItems: true,
      },
    ),
    hosting: Enum(["managed", "cluster"], {
      description:
        "Where it runs on Kubernetes targets: the cloud's managed service, or a StatefulSet in the cluster (for development).",
      default: "managed",
    }),
    backups: Obj(
      {
        enabled: Bool({ description: "Automated backups.", default: true }),
        retention_days: Int({ description: "Days backups are kept.", minimum: 1, maximum: 35, default: 7 }),
        pitr: Bool({ description: "Point-in-time restore.", default: true }),
        geo_redundant: Bool({ description: "Copy backups to another region.", default: false }),
      },
      { description: "Automated backups.", default: {} },
    ),
    public_access: Bool({
      description:
        "Reachable from the internet (behind the firewall). Default false: only the app's network.",
      default: false,
    }),
  },
  { description: "A PostgreSQL server." },
);

export const RedisSchema = Obj(
  {
    version: Int({ description: "Redis major version.", minimum: 6, maximum: 7, default: 7 }),
    size: Size,
    persistence: Enum(["none", "rdb", "aof"], {
      description: "Durability: none (cache only), rdb (periodic snapshots) or aof (append-only file).",
      default: "none",
    }),
    tls: Bool({ description: "Require TLS 1.2+ and turn the plain port off.", default: true }),
    ha: Bool({ description: "A replica in another zone.", default: false }),
    eviction: Enum(
      ["noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu", "volatile-ttl"],
      { description: "What happens when memory is full.", default: "volatile-lru" },
    ),
    hosting: Enum(["managed", "cluster"], {
      description: "Managed service, or a StatefulSet in the cluster (for development).",
      default: "managed",
    }),
  },
  { description: "A Redis cache." },
);

export const TopicSchema = Obj(
  {
    partitions: Int({
      description: "Partitions (the most consumers of one group working at once).",
      minimum: 1,
      maximum: 1000,
      default: 3,
    }),
    retention: Duration("How long events are kept.", "7d"),
    replication: Int({
      description: "Copies of each partition on the broker.",
      minimum: 1,
      maximum: 5,
      default: 3,
    }),
    idempotency: Obj(
      {
        store: Str({
          description: "The PostgreSQL or Redis entry that records processed event ids.",
          pattern: NAME_PATTERN,
        }),
        ttl: Duration("How long processed ids are remembered.", "24h"),
      },
      {
        description:
          "Idempotent consumers: a state store that records processed events so a redelivered event is processed once.",
      },
    ),
  },
  {
    description:
      "An event topic on a Kafka-compatible broker (Redpanda, Event Hubs, MSK) or Redis Streams locally.",
  },
);

const LifecycleRule = Obj(
  {
    prefix: Str({ description: "Only objects under this prefix.", default: "" }),
    cool_after_days: Int({
      description: "Move to the cool / infrequent-access tier after this many days.",
      minimum: 1,
      maximum: 36500,
    }),
    archive_after_days: Int({
      description: "Move to the archive tier after this many days.",
      minimum: 1,
      maximum: 36500,
    }),
    delete_after_days: Int({ description: "Delete after this many days.", minimum: 1, maximum: 36500 }),
  },
  { description: "An object lifecycle rule." },
);

export const BucketSchema = Obj(
  {
    versioning: Bool({ description: "Keep previous versions of objects.", default: true }),
    lifecycle: MapOf(LifecycleRule, { description: "Lifecycle rules by name.", ...nameKey }),
    cors_origins: List(
      Str({
        description: "Origin such as https://app.example.com.",
        pattern: "^https?://[^\\s/]+$",
        "x-expected": "an origin such as https://app.example.com",
      }),
      { description: "Origins allowed to use the bucket from a browser.", uniqueItems: true },
    ),
  },
  { description: "An object storage bucket. Never public." },
);

// ---------------------------------------------------------------------------------------------
// Edges

const EmailSchema = Obj(
  {
    domain: Hostname,
    senders: List(
      Str({
        description: "Sender user name (the part before @).",
        pattern: "^[a-z0-9][a-z0-9._-]{0,63}$",
        "x-expected": "a sender name such as noreply",
      }),
      {
        description: "Sender addresses on the domain.",
        minItems: 1,
        uniqueItems: true,
      },
    ),
    dmarc: Obj(
      {
        policy: Enum(["none", "quarantine", "reject"], {
          description: "DMARC policy.",
          default: "quarantine",
        }),
        report_to: Str({
          description: "Address that receives DMARC aggregate reports. Default: dmarc@<domain>.",
          pattern: EMAIL_PATTERN,
          "x-expected": "an e-mail address",
        }),
      },
      { description: "DMARC record." },
    ),
  },
  {
    description: "Transactional e-mail from a custom domain, with SPF, DKIM and DMARC.",
    required: ["domain", "senders"],
  },
);

const DnsSchema = Obj(
  {
    zone: Hostname,
    manage: Bool({
      description:
        "Create the zone and its records. False: records are listed in the runbook for your DNS provider.",
      default: true,
    }),
  },
  { description: "The DNS zone the app's domains live in.", required: ["zone"] },
);

// ---------------------------------------------------------------------------------------------
// Monitoring, budget, CI

const Channel = Obj(
  {
    type: Enum(["email", "slack", "teams", "webhook"], { description: "Where notifications go." }),
    to: List(
      Str({ description: "E-mail address.", pattern: EMAIL_PATTERN, "x-expected": "an e-mail address" }),
      { description: "E-mail recipients (type email).", minItems: 1, uniqueItems: true },
    ),
    webhook_secret: SecretName,
  },
  {
    description:
      "A notification channel. Webhook URLs are secrets: name the secret that holds the URL in `webhook_secret`.",
    required: ["type"],
  },
);

const AlertRule = Obj(
  {
    metric: Enum(["error_rate", "latency_p95", "cpu", "memory", "crash_loop", "availability"], {
      description:
        "What is measured: error_rate (% of 5xx responses), latency_p95 (ms), cpu (% of limit), memory (% of limit), crash_loop (restarts per minute), availability (% of successful checks).",
    }),
    above: Num({
      description: "Fire when the metric is above this value (below, for availability).",
      minimum: 0,
      maximum: 1000000,
    }),
    for: Duration("How long the condition must hold. Default: the built-in rule's, else 5m."),
    severity: Enum(["info", "warning", "critical"], {
      description: "How urgent the alert is. Default: the built-in rule's, else warning.",
    }),
    services: List(Str({ description: "Service name.", pattern: NAME_PATTERN }), {
      description: "Services the rule covers. Default: all that the metric applies to.",
      uniqueItems: true,
    }),
    channels: List(Str({ description: "Channel name.", pattern: NAME_PATTERN }), {
      description: "Channels notified. Default: all.",
      uniqueItems: true,
    }),
    enabled: Bool({ description: "Set false to turn a default rule off.", default: true }),
  },
  {
    description:
      "An alert rule. A rule named like a built-in one (high-error-rate, critical-error-rate, high-latency, high-cpu, high-memory, crash-loop) changes only the fields it sets; any other rule needs `metric` and `above`.",
  },
);

const MonitoringSchema = Obj(
  {
    channels: MapOf(Channel, { description: "Notification channels by name.", ...nameKey }),
    alerts: MapOf(AlertRule, {
      description:
        "Alert rules by name. Defaults (high-error-rate, critical-error-rate, high-latency, high-cpu, high-memory, crash-loop) are added unless set here; set `enabled: false` to drop one.",
      ...nameKey,
    }),
    availability: Obj(
      {
        enabled: Bool({
          description: "Probe each public HTTP service's health endpoint from outside.",
          default: true,
        }),
        interval: Duration("Time between probes.", "5m"),
        locations: Int({ description: "Probe locations.", minimum: 1, maximum: 16, default: 3 }),
        failures: Int({
          description: "Failed locations before the availability alert fires.",
          minimum: 1,
          maximum: 16,
          default: 2,
        }),
      },
      { description: "Availability checks.", default: {} },
    ),
    log_retention_days: Int({ description: "Days logs and metrics are kept.", minimum: 1, maximum: 730 }),
    sampling_percent: Num({
      description: "Percent of requests traced. Default: 100, and 10 in production.",
      minimum: 0,
      maximum: 100,
    }),
    daily_cap_gb: Num({
      description:
        "Daily log ingestion cap in GB (0: none). Default: none in development, 1 in staging, 5 in production.",
      minimum: 0,
      maximum: 1000,
    }),
  },
  { description: "Alerts, availability checks and telemetry." },
);

const BudgetSchema = Obj(
  {
    monthly_usd: Num({ description: "Monthly budget in US dollars.", minimum: 1, maximum: 10000000 }),
    thresholds: List(Int({ description: "Percent of the budget.", minimum: 1, maximum: 1000 }), {
      description: "Notify at these percentages of the budget.",
      minItems: 1,
      uniqueItems: true,
      default: [80, 100],
    }),
    notify: List(
      Str({ description: "E-mail address.", pattern: EMAIL_PATTERN, "x-expected": "an e-mail address" }),
      { description: "Who is notified.", uniqueItems: true },
    ),
  },
  { description: "A monthly cost budget with alerts.", required: ["monthly_usd"] },
);

const CiSchema = Obj(
  {
    default_branch: Str({
      description: "The branch that deploys to staging.",
      minLength: 1,
      default: "main",
    }),
    repository: Str({
      description: "GitHub repository owner/name; scopes the cloud OIDC trust.",
      pattern: "^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$",
      "x-expected": "owner/name",
    }),
    image_scan: Obj(
      {
        severity: List(Enum(["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"], { description: "Severity." }), {
          description: "Severities that fail the scan.",
          minItems: 1,
          uniqueItems: true,
          default: ["HIGH", "CRITICAL"],
        }),
        ignore_unfixed: Bool({ description: "Ignore vulnerabilities with no fixed version.", default: true }),
      },
      { description: "Image vulnerability scan (Trivy).", default: {} },
    ),
    deploy_timeout: Duration("How long a rollout may take before it is rolled back.", "10m"),
  },
  { description: "CI/CD settings." },
);

// ---------------------------------------------------------------------------------------------
// Targets

const TargetsSchema = Obj(
  {
    kubernetes: Obj(
      {
        provider: Enum(["doks", "aks", "eks", "generic"], {
          description: "Which Kubernetes; tunes storage classes, load balancer annotations and docs.",
          default: "generic",
        }),
        registry: Str({
          description: "Image registry and namespace, such as ghcr.io/acme.",
          pattern: "^[a-z0-9][a-z0-9.:-]*(/[a-z0-9._-]+)*$",
          "x-expected": "a registry such as ghcr.io/acme",
        }),
        ingress_class: Str({ description: "Ingress class.", default: "nginx", pattern: NAME_PATTERN }),
        tls_email: Str({
          description: "Let's Encrypt account e-mail for certificate expiry notices.",
          pattern: EMAIL_PATTERN,
          "x-expected": "an e-mail address",
        }),
        image_pull_secret: Str({
          description: "Name of the docker-registry Secret in each namespace.",
          pattern: NAME_PATTERN,
          default: "registry-credentials",
        }),
        secret_name: Str({
          description: "Name of the Secret holding the app's secrets in each namespace.",
          pattern: NAME_PATTERN,
          default: "app-secrets",
        }),
      },
      { description: "Any Kubernetes cluster, through a Helm chart." },
    ),
    azure: Obj(
      {
        location: Str({
          description: "Azure region, such as eastus.",
          pattern: "^[a-z0-9]+$",
          "x-expected": "an Azure region such as eastus",
          default: "eastus",
        }),
        compute: Enum(["appservice", "aks"], {
          description: "Run services on App Service (default) or on AKS with the Helm chart.",
          default: "appservice",
        }),
        locks: Bool({ description: "CanNotDelete locks on production resources.", default: true }),
      },
      { description: "Azure, through Bicep." },
    ),
    aws: Obj(
      {
        region: Str({
          description: "AWS region, such as us-east-1.",
          pattern: "^[a-z]{2}(-[a-z]+)+-[0-9]$",
          "x-expected": "an AWS region such as us-east-1",
          default: "us-east-1",
        }),
        account_id: Str({
          description: "AWS account id (12 digits).",
          pattern: "^[0-9]{12}$",
          "x-expected": "a 12-digit account id",
        }),
        availability_zones: Int({
          description: "Availability zones to spread over.",
          minimum: 2,
          maximum: 6,
          default: 2,
        }),
      },
      { description: "AWS, through Terraform (ECS Fargate, RDS, ElastiCache, S3 + CloudFront)." },
    ),
    digitalocean: Obj(
      {
        region: Str({
          description: "DigitalOcean region, such as nyc1.",
          pattern: "^[a-z]{3}[0-9]$",
          "x-expected": "a region such as nyc1",
          default: "nyc1",
        }),
        kubernetes_version: Str({
          description: "DOKS version prefix, such as 1.33.",
          pattern: "^1\\.[0-9]+$",
          default: "1.33",
        }),
        node_size: Str({
          description: "Droplet size of the node pool.",
          pattern: "^[a-z0-9-]+$",
          default: "s-2vcpu-4gb",
        }),
        nodes: Obj(
          {
            min: Int({ description: "Fewest nodes.", minimum: 1, maximum: 100, default: 2 }),
            max: Int({ description: "Most nodes.", minimum: 1, maximum: 100, default: 5 }),
          },
          { description: "Node pool autoscaling.", default: {} },
        ),
      },
      {
        description:
          "DigitalOcean: a DOKS cluster and managed databases through Terraform; the Helm chart deploys onto it.",
      },
    ),
  },
  { description: "Where the app can be deployed, and target-wide options." },
);

// ---------------------------------------------------------------------------------------------
// Environments

const Deploy = Obj(
  {
    on: Enum(["push", "release", "manual"], {
      description:
        "What deploys this environment: a push to `branch`, a published release tag, or a manual run.",
      default: "manual",
    }),
    branch: Str({ description: "Branch for `on: push`. Default: ci.default_branch.", minLength: 1 }),
    tag_pattern: Str({
      description: "Release tags that deploy, for `on: release`.",
      minLength: 1,
      default: "v*.*.*",
    }),
    approval: Enum(["none", "required"], {
      description:
        "Whether a person must approve each deploy (a GitHub environment with required reviewers).",
      default: "none",
    }),
    slot: Bool({ description: "Azure: deploy to a staging slot, warm up and swap (zero downtime)." }),
  },
  { description: "How this environment is deployed." },
);

/** What an environment may override: the same keys as the top level, all optional; `null` removes. */
const overridable = {
  services: MapOf(Type.Unknown({ description: "Overrides of a service." }), {
    description: "Overrides of services.",
    ...nameKey,
  }),
  postgres: MapOf(Type.Unknown({ description: "Overrides of a PostgreSQL server." }), {
    description: "Overrides of PostgreSQL servers.",
    ...nameKey,
  }),
  redis: MapOf(Type.Unknown({ description: "Overrides of a Redis cache." }), {
    description: "Overrides of Redis caches.",
    ...nameKey,
  }),
  topics: MapOf(Type.Unknown({ description: "Overrides of a topic." }), {
    description: "Overrides of topics.",
    ...nameKey,
  }),
  buckets: MapOf(Type.Unknown({ description: "Overrides of a bucket." }), {
    description: "Overrides of buckets.",
    ...nameKey,
  }),
  email: Type.Unknown({ description: "Overrides of email." }),
  dns: Type.Unknown({ description: "Overrides of dns." }),
  monitoring: Type.Unknown({ description: "Overrides of monitoring." }),
  budget: Type.Unknown({ description: "Overrides of the budget." }),
  tags: Type.Unknown({ description: "Extra or changed tags." }),
  targets: Type.Unknown({ description: "Overrides of target options." }),
};

const EnvironmentSchema = Obj(
  {
    tier: Enum(["development", "staging", "production"], {
      description:
        "What kind of environment this is; sets tier defaults (replicas, retention, sampling, locks). Default: from the name (prod… → production, stag… → staging, else development).",
    }),
    deploy: Deploy,
    region: Str({
      description: "Region for this environment, overriding the target's.",
      pattern: "^[a-z0-9-]+$",
    }),
    namespace: Str({
      description: "Kubernetes namespace. Default: the environment name.",
      pattern: NAME_PATTERN,
    }),
    resource_group: Str({
      description: "Azure resource group. Default: rg-<app>-<environment>.",
      pattern: "^[A-Za-z0-9._()-]{1,90}$",
    }),
    ...overridable,
  },
  {
    description:
      "An environment: how it deploys, and what differs from the top level (maps merge, lists replace, null removes).",
  },
);

// ---------------------------------------------------------------------------------------------

export const SpecSchema = Obj(
  {
    name: Str({
      description:
        "The app's name: lower-case letters, digits and '-', at most 40 characters. Used in resource names.",
      pattern: NAME_PATTERN,
      "x-expected": "a lower-case name (a-z, 0-9, '-'), at most 40 characters",
    }),
    description: Str({ description: "What the app is.", maxLength: 1000 }),
    services: MapOf(ServiceSchema, {
      description: "Services: HTTP services, workers, static frontends and scheduled jobs, by name.",
      ...nameKey,
    }),
    postgres: MapOf(PostgresSchema, { description: "PostgreSQL servers by name.", ...nameKey }),
    redis: MapOf(RedisSchema, { description: "Redis caches by name.", ...nameKey }),
    topics: MapOf(TopicSchema, { description: "Event topics by name.", ...nameKey }),
    buckets: MapOf(BucketSchema, { description: "Object storage buckets by name.", ...nameKey }),
    email: EmailSchema,
    dns: DnsSchema,
    monitoring: MonitoringSchema,
    budget: BudgetSchema,
    tags: MapOf(Str({ description: "Tag value.", maxLength: 256 }), {
      description: "Tags on every resource. Environment and Project are always added.",
      keyPattern: "^[A-Za-z][A-Za-z0-9_.-]{0,127}$",
      keyExpected: "a tag name such as CostCenter",
    }),
    ci: CiSchema,
    targets: TargetsSchema,
    environments: MapOf(EnvironmentSchema, {
      description:
        "Environments by name (dev, staging, production or any names). Default: one named `production`.",
      ...nameKey,
    }),
  },
  {
    description: "A Gantry application spec (gantry.yaml).",
    required: ["name"],
    $id: "https://gantry.dev/schema/gantry.schema.json",
    title: "Gantry application spec",
  },
);

export type SpecInput = Static<typeof SpecSchema>;
export type ServiceInput = Static<typeof ServiceSchema>;

/** The top-level keys an environment may override, in the order they are documented. */
export const OVERRIDABLE_KEYS = Object.keys(overridable) as (keyof typeof overridable)[];
