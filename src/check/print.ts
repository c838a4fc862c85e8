// The three forms of `gantry check`'s findings: text for people, JSON for scripts, and SARIF 2.1.0
// for GitHub code scanning (one run, the rules with their help, a result per finding with a location).
import type { Location, Log, ReportingDescriptor, Result } from "sarif";
import type { RuleDoc } from "../targets/target.js";
import type { Finding } from "./finding.js";
import type { CheckResult } from "./run.js";

export interface Printed {
  /** Repository-relative path of the spec: where a finding about the spec is, for SARIF. */
  specPath: string;
  version: string;
}

const order = (a: Finding, b: Finding) =>
  (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1) ||
  (a.file ?? a.pos?.file ?? "").localeCompare(b.file ?? b.pos?.file ?? "") ||
  (a.line ?? a.pos?.line ?? 0) - (b.line ?? b.pos?.line ?? 0) ||
  (a.pos?.col ?? 0) - (b.pos?.col ?? 0) ||
  a.rule.localeCompare(b.rule);

function where(f: Finding): string {
  if (f.pos) return `${f.pos.file}:${f.pos.line}:${f.pos.col}${f.path ? ` ${f.path}` : ""}`;
  if (f.file) return `${f.file}${f.line ? `:${f.line}` : ""}`;
  return f.path ?? "";
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

export function printText(r: CheckResult): string {
  const lines: string[] = [];
  const open = r.findings.filter((f) => !f.suppressed);
  const suppressed = r.findings.filter((f) => f.suppressed);
  for (const f of open.sort(order)) {
    const also = f.file && f.pos ? ` (${f.file}${f.line ? `:${f.line}` : ""})` : "";
    lines.push(`${where(f)}: ${f.severity} [${f.rule}]: ${f.message}${also}`);
    if (f.hint) lines.push(`  hint: ${f.hint}`);
  }
  if (suppressed.length) {
    lines.push(`${lines.length ? "\n" : ""}suppressed by the spec's checks.suppress:`);
    for (const f of suppressed.sort(order))
      lines.push(`  ${where(f)}: [${f.rule}] ${f.message}\n    reason: ${f.suppressed!.reason}`);
  }
  const errors = open.filter((f) => f.severity === "error").length;
  const warnings = open.length - errors;
  const skipped = r.skipped.length
    ? `; not run here: ${r.skipped.map((s) => `${s.tool} (${s.detail})`).join(", ")}`
    : "";
  const quiet = suppressed.length ? `, ${suppressed.length} suppressed` : "";
  lines.push(
    `${lines.length ? "\n" : ""}${plural(errors, "error")}, ${plural(warnings, "warning")}${quiet} (targets: ${r.targets.join(", ") || "none"}${skipped})`,
  );
  return `${lines.join("\n")}\n`;
}

export function printJson(r: CheckResult): string {
  return `${JSON.stringify({ findings: [...r.findings].sort(order), targets: r.targets, skipped: r.skipped }, null, 2)}\n`;
}

function sarifLocation(f: Finding, p: Printed): Location {
  const uri = f.pos ? p.specPath : (f.file ?? p.specPath);
  const region = f.pos ? { startLine: f.pos.line, startColumn: f.pos.col } : { startLine: f.line ?? 1 };
  return { physicalLocation: { artifactLocation: { uri }, region } };
}

function sarifRule(rule: RuleDoc): ReportingDescriptor {
  return {
    id: rule.id,
    name: rule.id.replace(/[^A-Za-z0-9]+(.)/g, (_m, c: string) => c.toUpperCase()),
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.why },
    help: { text: `${rule.why}\n\nFix: ${rule.fix}`, markdown: `${rule.why}\n\n**Fix:** ${rule.fix}` },
    defaultConfiguration: { level: rule.severity },
  };
}

/** SARIF 2.1.0, as GitHub code scanning takes it (every result has a location and a known rule). */
export function printSarif(r: CheckResult, rules: readonly RuleDoc[], p: Printed): string {
  const used = rules.filter((rule) => r.findings.some((f) => f.rule === rule.id));
  const index = new Map(used.map((rule, i) => [rule.id, i]));
  const results: Result[] = [...r.findings].sort(order).map((f) => ({
    ruleId: f.rule,
    ...(index.has(f.rule) ? { ruleIndex: index.get(f.rule)! } : {}),
    level: f.severity,
    message: { text: f.hint ? `${f.message}\n\nHint: ${f.hint}` : f.message },
    locations: [sarifLocation(f, p)],
    // Code scanning shows an in-source suppression as dismissed, with the spec's reason.
    ...(f.suppressed
      ? { suppressions: [{ kind: "inSource" as const, justification: f.suppressed.reason }] }
      : {}),
  }));
  const log: Log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [{ tool: { driver: { name: "gantry", version: p.version, rules: used.map(sarifRule) } }, results }],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
