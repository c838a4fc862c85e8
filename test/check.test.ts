// `gantry check`: findings with a rule, a severity and a place; exit 1 on errors; SARIF that GitHub
// code scanning takes; docs/checks.md made from the same rules.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import AjvDraft04 from "ajv-draft-04";
import { checksDocs } from "../src/docs/checks.js";
import { allRules } from "../src/check/rules.js";
import { EXAMPLES, REPO_ROOT, runCli, tempDir } from "./helpers.js";

const sarifSchema = JSON.parse(
  readFileSync(
    createRequire(import.meta.url).resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"),
    "utf8",
  ),
) as object;

describe("gantry check", () => {
  it("docs/checks.md is made from the rules (npm run gen)", () => {
    assert.equal(readFileSync(join(REPO_ROOT, "docs", "checks.md"), "utf8"), checksDocs());
  });

  it("every rule has an id of its area, a title, why it matters and a fix", () => {
    const ids = allRules().map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, "rule ids are unique");
    for (const r of allRules()) {
      assert.match(r.id, /^[a-z]+\/[a-z0-9-]+$/, r.id);
      for (const text of [r.title, r.why, r.fix]) assert.ok(text.length > 10, `${r.id}: ${text}`);
    }
  });

  for (const example of EXAMPLES) {
    it(`exits 0 on examples/${example}, with its warnings`, async () => {
      const r = await runCli(["check", `examples/${example}`, "--no-tools"]);
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /^0 errors, \d+ warnings? \(targets: /m);
    });
  }

  it("writes SARIF 2.1.0 that validates against the SARIF schema, each result with a rule and a location", async () => {
    const r = await runCli(["check", "examples/augeo", "--no-tools", "--format", "sarif"]);
    assert.equal(r.code, 0, r.err);
    const log = JSON.parse(r.out) as {
      runs: {
        tool: { driver: { rules: { id: string }[] } };
        results: { ruleId: string; ruleIndex: number; locations: unknown[] }[];
      }[];
    };
    const validate = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false }).compile(sarifSchema);
    assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
    const run = log.runs[0]!;
    assert.ok(run.results.length > 0);
    for (const res of run.results) {
      assert.equal(run.tool.driver.rules[res.ruleIndex]!.id, res.ruleId);
      assert.equal(res.locations.length, 1);
    }
  });

  it("reports a spec that does not load as findings of spec/invalid, exit 1, no stack", async () => {
    const { dir, cleanup } = tempDir({
      "gantry.yaml": "name: shop\nservices:\n  api: { image: api, port: 99999 }\n",
    });
    try {
      const r = await runCli(["check", dir, "--no-tools", "--format", "json"]);
      assert.equal(r.code, 1);
      const out = JSON.parse(r.out) as {
        findings: { rule: string; severity: string; path: string; pos: { line: number } }[];
      };
      assert.deepEqual(
        out.findings.filter((f) => f.severity === "error").map((f) => [f.rule, f.path, f.pos.line]),
        [["spec/invalid", "services.api.port", 3]],
      );
      assert.doesNotMatch(r.err, /at .*\.ts:\d+/);
    } finally {
      cleanup();
    }
  });

  it("refuses an unknown target or format with a hint", async () => {
    const t = await runCli(["check", "examples/hello", "--target", "kubernets"]);
    assert.equal(t.code, 1);
    assert.match(t.err, /unknown target `kubernets`\n {2}hint: did you mean `kubernetes`\?/);
    const f = await runCli(["check", "examples/hello", "--format", "xml"]);
    assert.equal(f.code, 1);
    assert.match(f.err, /unknown format `xml`/);
  });
});
