// Adapter for checkov (pinned in .tools by scripts/install-tools.sh), shared by every target:
// `checkov --framework X -d DIR --output json` with a skip list, returning the failed checks.
// The skip lists live in each target's docs as a Markdown table (`| CKV_... | reason |`), read by
// `allowListFromMarkdown`, so every skipped check has a written reason.
import { exec } from "../util/exec.js";
import { findTool } from "./tools.js";

export interface CheckovFailure {
  checkId: string;
  checkName: string;
  /** The resource as checkov names it, e.g. `Deployment.production.api`. */
  resource: string;
  /** File path relative to the scanned directory. */
  file: string;
}

export interface CheckovResult {
  passed: number;
  failed: CheckovFailure[];
  skipped: number;
}

export interface CheckovOptions {
  /** kubernetes, helm, terraform, bicep, github_actions, ... */
  framework: string;
  dir: string;
  /** Check ids passed with --skip-check. */
  skip?: readonly string[];
  timeoutMs?: number;
}

interface Report {
  check_type?: string;
  summary?: { passed?: number; failed?: number; skipped?: number };
  results?: {
    failed_checks?: { check_id: string; check_name?: string; resource?: string; file_path?: string }[];
  };
}

export async function runCheckov(opts: CheckovOptions): Promise<CheckovResult> {
  const bin = findTool("checkov");
  if (!bin) throw new Error("checkov not found: run `bash scripts/install-tools.sh`");
  const args = [
    "--framework",
    opts.framework,
    "-d",
    opts.dir,
    "--output",
    "json",
    "--quiet",
    "--compact",
    "--skip-download",
  ];
  if (opts.skip?.length) args.push("--skip-check", [...opts.skip].join(","));
  const r = await exec(bin, args, {
    timeoutMs: opts.timeoutMs ?? 600_000,
    env: { ...process.env, BC_SKIP_MAPPING: "TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2: "false" },
  });
  // Exit 1 means "some checks failed"; the JSON is on stdout either way. With nothing to scan checkov prints a bare summary.
  const text = r.stdout.trim();
  if (!text.startsWith("{") && !text.startsWith("[")) {
    if (r.code === 0) return { passed: 0, failed: [], skipped: 0 };
    throw new Error(`checkov failed (exit ${r.code}): ${r.stderr.trim().slice(0, 2000)}`);
  }
  const parsed = JSON.parse(text) as Report | Report[];
  const reports = Array.isArray(parsed) ? parsed : [parsed];
  const out: CheckovResult = { passed: 0, failed: [], skipped: 0 };
  for (const rep of reports) {
    out.passed += rep.summary?.passed ?? 0;
    out.skipped += rep.summary?.skipped ?? 0;
    for (const f of rep.results?.failed_checks ?? []) {
      out.failed.push({
        checkId: f.check_id,
        checkName: f.check_name ?? "",
        resource: f.resource ?? "",
        file: (f.file_path ?? "").replace(/^\//, ""),
      });
    }
  }
  out.failed.sort((a, b) => (a.file + a.resource + a.checkId < b.file + b.resource + b.checkId ? -1 : 1));
  return out;
}

export interface AllowedCheck {
  id: string;
  reason: string;
}

/** Rows of Markdown tables whose first cell is a check id (`CKV_K8S_43` or `CKV2_K8S_6`), with the reason in the last cell. */
export function allowListFromMarkdown(markdown: string): AllowedCheck[] {
  const out: AllowedCheck[] = [];
  for (const line of markdown.split("\n")) {
    const cells = line.split("|").map((c) => c.trim().replace(/^`|`$/g, ""));
    if (cells.length < 4) continue;
    const id = cells[1] ?? "";
    if (!/^CKV2?_[A-Z0-9]+_\d+$/.test(id)) continue;
    out.push({ id, reason: cells[cells.length - 2] ?? "" });
  }
  return out;
}
