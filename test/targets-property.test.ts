// A property, not a list of cases: specs generated from the schema (test/spec-generator.ts), with every
// feature and several environments that remove entries and override fields, go through every target's
// check() and render(). None may crash, two renders must give the same bytes, and each environment's
// own values must reach that environment's files (where each target keeps them: spec-property-expect.ts).
// A failure prints its seed and spec; `npx tsx bench/spec-property.ts <from> <to>` runs more seeds.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SpecSchema } from "../src/spec/schema.js";
import { generateSpec } from "./spec-generator.js";
import type { JsonSchema } from "../src/spec/check-schema.js";
import { PATTERN_SAMPLES, Rng, schemaPaths, writtenPaths } from "./spec-generator-schema.js";
import { KNOWN_DEFECTS, SUITE_SEEDS, formatFailure, runSpec } from "./spec-property.js";

describe("every target, on generated specs", () => {
  it("the generator is deterministic and its samples match the schema's patterns", () => {
    assert.equal(generateSpec(42).text, generateSpec(42).text);
    assert.notEqual(generateSpec(42).text, generateSpec(43).text);
    const r = new Rng(1);
    for (const [pattern, sample] of Object.entries(PATTERN_SAMPLES))
      for (let i = 0; i < 20; i++) {
        const s = sample(r);
        assert.match(s, new RegExp(pattern, "u"), `${s} for ${pattern}`);
      }
  });

  it(`the ${SUITE_SEEDS} specs write every field of the schema`, () => {
    const schema = SpecSchema as unknown as JsonSchema;
    const written = new Set<string>();
    for (let seed = 1; seed <= SUITE_SEEDS; seed++)
      writtenPaths(schema, generateSpec(seed).spec, "", written);
    // Environments override through `Unknown` nodes: their overrides are the top level's fields again.
    const missing = schemaPaths(schema).filter(
      (p) =>
        !written.has(p) &&
        !/^environments\.\*\.(services|postgres|redis|topics|buckets|email|dns|monitoring|budget|tags|targets)\./.test(
          p,
        ),
    );
    assert.deepEqual(missing, []);
  });

  it(`${SUITE_SEEDS} specs: no crash, the same bytes twice, each environment's values in its own files`, (t) => {
    const failures: string[] = [];
    const rejected = new Map<string, number>();
    const rendered = new Map<string, number>();
    const refused = new Map<string, number>();
    const refusals = new Map<string, number>();
    const known = new Map<string, number>();
    let accepted = 0;
    let checked = 0;
    const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
    for (let seed = 1; seed <= SUITE_SEEDS; seed++) {
      const { generated, outcome } = runSpec(seed);
      if (outcome.rejections.length) {
        for (const r of outcome.rejections) count(rejected, r);
        continue;
      }
      accepted++;
      checked += outcome.checked;
      for (const l of outcome.rendered) count(rendered, l);
      for (const l of outcome.refused) count(refused, l);
      for (const r of outcome.refusals) count(refusals, r);
      for (const k of outcome.known) count(known, k);
      // One failure of each kind per target and spec is enough to reproduce it.
      const seen = new Set<string>();
      for (const f of outcome.failures) {
        const key = `${f.target} ${f.kind}`;
        if (!seen.has(key)) failures.push(formatFailure(f, generated));
        seen.add(key);
      }
    }
    const list = (m: Map<string, number>) => [...m].map(([k, n]) => `${k} ${n}`).join(", ") || "none";
    t.diagnostic(
      `${SUITE_SEEDS} specs generated, ${accepted} accepted, ${SUITE_SEEDS - accepted} rejected; ${checked} values looked for`,
    );
    t.diagnostic(`rendered by: ${list(rendered)}`);
    t.diagnostic(`refused with positioned errors by: ${list(refused)}`);
    const top = (m: Map<string, number>) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([k, n]) => `  ${n} × ${k}`);
    for (const line of ["most frequent refusals:", ...top(refusals)]) t.diagnostic(line);
    for (const k of KNOWN_DEFECTS)
      t.diagnostic(
        `known defect, not failed on: ${k.target} ${k.what} (${known.get(`${k.target} ${k.what}`) ?? 0} values): ${k.why}`,
      );
    for (const line of rejected.size ? ["loadSpec rejected specs because:", ...top(rejected)] : [])
      t.diagnostic(line);
    assert.ok(accepted >= SUITE_SEEDS * 0.8, "the generator should write mostly valid specs");
    assert.equal(rendered.size, 8, "every target renders some of the specs");
    assert.deepEqual(failures, [], `${failures.length} failures:\n\n${failures.slice(0, 5).join("\n\n")}`);
  });
});
