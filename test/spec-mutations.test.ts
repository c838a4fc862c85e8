// Generative test: mutate the examples many hundreds of times (delete keys, change types, rename
// keys, truncate the file). Gantry must never crash: every run is either valid or fails with
// positioned spec problems.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { loadSpec } from "../src/model/load.js";
import { SpecError, UserError } from "../src/errors.js";
import { EXAMPLES, examplePath } from "./helpers.js";
import { mutate, rng } from "./mutate.js";

describe("mutated examples", () => {
  for (const name of EXAMPLES) {
    it(`${name}: 200 mutations never crash and every failure is positioned`, () => {
      const original = readFileSync(examplePath(name), "utf8");
      const r = rng(name.length * 7919);
      let failures = 0;
      for (let n = 0; n < 200; n++) {
        let text = original;
        const rounds = 1 + Math.floor(r() * 3);
        for (let k = 0; k < rounds; k++) text = mutate(text, r);
        try {
          loadSpec("gantry.yaml", text);
        } catch (e) {
          if (e instanceof UserError) continue;
          assert.ok(
            e instanceof SpecError,
            `mutation ${n} crashed: ${(e as Error).stack}\n--- spec ---\n${text}`,
          );
          failures++;
          for (const p of e.problems) {
            assert.equal(p.pos.file, "gantry.yaml");
            assert.ok(p.pos.line >= 1 && p.pos.col >= 1, `unpositioned problem: ${JSON.stringify(p)}`);
            assert.ok(p.message.length > 0);
          }
          assert.ok(e.problems.some((p) => p.severity === "error"));
        }
      }
      assert.ok(failures > 50, `only ${failures} of 200 mutations failed: the mutator is too gentle`);
    });
  }
});
