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
import { EXAMPLES, REPO_ROOT, exampleContext, loadExample, runCli, tempDir } from "./helpers.js";
import { toolFindings } from "../src/check/run.js";
import { kubernetesTarget } from "../src/targets/kubernetes/index.js";
import { findTool } from "../src/validate/tools.js";

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
      // The examples accept their cost/over-budget findings in checks.suppress, with the reason.
      assert.match(r.out, /^0 errors, \d+ warnings?(?:, \d+ suppressed)? \(targets: /m);
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
    const validate = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false }).compile(
      sarifSchema,
    );
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
        out.findings.filter((f) => f.rule === "spec/invalid").map((f) => [f.rule, f.path, f.pos.line]),
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

type JsonFinding = {
  rule: string;
  severity: string;
  path?: string;
  pos?: { line: number };
  suppressed?: { reason: string };
};

/** `gantry check --format json` of a spec written to a temporary folder (by default, the kubernetes target only). */
async function checkSpec(
  spec: string,
  only = ["--target", "kubernetes"],
): Promise<{ code: number; findings: JsonFinding[] }> {
  const { dir, cleanup } = tempDir({ "gantry.yaml": spec });
  try {
    const r = await runCli(["check", dir, "--no-tools", "--format", "json", ...only]);
    return { code: r.code, findings: (JSON.parse(r.out) as { findings: JsonFinding[] }).findings };
  } finally {
    cleanup();
  }
}

const BASE = `name: shop
services:
  api: { image: nginx:1.27, port: 8080, health: /health, scale: { min: 2, max: 3 } }
monitoring:
  channels:
    ops: { type: email, to: [ops@example.com] }
  smtp: { smarthost: "smtp.example.com:587", from: alerts@example.com }
`;
const specRules = (fs: JsonFinding[]) =>
  fs.filter((f) => f.rule.startsWith("spec/")).map((f) => [f.rule, f.severity, f.path, f.pos?.line]);

describe("gantry check: the spec's rules", () => {
  it("a clean production spec has no finding of the spec's rules", async () => {
    const r = await checkSpec(BASE);
    assert.deepEqual(specRules(r.findings), []);
  });

  const cases: [string, string, unknown[]][] = [
    [
      "spec/public-database",
      `${BASE}postgres:\n  db: { public_access: true }\n`,
      ["spec/public-database", "error", "postgres.db.public_access", 9],
    ],
    [
      "spec/single-instance",
      BASE.replace("scale: { min: 2, max: 3 }", "scale: 1"),
      ["spec/single-instance", "warning", "services.api.scale", 3],
    ],
    [
      "spec/no-backups",
      `${BASE}postgres:\n  db: { backups: { enabled: false } }\n`,
      ["spec/no-backups", "warning", "postgres.db.backups.enabled", 9],
    ],
    [
      "spec/alert-unrouted",
      BASE.replace(/monitoring:[^]*$/, "monitoring:\n  alerts:\n    high-cpu: { above: 90 }\n"),
      ["spec/alert-unrouted", "error", "monitoring", 4],
    ],
    [
      "spec/secret-literal",
      BASE.replace(
        "health: /health,",
        "health: /health, env: { API_TOKEN: ghp_abcdefghijklmnopqrstuvwxyz0123456789 },",
      ),
      ["spec/secret-literal", "error", "services.api.env.API_TOKEN", 3],
    ],
  ];
  for (const [rule, spec, expected] of cases) {
    it(`reports ${rule}, at its place in the spec`, async () => {
      const r = await checkSpec(spec);
      assert.deepEqual(specRules(r.findings), [expected]);
      assert.equal(r.code, expected[1] === "error" ? 1 : 0);
    });
  }

  it("reports alerts that reach no one only where they would fire for real: production", async () => {
    const spec = `${BASE.replace(/monitoring:[^]*$/, "")}environments:\n  dev: { tier: development }\n`;
    assert.deepEqual(specRules((await checkSpec(spec)).findings), []);
  });
});

describe("gantry check: suppressions in the spec", () => {
  const spec = `${BASE}postgres:
  db: { public_access: true }
checks:
  suppress:
    - rule: spec/public-database
      reason: the analysts connect from the office network through the firewall
      path: postgres.db
`;

  it("lets a finding pass with its reason: listed, not an error, exit 0", async () => {
    const r = await checkSpec(spec);
    assert.equal(r.code, 0);
    const f = r.findings.find((x) => x.rule === "spec/public-database");
    assert.deepEqual(f?.suppressed, {
      reason: "the analysts connect from the office network through the firewall",
    });
  });

  it("does not let a finding pass at another path or in another environment", async () => {
    const elsewhere = await checkSpec(spec.replace("path: postgres.db", "path: postgres.other"));
    assert.equal(elsewhere.code, 1);
    const otherEnv = await checkSpec(
      `${spec}      environments: [staging]\nenvironments:\n  staging: {}\n  production: {}\n`,
    );
    assert.equal(otherEnv.code, 1, "a finding of every environment is not covered by a list of some");
  });

  it("refuses a suppression without a reason, or with a rule that does not exist", async () => {
    const noReason = await checkSpec(spec.replace(/ {6}reason: .*\n/, ""));
    assert.deepEqual(
      specRules(noReason.findings).filter((f) => f[0] === "spec/invalid"),
      [["spec/invalid", "error", "checks.suppress[0]", 12]],
    );
    const unknown = await checkSpec(spec.replace("rule: spec/public-database", "rule: spec/public-databse"));
    assert.equal(unknown.code, 1);
    assert.deepEqual(
      specRules(unknown.findings).filter((f) => f[0] === "spec/suppression-unknown-rule"),
      [["spec/suppression-unknown-rule", "error", "checks.suppress[0].rule", 12]],
    );
  });

  it("reports a suppression that matches nothing, when every target and environment was checked", async () => {
    const unused = spec.replace("public_access: true", "public_access: false");
    const r = await checkSpec(unused, []);
    assert.equal(r.code, 0);
    assert.deepEqual(specRules(r.findings), [
      ["spec/suppression-unused", "warning", "checks.suppress[0].rule", 12],
    ]);
    const partial = await checkSpec(unused);
    assert.deepEqual(specRules(partial.findings), [], "a run of one target cannot know the entry is stale");
  });

  it("marks a suppressed result in SARIF as suppressed in source, with the reason", async () => {
    const { dir, cleanup } = tempDir({ "gantry.yaml": spec });
    try {
      const r = await runCli(["check", dir, "--no-tools", "--format", "sarif", "--target", "kubernetes"]);
      const log = JSON.parse(r.out) as {
        runs: { results: { ruleId: string; suppressions?: { kind: string; justification: string }[] }[] }[];
      };
      const validate = new AjvDraft04.default({
        allErrors: true,
        strict: false,
        unicodeRegExp: false,
      }).compile(sarifSchema);
      assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
      const res = log.runs[0]!.results.find((x) => x.ruleId === "spec/public-database");
      assert.equal(res?.suppressions?.[0]?.kind, "inSource");
    } finally {
      cleanup();
    }
  });
});

describe("gantry check: the validators' findings", () => {
  const skipNoTools =
    findTool("kubeconform") && findTool("amtool") ? {} : { skip: "kubeconform or amtool is not installed" };
  it(
    "a file a validator rejects is a finding of its tools/ rule, at the target's output folder",
    skipNoTools,
    async () => {
      const loaded = loadExample("todo");
      const ctx = exampleContext("todo");
      const tree = kubernetesTarget.render(loaded.project, ctx);
      const values = "cluster-bootstrap/values/kube-prometheus-stack.yaml";
      const broken = {
        ...tree,
        "rendered/staging/backend-service.yaml": tree["rendered/staging/backend-service.yaml"]!.replace(
          "kind: Service",
          "kind: Servic",
        ),
        [values]: tree[values]!.replace(
          "receiver: production-slack\n      group_by",
          "receiver: nobody\n      group_by",
        ),
      };
      const clean = await toolFindings([[kubernetesTarget, tree]], ctx);
      assert.deepEqual(clean.findings, []);
      const r = await toolFindings([[kubernetesTarget, broken]], ctx);
      const rules = r.findings.map((f) => f.rule).sort();
      assert.deepEqual(rules, ["tools/amtool", "tools/kubeconform"]);
      for (const f of r.findings) {
        assert.equal(f.severity, "error");
        assert.equal(f.file, "examples/todo/deploy/kubernetes");
        assert.doesNotMatch(f.message, /gantry-check-/, "the scratch folder is not named");
      }
    },
  );
});
