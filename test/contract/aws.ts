// What the AWS target sets for a workload, read from the typed Terraform it builds: the keys of the
// `environment` and `secrets` arguments of the workload's module call in main.tf, where the
// environment merges the workload's entry of environments/<env>.tfvars (its literal values) with
// what main.tf wires. The module's container adds no variable of its own (checked here too).
import { Block, Call, Expr, printExpression, type HclFile, type HclValue } from "../../src/format/hcl.js";
import { buildAws } from "../../src/targets/aws/index.js";
import { CONTAINER_ENVIRONMENT } from "../../src/targets/aws/modules-workload.js";
import { tfName, type TerraformProject } from "../../src/targets/terraform/blocks.js";
import { exampleContext } from "../helpers.js";
import type { ReaderInput } from "./targets.js";

const built = new Map<string, TerraformProject>();

function attr(items: HclFile["items"] | Block["body"], name: string): HclValue | undefined {
  for (const i of items) if (!(i instanceof Block) && i.kind === "attr" && i.name === name) return i.value;
  return undefined;
}

const isObject = (v: HclValue | undefined): v is Record<string, HclValue> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && v.constructor === Object;

/** The names an `environment` value sets: object keys, and `var.<coll>["<name>"].environment` from the tfvars. */
function names(v: HclValue, tfvars: HclFile): string[] {
  if (isObject(v)) return Object.keys(v);
  if (v instanceof Call && v.fn === "merge") return v.args.flatMap((a) => names(a, tfvars));
  const m = v instanceof Expr ? /^var\.(services|jobs)\["([^"]+)"\]\.environment$/.exec(v.text) : null;
  if (!m) throw new Error(`cannot read the variables of ${printExpression(v)}`);
  const entry = attr(tfvars.items, m[1]!);
  const workload = isObject(entry) ? entry[m[2]!] : undefined;
  const environment = isObject(workload) ? workload.environment : undefined;
  if (!isObject(environment)) throw new Error(`the tfvars have no ${m[1]}["${m[2]}"].environment`);
  return Object.keys(environment);
}

function containerAddsNothing(p: TerraformProject, module: string): void {
  const main = p.hcl[`modules/${module}/main.tf`]!;
  const local = main.items.find((i): i is Block => i instanceof Block && i.type === "locals");
  const container = local ? attr(local.body, "container") : undefined;
  const env = isObject(container) ? container.environment : undefined;
  if (!(env instanceof Expr) || env.text !== CONTAINER_ENVIRONMENT)
    throw new Error(`modules/${module}: the container's environment is not exactly var.environment`);
}

export function aws({ example, project, app, workload }: ReaderInput): string[] {
  let p = built.get(example);
  if (!p) built.set(example, (p = buildAws(project, exampleContext(example))));
  const kind = workload.type === "job" ? "job" : "service";
  containerAddsNothing(p, kind);
  const call = p.hcl["main.tf"]!.items.find(
    (i): i is Block =>
      i instanceof Block && i.type === "module" && i.labels[0] === `${kind}_${tfName(workload.name)}`,
  );
  if (!call) throw new Error(`main.tf calls no module for ${workload.name}`);
  const tfvars = p.hcl[`environments/${app.environment.name}.tfvars`]!;
  const environment = attr(call.body, "environment");
  const secrets = attr(call.body, "secrets");
  const set = [
    ...(environment === undefined ? [] : names(environment, tfvars)),
    ...(isObject(secrets) ? Object.keys(secrets) : []),
  ];
  return [...new Set(set)].sort();
}
