// What every check of a merged spec needs: positions of keys and values in the file, problems with a
// spec path and a hint, and did-you-mean suggestions. One per environment's checks.
import { didYouMean, type CheckContext } from "../spec/check-schema.js";
import type { Position } from "../errors.js";
import { isPlainObject, type Plain } from "./merge.js";

export type { CheckContext, Plain };
export const isObj = isPlainObject;
export const entries = (v: unknown): [string, unknown][] => (isObj(v) ? Object.entries(v) : []);
/** The strings of a list with their indexes in it; nothing for what is not a list (the schema reports it). */
export const stringItems = (v: unknown): [string, number][] =>
  Array.isArray(v) ? v.flatMap((x, i): [string, number][] => (typeof x === "string" ? [[x, i]] : [])) : [];

export class Checker {
  constructor(private readonly ctx: CheckContext) {}

  /** Where a key is written (or its parent, or the file's start). */
  at(parent: unknown, key?: string | number): Position {
    const c = this.ctx;
    if ((isObj(parent) || Array.isArray(parent)) && key !== undefined)
      return c.map.keyPos(parent, key) ?? c.map.selfPos(parent) ?? c.fallback;
    return isObj(parent) ? (c.map.selfPos(parent) ?? c.fallback) : c.fallback;
  }

  /** Where a value is written. */
  valueAt(parent: unknown, key: string | number): Position {
    if (!isObj(parent) && !Array.isArray(parent)) return this.ctx.fallback;
    return this.ctx.map.valuePos(parent, key) ?? this.at(parent, key);
  }

  error(pos: Position, path: string, message: string, hint?: string): void {
    this.ctx.problems.push({ severity: "error", pos, path, message, ...(hint ? { hint } : {}) });
  }

  /** A warning that is a finding of a `gantry check` rule (docs/checks.md), when `rule` is given. */
  warn(pos: Position, path: string, message: string, hint?: string, rule?: string): void {
    this.ctx.problems.push({
      severity: "warning",
      pos,
      path,
      message,
      ...(hint ? { hint } : {}),
      ...(rule ? { rule } : {}),
    });
  }

  /** A did-you-mean hint, else the names there are. */
  nearest(name: string, names: string[], what: string): string {
    const guess = didYouMean(name, names);
    if (guess) return `did you mean \`${guess}\`?`;
    return names.length ? `declared ${what}: ${names.join(", ")}` : `no ${what} are declared`;
  }
}
