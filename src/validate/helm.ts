// Adapter for the helm binary (pinned in .tools/bin by scripts/install-tools.sh): lint and template a
// chart. Argument arrays only; the process runs through src/util/exec.ts.
import { exec } from "../util/exec.js";
import { findTool } from "./tools.js";

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

function helmBinary(): string {
  const helm = findTool("helm");
  if (!helm) throw new Error("helm not found: run `bash scripts/install-tools.sh`");
  return helm;
}

/** `helm lint --strict CHART [-f VALUES]...`; code 0 when the chart passed. */
export async function helmLint(chartDir: string, valuesFiles: readonly string[] = []): Promise<HelmResult> {
  const args = ["lint", "--strict", chartDir, ...valuesFiles.flatMap((f) => ["-f", f])];
  return exec(helmBinary(), args, { timeoutMs: 120_000 });
}

export interface TemplateOptions {
  release?: string;
  namespace: string;
  valuesFiles?: readonly string[];
  set?: Record<string, string>;
}

/** `helm template`: the manifests as one multi-document YAML string; throws with helm's message on failure. */
export async function helmTemplate(chartDir: string, opts: TemplateOptions): Promise<string> {
  const args = [
    "template",
    opts.release ?? "release",
    chartDir,
    "--namespace",
    opts.namespace,
    ...(opts.valuesFiles ?? []).flatMap((f) => ["-f", f]),
    ...Object.entries(opts.set ?? {}).flatMap(([k, v]) => ["--set", `${k}=${v}`]),
  ];
  const r = await exec(helmBinary(), args, { timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`helm template failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}
