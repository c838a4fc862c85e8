// What the containers of a workload receive on Kubernetes: the contract of src/model/bindings.ts,
// each value from where the cluster has it. What the chart knows (names, ports, in-cluster hosts) is a
// plain value in the workload's ConfigMap; what it cannot know comes from the app's Secret by
// secretKeyRef (secret-keys.ts names the keys); a value that joins both (a URL with a password, a
// `${db.host}` template) is composed by Kubernetes from variables defined before it in the same
// container (`$(NAME)`), so no value is ever written into a file and no wrapper script is needed.
import { workloadVariables, type Binding, type ResourceRef } from "../../model/bindings.js";
import { appDatabase, topicsUsed, usesEmail } from "../../model/queries.js";
import type { AppModel, JobModel, ServiceModel } from "../../model/types.js";
import { kubernetesSettings } from "./settings.js";
import { carrierName, REDIS_ADDRESS, resourceKey, SMTP_KEY, SMTP_VARIABLE } from "./secret-keys.js";
import {
  clusterPostgresUser,
  managedPorts,
  pgServiceName,
  POSTGRES_PORT,
  REDIS_PORT,
  redisServiceName,
} from "./values-datastores.js";
import { PUBSUB_COMPONENT } from "../../model/bindings.js";
import type { ComposedEnv, SecretEnv } from "./values.js";

/** A piece of a value: literal text, or the value of a key of the app's Secret. */
export type Segment = string | { key: string };

export interface ContainerEnv {
  /** Plain values: the workload's ConfigMap, inline in the migrations Job. */
  config: Record<string, string>;
  /** Values of the app's Secret by secretKeyRef, sorted by name. */
  secretEnv: SecretEnv[];
  /** Values Kubernetes composes from the Secret's variables, which come before them; sorted by name. */
  composedEnv: ComposedEnv[];
  /** Variables beyond the contract (platform variables), with the key each holds and why it is there. */
  extras: { name: string; key: string; why: string }[];
}

/** Pods of services that publish or receive topics run the Dapr sidecar; a Job's never do (it would never finish). */
export const daprSidecar = (app: AppModel, w: ServiceModel | JobModel): boolean =>
  w.type !== "job" && topicsUsed(app, w).length > 0;

const key = (kind: ResourceRef["kind"], name: string, part: string): Segment => ({
  key: resourceKey(kind, name, part),
});

/**
 * A part of a PostgreSQL: an in-cluster server (hosting: cluster) is what the chart runs, so only its
 * password is in the Secret; a managed one is reached with what the operator puts there.
 */
function postgresPart(app: AppModel, r: ResourceRef & { kind: "postgres" }): Segment[] {
  const pg = app.postgres[r.resource]!;
  const database = appDatabase(pg);
  const password = key("postgres", pg.name, "password");
  if (pg.hosting === "cluster") {
    const [host, port, user] = [pgServiceName(pg.name), String(POSTGRES_PORT), clusterPostgresUser(app)];
    const url = [`postgresql://${user}:`, password, `@${host}:${port}/${encodeURIComponent(database)}`];
    const parts = {
      url,
      host: [host],
      port: [port],
      database: [database],
      user: [user],
      password: [password],
    };
    return r.part === "sslmode" ? ["disable"] : parts[r.part];
  }
  const port = String(managedPorts(kubernetesSettings(app).provider, "postgres", true)[0]);
  return {
    url: [key("postgres", pg.name, "url")],
    host: [key("postgres", pg.name, "host")],
    port: [port],
    database: [database],
    user: [key("postgres", pg.name, "user")],
    password: [password],
    // Every managed PostgreSQL (DigitalOcean, Azure, RDS) takes TLS; the URL in the Secret says so too.
    sslmode: ["require"],
  }[r.part];
}

function redisPart(app: AppModel, r: ResourceRef & { kind: "redis" }): Segment[] {
  const redis = app.redis[r.resource]!;
  const password = key("redis", redis.name, "password");
  if (redis.hosting === "cluster") {
    const [host, port] = [redisServiceName(redis.name), String(REDIS_PORT)];
    return {
      url: ["redis://:", password, `@${host}:${port}`],
      host: [host],
      port: [port],
      password: [password],
    }[r.part];
  }
  const port = String(managedPorts(kubernetesSettings(app).provider, "redis", redis.tls)[0]);
  return {
    url: [key("redis", redis.name, "url")],
    host: [key("redis", redis.name, "host")],
    port: [port],
    password: [password],
  }[r.part];
}

/** A part of a PostgreSQL, Redis or bucket, as text and keys of the app's Secret. */
export function resourceValue(app: AppModel, r: ResourceRef): Segment[] {
  if (r.kind === "postgres") return postgresPart(app, r);
  if (r.kind === "redis") return redisPart(app, r);
  return [key("bucket", r.resource, r.part)];
}

/** The key of Redis as `host:port` for Dapr: the in-cluster Service is known, a managed one is in the Secret. */
export function redisAddress(app: AppModel, name: string): Segment {
  const redis = app.redis[name]!;
  return redis.hosting === "cluster"
    ? `${redisServiceName(name)}:${REDIS_PORT}`
    : key("redis", name, REDIS_ADDRESS);
}

/** The value of a binding on Kubernetes; undefined when no file sets it (the Dapr HTTP port). */
export function bindingValue(app: AppModel, w: ServiceModel | JobModel, b: Binding): Segment[] | undefined {
  switch (b.kind) {
    case "postgres":
    case "redis":
    case "bucket":
      return resourceValue(app, b);
    case "template":
      return b.parts.flatMap((p) => (typeof p === "string" ? [p] : resourceValue(app, p)));
    case "secret":
      return [{ key: b.name }];
    case "literal":
      return [b.value];
    case "port":
      return w.type === "job" ? undefined : [String(w.port)];
    case "listen-address":
      return ["0.0.0.0"];
    case "pubsub-name":
      return [PUBSUB_COMPONENT];
    case "pubsub-port":
      // The Dapr sidecar injector sets it in every container of a pod with the sidecar.
      return undefined;
    case "email-domain":
      return [app.email?.domain ?? ""];
    case "environment-name":
      return [app.environment.name];
    case "service-name":
      return [w.name];
  }
}

/** Kubernetes expands `$(NAME)` in env values and commands and reads `$$` as `$`: literal text doubles each `$`. */
export const escapeDollars = (text: string): string => text.replace(/\$/g, "$$$$");

/** The environment every container of the workload gets. */
export function containerEnv(app: AppModel, w: ServiceModel | JobModel): ContainerEnv {
  const config: Record<string, string> = {};
  const secretEnv: SecretEnv[] = [];
  const composed: { name: string; segments: Segment[] }[] = [];
  const extras: ContainerEnv["extras"] = [];
  const variables = workloadVariables(app, w);
  for (const v of variables) {
    const segments = bindingValue(app, w, v.binding);
    if (!segments) continue;
    const text = segments.filter((s) => typeof s === "string");
    const keys = segments.filter((s) => typeof s !== "string");
    if (keys.length === 0) config[v.name] = text.join("");
    else if (segments.length === 1) secretEnv.push({ name: v.name, key: keys[0]!.key });
    else composed.push({ name: v.name, segments });
  }
  if (usesEmail(app, w) && !variables.some((v) => v.name === SMTP_VARIABLE)) {
    secretEnv.push({ name: SMTP_VARIABLE, key: SMTP_KEY });
    extras.push({
      name: SMTP_VARIABLE,
      key: SMTP_KEY,
      why: "the SMTP relay: a cluster runs no mail service",
    });
  }
  // A composed value reads each key through a variable defined before it: one of the contract's when
  // the container has it anyway (PGPASSWORD), else a carrier of its own.
  const carriers = new Map<string, string>();
  for (const e of secretEnv) if (!carriers.has(e.key)) carriers.set(e.key, e.name);
  /** Each carrier of its own → the composed values that read it. */
  const carried = new Map<string, string[]>();
  const composedEnv = composed.map(({ name, segments }) => {
    const value = segments.map((s) => {
      if (typeof s === "string") return escapeDollars(s);
      let carrier = carriers.get(s.key);
      if (carrier === undefined) {
        carrier = carrierName(s.key);
        carriers.set(s.key, carrier);
        secretEnv.push({ name: carrier, key: s.key });
        carried.set(carrier, []);
      }
      carried.get(carrier)?.push(name);
      return `$(${carrier})`;
    });
    return { name, value: value.join("") };
  });
  for (const [carrier, into] of carried)
    extras.push({
      name: carrier,
      key: secretEnv.find((e) => e.name === carrier)!.key,
      why: `Kubernetes composes ${[...new Set(into)].join(", ")} from it`,
    });
  const byName = <T extends { name: string }>(list: T[]) =>
    list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    config: Object.fromEntries(
      Object.keys(config)
        .sort()
        .map((k) => [k, config[k]!]),
    ),
    secretEnv: byName(secretEnv),
    composedEnv: byName(composedEnv),
    extras: byName(extras),
  };
}
