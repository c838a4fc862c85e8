// `gantry validate --tools` runs the real validators on generated files, says which it skipped and
// why, and fails when a generated file is broken.
import assert from "node:assert/strict";
import { cpSync, existsSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { REGISTERED } from "../src/targets/registry.js";
import { runTools } from "../src/validate/run-tools.js";
import { findTool } from "../src/validate/tools.js";
import { EXAMPLES, REPO_ROOT, runCli, tempDir } from "./helpers.js";

const needed = ["helm", "kubeconform"];
const missingTools = needed.filter((t) => !findTool(t));
const skip =
  missingTools.length > 0 && process.env.CI !== "true" ? `not installed: ${missingTools.join(", ")}` : false;

describe("gantry validate --tools", { skip }, () => {
  it("runs helm and kubeconform on the todo example and reports skipped tools with the reason", async () => {
    const r = await runCli(["validate", "examples/todo", "--tools"]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^ok {6}kubernetes: helm lint --strict \(2 environments\)$/m);
    assert.match(r.out, /^ok {6}kubernetes: kubeconform -strict \(\d+ objects valid\)$/m);
    if (!findTool("bicep")) assert.match(r.out, /^skipped azure: bicep build \(bicep CLI not found/m);
    if (findTool("tofu")) {
      assert.match(r.out, /^ok {6}digitalocean: tofu fmt -check/m);
      assert.match(r.out, /^skipped digitalocean: tofu validate \(providers are not installed/m);
    }
  });

  it("fails with exit 1 when a generated manifest is broken", async () => {
    const { dir, cleanup } = tempDir();
    try {
      cpSync(join(REPO_ROOT, "examples", "todo", "gantry.yaml"), join(dir, "gantry.yaml"));
      cpSync(join(REPO_ROOT, "examples", "todo", "deploy"), join(dir, "deploy"), { recursive: true });
      const rendered = join(dir, "deploy", "kubernetes", "rendered", "production");
      const file = readdirSync(rendered).find((f) => f.endsWith("-deployment.yaml"))!;
      writeFileSync(
        join(rendered, file),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: broken }\nspec: { replicas: two }\n",
      );
      const r = await runCli(["validate", dir, "--tools"]);
      assert.equal(r.code, 1);
      assert.match(r.out, /^FAILED {2}kubernetes: kubeconform -strict \(Deployment broken/m);
    } finally {
      cleanup();
    }
  });
});

describe("validator runs are data each target declares", () => {
  it("runs what a target declares under the target's name, and skips output directories that do not exist", async (t) => {
    if (!findTool("kubeconform")) return t.skip("kubeconform not installed");
    const { dir, cleanup } = tempDir({
      "out/manifests/app.yaml":
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: broken }\nspec: { replicas: two }\n",
      "out/manifests/notes.txt": "not a manifest",
    });
    try {
      const checks = await runTools([
        {
          target: "fakecloud",
          dir: join(dir, "out"),
          tools: [{ tool: "kubeconform", dir: "manifests", suffix: ".yaml" }],
        },
        { target: "absent", dir: join(dir, "absent"), tools: [{ tool: "tofu", dir: "." }] },
      ]);
      assert.deepEqual(
        checks.map((c) => [c.target, c.tool, c.status]),
        [["fakecloud", "kubeconform -strict", "failed"]],
      );
      assert.match(checks[0]!.detail, /Deployment broken/);
    } finally {
      cleanup();
    }
  });

  it("every path a target declares exists in each example's committed output of that target", () => {
    let checked = 0;
    for (const { target, tools } of REGISTERED) {
      for (const ex of EXAMPLES) {
        // The committed workflow trees are one folder per deploy target: workflows-<target>.
        const out =
          target.name === "github"
            ? join(REPO_ROOT, "examples", ex, ".github", "workflows-kubernetes")
            : join(REPO_ROOT, "examples", ex, target.defaultOut);
        for (const run of tools) {
          const path = join(out, "chart" in run ? run.chart : "values" in run ? run.values : run.dir);
          assert.ok(existsSync(path), `${target.name}: ${run.tool} reads ${path}, which does not exist`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 20, `only ${checked} declared paths checked`);
  });
});
