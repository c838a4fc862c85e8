// Collects the items of one estimate from a price table: each helper turns what a target provisions
// (instances running for the month, a monthly fee, a daily fee, a usage figure) into a priced item.
import type { CostAssumptions } from "../model/types.js";
import { priceOf, type PriceTable } from "./prices/types.js";
import type { CostItem } from "./types.js";

export class Bill {
  readonly items: CostItem[] = [];
  readonly notes: string[] = [];

  constructor(
    readonly table: PriceTable,
    readonly assumptions: CostAssumptions,
  ) {}

  private add(
    resource: string,
    key: string,
    sku: string,
    quantity: number,
    maxQuantity: number,
    extra: Partial<CostItem> = {},
  ): void {
    const price = priceOf(this.table, key);
    if (!price)
      this.notes.push(`No ${this.table.cloud} price for ${sku} (${resource}); it is counted as $0.`);
    this.items.push({
      resource,
      sku,
      unit: price?.unit ?? "month",
      unit_usd: price?.usd ?? 0,
      quantity: round(quantity),
      max_quantity: round(maxQuantity),
      free: price?.free ?? 0,
      usage: false,
      priced: price !== undefined,
      ...extra,
    });
  }

  /**
   * Instances running all month, `min` of them at minimum scale and `max` at maximum: instance-hours
   * for an hourly price, instance-months where the provider prices a month (DigitalOcean caps a month
   * of hourly billing at the monthly price). `each`: units per instance (vCPUs of a task).
   */
  running(resource: string, key: string, sku: string, min: number, max = min, each = 1): void {
    if (max <= 0) return;
    const perMonth = priceOf(this.table, key)?.unit === "month";
    const h = (perMonth ? 1 : this.assumptions.hours_per_month) * each;
    this.add(resource, key, sku, min * h, max * h, { instances: { min, max } });
  }

  /** A fee per month (or per unit-month, `count` of them). */
  monthly(resource: string, key: string, sku: string, count = 1, maxCount = count): void {
    if (maxCount <= 0) return;
    this.add(resource, key, sku, count, maxCount);
  }

  /** A fee per day, all month. */
  daily(resource: string, key: string, sku: string): void {
    const days = this.assumptions.hours_per_month / 24;
    this.add(resource, key, sku, days, days);
  }

  /** Usage that does not depend on scale (log GB, egress GB, requests), from an assumption. */
  usage(resource: string, key: string, sku: string, amount: number, maxAmount = amount): void {
    if (maxAmount <= 0) return;
    this.add(resource, key, sku, amount, maxAmount, { usage: true });
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;
