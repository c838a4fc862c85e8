// Runs every benchmark (or the ones named: `npm run bench -- validate synth-aws`) one after the
// other, each in its own process so one's warm caches do not flatter the next, and prints their
// figures. Benchmarks measure; they never fail the build on a time.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const all = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && !["run.ts", "big-spec.ts"].includes(f))
  .map((f) => f.replace(/\.ts$/, ""))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length) {
  console.error(`unknown benchmark: ${unknown.join(", ")} (have: ${all.join(", ")})`);
  process.exit(1);
}
let failed = 0;
for (const name of wanted.length ? wanted : all) {
  console.log(`\n== bench/${name}.ts`);
  const r = spawnSync(process.execPath, ["--import", "tsx", `${dir}${name}.ts`], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
