// What goes wrong, for people: problems found in a spec, printed one per line as
// `FILE:LINE:COL spec.path: message` with a hint on the next line (all collected before anything is
// reported), and the errors the CLI turns into output and an exit code. At the bottom of the layers:
// it imports nothing, so every folder may use it.

export interface Position {
  file: string;
  line: number;
  col: number;
}

export type Severity = "error" | "warning";

export interface Problem {
  severity: Severity;
  pos: Position;
  /** Dotted spec path such as services.api.scale.max; empty for the whole file. */
  path: string;
  message: string;
  hint?: string;
  /** The `gantry check` rule this problem is a finding of (docs/checks.md), when it is one. */
  rule?: string;
  /** The environments it was found in, when not in every one. */
  environments?: string[];
}

export function formatProblem(p: Problem): string {
  const where = `${p.pos.file}:${p.pos.line}:${p.pos.col}`;
  const head = `${where}${p.path ? ` ${p.path}` : ""}: ${p.severity === "warning" ? "warning: " : ""}${p.message}`;
  return p.hint ? `${head}\n  hint: ${p.hint}` : head;
}

/** Sorted by position, errors before warnings at the same place, duplicates dropped. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const p of problems) {
    const key = `${p.severity}\0${p.pos.file}\0${p.pos.line}\0${p.pos.col}\0${p.path}\0${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out.sort(
    (a, b) =>
      a.pos.file.localeCompare(b.pos.file) ||
      a.pos.line - b.pos.line ||
      a.pos.col - b.pos.col ||
      (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1) ||
      a.path.localeCompare(b.path) ||
      a.message.localeCompare(b.message),
  );
}

/** A spec that cannot be used: carries every problem found (warnings included). */
export class SpecError extends Error {
  constructor(readonly problems: Problem[]) {
    const errors = problems.filter((p) => p.severity === "error").length;
    super(`${errors} problem${errors === 1 ? "" : "s"} in the spec`);
    this.name = "SpecError";
  }
}

/** A mistake the user can fix (bad flag, missing file): one message, exit 1, no stack. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    /** The exit code: 1, or 128 + the signal's number for a command interrupted by one (130 for Ctrl-C). */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "UserError";
  }
}
