// `gantry validate --tools`: runs the ecosystem's own validators over the files `gantry synth`
// wrote, where they are on disk. A tool that is not installed, or that needs what this machine
// does not have (providers for `tofu validate`), is reported as skipped with the reason, never as
// a pass.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { TargetName } from "../targets/target.js";
import { actionlint } from "./actionlint.js";
import { bicepBuild } from "./bicep-cli.js";
import { helmLint } from "./helm.js";
import { kubeconform } from "./kubeconform.js";
import { tofuFmtCheck, tofuValidate } from "./tofu.js";
import { findTool } from "./tools.js";

export interface ToolCheck {
  target: TargetName;
  tool: string;
  status: "ok" | "failed" | "skipped";
  detail: string;
}

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

const missing = (target: TargetName, tool: string): ToolCheck => ({
  target,
  tool,
  status: "skipped",
  detail: `${tool} is not installed (not in .tools/bin or on PATH)`,
});

async function kubernetesChecks(dir: string): Promise<ToolCheck[]> {
  const out: ToolCheck[] = [];
  const chart = join(dir, "chart");
  if (!findTool("helm")) out.push(missing("kubernetes", "helm"));
  else {
    const values = readdirSync(chart)
      .filter((f) => /^values-.+\.yaml$/.test(f))
      .sort();
    const failures: string[] = [];
    for (const v of values) {
      const r = await helmLint(chart, [join(chart, v)]);
      if (r.code !== 0)
        failures.push(`${v}: ${(r.stdout + r.stderr).trim().split("\n").slice(-5).join(" ")}`);
    }
    out.push({
      target: "kubernetes",
      tool: "helm lint --strict",
      status: failures.length ? "failed" : "ok",
      detail: failures.join("; ") || `${values.length} environments`,
    });
  }
  if (!findTool("kubeconform")) out.push(missing("kubernetes", "kubeconform"));
  else {
    const manifests = files(join(dir, "rendered"), ".yaml");
    const s = await kubeconform({ files: manifests });
    const bad = s.invalid + s.errors + s.skipped;
    out.push({
      target: "kubernetes",
      tool: "kubeconform -strict",
      status: bad ? "failed" : "ok",
      detail: bad ? s.problems.slice(0, 10).join("; ") : `${s.valid} objects valid`,
    });
  }
  return out;
}

async function terraformChecks(target: TargetName, dir: string): Promise<ToolCheck[]> {
  if (!findTool("tofu")) return [missing(target, "tofu")];
  const fmt = await tofuFmtCheck(dir);
  const validate = await tofuValidate(dir);
  return [
    { target, tool: "tofu fmt -check", status: fmt.ok ? "ok" : "failed", detail: fmt.message },
    {
      target,
      tool: "tofu validate",
      status: !validate.ran ? "skipped" : validate.ok ? "ok" : "failed",
      detail: validate.message,
    },
  ];
}

/** Runs every available validator on each target's output directory that exists. */
export async function runTools(outputs: Partial<Record<TargetName, string>>): Promise<ToolCheck[]> {
  const checks: ToolCheck[] = [];
  for (const [target, dir] of Object.entries(outputs) as [TargetName, string][]) {
    if (!existsSync(dir)) continue;
    switch (target) {
      case "kubernetes":
        checks.push(...(await kubernetesChecks(dir)));
        break;
      case "azure": {
        const r = await bicepBuild(dir);
        checks.push({
          target,
          tool: "bicep build",
          status: !r.ran ? "skipped" : r.ok ? "ok" : "failed",
          detail: r.problems.join("; ") || "main.bicep and every parameter file build",
        });
        break;
      }
      case "aws":
      case "digitalocean":
        checks.push(...(await terraformChecks(target, dir)));
        break;
      case "github": {
        if (!findTool("actionlint")) {
          checks.push(missing(target, "actionlint"));
          break;
        }
        const workflows = files(dir, ".yml");
        const problems = await actionlint(workflows);
        checks.push({
          target,
          tool: "actionlint",
          status: problems.length ? "failed" : "ok",
          detail: problems.length
            ? problems
                .slice(0, 10)
                .map((p) => `${p.file}:${p.line}:${p.column} ${p.message}`)
                .join("; ")
            : `${workflows.length} workflows`,
        });
        break;
      }
    }
  }
  return checks;
}
