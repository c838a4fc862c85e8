// spec → one AppModel per environment: merge the environment's overrides, check the merged spec
// again (schema and cross-references), then build the model from the checked spec, section by section
// (normalize-*.ts), with the short forms written out and the schema's and the tier's defaults applied.
import { checkValue, didYouMean, type CheckContext, type JsonSchema } from "../spec/check-schema.js";
import { type Problem } from "../errors.js";
import { pathJoin } from "../spec/problems.js";
import { OVERRIDABLE_KEYS, SpecSchema } from "../spec/schema.js";
import { asWritten } from "../spec/as-written.js";
import { EnvironmentSchema } from "../spec/schema-environments.js";
import type { SourceMap } from "../spec/source.js";
import { checkContracts } from "./contract-checks.js";
import { crossCheck } from "./cross-checks.js";
import { tierFromName } from "./defaults.js";
import type { EnvironmentInput, SpecInput } from "./input.js";
import { isPlainObject, mergeMaps, type Plain } from "./merge.js";
import { ciSettings } from "./normalize-ci.js";
import { bucketModels, emailModel, postgresModels, redisModels, topicModels } from "./normalize-data.js";
import { dnsModel, environmentModel, tagsModel, targetsModel } from "./normalize-environment.js";
import { budgetModel, costModel, monitoringModel } from "./normalize-monitoring.js";
import { recoveryModel } from "./normalize-recovery.js";
import { serviceModels } from "./normalize-services.js";
import type { AppModel, Tier } from "./types.js";

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
 * The schema of the merged spec of one environment. It has no `environments` (loadSpec checks those
 * once), but the key stays known: a misspelt `enviroments` gets its did-you-mean.
 */
const SPEC_SCHEMA: JsonSchema = SpecSchema;
/** Settings of an environment that are not overrides of the top level. */
const ENV_ONLY_KEYS = new Set(["tier", "deploy", "region", "namespace", "resource_group"]);
const OVERRIDABLE = new Set<string>(OVERRIDABLE_KEYS);
/** The maps of named entries an environment may change, and what one entry is called. */
const NAMED_MAPS = new Map([
  ["services", "service"],
  ["postgres", "PostgreSQL server"],
  ["redis", "Redis cache"],
  ["topics", "topic"],
  ["buckets", "bucket"],
]);
const TIERS: readonly Tier[] = ["development", "staging", "production"];

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
  const ctx: CheckContext = { map, problems: [], fallback: map.selfPos(raw) ?? { file, line: 1, col: 1 } };
  const { merged, settings } = mergedSpec(spec, envName, ctx);
  // Paths inside overrides are reported with the override's path.
  checkValue(SPEC_SCHEMA, merged, undefined, undefined, "", ctx);
  // A tier that is not one is reported by loadSpec; until it is fixed, the name decides.
  const tier = TIERS.find((t) => t === settings.tier) ?? tierFromName(envName);
  crossCheck(merged, { ...ctx, tier });

  const hasErrors = () => ctx.problems.some((p) => p.severity === "error");
  if (hasErrors()) {
    problems.push(...ctx.problems);
    return undefined;
  }
  const input = typedInput(merged, settings, ctx);
  const model = buildModel(
    input.spec,
    { name: envName, tier, settings: input.settings },
    environmentNames(raw),
  );
  checkContracts(model, merged, ctx);
  problems.push(...ctx.problems);
  return hasErrors() ? undefined : model;
}

/**
 * The spec of one environment as its checks read it: the top level with the environment's overrides
 * merged in, values read as written (src/spec/as-written.ts). Overrides of what the top level does
 * not declare are reported to `ctx` and left out.
 */
export function mergedSpec(
  spec: ParsedSpec,
  envName: string,
  ctx: CheckContext,
): { merged: Plain; settings: Plain } {
  const { raw, map } = spec;
  const envs = isPlainObject(raw.environments) ? raw.environments : {};
  const settings = isPlainObject(envs[envName]) ? envs[envName] : {};
  const overrides = overridesOf(spec, envName, settings, ctx);
  const merged = mergeMaps(withoutEnvironments(raw, ctx), overrides, map);
  return { merged: asWritten(SPEC_SCHEMA, merged, map) as Plain, settings };
}

/**
 * The one place where checked plain values become the spec's input type. The caller has checked
 * `merged` against the schema and the cross-checks and stops on an error. The environment's own
 * settings are checked by loadSpec, which reports their problems; they are checked again here without
 * reporting, and left out when they fail: the model is then dropped, built only so that the checks of
 * the model still run.
 */
function typedInput(merged: Plain, settings: Plain, ctx: CheckContext) {
  const valid = checkValue(EnvironmentSchema, settings, undefined, undefined, "", { ...ctx, problems: [] });
  // The schema check passed: the values have the shapes the schema's TypeBox types describe.
  return { spec: merged as SpecInput, settings: valid ? (settings as EnvironmentInput) : {} };
}

/** The top level of the spec without `environments`, with its positions. */
function withoutEnvironments(raw: Plain, ctx: CheckContext): Plain {
  const base: Plain = {};
  ctx.map.record(base, ctx.fallback);
  for (const [k, v] of Object.entries(raw)) {
    if (k === "environments") continue;
    base[k] = v;
    ctx.map.copyKey(raw, base, k);
  }
  return base;
}

/** What an environment overrides. Overrides may only change what exists: a typo must not create a new service. */
function overridesOf(spec: ParsedSpec, envName: string, settings: Plain, ctx: CheckContext): Plain {
  const { raw, map } = spec;
  const overrides: Plain = {};
  for (const [k, v] of Object.entries(settings)) {
    if (ENV_ONLY_KEYS.has(k) || !OVERRIDABLE.has(k)) continue; // the schema check reports unknown keys
    overrides[k] = v;
    map.copyKey(settings, overrides, k);
    const what = NAMED_MAPS.get(k);
    if (what !== undefined && isPlainObject(v)) {
      const declared = Object.keys(isPlainObject(raw[k]) ? raw[k] : {});
      overrides[k] = knownEntries(v, declared, pathJoin(pathJoin("environments", envName), k), what, ctx);
    }
  }
  map.record(overrides, map.selfPos(settings) ?? ctx.fallback);
  return overrides;
}

/** The entries of an override map that the top level declares; the others are errors. */
function knownEntries(entries: Plain, declared: string[], path: string, what: string, ctx: CheckContext) {
  const { map, fallback } = ctx;
  const known: Plain = {};
  map.record(known, map.selfPos(entries) ?? fallback);
  for (const name of Object.keys(entries)) {
    if (declared.includes(name)) {
      known[name] = entries[name];
      map.copyKey(entries, known, name);
      continue;
    }
    const guess = didYouMean(name, declared);
    ctx.problems.push({
      severity: "error",
      pos: map.keyPos(entries, name) ?? fallback,
      path: pathJoin(path, name),
      message: `overrides unknown ${what} \`${name}\``,
      hint: guess
        ? `did you mean \`${guess}\`?`
        : `an environment can change what the top level declares (${declared.join(", ") || "nothing declared"}); declare it at the top level first`,
    });
  }
  return known;
}

interface Environment {
  name: string;
  tier: Tier;
  settings: EnvironmentInput;
}

function buildModel(spec: SpecInput, env: Environment, environments: string[]): AppModel {
  const services = serviceModels(spec.services);
  const ci = ciSettings(spec.ci);
  const email = emailModel(spec.email);
  const dns = dnsModel(spec.dns);
  const budget = budgetModel(spec.budget);
  const { name: app } = spec;
  return {
    name: app,
    ...(spec.description ? { description: spec.description } : {}),
    environment: environmentModel({ ...env, app, defaultBranch: ci.default_branch }),
    environments,
    services,
    postgres: postgresModels(spec.postgres, env.tier),
    redis: redisModels(spec.redis, env.tier),
    topics: topicModels(spec.topics, services),
    buckets: bucketModels(spec.buckets),
    ...(email ? { email } : {}),
    ...(dns ? { dns } : {}),
    monitoring: monitoringModel(spec.monitoring, env.tier),
    ...(budget ? { budget } : {}),
    cost: costModel(spec.cost),
    recovery: recoveryModel(spec.recovery, env.tier),
    tags: tagsModel(spec.tags, app, env.name),
    ci,
    targets: targetsModel(spec.targets),
  };
}
