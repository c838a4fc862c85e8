// How `gantry cost --compare` prints the difference between the base branch's estimates and the
// change's: Markdown for the pull request comment (a summary table, then each changed estimate's
// lines folded away), text for a terminal, JSON for scripts.
import type { CostChange, ItemChange } from "./compare.js";
import { cell, usd } from "./print.js";
import { cents } from "./types.js";

/** +$12.30, -$4.00, or $0.00. */
const signed = (n: number) => (n > 0 ? `+${usd(n)}` : n < 0 ? `-${usd(-n)}` : usd(0));
const side = (s: CostChange["before"]) => (s ? usd(s.total_monthly_usd) : "—");
const changed = (c: CostChange) => c.delta_usd !== 0 || c.max_scale_delta_usd !== 0 || c.items.length > 0;

/** "dev on azure" with what happened to it when it is new or gone. */
function title(c: CostChange): string {
  const what = !c.before ? " (new)" : !c.after ? " (removed)" : "";
  return `${c.environment} on ${c.target}${what}`;
}

function itemCell(i: ItemChange["before"]): string {
  return i ? `${usd(i.monthly_usd)} (${i.sku})` : "—";
}

function totalsLine(changes: readonly CostChange[]): string {
  const sum = (f: (c: CostChange) => number) => changes.reduce((n, c) => n + f(c), 0);
  const before = sum((c) => c.before?.total_monthly_usd ?? 0);
  const after = sum((c) => c.after?.total_monthly_usd ?? 0);
  return `${signed(cents(after - before))} a month at minimum scale (${usd(before)} → ${usd(after)})`;
}

export function printCompareMarkdown(changes: readonly CostChange[]): string {
  const moved = changes.filter(changed);
  const lines = [`### Monthly cost: ${totalsLine(changes)}`, ""];
  if (!moved.length) return [...lines, "This change does not change any estimate.", ""].join("\n");
  lines.push(
    "| environment | target | before | after | change | change at maximum scale | budget |",
    "|---|---|---|---|---|---|---|",
    ...moved.map((c) => {
      const budget = c.after?.budget_monthly_usd ?? c.before?.budget_monthly_usd ?? null;
      const over = budget !== null && (c.after?.total_monthly_usd ?? 0) > budget ? " (over)" : "";
      return `| ${cell(c.environment)} | ${cell(c.target)} | ${side(c.before)} | ${side(c.after)} | **${signed(c.delta_usd)}** | ${signed(c.max_scale_delta_usd)} | ${budget === null ? "—" : usd(budget) + over} |`;
    }),
    "",
  );
  for (const c of moved.filter((m) => m.items.length)) {
    lines.push(
      `<details><summary>${cell(title(c))}: ${signed(c.delta_usd)}</summary>`,
      "",
      "| resource | before | after | change |",
      "|---|---|---|---|",
      ...c.items.map(
        (i) =>
          `| ${cell(i.resource)} | ${cell(itemCell(i.before))} | ${cell(itemCell(i.after))} | ${signed(i.delta_usd)} |`,
      ),
      "",
      "</details>",
      "",
    );
  }
  lines.push(
    "Estimated by `gantry cost` from list prices at minimum scale; see docs/cost.md for the assumptions.",
    "",
  );
  return lines.join("\n");
}

export function printCompareText(changes: readonly CostChange[]): string {
  const out = [`Monthly cost: ${totalsLine(changes)}`];
  const moved = changes.filter(changed);
  if (!moved.length) out.push("  no estimate changes");
  for (const c of moved) {
    out.push(`  ${title(c)}: ${side(c.before)} → ${side(c.after)} (${signed(c.delta_usd)})`);
    for (const i of c.items)
      out.push(`    ${i.resource}: ${itemCell(i.before)} → ${itemCell(i.after)} (${signed(i.delta_usd)})`);
  }
  return `${out.join("\n")}\n`;
}

export function printCompareJson(changes: readonly CostChange[]): string {
  return `${JSON.stringify(changes, null, 2)}\n`;
}
