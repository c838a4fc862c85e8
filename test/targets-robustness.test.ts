// Specs no one on the team wrote: mutated examples that still validate go through every target's
// check() and render(). A target may refuse a spec with positioned problems, but never crash.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { loadSpec } from "../src/model/load.js";
import { SpecError, UserError } from "../src/errors.js";
import { TARGETS } from "../src/targets/registry.js";
import { EXAMPLES, exampleContext, examplePath } from "./helpers.js";
import { mutate, rng } from "./mutate.js";

describe("targets on mutated specs", () => {
  for (const name of EXAMPLES) {
    it(`${name}: every target checks or renders every valid mutation without crashing`, () => {
      const original = readFileSync(examplePath(name), "utf8");
      const r = rng(name.length * 104729);
      let valid = 0;
      for (let n = 0; n < 60; n++) {
        const text = mutate(original, r);
        let project;
        try {
          project = loadSpec("gantry.yaml", text).project;
        } catch (e) {
          if (e instanceof SpecError || e instanceof UserError) continue;
          throw e;
        }
        valid++;
        for (const target of TARGETS) {
          for (const deploy of target.name === "github"
            ? (["kubernetes", "azure", "aws", "digitalocean"] as const)
            : [undefined]) {
            const ctx = exampleContext(name, deploy);
            try {
              const problems = target.check(project, ctx);
              for (const p of problems) assert.ok(p.message.length > 0 && typeof p.path === "string");
              if (problems.some((p) => (p.severity ?? "error") === "error")) continue;
              const tree = target.render(project, ctx);
              assert.ok(Object.keys(tree).length > 0);
            } catch (e) {
              assert.fail(
                `${target.name}${deploy ? `/${deploy}` : ""} crashed on mutation ${n}: ${(e as Error).stack}\n--- spec ---\n${text}`,
              );
            }
          }
        }
      }
      assert.ok(valid >= 10, `only ${valid} mutations were valid`);
    });
  }
});
