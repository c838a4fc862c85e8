// Shared test helpers: run the CLI in-process, load examples, and compare generated trees with the
// committed ones (set UPDATE_GOLDEN=1 to rewrite them).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { main } from "../src/cli/main.js";
import { loadSpec, type LoadResult } from "../src/model/load.js";
import { drift, writeTree } from "../src/output/writer.js";
import { REPO_ROOT } from "../src/validate/tools.js";
import type { FileTree, SynthContext, Target } from "../src/targets/target.js";
import { outputsFor } from "../src/targets/registry.js";

export { REPO_ROOT };
export const EXAMPLES = ["augeo", "todo", "storefront", "hello"] as const;
export const UPDATE = process.env.UPDATE_GOLDEN === "1";

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function runCli(args: string[], cwd = REPO_ROOT): Promise<CliResult> {
  let out = "";
  let err = "";
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), cwd });
  return { code, out, err };
}

export function examplePath(name: string): string {
  return join(REPO_ROOT, "examples", name, "gantry.yaml");
}

export function loadExample(name: string, env?: string): LoadResult {
  return loadSpec(`examples/${name}/gantry.yaml`, readFileSync(examplePath(name), "utf8"), env);
}

/** The runbooks every target's operations/ must have, written here rather than read from a renderer. */
export const RUNBOOK_TOPICS = [
  "architecture.md",
  "deploy-and-rollback.md",
  "monitoring.md",
  "secrets.md",
  "troubleshooting.md",
  "incident-response.md",
  "disaster-recovery.md",
  "cost.md",
];

/** The synth context of an example, as `gantry synth` computes it in this repository. */
export function exampleContext(name: string, deployTarget?: SynthContext["deployTarget"]): SynthContext {
  const specDir = `examples/${name}`;
  const outputs = outputsFor(specDir);
  return { specPath: `${specDir}/gantry.yaml`, specDir, outputs, ...(deployTarget ? { deployTarget } : {}) };
}

/** Renders a target for an example and compares it with the committed tree (or rewrites it). */
export function expectGoldenTree(
  target: Target,
  example: string,
  tree: FileTree,
  dir = join(REPO_ROOT, "examples", example, target.defaultOut),
): void {
  if (UPDATE) {
    writeTree(dir, tree, target.ownsOutput);
    return;
  }
  const d = drift(dir, tree, target.ownsOutput);
  assert.deepEqual(
    d,
    { changed: [], missing: [], extra: [] },
    `${dir} differs from the generated tree; run UPDATE_GOLDEN=1 npm test and review the diff`,
  );
}

/** A temporary directory with the given files; removed by the returned cleanup. */
export function tempDir(files: Record<string, string> = {}): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "gantry-test-"));
  for (const [f, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), content);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
