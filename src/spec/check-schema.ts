// Checks a value against the subset of JSON Schema the spec schema uses, and says what is wrong in
// words: what was expected, what was found, and a did-you-mean for misspelt keys. Hand-written rather
// than Ajv so that messages are precise and every problem carries the YAML position.
import { closest, distance } from "fastest-levenshtein";
import { type Position, type Problem } from "../errors.js";
import { describeValue, pathJoin } from "./problems.js";
import { secretKind } from "./secrets.js";
import type { SourceMap } from "./source.js";

export interface JsonSchema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: { pattern?: string; "x-expected"?: string };
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  default?: unknown;
  "x-expected"?: string;
  "x-hint"?: string;
}

const regexCache = new Map<string, RegExp>();
function re(pattern: string): RegExp {
  let r = regexCache.get(pattern);
  if (!r) {
    r = new RegExp(pattern, "u");
    regexCache.set(pattern, r);
  }
  return r;
}

export function jsonType(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typesOf(s: JsonSchema): string[] {
  if (s.anyOf) return s.anyOf.flatMap(typesOf);
  if (s.enum) return ["string"];
  if (s.type === undefined) return [];
  return Array.isArray(s.type) ? s.type : [s.type];
}

function accepts(s: JsonSchema, t: string): boolean {
  const types = typesOf(s);
  return types.length === 0 || types.includes(t) || (t === "integer" && types.includes("number"));
}

/** Names what a schema expects, for error messages: "an integer from 1 to 100", "one of a, b". */
export function expected(s: JsonSchema): string {
  if (s["x-expected"]) return s["x-expected"];
  if (s.enum) return `one of ${s.enum.map((e) => String(e)).join(", ")}`;
  if (s.anyOf) return s.anyOf.map(expected).join(", or ");
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (t) {
    case "string":
      return s.minLength ? "a non-empty string" : "a string";
    case "integer":
    case "number": {
      const what = t === "integer" ? "an integer" : "a number";
      if (s.minimum !== undefined && s.maximum !== undefined)
        return `${what} from ${s.minimum} to ${s.maximum}`;
      if (s.minimum !== undefined) return `${what} of at least ${s.minimum}`;
      return what;
    }
    case "boolean":
      return "true or false";
    case "array":
      return s.items ? `a list of ${plural(expected(s.items))}` : "a list";
    case "object":
      return s.properties
        ? `a map with ${Object.keys(s.properties).slice(0, 4).join(", ")}${Object.keys(s.properties).length > 4 ? ", ..." : ""}`
        : "a map";
    default:
      return "a value";
  }
}

function plural(s: string): string {
  return s.replace(/^an? /, "").replace(/^(string|integer|number|map|list)\b/, "$1s");
}

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
  if (candidates.length === 0) return undefined;
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
    if (branches.length === 0) {
      report(
        ctx,
        parent,
        key,
        path,
        `expected ${expected(schema)}, got ${describeValue(value)}`,
        schema["x-hint"],
      );
      return false;
    }
    // Branches differ by JSON type, so at most one real candidate; prefer the most specific.
    const branch = branches.find((b) => typesOf(b).includes(t)) ?? branches[0]!;
    return checkValue(branch, value, parent, key, path, ctx);
  }
  if (!accepts(schema, t)) {
    const hint = schema["x-hint"] ?? typeHint(schema, value);
    report(ctx, parent, key, path, `expected ${expected(schema)}, got ${describeValue(value)}`, hint);
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

function typeHint(schema: JsonSchema, value: unknown): string | undefined {
  const types = typesOf(schema);
  if (
    typeof value === "string" &&
    (types.includes("integer") || types.includes("number")) &&
    /^\s*-?\d+(\.\d+)?\s*$/.test(value)
  ) {
    return "remove the quotes to write a number";
  }
  if (
    typeof value === "string" &&
    (types.includes("integer") || types.includes("number")) &&
    /^\s*\d+(\.\d+)?\s*%\s*$/.test(value)
  ) {
    return `write the number without %: ${value.replace(/[%\s]/g, "")}`;
  }
  if (typeof value === "string" && types.includes("boolean") && /^(yes|no|on|off|true|false)$/i.test(value)) {
    return "write true or false without quotes";
  }
  if (typeof value === "string" && types.includes("array")) return `write a list: [${value}]`;
  if (value === null && types.includes("object"))
    return "write the settings indented under the key, or remove the key";
  return undefined;
}

/**
 * The value with the usual slip fixed, when that matches: a path without its leading /, a name with
 * capitals, spaces or underscores, a secret name in lower case. Never for a value that looks like a
 * secret, which must not be echoed in any form.
 */
function patternFix(pattern: RegExp, v: string): string | undefined {
  if (secretKind(v)) return undefined;
  const candidates = [
    `/${v}`,
    v
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, ""),
    v.toUpperCase().replace(/[^A-Z0-9_]+/g, "_"),
  ];
  return candidates.find((c) => c !== v && c !== "" && pattern.test(c));
}

function checkString(
  s: JsonSchema,
  v: string,
  parent: object | undefined,
  key: string | number | undefined,
  path: string,
  ctx: CheckContext,
): boolean {
  if (s.enum && !s.enum.includes(v)) {
    const options = s.enum.map(String);
    const guess = didYouMean(v, options);
    report(
      ctx,
      parent,
      key,
      path,
      `expected one of ${options.join(", ")}, got ${describeValue(v)}`,
      guess ? `did you mean \`${guess}\`?` : s["x-hint"],
    );
    return false;
  }
  if (s.minLength !== undefined && v.length < s.minLength) {
    report(ctx, parent, key, path, `expected ${expected(s)}, got an empty string`, s["x-hint"]);
    return false;
  }
  if (s.maxLength !== undefined && v.length > s.maxLength) {
    report(
      ctx,
      parent,
      key,
      path,
      `is ${v.length} characters long; at most ${s.maxLength} are allowed`,
      s["x-hint"],
    );
    return false;
  }
  if (s.pattern && !re(s.pattern).test(v)) {
    const fix = patternFix(re(s.pattern), v);
    report(
      ctx,
      parent,
      key,
      path,
      `expected ${expected(s)}, got ${describeValue(v)}`,
      s["x-hint"] ?? (fix !== undefined ? `did you mean \`${fix}\`?` : undefined),
    );
    return false;
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
    report(ctx, parent, key, path, `expected ${expected(s)}, got ${describeValue(v)}`, s["x-hint"]);
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
  const known = Object.keys(props);
  for (const [k, child] of Object.entries(v)) {
    const childPath = pathJoin(path, k);
    const ps = props[k];
    if (ps) {
      ok = checkValue(ps, child, v, k, childPath, ctx) && ok;
      continue;
    }
    if (s.additionalProperties === false || (s.additionalProperties === undefined && s.properties)) {
      const guess = didYouMean(k, known);
      report(
        ctx,
        v,
        k,
        childPath,
        `unknown key \`${k}\``,
        guess ? `did you mean \`${guess}\`?` : `expected one of: ${known.join(", ")}`,
        true,
      );
      ok = false;
      continue;
    }
    if (s.propertyNames?.pattern && !re(s.propertyNames.pattern).test(k)) {
      report(
        ctx,
        v,
        k,
        childPath,
        `\`${k}\` is not a valid name: expected ${s.propertyNames["x-expected"] ?? `a name matching ${s.propertyNames.pattern}`}`,
        undefined,
        true,
      );
      ok = false;
      continue;
    }
    if (typeof s.additionalProperties === "object") {
      ok = checkValue(s.additionalProperties, child, v, k, childPath, ctx) && ok;
    }
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
