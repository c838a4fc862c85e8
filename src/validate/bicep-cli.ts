// `bicep build` over a generated Azure tree, when the Bicep CLI is installed (`findTool("bicep")`).
// Builds main.bicep (which compiles every module it uses) and each parameter file, into a temporary
// folder so the generated tree is left as it is.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exec } from "../util/exec.js";
import { findTool } from "./tools.js";

export interface BicepBuildResult {
  /** false when the bicep CLI was not found; `problems` then says so. */
  ran: boolean;
  ok: boolean;
  problems: string[];
}

export async function bicepBuild(dir: string): Promise<BicepBuildResult> {
  const bicep = findTool("bicep");
  if (!bicep)
    return {
      ran: false,
      ok: false,
      problems: ["bicep CLI not found (.tools/bin or PATH); install it to run `bicep build`"],
    };
  const out = mkdtempSync(join(tmpdir(), "gantry-bicep-"));
  const problems: string[] = [];
  try {
    const jobs: string[][] = [["build", join(dir, "main.bicep"), "--outdir", out]];
    const paramsDir = join(dir, "parameters");
    let names: string[] = [];
    try {
      names = readdirSync(paramsDir)
        .filter((f) => f.endsWith(".bicepparam"))
        .sort();
    } catch {
      names = [];
    }
    for (const f of names)
      jobs.push(["build-params", join(paramsDir, f), "--outfile", join(out, `${f}.json`)]);
    for (const args of jobs) {
      const r = await exec(bicep, args, { timeoutMs: 120_000 });
      if (r.code !== 0) problems.push(`bicep ${args[0]} ${args[1]}: ${(r.stderr || r.stdout).trim()}`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return { ran: true, ok: problems.length === 0, problems };
}
