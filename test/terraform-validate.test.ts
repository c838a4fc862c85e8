// External validators on the generated Terraform of both targets and every example: `tofu fmt
// -check`, `tofu validate` (which says it cannot run without providers), and checkov with only the
// checks the target's docs allow, each with a reason. When a tool is missing the test fails in CI
// and is skipped elsewhere.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { awsTarget } from "../src/targets/aws/index.js";
import { digitaloceanTarget } from "../src/targets/digitalocean/index.js";
import type { Target } from "../src/targets/target.js";
import { allowListFromMarkdown, runCheckov } from "../src/validate/checkov.js";
import { tofuFmtCheck, tofuValidate } from "../src/validate/tofu.js";
import { findTool } from "../src/validate/tools.js";
import { EXAMPLES, exampleContext, loadExample, REPO_ROOT, tempDir } from "./helpers.js";
import { bigSpec } from "../bench/big-spec.js";
import { loadSpec } from "../src/model/load.js";
import { buildAws } from "../src/targets/aws/index.js";
import { buildDigitalOcean } from "../src/targets/digitalocean/index.js";
import { SchemaStore, checkTerraform, formatSchemaProblems } from "../src/validate/terraform-schema.js";
import { expr, top } from "../src/format/hcl.js";
import type { SynthContext } from "../src/targets/target.js";
import { CTX as DIFFERING_CTX, DIFFERING } from "./aws-environments-spec.js";

const CI = process.env.CI === "true" || process.env.CI === "1";

function haveTool(t: TestContext, name: string): boolean {
  if (findTool(name)) return true;
  if (CI) assert.fail(`${name} is missing in CI (bash scripts/install-tools.sh)`);
  t.skip(`${name} not installed (bash scripts/install-tools.sh); set CI=true to make this fail`);
  return false;
}

function writeOut(target: Target, ex: string): { dir: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir();
  for (const [f, content] of Object.entries(target.render(loadExample(ex).project, exampleContext(ex)))) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), content);
  }
  return { dir, cleanup };
}

const TARGETS: [Target, string][] = [
  [awsTarget, "docs/targets/aws.md"],
  [digitaloceanTarget, "docs/targets/digitalocean.md"],
];

describe("terraform validators", () => {
  for (const [target, doc] of TARGETS) {
    const allowed = allowListFromMarkdown(readFileSync(join(REPO_ROOT, doc), "utf8"));

    it(`${target.name}: the checkov allow-list gives a reason for every skipped check`, () => {
      for (const a of allowed) assert.ok(a.reason.length > 20, `${a.id} needs a reason in ${doc}`);
      assert.equal(new Set(allowed.map((a) => a.id)).size, allowed.length, "no check listed twice");
    });

    for (const ex of EXAMPLES) {
      it(`${target.name}/${ex}: tofu fmt -check accepts every file`, async (t) => {
        if (!haveTool(t, "tofu")) return;
        const { dir, cleanup } = writeOut(target, ex);
        try {
          const r = await tofuFmtCheck(dir);
          assert.ok(r.ran, r.message);
          assert.ok(r.ok, r.message);
        } finally {
          cleanup();
        }
      });

      it(`${target.name}/${ex}: checkov finds nothing outside the documented allow-list`, async (t) => {
        if (!haveTool(t, "checkov")) return;
        const { dir, cleanup } = writeOut(target, ex);
        try {
          const r = await runCheckov({ framework: "terraform", dir, skip: allowed.map((a) => a.id) });
          assert.deepEqual(
            r.failed.map((f) => `${f.checkId} ${f.resource} (${f.file}): ${f.checkName}`),
            [],
          );
          // checkov has hundreds of AWS checks and only a handful for DigitalOcean.
          if (target.name === "aws") assert.ok(r.passed > 200, `checkov ran ${r.passed} passing checks`);
        } finally {
          cleanup();
        }
      });
    }
  }

  describe("a generated 30-service x 3-environment spec", () => {
    const { project } = loadSpec("gantry.yaml", bigSpec(30));
    const ctx: SynthContext = {
      specPath: "big/gantry.yaml",
      specDir: "big",
      outputs: {
        kubernetes: "big/deploy/kubernetes",
        azure: "",
        aws: "big/infrastructure/aws",
        digitalocean: "big/infrastructure/digitalocean",
        github: ".github/workflows",
      },
    };
    it("matches the provider schemas for both targets", () => {
      assert.equal(formatSchemaProblems(checkTerraform(buildAws(project, ctx).hcl)), "");
      assert.equal(formatSchemaProblems(checkTerraform(buildDigitalOcean(project, ctx).hcl)), "");
    });
    for (const target of [awsTarget, digitaloceanTarget]) {
      it(`${target.name}: tofu fmt -check accepts every file`, async (t) => {
        if (!haveTool(t, "tofu")) return;
        const { dir, cleanup } = tempDir(target.render(project, ctx));
        try {
          const r = await tofuFmtCheck(dir);
          assert.ok(r.ok, r.message);
        } finally {
          cleanup();
        }
      });
    }
  });

  describe("an app whose environments run different services and data stores", () => {
    const tree = () => awsTarget.render(loadSpec("gantry.yaml", DIFFERING).project, DIFFERING_CTX);

    it("aws: tofu fmt -check accepts every file", async (t) => {
      if (!haveTool(t, "tofu")) return;
      const { dir, cleanup } = tempDir(tree());
      try {
        const r = await tofuFmtCheck(dir);
        assert.ok(r.ok, r.message);
      } finally {
        cleanup();
      }
    });

    it("aws: checkov finds nothing outside the documented allow-list", async (t) => {
      if (!haveTool(t, "checkov")) return;
      const allowed = allowListFromMarkdown(readFileSync(join(REPO_ROOT, "docs/targets/aws.md"), "utf8"));
      const { dir, cleanup } = tempDir(tree());
      try {
        const r = await runCheckov({ framework: "terraform", dir, skip: allowed.map((a) => a.id) });
        assert.deepEqual(
          r.failed.map((f) => `${f.checkId} ${f.resource} (${f.file}): ${f.checkName}`),
          [],
        );
        assert.ok(r.passed > 200, `checkov ran ${r.passed} passing checks`);
      } finally {
        cleanup();
      }
    });
  });

  it("tofu validate says it cannot run before the providers are installed", async (t) => {
    if (!haveTool(t, "tofu")) return;
    const { dir, cleanup } = writeOut(awsTarget, "storefront");
    try {
      const r = await tofuValidate(dir);
      assert.equal(r.ran, false);
      assert.match(r.message, /providers are not installed/);
    } finally {
      cleanup();
    }
  });
});

describe("terraform schema check: providers", () => {
  it("knows a provider by its folder of schemas, not by a list of names", () => {
    const store = new SchemaStore();
    for (const p of ["aws", "digitalocean", "kubernetes", "helm", "azurerm"])
      assert.ok(store.hasProvider(p), p);
    for (const p of ["google", "terraform", "../aws", "AWS"]) assert.equal(store.hasProvider(p), false, p);
    assert.equal(store.get("resource", "google_compute_instance"), undefined);
  });

  it("checks references to the resources of every provider it has schemas for, and only those", () => {
    const problems = checkTerraform({
      "main.tf": {
        items: [
          top("resource", ["helm_release", "ingress"], { name: "ingress", chart: "ingress-nginx" }),
          top("output", ["checked"], {
            value: expr("[helm_release.ingress.statuss, kubernetes_namespace.app.id, google_thing.x.y]"),
          }),
        ],
      },
    }).map((p) => `${p.address}: ${p.message}`);
    assert.deepEqual(problems, [
      "output.checked: helm_release.ingress has no attribute `statuss`",
      "output.checked: reference to undeclared resource kubernetes_namespace.app",
    ]);
  });
});
