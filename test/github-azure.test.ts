// The Azure deploy steps give the Bicep parameter files every environment variable they read:
// one list (the Azure target's deploy variables), two targets that must agree.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { azureTarget } from "../src/targets/azure/index.js";
import { githubTarget } from "../src/targets/registry.js";
import { EXAMPLES, exampleContext, loadExample } from "./helpers.js";

interface Workflow {
  jobs: Record<string, { steps: { run?: string; env?: Record<string, string> }[] }>;
}

describe("github × azure", () => {
  for (const name of EXAMPLES) {
    it(`${name}: what-if and deploy steps set every variable the parameter files read`, () => {
      const { project } = loadExample(name);
      const bicep = azureTarget.render(project, exampleContext(name));
      const read = new Set<string>();
      for (const [f, text] of Object.entries(bicep)) {
        if (!f.endsWith(".bicepparam")) continue;
        for (const m of text.matchAll(/readEnvironmentVariable\('([A-Z0-9_]+)'(, [^)]*)?\)/g)) {
          if (!m[1]!.endsWith("_IMAGE")) read.add(m[1]!);
        }
      }
      const workflows = githubTarget.render(project, exampleContext(name, "azure"));
      const steps = ["infrastructure.yml", "pr-checks.yml"].flatMap((f) =>
        Object.values((parse(workflows[f]!) as Workflow).jobs).flatMap((j) => j.steps),
      );
      const azSteps = steps.filter((s) => /az deployment sub (create|what-if)/.test(s.run ?? ""));
      assert.ok(azSteps.length > 0);
      for (const step of azSteps) {
        for (const v of read)
          assert.ok(step.env?.[v]?.startsWith("${{ "), `${v} is not set for: ${step.run}`);
      }
    });
  }
});
