// Checks a value against the subset of JSON Schema the spec schema uses, and says what is wrong in
// words: what was expected, what was found, and a did-you-mean for misspelt keys. Hand-written rather
// than Ajv so that messages are precise and every problem carries the YAML position.
import { closest, distance } from "fastest-levenshtein";
import { accepts, expected, jsonType, typesOf, type JsonSchema } from "./json-schema.js";
import { type Position, type Problem } from "../errors.js";
import { describeValue, pathJoin } from "./problems.js";
import { fitsFormat, formatHint, formatOf, indentHint, misplaced, typeHint } from "./hints.js";
import { secretKind } from "./secrets.js";
import type { SourceMap } from "./source.js";

export { accepts, expected, jsonType, typesOf, type JsonSchema };

/** Keys people bring from other tools, and what the spec calls them. */
const ALIASES: Record<string, string> = {
  replicas: "scale",
  instances: "scale",
  autoscaling: "scale",
  environment: "env",
  env_vars: "env",
  variables: "env",
  healthcheck: "health",
  health_check: "health",
  depends_on: "uses",
  dependencies: "uses",
  cmd: "command",
  entrypoint: "command",
  domains: "domain",
  hosts: "domain",
  host: "domain",
  dockerfile: "build",
  context: "build",
  ports: "port",
  cron: "schedule",
  databases: "postgres",
  database: "postgres",
  postgresql: "postgres",
  cache: "redis",
  caches: "redis",
  storage: "buckets",
  alerts: "monitoring",
};

/** "did you mean `x`?" when a candidate is close enough to be a typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0 || word.trim() === "") return undefined;
  const alias = ALIASES[word.toLowerCase()];
  if (alias && candidates.includes(alias)) return alias;
  const lower = word.toLowerCase();
  const exactCase = candidates.find((c) => c.toLowerCase() === lower);
  if (exactCase) return exactCase;
  const best = closest(word, candidates);
  const d = distance(word, best);
  return d <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

export interface CheckContext {
  map: SourceMap;
  problems: Problem[];
  /** Position used when a value has none (defaults, merged values). */
  fallback: Position;
}

function posOf(
  ctx: CheckContext,
  parent: object | undefined,
  key: string | number | undefined,
  useKey: boolean,
): Position {
  if (parent !== undefined && key !== undefined) {
    const p = useKey ? ctx.map.keyPos(parent, key) : ctx.map.valuePos(parent, key);
    if (p) return p;
    const self = ctx.map.selfPos(parent);
    if (self) return self;
  }
  return ctx.fallback;
}

function report(
  ctx: CheckContext,
  parent: object | undefined,
  key: string | number | undefined,
  path: string,
  message: string,
  hint?: string,
  atKey = false,
): void {
  ctx.problems.push({
    severity: "error",
    pos: posOf(ctx, parent, key, atKey),
    path,
    message,
    ...(hint ? { hint } : {}),
  });
}

/** Whether a value is valid for a schema, checked without reporting: for hints, which offer valid values only. */
const validator =
  (ctx: CheckContext) =>
  (schema: JsonSchema, value: unknown): boolean =>
    checkValue(schema, value, undefined, undefined, "", { ...ctx, problems: [] });

/** A value as a message shows it: a number or boolean as it was written (`1.10`, not 1.1). */
function shown(ctx: CheckContext, parent: object | undefined, key: string | number | undefined, v: unknown) {
  const text = parent !== undefined && key !== undefined ? ctx.map.textOf(parent, key) : undefined;
  if (text === undefined || typeof v === "string") return describeValue(v);
  return typeof v === "boolean" ? `boolean ${text}` : text;
}

/**
 * Validates `value` (found at `parent[key]`, spec path `path`) against `schema`. Problems are
 * appended to `ctx.problems`; returns whether the value was valid.
 */
export function checkValue(
  schema: JsonSchema,
  value: unknown,
  parent: object | undefined,
  key: string | number | undefined,
  path: string,
  ctx: CheckContext,
): boolean {
  const t = jsonType(value);
  if (schema.anyOf) {
    const branches = schema.anyOf.filter((b) => accepts(b, t));
    // Branches differ by JSON type, so at most one real candidate; prefer the most specific.
    const branch = branches.find((b) => typesOf(b).includes(t)) ?? branches[0];
    if (branch) return checkValue(branch, value, parent, key, path, ctx);
  }
  if (schema.anyOf || !accepts(schema, t)) {
    const hint = schema["x-hint"] ?? typeHint(schema, value, validator(ctx));
    report(
      ctx,
      parent,
      key,
      path,
      `expected ${expected(schema)}, got ${shown(ctx, parent, key, value)}`,
      hint,
    );
    return false;
  }
  switch (t) {
    case "string":
      return checkString(schema, value as string, parent, key, path, ctx);
    case "integer":
    case "number":
      return checkNumber(schema, value as number, parent, key, path, ctx);
    case "array":
      return checkArray(schema, value as unknown[], path, parent, key, ctx);
    case "object":
      return checkObject(schema, value as Record<string, unknown>, path, ctx);
    default:
      return true;
  }
}

function checkString(
  s: JsonSchema,
  v: string,
  parent: object | undefined,
  key: string | number | undefined,
  path: string,
  ctx: CheckContext,
): boolean {
  const fail = (message: string, hint = s["x-hint"]) => {
    report(ctx, parent, key, path, message, hint);
    return false;
  };
  if (s.enum && !s.enum.includes(v)) {
    const options = s.enum.map(String);
    const guess = didYouMean(v, options);
    return fail(
      `expected one of ${options.join(", ")}, got ${describeValue(v)}`,
      guess ? `did you mean \`${guess}\`?` : s["x-hint"],
    );
  }
  if (s.minLength !== undefined && v.length < s.minLength)
    return fail(
      v.length === 0
        ? `expected ${expected(s)}, got an empty string`
        : `is ${v.length} character${v.length === 1 ? "" : "s"} long; at least ${s.minLength} are needed`,
    );
  if (s.maxLength !== undefined && v.length > s.maxLength)
    return fail(`is ${v.length} characters long; at most ${s.maxLength} are allowed`);
  const format = formatOf(s);
  if (s.pattern && !fitsFormat(s.pattern, format, v)) {
    // With the rule it breaks named, the message says what the value is meant to be in short.
    const broken = secretKind(v) ? undefined : format?.rules.find((r) => !r.ok(v));
    const what = broken ? (format?.what ?? expected(s)) : expected(s);
    return fail(
      `expected ${what}, got ${describeValue(v)}${broken ? `: ${broken.why(v)}` : ""}`,
      formatHint(s.pattern, format, v) ?? s["x-hint"],
    );
  }
  return true;
}

function checkNumber(
  s: JsonSchema,
  v: number,
  parent: object | undefined,
  key: string | number | undefined,
  path: string,
  ctx: CheckContext,
): boolean {
  if (
    !Number.isFinite(v) ||
    (s.minimum !== undefined && v < s.minimum) ||
    (s.maximum !== undefined && v > s.maximum)
  ) {
    const got = shown(ctx, parent, key, v);
    report(ctx, parent, key, path, `expected ${expected(s)}, got ${got}`, s["x-hint"]);
    return false;
  }
  return true;
}

function checkArray(
  s: JsonSchema,
  v: unknown[],
  path: string,
  parent: object | undefined,
  key: string | number | undefined,
  ctx: CheckContext,
): boolean {
  let ok = true;
  if (s.minItems !== undefined && v.length < s.minItems) {
    report(
      ctx,
      parent,
      key,
      path,
      `expected at least ${s.minItems} item${s.minItems === 1 ? "" : "s"}, got ${v.length}`,
      s["x-hint"],
    );
    ok = false;
  }
  if (s.maxItems !== undefined && v.length > s.maxItems) {
    report(ctx, parent, key, path, `expected at most ${s.maxItems} items, got ${v.length}`, s["x-hint"]);
    ok = false;
  }
  if (s.items) {
    v.forEach((item, i) => {
      ok = checkValue(s.items!, item, v, i, pathJoin(path, i), ctx) && ok;
    });
  }
  if (s.uniqueItems) {
    const seen = new Map<string, number>();
    v.forEach((item, i) => {
      const k = JSON.stringify(item);
      const first = seen.get(k);
      if (first !== undefined) {
        report(
          ctx,
          v,
          i,
          pathJoin(path, i),
          `${describeValue(item)} is listed twice (also at [${first}])`,
          "remove the duplicate",
        );
        ok = false;
      } else seen.set(k, i);
    });
  }
  return ok;
}

function checkObject(s: JsonSchema, v: Record<string, unknown>, path: string, ctx: CheckContext): boolean {
  let ok = true;
  const props = s.properties ?? {};
  for (const [k, child] of Object.entries(v)) {
    const childPath = pathJoin(path, k);
    const ps = props[k];
    if (ps) {
      ok = checkValue(ps, child, v, k, childPath, ctx) && ok;
      continue;
    }
    if (s.additionalProperties === false || (s.additionalProperties === undefined && s.properties)) {
      report(ctx, v, k, childPath, `unknown key \`${k}\``, unknownKeyHint(s, v, k, ctx), true);
      ok = false;
      continue;
    }
    if (!checkKeyName(s, v, k, childPath, ctx)) {
      ok = false;
      continue;
    }
    if (typeof s.additionalProperties === "object")
      ok = checkEntry(s, s.additionalProperties, v, k, childPath, ctx) && ok;
  }
  for (const r of s.required ?? []) {
    if (v[r] === undefined || v[r] === null) {
      const ps = props[r];
      report(
        ctx,
        v,
        undefined,
        path,
        `\`${r}\` is required${ps ? `: ${expected(ps)}` : ""}`,
        ps?.description,
      );
      const loc = ctx.map.selfPos(v);
      if (loc) ctx.problems.at(-1)!.pos = loc;
      ok = false;
    }
  }
  return ok;
}

/**
 * An entry of a map of names. One that is not an entry but a setting of the entry above it (`port:`
 * under `services`, level with `api:`) fell out by indentation: its problems carry that hint.
 */
function checkEntry(
  s: JsonSchema,
  entry: JsonSchema,
  v: Record<string, unknown>,
  k: string,
  path: string,
  ctx: CheckContext,
): boolean {
  const moved = misplaced(s, v, k, ctx.map);
  if (!moved) return checkValue(entry, v[k], v, k, path, ctx);
  const own: CheckContext = { ...ctx, problems: [] };
  if (checkValue(entry, v[k], v, k, path, own)) return true;
  const fitsThere = checkValue(moved.schema, v[k], v, k, path, { ...ctx, problems: [] });
  const first = own.problems[0];
  if (first && (fitsThere || !accepts(entry, jsonType(v[k]))))
    own.problems[0] = { ...first, hint: indentHint(k, moved) };
  ctx.problems.push(...own.problems);
  return false;
}

/** An unknown key: moved out of its parent by indentation, a typo, or a key of another tool. */
function unknownKeyHint(s: JsonSchema, v: Record<string, unknown>, k: string, ctx: CheckContext): string {
  const known = Object.keys(s.properties ?? {});
  const moved = misplaced(s, v, k, ctx.map);
  if (moved) return indentHint(k, moved);
  const guess = didYouMean(k, known);
  return guess ? `did you mean \`${guess}\`?` : `expected one of: ${known.join(", ")}`;
}

/** A key of a map of names: the name must be of the map's form (formats.ts). */
function checkKeyName(s: JsonSchema, v: object, k: string, path: string, ctx: CheckContext): boolean {
  const names = s.propertyNames;
  if (!names?.pattern) return true;
  const format = formatOf(names);
  if (fitsFormat(names.pattern, format, k)) return true;
  const what = names["x-expected"] ?? `a name matching ${names.pattern}`;
  const broken = format?.rules.find((r) => !r.ok(k));
  report(
    ctx,
    v,
    k,
    path,
    `\`${k}\` is not a valid name: ${broken ? broken.why(k) : `expected ${what}`}`,
    formatHint(names.pattern, format, k) ?? `expected ${what}`,
    true,
  );
  return false;
}
