// OpenTofu as a validator of generated Terraform: `tofu fmt -check` (needs only the binary) and
// `tofu validate` (needs the providers, which `tofu init` downloads from a registry; where that is
// not possible, say so instead of failing, and rely on the offline schema check in
// terraform-schema.ts).
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { exec } from "../util/exec.js";
import { findTool } from "./tools.js";

export interface TofuResult {
  ok: boolean;
  /** False when the check could not run (tool or providers missing); `message` says why. */
  ran: boolean;
  message: string;
}

function tofuEnv(): NodeJS.ProcessEnv {
  // No user CLI configuration (it would only add a warning) and no telemetry.
  return { ...process.env, TF_CLI_CONFIG_FILE: "/dev/null", CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
}

/** `tofu fmt -check -recursive DIR`: lists the files whose layout differs from canonical. */
export async function tofuFmtCheck(dir: string): Promise<TofuResult> {
  const tofu = findTool("tofu");
  if (!tofu) return { ok: false, ran: false, message: "tofu not found (run bash scripts/install-tools.sh)" };
  const r = await exec(tofu, ["fmt", "-check", "-recursive", "-list=true", dir], {
    env: tofuEnv(),
    timeoutMs: 120_000,
  });
  const files = r.stdout.trim();
  return {
    ok: r.code === 0,
    ran: true,
    message: r.code === 0 ? "formatted" : `not canonical:\n${files}\n${r.stderr.trim()}`.trim(),
  };
}

/** Whether `tofu init` has installed the providers of DIR (.terraform/providers exists and is not empty). */
export function providersInstalled(dir: string): boolean {
  const p = join(dir, ".terraform", "providers");
  return existsSync(p) && readdirSync(p).length > 0;
}

/**
 * `tofu validate` in DIR. Runs only after a successful `tofu init` (providers installed); otherwise
 * returns ran: false with the reason, since providers cannot be downloaded without registry access.
 */
export async function tofuValidate(dir: string): Promise<TofuResult> {
  const tofu = findTool("tofu");
  if (!tofu) return { ok: false, ran: false, message: "tofu not found (run bash scripts/install-tools.sh)" };
  if (!providersInstalled(dir)) {
    return {
      ok: false,
      ran: false,
      message: `providers are not installed in ${dir}: run \`tofu init -backend=false\` there first (needs registry access)`,
    };
  }
  const r = await exec(tofu, ["validate", "-no-color"], { cwd: dir, env: tofuEnv(), timeoutMs: 300_000 });
  return { ok: r.code === 0, ran: true, message: (r.stdout + r.stderr).trim() };
}
