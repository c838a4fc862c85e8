// The difference between two estimates of the same project: the base branch's (read back from
// `gantry cost --format json`, possibly written by an older Gantry) and the change's. It drives the
// pull request's cost comment, as Infracost's diff does for Terraform.
import { cents } from "./types.js";

/** What the comparison reads of an estimate: the fields of `gantry cost --format json` (estimateJson). */
export interface CostSide {
  environment: string;
  target: string;
  total_monthly_usd: number;
  max_scale_monthly_usd: number;
  budget_monthly_usd: number | null;
  items: { resource: string; sku: string; monthly_usd: number }[];
}

export interface ItemChange {
  resource: string;
  before?: { sku: string; monthly_usd: number };
  after?: { sku: string; monthly_usd: number };
  delta_usd: number;
}

export interface CostChange {
  environment: string;
  target: string;
  /** Absent when the environment or target is new in the change. */
  before?: CostSide;
  /** Absent when the change removes the environment or target. */
  after?: CostSide;
  delta_usd: number;
  max_scale_delta_usd: number;
  items: ItemChange[];
}

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const str = (v: unknown) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");

/**
 * The estimates in `gantry cost --format json` output (one object, or an array of them). Throws an
 * Error saying what is wrong, for the CLI to report with the file's name.
 */
export function parseEstimates(text: string): CostSide[] {
  const value: unknown = text.trim() === "" ? [] : JSON.parse(text);
  const list = Array.isArray(value) ? value : [value];
  return list.map((v, n) => costSide(v, list.length === 1 ? "the estimate" : `estimate ${n + 1}`));
}

/**
 * The fields the comparison reads of one estimate in the JSON shape (`estimateJson`), whether read
 * back from a file or made now, so both sides of a comparison hold the same fields.
 */
export function costSide(v: unknown, at = "the estimate"): CostSide {
  const o = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
  if (typeof o.environment !== "string" || typeof o.target !== "string" || !isNum(o.total_monthly_usd))
    throw new Error(`${at} has no environment, target and total_monthly_usd`);
  const items = Array.isArray(o.items) ? (o.items as Record<string, unknown>[]) : [];
  return {
    environment: o.environment,
    target: o.target,
    total_monthly_usd: o.total_monthly_usd,
    max_scale_monthly_usd: isNum(o.max_scale_monthly_usd) ? o.max_scale_monthly_usd : o.total_monthly_usd,
    budget_monthly_usd: isNum(o.budget_monthly_usd) ? o.budget_monthly_usd : null,
    items: items.map((i) => ({
      resource: str(i.resource),
      sku: str(i.sku),
      monthly_usd: isNum(i.monthly_usd) ? i.monthly_usd : 0,
    })),
  };
}

/**
 * Items by resource name; a name that occurs twice in one estimate is told apart by its SKU, then by
 * its order, so that two equal lines are not read as one.
 */
function keyed(items: CostSide["items"]): Map<string, CostSide["items"][number]> {
  const out = new Map<string, CostSide["items"][number]>();
  for (const i of items) {
    let key = out.has(i.resource) ? `${i.resource}\u0000${i.sku}` : i.resource;
    for (let n = 2; out.has(key); n++) key = `${i.resource}\u0000${i.sku}\u0000${n}`;
    out.set(key, i);
  }
  return out;
}

function itemChanges(before: CostSide["items"], after: CostSide["items"]): ItemChange[] {
  const [a, b] = [keyed(before), keyed(after)];
  const changes: ItemChange[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const [x, y] = [a.get(key), b.get(key)];
    const delta = cents((y?.monthly_usd ?? 0) - (x?.monthly_usd ?? 0));
    if (x && y && delta === 0 && x.sku === y.sku) continue;
    changes.push({
      resource: (y ?? x)!.resource,
      ...(x ? { before: { sku: x.sku, monthly_usd: x.monthly_usd } } : {}),
      ...(y ? { after: { sku: y.sku, monthly_usd: y.monthly_usd } } : {}),
      delta_usd: delta,
    });
  }
  return changes;
}

/** Every environment and target of either side, in the change's order, then those it removes. */
export function compareCosts(base: readonly CostSide[], head: readonly CostSide[]): CostChange[] {
  const id = (s: CostSide) => `${s.environment}\u0000${s.target}`;
  const before = new Map(base.map((s) => [id(s), s]));
  const after = new Map(head.map((s) => [id(s), s]));
  const keys = [...new Set([...head.map(id), ...base.map(id)])];
  return keys.map((key) => {
    const [b, a] = [before.get(key), after.get(key)];
    const some = (a ?? b)!;
    return {
      environment: some.environment,
      target: some.target,
      ...(b ? { before: b } : {}),
      ...(a ? { after: a } : {}),
      delta_usd: cents((a?.total_monthly_usd ?? 0) - (b?.total_monthly_usd ?? 0)),
      max_scale_delta_usd: cents((a?.max_scale_monthly_usd ?? 0) - (b?.max_scale_monthly_usd ?? 0)),
      items: itemChanges(b?.items ?? [], a?.items ?? []),
    };
  });
}
