// Modules of the data stores: PostgreSQL Flexible Server, Azure Cache for Redis and the storage account of
// the buckets. Each server and cache writes its connection URL, host name and password to Key Vault
// itself, where the apps read them by reference: no secret passes through main.bicep, and no app
// waits on a data store's deployment.
import {
  binary,
  call,
  forEach,
  index,
  member,
  method,
  not,
  ref,
  str,
  ternary,
  type BicepFile,
  type BicepObject,
  type BicepParam,
  type BicepResource,
  type BicepValue,
} from "../../../format/bicep.js";
import { ROLES } from "../api.js";
import {
  LOCATION,
  TAGS,
  existing,
  file,
  joinValues,
  keyAccessStorage,
  location,
  out,
  p,
  res,
  roleAssignments,
  secretResource,
  tags,
} from "./kit.js";

/** A server's connection URL, as DATABASE_URL holds it: the password URL-encoded, TLS required. */
export const postgresUrl = (p: {
  login: BicepValue;
  password: BicepValue;
  host: BicepValue;
  database: BicepValue;
}): BicepValue =>
  joinValues([
    "postgresql://",
    p.login,
    ":",
    call("uriComponent", p.password),
    "@",
    p.host,
    ":5432/",
    p.database,
    "?sslmode=require",
  ]);

/** A cache's connection URL, as REDIS_URL holds it: TLS (`rediss://`) with the access key. */
export const redisUrl = (p: { password: BicepValue; host: BicepValue; port: BicepValue }): BicepValue =>
  joinValues(["rediss://:", p.password, "@", p.host, ":", p.port]);

/** The Key Vault secrets a server or cache writes: its URL, host name and password. */
const CONNECTION_PARTS = ["url", "host", "password"] as const;
type ConnectionPart = (typeof CONNECTION_PARTS)[number];
const secretParam = (part: ConnectionPart) => (part === "url" ? "connectionSecretName" : `${part}SecretName`);

const connectionSecretParams = (url: string): BicepParam[] => [
  p("keyVaultName", "string", "Vault that receives the connection secrets."),
  ...CONNECTION_PARTS.map((part) =>
    p(
      secretParam(part),
      "string",
      `Name of the Key Vault secret holding the ${part === "url" ? url : part === "host" ? "host name" : "password"}.`,
    ),
  ),
];

const connectionSecrets = (values: Record<ConnectionPart, BicepValue>): BicepResource[] =>
  CONNECTION_PARTS.map((part) => secretResource(`${part}Secret`, secretParam(part), values[part]));

/**
 * Server parameters turned on: connection and checkpoint logging, connection throttling. Chained
 * with dependsOn because a Flexible Server rejects configuration updates made in parallel.
 */
const serverSettings = (): BicepResource[] => [
  res(
    "logConnections",
    "postgresConfig",
    { name: "log_connections", properties: { value: "on", source: "user-override" } },
    { parent: "server" },
  ),
  res(
    "logCheckpoints",
    "postgresConfig",
    { name: "log_checkpoints", properties: { value: "on", source: "user-override" } },
    { parent: "server", dependsOn: ["logConnections"] },
  ),
  res(
    "throttling",
    "postgresConfig",
    { name: "connection_throttle.enable", properties: { value: "on", source: "user-override" } },
    { parent: "server", dependsOn: ["logCheckpoints"] },
  ),
];

export function postgresModule(): BicepFile {
  const server = ref("server");
  return file(
    "PostgreSQL Flexible Server, its databases and firewall, and its connection URL as a Key Vault secret.",
    {
      params: [
        p("name", "string", "Name of the server (globally unique).", { minLength: 3, maxLength: 63 }),
        LOCATION,
        TAGS,
        p("version", "string", "PostgreSQL major version.", { allowed: ["13", "14", "15", "16", "17"] }),
        p("skuName", "string", "Compute SKU, e.g. Standard_B1ms or Standard_D2ds_v5."),
        p("skuTier", "string", "Compute tier.", {
          allowed: ["Burstable", "GeneralPurpose", "MemoryOptimized"],
        }),
        p("storageSizeGB", "int", "Storage in GB (grows automatically).", { minValue: 32, maxValue: 32768 }),
        p("backupRetentionDays", "int", "Days of backups for point-in-time restore.", {
          minValue: 7,
          maxValue: 35,
        }),
        p("geoRedundantBackup", "bool", "Copy backups to the paired region (set at creation only)."),
        p("highAvailability", "bool", "Zone-redundant standby (not on Burstable)."),
        p("databases", "array", "Databases to create."),
        p("administratorLogin", "string", "Administrator login name."),
        p(
          "administratorLoginPassword",
          "string",
          "Administrator password (supplied at deployment, never stored in files).",
          { secure: true },
        ),
        ...connectionSecretParams("connection URL"),
      ],
      vars: [],
      resources: [
        res("server", "postgres", {
          name: ref("name"),
          location,
          tags,
          sku: { name: ref("skuName"), tier: ref("skuTier") },
          properties: {
            version: ref("version"),
            administratorLogin: ref("administratorLogin"),
            administratorLoginPassword: ref("administratorLoginPassword"),
            createMode: "Default",
            storage: { storageSizeGB: ref("storageSizeGB"), autoGrow: "Enabled" },
            backup: {
              backupRetentionDays: ref("backupRetentionDays"),
              geoRedundantBackup: ternary(ref("geoRedundantBackup"), "Enabled", "Disabled"),
            },
            highAvailability: { mode: ternary(ref("highAvailability"), "ZoneRedundant", "Disabled") },
            network: { publicNetworkAccess: "Enabled" },
            authConfig: { activeDirectoryAuth: "Disabled", passwordAuth: "Enabled" },
          },
        }),
        res(
          "database",
          "postgresDatabase",
          { name: ref("db"), properties: { charset: "UTF8", collation: "en_US.utf8" } },
          { parent: "server", loop: { item: "db", over: ref("databases") } },
        ),
        res(
          "allowAzure",
          "postgresFirewall",
          // 0.0.0.0 to 0.0.0.0 is Azure's notation for "services running in Azure" (App Service, AKS egress).
          {
            name: "AllowAllAzureServicesAndResourcesWithinAzureIps",
            properties: { startIpAddress: "0.0.0.0", endIpAddress: "0.0.0.0" },
          },
          { parent: "server" },
        ),
        ...serverSettings(),
        existing("vault", "keyVault", ref("keyVaultName")),
        ...connectionSecrets({
          url: postgresUrl({
            login: ref("administratorLogin"),
            password: ref("administratorLoginPassword"),
            host: member(server, "properties", "fullyQualifiedDomainName"),
            database: ternary(call("empty", ref("databases")), "postgres", call("first", ref("databases"))),
          }),
          host: member(server, "properties", "fullyQualifiedDomainName"),
          password: ref("administratorLoginPassword"),
        }),
      ],
      modules: [],
      outputs: [
        out("name", "Name of the server.", member(server, "name")),
        out("fqdn", "Host name of the server.", member(server, "properties", "fullyQualifiedDomainName")),
      ],
    },
  );
}

/**
 * The storage account a Premium cache writes its persistence files to (only when it persists): Redis
 * writes them with the account key; there is no identity-based option here.
 */
const persistenceStorage = () =>
  keyAccessStorage("backupStorage", "persistenceStorageName", ["blob"], { condition: ref("persist") });

/** Redis settings: the eviction policy, and RDB or AOF persistence where the cache persists. */
function redisConfiguration(): BicepObject {
  const storageConn = str`DefaultEndpointsProtocol=https;AccountName=${ref("persistenceStorageName")};AccountKey=${member(index(member(method("backupStorage", "listKeys"), "keys"), 0), "value")};EndpointSuffix=${member(call("environment"), "suffixes", "storage")}`;
  const when = (mode: "rdb" | "aof", value: BicepValue) =>
    ternary(binary("&&", ref("persist"), binary("==", ref("persistence"), mode)), value, null);
  return {
    "maxmemory-policy": ref("maxmemoryPolicy"),
    "rdb-backup-enabled": when("rdb", "true"),
    "rdb-backup-frequency": when("rdb", ref("rdbBackupFrequency")),
    "rdb-storage-connection-string": when("rdb", storageConn),
    "aof-backup-enabled": when("aof", "true"),
    "aof-storage-connection-string-0": when("aof", storageConn),
  };
}

export function redisModule(): BicepFile {
  const redis = ref("redis");
  const persist = binary(
    "&&",
    binary("==", ref("skuName"), "Premium"),
    binary("!=", ref("persistence"), "none"),
  );
  return file(
    "Azure Cache for Redis: TLS 1.2 only, non-TLS port off, persistence on Premium, connection URL in Key Vault.",
    {
      params: [
        p("name", "string", "Name of the cache (globally unique).", { minLength: 1, maxLength: 63 }),
        LOCATION,
        TAGS,
        p("skuName", "string", "Basic, Standard (replicated) or Premium (persistence, zones).", {
          allowed: ["Basic", "Standard", "Premium"],
        }),
        p("skuFamily", "string", "C for Basic and Standard, P for Premium.", { allowed: ["C", "P"] }),
        p("capacity", "int", "Size within the family (C0-C6, P1-P5).", { minValue: 0, maxValue: 6 }),
        p("persistence", "string", "Data persistence; only Premium caches persist, others ignore it.", {
          allowed: ["none", "rdb", "aof"],
        }),
        p("maxmemoryPolicy", "string", "Eviction policy when memory is full."),
        p(
          "rdbBackupFrequency",
          "string",
          "Minutes between RDB snapshots (persistence rdb): the longest within the RPO.",
          {
            allowed: ["15", "30", "60", "360", "720", "1440"],
          },
        ),
        p(
          "persistenceStorageName",
          "string",
          "Storage account for persistence files (Premium with persistence).",
          { maxLength: 24 },
        ),
        ...connectionSecretParams("connection URL (rediss://)"),
      ],
      vars: [
        { name: "persist", value: persist, description: "Whether this cache writes persistence files." },
      ],
      resources: [
        persistenceStorage(),
        res("redis", "redis", {
          name: ref("name"),
          location,
          tags,
          properties: {
            sku: { name: ref("skuName"), family: ref("skuFamily"), capacity: ref("capacity") },
            enableNonSslPort: false,
            minimumTlsVersion: "1.2",
            publicNetworkAccess: "Enabled",
            redisVersion: "6",
            redisConfiguration: redisConfiguration(),
          },
        }),
        existing("vault", "keyVault", ref("keyVaultName")),
        ...connectionSecrets({
          url: redisUrl({
            password: member(method("redis", "listKeys"), "primaryKey"),
            host: member(redis, "properties", "hostName"),
            port: member(redis, "properties", "sslPort"),
          }),
          host: member(redis, "properties", "hostName"),
          password: member(method("redis", "listKeys"), "primaryKey"),
        }),
      ],
      modules: [],
      outputs: [
        out("name", "Name of the cache.", member(redis, "name")),
        out("hostName", "Host name of the cache (TLS port 6380).", member(redis, "properties", "hostName")),
      ],
    },
  );
}

/** Lifecycle rules of the buckets: cool, archive or delete blobs some days after they change. */
function lifecyclePolicy(): BicepResource {
  const action = (days: string) =>
    ternary(
      binary(">", member(ref("rule"), days), 0),
      { daysAfterModificationGreaterThan: member(ref("rule"), days) },
      null,
    );
  return res(
    "lifecycle",
    "managementPolicy",
    {
      name: "default",
      properties: {
        policy: {
          rules: forEach("rule", ref("lifecycleRules"), {
            name: member(ref("rule"), "name"),
            enabled: true,
            type: "Lifecycle",
            definition: {
              filters: { blobTypes: ["blockBlob"], prefixMatch: member(ref("rule"), "prefixes") },
              actions: {
                baseBlob: {
                  tierToCool: action("coolAfterDays"),
                  tierToArchive: action("archiveAfterDays"),
                  delete: action("deleteAfterDays"),
                },
              },
            },
          }),
        },
      },
    },
    { parent: "account", condition: not(call("empty", ref("lifecycleRules"))) },
  );
}

export function storageModule(): BicepFile {
  const account = ref("account");
  return file(
    "Storage account for the spec's buckets (one blob container each): HTTPS only, TLS 1.2, no public or key access, lifecycle rules.",
    {
      params: [
        p("name", "string", "Name of the account (globally unique, 3-24 lower-case letters and digits).", {
          minLength: 3,
          maxLength: 24,
        }),
        LOCATION,
        TAGS,
        p("skuName", "string", "Replication: Standard_LRS, Standard_ZRS (production) or Standard_GRS."),
        p("containers", "array", "Blob containers, one per bucket."),
        p("versioning", "bool", "Keep previous versions of blobs."),
        p(
          "lifecycleRules",
          "array",
          "Lifecycle rules: {name, prefixes, coolAfterDays, archiveAfterDays, deleteAfterDays} (0 = never).",
        ),
        p("principalIds", "array", "Managed identities given Storage Blob Data Contributor.", {
          default: [],
        }),
        p("roleDefinitionId", "string", "Role granted to the identities.", {
          default: ROLES["Storage Blob Data Contributor"],
        }),
      ],
      vars: [],
      resources: [
        res("account", "storage", {
          name: ref("name"),
          location,
          tags,
          kind: "StorageV2",
          sku: { name: ref("skuName") },
          properties: {
            accessTier: "Hot",
            supportsHttpsTrafficOnly: true,
            minimumTlsVersion: "TLS1_2",
            allowBlobPublicAccess: false,
            allowSharedKeyAccess: false,
            defaultToOAuthAuthentication: true,
            publicNetworkAccess: "Enabled",
            networkAcls: { bypass: "AzureServices", defaultAction: "Allow" },
            encryption: {
              keySource: "Microsoft.Storage",
              requireInfrastructureEncryption: true,
              services: { blob: { enabled: true }, file: { enabled: true } },
            },
          },
        }),
        res(
          "blobs",
          "blobService",
          {
            name: "default",
            properties: {
              isVersioningEnabled: ref("versioning"),
              deleteRetentionPolicy: { enabled: true, days: 7 },
              containerDeleteRetentionPolicy: { enabled: true, days: 7 },
            },
          },
          { parent: "account" },
        ),
        res(
          "container",
          "container",
          { name: ref("c"), properties: { publicAccess: "None" } },
          { parent: "blobs", loop: { item: "c", over: ref("containers") } },
        ),
        lifecyclePolicy(),
        roleAssignments("dataContributor", "account", "roleDefinitionId"),
      ],
      modules: [],
      outputs: [
        out("name", "Name of the account.", member(account, "name")),
        out("blobEndpoint", "Blob endpoint URL.", member(account, "properties", "primaryEndpoints", "blob")),
      ],
    },
  );
}
