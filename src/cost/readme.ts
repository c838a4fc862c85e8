// The cost section of each target's generated README: every environment's estimate at minimum and
// maximum scale beside its budget. One function for every target, so the READMEs agree with
// `gantry cost` and with each other.
import type { AppModel } from "../model/types.js";
import { estimate, overBudget } from "./estimate.js";
import { usd } from "./print.js";
import type { CostTarget, Estimate } from "./types.js";

export interface CostSection {
  heading: string;
  blocks: string[];
}

/** Each environment's estimate on `target`, the environments priced together as one project. */
export function estimatesOf(environments: readonly AppModel[], target: CostTarget): Estimate[] {
  const project = { name: environments[0]?.name ?? "", environments: [...environments] };
  return project.environments.map((m) => estimate(project, m, target));
}

export function costSection(environments: readonly AppModel[], target: CostTarget): CostSection {
  const estimates = estimatesOf(environments, target);
  const heading = "Monthly cost estimate";
  const priced = estimates.filter((e) => e.items.length > 0);
  if (priced.length === 0) return { heading, blocks: [estimates[0]?.notes[0] ?? "Nothing here is priced."] };
  const rows = estimates.map((e) => {
    const budget = e.budget_monthly_usd === null ? "none" : usd(e.budget_monthly_usd);
    const over = overBudget(e);
    const verdict = over === "min" ? " (over)" : over === "max" ? " (over at maximum)" : "";
    return `| ${e.environment} | ${usd(e.total_monthly_usd)} | ${usd(e.max_scale_monthly_usd)} | ${budget}${verdict} |`;
  });
  return {
    heading,
    blocks: [
      [
        "| environment | at minimum scale | at maximum scale | budget |",
        "| --- | --- | --- | --- |",
        ...rows,
      ].join("\n"),
      `Pay-as-you-go list prices, before any traffic beyond the spec's \`cost.assumptions\`. \`gantry cost --target ${target}\` itemises each environment; docs/cost.md gives every price with its source and how the estimate is made.`,
    ],
  };
}

/** The same section as Markdown lines, for READMEs written line by line. */
export function costLines(environments: readonly AppModel[], target: CostTarget): string[] {
  const s = costSection(environments, target);
  return [`## ${s.heading}`, "", ...s.blocks.flatMap((b) => [b, ""])];
}
