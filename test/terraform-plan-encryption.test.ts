// The saved plans of infrastructure.yml travel as artifacts: the workflow's own "Encrypt saved plans"
// step is run here, and the TF_ENCRYPTION it exports is handed to a real OpenTofu, which must write a
// plan that holds no secret in the clear and that cannot be applied without the passphrase.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { parse } from "yaml";
import { findTool } from "../src/validate/tools.js";
import { REPO_ROOT, tempDir } from "./helpers.js";

const CI = process.env.CI === "true" || process.env.CI === "1";
const SECRET = "cache-token-that-must-not-leak";

interface Step {
  name: string;
  run?: string;
  env?: Record<string, string>;
}

function encryptStep(): Step {
  const wf = parse(
    readFileSync(join(REPO_ROOT, "examples/storefront/.github/workflows-aws/infrastructure.yml"), "utf8"),
  ) as { jobs: Record<string, { steps: Step[] }> };
  const jobs = Object.entries(wf.jobs);
  const tofuJobs = jobs.filter(([k]) => k.startsWith("plan-") || k.startsWith("apply-"));
  assert.ok(tofuJobs.length >= 2, "plan and apply jobs");
  for (const [id, job] of tofuJobs) {
    const encrypt = job.steps.findIndex((s) => s.name === "Encrypt saved plans");
    // A missing step (-1) would otherwise come "before" the plan.
    assert.ok(encrypt >= 0, `${id} encrypts its plans`);
    assert.ok(
      encrypt < job.steps.findIndex((s) => /^(Plan|Apply the saved plan)/.test(s.name)),
      `${id} encrypts before it plans or applies`,
    );
  }
  return jobs[0]![1].steps.find((s) => s.name === "Encrypt saved plans")!;
}

/** Runs the step as Actions would, and returns TF_ENCRYPTION as the next steps would see it. */
function runStep(
  step: Step,
  passphrase: string,
  dir: string,
): { status: number | null; env: string; err: string } {
  const githubEnv = join(dir, "github-env");
  writeFileSync(githubEnv, "");
  const r = spawnSync("bash", ["-e", "-c", step.run!], {
    env: { PATH: process.env.PATH, PASSPHRASE: passphrase, GITHUB_ENV: githubEnv },
    encoding: "utf8",
  });
  const m = /^TF_ENCRYPTION<<(\S+)\n([\s\S]*?)\n\1$/m.exec(readFileSync(githubEnv, "utf8"));
  return { status: r.status, env: m?.[2] ?? "", err: r.stdout + r.stderr };
}

describe("infrastructure.yml plan encryption", () => {
  it("refuses a passphrase shorter than the 16 characters OpenTofu requires", (t) => {
    const { dir, cleanup } = tempDir();
    t.after(cleanup);
    const step = encryptStep();
    for (const bad of ["", "too-short", "fifteen-chars!!"]) {
      const r = runStep(step, bad, dir);
      assert.equal(r.status, 1, bad);
      assert.match(r.err, /::error::set the secret TOFU_PLAN_PASSPHRASE/);
      assert.equal(r.env, "");
    }
  });

  it("makes OpenTofu write a plan without secrets in the clear, which needs the passphrase to apply", (t: TestContext) => {
    const tofu = findTool("tofu");
    if (!tofu) {
      if (CI) assert.fail("tofu is missing in CI (bash scripts/install-tools.sh)");
      return t.skip("tofu not installed (bash scripts/install-tools.sh)");
    }
    const { dir, cleanup } = tempDir();
    t.after(cleanup);
    writeFileSync(
      join(dir, "main.tf"),
      'variable "token" {\n  type      = string\n  sensitive = true\n}\n\nresource "terraform_data" "cache" {\n  input = var.token\n}\n',
    );
    // Quotes, a backslash, spaces and HCL template openers: all must reach OpenTofu as they are.
    const passphrase = 'a "quoted" \\ pass ${x} %{y} phrase';
    const { status, env, err } = runStep(encryptStep(), passphrase, dir);
    assert.equal(status, 0, err);
    const tf = (args: string[], extra: Record<string, string>) =>
      spawnSync(tofu, [`-chdir=${dir}`, ...args], {
        env: { PATH: process.env.PATH, HOME: dir, TF_VAR_token: SECRET, ...extra },
        encoding: "utf8",
      });
    assert.equal(tf(["init", "-input=false"], {}).status, 0);
    const plan = tf(["plan", "-input=false", "-out=tfplan"], { TF_ENCRYPTION: env });
    assert.equal(plan.status, 0, plan.stderr);
    const saved = readFileSync(join(dir, "tfplan"));
    assert.ok(!saved.includes(SECRET), "the secret is not in the saved plan");
    assert.notEqual(saved.subarray(0, 2).toString(), "PK", "the saved plan is not a readable zip");
    const without = tf(["apply", "-input=false", "tfplan"], {});
    assert.notEqual(without.status, 0);
    assert.match(without.stderr, /encrypted/);
    const other = runStep(encryptStep(), passphrase.replace("%{y}", "%{z}"), dir).env;
    assert.notEqual(
      tf(["apply", "-input=false", "tfplan"], { TF_ENCRYPTION: other }).status,
      0,
      "another passphrase",
    );
    const withKey = tf(["apply", "-input=false", "tfplan"], { TF_ENCRYPTION: env });
    assert.equal(withKey.status, 0, withKey.stderr);
  });
});
