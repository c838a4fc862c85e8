// What exists in which environment. One main.tf serves every environment, so a module that only
// some environments have (a service removed with `null`, a database only in staging) gets a count
// that the environment's tfvars decides: its entry in `var.services`, `var.postgres`... is there
// or not. Everything else refers to such a module at `[0]` where it exists too, or reads its outputs
// with `one(module.x[*].y)`, which is null where it does not.
import { expr, type Expr } from "../../format/hcl.js";
import type { AppModel } from "../../model/types.js";

export interface Presence {
  /** The environments that have it, in spec order. */
  envs: readonly string[];
  /** The count of its block where some environment lacks it. */
  count: string;
}

/** What presence needs of the app's shape (src/targets/aws/shape.ts). */
export interface PresenceMap {
  envs: readonly AppModel[];
  /** By module name (`service_api`, `postgres_db`, `kafka`, `load_balancer`) or `dns_zone`. */
  present: ReadonlyMap<string, Presence>;
}

/** Whether some environments have the module (or the DNS zone) and others lack it. */
export function isPartial(shape: PresenceMap, key: string): boolean {
  const p = shape.present.get(key);
  return p !== undefined && p.envs.length > 0 && p.envs.length < shape.envs.length;
}

/** The count of a block that some environment lacks; undefined where every environment has it. */
export function countOf(shape: PresenceMap, key: string): Expr | undefined {
  return isPartial(shape, key) ? expr(shape.present.get(key)!.count) : undefined;
}

/** `module.x`, or `module.x[0]` where some environment lacks it (read only where it exists). */
export function moduleRef(shape: PresenceMap, module: string): string {
  return isPartial(shape, module) ? `module.${module}[0]` : `module.${module}`;
}

/** An output of a module wherever it is read: null in the environments that lack the module. */
export function outputOf(shape: PresenceMap, module: string, output: string): Expr {
  return isPartial(shape, module)
    ? expr(`one(module.${module}[*].${output})`)
    : expr(`module.${module}.${output}`);
}

/** Whether the environment has it. */
export function presentIn(shape: PresenceMap, key: string, env: AppModel): boolean {
  const p = shape.present.get(key);
  return p === undefined || p.envs.includes(env.environment.name);
}
