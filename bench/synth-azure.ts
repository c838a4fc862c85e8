// Benchmark (not a test): synthesize the Azure target for a generated 200-service x 3-environment
// spec (check + render), then time the offline validation of the same output: the type-data check
// of every resource and the Bicep grammar over every file.
// Run: npx tsx bench/synth-azure.ts
import { loadSpec } from "../src/model/load.js";
import { azureTarget, buildAzure } from "../src/targets/azure/index.js";
import type { SynthContext } from "../src/targets/target.js";
import { bicepParamSyntaxProblems, bicepSyntaxProblems } from "../src/validate/bicep-grammar.js";
import { checkBicepFiles } from "../src/validate/bicep-types.js";
import { bigSpec } from "./big-spec.js";

const ctx: SynthContext = {
  specPath: "bench/gantry.yaml",
  specDir: "bench",
  outputs: {
    kubernetes: "",
    azure: "bench/infrastructure/azure",
    aws: "",
    digitalocean: "",
    github: ".github/workflows",
  },
};
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const { project } = loadSpec("gantry.yaml", bigSpec(200));
const runs = 5;
azureTarget.render(project, ctx); // warm-up
const times: number[] = [];
let tree: Record<string, string> = {};
// A spec this large exceeds Azure Resource Manager's per-template limits; check() says so (and
// `gantry synth` stops there), but the renderer's speed is still what this measures.
let limits: string[] = [];
for (let i = 0; i < runs; i++) {
  const t = process.hrtime.bigint();
  const problems = azureTarget.check(project, ctx);
  tree = azureTarget.render(project, ctx);
  times.push(ms(t));
  limits = problems.filter((p) => (p.severity ?? "error") === "error").map((p) => p.message);
}
const files = Object.keys(tree).length;
const bytes = Object.values(tree).reduce((n, s) => n + Buffer.byteLength(s), 0);
console.log(
  `synth azure: 200 services x 3 environments -> ${files} files, ${(bytes / 1048576).toFixed(1)} MiB, ${runs} runs`,
);
for (const l of limits) console.log(`  check(): ${l}`);
console.log(
  `  check + render: median ${median(times).toFixed(0)} ms, min ${Math.min(...times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`,
);

let t = process.hrtime.bigint();
const typeProblems = checkBicepFiles(buildAzure(project).bicep);
console.log(`  type-data check of every resource: ${ms(t).toFixed(0)} ms, ${typeProblems.length} problems`);

t = process.hrtime.bigint();
let syntax = 0;
for (const [f, text] of Object.entries(tree)) {
  if (f.endsWith(".bicep")) syntax += (await bicepSyntaxProblems(text)).length;
  else if (f.endsWith(".bicepparam")) syntax += (await bicepParamSyntaxProblems(text)).length;
}
console.log(`  Bicep grammar over every file: ${ms(t).toFixed(0)} ms, ${syntax} syntax problems`);
