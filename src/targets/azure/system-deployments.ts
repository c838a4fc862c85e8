// Each environment's deployment as the system checks see it: main.bicep's declarations with the
// values of that environment's parameter file, in the pipeline's order, and what a module call
// deploys (the resources of its file) into which resource group.
import { evaluate, type Decl, type Known } from "./bicep-read.js";

export interface Deployment {
  env: string;
  /** The value of an expression of main.bicep in this environment, when it is known here. */
  evaluate(text: string): Known;
}

/** One deployment per environment, in order; main.bicep's variables are evaluated where they can be. */
export function deploymentsOf(
  decls: Decl[],
  envs: string[],
  paramsOf: (env: string) => ReadonlyMap<string, Known>,
): Deployment[] {
  return envs.map((env) => {
    const scope = new Map(paramsOf(env));
    for (const v of decls.filter((d) => d.kind === "var")) scope.set(v.symbol, evaluate(v.value, scope));
    return { env, evaluate: (text) => evaluate(text, scope) };
  });
}

/** Whether a conditional module is deployed here: undefined when its condition is not known. */
export const deployed = (d: Decl, dep: Deployment): Known =>
  d.condition === undefined ? true : dep.evaluate(d.condition);

/** The resources a module's file declares. */
export const moduleResources = (modules: ReadonlyMap<string, Decl[]>, d: Decl): Decl[] =>
  (modules.get(d.target) ?? []).filter((r) => r.kind === "resource");

/** The name of the resource group a module deploys into: its `scope`, a group resource or resourceGroup(name). */
export function groupOf(d: Decl, decls: Decl[], dep: Deployment): Known {
  const scope = d.body.get("scope")?.text.trim();
  if (scope === undefined) return undefined;
  const byName = /^resourceGroup\((.*)\)$/.exec(scope);
  if (byName) return dep.evaluate(byName[1]!);
  const group = decls.find((x) => x.kind === "resource" && x.symbol === scope);
  return group ? dep.evaluate(group.body.get("name")?.text ?? "") : undefined;
}
