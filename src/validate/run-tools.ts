// `gantry validate --tools`: runs the ecosystem's own validators over the files `gantry synth`
// wrote, where they are on disk. Each target declares its runs as data (src/targets/<name>/tools.ts,
// listed by the registry); this file knows the tools, never the targets. A tool that is not
// installed, or that needs what this machine does not have (providers for `tofu validate`), is
// reported as skipped with the reason, never as a pass.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { ToolRun } from "../targets/target.js";
import { actionlint } from "./actionlint.js";
import { amtoolCheck } from "./amtool.js";
import { bicepBuild } from "./bicep-cli.js";
import { helmLint } from "./helm.js";
import { kubeconform } from "./kubeconform.js";
import { tofuFmtCheck, tofuValidate } from "./tofu.js";
import { findTool } from "./tools.js";

export interface ToolCheck {
  target: string;
  tool: string;
  status: "ok" | "failed" | "skipped";
  detail: string;
}

/** A target's output directory and the validator runs it declares. */
export interface ToolTarget {
  target: string;
  dir: string;
  tools: readonly ToolRun[];
}

type Check = Omit<ToolCheck, "target">;

function files(dir: string, suffix: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(suffix)) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

const missing = (tool: string): Check => ({
  tool,
  status: "skipped",
  detail: `${tool} is not installed (not in .tools/bin or on PATH)`,
});

async function helmLintRun(chart: string, values: RegExp): Promise<Check[]> {
  if (!findTool("helm")) return [missing("helm")];
  const names = readdirSync(chart)
    .filter((f) => values.test(f))
    .sort();
  const failures: string[] = [];
  for (const v of names) {
    const r = await helmLint(chart, [join(chart, v)]);
    if (r.code !== 0) failures.push(`${v}: ${(r.stdout + r.stderr).trim().split("\n").slice(-5).join(" ")}`);
  }
  return [
    {
      tool: "helm lint --strict",
      status: failures.length ? "failed" : "ok",
      detail: failures.join("; ") || `${names.length} environments`,
    },
  ];
}

async function kubeconformRun(manifests: string[]): Promise<Check[]> {
  if (!findTool("kubeconform")) return [missing("kubeconform")];
  const s = await kubeconform({ files: manifests });
  const bad = s.invalid + s.errors + s.skipped;
  return [
    {
      tool: "kubeconform -strict",
      status: bad ? "failed" : "ok",
      detail: bad ? s.problems.slice(0, 10).join("; ") : `${s.valid} objects valid`,
    },
  ];
}

async function bicepRun(dir: string): Promise<Check[]> {
  const r = await bicepBuild(dir);
  return [
    {
      tool: "bicep build",
      status: !r.ran ? "skipped" : r.ok ? "ok" : "failed",
      detail: r.problems.join("; ") || "main.bicep and every parameter file build",
    },
  ];
}

async function tofuRun(dir: string): Promise<Check[]> {
  if (!findTool("tofu")) return [missing("tofu")];
  const fmt = await tofuFmtCheck(dir);
  const validate = await tofuValidate(dir);
  return [
    { tool: "tofu fmt -check", status: fmt.ok ? "ok" : "failed", detail: fmt.message },
    {
      tool: "tofu validate",
      status: !validate.ran ? "skipped" : validate.ok ? "ok" : "failed",
      detail: validate.message,
    },
  ];
}

async function actionlintRun(workflows: string[]): Promise<Check[]> {
  if (!findTool("actionlint")) return [missing("actionlint")];
  const problems = await actionlint(workflows);
  return [
    {
      tool: "actionlint",
      status: problems.length ? "failed" : "ok",
      detail: problems.length
        ? problems
            .slice(0, 10)
            .map((p) => `${p.file}:${p.line}:${p.column} ${p.message}`)
            .join("; ")
        : `${workflows.length} workflows`,
    },
  ];
}

async function amtoolRun(valuesFile: string): Promise<Check[]> {
  if (!findTool("amtool")) return [missing("amtool")];
  if (!existsSync(valuesFile)) return [];
  const problem = await amtoolCheck(valuesFile);
  return [
    {
      tool: "amtool check-config",
      status: problem ? "failed" : "ok",
      detail: problem ?? "the Alertmanager configuration loads",
    },
  ];
}

/** One declared run, its paths taken relative to the target's output directory. */
function runOne(run: ToolRun, dir: string): Promise<Check[]> {
  switch (run.tool) {
    case "helm lint":
      return helmLintRun(join(dir, run.chart), new RegExp(run.values));
    case "kubeconform":
      return kubeconformRun(files(join(dir, run.dir), run.suffix));
    case "bicep build":
      return bicepRun(join(dir, run.dir));
    case "tofu":
      return tofuRun(join(dir, run.dir));
    case "actionlint":
      return actionlintRun(files(join(dir, run.dir), run.suffix));
    case "amtool":
      return amtoolRun(join(dir, run.values));
  }
}

/** Runs every declared validator on each target's output directory that exists. */
export async function runTools(targets: readonly ToolTarget[]): Promise<ToolCheck[]> {
  const checks: ToolCheck[] = [];
  for (const t of targets) {
    if (!existsSync(t.dir)) continue;
    for (const run of t.tools)
      for (const c of await runOne(run, t.dir)) checks.push({ target: t.target, ...c });
  }
  return checks;
}
