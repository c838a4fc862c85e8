// Benchmark (not a test): synthesize the Kubernetes target for a generated 200-service x
// 3-environment spec, and measure `helm template` of the produced chart in the same run.
// Run: npx tsx bench/synth-kubernetes.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTree } from "../src/output/writer.js";
import { loadSpec } from "../src/model/load.js";
import { kubernetesTarget } from "../src/targets/kubernetes/index.js";
import type { SynthContext } from "../src/targets/target.js";
import { helmTemplate } from "../src/validate/helm.js";
import { findTool } from "../src/validate/tools.js";
import { bigSpec } from "./big-spec.js";

const ctx: SynthContext = {
  specPath: "bench/gantry.yaml",
  specDir: "bench",
  outputs: {
    kubernetes: "bench/deploy/kubernetes",
    azure: "",
    aws: "",
    digitalocean: "",
    github: ".github/workflows",
  },
};
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const text = bigSpec(200);
const { project } = loadSpec("gantry.yaml", text);
const runs = 5;
kubernetesTarget.render(project, ctx); // warm-up
const times: number[] = [];
let tree = {};
for (let i = 0; i < runs; i++) {
  const t = process.hrtime.bigint();
  const problems = kubernetesTarget.check(project, ctx);
  tree = kubernetesTarget.render(project, ctx);
  times.push(ms(t));
  if (problems.some((p) => (p.severity ?? "error") === "error"))
    throw new Error(`unexpected problems: ${JSON.stringify(problems[0])}`);
}
const files = Object.keys(tree).length;
const bytes = Object.values(tree).reduce((n: number, s) => n + Buffer.byteLength(s as string), 0);
console.log(
  `synth kubernetes: 200 services x 3 environments -> ${files} files, ${(bytes / 1048576).toFixed(1)} MiB, ${runs} runs`,
);
console.log(
  `  check + render: median ${median(times).toFixed(0)} ms, min ${Math.min(...times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`,
);

if (!findTool("helm")) {
  console.log("  helm template: skipped (helm not installed: bash scripts/install-tools.sh)");
} else {
  const dir = mkdtempSync(join(tmpdir(), "gantry-bench-k8s-"));
  try {
    const out = join(dir, "kubernetes");
    writeTree(out, tree, true);
    for (const env of project.environments) {
      const t = process.hrtime.bigint();
      const manifests = await helmTemplate(join(out, "chart"), {
        namespace: env.environment.namespace,
        valuesFiles: [join(out, "chart", `values-${env.environment.name}.yaml`)],
      });
      const objects = manifests.split(/^---$/m).length - 1;
      console.log(`  helm template (${env.environment.name}): ${ms(t).toFixed(0)} ms for ${objects} objects`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
