// Hints for the slips people make in a spec, each offered only when it holds: a value of the wrong
// type written the way another tool wants it (a list of `- name:` maps, secrets with their values),
// a key that fell out of its parent by indentation, and a value of a form (formats.ts) with the usual
// slip fixed. A hint never repeats a value that looks like a secret, nor the values of `secrets`.
import { parse } from "yaml";
import { FORMATS, type Format } from "./formats.js";
import { branchOf, entrySchema, re, typesOf, type JsonSchema } from "./json-schema.js";
import { secretKind } from "./secrets.js";
import type { SourceMap } from "./source.js";

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export function formatOf(s: { "x-format"?: string }): Format | undefined {
  return s["x-format"] === undefined ? undefined : FORMATS[s["x-format"]];
}

/** Whether `v` is a value of the form (its pattern and every rule). */
export function fitsFormat(pattern: string, format: Format | undefined, v: string): boolean {
  return re(pattern).test(v) && (format?.rules ?? []).every((r) => r.ok(v));
}

/** "did you mean `x`?" with the value of the form that `v` was meant to be, when there is one. */
export function formatHint(pattern: string, format: Format | undefined, v: string): string | undefined {
  if (!format?.fix || secretKind(v)) return undefined;
  const fixed = format.fix(v);
  if (fixed === undefined || fixed === v || !fitsFormat(pattern, format, fixed)) return undefined;
  const advice = format.advice?.(v);
  return `did you mean \`${fixed}\`${advice ? `, ${advice}` : ""}?`;
}

/** What YAML text means, or undefined when it is not YAML: a hint's fix is checked as it would be read. */
function asYaml(text: string): unknown {
  try {
    return parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Whether a value is valid for a schema, as the checker says: a hint offers only valid values. */
export type Valid = (schema: JsonSchema, value: unknown) => boolean;

/** A hint for a value of the wrong JSON type, when the slip is a known one and its fix is valid. */
export function typeHint(schema: JsonSchema, value: unknown, valid: Valid): string | undefined {
  const types = typesOf(schema);
  if (typeof value === "string" && !secretKind(value)) {
    const n = Number(value.replace(/%\s*$/, ""));
    if (/^\s*-?\d+(\.\d+)?\s*$/.test(value) && valid(schema, n)) return "remove the quotes to write a number";
    if (/^\s*\d+(\.\d+)?\s*%\s*$/.test(value) && valid(schema, n))
      return `write the number without %: ${value.replace(/[%\s]/g, "")}`;
    if (types.includes("boolean") && /^(yes|no|on|off|true|false)$/i.test(value))
      return "write true or false without quotes";
    if (types.includes("array") && valid(schema, asYaml(`[${value}]`))) return `write a list: \`[${value}]\``;
  }
  if (value === null && types.includes("object"))
    return "write the settings indented under the key, or remove the key";
  if (Array.isArray(value) && types.includes("object") && !types.includes("array")) return listAsMap(value);
  if (isMap(value) && types.includes("array") && !types.includes("object"))
    return mapAsList(schema, value, valid);
  return undefined;
}

const NAME_KEYS = ["name", "key", "id"];

/**
 * A list written where the spec wants a map: `- name: api` items (Compose, Kubernetes, Heroku habits)
 * or `KEY=value` strings. Shown as the map with the names as keys; values are left out (`…`).
 */
function listAsMap(items: unknown[]): string | undefined {
  const entries: string[] = [];
  let written = "`- name:` items";
  for (const item of items.slice(0, 3)) {
    if (typeof item === "string" && /^[A-Za-z_][A-Za-z0-9_]*=/.test(item)) {
      entries.push(`${item.slice(0, item.indexOf("="))}: …`);
      written = "`KEY=value` items";
      continue;
    }
    if (!isMap(item)) return undefined;
    const nameKey = NAME_KEYS.find((k) => typeof item[k] === "string");
    if (!nameKey) return undefined;
    const name = item[nameKey] as string;
    if (secretKind(name)) return undefined;
    written = `\`- ${nameKey}:\` items`;
    const rest = Object.keys(item).filter((k) => k !== nameKey);
    const inner =
      rest.length === 1 && rest[0] === "value" ? "…" : `{ ${rest.map((k) => `${k}: …`).join(", ")} }`;
    entries.push(`${name}: ${rest.length === 0 ? "{}" : inner}`);
  }
  if (entries.length === 0) return undefined;
  if (items.length > 3) entries.push("…");
  return `write a map with the names as keys instead of ${written}: \`{ ${entries.join(", ")} }\``;
}

/** A map written where the spec wants a list; for `secrets`, the values are never shown. */
function mapAsList(schema: JsonSchema, value: Record<string, unknown>, valid: Valid): string | undefined {
  const items = (branchOf(schema, []) ?? schema).items;
  const names = Object.keys(value).filter((k) => !secretKind(k));
  const list = `[${names.join(", ")}]`;
  if (items?.["x-format"] === "secret-name")
    return `secrets are names, and their values never go in the spec: write \`${list}\`, remove the values from this file and store each one with \`gantry secrets set ${names[0] ?? "NAME"}\` (on this machine) or in your platform's vault`;
  return names.length > 0 && valid(schema, names) ? `write a list: \`${list}\`` : undefined;
}

/** The keys of a map in the order they are written. */
function keysInOrder(map: SourceMap, v: Record<string, unknown>): string[] {
  const at = (k: string) => map.keyPos(v, k) ?? { line: 0, col: 0 };
  return Object.keys(v).sort((a, b) => at(a).line - at(b).line || at(a).col - at(b).col);
}

/** Where a misplaced key belongs: the path of the map relative to the key's map, and the key's schema there. */
export interface Misplaced {
  under: string;
  schema: JsonSchema;
}

/**
 * A key that fell out of its parent by indentation: `key` is unknown in `v` (a map of schema `s`) but
 * known to a map written just above it (the entry before it, or that entry's last entry, and so on),
 * which does not set it. Returns the deepest such map.
 */
export function misplaced(
  s: JsonSchema,
  v: Record<string, unknown>,
  key: string,
  map: SourceMap,
): Misplaced | undefined {
  const order = keysInOrder(map, v);
  const before = order[order.indexOf(key) - 1];
  if (before === undefined) return undefined;
  let found: Misplaced | undefined;
  let path = before;
  let schema = entrySchema(s, before);
  let node: unknown = v[before];
  while (schema && isMap(node)) {
    const branch = branchOf(schema, node);
    if (!branch) break;
    const known = branch.properties?.[key];
    if (known !== undefined && node[key] === undefined) found = { under: path, schema: known };
    const last = keysInOrder(map, node).at(-1);
    if (last === undefined) break;
    schema = entrySchema(branch, last);
    node = node[last];
    path = `${path}.${last}`;
  }
  return found;
}

/** The hint for a key that `misplaced` found a place for. */
export function indentHint(key: string, { under }: Misplaced): string {
  const level = under.split(".")[0] ?? under;
  return `\`${key}\` is written at the level of \`${level}\`: indent it under \`${under}\``;
}
