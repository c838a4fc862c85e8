// What `gantry check` reports: a finding of one rule, placed in the spec (file, line, column, spec
// path) or in a generated file (path and line), with a hint that says how to fix it.
import type { Position } from "../errors.js";
import type { RuleDoc } from "../targets/target.js";

export type { RuleDoc };

export interface Finding {
  rule: string;
  severity: RuleDoc["severity"];
  message: string;
  hint?: string;
  /** Where in the spec, when the finding is about something the spec says. */
  pos?: Position;
  /** The spec path (services.api.scale.min). */
  path?: string;
  /** A generated file, relative to the repository root, and the line in it. */
  file?: string;
  line?: number;
  /** The target whose files or platform the finding is about. */
  target?: string;
  /** The environment it is about; environments separated by ", " for a spec finding of several. */
  env?: string;
  /** Set when the spec's `checks.suppress` lets it pass: it is listed, but is not an error. */
  suppressed?: { reason: string };
}
