// Benchmark: load, validate and resolve a 200-service x 3-environment spec.
// Run: npx tsx bench/validate.ts   (target: under 200 ms on the project machine)
import { loadSpec } from "../src/model/load.js";
import { bigSpec } from "./big-spec.js";

const text = bigSpec(200);
const runs = 10;
loadSpec("bench.yaml", text); // warm-up: JIT and regex caches
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  const t = process.hrtime.bigint();
  const { project } = loadSpec("bench.yaml", text);
  times.push(Number(process.hrtime.bigint() - t) / 1e6);
  if (project.environments.length !== 3) throw new Error("expected 3 environments");
}
times.sort((a, b) => a - b);
const kb = (Buffer.byteLength(text) / 1024).toFixed(0);
console.log(`validate: 200 services x 3 environments (${kb} KiB spec), ${runs} runs`);
console.log(
  `  median ${times[Math.floor(runs / 2)]!.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms, max ${times[runs - 1]!.toFixed(1)} ms (target < 200 ms)`,
);
