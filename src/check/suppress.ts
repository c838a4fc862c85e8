// The spec's `checks.suppress`: each entry lets the findings of one rule pass (at a spec path and in
// environments, when it says so), with the reason written next to it. An entry that names no rule, or
// that matches nothing, is a finding itself: a suppression must not outlive what it was written for.
import type { LoadResult } from "../model/load.js";
import type { SuppressionModel } from "../model/types.js";
import { didYouMean } from "../spec/check-schema.js";
import type { Finding } from "./finding.js";

const under = (path: string | undefined, prefix: string) =>
  path !== undefined && (path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`));

/** Whether a finding is one the suppression names: its rule, under its path, in its environments. */
function matches(s: SuppressionModel, f: Finding): boolean {
  if (f.rule !== s.rule) return false;
  if (s.path !== undefined && !under(f.path, s.path)) return false;
  if (s.environments === undefined) return true;
  // A finding of no particular environment is about all of them: a list of some does not cover it.
  const envs = f.env?.split(", ");
  return envs !== undefined && envs.every((e) => s.environments!.includes(e));
}

/** The findings with those the spec suppresses marked, plus findings about the suppressions themselves. */
export function applySuppressions(
  findings: Finding[],
  loaded: LoadResult,
  ruleIds: string[],
  /** Whether every environment and target was checked: only then is an unmatched entry stale. */
  complete: boolean,
): Finding[] {
  const list = loaded.project.suppressions ?? [];
  const used = new Set<number>();
  const marked = findings.map((f) => {
    // A spec that is not valid, or a file a validator rejects, is never let pass.
    if (f.rule === "spec/invalid" || f.rule.startsWith("tools/")) return f;
    const i = list.findIndex((s) => matches(s, f));
    if (i < 0) return f;
    used.add(i);
    return { ...f, suppressed: { reason: list[i]!.reason } };
  });
  const own = list.flatMap((s, i): Finding[] => {
    const path = `checks.suppress[${i}]`;
    const at = { path: `${path}.rule`, pos: loaded.locate(`${path}.rule`) };
    if (!ruleIds.includes(s.rule)) {
      const guess = didYouMean(s.rule, ruleIds);
      return [
        {
          rule: "spec/suppression-unknown-rule",
          severity: "error",
          message: `\`${s.rule}\` is not a rule of gantry check`,
          hint: guess ? `did you mean \`${guess}\`?` : "the rules are listed in docs/checks.md",
          ...at,
        },
      ];
    }
    if (used.has(i) || !complete) return [];
    return [
      {
        rule: "spec/suppression-unused",
        severity: "warning",
        message: `this suppression of ${s.rule} matches no finding`,
        hint: "remove it: what it was written for is gone (or its path or environments no longer match)",
        ...at,
      },
    ];
  });
  return [...marked, ...own];
}
