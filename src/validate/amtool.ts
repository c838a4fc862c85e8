// Adapter for amtool (Alertmanager's own CLI, pinned in .tools by scripts/install-tools.sh): checks
// the Alertmanager configuration a values file carries (`alertmanager.config` of kube-prometheus-stack)
// as Alertmanager itself loads it, and asks which receiver an alert with given labels reaches.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { exec } from "../util/exec.js";
import { findTool } from "./tools.js";

/** The Alertmanager configuration of a kube-prometheus-stack values file, as YAML. */
function configOf(valuesFile: string): string {
  const values = parse(readFileSync(valuesFile, "utf8")) as { alertmanager?: { config?: unknown } } | null;
  if (!values?.alertmanager?.config) throw new Error(`${valuesFile} has no alertmanager.config`);
  return stringify(values.alertmanager.config);
}

async function withConfig<T>(valuesFile: string, use: (file: string, bin: string) => Promise<T>): Promise<T> {
  const bin = findTool("amtool");
  if (!bin) throw new Error("amtool not found: run `bash scripts/install-tools.sh`");
  const dir = mkdtempSync(join(tmpdir(), "gantry-amtool-"));
  try {
    const file = join(dir, "alertmanager.yaml");
    writeFileSync(file, configOf(valuesFile));
    return await use(file, bin);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `amtool check-config`: undefined when Alertmanager accepts it, else what amtool said. */
export function amtoolCheck(valuesFile: string): Promise<string | undefined> {
  return withConfig(valuesFile, async (file, bin) => {
    const r = await exec(bin, ["check-config", file], { timeoutMs: 60_000 });
    return r.code === 0 ? undefined : (r.stdout + r.stderr).trim().split("\n").slice(-3).join(" ");
  });
}

/** `amtool config routes test`: the receivers an alert with these labels is sent to. */
export function amtoolRoute(valuesFile: string, labels: Record<string, string>): Promise<string[]> {
  return withConfig(valuesFile, async (file, bin) => {
    const args = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
    const r = await exec(bin, ["config", "routes", "test", `--config.file=${file}`, ...args], {
      timeoutMs: 60_000,
    });
    if (r.code !== 0) throw new Error(`amtool config routes test failed: ${(r.stdout + r.stderr).trim()}`);
    return r.stdout
      .trim()
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  });
}
