// Benchmark (not a test): synthesize the AWS target for a generated 200-service x 3-environment
// spec (check + render), then time the offline provider-schema check of the same output.
// Run: npx tsx bench/synth-aws.ts
import { loadSpec } from "../src/model/load.js";
import { awsTarget, buildAws } from "../src/targets/aws/index.js";
import type { SynthContext } from "../src/targets/target.js";
import { checkTerraform } from "../src/validate/terraform-schema.js";
import { bigSpec } from "./big-spec.js";

const ctx: SynthContext = {
  specPath: "bench/gantry.yaml",
  specDir: "bench",
  outputs: {
    kubernetes: "bench/deploy/kubernetes",
    azure: "",
    aws: "bench/infrastructure/aws",
    digitalocean: "",
    github: ".github/workflows",
  },
};
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const { project } = loadSpec("gantry.yaml", bigSpec(200));
const runs = 5;
awsTarget.render(project, ctx); // warm-up
const times: number[] = [];
let tree: Record<string, string> = {};
let errors = 0;
for (let i = 0; i < runs; i++) {
  const t = process.hrtime.bigint();
  errors = awsTarget.check(project, ctx).filter((p) => (p.severity ?? "error") === "error").length;
  tree = awsTarget.render(project, ctx);
  times.push(ms(t));
}
const files = Object.keys(tree).length;
const bytes = Object.values(tree).reduce((n, s) => n + Buffer.byteLength(s), 0);
console.log(
  `synth aws: 200 services x 3 environments -> ${files} files, ${(bytes / 1048576).toFixed(2)} MiB, ${runs} runs, ${errors} check() errors`,
);
console.log(
  `  check + render: median ${median(times).toFixed(0)} ms, min ${Math.min(...times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`,
);

const t = process.hrtime.bigint();
const problems = checkTerraform(buildAws(project, ctx).hcl);
console.log(`  provider-schema check of every block: ${ms(t).toFixed(0)} ms, ${problems.length} problems`);
