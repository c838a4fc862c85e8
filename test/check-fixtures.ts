// Fixtures for the system checks of the AWS and GitHub targets: the trees `gantry check` renders
// for a spec (the AWS tree and the workflows deploying it), each check run over them after a test
// damages one file the way a regression or a hand edit would.
import { parseDocument } from "yaml";
import { loadSpec } from "../src/model/load.js";
import { REGISTERED } from "../src/targets/registry.js";
import type { RenderedTrees, SynthContext, SystemFinding, TargetName } from "../src/targets/target.js";
import { CTX } from "./aws-environments-spec.js";

export const SPEC = `name: shop
services:
  api:
    build: ./api
    port: 8000
    health: /health
    domain: api.shop.example.com
    env: { LOG_LEVEL: info, GREETING: "hello $\${NAME}" }
  report:
    build: ./report
    schedule: "0 3 * * *"
    command: ./report --full
ci: { repository: acme/shop }
targets:
  aws: { region: us-east-1 }
environments:
  staging:
    region: eu-west-1
    services:
      report: { schedule: "0 5 * * 1", command: ./report --quick }
      api: { env: { LOG_LEVEL: debug } }
  production:
    deploy: { on: release }
`;

export type Finding = SystemFinding & { target: string };

/** The trees of a run of `gantry check` for the spec, the workflows deploying to `platform`. */
export function renderTrees(spec = SPEC, platform = "aws"): RenderedTrees {
  const { project } = loadSpec("gantry.yaml", spec);
  const ctx: SynthContext = { ...CTX, deployTarget: platform };
  const trees: RenderedTrees = {};
  for (const { target } of REGISTERED)
    if (target.name === platform || target.name === "github")
      trees[target.name] = target.render(project, ctx);
  return trees;
}

/** Every system check of the run over the (damaged) trees. */
export function systemFindings(trees: RenderedTrees, spec = SPEC, platform = "aws"): Finding[] {
  const { project } = loadSpec("gantry.yaml", spec);
  const ctx: SynthContext = { ...CTX, deployTarget: platform };
  return REGISTERED.flatMap(({ target }) => {
    const tree = trees[target.name];
    if (!tree || !target.systemChecks) return [];
    return target.systemChecks(project, tree, ctx, trees).map((f) => ({ ...f, target: target.name }));
  });
}

/** The trees with one file changed. */
export function damage(
  trees: RenderedTrees,
  target: TargetName,
  file: string,
  change: (text: string) => string,
): RenderedTrees {
  const tree = trees[target]!;
  const text = tree[file];
  if (text === undefined) throw new Error(`${target} has no ${file}`);
  const changed = change(text);
  if (changed === text) throw new Error(`the damage left ${target}/${file} unchanged`);
  return { ...trees, [target]: { ...tree, [file]: changed } };
}

/** A workflow changed through yaml's document model. */
export function editYaml(change: (doc: ReturnType<typeof parseDocument>) => void): (text: string) => string {
  return (text) => {
    const doc = parseDocument(text);
    change(doc);
    return doc.toString();
  };
}

/** The first line of `text` that contains `needle` (or is `needle`, when exact), 1-based. */
export function lineOf(text: string, needle: string, exact = false): number {
  const i = text.split("\n").findIndex((l) => (exact ? l === needle : l.includes(needle)));
  if (i < 0) throw new Error(`no line contains ${needle}`);
  return i + 1;
}

export const summary = (findings: Finding[]) => findings.map((f) => [f.rule, f.file ?? f.path, f.line ?? 0]);
