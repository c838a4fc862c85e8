// What an app receives: one contract per workload, computed once from the model and the same on every
// target and on this machine. It names every environment variable and says what it is bound to (a
// part of a database, cache or bucket, a secret, a literal, the port...), with the port, the health
// paths and what `command` means. Targets and the local runtime only supply the values; `gantry env`
// prints the contract; docs/spec.md ("What your app receives") explains the names.
import {
  parseEnvValue,
  REFERENCE_PARTS,
  SECRET_PARTS,
  type EnvReference,
  type BucketPart,
  type PostgresPart,
  type RedisPart,
} from "../spec/env-references.js";
import { parseCommand, type CommandLine } from "./command-line.js";
import {
  bucketsUsed,
  envName,
  isWorkload,
  postgresUsed,
  redisUsed,
  topicsUsed,
  usesEmail,
} from "./queries.js";
import type { AppModel, JobModel, ServiceModel } from "./types.js";

/** The pub/sub component apps publish through (their PUBSUB_NAME), the same on every platform. */
export const PUBSUB_COMPONENT = "pubsub";

export type ResourceRef =
  | { kind: "postgres"; resource: string; part: PostgresPart }
  | { kind: "redis"; resource: string; part: RedisPart }
  | { kind: "bucket"; resource: string; part: BucketPart };

export type Binding =
  | ResourceRef
  | { kind: "secret"; name: string }
  | { kind: "literal"; value: string }
  /** An `env` value with references: text and resource parts, joined in order. */
  | { kind: "template"; parts: (string | ResourceRef)[] }
  /** The port the process must listen on. */
  | { kind: "port" }
  /** The address the process must listen on: loopback on this machine, all interfaces in a container. */
  | { kind: "listen-address" }
  /** The name of the pub/sub component the app publishes through (Dapr's HTTP API). */
  | { kind: "pubsub-name" }
  /** The port of the Dapr HTTP API that publishes and delivers events. */
  | { kind: "pubsub-port" }
  /** The domain the app's e-mail senders send from (`<sender>@<domain>`). */
  | { kind: "email-domain" }
  | { kind: "environment-name" }
  | { kind: "service-name" };

export interface Variable {
  name: string;
  binding: Binding;
  /** Who names it: Gantry (from `uses`, `port`...), the service's `env`, or its `secrets`. */
  from: "gantry" | "env" | "secrets";
  /** Holds a credential: supplied through the platform's secret store, never written into a file. */
  secret: boolean;
}

export interface HealthPaths {
  liveness?: string;
  readiness?: string;
  startup?: string;
}

/** The contract of one workload in one environment. */
export interface WorkloadContract {
  service: string;
  environment: string;
  type: "http" | "worker" | "job";
  port?: number;
  health: HealthPaths;
  command?: CommandLine;
  migrations?: CommandLine;
  /** Sorted by name. */
  variables: Variable[];
}

const PG_PARTS: [string, PostgresPart][] = [
  ["PGHOST", "host"],
  ["PGPORT", "port"],
  ["PGDATABASE", "database"],
  ["PGUSER", "user"],
  ["PGPASSWORD", "password"],
  ["PGSSLMODE", "sslmode"],
];

/**
 * Each PostgreSQL, Redis and bucket a workload uses gets a variable of its own (`<NAME>_DATABASE_URL`);
 * the first of each kind in its `uses` is also the primary, under the names drivers read by default
 * (DATABASE_URL and libpq's PG*, REDIS_URL, BUCKET_*), as Heroku's primary database is. Adding a second
 * one to the end of `uses` then changes no name the app already reads.
 */
function resourceVariables(app: AppModel, w: ServiceModel | JobModel): Variable[] {
  const out: Variable[] = [];
  const ref = (r: ResourceRef, name: string) =>
    out.push({ name, binding: r, from: "gantry", secret: SECRET_PARTS[r.kind].includes(r.part) });
  postgresUsed(app, w).forEach((p, i) => {
    ref({ kind: "postgres", resource: p, part: "url" }, `${envName(p)}_DATABASE_URL`);
    if (i > 0) return;
    ref({ kind: "postgres", resource: p, part: "url" }, "DATABASE_URL");
    for (const [name, part] of PG_PARTS) ref({ kind: "postgres", resource: p, part }, name);
  });
  redisUsed(app, w).forEach((r, i) => {
    ref({ kind: "redis", resource: r, part: "url" }, `${envName(r)}_REDIS_URL`);
    if (i === 0) ref({ kind: "redis", resource: r, part: "url" }, "REDIS_URL");
  });
  bucketsUsed(app, w).forEach((b, i) => {
    for (const prefix of i === 0 ? [`${envName(b)}_BUCKET`, "BUCKET"] : [`${envName(b)}_BUCKET`]) {
      ref({ kind: "bucket", resource: b, part: "name" }, `${prefix}_NAME`);
      ref({ kind: "bucket", resource: b, part: "url" }, `${prefix}_URL`);
    }
  });
  return out;
}

/** The kind of resource a name in `uses` refers to, if it is a PostgreSQL, Redis or bucket. */
export function resourceKind(app: AppModel, name: string): ResourceRef["kind"] | undefined {
  if (name in app.postgres) return "postgres";
  if (name in app.redis) return "redis";
  if (name in app.buckets) return "bucket";
  return undefined;
}

/** A `${name.part}` reference as a binding; undefined when it names nothing (the spec checks report it). */
function referenceOf(app: AppModel, p: EnvReference): ResourceRef | undefined {
  const kind = resourceKind(app, p.resource);
  if (!kind || !(REFERENCE_PARTS[kind] as readonly string[]).includes(p.part)) return undefined;
  return { kind, resource: p.resource, part: p.part } as ResourceRef;
}

/** An `env` value: a literal, or a template of the resource parts it refers to. */
function envBinding(app: AppModel, value: string): { binding: Binding; secret: boolean } {
  const parts = parseEnvValue(value).map((p) => (typeof p === "string" ? p : referenceOf(app, p)));
  // `$${` is a literal `${`: the text without references is the value, unescaped.
  if (parts.every((p) => typeof p === "string"))
    return { binding: { kind: "literal", value: parts.join("") }, secret: false };
  if (parts.includes(undefined)) return { binding: { kind: "literal", value }, secret: false };
  const refs = parts as (string | ResourceRef)[];
  const secret = refs.some((p) => typeof p !== "string" && SECRET_PARTS[p.kind].includes(p.part));
  const only = refs.length === 1 ? refs[0] : undefined;
  return { binding: only && typeof only !== "string" ? only : { kind: "template", parts: refs }, secret };
}

/** Every variable the workload receives, sorted by name. The spec checks reject clashes between them. */
export function workloadVariables(app: AppModel, w: ServiceModel | JobModel): Variable[] {
  const out: Variable[] = [
    { name: "GANTRY_ENV", binding: { kind: "environment-name" }, from: "gantry", secret: false },
    { name: "GANTRY_SERVICE", binding: { kind: "service-name" }, from: "gantry", secret: false },
  ];
  if (w.type !== "job" && w.port !== undefined)
    out.push(
      { name: "PORT", binding: { kind: "port" }, from: "gantry", secret: false },
      { name: "HOST", binding: { kind: "listen-address" }, from: "gantry", secret: false },
    );
  out.push(...resourceVariables(app, w));
  if (topicsUsed(app, w).length > 0)
    out.push(
      { name: "PUBSUB_NAME", binding: { kind: "pubsub-name" }, from: "gantry", secret: false },
      { name: "DAPR_HTTP_PORT", binding: { kind: "pubsub-port" }, from: "gantry", secret: false },
    );
  if (usesEmail(app, w))
    out.push({
      name: "EMAIL_SENDER_DOMAIN",
      binding: { kind: "email-domain" },
      from: "gantry",
      secret: false,
    });
  for (const [name, value] of Object.entries(w.env))
    out.push({ name, from: "env", ...envBinding(app, value) });
  for (const name of w.secrets)
    out.push({ name, binding: { kind: "secret", name }, from: "secrets", secret: true });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The contract of a workload (a service, worker or job) in the model's environment. */
export function workloadContract(app: AppModel, w: ServiceModel | JobModel): WorkloadContract {
  const h = w.type === "job" ? undefined : w.health;
  return {
    service: w.name,
    environment: app.environment.name,
    type: w.type,
    ...(w.type !== "job" && w.port !== undefined ? { port: w.port } : {}),
    health: {
      ...(h?.liveness ? { liveness: h.liveness } : {}),
      ...(h?.readiness ? { readiness: h.readiness } : {}),
      ...(h?.startup ? { startup: h.startup } : {}),
    },
    ...(w.command ? { command: parseCommand(w.command) } : {}),
    ...(w.type !== "job" && w.migrations ? { migrations: parseCommand(w.migrations.command) } : {}),
    variables: workloadVariables(app, w),
  };
}

/** The contracts of every workload of one environment, by service name. */
export function contracts(app: AppModel): Record<string, WorkloadContract> {
  const out: Record<string, WorkloadContract> = {};
  for (const s of Object.values(app.services).filter(isWorkload)) out[s.name] = workloadContract(app, s);
  return out;
}

/** How a binding reads in `gantry env` and the docs: `postgres db: url`, `secret JWT_SECRET`. */
export function describeBinding(b: Binding): string {
  switch (b.kind) {
    case "postgres":
    case "redis":
    case "bucket":
      return `${b.kind} ${b.resource}: ${b.part}`;
    case "secret":
      return `secret ${b.name}`;
    case "literal":
      return "env (literal)";
    case "template":
      return `env: ${b.parts.map((p) => (typeof p === "string" ? p : `\${${p.resource}.${p.part}}`)).join("")}`;
    case "port":
      return "the service's port";
    case "listen-address":
      return "the address to listen on";
    case "pubsub-name":
      return "pub/sub component name";
    case "pubsub-port":
      return "pub/sub (Dapr) HTTP port";
    case "email-domain":
      return "e-mail sender domain";
    case "environment-name":
      return "environment name";
    case "service-name":
      return "service name";
  }
}
