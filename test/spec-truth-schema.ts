// Reading a spec apart from the checks, for the truth tests: values by spec path, the schema of a
// value (taking the branch each `anyOf` takes), validity by Ajv (an independent JSON Schema validator)
// plus the rules of formats.ts, and the checks of the hints a schema problem carries.
import { Ajv, type ValidateFunction } from "ajv";
import { parse } from "yaml";
import type { Problem } from "../src/errors.js";
import { FORMATS } from "../src/spec/formats.js";
import { branchOf, entrySchema, type JsonSchema } from "../src/spec/json-schema.js";
import { SpecSchema } from "../src/spec/schema.js";

export type Plain = Record<string, unknown>;
export const isObj = (v: unknown): v is Plain => typeof v === "object" && v !== null && !Array.isArray(v);
export const SPEC_SCHEMA = SpecSchema as unknown as JsonSchema;

// ----------------------------------------------------------------------------------- reading values

/** The segments of a spec path: `services.api.uses[0]` → services, api, uses, 0. */
export function segments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of path.split(".")) {
    const m = /^([^[]*)((\[\d+\])*)$/.exec(part);
    if (!m) return [path];
    if (m[1]) out.push(m[1]);
    for (const i of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(i[1]));
  }
  return out;
}

export function getAt(root: unknown, path: (string | number)[]): unknown {
  let node = root;
  for (const s of path) {
    if (Array.isArray(node) && typeof s === "number") node = node[s];
    else if (isObj(node) && typeof s === "string") node = node[s];
    else return undefined;
  }
  return node;
}

/** The schema of the value at `path`, taking the branch of each `anyOf` the values take. */
export function schemaAt(root: JsonSchema, spec: unknown, path: (string | number)[]): JsonSchema | undefined {
  let schema: JsonSchema | undefined = root;
  let node = spec;
  for (const s of path) {
    if (!schema) return undefined;
    schema = branchOf(schema, node) ?? schema;
    schema = typeof s === "number" ? schema.items : entrySchema(schema, s);
    node = getAt(node, [s]);
  }
  return schema && (branchOf(schema, node) ?? schema);
}

const ajv = new Ajv({ strict: false, allErrors: false });
const compiled = new WeakMap<object, ValidateFunction>();
/** Whether Ajv accepts `value` for `schema`. */
export function ajvValid(schema: JsonSchema, value: unknown): boolean {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(JSON.parse(JSON.stringify(schema)) as object);
    compiled.set(schema, v);
  }
  return v(value);
}

/** Whether `value` is valid for `schema`: Ajv, plus the rules of its form (formats.ts). */
export function validFor(schema: JsonSchema, value: unknown): boolean {
  const f = schema["x-format"] ? FORMATS[schema["x-format"]] : undefined;
  if (typeof value === "string" && f && !f.rules.every((r) => r.ok(value))) return false;
  return ajvValid(schema, value);
}

export const backticked = (hint: string | undefined) =>
  [...(hint ?? "").matchAll(/`([^`]*)`/g)].map((m) => m[1]!);
export const parent = (p: (string | number)[]) => p.slice(0, -1);

// ------------------------------------------------------------------------------------------- hints

/** Why a hint of a schema problem is false for the value at the problem's path, or undefined. */
export function schemaHint(p: Problem, node: JsonSchema, value: unknown, spec: Plain): string | undefined {
  const hint = p.hint;
  if (hint === undefined || hint === node["x-hint"]) return undefined;
  const path = segments(p.path);
  let m: RegExpMatchArray | null;
  if ((m = /^did you mean `([^`]*)`(, with `path: ([^`]*)` on the service)?\?$/.exec(hint))) {
    if (node.enum) return node.enum.includes(m[1]) ? undefined : `${m[1]} is not one of the options`;
    if (!validFor(node, m[1])) return `the suggested ${m[1]} is not valid`;
    const pathSchema = (SpecSchema as unknown as JsonSchema).properties!.services!.additionalProperties;
    if (m[3] !== undefined && !validFor((pathSchema as JsonSchema).properties!.path!, m[3]))
      return `the suggested path ${m[3]} is not valid`;
    return undefined;
  }
  if (hint === "remove the quotes to write a number")
    return validFor(node, Number(value)) ? undefined : "unquoted, still invalid";
  if (hint === "write true or false without quotes")
    return validFor(node, true) ? undefined : "a boolean is not valid here";
  if (hint.startsWith("write the number without %: "))
    return validFor(node, Number(hint.slice(27))) ? undefined : "the number is not valid";
  if (hint === "write the settings indented under the key, or remove the key")
    return value === null && validFor(node, {})
      ? undefined
      : "the value is not empty, or a map is not valid here";
  if (hint.startsWith("write a list: ")) {
    const list: unknown = parse(backticked(hint)[0] ?? "");
    return validFor(node, list) ? undefined : "the suggested list is not valid";
  }
  if (hint.startsWith("write a map with the names as keys instead of")) {
    const items = Array.isArray(value) ? value : [];
    const names = items
      .slice(0, 3)
      .map((i) => (isObj(i) ? String(i.name ?? i.key ?? i.id) : String(i).split("=")[0]));
    const shown = backticked(hint).at(-1) ?? "";
    const missing = names.filter((n) => !shown.includes(`${n}: `));
    return validFor(node, {}) && missing.length === 0
      ? undefined
      : `the map form leaves out ${missing.join(", ")}`;
  }
  if (hint.startsWith("secrets are names")) {
    const values = Object.values(isObj(value) ? value : {}).map(String);
    const keys = Object.keys(isObj(value) ? value : {});
    if (values.some((v) => v.length > 2 && hint.includes(v))) return "the hint shows a secret value";
    return keys.every((k) => hint.includes(k)) ? undefined : "the hint leaves out a name";
  }
  if ((m = /^`([^`]+)` is written at the level of `([^`]+)`: indent it under `([^`]+)`$/.exec(hint)))
    return indentClaim(m, path, spec);
  return `no check for the hint "${hint}"`;
}

/** `k` is written at the level of `L`: the map at L... (relative to k's map) takes k and does not set it. */
function indentClaim(m: RegExpMatchArray, path: (string | number)[], spec: Plain): string | undefined {
  const [, key, level, under] = m;
  const at = path.lastIndexOf(key!);
  const container = path.slice(0, at);
  const target = [...container, ...segments(under!)];
  const schema = schemaAt(SpecSchema, spec, target);
  const there = getAt(spec, target);
  if (!isObj(there)) return `${target.join(".")} is not a map`;
  const branch = schema && branchOf(schema, there);
  if (!branch?.properties?.[key!]) return `${target.join(".")} does not take \`${key}\``;
  if (there[key!] !== undefined) return `${target.join(".")} sets \`${key}\` already`;
  const siblings = Object.keys(getAt(spec, container) as Plain);
  return siblings.includes(level!) ? undefined : `\`${level}\` is not beside \`${key}\``;
}
