// The spec generator's services: each of the four kinds with the fields that kind may set, each field
// sampled from the schema, and the fields whose meaning ties them to the rest of the spec (uses,
// subscribes, env references, command variables, ports, domains, schedules) made to agree with it.
// Values an environment must receive carry a marker (`mk…`), so a test can find them in the files of
// that environment and no other.
import { REFERENCE_PARTS } from "../src/spec/env-references.js";
import { ServiceSchema } from "../src/spec/schema-services.js";
import type { JsonSchema } from "../src/spec/check-schema.js";
import { isPlain, nodeAt, sample, type Plain, type Rng } from "./spec-generator-schema.js";

export type Kind = "http" | "worker" | "job" | "static";
export const KINDS: readonly Kind[] = ["http", "worker", "job", "static"];

const SCHEMA = ServiceSchema as unknown as JsonSchema;
const COMMON = ["description", "env", "ci"];
const WORKLOAD = ["source", "command", "build_command", "secrets", "resources", "uses", "read_only_root"];
const LONG_RUNNING = ["health", "scale", "subscribes", "migrations", "shutdown", "rollout", "metrics"];
/** The fields each kind may set ("source" is build or image), as docs/spec.md's "Kinds of service" says. */
export const KIND_FIELDS: Record<Kind, string[]> = {
  http: [...COMMON, ...WORKLOAD, ...LONG_RUNNING, "port", "domain", "path", "request_timeout"],
  worker: [...COMMON, ...WORKLOAD, ...LONG_RUNNING],
  job: [...COMMON, ...WORKLOAD, "schedule", "timezone", "timeout", "retries"],
  static: [...COMMON, "static", "install", "build", "output", "spa", "domain", "path"],
};
/** The fields that make a service what it is: always written, never removed by an environment. */
export const DEFINING: Record<Kind, string[]> = {
  http: ["source", "port"],
  worker: ["source"],
  job: ["source", "schedule"],
  static: ["static"],
};

/**
 * Schedules every platform reads the same way (plain numbers, no names, no `7` for Sunday, no macros):
 * translating the others per platform is src/model/schedule.ts's work, not this property's.
 */
export const SCHEDULES = [
  "0 3 * * *",
  "*/15 * * * *",
  "30 2 * * 1-5",
  "0 0 1 * *",
  "0 */6 * * *",
  "5 4 * * 0",
];
const TIME_ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo"];
const SECRETS = ["JWT_SECRET", "STRIPE_API_KEY", "SESSION_KEY", "SENTRY_DSN"];
const ENV_NAMES = [
  "LOG_LEVEL",
  "APP_MODE",
  "FEATURE_FLAGS",
  "GREETING",
  "MAX_ITEMS",
  "PUBLIC_URL",
  "CACHE_TTL",
  "UNIX_MODE",
];
/** Strings a YAML 1.1 reader (Kubernetes, Helm) would take for something else unless quoted. */
export const YAML_TRAPS = ["yes", "on", "off", "0755", "1.10", "12:30", "null", "~", "0x10", "1e3"];
const MARKED_TEXT = ["v", "hello world", "a$b", 'say "hi"', "café", "x: y", "#hash", "$${LITERAL}", "it's"];
/** Ports a Dapr sidecar takes: a service that uses topics cannot listen on them. */
const DAPR_PORTS = new Set([3500, 3501, 9090, 50001]);

/** What the rest of the spec offers a service. */
export interface Names {
  postgres: string[];
  redis: string[];
  topics: string[];
  buckets: string[];
  email: boolean;
  /** The zone domains live in. */
  zone: string;
}

export interface ServiceContext {
  r: Rng;
  names: Names;
  /** Ports other services of the same environment have. */
  ports: Set<number>;
}

export const usable = (n: Names): string[] => [
  ...n.postgres,
  ...n.redis,
  ...n.topics,
  ...n.buckets,
  ...(n.email ? ["email"] : []),
];

/** A new service of a kind, with its defining fields and some of the others. */
export function generateService(name: string, kind: Kind, c: ServiceContext): Plain {
  const svc: Plain = {};
  if (c.r.chance(0.2)) svc.type = kind;
  for (const field of KIND_FIELDS[kind])
    if (DEFINING[kind].includes(field) || c.r.chance(0.45)) setField(svc, name, kind, field, c);
  return svc;
}

/** Writes one field of a service (or leaves it out when it has nothing to say). */
export function setField(svc: Plain, name: string, kind: Kind, field: string, c: ServiceContext): void {
  if (field === "source") {
    delete svc.build;
    delete svc.image;
    if (c.r.chance(0.25)) svc.image = sample(nodeAt(SCHEMA, "image"), c.r, "image");
    else
      svc.build = c.r.chance(0.7)
        ? `./${name}`
        : { ...(sample(buildObject(), c.r, "build") as Plain), context: `./${name}` };
    return;
  }
  const value = fieldValue(svc, name, kind, field, c);
  if (value === undefined) Reflect.deleteProperty(svc, field);
  else svc[field] = value;
}

function buildObject(): JsonSchema {
  return nodeAt(SCHEMA, "build").anyOf!.find((b) => b.type === "object")!;
}

function fieldValue(svc: Plain, name: string, kind: Kind, field: string, c: ServiceContext): unknown {
  const { r, names } = c;
  switch (field) {
    case "command":
      return command(r, commandVariables(svc, kind), r.token("mk"));
    case "migrations": {
      const line = command(r, commandVariables(svc, kind), r.token("mk"));
      return r.chance(0.5) ? line : { command: line, ...(r.chance(0.5) ? { timeout: "5m" } : {}) };
    }
    case "env":
      return envValues(svc, names, r);
    case "secrets": {
      const own = Object.keys(isPlain(svc.env) ? svc.env : {});
      const list = r.some(SECRETS, 0.3).filter((s) => !own.includes(s));
      return list.length ? list : undefined;
    }
    case "uses": {
      const list = r.some(usable(names), 0.5);
      return list.length ? list : undefined;
    }
    case "subscribes":
      return subscribes(r, names.topics);
    case "port":
      return freePort(c);
    case "domain": {
      const hosts = [`${name}-${r.token("mk")}.${names.zone}`];
      if (r.chance(0.3)) hosts.push(`www-${r.token("mk")}.${names.zone}`);
      return hosts.length === 1 && r.chance(0.5) ? hosts[0] : hosts;
    }
    case "scale":
      return scale(r);
    case "shutdown": {
      const drain = r.int(1, 20);
      return { drain: `${drain}s`, grace: `${drain + r.int(5, 60)}s` };
    }
    case "metrics": {
      const m = sample(nodeAt(SCHEMA, "metrics"), r, "metrics");
      if (isPlain(m) && m.port !== undefined) m.port = r.int(9100, 9199);
      return m;
    }
    case "static":
      return `./${name}`;
    case "build":
      return r.pick(["npm run build", "pnpm build", "hugo --minify"]);
    case "install":
      return r.pick(["npm ci", "pnpm install --frozen-lockfile"]);
    case "output":
      return r.pick(["dist", ".", "public"]);
    case "schedule":
      return r.pick(SCHEDULES);
    case "timezone":
      return r.pick(TIME_ZONES);
    default:
      return sample(nodeAt(SCHEMA, field), r, `services.${name}.${field}`);
  }
}

function freePort(c: ServiceContext): number {
  for (;;) {
    const p = c.r.int(1024, 9999);
    if (!c.ports.has(p) && !DAPR_PORTS.has(p)) {
      c.ports.add(p);
      return p;
    }
  }
}

function scale(r: Rng): unknown {
  if (r.chance(0.4)) return r.int(0, 4);
  const min = r.int(0, 3);
  const out: Plain = { min, max: Math.max(1, min + r.int(0, 5)) };
  if (r.chance(0.5)) out.cpu = r.int(10, 90);
  if (r.chance(0.3)) out.memory = r.int(10, 90);
  for (const side of ["up", "down"])
    if (r.chance(0.2)) out[side] = sample(nodeAt(SCHEMA, `scale.${side}`), r, `scale.${side}`);
  return out;
}

function subscribes(r: Rng, topics: string[]): unknown {
  const list = r.some(topics, 0.5);
  if (!list.length) return undefined;
  if (r.chance(0.5)) return list;
  const item = nodeAt(SCHEMA, "subscribes").anyOf!.find((b) => b.type === "object")!
    .additionalProperties as JsonSchema;
  return Object.fromEntries(list.map((t) => [t, sample(item, r, `subscribes.${t}`)]));
}

/** The variables a command may name: those the service receives in every environment it runs in. */
export function commandVariables(svc: Plain, kind: Kind): string[] {
  const env = Object.keys(isPlain(svc.env) ? svc.env : {});
  const secrets = Array.isArray(svc.secrets) ? (svc.secrets as string[]) : [];
  return ["GANTRY_ENV", "GANTRY_SERVICE", ...(kind === "http" ? ["PORT"] : []), ...env, ...secrets];
}

/** A command line with variables, quotes, and sometimes shell syntax; `marker` is one word of it. */
export function command(r: Rng, vars: string[], marker: string): string {
  const v = r.pick(vars);
  return r.pick([
    `./bin/server --tag ${marker}`,
    `node server.js --flag $${v} --tag ${marker}`,
    `python -m app --env \${${v}} --tag ${marker}`,
    `./run --name "$${v}" --note 'cost $5' --tag ${marker}`,
    `./migrate && exec ./serve --tag ${marker}`,
    `echo starting; ./run --tag ${marker} | tee /tmp/run.log`,
    `./run --json '{"a": 1}' --tag ${marker}`,
  ]);
}

/** Env values: marked text, YAML traps, numbers and booleans, and references to what the service uses. */
function envValues(svc: Plain, names: Names, r: Rng): Plain | undefined {
  const out: Plain = {};
  const uses = Array.isArray(svc.uses) ? (svc.uses as string[]) : [];
  for (const key of r.some(ENV_NAMES, 0.3)) {
    const roll = r.next();
    if (roll < 0.45) out[key] = `${r.pick(MARKED_TEXT)} ${r.token("mk")}`;
    else if (roll < 0.6) out[key] = r.pick(YAML_TRAPS);
    else if (roll < 0.7) out[key] = r.pick([3, 0, 1.5, true, false]);
    else {
      const ref = reference(uses, names, r);
      out[key] = ref ? r.pick([ref, `at ${ref} ${r.token("mk")}`]) : `plain ${r.token("mk")}`;
    }
  }
  return Object.keys(out).length ? out : undefined;
}

function reference(uses: string[], names: Names, r: Rng): string | undefined {
  const options = uses.flatMap((u) => {
    const parts = names.postgres.includes(u)
      ? REFERENCE_PARTS.postgres
      : names.redis.includes(u)
        ? REFERENCE_PARTS.redis
        : names.buckets.includes(u)
          ? REFERENCE_PARTS.bucket
          : [];
    return parts.map((p) => `\${${u}.${p}}`);
  });
  return options.length ? r.pick(options) : undefined;
}
