// The committed workflow trees of every example x deploy target through the validators users run:
// actionlint (with shellcheck when it is installed), GitHub's own workflow parser plus the
// SchemaStore JSON Schema, and checkov's GitHub Actions checks with the allow-list of docs/ci-cd.md.
// Without a tool these tests fail in CI and skip elsewhere.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadSpec } from "../src/model/load.js";
import { PLATFORMS, githubTarget } from "../src/targets/registry.js";
import { actionlint, hasShellcheck } from "../src/validate/actionlint.js";
import { allowListFromMarkdown, runCheckov } from "../src/validate/checkov.js";
import { findTool } from "../src/validate/tools.js";
import { checkWorkflow } from "../src/validate/workflow-schema.js";
import { EXAMPLES, REPO_ROOT, exampleContext, loadExample, tempDir } from "./helpers.js";

const DEPLOY_TARGETS = PLATFORMS.map((p) => p.name);
const CI = Boolean(process.env.CI);

function treeDirs(): string[] {
  return EXAMPLES.flatMap((ex) =>
    DEPLOY_TARGETS.map((t) => join(REPO_ROOT, "examples", ex, ".github", `workflows-${t}`)),
  );
}

function workflowFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yml"))
    .sort()
    .map((f) => join(dir, f));
}

/** Skips (or, in CI, fails) when a validator is not installed. */
function requireTool(t: { skip: (msg: string) => void }, name: string): boolean {
  if (findTool(name)) return true;
  if (CI) assert.fail(`${name} is not installed: run bash scripts/install-tools.sh`);
  t.skip(`${name} not installed (run bash scripts/install-tools.sh)`);
  return false;
}

describe("generated workflows pass the validators", () => {
  it("the committed trees are what the renderer gives (so validating them validates the renderer)", () => {
    for (const ex of EXAMPLES) {
      for (const t of DEPLOY_TARGETS) {
        const tree = githubTarget.render(loadExample(ex).project, exampleContext(ex, t));
        for (const [file, text] of Object.entries(tree))
          assert.equal(
            readFileSync(join(REPO_ROOT, "examples", ex, ".github", `workflows-${t}`, file), "utf8"),
            text,
            `${ex}/${t}/${file}`,
          );
      }
    }
  });

  it("actionlint reports nothing", async (t) => {
    if (!requireTool(t, "actionlint")) return;
    if (!hasShellcheck())
      t.diagnostic("shellcheck is not installed: actionlint checks the run: scripts without it");
    const files = treeDirs().flatMap(workflowFiles);
    assert.ok(files.length >= 90, `only ${files.length} workflow files`);
    const problems = await actionlint(files, REPO_ROOT);
    assert.deepEqual(
      problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`),
      [],
    );
  });

  it("actionlint catches a broken workflow (the adapter reports problems)", async (t) => {
    if (!requireTool(t, "actionlint")) return;
    const { dir, cleanup } = tempDir({
      "bad.yml":
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.event.issue.title }}\n",
    });
    try {
      const problems = await actionlint([join(dir, "bad.yml")]);
      assert.ok(
        problems.some((p) => p.kind === "expression"),
        JSON.stringify(problems),
      );
    } finally {
      cleanup();
    }
  });

  it("edge-case specs (static-only; prebuilt images, a worker and a job on another registry) lint clean on every target", async (t) => {
    if (!requireTool(t, "actionlint")) return;
    const specs: Record<string, string> = {
      site: [
        "name: site",
        "services:",
        "  web: { static: ./web, build: npm run build, output: dist, domain: site.test }",
        "environments:",
        "  staging: { deploy: { on: push } }",
        "  production: { deploy: { on: release, approval: required } }",
        "",
      ].join("\n"),
      mixed: [
        "name: mixed",
        "services:",
        "  proxy: { image: nginx:1.27, port: 8080, health: /healthz, domain: mixed.test }",
        "  queue: { type: worker, build: ./queue, command: python -m queue }",
        "  nightly: { build: ./queue, command: python -m nightly, schedule: '0 2 * * *' }",
        "targets:",
        "  kubernetes: { registry: registry.example.com/team }",
        "environments:",
        "  production: { deploy: { on: manual } }",
        "",
      ].join("\n"),
    };
    const files: Record<string, string> = {};
    for (const [name, text] of Object.entries(specs)) {
      const { project } = loadSpec("gantry.yaml", text);
      for (const target of DEPLOY_TARGETS) {
        const ctx = { ...exampleContext(name, target), specPath: `${name}/gantry.yaml`, specDir: name };
        for (const [file, content] of Object.entries(githubTarget.render(project, ctx)))
          files[`${name}-${target}/${file}`] = content;
      }
    }
    const { dir, cleanup } = tempDir(files);
    try {
      const workflows = Object.keys(files).filter((f) => f.endsWith(".yml"));
      const problems = await actionlint(workflows.map((f) => join(dir, f)));
      assert.deepEqual(
        problems.map((p) => `${p.file}:${p.line}: ${p.message}`),
        [],
      );
      for (const f of workflows) assert.deepEqual((await checkWorkflow(f, files[f]!)).schema, [], f);
    } finally {
      cleanup();
    }
  });

  it("GitHub's workflow parser and the workflow JSON Schema report no errors", async () => {
    let parsed = 0;
    for (const dir of treeDirs()) {
      for (const file of workflowFiles(dir)) {
        const r = await checkWorkflow(file, readFileSync(file, "utf8"));
        assert.deepEqual(r.schema, [], file);
        if (r.parser) {
          assert.deepEqual(r.parser, [], file);
          parsed++;
        }
      }
    }
    // Under tsx the parser loads (its JSON import needs a loader); then every file went through it.
    assert.ok(parsed >= 90, `the workflow parser checked only ${parsed} files`);
    const bad = await checkWorkflow(
      "bad.yml",
      "on: push\njobs:\n  a:\n    run-on: ubuntu-24.04\n    steps: []\n",
    );
    assert.ok(bad.schema.length > 0 && (bad.parser ?? ["x"]).length > 0);
  });

  it("checkov's GitHub Actions checks pass; the only skips are inline and documented", async (t) => {
    if (!requireTool(t, "checkov")) return;
    // checkov scans GitHub Actions only under .github/workflows/: lay each tree out that way.
    const files: Record<string, string> = {};
    for (const dir of treeDirs()) {
      const name = dir.split(/[\\/]/).slice(-3, -2)[0]! + "-" + dir.split("-").pop()!;
      for (const file of workflowFiles(dir))
        files[`${name}/.github/workflows/${file.split(/[\\/]/).pop()!}`] = readFileSync(file, "utf8");
    }
    const { dir, cleanup } = tempDir(files);
    try {
      const r = await runCheckov({ framework: "github_actions", dir });
      assert.deepEqual(
        r.failed.map((f) => `${f.file} ${f.checkId} ${f.resource}`),
        [],
      );
      assert.ok(r.passed > 1000, `checkov ran only ${r.passed} checks`);
      // Every inline skip is in the docs' allow-list, with its reason.
      const documented = new Set(
        allowListFromMarkdown(readFileSync(join(REPO_ROOT, "docs", "ci-cd.md"), "utf8")).map((a) => a.id),
      );
      const inline = new Set(
        Object.values(files).flatMap((text) =>
          [...text.matchAll(/# checkov:skip=(CKV2?_[A-Z]+_\d+):/g)].map((m) => m[1]!),
        ),
      );
      assert.ok(inline.size > 0);
      for (const id of inline) assert.ok(documented.has(id), `${id} is skipped but not in docs/ci-cd.md`);
      assert.equal(r.skipped, Object.values(files).filter((text) => text.includes("# checkov:skip=")).length);
    } finally {
      cleanup();
    }
  });
});
