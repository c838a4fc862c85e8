// Prints how the source holds to its structure rules, as counts that should all be 0: files over 600
// lines, functions over 120, branches on a target's name outside its folder, imports that cross the
// layers upwards. The rules themselves live in eslint.config.js, so `npm run lint` stops new ones;
// this prints the figures (`npm run structure`).
import { ESLint } from "eslint";

const RULES: Record<string, string> = {
  "max-lines": "source files over 600 lines",
  "max-lines-per-function": "functions over 120 lines",
  "no-restricted-syntax": "target-name branches outside the target's folder",
  "no-restricted-imports": "imports across the layers (or of child processes outside src/util/exec.ts)",
};

const eslint = new ESLint({ cwd: new URL("..", import.meta.url).pathname });
const results = await eslint.lintFiles(["src/**/*.ts"]);
const counts = Object.fromEntries(Object.keys(RULES).map((r) => [r, 0]));
for (const r of results)
  for (const m of r.messages) if (m.ruleId && m.ruleId in counts) counts[m.ruleId] = counts[m.ruleId]! + 1;
for (const [rule, what] of Object.entries(RULES)) console.log(`${String(counts[rule]).padStart(4)}  ${what}`);
process.exitCode = Object.values(counts).some((n) => n > 0) ? 1 : 0;
