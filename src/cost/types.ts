// What `gantry cost` computes: per environment and target, one item per generated resource that
// costs money, priced at the environment's minimum scale and at its maximum.
import type { CostAssumptions } from "../model/types.js";
import type { PriceUnit } from "./prices/types.js";

export type CostTarget = "azure" | "aws" | "digitalocean" | "kubernetes";
export const COST_TARGETS: readonly CostTarget[] = ["azure", "aws", "digitalocean", "kubernetes"];

export interface CostItem {
  /** The generated resource, as its README names it ("api App Service plan"). */
  resource: string;
  /** SKU, size or meter. */
  sku: string;
  unit: PriceUnit;
  unit_usd: number;
  /** Billed units a month at minimum scale (instance-hours for an hourly price). */
  quantity: number;
  /** Billed units a month at maximum scale. */
  max_quantity: number;
  /** Units the provider gives free each month; billed quantity is what exceeds it. */
  free: number;
  /** For resources billed per instance: how many run at minimum and maximum scale. */
  instances?: { min: number; max: number };
  /** Priced from an assumption of usage (`cost.assumptions`) rather than from what is provisioned. */
  usage: boolean;
  /** False when the table has no price for the SKU: the item is listed at $0 and the estimate says so. */
  priced: boolean;
}

export interface Estimate {
  environment: string;
  target: CostTarget;
  region: string;
  /** Kubernetes: the provider whose prices were used. */
  provider?: string;
  total_monthly_usd: number;
  max_scale_monthly_usd: number;
  budget_monthly_usd: number | null;
  items: CostItem[];
  assumptions: CostAssumptions;
  /** What the estimate leaves out or approximates, one sentence each. */
  notes: string[];
}

/** A dollar figure rounded to the cent. */
export const cents = (n: number) => Math.round(n * 100) / 100;

/** The monthly cost of an item at its minimum (or maximum) scale, in cents. */
export function monthlyOf(item: CostItem, scale: "min" | "max" = "min"): number {
  const q = scale === "min" ? item.quantity : item.max_quantity;
  return cents(item.unit_usd * Math.max(0, q - item.free));
}

export function totalOf(items: readonly CostItem[], scale: "min" | "max" = "min"): number {
  return cents(items.reduce((sum, i) => sum + monthlyOf(i, scale), 0));
}
