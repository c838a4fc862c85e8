// Target-wide settings of the Kubernetes target: `targets.kubernetes` with its defaults, where images
// come from, and the keys of the app's Secret. Documented in docs/targets/kubernetes.md.
import type { AnyServiceModel, AppModel, TargetsModel } from "../../model/types.js";

export type KubernetesSettings = Required<
  Omit<NonNullable<TargetsModel["kubernetes"]>, "registry" | "tls_email">
> & {
  registry: string;
  /** Where the registry came from, for the problem messages. */
  registrySource: "spec" | "repository" | "local";
  tls_email?: string;
};

/** Registry used when neither targets.kubernetes.registry nor ci.repository says where images live. */
export const LOCAL_REGISTRY = "localhost:5000";

export function kubernetesSettings(app: AppModel): KubernetesSettings {
  const t = app.targets.kubernetes;
  let registry: string;
  let registrySource: KubernetesSettings["registrySource"];
  if (t?.registry) {
    registry = t.registry.replace(/\/+$/, "");
    registrySource = "spec";
  } else if (app.ci.repository) {
    registry = `ghcr.io/${app.ci.repository.toLowerCase()}`;
    registrySource = "repository";
  } else {
    registry = `${LOCAL_REGISTRY}/${app.name}`;
    registrySource = "local";
  }
  return {
    provider: t?.provider ?? "generic",
    ingress_class: t?.ingress_class ?? "nginx",
    image_pull_secret: t?.image_pull_secret ?? "registry-credentials",
    secret_name: t?.secret_name ?? "app-secrets",
    registry,
    registrySource,
    ...(t?.tls_email ? { tls_email: t.tls_email } : {}),
  };
}

/**
 * The image repository of a service (without tag). A service with `image` uses it; otherwise the
 * image is `<registry>/<service>` when the registry already ends with the app's name
 * (ghcr.io/hackathon/todo → ghcr.io/hackathon/todo/backend), else `<registry>/<app>/<service>`.
 */
export function imageRepository(app: string, registry: string, svc: AnyServiceModel): string {
  if (svc.type !== "static" && svc.image) return svc.image.replace(/:[^/:@]+$/, "");
  const last = registry.split("/").pop();
  return last === app ? `${registry}/${svc.name}` : `${registry}/${app}/${svc.name}`;
}

/** The tag of a service's own `image`, when it names one. */
export function imageTag(svc: AnyServiceModel): string | undefined {
  if (svc.type === "static" || !svc.image) return undefined;
  return /:([^/:@]+)$/.exec(svc.image)?.[1];
}

const upperSnake = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]+/g, "_");

export interface ConnectionKeys {
  /** Secret key of the connection string of each postgres / redis / bucket entry. */
  byStore: Record<string, string>;
  /** Secret key of the host:port of each Redis (Dapr state stores need it split). */
  redisHost: Record<string, string>;
  /** Secret key of the password of each postgres / redis entry (in-cluster servers and Dapr). */
  passwords: Record<string, string>;
  email?: string;
  kafka: { brokers: string; username: string; password: string };
}

/**
 * Keys of the app's Secret for what services `use`: DATABASE_URL when the app has one PostgreSQL
 * entry, DATABASE_URL_<NAME> when it has several; REDIS_URL(_<NAME>) likewise; BUCKET_URL(_<NAME>),
 * SMTP_URL, and KAFKA_BROKERS / KAFKA_USERNAME / KAFKA_PASSWORD for topics.
 */
export function connectionKeys(app: AppModel): ConnectionKeys {
  const byStore: Record<string, string> = {};
  const redisHost: Record<string, string> = {};
  const passwords: Record<string, string> = {};
  const pg = Object.keys(app.postgres);
  const rd = Object.keys(app.redis);
  const bk = Object.keys(app.buckets);
  const suffix = (list: string[], name: string) => (list.length === 1 ? "" : `_${upperSnake(name)}`);
  for (const n of pg) {
    byStore[n] = `DATABASE_URL${suffix(pg, n)}`;
    passwords[n] = `POSTGRES_PASSWORD${suffix(pg, n)}`;
  }
  for (const n of rd) {
    byStore[n] = `REDIS_URL${suffix(rd, n)}`;
    redisHost[n] = `REDIS_HOST${suffix(rd, n)}`;
    passwords[n] = `REDIS_PASSWORD${suffix(rd, n)}`;
  }
  for (const n of bk) byStore[n] = `BUCKET_URL${suffix(bk, n)}`;
  return {
    byStore,
    redisHost,
    passwords,
    ...(app.email ? { email: "SMTP_URL" } : {}),
    kafka: { brokers: "KAFKA_BROKERS", username: "KAFKA_USERNAME", password: "KAFKA_PASSWORD" },
  };
}
