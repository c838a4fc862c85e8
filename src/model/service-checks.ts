// Checks of one service of a merged spec: what its kind allows, where its image comes from, its
// schedule, what it uses and subscribes to, its scale, ports, shutdown, routes and production hygiene.
import { seconds } from "../util/duration.js";
import { cronProblem, timeZoneProblem } from "../spec/cron.js";
import { pathJoin } from "../spec/problems.js";
import { Checker, entries, isObj, stringItems, type Plain } from "./checker.js";
import { inferType, type ServiceType, type SpecNames } from "./cross-checks.js";
import { DEFAULT_PORT } from "./defaults.js";

/** Ports a Dapr sidecar takes inside the pod of a service that uses topics. */
const DAPR_PORTS = new Map([
  [3500, "the Dapr HTTP API"],
  [50001, "the Dapr gRPC API"],
  [9090, "Dapr metrics"],
  [3501, "Dapr health"],
]);

/** A positioned error where `obj[key]` is a string that is not a cron expression. */
export function checkCron(c: Checker, obj: Plain, key: string, path: string, hint: string): void {
  const expr = obj[key];
  const why = typeof expr === "string" ? cronProblem(expr) : undefined;
  if (why) c.error(c.valueAt(obj, key), path, `invalid cron expression: ${why}`, hint);
}

/** Keys only some kinds of service may set. */
export const KEYS_BY_KIND: Record<string, ServiceType[]> = {
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
  request_timeout: ["http"],
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

interface Service {
  name: string;
  raw: Plain;
  base: string;
  type: ServiceType;
}

/**
 * What services share: each domain and path routes to one. Ports are not shared: every target runs
 * each service apart (its own pod, container app or task), and on one machine Gantry gives each
 * instance a free port of its own.
 */
interface Seen {
  routes: Map<string, string>;
}

export function checkServices(
  spec: Plain,
  names: SpecNames,
  tier: "development" | "staging" | "production",
  c: Checker,
): void {
  const services = isObj(spec.services) ? spec.services : {};
  const seen: Seen = { routes: new Map() };
  for (const [name, raw] of entries(services)) {
    if (!isObj(raw)) continue;
    const s: Service = { name, raw, base: pathJoin("services", name), type: inferType(raw) };
    checkKind(s, c);
    checkSource(s, services, c);
    checkSchedule(s, services, c);
    checkUses(s, names, c);
    const subNames = checkSubscribes(s, names, c);
    checkScale(s, c);
    checkPorts(s, names, subNames, c);
    checkShutdown(s, c);
    checkSecretsVsEnv(s, c);
    checkRoutes(s, seen, c);
    if (tier === "production") checkProduction(s, c);
  }
}

function checkKind(s: Service, c: Checker): void {
  const { raw, base, type } = s;
  for (const key of Object.keys(raw)) {
    const allowed = KEYS_BY_KIND[key];
    if (allowed && !allowed.includes(type)) {
      const hint =
        key === "domain" && type === "worker"
          ? "set `port` (or `type: http`) to make this an HTTP service"
          : type === "static" && key === "command"
            ? "a static frontend is served from its build output; use `build` for its build command"
            : `${key} applies to ${allowed.map((k) => KIND_NAMES[k]).join(" or ")}; this service is ${KIND_NAMES[type]}${raw.type === undefined ? " (set `type` if that is wrong)" : ""}`;
      c.error(c.at(raw, key), pathJoin(base, key), `\`${key}\` is not allowed on ${KIND_NAMES[type]}`, hint);
    }
  }
}

function checkSource(s: Service, services: Plain, c: Checker): void {
  const { name, raw, base, type } = s;
  if (type !== "static") {
    if (raw.build === undefined && raw.image === undefined) {
      c.error(
        c.at(services, name),
        base,
        "neither `build` nor `image` is set",
        "set `build: ./dir` (a directory with a Dockerfile) or `image: repository:tag`",
      );
    } else if (raw.build !== undefined && raw.image !== undefined) {
      c.error(
        c.at(raw, "image"),
        pathJoin(base, "image"),
        "both `build` and `image` are set",
        "keep one: build an image from source, or run a prebuilt one",
      );
    }
    return;
  }
  // The schema cannot tell a service's kind: a static frontend has its source in `static`, and its
  // `build` is the command that builds it, not an image build.
  if (raw.static === undefined)
    c.error(
      c.at(services, name),
      base,
      "a static frontend needs `static`",
      "the directory of its source, relative to the spec file, such as ./web",
    );
  if (isObj(raw.build))
    c.error(
      c.at(raw, "build"),
      pathJoin(base, "build"),
      "a static frontend's `build` is the command that builds it",
      "such as `build: npm run build`; its source directory is `static`",
    );
}

function checkSchedule(s: Service, services: Plain, c: Checker): void {
  const { name, raw, base, type } = s;
  if (type === "job" && raw.schedule === undefined) {
    c.error(
      c.at(services, name),
      base,
      "a scheduled job needs `schedule`",
      "a 5-field cron expression, such as '0 3 * * *'",
    );
  }
  checkCron(
    c,
    raw,
    "schedule",
    pathJoin(base, "schedule"),
    "minute hour day-of-month month day-of-week, such as '*/15 * * * *'",
  );
  if (typeof raw.timezone === "string") {
    const why = timeZoneProblem(raw.timezone);
    if (why)
      c.error(
        c.valueAt(raw, "timezone"),
        pathJoin(base, "timezone"),
        why,
        "an IANA time zone name, such as Europe/Paris or America/New_York",
      );
  }
}

function checkUses(s: Service, { usable }: SpecNames, c: Checker): void {
  const { raw, base } = s;
  const uses = raw.uses;
  if (Array.isArray(uses)) {
    uses.forEach((u, i) => {
      if (typeof u !== "string" || usable.includes(u)) return;
      if (u === "email") {
        c.error(
          c.valueAt(uses, i),
          `${base}.uses[${i}]`,
          "`email` is used but the spec has no `email` section",
          "add `email: { domain: ..., senders: [...] }`",
        );
        return;
      }
      c.error(
        c.valueAt(uses, i),
        `${base}.uses[${i}]`,
        `unknown database, cache, topic or bucket \`${u}\``,
        c.nearest(u, usable, "names"),
      );
    });
  }
}

/** Checks the topics a service subscribes to and returns their names. */
function checkSubscribes(s: Service, { topics }: SpecNames, c: Checker): unknown[] {
  const { raw, base } = s;
  const subs = raw.subscribes;
  const subNames = Array.isArray(subs) ? subs : Object.keys(isObj(subs) ? subs : {});
  subNames.forEach((t, i) => {
    if (typeof t !== "string" || topics.includes(t)) return;
    const pos = Array.isArray(subs) ? c.valueAt(subs, i) : c.at(subs, t);
    c.error(
      pos,
      Array.isArray(subs) ? `${base}.subscribes[${i}]` : `${base}.subscribes.${t}`,
      `unknown topic \`${t}\``,
      c.nearest(t, topics, "topics"),
    );
  });

  return subNames;
}

function checkScale(s: Service, c: Checker): void {
  const { raw, base } = s;
  // Scale
  const scale = raw.scale;
  if (
    isObj(scale) &&
    typeof scale.min === "number" &&
    typeof scale.max === "number" &&
    scale.min > scale.max
  ) {
    c.error(
      c.at(scale, "min"),
      `${base}.scale.min`,
      `min (${scale.min}) is greater than max (${scale.max})`,
      "min is the fewest instances and max the most",
    );
  }
}

/** Ports that clash inside one pod: the service's own and those of the Dapr sidecar it runs with. */
function checkPorts(s: Service, { topics }: SpecNames, subNames: unknown[], c: Checker): void {
  const { raw, base, type } = s;
  // Ports
  const usesTopics = subNames.length > 0 || stringItems(raw.uses).some(([u]) => topics.includes(u));
  const port =
    typeof raw.port === "number"
      ? raw.port
      : type === "http" || subNames.length > 0
        ? DEFAULT_PORT
        : undefined;
  if (port !== undefined && (type === "http" || type === "worker")) {
    if (usesTopics && DAPR_PORTS.has(port)) {
      c.error(
        c.valueAt(raw, "port"),
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
        c.error(
          c.valueAt(metrics, "port"),
          `${base}.metrics.port`,
          `port ${metrics.port} clashes with ${DAPR_PORTS.get(metrics.port)!} in the same pod`,
          "pick another metrics port",
        );
      }
    }
  }
}

function checkShutdown(s: Service, c: Checker): void {
  const { raw, base } = s;
  // Health checks: liveness only is a trap (no readiness gate means traffic before ready).
  const shutdown = raw.shutdown;
  if (isObj(shutdown) && typeof shutdown.drain === "string" && typeof shutdown.grace === "string") {
    if (seconds(shutdown.drain) >= seconds(shutdown.grace)) {
      c.error(
        c.at(shutdown, "grace"),
        `${base}.shutdown.grace`,
        `grace (${shutdown.grace}) must be longer than drain (${shutdown.drain})`,
        "the process needs time to finish in-flight work after draining",
      );
    }
  }
}

function checkSecretsVsEnv(s: Service, c: Checker): void {
  const { raw, base } = s;
  // Env and secrets must not both set a variable.
  const envKeys = Object.keys(isObj(raw.env) ? raw.env : {});
  stringItems(raw.secrets).forEach(([s, i]) => {
    if (envKeys.includes(s))
      c.error(
        c.valueAt(raw.secrets, i),
        `${base}.secrets[${i}]`,
        `\`${s}\` is both a secret and a plain env setting`,
        `remove ${s} from env`,
      );
  });
}

function checkRoutes(s: Service, seen: Seen, c: Checker): void {
  const { name, raw, base, type } = s;
  // Routes: one host and path per service.
  if (type === "http" || type === "static") {
    const path = typeof raw.path === "string" ? raw.path : "/";
    const domains: [string, number | undefined][] =
      typeof raw.domain === "string" ? [[raw.domain, undefined]] : stringItems(raw.domain);
    domains.forEach(([d, i]) => {
      const route = `${d}${path}`;
      const first = seen.routes.get(route);
      const pos = i === undefined ? c.valueAt(raw, "domain") : c.valueAt(raw.domain, i);
      // A domain listed twice by one service is the schema's duplicate, not a clash.
      if (first === name) return;
      if (first)
        c.error(
          pos,
          i === undefined ? `${base}.domain` : `${base}.domain[${i}]`,
          `${d}${path === "/" ? "" : path} is also routed to services.${first}`,
          "give one of them another domain or a different `path`",
        );
      else seen.routes.set(route, name);
    });
  }
}

function checkProduction(s: Service, c: Checker): void {
  const { raw, base, type } = s;
  const scale = raw.scale;
  // Production hygiene (warnings).
  if (type === "http") {
    const min =
      typeof scale === "number" ? scale : isObj(scale) ? (typeof scale.min === "number" ? scale.min : 1) : 1;
    if (min < 2) {
      c.warn(
        isObj(scale) ? c.at(scale, "min") : c.at(raw, scale === undefined ? undefined : "scale"),
        `${base}.scale`,
        "only one instance of this service runs",
        "set `scale: { min: 2, max: ... }` so a restart or a node failure does not take it down",
        "spec/single-instance",
      );
    }
  }
}
