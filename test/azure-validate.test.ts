// External validators on the committed Azure trees of every example: checkov (bicep framework) with
// only the allow-list of docs/targets/azure.md skipped, and `bicep build` when the Bicep CLI is
// installed. In CI a missing checkov fails; elsewhere it skips with a message.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { bicepBuild } from "../src/validate/bicep-cli.js";
import { allowListFromMarkdown, runCheckov } from "../src/validate/checkov.js";
import { findTool } from "../src/validate/tools.js";
import { EXAMPLES, REPO_ROOT } from "./helpers.js";

const CI = process.env.CI === "true" || process.env.CI === "1";
const ALLOWED = allowListFromMarkdown(readFileSync(join(REPO_ROOT, "docs", "targets", "azure.md"), "utf8"));

function haveTool(t: TestContext, name: string): boolean {
  if (findTool(name)) return true;
  if (CI) assert.fail(`${name} is missing in CI: scripts/install-tools.sh must install it`);
  t.skip(`${name} not installed (bash scripts/install-tools.sh)`);
  return false;
}

describe("azure target: validators", () => {
  it("every skipped checkov check has a written reason", () => {
    for (const c of ALLOWED) assert.ok(c.reason.length > 20, `${c.id} needs a reason`);
    assert.equal(new Set(ALLOWED.map((c) => c.id)).size, ALLOWED.length, "a check is listed twice");
  });

  for (const name of EXAMPLES) {
    const dir = join(REPO_ROOT, "examples", name, "infrastructure", "azure");
    it(`${name}: checkov --framework bicep reports no failed check outside the allow-list`, async (t) => {
      if (!haveTool(t, "checkov")) return;
      const r = await runCheckov({ framework: "bicep", dir, skip: ALLOWED.map((c) => c.id) });
      assert.deepEqual(
        r.failed.map((f) => `${f.checkId} ${f.file} ${f.resource}: ${f.checkName}`),
        [],
      );
      assert.ok(r.passed > 10, `checkov passed only ${r.passed} checks: did it scan the Bicep files?`);
    });
  }

  it("bicep build compiles every example, or says the Bicep CLI is missing", async () => {
    for (const name of EXAMPLES) {
      const r = await bicepBuild(join(REPO_ROOT, "examples", name, "infrastructure", "azure"));
      if (!findTool("bicep")) {
        assert.equal(r.ran, false);
        assert.match(r.problems[0] ?? "", /bicep CLI not found/);
        continue;
      }
      assert.deepEqual(r.problems, [], name);
      assert.equal(r.ok, true);
    }
  });
});
