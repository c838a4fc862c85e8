// One spec, the same app everywhere: every example, environment and workload through every target.
// `gantry env` gives the same non-platform names on each, and what each target really sets (the
// environment of a local process, the variables in each target's generated files) is exactly those
// names plus the platform's own.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { envOnTarget } from "../src/cli/env.js";
import { workloadVariables } from "../src/model/bindings.js";
import { isWorkload } from "../src/model/queries.js";
import { TARGETS } from "../src/targets/registry.js";
import { EXAMPLES, exampleContext, loadExample } from "./helpers.js";
import { NAMES_SET, type NamesSet } from "./contract/targets.js";

const deployTargets = ["local", ...TARGETS.filter((t) => t.contract).map((t) => t.name)];

describe("what an app receives is the same on every target", () => {
  for (const example of EXAMPLES) {
    const project = loadExample(example).project;
    for (const app of project.environments) {
      for (const w of Object.values(app.services).filter(isWorkload)) {
        const where = `${example} ${app.environment.name} ${w.name}`;
        const contract = workloadVariables(app, w).map((v) => v.name);
        it(`${where}: the same names on ${deployTargets.join(", ")}`, () => {
          for (const target of deployTargets) {
            const listed = envOnTarget(app, w, target).variables;
            assert.deepEqual(
              listed.filter((v) => !v.platform).map((v) => v.name),
              contract,
              `gantry env ${w.name} --target ${target}`,
            );
          }
        });
        for (const target of deployTargets) {
          it(`${where}: the ${target} files set exactly what gantry env lists`, () => {
            const reader: NamesSet | undefined = NAMES_SET[target];
            assert.ok(reader, `test/contract/targets.ts has no reader of what ${target} sets`);
            // What the platform sets when the app runs, and what it cannot supply, is in no file.
            const listed = envOnTarget(app, w, target)
              .variables.filter((v) => !v.runtime && !v.missing)
              .map((v) => v.name);
            assert.deepEqual(reader({ example, project, app, workload: w }), listed);
          });
        }
      }
    }
  }
});

describe("a variable a target cannot supply is a positioned problem of that target", () => {
  for (const example of EXAMPLES) {
    const project = loadExample(example).project;
    for (const t of TARGETS.filter((x) => x.contract)) {
      it(`${example} on ${t.name}`, () => {
        const problems = t.check(project, exampleContext(example)).map((p) => `${p.path}: ${p.message}`);
        for (const app of project.environments)
          for (const w of Object.values(app.services).filter(isWorkload))
            for (const v of envOnTarget(app, w, t.name).variables.filter((x) => x.missing)) {
              const named = problems.filter((p) => p.startsWith(`services.${w.name}`) && p.includes(v.name));
              assert.ok(
                named.length > 0,
                `${t.name} cannot supply ${v.name} to ${w.name}, but says nothing: ${problems.join("; ")}`,
              );
            }
      });
    }
  }
});
