// How App Service supplies what an app receives (src/model/bindings.ts): for each variable of a
// workload's contract, and for App Service's own, whether its value is written into the parameter
// file, is a Key Vault reference (to a secret operators set, one a data store's module writes, or
// one the deployment composes from an `env` template), is an expression only the deployment knows,
// or cannot be supplied at all. The Bicep (./sections/app-settings.ts), `gantry env` (./contract.ts)
// and the pipeline's migrations (./pipeline-appservice.ts) read this one answer.
//
// Values a data store's module learns (a server's host name, a password, the e-mail sender domain)
// reach the app through Key Vault, never as a module output in an app setting: those modules write
// to the vault, whose firewall lets the apps' outbound addresses in, so an app that read their
// outputs would depend on itself.
import { workloadVariables, type Binding, type ResourceRef, type Variable } from "../../model/bindings.js";
import { appDatabase, isJob, topicsUsed, usesEmail } from "../../model/queries.js";
import type { AppModel, JobModel, ServiceModel } from "../../model/types.js";
import { alnum, secretName, slug } from "./names.js";

/** Who writes a Key Vault secret an app setting refers to. */
export type SecretWriter =
  | { by: "operator" }
  /** The module of the PostgreSQL server or Redis cache the part belongs to. */
  | { by: "resource"; ref: ResourceRef }
  /** The Communication Services module. */
  | { by: "email"; what: "connection-string" | "sender-domain" }
  /** The deployment, from an `env` template (a key of the composed values, see templateKey). */
  | { by: "composed"; parts: (string | ResourceRef)[] };

/** A value main.bicep computes at deployment and hands to the app by key. */
export type DeployedValue =
  | { kind: "application-insights" }
  | { kind: "bucket-url"; bucket: string }
  | { kind: "template"; parts: (string | ResourceRef)[] };

export type Supply =
  | { kind: "plain"; value: string }
  | { kind: "vault"; secret: string; writer: SecretWriter }
  | { kind: "deployed"; key: string; value: DeployedValue }
  | { kind: "missing"; why: string };

/** One app setting of a workload: a variable of its contract, or one App Service adds (platform). */
export interface AppSetting {
  name: string;
  platform: boolean;
  supply: Supply;
}

/** Azure Cache for Redis accepts TLS only, on this port (the non-TLS port is off). */
export const REDIS_TLS_PORT = "6380";
export const POSTGRES_PORT = "5432";

/** The administrator login of a server; the apps connect as it. */
export const postgresLogin = (name: string): string => `${alnum(name, 16)}admin`;

/** A bucket's blob container. */
export const containerName = (bucket: string): string => slug(bucket);

/**
 * The Key Vault secret that holds one part of a server or cache: `database-url`, `redis-password`,
 * and `database-url-<name>` when the spec has several of that kind.
 */
export function resourceSecret(app: AppModel, r: ResourceRef): string {
  const kind = r.kind === "postgres" ? "database" : "redis";
  const several = Object.keys(r.kind === "postgres" ? app.postgres : app.redis).length > 1;
  return `${kind}-${r.part}${several ? `-${slug(r.resource)}` : ""}`;
}

/** The key of a deployed value or composed template: the value as the spec writes it. */
export const templateKey = (parts: (string | ResourceRef)[]): string =>
  parts.map((p) => (typeof p === "string" ? p : `\${${p.resource}.${p.part}}`)).join("");

const plain = (value: string): Supply => ({ kind: "plain", value });
const vault = (secret: string, writer: SecretWriter): Supply => ({ kind: "vault", secret, writer });

/** How a service gets one part of a PostgreSQL, Redis or bucket on App Service. */
export function partSupply(app: AppModel, r: ResourceRef): Supply {
  const fromModule = () => vault(resourceSecret(app, r), { by: "resource", ref: r });
  if (r.kind === "bucket")
    return r.part === "name"
      ? plain(containerName(r.resource))
      : { kind: "deployed", key: `${r.resource}.url`, value: { kind: "bucket-url", bucket: r.resource } };
  if (r.kind === "redis") return r.part === "port" ? plain(REDIS_TLS_PORT) : fromModule();
  const pg = app.postgres[r.resource];
  switch (r.part) {
    case "port":
      return plain(POSTGRES_PORT);
    case "database":
      return plain(pg ? appDatabase(pg) : "postgres");
    case "user":
      return plain(postgresLogin(r.resource));
    case "sslmode":
      // Flexible Server requires TLS.
      return plain("require");
    default:
      return fromModule();
  }
}

/**
 * An `env` value with references: plain text when every part is known before deploying, an
 * expression of the deployment when one is only known then, and a Key Vault secret the deployment
 * composes when a part comes from the vault (a credential, a host name).
 */
function templateSupply(app: AppModel, w: ServiceModel, name: string, parts: (string | ResourceRef)[]) {
  const supplies = parts.map((p) => (typeof p === "string" ? plain(p) : partSupply(app, p)));
  if (supplies.some((s) => s.kind === "vault"))
    return vault(`env-${slug(w.name)}-${slug(name)}`, { by: "composed", parts });
  if (supplies.some((s) => s.kind === "deployed"))
    return { kind: "deployed", key: templateKey(parts), value: { kind: "template", parts } } as const;
  return plain(supplies.map((s) => (s.kind === "plain" ? s.value : "")).join(""));
}

const NO_DAPR =
  "App Service runs no Dapr sidecar: publish and receive through the Kafka-compatible broker of KAFKA_BROKERS";

function bindingSupply(app: AppModel, w: ServiceModel, v: Variable): Supply {
  const b: Binding = v.binding;
  switch (b.kind) {
    case "postgres":
    case "redis":
    case "bucket":
      return partSupply(app, b);
    case "template":
      return templateSupply(app, w, v.name, b.parts);
    case "secret":
      return vault(secretName(b.name), { by: "operator" });
    case "literal":
      return plain(b.value);
    case "port":
      return plain(String(w.port));
    case "listen-address":
      return plain("0.0.0.0");
    case "pubsub-name":
    case "pubsub-port":
      return { kind: "missing", why: NO_DAPR };
    case "email-domain":
      return vault(EMAIL_DOMAIN_SECRET, { by: "email", what: "sender-domain" });
    case "environment-name":
      return plain(app.environment.name);
    case "service-name":
      return plain(w.name);
  }
}

export const EMAIL_DOMAIN_SECRET = "email-sender-domain";
export const ACS_SECRET = "acs-connection-string";
/** The secrets a service that publishes or subscribes reads to reach a Kafka-compatible broker. */
export const KAFKA_SECRETS = ["KAFKA_BROKERS", "KAFKA_USERNAME", "KAFKA_PASSWORD"];

/** The path App Service probes: readiness, else liveness ('' for none). */
export const healthCheckPath = (s: ServiceModel): string => s.health?.readiness ?? s.health?.liveness ?? "";

/** What App Service sets beyond the contract. */
function platformSettings(app: AppModel, s: ServiceModel): AppSetting[] {
  const setting = (name: string, supply: Supply): AppSetting => ({ name, platform: true, supply });
  const out = [
    setting("APPLICATIONINSIGHTS_CONNECTION_STRING", {
      kind: "deployed",
      key: "applicationInsights",
      value: { kind: "application-insights" },
    }),
    // Containers get no shared /home storage: the image is the whole app.
    setting("WEBSITES_ENABLE_APP_SERVICE_STORAGE", plain("false")),
  ];
  // The port App Service routes requests to.
  if (s.port !== undefined) out.push(setting("WEBSITES_PORT", plain(String(s.port))));
  // Failed health pings before App Service replaces an instance (it accepts 2 to 10).
  if (healthCheckPath(s) && s.health)
    out.push(
      setting(
        "WEBSITE_HEALTHCHECK_MAXPINGFAILURES",
        plain(String(Math.min(10, Math.max(2, s.health.failure_threshold)))),
      ),
    );
  if (usesEmail(app, s))
    out.push(setting("ACS_CONNECTION_STRING", vault(ACS_SECRET, { by: "email", what: "connection-string" })));
  if (topicsUsed(app, s).length > 0)
    for (const k of KAFKA_SECRETS) out.push(setting(k, vault(secretName(k), { by: "operator" })));
  return out;
}

/** Why App Service supplies nothing to a scheduled job. */
export const jobNotDeployed = (w: JobModel): string =>
  `App Service has no scheduler, so job ${w.name} is not deployed (targets.azure.compute: aks runs it as a CronJob)`;

/** Every app setting of a workload on App Service in one environment, sorted by name. */
export function appSettings(app: AppModel, w: ServiceModel | JobModel): AppSetting[] {
  const contract = workloadVariables(app, w);
  if (isJob(w))
    return contract.map((v) => ({
      name: v.name,
      platform: false,
      supply: { kind: "missing", why: jobNotDeployed(w) },
    }));
  const out: AppSetting[] = [
    ...contract.map((v) => ({ name: v.name, platform: false, supply: bindingSupply(app, w, v) })),
    ...platformSettings(app, w),
  ];
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The settings an App Service really has: every one it can supply. */
export const suppliedSettings = (app: AppModel, w: ServiceModel): AppSetting[] =>
  appSettings(app, w).filter((s) => s.supply.kind !== "missing");
