// The AWS target's system checks: each rule on a fixture that breaks it, reported alone and with a
// position (the generated file and line, or the spec's position through `gantry check`).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli, tempDir } from "./helpers.js";
import { damage, lineOf, renderTrees, SPEC, summary, systemFindings } from "./check-fixtures.js";

interface JsonFinding {
  rule: string;
  severity: string;
  path?: string;
  pos?: { line: number };
  file?: string;
  line?: number;
}

async function check(spec: string): Promise<{ code: number; findings: JsonFinding[] }> {
  const { dir, cleanup } = tempDir({ "gantry.yaml": spec });
  try {
    const r = await runCli(["check", dir, "--no-tools", "--format", "json"], dir);
    return { code: r.code, findings: (JSON.parse(r.out) as { findings: JsonFinding[] }).findings };
  } finally {
    cleanup();
  }
}

describe("aws system checks", () => {
  it("a spec whose environments differ passes gantry check (aws and its workflows)", async () => {
    // With a channel, so that production's alerts reach someone (spec/alert-unrouted).
    const r = await check(
      SPEC.replace(
        "environments:",
        "monitoring:\n  channels:\n    ops: { type: email, to: [ops@example.com] }\nenvironments:",
      ),
    );
    assert.deepEqual(
      r.findings.filter((f) => f.severity === "error"),
      [],
    );
    assert.equal(r.code, 0);
  });

  it("aws/per-env-values: an environment's tfvars with another environment's region", () => {
    const trees = damage(renderTrees(), "aws", "environments/staging.tfvars", (t) =>
      t.replace('region              = "eu-west-1"', 'region              = "us-east-1"'),
    );
    const file = "environments/staging.tfvars";
    assert.deepEqual(summary(systemFindings(trees)), [
      ["aws/per-env-values", file, lineOf(trees.aws![file]!, "region ")],
    ]);
  });

  it("aws/per-env-values: a job's schedule and command that are the first environment's in every one", () => {
    const trees = damage(renderTrees(), "aws", "environments/staging.tfvars", (t) =>
      t
        .replace('command     = ["./report", "--quick"]', 'command     = ["./report", "--full"]')
        .replace('"cron(0 5 ? * 2 *)"', '"cron(0 3 * * ? *)"'),
    );
    const findings = systemFindings(trees);
    const line = lineOf(trees.aws!["environments/staging.tfvars"]!, "jobs = {");
    assert.deepEqual(summary(findings), [
      ["aws/per-env-values", "environments/staging.tfvars", line],
      ["aws/per-env-values", "environments/staging.tfvars", line],
    ]);
    assert.deepEqual(
      findings.map((f) => [f.env, f.path]),
      [
        ["staging", "services.report.command"],
        ["staging", "services.report.schedule"],
      ],
    );
  });

  it("aws/per-env-values: a service whose domains and counts are not its environment's", () => {
    const trees = damage(renderTrees(), "aws", "environments/production.tfvars", (t) =>
      t.replace('domains       = ["api.shop.example.com"]', 'domains       = ["api.staging.example.com"]'),
    );
    assert.deepEqual(
      systemFindings(trees).map((f) => [f.rule, f.env, f.message.split(" is ")[0]]),
      [["aws/per-env-values", "production", "environments/production.tfvars: services.api.domains"]],
    );
  });

  it("aws/per-env-values: a service's env value of another environment (a literal ${ read back as written)", () => {
    const trees = damage(renderTrees(), "aws", "environments/staging.tfvars", (t) =>
      t.replace('LOG_LEVEL = "debug"', 'LOG_LEVEL = "info"'),
    );
    const findings = systemFindings(trees);
    assert.deepEqual(
      findings.map((f) => [f.rule, f.env, f.path, f.line]),
      [
        [
          "aws/per-env-values",
          "staging",
          "services.api.env",
          lineOf(trees.aws!["environments/staging.tfvars"]!, "services = {"),
        ],
      ],
    );
  });

  it("aws/iam-role: the infrastructure role does not trust the pull requests whose plans assume it", () => {
    const trees = damage(renderTrees(), "aws", "bootstrap/main.tf", (t) =>
      t.replace('"repo:acme/shop:pull_request",\n', ""),
    );
    const findings = systemFindings(trees);
    const line = lineOf(trees.aws!["bootstrap/main.tf"]!, 'resource "aws_iam_role" "infrastructure"');
    // The pull request check and the plan jobs of infrastructure.yml present that subject.
    assert.deepEqual(
      [...new Set(summary(findings).map((f) => JSON.stringify(f)))].map((f) => JSON.parse(f) as unknown),
      [["aws/iam-role", "bootstrap/main.tf", line]],
    );
    assert.match(findings[0]!.message, /does not trust repo:acme\/shop:pull_request/);
  });

  it("aws/iam-role: a deploy role that trusts another environment's jobs", () => {
    const trees = damage(renderTrees(), "aws", "modules/ci/main.tf", (t) =>
      t.replace(":environment:${var.github_environment}", ":environment:production"),
    );
    const findings = systemFindings(trees);
    assert.deepEqual(
      [...new Set(findings.map((f) => `${f.rule} ${f.env} ${f.file}:${f.line}`))],
      [
        `aws/iam-role staging modules/ci/main.tf:${lineOf(trees.aws!["modules/ci/main.tf"]!, 'resource "aws_iam_role" "deploy"')}`,
      ],
    );
  });

  it("aws/iam-role: dr-drill.yml assumes the drill module's role, which must trust the default branch", () => {
    // The fixture with a database, so production is drilled.
    const spec = SPEC.replace("ci: {", "postgres:\n  db: {}\nci: {").replace(
      "    port: 8000\n",
      "    port: 8000\n    uses: [db]\n",
    );
    assert.deepEqual(systemFindings(renderTrees(spec), spec), []);
    const trees = damage(renderTrees(spec), "aws", "modules/dr_drill/main.tf", (t) =>
      t.replace(":ref:refs/heads/${var.github_branch}", ":environment:production"),
    );
    const findings = systemFindings(trees, spec);
    assert.deepEqual(
      [...new Set(findings.map((f) => `${f.rule} ${f.file}:${f.line}`))],
      [
        `aws/iam-role modules/dr_drill/main.tf:${lineOf(trees.aws!["modules/dr_drill/main.tf"]!, 'resource "aws_iam_role" "github"')}`,
      ],
    );
    assert.match(
      findings[0]!.message,
      /does not trust repo:acme\/shop:ref:refs\/heads\/main, which \.github\/workflows\/dr-drill\.yml/,
    );
  });

  it("aws/iam-role: without ci.repository the tree creates no role the workflows assume (at the spec's ci)", async () => {
    const spec = SPEC.replace("ci: { repository: acme/shop }", "ci: { default_branch: main }");
    const r = await check(spec);
    const iam = r.findings.filter((f) => f.rule === "aws/iam-role");
    assert.equal(iam.length, 1);
    assert.equal(iam[0]!.path, "ci.repository");
    assert.equal(iam[0]!.pos?.line, spec.split("\n").findIndex((l) => l.startsWith("ci:")) + 1);
    assert.equal(r.code, 1);
  });
});
