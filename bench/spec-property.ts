// The longer run of test/targets-property.test.ts: thousands of generated specs through every target
// (no crash, the same bytes twice, each environment's values in its own files), from a seed range.
//   npx tsx bench/spec-property.ts [from] [to] [--helm]
// Default: the 2,000 seeds after those `npm test` runs. With --helm, every Kubernetes chart that
// renders is also installed with `helm template` per environment (a few seconds a spec), and its
// objects compared with rendered/<env>/: the chart's switches per environment, checked by Helm itself.
// Exits 1 when it finds a failure, printing each kind once with its seed and spec.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parseAllDocuments } from "yaml";
import { loadSpec } from "../src/model/load.js";
import { writeTree } from "../src/output/writer.js";
import { kubernetesTarget } from "../src/targets/kubernetes/index.js";
import { helmTemplate } from "../src/validate/helm.js";
import { findTool } from "../src/validate/tools.js";
import { SUITE_SEEDS, formatFailure, runSpec, targetRuns } from "../test/spec-property.js";

const args = process.argv.slice(2);
const helm = args.includes("--helm");
const [from = SUITE_SEEDS + 1, to = SUITE_SEEDS + 2000] = args.filter((a) => !a.startsWith("--")).map(Number);
if (helm && !findTool("helm")) {
  console.error("--helm: helm is not installed (bash scripts/install-tools.sh)");
  process.exit(1);
}

type Manifest = { kind: string; metadata: { name: string } };
const objects = (text: string) =>
  new Map(
    parseAllDocuments(text)
      .map((d) => d.toJS() as Manifest | null)
      .filter((o): o is Manifest => o !== null)
      .map((o) => [`${o.kind}/${o.metadata.name}`, o]),
  );

/** helm template of each environment gives the objects of rendered/<env>/; a message for each that does not. */
async function helmProblems(seed: number, text: string): Promise<string[]> {
  const project = loadSpec("gantry.yaml", text).project;
  const run = targetRuns(seed).find((r) => r.label === "kubernetes")!;
  const dir = mkdtempSync(join(tmpdir(), "gantry-property-"));
  try {
    writeTree(dir, kubernetesTarget.render(project, run.ctx), true);
    const out: string[] = [];
    for (const { environment: env } of project.environments) {
      const chart = join(dir, "chart");
      let fromHelm;
      try {
        fromHelm = objects(
          await helmTemplate(chart, {
            namespace: env.namespace,
            valuesFiles: [join(chart, `values-${env.name}.yaml`)],
          }),
        );
      } catch (e) {
        out.push(`${env.name}: ${(e as Error).message.split("\n")[0]!}`);
        continue;
      }
      const renderedDir = join(dir, "rendered", env.name);
      const files =
        readdirSync(dir).includes("rendered") && readdirSync(join(dir, "rendered")).includes(env.name)
          ? readdirSync(renderedDir)
          : [];
      const rendered = objects(files.map((f) => readFileSync(join(renderedDir, f), "utf8")).join("\n---\n"));
      const keys = [...new Set([...fromHelm.keys(), ...rendered.keys()])];
      for (const k of keys)
        if (!isDeepStrictEqual(fromHelm.get(k), rendered.get(k)))
          out.push(`${env.name}: ${k} differs between helm template and rendered/`);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const started = performance.now();
let accepted = 0;
let checked = 0;
let helmRuns = 0;
const failures = new Map<string, string>();
const rendered = new Map<string, number>();
for (let seed = from; seed <= to; seed++) {
  const { generated, outcome } = runSpec(seed);
  if (outcome.rejections.length) continue;
  accepted++;
  checked += outcome.checked;
  for (const l of outcome.rendered) rendered.set(l, (rendered.get(l) ?? 0) + 1);
  for (const f of outcome.failures) {
    const key = `${f.target} ${f.kind} ${f.message.split("\n")[0]!.replace(/\b(mk[a-z2-9]{6}|[a-z]+-[a-z2-9]{6})\b/g, "…")}`;
    if (!failures.has(key)) failures.set(key, formatFailure(f, generated));
  }
  if (helm && outcome.rendered.includes("kubernetes")) {
    helmRuns++;
    for (const p of await helmProblems(seed, generated.text))
      if (!failures.has(`helm ${p}`))
        failures.set(
          `helm ${p}`,
          `seed ${seed}, kubernetes: helm: ${p}\n--- gantry.yaml of seed ${seed} ---\n${generated.text}`,
        );
  }
}
const seconds = (performance.now() - started) / 1000;
const specs = to - from + 1;
console.log(
  `spec property: seeds ${from}-${to}: ${specs} specs, ${accepted} accepted, ${specs - accepted} rejected by loadSpec`,
);
console.log(`  rendered by: ${[...rendered].map(([k, n]) => `${k} ${n}`).join(", ")}`);
console.log(`  ${checked} values looked for${helm ? `, ${helmRuns} charts checked with helm template` : ""}`);
console.log(`  ${seconds.toFixed(1)} s, ${((seconds * 1000) / specs).toFixed(0)} ms a spec`);
console.log(`  ${failures.size} kinds of failure`);
for (const f of [...failures.values()].slice(0, 10)) console.log(`\n${f}`);
process.exit(failures.size ? 1 : 0);
