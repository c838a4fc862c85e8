// Specs with one mistake each, generated from the schema: for every field, values of the wrong type,
// out of range, misspelt options, strings that break its form, unknown and misplaced keys, and bad names
// in its maps. A field added to the schema gets its cases without a line written here.
import { stringify } from "yaml";
import type { JsonSchema } from "../src/spec/json-schema.js";
import { SpecSchema } from "../src/spec/schema.js";
import { isObj, type Plain } from "./spec-truth-claims.js";

/** A valid spec with one of each section, where the mistakes are put. */
export const BASE: Plain = {
  name: "shop",
  services: {
    api: {
      build: "./api",
      port: 8000,
      health: "/health",
      uses: ["db", "cache", "events"],
      domain: "api.shop.dev",
    },
    worker: { build: "./api", command: "python -m worker", subscribes: ["events"] },
    web: { static: "./web", build: "npm run build", domain: "shop.dev" },
    nightly: { build: "./api", schedule: "0 3 * * *" },
  },
  postgres: { db: {} },
  redis: { cache: {} },
  topics: { events: {} },
  buckets: { files: {} },
  email: { domain: "shop.dev", senders: ["noreply"] },
  monitoring: { channels: { ops: { type: "email", to: ["ops@shop.dev"] } } },
};

/** The service each service-level field is put on, by the kinds that may set it. */
const SERVICE_FOR: Record<string, string> = {
  static: "web",
  install: "web",
  output: "web",
  spa: "web",
  schedule: "nightly",
  timezone: "nightly",
  timeout: "nightly",
  retries: "nightly",
};

/** Strings that break the forms of formats.ts in the ways people break them. */
const STRINGS = [
  "",
  "UPPER_case",
  "with space",
  "8080",
  "2fa",
  "café",
  "-lead",
  "trail-",
  "a..b",
  "https://Api.Example.com:8443/v1",
  "/p?q=1",
  "/p#frag",
  "p/q",
  "x".repeat(70),
  ".5",
  "512MB",
  "1.5Gi",
  "512",
  "5 min",
  "a_b",
  "*.x.io",
  "1.33.2",
  "NYC1",
  "1234-5678-9012",
  "mailto:ops@x.io",
  "https://github.com/acme/shop.git",
];

export interface TruthCase {
  name: string;
  spec: Plain;
}

export interface Field {
  path: (string | number)[];
  schema: JsonSchema;
}

/** Every node of the schema with where it is: `*` of a map of names becomes a name that exists. */
export function fields(schema: JsonSchema, path: (string | number)[], out: Field[], depth = 0): Field[] {
  if (depth > 8) return out;
  out.push({ path, schema });
  for (const branch of schema.anyOf ?? [schema]) {
    for (const [k, p] of Object.entries(branch.properties ?? {})) {
      const at =
        path.length === 2 && path[0] === "services"
          ? SERVICE_FOR[k]
            ? ["services", SERVICE_FOR[k]]
            : path
          : path;
      fields(p, [...at, k], out, depth + 1);
    }
    if (typeof branch.additionalProperties === "object")
      fields(branch.additionalProperties, [...path, nameIn(path)], out, depth + 1);
    if (branch.items) fields(branch.items, [...path, 0], out, depth + 1);
  }
  return out;
}

/** The entry of a map of names the mistakes go in: one that exists in BASE, else `x`. */
function nameIn(path: (string | number)[]): string {
  let node: unknown = BASE;
  for (const s of path) node = isObj(node) ? node[s as string] : undefined;
  return isObj(node) ? (Object.keys(node)[0] ?? "x") : "x";
}

/** BASE with `value` at `path`; maps are made on the way, and a short form is replaced by a map. */
export function withValue(path: (string | number)[], value: unknown): Plain {
  const spec = structuredClone(BASE);
  let node: Plain | unknown[] = spec;
  path.forEach((s, i) => {
    const last = i === path.length - 1;
    const container = node as Record<string | number, unknown>;
    if (last) {
      container[s] = value;
      return;
    }
    const next = container[s];
    const wantList = typeof path[i + 1] === "number";
    if (wantList ? !Array.isArray(next) : !isObj(next)) container[s] = wantList ? [] : {};
    node = container[s] as Plain | unknown[];
  });
  return spec;
}

/** The wrong values of one field. */
function badValues(s: JsonSchema): unknown[] {
  const types = (s.anyOf ?? [s]).flatMap((b) => (Array.isArray(b.type) ? b.type : b.type ? [b.type] : []));
  const out: unknown[] = [];
  if (!types.includes("object")) out.push({ a: 1 });
  if (!types.includes("array")) out.push(["a", "a"]);
  if (!types.includes("string")) out.push("5", "yes", "70%");
  if (!types.includes("integer") && !types.includes("number") && !types.includes("string")) out.push(42);
  if (!types.includes("boolean") && !s["x-text"]) out.push(true);
  for (const b of s.anyOf ?? [s]) {
    if (b.enum) out.push(`${String(b.enum[0])}x`, "");
    if (b.type === "string" && !b.enum) out.push(...STRINGS);
    if (b.maxLength !== undefined) out.push("x".repeat(b.maxLength + 1));
    if (b.type === "integer" || b.type === "number") {
      out.push(1.5);
      if (b.minimum !== undefined) out.push(b.minimum - 1);
      if (b.maximum !== undefined) out.push(b.maximum + 1);
    }
    if (b.type === "array") out.push([], [b.items?.enum?.[0] ?? "a", b.items?.enum?.[0] ?? "a"]);
  }
  return out;
}

/** A key of the object misspelt, an unknown key, and the object without its required keys. */
function badObjects(s: JsonSchema): unknown[] {
  const out: unknown[] = [];
  for (const b of s.anyOf ?? [s]) {
    const keys = Object.keys(b.properties ?? {});
    if (b.additionalProperties === false && keys[0]) out.push({ [`${keys[0]}x`]: 1 }, { frobnicate: 1 }, {});
    if (b.propertyNames) out.push({ "Bad Name": {}, "8080": {}, "café-x": {} });
  }
  return out;
}

/** One case per wrong value of every field of the schema. */
export function schemaCases(): TruthCase[] {
  const out: TruthCase[] = [];
  const seen = new Set<string>();
  for (const f of fields(SpecSchema, [], [])) {
    if (f.path.length === 0 || f.path[0] === "environments") continue;
    for (const value of [...badValues(f.schema), ...badObjects(f.schema)]) {
      const spec = withValue(f.path, value);
      const key = stringify(spec);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ name: `${f.path.join(".")} = ${JSON.stringify(value).slice(0, 40)}`, spec });
    }
  }
  return out;
}
