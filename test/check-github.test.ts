// The GitHub workflows' system checks: each rule on a fixture that breaks it, reported alone with
// the workflow file and line; every example's workflows pass them for every deploy platform, with
// the trees of that platform rendered beside them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PLATFORMS, REGISTERED } from "../src/targets/registry.js";
import type { RenderedTrees } from "../src/targets/target.js";
import { EXAMPLES, exampleContext, loadExample, runCli, tempDir } from "./helpers.js";
import { damage, editYaml, lineOf, renderTrees, SPEC, summary, systemFindings } from "./check-fixtures.js";

describe("github system checks", () => {
  for (const ex of EXAMPLES)
    for (const platform of PLATFORMS) {
      // Without ci.repository no AWS role can name the repository (aws/iam-role says so).
      const noRoles = platform.name === "aws" && !loadExample(ex).project.environments[0]!.ci.repository;
      it(`${ex} deploying to ${platform.name}: no github finding${noRoles ? " but the missing roles" : ""}`, () => {
        const { project } = loadExample(ex);
        const ctx = exampleContext(ex, platform.name);
        const trees: RenderedTrees = {};
        for (const { target } of REGISTERED)
          if (target.name === platform.name || target.name === "github")
            trees[target.name] = target.render(project, ctx);
        const github = REGISTERED.find((r) => r.target.name === "github")!.target;
        const rules = new Set(github.systemChecks!(project, trees.github!, ctx, trees).map((f) => f.rule));
        assert.deepEqual([...rules], noRoles ? ["github/registry"] : []);
      });
    }

  it("github/registry: build.yml pushes an image bootstrap/ has no repository for", () => {
    const trees = damage(renderTrees(), "aws", "bootstrap/main.tf", (t) =>
      t.replace('repositories = ["api", "report"]', 'repositories = ["api"]'),
    );
    assert.deepEqual(summary(systemFindings(trees)), [
      [
        "github/registry",
        "build.yml",
        lineOf(trees.github!["build.yml"]!, "name: Image tags and labels") - 1,
      ],
    ]);
    assert.match(
      systemFindings(trees)[0]!.message,
      /shop\/report is not an image repository bootstrap\/main\.tf creates/,
    );
  });

  it("github/registry: the role build.yml assumes may not push", () => {
    const trees = damage(renderTrees(), "aws", "bootstrap/main.tf", (t) =>
      t.replace('"ecr:PutImage",\n', ""),
    );
    const findings = systemFindings(trees);
    assert.deepEqual([...new Set(findings.map((f) => f.rule))], ["github/registry"]);
    assert.equal(findings.length, 2, "api and report");
    assert.match(findings[0]!.message, /aws_iam_role\.build \(bootstrap\/main\.tf\) may not push/);
  });

  it("github/registry: a GHCR push without packages: write", () => {
    const spec = SPEC.replace("targets:\n  aws: { region: us-east-1 }\n", "");
    const trees = damage(renderTrees(spec, "kubernetes"), "github", "build.yml", (t) =>
      t.replace("packages: write", "packages: read"),
    );
    const findings = systemFindings(trees, spec, "kubernetes");
    assert.deepEqual([...new Set(findings.map((f) => `${f.rule} ${f.file}`))], ["github/registry build.yml"]);
    assert.match(findings[0]!.message, /has no `packages: write`/);
  });

  // The same app on the other platforms: no region or AWS settings.
  const plain = SPEC.replace("targets:\n  aws: { region: us-east-1 }\n", "").replace(
    "    region: eu-west-1\n",
    "",
  );

  it("github/registry: the DigitalOcean registry no environment creates", () => {
    const undamaged = renderTrees(plain, "digitalocean");
    assert.deepEqual(systemFindings(undamaged, plain, "digitalocean"), []);
    const trees = damage(undamaged, "digitalocean", "environments/staging.tfvars", (t) =>
      t.replace(/create_registry\s+= true/, "create_registry = false"),
    );
    const findings = systemFindings(trees, plain, "digitalocean");
    assert.deepEqual([...new Set(findings.map((f) => `${f.rule} ${f.file}`))], ["github/registry build.yml"]);
    assert.match(findings[0]!.message, /no environment of the DigitalOcean tree creates the registry shop/);
  });

  it("github/registry: an Azure registry the Bicep does not create", () => {
    const undamaged = renderTrees(plain, "azure");
    assert.deepEqual(
      systemFindings(undamaged, plain, "azure").filter((f) => f.target === "github"),
      [],
    );
    const file = Object.keys(undamaged.azure!).find((f) =>
      /^resource \w+ 'Microsoft\.ContainerRegistry\/registries@/m.test(undamaged.azure![f]!),
    )!;
    const trees = damage(undamaged, "azure", file, (t) =>
      t.replace(
        /^resource (\w+) 'Microsoft\.ContainerRegistry\/registries@/m,
        "resource $1 'Microsoft.Example/things@",
      ),
    );
    const findings = systemFindings(trees, plain, "azure").filter((f) => f.target === "github");
    assert.deepEqual([...new Set(findings.map((f) => `${f.rule} ${f.file}`))], ["github/registry build.yml"]);
  });

  it("github/secrets-defined: a secret the workflows read that their README does not list", () => {
    const trees = damage(renderTrees(), "github", "README.md", (t) =>
      t.replace(/^\| secret \| `SLACK_WEBHOOK_URL` .*\n/m, ""),
    );
    const findings = systemFindings(trees);
    assert.deepEqual([...new Set(findings.map((f) => f.rule))], ["github/secrets-defined"]);
    const staging = findings.find((f) => f.file === "deploy-staging.yml")!;
    assert.equal(staging.line, lineOf(trees.github!["deploy-staging.yml"]!, "secrets.SLACK_WEBHOOK_URL"));
  });

  it("github/env-order: an apply that does not wait for its plan", () => {
    const trees = damage(
      renderTrees(),
      "github",
      "infrastructure.yml",
      editYaml((doc) => doc.setIn(["jobs", "apply-production", "needs"], ["apply-staging"])),
    );
    assert.deepEqual(summary(systemFindings(trees)), [
      [
        "github/env-order",
        "infrastructure.yml",
        lineOf(trees.github!["infrastructure.yml"]!, "  apply-production:"),
      ],
    ]);
  });

  it("github/env-order: a deploy on push, before its images are built", () => {
    const trees = damage(
      renderTrees(),
      "github",
      "deploy-staging.yml",
      editYaml((doc) => doc.set("on", { push: { branches: ["main"] } })),
    );
    const findings = systemFindings(trees);
    assert.deepEqual(summary(findings), [
      [
        "github/env-order",
        "deploy-staging.yml",
        lineOf(trees.github!["deploy-staging.yml"]!, "  deploy:", true),
      ],
    ]);
    assert.match(findings[0]!.message, /before build\.yml has pushed/);
  });

  it("github/env-order: a deploy into an environment the infrastructure workflow never applies", () => {
    const trees = damage(
      renderTrees(),
      "github",
      "infrastructure.yml",
      editYaml((doc) => doc.deleteIn(["jobs", "apply-production"])),
    );
    assert.deepEqual(summary(systemFindings(trees)), [
      [
        "github/env-order",
        "deploy-production.yml",
        lineOf(trees.github!["deploy-production.yml"]!, "  deploy:", true),
      ],
    ]);
  });

  it("gantry check reports the workflows' findings with the workflow's path", async () => {
    const spec = SPEC.replace("ci: { repository: acme/shop }", "ci: { default_branch: main }");
    const { dir, cleanup } = tempDir({ "gantry.yaml": spec });
    try {
      const r = await runCli(["check", dir, "--no-tools", "--format", "json"], dir);
      const out = JSON.parse(r.out) as { findings: { rule: string; file?: string; line?: number }[] };
      const registry = out.findings.filter((f) => f.rule === "github/registry");
      assert.deepEqual(
        registry.map((f) => [f.file, f.line]),
        [
          [".github/workflows/build.yml", registry[0]!.line],
          [".github/workflows/build.yml", registry[0]!.line],
        ],
      );
      assert.ok((registry[0]!.line ?? 0) > 1);
    } finally {
      cleanup();
    }
  });
});
