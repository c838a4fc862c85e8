// The names main.bicep gives the resources of an environment, evaluated from its parameter file with
// a stand-in for the uniqueString() suffix: the naming-rule tests and the runbook tests read them.
import { isExpr, type BicepValue } from "../src/format/bicep.js";
import { buildAzure } from "../src/targets/azure/index.js";
import type { ProjectModel } from "../src/model/types.js";

export const SUFFIX = "a1b2c3";

/** Evaluates the small expressions names are made of: literals, interpolations, refs, take(). */
export function evaluate(v: BicepValue, scope: Record<string, string>): string {
  if (typeof v === "string") return v;
  if (isExpr(v)) {
    if (v.kind === "ref") {
      const x = scope[v.name];
      if (x === undefined) throw new Error(`no value for ${v.name}`);
      return x;
    }
    if (v.kind === "interp")
      return v.parts.map((p) => (typeof p === "string" ? p : evaluate(p, scope))).join("");
    if (v.kind === "call" && v.fn === "take") return evaluate(v.args[0]!, scope).slice(0, Number(v.args[1]));
  }
  throw new Error(`cannot evaluate ${JSON.stringify(v)}`);
}

/** Each module call's name parameters in each environment: `[environment, module symbol, param, value]`. */
export function moduleNames(
  p: ProjectModel,
  params: Record<string, string[]>,
): [string, string, string, string][] {
  const build = buildAzure(p);
  const main = build.bicep["main.bicep"]!;
  const out: [string, string, string, string][] = [];
  for (const m of p.environments) {
    const file = build.params[`parameters/${m.environment.name}.bicepparam`]!;
    const scope: Record<string, string> = { suffix: SUFFIX, sharedSuffix: "d4e5f6" };
    for (const x of file.params) if (typeof x.value === "string") scope[x.name] = x.value;
    for (const v of main.vars) if (!(v.name in scope)) scope[v.name] = evaluate(v.value, scope);
    for (const mod of main.modules)
      for (const param of params[mod.path] ?? [])
        if (mod.params[param] !== undefined)
          out.push([m.environment.name, mod.symbol, param, evaluate(mod.params[param], scope)]);
  }
  return out;
}
