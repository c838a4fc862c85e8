// Checks that need more than one field: references between entries, clashes, and what each kind of
// service may set. They run on the merged spec of each environment and are written defensively, so
// they also run (and report) when the schema check found problems elsewhere.
import { cronProblem, timeZoneProblem } from "../spec/cron.js";
import { didYouMean } from "../spec/check-schema.js";
import { pathJoin, type Position, type Problem } from "../spec/problems.js";
import type { SourceMap } from "../spec/source.js";
import { DEFAULT_ALERTS, DEFAULT_PORT } from "./defaults.js";
import { seconds } from "../util/duration.js";

type Plain = Record<string, unknown>;
const isObj = (v: unknown): v is Plain => typeof v === "object" && v !== null && !Array.isArray(v);
const entries = (v: unknown): [string, unknown][] => (isObj(v) ? Object.entries(v) : []);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : [];

export type ServiceType = "http" | "worker" | "static" | "job";

export function inferType(svc: Plain): ServiceType {
  const t = svc.type;
  if (t === "http" || t === "worker" || t === "static" || t === "job") return t;
  if (svc.static !== undefined) return "static";
  if (svc.schedule !== undefined) return "job";
  if (svc.port !== undefined || svc.domain !== undefined) return "http";
  return "worker";
}

/** Ports a Dapr sidecar takes inside the pod of a service that uses topics. */
const DAPR_PORTS = new Map([
  [3500, "the Dapr HTTP API"],
  [50001, "the Dapr gRPC API"],
  [9090, "Dapr metrics"],
  [3501, "Dapr health"],
]);

/** Keys only some kinds of service may set. */
const ONLY: Record<string, ServiceType[]> = {
  static: ["static"],
  install: ["static"],
  output: ["static"],
  spa: ["static"],
  schedule: ["job"],
  timezone: ["job"],
  timeout: ["job"],
  retries: ["job"],
  domain: ["http", "static"],
  path: ["http", "static"],
  health: ["http", "worker"],
  scale: ["http", "worker"],
  subscribes: ["http", "worker"],
  migrations: ["http", "worker"],
  shutdown: ["http", "worker"],
  rollout: ["http", "worker"],
  metrics: ["http", "worker"],
  image: ["http", "worker", "job"],
  command: ["http", "worker", "job"],
  build_command: ["http", "worker", "job"],
  secrets: ["http", "worker", "job"],
  resources: ["http", "worker", "job"],
  uses: ["http", "worker", "job"],
  read_only_root: ["http", "worker", "job"],
};

const KIND_NAMES: Record<ServiceType, string> = {
  http: "an HTTP service",
  worker: "a worker",
  static: "a static frontend",
  job: "a scheduled job",
};

export interface CrossContext {
  map: SourceMap;
  fallback: Position;
  problems: Problem[];
  tier: "development" | "staging" | "production";
}

export function crossCheck(spec: Plain, ctx: CrossContext): void {
  const at = (parent: unknown, key: string | number | undefined): Position =>
    (isObj(parent) || Array.isArray(parent)) && key !== undefined
      ? (ctx.map.keyPos(parent, key) ?? ctx.map.selfPos(parent) ?? ctx.fallback)
      : isObj(parent)
        ? (ctx.map.selfPos(parent) ?? ctx.fallback)
        : ctx.fallback;
  const valueAt = (parent: unknown, key: string | number): Position =>
    isObj(parent) || Array.isArray(parent)
      ? (ctx.map.valuePos(parent, key) ?? at(parent, key))
      : ctx.fallback;
  const error = (pos: Position, path: string, message: string, hint?: string) =>
    ctx.problems.push({ severity: "error", pos, path, message, ...(hint ? { hint } : {}) });
  const warn = (pos: Position, path: string, message: string, hint?: string) =>
    ctx.problems.push({ severity: "warning", pos, path, message, ...(hint ? { hint } : {}) });
  const nearest = (name: string, names: string[], what: string) => {
    const guess = didYouMean(name, names);
    if (guess) return `did you mean \`${guess}\`?`;
    return names.length ? `declared ${what}: ${names.join(", ")}` : `no ${what} are declared`;
  };

  const services = isObj(spec.services) ? spec.services : {};
  const postgres = Object.keys(isObj(spec.postgres) ? spec.postgres : {});
  const redis = Object.keys(isObj(spec.redis) ? spec.redis : {});
  const topics = Object.keys(isObj(spec.topics) ? spec.topics : {});
  const buckets = Object.keys(isObj(spec.buckets) ? spec.buckets : {});
  const serviceNames = Object.keys(services);
  const usable = [
    ...postgres,
    ...redis,
    ...topics,
    ...buckets,
    ...(spec.email !== undefined ? ["email"] : []),
  ];

  // Names share one namespace: they become host names, resource names and Kubernetes objects.
  const owners = new Map<string, string>();
  for (const [kind, names] of [
    ["services", serviceNames],
    ["postgres", postgres],
    ["redis", redis],
    ["topics", topics],
    ["buckets", buckets],
  ] as const) {
    for (const n of names) {
      const first = owners.get(n);
      if (first && !(kind === "topics" && first === "topics")) {
        const container = spec[kind];
        error(
          at(container, n),
          pathJoin(kind, n),
          `the name \`${n}\` is also used by ${first}.${n}`,
          "names must be unique across services, databases, caches, topics and buckets",
        );
      } else owners.set(n, kind);
    }
  }

  const routes = new Map<string, string>();
  const ports = new Map<number, string>();
  for (const [name, raw] of entries(services)) {
    if (!isObj(raw)) continue;
    const base = pathJoin("services", name);
    const type = inferType(raw);
    for (const key of Object.keys(raw)) {
      const allowed = ONLY[key];
      if (allowed && !allowed.includes(type)) {
        const hint =
          key === "domain" && type === "worker"
            ? "set `port` (or `type: http`) to make this an HTTP service"
            : type === "static" && key === "command"
              ? "a static frontend is served from its build output; use `build` for its build command"
              : `${key} applies to ${allowed.map((k) => KIND_NAMES[k]).join(" or ")}; this service is ${KIND_NAMES[type]}${raw.type === undefined ? " (set `type` if that is wrong)" : ""}`;
        error(at(raw, key), pathJoin(base, key), `\`${key}\` is not allowed on ${KIND_NAMES[type]}`, hint);
      }
    }
    if (type !== "static") {
      if (raw.build === undefined && raw.image === undefined) {
        error(
          at(services, name),
          base,
          "neither `build` nor `image` is set",
          "set `build: ./dir` (a directory with a Dockerfile) or `image: repository:tag`",
        );
      } else if (raw.build !== undefined && raw.image !== undefined) {
        error(
          at(raw, "image"),
          pathJoin(base, "image"),
          "both `build` and `image` are set",
          "keep one: build an image from source, or run a prebuilt one",
        );
      }
    }
    if (type === "job" && raw.schedule === undefined) {
      error(
        at(services, name),
        base,
        "a scheduled job needs `schedule`",
        "a 5-field cron expression, such as '0 3 * * *'",
      );
    }
    if (typeof raw.schedule === "string") {
      const why = cronProblem(raw.schedule);
      if (why)
        error(
          valueAt(raw, "schedule"),
          pathJoin(base, "schedule"),
          `invalid cron expression: ${why}`,
          "minute hour day-of-month month day-of-week, such as '*/15 * * * *'",
        );
    }
    if (typeof raw.timezone === "string") {
      const why = timeZoneProblem(raw.timezone);
      if (why)
        error(
          valueAt(raw, "timezone"),
          pathJoin(base, "timezone"),
          why,
          "an IANA time zone name, such as Europe/Paris or America/New_York",
        );
    }

    // References
    const uses = raw.uses;
    if (Array.isArray(uses)) {
      uses.forEach((u, i) => {
        if (typeof u !== "string" || usable.includes(u)) return;
        if (u === "email") {
          error(
            valueAt(uses, i),
            `${base}.uses[${i}]`,
            "`email` is used but the spec has no `email` section",
            "add `email: { domain: ..., senders: [...] }`",
          );
          return;
        }
        error(
          valueAt(uses, i),
          `${base}.uses[${i}]`,
          `unknown database, cache, topic or bucket \`${u}\``,
          nearest(u, usable, "names"),
        );
      });
    }
    const subs = raw.subscribes;
    const subNames = Array.isArray(subs) ? subs : Object.keys(isObj(subs) ? subs : {});
    subNames.forEach((t, i) => {
      if (typeof t !== "string" || topics.includes(t)) return;
      const pos = Array.isArray(subs) ? valueAt(subs, i) : at(subs, t);
      error(
        pos,
        Array.isArray(subs) ? `${base}.subscribes[${i}]` : `${base}.subscribes.${t}`,
        `unknown topic \`${t}\``,
        nearest(t, topics, "topics"),
      );
    });

    // Scale
    const scale = raw.scale;
    if (
      isObj(scale) &&
      typeof scale.min === "number" &&
      typeof scale.max === "number" &&
      scale.min > scale.max
    ) {
      error(
        at(scale, "min"),
        `${base}.scale.min`,
        `min (${scale.min}) is greater than max (${scale.max})`,
        "min is the fewest instances and max the most",
      );
    }

    // Ports
    const usesTopics = subNames.length > 0 || strings(raw.uses).some((u) => topics.includes(u));
    const port =
      typeof raw.port === "number"
        ? raw.port
        : type === "http" || subNames.length > 0
          ? DEFAULT_PORT
          : undefined;
    if (port !== undefined && (type === "http" || type === "worker")) {
      const first = ports.get(port);
      if (first !== undefined && typeof raw.port === "number") {
        error(
          valueAt(raw, "port"),
          `${base}.port`,
          `port ${port} is also used by services.${first}`,
          "give each service its own port: on the local target they share one host",
        );
      } else if (typeof raw.port === "number") ports.set(port, name);
      if (usesTopics && DAPR_PORTS.has(port)) {
        error(
          valueAt(raw, "port"),
          `${base}.port`,
          `port ${port} clashes with ${DAPR_PORTS.get(port)!} in the same pod`,
          "this service uses topics, so it runs with a Dapr sidecar; pick another port",
        );
      }
      const metrics = raw.metrics;
      if (isObj(metrics) && typeof metrics.port === "number") {
        if (metrics.port === port && typeof raw.port === "number") {
          // Same port is fine: the metrics path is served by the app itself.
        } else if (usesTopics && DAPR_PORTS.has(metrics.port)) {
          error(
            valueAt(metrics, "port"),
            `${base}.metrics.port`,
            `port ${metrics.port} clashes with ${DAPR_PORTS.get(metrics.port)!} in the same pod`,
            "pick another metrics port",
          );
        }
      }
    }

    // Health checks: liveness only is a trap (no readiness gate means traffic before ready).
    const shutdown = raw.shutdown;
    if (isObj(shutdown) && typeof shutdown.drain === "string" && typeof shutdown.grace === "string") {
      if (seconds(shutdown.drain) >= seconds(shutdown.grace)) {
        error(
          at(shutdown, "grace"),
          `${base}.shutdown.grace`,
          `grace (${shutdown.grace}) must be longer than drain (${shutdown.drain})`,
          "the process needs time to finish in-flight work after draining",
        );
      }
    }

    // Env and secrets must not both set a variable.
    const envKeys = Object.keys(isObj(raw.env) ? raw.env : {});
    strings(raw.secrets).forEach((s, i) => {
      if (envKeys.includes(s))
        error(
          valueAt(raw.secrets, i),
          `${base}.secrets[${i}]`,
          `\`${s}\` is both a secret and a plain env setting`,
          `remove ${s} from env`,
        );
    });

    // Routes: one host and path per service.
    if (type === "http" || type === "static") {
      const path = typeof raw.path === "string" ? raw.path : "/";
      const domains = strings(raw.domain);
      domains.forEach((d, i) => {
        const route = `${d}${path}`;
        const first = routes.get(route);
        const pos = Array.isArray(raw.domain) ? valueAt(raw.domain, i) : valueAt(raw, "domain");
        if (first)
          error(
            pos,
            `${base}.domain`,
            `${d}${path === "/" ? "" : path} is also routed to services.${first}`,
            "give one of them another domain or a different `path`",
          );
        else routes.set(route, name);
      });
    }

    // Production hygiene (warnings).
    if (ctx.tier === "production" && type === "http") {
      const min =
        typeof scale === "number"
          ? scale
          : isObj(scale)
            ? typeof scale.min === "number"
              ? scale.min
              : 1
            : 1;
      if (min < 2) {
        warn(
          isObj(scale) ? at(scale, "min") : at(raw, scale === undefined ? undefined : "scale"),
          `${base}.scale`,
          "only one instance of this service runs",
          "set `scale: { min: 2, max: ... }` so a restart or a node failure does not take it down",
        );
      }
    }
  }

  // Topics
  for (const [name, raw] of entries(spec.topics)) {
    if (!isObj(raw) || !isObj(raw.idempotency)) continue;
    const store = raw.idempotency.store;
    if (typeof store === "string" && !postgres.includes(store) && !redis.includes(store)) {
      error(
        valueAt(raw.idempotency, "store"),
        `topics.${name}.idempotency.store`,
        `unknown PostgreSQL or Redis \`${store}\``,
        nearest(store, [...postgres, ...redis], "stores"),
      );
    }
  }

  // Postgres backups
  for (const [name, raw] of entries(spec.postgres)) {
    if (!isObj(raw)) continue;
    const b = raw.backups;
    if (ctx.tier === "production" && isObj(b) && b.enabled === false) {
      warn(
        at(b, "enabled"),
        `postgres.${name}.backups.enabled`,
        "this database has no backups",
        "turn backups on: a lost production database cannot be restored without them",
      );
    }
  }

  // Monitoring references
  const mon = spec.monitoring;
  if (isObj(mon)) {
    const channels = Object.keys(isObj(mon.channels) ? mon.channels : {});
    for (const [name, rule] of entries(mon.alerts)) {
      if (!isObj(rule)) continue;
      if (!(name in DEFAULT_ALERTS)) {
        for (const key of ["metric", "above"] as const) {
          if (rule[key] === undefined) {
            error(
              at(mon.alerts, name),
              `monitoring.alerts.${name}`,
              `\`${key}\` is required`,
              `a new rule needs metric and above; built-in rules: ${Object.keys(DEFAULT_ALERTS).join(", ")}`,
            );
          }
        }
      }
      strings(rule.services).forEach((s, i) => {
        if (!serviceNames.includes(s))
          error(
            valueAt(rule.services, i),
            `monitoring.alerts.${name}.services[${i}]`,
            `unknown service \`${s}\``,
            nearest(s, serviceNames, "services"),
          );
      });
      strings(rule.channels).forEach((c, i) => {
        if (!channels.includes(c))
          error(
            valueAt(rule.channels, i),
            `monitoring.alerts.${name}.channels[${i}]`,
            `unknown channel \`${c}\``,
            nearest(c, channels, "channels"),
          );
      });
    }
    for (const [name, ch] of entries(mon.channels)) {
      if (!isObj(ch)) continue;
      if (ch.type === "email" && ch.to === undefined)
        error(
          at(mon.channels, name),
          `monitoring.channels.${name}`,
          "an email channel needs `to`",
          "list the recipients: to: [ops@example.com]",
        );
      if (
        (ch.type === "slack" || ch.type === "teams" || ch.type === "webhook") &&
        ch.webhook_secret === undefined
      ) {
        error(
          at(mon.channels, name),
          `monitoring.channels.${name}`,
          `a ${ch.type} channel needs \`webhook_secret\``,
          "name the secret that holds the webhook URL, such as SLACK_WEBHOOK_URL",
        );
      }
    }
  }

  const nodes =
    isObj(spec.targets) && isObj(spec.targets.digitalocean) ? spec.targets.digitalocean.nodes : undefined;
  if (
    isObj(nodes) &&
    typeof nodes.min === "number" &&
    typeof nodes.max === "number" &&
    nodes.min > nodes.max
  ) {
    error(
      at(nodes, "min"),
      "targets.digitalocean.nodes.min",
      `min (${nodes.min}) is greater than max (${nodes.max})`,
    );
  }
}
