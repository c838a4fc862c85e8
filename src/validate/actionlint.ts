// Adapter for actionlint (pinned in .tools by scripts/install-tools.sh): lints workflow files and
// returns one line per problem. actionlint runs shellcheck on `run:` scripts when shellcheck is on
// the PATH.
import { exec } from "../util/exec.js";
import { findTool } from "./tools.js";

export interface ActionlintProblem {
  file: string;
  line: number;
  column: number;
  kind: string;
  message: string;
}

interface RawProblem {
  message?: string;
  filepath?: string;
  line?: number;
  column?: number;
  kind?: string;
}

/** Lints the given workflow files; an empty list means actionlint found nothing. */
export async function actionlint(files: readonly string[], cwd?: string): Promise<ActionlintProblem[]> {
  const bin = findTool("actionlint");
  if (!bin) throw new Error("actionlint not found: run `bash scripts/install-tools.sh`");
  if (files.length === 0) return [];
  const r = await exec(bin, ["-no-color", "-format", "{{json .}}", ...files], {
    timeoutMs: 300_000,
    ...(cwd ? { cwd } : {}),
  });
  if (r.code !== 0 && r.code !== 1)
    throw new Error(`actionlint failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  const text = r.stdout.trim();
  if (!text) return [];
  const raw = JSON.parse(text) as RawProblem[] | null;
  return (raw ?? []).map((p) => ({
    file: p.filepath ?? "",
    line: p.line ?? 0,
    column: p.column ?? 0,
    kind: p.kind ?? "",
    message: p.message ?? "",
  }));
}

/** Whether actionlint will run shellcheck on scripts (it looks for shellcheck on the PATH). */
export function hasShellcheck(): boolean {
  return findTool("shellcheck") !== undefined;
}
