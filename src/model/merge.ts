// Environment overrides: maps merge key by key, lists replace, `null` removes, scalars replace.
// Positions travel with the values so that a problem in a merged value points at the line that
// wrote it (the override's line when it came from the override).
import type { SourceMap } from "../spec/source.js";

export type Plain = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Plain {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Returns a new value; neither input is changed. */
export function mergeOverride(base: unknown, override: unknown, map: SourceMap): unknown {
  return isPlainObject(base) && isPlainObject(override) ? mergeMaps(base, override, map) : override;
}

/** Two maps merged key by key into a new map; neither input is changed. */
export function mergeMaps(base: Plain, override: Plain, map: SourceMap): Plain {
  const out: Plain = {};
  const baseSelf = map.selfPos(base);
  if (baseSelf) map.record(out, baseSelf);
  for (const [k, v] of Object.entries(base)) {
    out[k] = v;
    map.copyKey(base, out, k);
  }
  for (const [k, v] of Object.entries(override)) {
    if (v === null) {
      Reflect.deleteProperty(out, k);
      continue;
    }
    out[k] = k in base ? mergeOverride(base[k], v, map) : v;
    map.copyKey(override, out, k);
  }
  return out;
}
