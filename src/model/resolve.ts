// spec → one AppModel per environment: merge the environment's overrides, check the merged spec
// again (schema and cross-references), expand shorthands, apply tier and schema defaults.
import { checkValue, didYouMean, type JsonSchema } from "../spec/check-schema.js";
import { crossCheck, inferType } from "./cross-checks.js";
import { pathJoin, type Position, type Problem } from "../spec/problems.js";
import { SpecSchema, OVERRIDABLE_KEYS } from "../spec/schema.js";
import type { SourceMap } from "../spec/source.js";
import { applyDefaults, DEFAULT_ALERTS, DEFAULT_PORT, TIER_DEFAULTS, tierFromName } from "./defaults.js";
import { checkContracts } from "./contract-checks.js";
import { isPlainObject, mergeOverride, type Plain } from "./merge.js";
import type { AlertModel, AnyServiceModel, AppModel, CiModel, EnvironmentModel, Tier } from "./types.js";

const schema = SpecSchema as unknown as JsonSchema;
const ENV_ONLY_KEYS = ["tier", "deploy", "region", "namespace", "resource_group"];
const NAMED_MAPS = ["services", "postgres", "redis", "topics", "buckets"] as const;

export interface ParsedSpec {
  file: string;
  /** The spec as written (schema-checked or not). */
  raw: Plain;
  map: SourceMap;
}

export const DEFAULT_ENVIRONMENT = "production";

export function environmentNames(raw: Plain): string[] {
  return isPlainObject(raw.environments) && Object.keys(raw.environments).length > 0
    ? Object.keys(raw.environments)
    : [DEFAULT_ENVIRONMENT];
}

/**
 * Resolves one environment. Problems (errors and warnings) are appended to `problems`; the model is
 * undefined when this environment has errors.
 */
export function resolveEnvironment(
  spec: ParsedSpec,
  envName: string,
  problems: Problem[],
): AppModel | undefined {
  const { raw, map, file } = spec;
  const fallback: Position = map.selfPos(raw) ?? { file, line: 1, col: 1 };
  const local: Problem[] = [];
  const envs = isPlainObject(raw.environments) ? raw.environments : {};
  const envRaw = isPlainObject(envs[envName]) ? envs[envName] : {};
  const envPath = pathJoin("environments", envName);

  // Overrides may only change what exists: a typo must not create a new service.
  const overrides: Plain = {};
  for (const [k, v] of Object.entries(envRaw)) {
    if (ENV_ONLY_KEYS.includes(k)) continue;
    if (!(OVERRIDABLE_KEYS as string[]).includes(k)) continue; // the schema check reports unknown keys
    overrides[k] = v;
    map.copyKey(envRaw, overrides, k);
    if ((NAMED_MAPS as readonly string[]).includes(k) && isPlainObject(v)) {
      const declared = Object.keys(isPlainObject(raw[k]) ? raw[k] : {});
      const known: Plain = {};
      map.record(known, map.selfPos(v) ?? fallback);
      overrides[k] = known;
      for (const name of Object.keys(v)) {
        if (declared.includes(name)) {
          known[name] = v[name];
          map.copyKey(v, known, name);
          continue;
        }
        const guess = didYouMean(name, declared);
        local.push({
          severity: "error",
          pos: map.keyPos(v, name) ?? fallback,
          path: pathJoin(pathJoin(envPath, k), name),
          message: `overrides unknown ${k === "services" ? "service" : k === "topics" ? "topic" : k === "buckets" ? "bucket" : k === "redis" ? "Redis cache" : "PostgreSQL server"} \`${name}\``,
          hint: guess
            ? `did you mean \`${guess}\`?`
            : `an environment can change what the top level declares (${declared.join(", ") || "nothing declared"}); declare it at the top level first`,
        });
      }
    }
  }
  map.record(overrides, map.selfPos(envRaw) ?? fallback);

  const base: Plain = {};
  map.record(base, fallback);
  for (const [k, v] of Object.entries(raw)) {
    if (k === "environments") continue;
    base[k] = v;
    map.copyKey(raw, base, k);
  }
  const merged = mergeOverride(base, overrides, map) as Plain;

  // Schema check of the merged spec; paths inside overrides are reported with the override's path.
  const mergedSchema: JsonSchema = { ...schema, properties: { ...schema.properties } };
  delete mergedSchema.properties!.environments;
  checkValue(mergedSchema, merged, undefined, undefined, "", { map, problems: local, fallback });

  const tier: Tier = typeof envRaw.tier === "string" ? (envRaw.tier as Tier) : tierFromName(envName);
  crossCheck(merged, { map, fallback, problems: local, tier });

  if (local.some((p) => p.severity === "error")) {
    problems.push(...local);
    return undefined;
  }
  const model = normalize(merged, envName, envRaw, tier, environmentNames(raw));
  checkContracts(model, merged, { map, fallback, problems: local });
  problems.push(...local);
  return local.some((p) => p.severity === "error") ? undefined : model;
}

function normalize(
  spec: Plain,
  envName: string,
  envRaw: Plain,
  tier: Tier,
  environments: string[],
): AppModel {
  const s = structuredClone(spec);
  const name = s.name as string;

  // Shorthands first, so that the schema defaults of the object forms apply.
  const services = (s.services ?? {}) as Record<string, Plain>;
  for (const [svcName, svc] of Object.entries(services)) {
    const type = inferType(svc);
    svc.type = type;
    if (typeof svc.health === "string")
      svc.health = { liveness: svc.health, readiness: svc.health, startup: svc.health };
    if (typeof svc.scale === "number") svc.scale = { min: svc.scale, max: svc.scale };
    if (isPlainObject(svc.scale) && svc.scale.max === undefined)
      svc.scale.max = Math.max(1, (svc.scale.min as number | undefined) ?? 1);
    if (typeof svc.domain === "string") svc.domain = [svc.domain];
    if (typeof svc.metrics === "string") svc.metrics = { path: svc.metrics };
    if (typeof svc.migrations === "string") svc.migrations = { command: svc.migrations };
    if (Array.isArray(svc.subscribes))
      svc.subscribes = Object.fromEntries((svc.subscribes as string[]).map((t) => [t, {}]));
    if (type !== "static" && typeof svc.build === "string") svc.build = { context: svc.build };
    if (isPlainObject(svc.subscribes)) {
      for (const [topic, sub] of Object.entries(svc.subscribes as Record<string, Plain>)) {
        sub.route ??= `/events/${topic}`;
        sub.group ??= svcName;
      }
    }
    if (
      (type === "http" ||
        (type === "worker" && isPlainObject(svc.subscribes) && Object.keys(svc.subscribes).length > 0)) &&
      svc.port === undefined
    ) {
      svc.port = DEFAULT_PORT;
    }
    if (type === "http" || type === "worker") {
      svc.scale ??= { min: 1, max: 1 };
      svc.resources ??= {};
      svc.shutdown ??= {};
      svc.rollout ??= {};
      svc.subscribes ??= {};
    }
    if (type === "job") svc.resources ??= {};
  }
  for (const pg of Object.values((s.postgres ?? {}) as Record<string, Plain>)) {
    pg.size ??= TIER_DEFAULTS.size[tier];
    pg.backups ??= {};
    const b = pg.backups as Plain;
    b.retention_days ??= TIER_DEFAULTS.backup_retention_days[tier];
    b.geo_redundant ??= TIER_DEFAULTS.geo_redundant_backups[tier];
  }
  for (const r of Object.values((s.redis ?? {}) as Record<string, Plain>))
    r.size ??= TIER_DEFAULTS.size[tier];
  const mon = (s.monitoring ?? {}) as Plain;
  s.monitoring = mon;
  mon.log_retention_days ??= TIER_DEFAULTS.log_retention_days[tier];
  mon.sampling_percent ??= TIER_DEFAULTS.sampling_percent[tier];
  mon.daily_cap_gb ??= TIER_DEFAULTS.daily_cap_gb[tier];
  mon.availability ??= {};
  mon.channels ??= {};
  s.ci ??= {};
  s.targets ??= {};
  applyDefaults(schema, s);

  // Models
  const channels = mon.channels as AppModel["monitoring"]["channels"];
  for (const ch of Object.values(channels)) ch.to ??= [];
  const rules: Record<string, Plain> = { ...(structuredClone(DEFAULT_ALERTS) as Record<string, Plain>) };
  for (const [k, v] of Object.entries((mon.alerts ?? {}) as Record<string, Plain>))
    rules[k] = { ...(rules[k] ?? {}), ...v };
  const alerts: Record<string, AlertModel> = {};
  for (const k of Object.keys(rules).sort()) {
    const r = rules[k]!;
    if (r.enabled === false) continue;
    alerts[k] = {
      metric: r.metric as AlertModel["metric"],
      above: r.above as number,
      for: (r.for as string | undefined) ?? "5m",
      severity: (r.severity as AlertModel["severity"] | undefined) ?? "warning",
      services: (r.services as string[] | undefined) ?? [],
      channels: (r.channels as string[] | undefined) ?? Object.keys(channels).sort(),
    };
  }

  const model: Record<string, AnyServiceModel> = {};
  for (const svcName of Object.keys(services).sort()) {
    const svc = services[svcName]!;
    const env = Object.fromEntries(
      Object.entries((svc.env ?? {}) as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, String(v)]),
    );
    const ci = ciFor(svc);
    const common = {
      name: svcName,
      ...(svc.description ? { description: svc.description as string } : {}),
      env,
      ci,
    };
    if (svc.type === "static") {
      model[svcName] = {
        type: "static",
        ...common,
        static: svc.static as string,
        ...(svc.install ? { install: svc.install as string } : {}),
        ...(svc.build ? { build: svc.build as string } : {}),
        output: (svc.output as string | undefined) ?? "dist",
        spa: (svc.spa as boolean | undefined) ?? true,
        domains: (svc.domain as string[] | undefined) ?? [],
        path: svc.path as string,
      };
      continue;
    }
    const workload = {
      ...common,
      ...(svc.build
        ? { build: { ...(svc.build as Plain), args: (svc.build as Plain).args ?? {} } as never }
        : {}),
      ...(svc.image ? { image: svc.image as string } : {}),
      ...(svc.command ? { command: svc.command as string } : {}),
      ...(svc.build_command ? { build_command: svc.build_command as string } : {}),
      secrets: [...((svc.secrets as string[] | undefined) ?? [])].sort(),
      resources: svc.resources as never,
      // As written: the first PostgreSQL, Redis and bucket in `uses` is the primary (src/model/bindings.ts).
      uses: [...((svc.uses as string[] | undefined) ?? [])],
      read_only_root: svc.read_only_root as boolean,
    };
    if (svc.type === "job") {
      model[svcName] = {
        type: "job",
        ...workload,
        schedule: svc.schedule as string,
        timezone: (svc.timezone as string | undefined) ?? "Etc/UTC",
        timeout: (svc.timeout as string | undefined) ?? "1h",
        retries: (svc.retries as number | undefined) ?? 2,
      };
      continue;
    }
    model[svcName] = {
      type: svc.type as "http" | "worker",
      ...workload,
      ...(svc.port !== undefined ? { port: svc.port as number } : {}),
      ...(svc.health ? { health: svc.health as never } : {}),
      scale: svc.scale as never,
      domains: (svc.domain as string[] | undefined) ?? [],
      path: (svc.path as string | undefined) ?? "/",
      ...(svc.metrics ? { metrics: svc.metrics as never } : {}),
      subscribes: sortKeys(svc.subscribes as Record<string, never>),
      ...(svc.migrations ? { migrations: svc.migrations as never } : {}),
      shutdown: svc.shutdown as never,
      rollout: svc.rollout as never,
    };
  }

  const topics = sortKeys((s.topics ?? {}) as Record<string, Plain>);
  const topicModels: AppModel["topics"] = {};
  const list = Object.values(model);
  for (const [t, raw] of Object.entries(topics)) {
    topicModels[t] = {
      name: t,
      partitions: raw.partitions as number,
      retention: raw.retention as string,
      replication: raw.replication as number,
      ...(raw.idempotency ? { idempotency: raw.idempotency as never } : {}),
      subscribers: list
        .filter((m) => m.type !== "static" && m.type !== "job" && t in m.subscribes)
        .map((m) => m.name),
      publishers: list.filter((m) => m.type !== "static" && m.uses.includes(t)).map((m) => m.name),
    };
  }

  const named = <T>(m: unknown): Record<string, T> =>
    Object.fromEntries(
      Object.entries(sortKeys((m ?? {}) as Record<string, Plain>)).map(([k, v]) => [
        k,
        { name: k, ...v } as T,
      ]),
    );
  const postgres = named<AppModel["postgres"][string]>(s.postgres);
  for (const [k, pg] of Object.entries(postgres))
    if (!(s.postgres as Record<string, Plain>)[k]!.databases) pg.databases = [k.replace(/-/g, "_")];

  const email = s.email as Plain | undefined;
  if (email) {
    const dmarc = (email.dmarc ?? {}) as Plain;
    dmarc.policy ??= "quarantine";
    dmarc.report_to ??= `dmarc@${email.domain as string}`;
    email.dmarc = dmarc;
  }
  const budget = s.budget as Plain | undefined;
  if (budget) budget.notify ??= [];
  const buckets = named<AppModel["buckets"][string]>(s.buckets);
  for (const b of Object.values(buckets)) {
    b.lifecycle ??= {};
    b.cors_origins ??= [];
  }

  const deploy = (envRaw.deploy ?? {}) as Plain;
  const ci = s.ci as AppModel["ci"];
  const environment: EnvironmentModel = {
    name: envName,
    tier,
    deploy: {
      on: (deploy.on as EnvironmentModel["deploy"]["on"] | undefined) ?? TIER_DEFAULTS.deploy_on[tier],
      branch: (deploy.branch as string | undefined) ?? ci.default_branch,
      tag_pattern: (deploy.tag_pattern as string | undefined) ?? "v*.*.*",
      approval: (deploy.approval as "none" | "required" | undefined) ?? TIER_DEFAULTS.approval[tier],
      slot: (deploy.slot as boolean | undefined) ?? TIER_DEFAULTS.slot[tier],
    },
    ...(typeof envRaw.region === "string" ? { region: envRaw.region } : {}),
    namespace: (envRaw.namespace as string | undefined) ?? envName,
    resource_group: (envRaw.resource_group as string | undefined) ?? `rg-${name}-${envName}`,
  };

  const tags: Record<string, string> = {
    ...((s.tags ?? {}) as Record<string, string>),
    Environment: envName,
    Project: name,
    ManagedBy: "gantry",
  };
  return {
    name,
    ...(s.description ? { description: s.description as string } : {}),
    environment,
    environments,
    services: model,
    postgres,
    redis: named(s.redis),
    topics: topicModels,
    buckets,
    ...(email ? { email: email as never } : {}),
    ...(s.dns ? { dns: s.dns as never } : {}),
    monitoring: {
      channels: sortKeys(channels),
      alerts,
      availability: mon.availability as never,
      log_retention_days: mon.log_retention_days as number,
      sampling_percent: mon.sampling_percent as number,
      daily_cap_gb: mon.daily_cap_gb as number,
    },
    ...(budget ? { budget: budget as never } : {}),
    tags: sortKeys(tags),
    ci,
    targets: s.targets as AppModel["targets"],
  };
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]!]),
  );
}

/** CI commands: what the spec says, else the usual commands of the detected stack. */
function ciFor(svc: Plain): CiModel {
  const ci = (svc.ci ?? {}) as Partial<CiModel>;
  const dir =
    ci.working_directory ??
    (typeof svc.static === "string"
      ? svc.static
      : isPlainObject(svc.build)
        ? (svc.build.context as string)
        : ".");
  const command = `${typeof svc.command === "string" ? svc.command : ""} ${typeof svc.build === "string" ? svc.build : ""} ${typeof svc.install === "string" ? svc.install : ""}`;
  const stack: CiModel["stack"] =
    ci.stack ??
    (/\b(python|uvicorn|gunicorn|pip|poetry|celery|django|flask|alembic)\b/.test(command)
      ? "python"
      : /\b(node|npm|npx|yarn|pnpm|next|vite|tsx)\b/.test(command) || svc.type === "static"
        ? "node"
        : /\bgo run\b|\.\/bin\//.test(command)
          ? "go"
          : /\b(java|mvn|gradle)\b/.test(command)
            ? "java"
            : /\bdotnet\b/.test(command)
              ? "dotnet"
              : /\b(ruby|bundle|rails|puma)\b/.test(command)
                ? "ruby"
                : "other");
  const defaults: Record<CiModel["stack"], Partial<CiModel>> = {
    node: {
      install: "npm ci",
      lint: "npm run lint --if-present",
      typecheck: "npm run typecheck --if-present",
      test: "npm test --if-present",
      version: "20",
    },
    python: {
      install: "pip install -r requirements.txt",
      lint: "ruff check .",
      typecheck: "mypy .",
      test: "pytest",
      version: "3.12",
    },
    go: { install: "go mod download", lint: "go vet ./...", test: "go test ./...", version: "1.23" },
    java: { install: "mvn -B -q dependency:go-offline", test: "mvn -B test", version: "21" },
    dotnet: { install: "dotnet restore", test: "dotnet test", version: "8.0" },
    ruby: { install: "bundle install", test: "bundle exec rake test", version: "3.3" },
    other: {},
  };
  const d = defaults[stack];
  const pick = (k: "install" | "lint" | "typecheck" | "test" | "version") => ci[k] ?? d[k];
  const out: CiModel = { stack, working_directory: dir };
  for (const k of ["install", "lint", "typecheck", "test", "version"] as const) {
    const v = pick(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}
