// The cost difference of a pull request: compareCosts over two estimates, `gantry cost --compare`, and
// the generated pr-checks job's own shell steps run against a base branch and a change.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { compareCosts, parseEstimates, type CostSide } from "../src/cost/compare.js";
import { REPO_ROOT, runCli } from "./helpers.js";

const side = (environment: string, items: [string, string, number][]): CostSide => ({
  environment,
  target: "azure",
  total_monthly_usd: items.reduce((n, [, , usd]) => n + usd, 0),
  max_scale_monthly_usd: items.reduce((n, [, , usd]) => n + usd, 0),
  budget_monthly_usd: null,
  items: items.map(([resource, sku, monthly_usd]) => ({ resource, sku, monthly_usd })),
});

describe("compareCosts", () => {
  it("lists changed, new and removed lines and environments, and leaves equal ones out", () => {
    const base = [
      side("dev", [
        ["db server", "B1ms", 12.41],
        ["plan", "B1", 13.14],
        ["cache", "C0", 16.06],
      ]),
      side("old", [["plan", "B1", 13.14]]),
    ];
    const head = [
      side("dev", [
        ["db server", "D2ds", 129.94],
        ["plan", "B1", 13.14],
        ["blob", "LRS", 0.09],
      ]),
      side("new", [["plan", "P1v3", 124.1]]),
    ];
    const changes = compareCosts(base, head);
    assert.deepEqual(
      changes.map((c) => [c.environment, c.delta_usd, !!c.before, !!c.after]),
      [
        ["dev", 101.56, true, true],
        ["new", 124.1, false, true],
        ["old", -13.14, true, false],
      ],
    );
    assert.deepEqual(
      changes[0]!.items.map((i) => [i.resource, i.before?.sku, i.after?.sku, i.delta_usd]),
      [
        ["db server", "B1ms", "D2ds", 117.53],
        ["cache", "C0", undefined, -16.06],
        ["blob", undefined, "LRS", 0.09],
      ],
    );
  });

  it("reads one estimate or several, and refuses what is not an estimate", () => {
    assert.equal(parseEstimates("").length, 0);
    assert.equal(parseEstimates(JSON.stringify(side("dev", []))).length, 1);
    assert.throws(
      () => parseEstimates('[{"environment":"dev"}]'),
      /no environment, target and total_monthly_usd/,
    );
  });
});

const made = (dir: string) => (mkdirSync(dir, { recursive: true }), dir);

/** A copy of examples/augeo whose production database is one size larger. */
function augeo(dir: string, grow: boolean): string {
  cpSync(join(REPO_ROOT, "examples/augeo/gantry.yaml"), join(dir, "gantry.yaml"));
  if (grow) {
    const text = readFileSync(join(dir, "gantry.yaml"), "utf8");
    const grown = text.replace(/(\n {6}db:\n(?: {8}.*\n)*? {8}size: )m\n/, "$1l\n");
    assert.notEqual(grown, text, "the example's production database size moved");
    writeFileSync(join(dir, "gantry.yaml"), grown);
  }
  return dir;
}

describe("gantry cost --compare", () => {
  it("prints the change's difference from the base's JSON, in every format", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "gantry-cost-"));
    try {
      const base = augeo(made(join(tmp, "base")), false);
      const head = augeo(made(join(tmp, "head")), true);
      const json = await runCli(["cost", base, "--target", "azure", "--format", "json"]);
      writeFileSync(join(tmp, "base.json"), json.out);
      const before = parseEstimates(json.out).find((e) => e.environment === "production")!;
      const after = parseEstimates(
        (await runCli(["cost", head, "--target", "azure", "--format", "json"])).out,
      ).find((e) => e.environment === "production")!;
      const delta = Math.round((after.total_monthly_usd - before.total_monthly_usd) * 100) / 100;
      assert.ok(delta > 0);

      const md = await runCli([
        "cost",
        head,
        "--target",
        "azure",
        "--compare",
        join(tmp, "base.json"),
        "--format",
        "markdown",
      ]);
      assert.equal(md.code, 0, md.err);
      assert.match(
        md.out,
        new RegExp(
          `\\| production \\| azure \\| \\$${before.total_monthly_usd.toFixed(2)} \\| \\$${after.total_monthly_usd.toFixed(2)} \\| \\*\\*\\+\\$${delta.toFixed(2)}\\*\\*`,
        ),
      );
      assert.match(
        md.out,
        /\| db PostgreSQL server \(with HA standby\) \| \$[\d.]+ \(Standard_D2ds_v5\) \| \$[\d.]+ \(Standard_D4ds_v5\) \|/,
      );
      assert.doesNotMatch(md.out, /\| dev \| azure/, "an unchanged environment is left out of the table");

      const changes = JSON.parse(
        (
          await runCli([
            "cost",
            head,
            "--target",
            "azure",
            "--compare",
            join(tmp, "base.json"),
            "--format",
            "json",
          ])
        ).out,
      ) as { environment: string; delta_usd: number }[];
      assert.deepEqual(
        changes.map((c) => [c.environment, c.delta_usd]),
        [
          ["dev", 0],
          ["staging", 0],
          ["production", delta],
        ],
      );

      const same = await runCli(["cost", base, "--target", "azure", "--compare", join(tmp, "base.json")]);
      assert.match(
        same.out,
        /^Monthly cost: \$0\.00 a month at minimum scale .*\n {2}no estimate changes\n$/,
      );
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("says which file is not an estimate, with exit 1 and no stack", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "gantry-cost-"));
    try {
      writeFileSync(join(tmp, "bad.json"), '{"resource": 1}');
      const bad = await runCli(["cost", "examples/augeo", "--compare", join(tmp, "bad.json")]);
      assert.equal(bad.code, 1);
      assert.match(bad.err, /bad\.json is not the output of `gantry cost --format json`/);
      assert.doesNotMatch(bad.err, /\n\s+at /);
      const missing = await runCli(["cost", "examples/augeo", "--compare", join(tmp, "none.json")]);
      assert.equal(missing.code, 1);
      assert.match(missing.err, /cannot read .*none\.json/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

interface WorkflowStep {
  name: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}

describe("the pull request's cost job", () => {
  it("runs its own steps: the base branch is estimated, compared, and a base without the spec shows as new", () => {
    const wf = parse(
      readFileSync(join(REPO_ROOT, "examples/augeo/.github/workflows-azure/pr-checks.yml"), "utf8"),
    ) as {
      jobs: Record<string, { permissions: Record<string, string>; steps: WorkflowStep[] }>;
    };
    const job = wf.jobs.cost!;
    assert.equal(job.permissions["pull-requests"], "write");
    const post = job.steps.at(-1)!;
    assert.equal(post.env?.MARKER, "gantry-cost");
    const base = job.steps.find((s) => s.name === "Check out the base branch")!;
    const scripts = job.steps.filter((s) => s.run && s.name !== "Install Gantry");
    assert.deepEqual(
      scripts.map((s) => s.name),
      ["Estimate the base branch", "Compare with this change"],
    );

    const tmp = mkdtempSync(join(tmpdir(), "gantry-cost-job-"));
    try {
      const temp = join(tmp, "runner-temp");
      const bin = join(temp, "gantry/node_modules/.bin");
      mkdirSync(bin, { recursive: true });
      writeFileSync(
        join(bin, "gantry"),
        `#!/bin/sh\nexec "${process.execPath}" --import "${pathToFileURL(join(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href}" "${REPO_ROOT}/test/e2e/cli.ts" "$@"\n`,
      );
      chmodSync(join(bin, "gantry"), 0o755);
      const specDir = scripts[0]!.env!.SPEC_DIR!;
      const run = (workspace: string) => {
        const summary = join(tmp, "summary.md");
        writeFileSync(summary, "");
        for (const s of scripts) {
          const env = Object.fromEntries(
            Object.entries(s.env ?? {}).map(([k, v]) => [k, v.replace("${{ runner.temp }}", temp)]),
          );
          const r = spawnSync("bash", ["-e", "-c", s.run!], {
            cwd: workspace,
            env: {
              ...process.env,
              ...env,
              RUNNER_TEMP: temp,
              GITHUB_STEP_SUMMARY: summary,
              NODE_PATH: join(REPO_ROOT, "node_modules"),
            },
            encoding: "utf8",
          });
          assert.equal(r.status, 0, `${s.name}: ${r.stderr}`);
        }
        return readFileSync(join(temp, "cost-report.md"), "utf8");
      };
      const workspace = join(tmp, "ws");
      augeo(made(join(workspace, specDir)), true);
      augeo(made(join(workspace, base.with!.path!, specDir)), false);
      const report = run(workspace);
      assert.match(report, /^### Monthly cost: \+\$[\d.]+ a month at minimum scale/);
      assert.match(report, /\| production \| azure \| \$[\d.]+ \| \$[\d.]+ \| \*\*\+\$/);

      rmSync(join(workspace, base.with!.path!), { recursive: true });
      const fresh = run(workspace);
      assert.match(
        fresh,
        /\| dev \| azure \| — \| \$[\d.]+ \|/,
        "a base branch without the spec shows every estimate as new",
      );
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
