// The monthly estimate of each environment on each cloud target: the target's bill of items, its
// totals at minimum and maximum scale, and the environment's budget beside them. Pure: models in,
// numbers out, so the CLI, `gantry check` and the generated READMEs share one estimate.
import type { AppModel, ProjectModel } from "../model/types.js";
import { awsBill } from "./aws.js";
import { azureBill } from "./azure.js";
import type { Bill } from "./bill.js";
import { digitaloceanBill } from "./digitalocean.js";
import { kubernetesBill } from "./kubernetes.js";
import { COST_TARGETS, totalOf, type CostTarget, type Estimate } from "./types.js";

type Billing = (project: ProjectModel, m: AppModel) => { bill: Bill; region: string; provider?: string };

const BILLS: Record<CostTarget, Billing> = {
  azure: azureBill,
  aws: awsBill,
  digitalocean: digitaloceanBill,
  kubernetes: kubernetesBill,
};

/** The cloud targets the spec configures (`targets.*`); all of them when it configures none. */
export function costTargets(project: ProjectModel): CostTarget[] {
  const targets = project.environments[0]?.targets ?? {};
  // Each cloud target is configured by its own `targets.<name>` entry, the key COST_TARGETS names.
  const configured = COST_TARGETS.filter((name) => targets[name] !== undefined);
  return configured.length ? configured : [...COST_TARGETS];
}

/** The estimate of environment `m` (one of `project`'s) on `target`. */
export function estimate(project: ProjectModel, m: AppModel, target: CostTarget): Estimate {
  const { bill, region, provider } = BILLS[target](project, m);
  const notes = [...bill.notes];
  if (region !== "-" && !bill.table.regions.includes(region))
    notes.unshift(`No ${bill.table.cloud} prices for ${region}: ${bill.table.fallback}`);
  return {
    environment: m.environment.name,
    target,
    region,
    ...(provider ? { provider } : {}),
    total_monthly_usd: totalOf(bill.items, "min"),
    max_scale_monthly_usd: totalOf(bill.items, "max"),
    budget_monthly_usd: m.budget?.monthly_usd ?? null,
    items: bill.items,
    assumptions: m.cost.assumptions,
    notes,
  };
}

/** Every environment (or `env`) on every configured target (or `target`), environments first. */
export function estimateAll(
  project: ProjectModel,
  only: { env?: string; target?: CostTarget } = {},
): Estimate[] {
  const envs = project.environments.filter((m) => !only.env || m.environment.name === only.env);
  const targets = only.target ? [only.target] : costTargets(project);
  return envs.flatMap((m) => targets.map((t) => estimate(project, m, t)));
}

/** Whether an estimate exceeds its budget at minimum or at maximum scale. */
export function overBudget(e: Estimate): "min" | "max" | undefined {
  if (e.budget_monthly_usd === null) return undefined;
  if (e.total_monthly_usd > e.budget_monthly_usd) return "min";
  if (e.max_scale_monthly_usd > e.budget_monthly_usd) return "max";
  return undefined;
}
