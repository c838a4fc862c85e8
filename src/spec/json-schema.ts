// The subset of JSON Schema the spec schema uses, read the way the checker, the defaults and the
// docs read it: the JSON type of a value, the branch of an `anyOf` a value takes, the schema of a
// map's entry, and what a node expects, in words.
import { FORMATS } from "./formats.js";

export interface JsonSchema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: { pattern?: string; "x-expected"?: string; "x-format"?: string };
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
  /** A text field: numbers (and booleans) of these JSON types written unquoted are read as written. */
  "x-text"?: string[];
  /** The form of a string (formats.ts): its rules and the fix of the usual slip. */
  "x-format"?: string;
}

const regexCache = new Map<string, RegExp>();
export function re(pattern: string): RegExp {
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

export function typesOf(s: JsonSchema): string[] {
  if (s.anyOf) return s.anyOf.flatMap(typesOf);
  if (s.enum) return ["string"];
  if (s.type === undefined) return [];
  return Array.isArray(s.type) ? s.type : [s.type];
}

export function accepts(s: JsonSchema, t: string): boolean {
  const types = typesOf(s);
  return types.length === 0 || types.includes(t) || (t === "integer" && types.includes("number"));
}

/** What an item of a list is, in short: the form's name without its rules (they come with an item's own error). */
function itemWhat(items: JsonSchema): string {
  const f = items["x-format"] === undefined ? undefined : FORMATS[items["x-format"]];
  return f?.what ?? expected(items);
}

/** Names what a schema expects, for error messages: "an integer from 1 to 100", "one of a, b". */
export function expected(s: JsonSchema): string {
  if (s["x-expected"]) return s["x-expected"];
  if (s.enum) return `one of ${s.enum.map((e) => String(e)).join(", ")}`;
  if (s.anyOf) return s.anyOf.map(expected).join(", or ");
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (t) {
    case "string":
      return s.minLength
        ? s.minLength > 1
          ? `a text of at least ${s.minLength} characters`
          : "a non-empty string"
        : "a string";
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
      if (!s.items) return "a list";
      // "a list of strings", but "a list, each an upper-case secret name such as JWT_SECRET"
      return typesOf(s.items).length === 1 && !s.items["x-expected"] && !s.items.enum
        ? `a list of ${plural(expected(s.items))}`
        : `a list, each ${itemWhat(s.items)}`;
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

/** The branch of an `anyOf` a value is checked against: the one of its JSON type, else undefined. */
export function branchOf(schema: JsonSchema, value: unknown): JsonSchema | undefined {
  if (!schema.anyOf) return schema;
  const t = jsonType(value);
  const written = (b: JsonSchema) => (b["x-text"] ?? []).includes(t === "integer" ? "number" : t);
  return (
    schema.anyOf.find((b) => typesOf(b).includes(t)) ??
    schema.anyOf.find((b) => accepts(b, t)) ??
    schema.anyOf.find(written)
  );
}

/** The schema of `key` in a map of schema `s`: a property, or the schema of every entry. */
export function entrySchema(s: JsonSchema, key: string): JsonSchema | undefined {
  const p = s.properties?.[key];
  if (p) return p;
  return typeof s.additionalProperties === "object" ? s.additionalProperties : undefined;
}
