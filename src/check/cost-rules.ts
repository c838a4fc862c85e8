// The cost rules of `gantry check`: each environment's estimate (src/cost) on each checked cloud
// target against its budget. At minimum scale over budget is an error (the bill exceeds it before
// any traffic arrives); only at maximum scale, a warning (autoscaling could exceed it).
import { estimate, overBudget } from "../cost/estimate.js";
import { COST_TARGETS, type CostTarget } from "../cost/types.js";
import type { LoadResult } from "../model/load.js";
import type { Finding } from "./finding.js";

const usd = (n: number) => `$${n.toFixed(2)}`;

export function costFindings(loaded: LoadResult, targets: readonly string[]): Finding[] {
  const { project } = loaded;
  const priced = COST_TARGETS.filter((t) => targets.includes(t));
  return project.environments.flatMap((m) =>
    priced.flatMap((target: CostTarget): Finding[] => {
      const e = estimate(project, m, target);
      const scale = overBudget(e);
      if (!scale || e.budget_monthly_usd === null) return [];
      const env = m.environment.name;
      const path = "budget.monthly_usd";
      const budget = usd(e.budget_monthly_usd);
      const cost = usd(scale === "min" ? e.total_monthly_usd : e.max_scale_monthly_usd);
      return [
        {
          rule: scale === "min" ? "cost/over-budget" : "cost/over-budget-at-max",
          severity: scale === "min" ? "error" : "warning",
          message:
            scale === "min"
              ? `in ${env}: on ${target} the estimate at minimum scale is ${cost} a month, over the budget of ${budget}`
              : `in ${env}: on ${target} the estimate at maximum scale is ${cost} a month, over the budget of ${budget} (${usd(e.total_monthly_usd)} at minimum scale)`,
          hint: `\`gantry cost --env ${env} --target ${target}\` itemises it: lower sizes or replicas in ${env}, or raise its budget`,
          path,
          pos: loaded.locate(path, env),
          env,
        },
      ];
    }),
  );
}
