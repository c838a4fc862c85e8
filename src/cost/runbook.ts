// The cost runbook of each target's operations folder: what every environment should cost, item by
// item, the budgets that watch it, and how to hold the estimate against the bill. One function for
// every target, so the runbooks agree with `gantry cost` and with the READMEs.
import type { AppModel } from "../model/types.js";
import { printMarkdown, usd } from "./print.js";
import { costLines, estimatesOf } from "./readme.js";
import type { CostTarget } from "./types.js";

function budgets(environments: readonly AppModel[]): string[] {
  const rows = environments.flatMap((m) =>
    m.budget
      ? [
          `| ${m.environment.name} | ${usd(m.budget.monthly_usd)} | ${m.budget.thresholds.map((t) => `${t} %`).join(", ")} | ${m.budget.notify.join(", ") || "the spec's channels"} |`,
        ]
      : [],
  );
  if (!rows.length)
    return [
      "No environment sets `budget.monthly_usd`: nothing warns when the bill grows. Set one per environment in the spec.",
      "",
    ];
  return [
    "| environment | monthly budget | alerts at | notifies |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
    "`gantry check` fails on an environment whose estimate at minimum scale is over its budget (`cost/over-budget`) and warns when its maximum scale would be (`cost/over-budget-at-max`).",
    "",
  ];
}

export function costRunbook(
  environments: readonly AppModel[],
  target: CostTarget,
  platform: string,
): string[] {
  const estimates = estimatesOf(environments, target);
  return [
    `# Cost of ${environments[0]?.name ?? ""} on ${platform}`,
    "",
    ...costLines(environments, target),
    "## Item by item",
    "",
    printMarkdown(estimates, 3).trimEnd(),
    "",
    "## Budgets",
    "",
    ...budgets(environments),
    "## Holding the estimate to the bill",
    "",
    `1. After a change to the spec, \`gantry cost --target ${target} --env <env>\` prints the new estimate; on a pull request the \`cost\` job of pr-checks.yml comments the difference from the base branch.`,
    "2. Once a month, compare each environment's bill with its estimate. A difference over 10 % is either usage beyond `cost.assumptions` (egress, logs, requests, storage: set the real figures in the spec) or a price that moved (docs/cost.md gives every price's source and how to refresh the tables).",
    "3. What moves the bill most is scale: the table gives each environment at its minimum and its maximum replicas; autoscaling spends between the two.",
    "",
  ];
}
