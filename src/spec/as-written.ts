// The spec's values as its schema reads them, before they are checked: YAML's guesses are undone
// where the schema says what a value is. A text field keeps a number as written (`1.10` stays "1.10",
// not 1.1), `x-` keys (anchors kept out of the way, as in Compose files) are dropped from the
// sections with fixed keys, and an entry of a map of named entries with nothing under it (`staging:`)
// is an entry with no settings. Positions travel with the values; the input is not changed.
import { branchOf, jsonType, typesOf, type JsonSchema } from "./json-schema.js";
import type { SourceMap } from "./source.js";

/** What docs/spec.md says of this, next to the code that does it. */
export const AS_WRITTEN_DOCS = [
  "## Writing the YAML",
  "",
  "- **Text stays as written.** An environment variable, a build argument, a tag, a language or Kubernetes version",
  "  and a CPU or memory amount are text: `1.10`, `0755`, `0x10`, `1e3` or `true` written without quotes is kept",
  "  exactly so (YAML would read `1.1`, `755`, `16`, `1000`). Numbers everywhere else (ports, counts) are numbers.",
  "- **Anchors, aliases and merge keys** work as in YAML 1.1: `<<: *defaults` (or `<<: [*a, *b]`) copies the keys",
  "  of the anchored map that the map does not set itself, the earlier of several maps first.",
  "- **`x-` keys are ignored** in every part of the spec whose keys are fixed: the top level, each service and its",
  "  settings (`health`, `resources`, `scale`...), each environment, database, cache, topic and bucket, and the other",
  "  sections. They hold anchors and notes (`x-defaults: &defaults`), as in Compose files. In a map of names",
  "  (`services`, `environments`, `env`, `tags`...) an `x-` key is a name like any other.",
  "- **An entry with nothing under it** (`staging:` or `db: ~`) in a map of named entries (services, databases,",
  "  caches, topics, buckets, environments...) is an entry with no settings, as `{}` is.",
];

/** A key the spec ignores: `x-` keys hold anchors and notes (the Compose convention). */
export const isExtensionKey = (key: string): boolean => key.startsWith("x-");

/** A map whose entries are maps of settings by name (services, postgres, environments...). */
function entriesAreSettings(schema: JsonSchema): boolean {
  const entry = schema.additionalProperties;
  return typeof entry === "object" && typesOf(entry).includes("object");
}

export function asWritten(schema: JsonSchema, value: unknown, map: SourceMap): unknown {
  return read(schema, value, undefined, undefined, map);
}

function read(
  schema: JsonSchema | undefined,
  value: unknown,
  parent: object | undefined,
  key: string | number | undefined,
  map: SourceMap,
): unknown {
  const s = schema && branchOf(schema, value);
  if (!s) return value;
  const t = jsonType(value) === "integer" ? "number" : jsonType(value);
  if ((t === "number" || t === "boolean") && (s["x-text"] ?? []).includes(t))
    return (parent && key !== undefined ? map.textOf(parent, key) : undefined) ?? String(value);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    const self = map.selfPos(value);
    if (self) map.record(out, self);
    value.forEach((item, i) => {
      out.push(read(s.items, item, value, i, map));
      map.copyKey(value, out, i);
    });
    return out;
  }
  if (t !== "object") return value;
  return readMap(s, value as Record<string, unknown>, map);
}

function readMap(s: JsonSchema, value: Record<string, unknown>, map: SourceMap): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const self = map.selfPos(value);
  if (self) map.record(out, self);
  const closed = s.additionalProperties === false;
  const entries = typeof s.additionalProperties === "object" ? s.additionalProperties : undefined;
  for (const [k, v] of Object.entries(value)) {
    if (closed && isExtensionKey(k)) continue;
    const child = s.properties?.[k] ?? entries;
    if (v === null && child === entries && entriesAreSettings(s)) {
      const empty = {};
      const at = map.valuePos(value, k) ?? self;
      if (at) map.record(empty, at);
      out[k] = empty;
    } else out[k] = read(child, v, value, k, map);
    map.copyKey(value, out, k);
  }
  return out;
}
