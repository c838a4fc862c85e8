// The data stores: a PostgreSQL Flexible Server per database server, an Azure Cache for Redis per
// cache (either may run in the cluster instead on AKS), and one storage account for the buckets.
// Each server and cache writes its connection URL, host name and password to Key Vault; the
// deployment reads only the admin password.
import { envName } from "../../../model/queries.js";
import { str, type BicepModule, type BicepObject, type BicepValue } from "../../../format/bicep.js";
import type { AppModel, PostgresModel, RedisModel } from "../../../model/types.js";
import { alnum, camel, slug } from "../names.js";
import { postgresSku, postgresStorage, redisSku } from "../decisions.js";
import { flexibleRetentionDays, rdbBackupMinutes } from "../recovery.js";
import { containerName, resourceSecret } from "../supply.js";
import {
  anyEnv,
  appCondition,
  onAzureIn,
  readEnv,
  redisName,
  storageAccountName,
  storeCondition,
  storeNames,
  usersOf,
  where,
  type Ctx,
} from "./context.js";
import {
  callModule,
  field,
  joinParts,
  outputOf,
  param,
  paramGroup,
  type EnvParam,
  type ManagedSecret,
  type Part,
} from "./part.js";

export function dataPart(c: Ctx): Partial<Part> {
  return joinParts(
    ...storeNames(c, "postgres").map((n) => postgresPart(c, n)),
    ...storeNames(c, "redis").map((n) => redisPart(c, n)),
    storagePart(c),
  );
}

/**
 * The `<name>Enabled` parameter of a server or cache that is not an Azure service in every
 * environment (it runs in the cluster, or the environment removes it), if any.
 */
function enabledParam(c: Ctx, kind: "postgres" | "redis", n: string, what: string) {
  if (!storeCondition(c, kind, n)) return undefined;
  const why = c.envs.every((m) => n in m[kind])
    ? "it runs in the cluster"
    : `it runs in the cluster, or this environment has no ${n}`;
  return param(
    c.envs,
    `${camel(n)}Enabled`,
    "bool",
    `Deploy ${n} as ${what} (false: ${why}).`,
    onAzureIn(c, kind, n),
  );
}

const conditional = (enabled: EnvParam | undefined): Partial<BicepModule> =>
  enabled ? { condition: enabled.ref } : {};

type Server = { kind: "postgres" | "redis"; resource: string };
const CONNECTION_PARTS = [
  ["url", "connectionSecretName", "connection URL"],
  ["host", "hostSecretName", "host name"],
  ["password", "passwordSecretName", "password"],
] as const;

/**
 * The Key Vault secret of a part of a server in each environment that has it: the apps of that
 * environment read it by that name (suffixed with the server's name where it has several).
 */
const secretIn = (r: Server, part: (typeof CONNECTION_PARTS)[number][0]) => (m: AppModel) =>
  r.resource in m[r.kind] ? resourceSecret(m, { ...r, part }) : undefined;

/** The Key Vault secrets a server or cache writes, as its module's parameters (and theirs, where names differ). */
function connectionSecrets(c: Ctx, r: Server) {
  const params: EnvParam[] = [];
  const values = CONNECTION_PARTS.map(([part, paramName]): [string, BicepValue] => {
    const name = secretIn(r, part);
    const names = new Set(c.envs.map(name).filter((n) => n !== undefined));
    const first = anyEnv(c, name)!;
    if (names.size === 1) return [paramName, first];
    const p = param(
      c.envs,
      `${camel(r.resource)}${paramName.replace(/^./, (x) => x.toUpperCase())}`,
      "string",
      `Key Vault secret of the ${part} of ${r.resource} in this environment.`,
      (m) => name(m) ?? first,
    );
    params.push(p);
    return [paramName, p.ref];
  });
  const objectValues: BicepObject = {
    keyVaultName: outputOf("keyVault", "name"),
    ...Object.fromEntries(values),
  };
  return { params, values: objectValues };
}

const managedSecrets = (c: Ctx, r: Server, what: string): ManagedSecret[] =>
  CONNECTION_PARTS.flatMap(([part, , description]) =>
    [...new Set(c.envs.map(secretIn(r, part)).filter((n) => n !== undefined))].map((secret) => ({
      secret,
      what: `${description} of ${what}`,
    })),
  );

/** The per-environment settings of a server, as one parameter. */
function postgresConfig(c: Ctx, n: string, pg: (m: AppModel) => PostgresModel) {
  return paramGroup(
    c.envs,
    `${camel(n)}PostgresConfig`,
    { name: "postgresConfig", description: "Per-environment settings of a PostgreSQL Flexible Server." },
    `Settings of PostgreSQL ${n} in this environment.`,
    {
      version: field("string", `PostgreSQL major version of ${n}.`, (m) => String(pg(m).version)),
      skuName: field("string", `Compute SKU of ${n}.`, (m) => postgresSku(pg(m).size).sku),
      skuTier: field("string", `Compute tier of ${n}.`, (m) => postgresSku(pg(m).size).tier),
      storageGB: field("int", `Storage of ${n} in GB.`, (m) => postgresStorage(pg(m).storage_gb)),
      backupRetentionDays: field("int", `Days of backups of ${n}.`, (m) => flexibleRetentionDays(pg(m))),
      geoRedundantBackup: field("bool", `Geo-redundant backups of ${n}.`, (m) => pg(m).backups.geo_redundant),
      highAvailability: field(
        "bool",
        `Zone-redundant standby of ${n}.`,
        (m) => pg(m).ha && postgresSku(pg(m).size).tier !== "Burstable",
      ),
    },
  );
}

function postgresPart(c: Ctx, n: string): Partial<Part> {
  const id = camel(n);
  const pg0 = anyEnv(c, (m) => m.postgres[n])!;
  const pg = (m: AppModel) => m.postgres[n] ?? pg0;
  const config = postgresConfig(c, n, pg);
  const enabled = enabledParam(c, "postgres", n, "a Flexible Server");
  const pwVar =
    storeNames(c, "postgres").length === 1
      ? "POSTGRES_ADMIN_PASSWORD"
      : `POSTGRES_${envName(n)}_ADMIN_PASSWORD`;
  const password = param(
    c.envs,
    `${id}AdministratorPassword`,
    "string",
    `Administrator password of ${n}, read at deployment.`,
    (m) => readEnv(pwVar, onAzureIn(c, "postgres", n)(m) ? undefined : ""),
    { secure: true },
  );
  const f = config.fields;
  const secrets = connectionSecrets(c, { kind: "postgres", resource: n });
  return {
    params: [config.param, ...(enabled ? [enabled] : []), password, ...secrets.params],
    types: [config.type],
    modules: [
      callModule(
        `${id}Postgres`,
        "postgres",
        `PostgreSQL Flexible Server ${n}.`,
        {
          name: str`psql-${c.appSlug}-${slug(n, 20)}-${c.code}-${c.suffix}`,
          location: c.location,
          tags: c.tags,
          version: f.version,
          skuName: f.skuName,
          skuTier: f.skuTier,
          storageSizeGB: f.storageGB,
          backupRetentionDays: f.backupRetentionDays,
          geoRedundantBackup: f.geoRedundantBackup,
          highAvailability: f.highAvailability,
          databases: pg0.databases,
          administratorLogin: `${alnum(n, 16)}admin`,
          administratorLoginPassword: password.ref,
          ...secrets.values,
        },
        conditional(enabled),
      ),
    ],
    deployVariables: [
      {
        name: pwVar,
        description: `Administrator password of PostgreSQL ${n} (keep it in your secret store; the deployment writes it and the connection URL to Key Vault).`,
        required: true,
      },
    ],
    managedSecrets: managedSecrets(c, { kind: "postgres", resource: n }, `PostgreSQL ${n}`),
  };
}

/** The per-environment settings of a cache, as one parameter. */
function redisConfig(c: Ctx, n: string, rd: (m: AppModel) => RedisModel) {
  return paramGroup(
    c.envs,
    `${camel(n)}RedisConfig`,
    { name: "redisConfig", description: "Per-environment settings of an Azure Cache for Redis." },
    `Settings of Redis ${n} in this environment.`,
    {
      skuName: field("string", `Cache SKU of ${n}.`, (m) => redisSku(rd(m)).name),
      skuFamily: field("string", `Cache family of ${n}.`, (m) => redisSku(rd(m)).family),
      capacity: field("int", `Cache size of ${n}.`, (m) => redisSku(rd(m)).capacity),
      persistence: field("string", `Persistence of ${n} (Premium only).`, (m) => rd(m).persistence),
      maxmemoryPolicy: field("string", `Eviction policy of ${n}.`, (m) => rd(m).eviction),
      rdbBackupFrequency: field("string", `Minutes between RDB snapshots of ${n}.`, (m) =>
        String(rdbBackupMinutes(m.recovery.rpo_seconds)),
      ),
    },
  );
}

function redisPart(c: Ctx, n: string): Partial<Part> {
  const id = camel(n);
  const rd0 = anyEnv(c, (m) => m.redis[n])!;
  const rd = (m: AppModel) => m.redis[n] ?? rd0;
  const config = redisConfig(c, n, rd);
  const enabled = enabledParam(c, "redis", n, "Azure Cache for Redis");
  const secrets = connectionSecrets(c, { kind: "redis", resource: n });
  return {
    params: [config.param, ...(enabled ? [enabled] : []), ...secrets.params],
    types: [config.type],
    modules: [
      callModule(
        `${id}Redis`,
        "redis",
        `Azure Cache for Redis ${n}.`,
        {
          name: redisName(c, n),
          location: c.location,
          tags: c.tags,
          skuName: config.fields.skuName,
          skuFamily: config.fields.skuFamily,
          capacity: config.fields.capacity,
          persistence: config.fields.persistence,
          maxmemoryPolicy: config.fields.maxmemoryPolicy,
          rdbBackupFrequency: config.fields.rdbBackupFrequency,
          persistenceStorageName: str`st${alnum(n, 6)}${c.code}${c.suffix}`,
          ...secrets.values,
        },
        conditional(enabled),
      ),
    ],
    managedSecrets: managedSecrets(c, { kind: "redis", resource: n }, `Redis ${n}`),
  };
}

function storagePart(c: Ctx): Partial<Part> {
  const buckets = storeNames(c, "buckets");
  if (!buckets.length) return {};
  // A container per bucket of the environment: a parameter only when environments differ in them.
  const containersOf = (m: AppModel) => Object.keys(m.buckets).sort().map(containerName);
  const containers = c.envs.every((m) => containersOf(m).length === buckets.length)
    ? undefined
    : param(
        c.envs,
        "storageContainers",
        "array",
        "Blob containers, one per bucket of this environment.",
        containersOf,
      );
  const sku = param(c.envs, "storageSku", "string", "Replication of the storage account.", (m) =>
    m.environment.tier === "production" ? "Standard_ZRS" : "Standard_LRS",
  );
  const versioning = param(c.envs, "storageVersioning", "bool", "Keep previous versions of blobs.", (m) =>
    Object.values(m.buckets).some((b) => b.versioning),
  );
  const rules = param(
    c.envs,
    "storageLifecycleRules",
    "array",
    "Lifecycle rules of the buckets.",
    lifecycleRules,
  );
  const users = c.compute === "appservice" ? [...new Set(buckets.flatMap((b) => usersOf(c, b)))].sort() : [];
  const principalIds = users.map((n) =>
    where(appCondition(c, n), outputOf(`${camel(n)}App`, "principalId"), ""),
  );
  return {
    params: [sku, ...(containers ? [containers] : []), versioning, rules],
    modules: [
      callModule("storage", "storage", "Storage account of the buckets.", {
        name: storageAccountName(c),
        location: c.location,
        tags: c.tags,
        skuName: sku.ref,
        containers: containers ? containers.ref : buckets.map(containerName),
        versioning: versioning.ref,
        lifecycleRules: rules.ref,
        principalIds,
      }),
    ],
  };
}

/** The lifecycle rules of every bucket of an environment, with blob prefixes inside its container. */
function lifecycleRules(m: AppModel) {
  const ruleName = (b: string, r: string) => camel(`${b}-${r}`).replace(/[^A-Za-z0-9]/g, "");
  return Object.keys(m.buckets)
    .sort()
    .flatMap((b) =>
      Object.entries(m.buckets[b]!.lifecycle)
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([r, rule]) => ({
          name: ruleName(b, r),
          prefixes: [`${slug(b)}/${rule.prefix}`],
          coolAfterDays: rule.cool_after_days ?? 0,
          archiveAfterDays: rule.archive_after_days ?? 0,
          deleteAfterDays: rule.delete_after_days ?? 0,
        })),
    );
}
