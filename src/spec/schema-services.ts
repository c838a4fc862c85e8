// The spec's `services`: HTTP services, workers, static frontends and scheduled jobs, with their
// build, health checks, resources, scaling, metrics, subscriptions, migrations and rollout.
import {
  Bool,
  Duration,
  Enum,
  HealthPath,
  Int,
  List,
  MapOf,
  nameKey,
  Obj,
  OneOf,
  Path,
  SecretName,
  Str,
  Text,
} from "./schema-kit.js";

/** A service's host name; a path written with it is told to go in `path`. */
const Domain = Str({
  description: "A fully qualified host name, such as api.example.com.",
  format: "domain",
});

const Percent = (description: string, dflt?: number) =>
  Int({
    description,
    minimum: 1,
    maximum: 100,
    "x-expected": "a percentage from 1 to 100",
    ...(dflt ? { default: dflt } : {}),
  });

const Health = Obj(
  {
    liveness: HealthPath(
      "Path answered with 2xx while the process is alive. A failing liveness check restarts the instance.",
    ),
    readiness: HealthPath(
      "Path answered with 2xx when the instance can take traffic. Until then it gets no requests.",
    ),
    startup: HealthPath(
      "Path checked while the instance starts; liveness checks begin only after it succeeds.",
    ),
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
        cpu: Text({
          unquoted: ["number"],
          description: "CPU reserved for each instance, in cores (0.5) or millicores (500m).",
          format: "cpu",
          default: "100m",
        }),
        memory: Text({
          unquoted: ["number"],
          description: "Memory reserved for each instance (128Mi, 1Gi).",
          format: "memory",
          default: "128Mi",
        }),
      },
      { description: "What each instance is guaranteed.", default: {} },
    ),
    limits: Obj(
      {
        cpu: Text({
          unquoted: ["number"],
          description: "CPU each instance may use at most.",
          format: "cpu",
          default: "500m",
        }),
        memory: Text({
          unquoted: ["number"],
          description: "Memory each instance may use at most; above it the instance is restarted.",
          format: "memory",
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
      format: "name",
    }),
    max_retries: Int({
      description: "Deliveries of one event before it goes to the dead-letter topic.",
      minimum: 0,
      maximum: 100,
      default: 5,
    }),
    dead_letter: Bool({
      description: "Send events that keep failing to `<topic>-dead-letter` instead of dropping them.",
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
    args: MapOf(Text({ description: "Build argument value (never a secret).", maxLength: 1000 }), {
      description: "Docker build arguments.",
      keyFormat: "build-arg",
    }),
  },
  { description: "How to build the container image.", required: ["context"] },
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
    version: Text({
      description: "Language version for the setup action (20, 3.12).",
      minLength: 1,
      unquoted: ["number"],
    }),
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
  {
    description: "Database migrations run before each rollout. A string is short for the command.",
    required: ["command"],
  },
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
      format: "image",
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
    request_timeout: Duration(
      "HTTP services: how long `gantry up`'s proxy waits for an instance to start answering a request before it answers 504 (nginx's proxy_read_timeout). Once the answer starts, it is not cut.",
      "60s",
    ),
    port: Int({
      description: "Port the service listens on (HTTP services).",
      minimum: 1,
      maximum: 65535,
      "x-expected": "a port from 1 to 65535",
    }),
    health: OneOf(HealthPath("Path used for liveness, readiness and startup."), Health, {
      description: "Health checks. A string is short for one path for all checks.",
    }),
    env: MapOf(
      Text({
        description:
          "Value (never a secret). Text: a number or true/false written unquoted is given exactly as written (1.10, 0755).",
        "x-hint": "an environment variable is text: write its value, or '' for an empty one",
      }),
      {
        description:
          "Plain settings given to the process as environment variables. Never secrets: list those in `secrets`.",
        keyFormat: "env-var",
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
    domain: OneOf(Domain, List(Domain, { description: "Host names.", minItems: 1, uniqueItems: true }), {
      description: "Public host name(s) of this service; routed with TLS.",
    }),
    path: Path("URL path prefix this service answers under its domains (for example /api).", "/"),
    metrics: OneOf(Path("Metrics path."), Metrics, {
      description: "Prometheus metrics endpoint. A string is short for the path.",
    }),
    uses: List(
      Str({ description: "Name of a database, cache, topic, bucket, or `email`.", format: "name" }),
      {
        description:
          "What this service connects to: PostgreSQL databases, Redis caches, topics it publishes to, storage buckets, and `email`.",
        uniqueItems: true,
      },
    ),
    subscribes: OneOf(
      List(Str({ description: "Topic name.", format: "name" }), {
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
