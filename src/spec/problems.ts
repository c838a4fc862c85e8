// Helpers for problems about a spec: spec paths and how a value is shown in a message (never a
// value that looks like a secret).
import { secretKind } from "./secrets.js";

export function pathJoin(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return "nothing (null)";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  if (typeof v === "string") {
    if (secretKind(v)) return "a value that looks like a secret (not shown)";
    const s = v.length > 40 ? `${v.slice(0, 37)}...` : v;
    return JSON.stringify(s);
  }
  return typeof v === "number" ? String(v) : typeof v === "boolean" ? `boolean ${v}` : typeof v;
}
