// Benchmark (not a test): the monthly estimate of a generated 200-service x 3-environment spec on every
// cloud target (Azure, AWS, DigitalOcean, Kubernetes on DOKS), as `gantry cost` computes it. The issue
// asks for under 200 ms. Run: npx tsx bench/cost.ts
import { estimateAll } from "../src/cost/estimate.js";
import { COST_TARGETS } from "../src/cost/types.js";
import { loadSpec } from "../src/model/load.js";
import { bigSpec } from "./big-spec.js";

const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// The shared spec runs on a generic cluster, which has no prices: DOKS prices its nodes.
const { project } = loadSpec("gantry.yaml", bigSpec(200).replace("provider: generic", "provider: doks"));
const price = () => COST_TARGETS.flatMap((target) => estimateAll(project, { target }));

let t = process.hrtime.bigint();
const first = price();
const cold = ms(t);
const times: number[] = [];
for (let i = 0; i < 9; i++) {
  t = process.hrtime.bigint();
  price();
  times.push(ms(t));
}
const items = first.reduce((n, e) => n + e.items.length, 0);
const total = first.reduce((n, e) => n + e.total_monthly_usd, 0);
console.log(
  `cost: 200 services x 3 environments x ${COST_TARGETS.length} targets -> ${first.length} estimates, ${items} items, $${total.toFixed(2)} a month in all`,
);
console.log(
  `  first run ${cold.toFixed(1)} ms, median of 9 more ${median(times).toFixed(1)} ms (goal: under 200 ms)`,
);
