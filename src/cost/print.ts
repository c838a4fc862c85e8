// The three ways `gantry cost` prints its estimates: text for a terminal, Markdown for a README or a
// pull-request comment, and JSON in the shape the issue fixed (one object per environment and
// target, an array when there are several).
import { overBudget } from "./estimate.js";
import { monthlyOf, type CostItem, type Estimate } from "./types.js";

export const usd = (n: number) => `$${n.toFixed(2)}`;

/** A unit price as people read it: $0.018/hour, $9.00/month, $0.0012/test run. */
function unitPrice(i: CostItem): string {
  const digits =
    i.unit_usd >= 1 || i.unit_usd === 0 ? 2 : Math.min(6, 2 + Math.ceil(-Math.log10(i.unit_usd)));
  return `$${i.unit_usd.toFixed(digits)}/${i.unit}`;
}

/** How much is billed: "2–6 × 730 h" for instances, "32 GB-month", "10 GB (100 free)". */
function quantity(i: CostItem): string {
  if (i.instances) {
    const { min, max } = i.instances;
    const count = min === max ? `${min}` : `${min}–${max}`;
    const per = i.quantity / Math.max(min, 1e-9);
    return i.unit === "month" ? count : `${count} × ${round(per)} ${i.unit === "hour" ? "h" : i.unit}`;
  }
  const free = i.free ? ` (${i.free} free)` : "";
  return `${round(i.quantity)} ${i.unit}${free}`;
}

const round = (n: number) => (Number.isInteger(n) ? `${n}` : n.toFixed(n < 10 ? 2 : 0));

function monthly(i: CostItem): string {
  const min = monthlyOf(i, "min");
  const max = monthlyOf(i, "max");
  return max !== min ? `${usd(min)}–${usd(max)}` : usd(min);
}

/** The headline: the totals, and the budget with the verdict. */
export function headline(e: Estimate): string {
  const range =
    e.max_scale_monthly_usd !== e.total_monthly_usd
      ? `${usd(e.total_monthly_usd)} a month at minimum scale, ${usd(e.max_scale_monthly_usd)} at maximum`
      : `${usd(e.total_monthly_usd)} a month`;
  if (e.budget_monthly_usd === null) return `${range}; no budget`;
  const over = overBudget(e);
  const verdict =
    over === "min"
      ? `over budget by ${usd(e.total_monthly_usd - e.budget_monthly_usd)}`
      : over === "max"
        ? "within budget at minimum scale, over it at maximum"
        : "within budget";
  return `${range}; budget ${usd(e.budget_monthly_usd)}, ${verdict}`;
}

const where = (e: Estimate) =>
  `${e.environment} on ${e.target}${e.provider ? ` (${e.provider})` : ""}${e.region !== "-" ? `, ${e.region}` : ""}`;

function assumptions(e: Estimate): string {
  const a = e.assumptions;
  return `${a.hours_per_month} h a month, ${a.egress_gb} GB egress, ${a.log_gb} GB logs, ${a.requests_millions} million requests, ${a.storage_gb} GB per bucket, ${a.registry_gb} GB of images`;
}

export function printText(estimates: readonly Estimate[]): string {
  return estimates
    .map((e) => {
      const rows = e.items.map((i) => [
        i.resource,
        i.sku,
        quantity(i),
        unitPrice(i),
        monthly(i) + (i.priced ? "" : " (no price)"),
      ]);
      const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length), 8));
      const lines = rows.map((r) =>
        `  ${r
          .slice(0, 4)
          .map((cell, c) => cell.padEnd(widths[c]!))
          .join("  ")}  ${r[4]}`.trimEnd(),
      );
      return [
        `${where(e)}: ${headline(e)}`,
        ...lines,
        `  usage assumed (cost.assumptions): ${assumptions(e)}`,
        ...e.notes.map((n) => `  note: ${n}`),
        "",
      ].join("\n");
    })
    .join("\n");
}

/** Text in a Markdown table cell. */
export const cell = (s: string) => s.replace(/\|/g, "\\|");

/** One table per estimate; `level` is the heading level of each estimate's title. */
export function printMarkdown(estimates: readonly Estimate[], level = 3): string {
  const hashes = "#".repeat(level);
  return estimates
    .map((e) =>
      [
        `${hashes} ${where(e)}`,
        "",
        `${headline(e)}.`,
        "",
        "| resource | SKU | quantity | unit price | monthly |",
        "|---|---|---|---|---|",
        ...e.items.map(
          (i) =>
            `| ${cell(i.resource)} | ${cell(i.sku)} | ${quantity(i)} | ${unitPrice(i)} | ${monthly(i)}${i.priced ? "" : " (no price)"} |`,
        ),
        `| **total** | | | | **${e.max_scale_monthly_usd !== e.total_monthly_usd ? `${usd(e.total_monthly_usd)}–${usd(e.max_scale_monthly_usd)}` : usd(e.total_monthly_usd)}** |`,
        "",
        `Usage assumed (\`cost.assumptions\`): ${assumptions(e)}.`,
        ...e.notes.map((n) => `- ${n}`),
        "",
      ].join("\n"),
    )
    .join("\n");
}

/** The JSON of one estimate, exactly the issue's shape. */
export function estimateJson(e: Estimate) {
  return {
    environment: e.environment,
    target: e.target,
    total_monthly_usd: e.total_monthly_usd,
    max_scale_monthly_usd: e.max_scale_monthly_usd,
    budget_monthly_usd: e.budget_monthly_usd,
    items: e.items.map((i) => ({
      resource: i.resource,
      sku: i.sku,
      quantity: i.quantity,
      unit_usd: i.unit_usd,
      unit: i.unit,
      monthly_usd: monthlyOf(i),
    })),
  };
}

export function printJson(estimates: readonly Estimate[]): string {
  const value = estimates.length === 1 ? estimateJson(estimates[0]!) : estimates.map(estimateJson);
  return `${JSON.stringify(value, null, 2)}\n`;
}
