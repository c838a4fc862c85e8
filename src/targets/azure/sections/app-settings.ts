// The app settings of each App Service as ../supply.ts decides them: per environment, three objects
// of the service's parameter (values, Key Vault secret names, keys of values the deployment
// computes), so each parameter file lists exactly what that environment's app receives; the values
// main.bicep computes for them; and the Key Vault secrets the deployment composes from `env`
// templates, written by one module after the data stores exist.
import { appDatabase } from "../../../model/queries.js";
import { call, member, method, ref, type BicepObject, type BicepValue } from "../../../format/bicep.js";
import type { ResourceRef } from "../../../model/bindings.js";
import type { AppModel, ServiceModel } from "../../../model/types.js";
import { existing, joinValues } from "../modules/kit.js";
import { postgresUrl, redisUrl } from "../modules/data.js";
import { camel } from "../names.js";
import {
  containerName,
  POSTGRES_PORT,
  postgresLogin,
  REDIS_TLS_PORT,
  suppliedSettings,
  templateKey,
  type DeployedValue,
} from "../supply.js";
import { anyEnv, appOf, redisName, storageAccountName, storeCondition, where, type Ctx } from "./context.js";
import { callModule, outputOf, param, type Part } from "./part.js";

/** What the service's parameter says about its app settings in one environment. */
export interface SettingsConfig {
  settings: Record<string, string>;
  secretSettings: Record<string, string>;
  deployedSettings: Record<string, string>;
}

export function settingsConfig(m: AppModel, s: ServiceModel): SettingsConfig {
  const out: SettingsConfig = { settings: {}, secretSettings: {}, deployedSettings: {} };
  for (const { name, supply } of suppliedSettings(m, s)) {
    if (supply.kind === "plain") out.settings[name] = supply.value;
    else if (supply.kind === "vault") out.secretSettings[name] = supply.secret;
    else if (supply.kind === "deployed") out.deployedSettings[name] = supply.key;
  }
  return out;
}

/** A bucket's URL, known before the storage account exists (an app setting must not wait on it). */
const bucketUrl = (c: Ctx, bucket: string): BicepValue =>
  joinValues([
    "https://",
    storageAccountName(c),
    ".blob.",
    member(call("environment"), "suffixes", "storage"),
    `/${containerName(bucket)}`,
  ]);

/** The symbol of the `existing` cache main.bicep reads an access key from. */
const redisKeysSymbol = (cache: string) => `${camel(cache)}RedisKeys`;

/**
 * A part of a server, cache or bucket as main.bicep knows it, to compose `env` templates. Every
 * environment's values are in one object: a server some environment does not deploy is read only
 * where it is deployed.
 */
function partValue(c: Ctx, r: ResourceRef): BicepValue {
  if (r.kind === "bucket") return r.part === "name" ? containerName(r.resource) : bucketUrl(c, r.resource);
  return where(storeCondition(c, r.kind, r.resource), serverPart(c, r), "");
}

function serverPart(c: Ctx, r: Extract<ResourceRef, { kind: "postgres" | "redis" }>): BicepValue {
  const id = camel(r.resource);
  if (r.kind === "redis") {
    const host = outputOf(`${id}Redis`, "hostName");
    const key = member(method(redisKeysSymbol(r.resource), "listKeys"), "primaryKey");
    const parts = { host, port: REDIS_TLS_PORT, password: key };
    return r.part === "url" ? redisUrl(parts) : parts[r.part];
  }
  const pg = anyEnv(c, (m) => m.postgres[r.resource]);
  const parts = {
    host: outputOf(`${id}Postgres`, "fqdn"),
    port: POSTGRES_PORT,
    database: pg ? appDatabase(pg) : "postgres",
    user: postgresLogin(r.resource),
    password: ref(`${id}AdministratorPassword`),
    sslmode: "require",
  };
  return r.part === "url" ? postgresUrl({ ...parts, login: parts.user }) : parts[r.part];
}

const templateValue = (c: Ctx, parts: (string | ResourceRef)[]): BicepValue =>
  joinValues(parts.map((p) => (typeof p === "string" ? p : partValue(c, p))));

function deployedValue(c: Ctx, v: DeployedValue): BicepValue {
  if (v.kind === "application-insights") return outputOf("appInsights", "connectionString");
  if (v.kind === "bucket-url") return bucketUrl(c, v.bucket);
  return templateValue(c, v.parts);
}

/** The environments' settings of one App Service, where it runs. */
const settingsOfApp = (c: Ctx, n: string) =>
  c.envs.flatMap((m) => {
    const s = appOf(m, n);
    return s ? suppliedSettings(m, s) : [];
  });

/** The values main.bicep computes for an App Service's deployed settings, in every environment. */
export function deployedValues(c: Ctx, n: string): BicepObject {
  const out: BicepObject = {};
  for (const { supply } of settingsOfApp(c, n))
    if (supply.kind === "deployed") out[supply.key] ??= deployedValue(c, supply.value);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The composed secrets of every App Service in one environment: secret name → key of its value. */
function composedIn(c: Ctx, m: AppModel): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of c.apps) {
    const s = appOf(m, n);
    for (const { supply } of s ? suppliedSettings(m, s) : [])
      if (supply.kind === "vault" && supply.writer.by === "composed")
        out[supply.secret] = templateKey(supply.writer.parts);
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * The Key Vault secrets the deployment composes from `env` templates that refer to a credential or
 * a host name: their values (every environment's, by key) and, per environment, which to write.
 */
export function composedSecretsPart(c: Ctx): Partial<Part> {
  const perEnv = new Map(c.envs.map((m) => [m, composedIn(c, m)]));
  const values: BicepObject = {};
  const caches = new Set<string>();
  for (const m of c.envs) {
    for (const n of c.apps) {
      const s = appOf(m, n);
      for (const { supply } of s ? suppliedSettings(m, s) : []) {
        if (supply.kind !== "vault" || supply.writer.by !== "composed") continue;
        const parts = supply.writer.parts;
        values[templateKey(parts)] ??= templateValue(c, parts);
        for (const p of parts)
          if (typeof p !== "string" && p.kind === "redis" && p.part !== "host" && p.part !== "port")
            caches.add(p.resource);
      }
    }
  }
  if (!Object.keys(values).length) return {};
  const secrets = param(
    c.envs,
    "composedSecrets",
    "object",
    "Key Vault secrets composed from env values: secret name → the value it holds.",
    (m) => perEnv.get(m) ?? {},
  );
  const names = [...new Set(c.envs.flatMap((m) => Object.keys(perEnv.get(m) ?? {})))].sort();
  return {
    params: [secrets],
    resources: [...caches].sort().map((r) => ({
      ...existing(redisKeysSymbol(r), "redis", redisName(c, r)),
      description: `Azure Cache for Redis ${r}, read for the access key of the secrets composed from it.`,
      scope: call("resourceGroup", c.resourceGroupName),
    })),
    modules: [
      callModule(
        "keyVaultEnvSecrets",
        "key-vault-secrets",
        "Key Vault secrets composed from the env values that refer to credentials or host names.",
        {
          keyVaultName: outputOf("keyVault", "name"),
          secrets: secrets.ref,
          values: Object.fromEntries(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : 1))),
          tags: c.tags,
        },
        // listKeys() of an existing cache runs when this module deploys: after the cache exists.
        caches.size ? { dependsOn: [...caches].sort().map((r) => `${camel(r)}Redis`) } : {},
      ),
    ],
    managedSecrets: names.map((secret) => ({ secret, what: "an env value composed by the deployment" })),
  };
}
