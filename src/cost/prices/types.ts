// The shape of a cloud's price table: every price says where it was read and when, so a reviewer can
// check it against the provider's page and `docs/cost.md` can say how to refresh it.

/** What a price is per: an hour of a running resource, a month, or a unit of usage. */
export type PriceUnit =
  | "hour"
  | "month"
  | "day"
  | "GB"
  | "GB-month"
  | "GB-hour"
  | "vCPU-hour"
  | "LCU-hour"
  | "million requests"
  | "test run"
  | "partition-hour";

export interface Price {
  usd: number;
  unit: PriceUnit;
  /** The provider's pricing page or price list the figure belongs to. */
  source: string;
  /**
   * The page where the figure itself was read, when it could be confirmed (a provider page or a
   * dated third-party summary of it). Absent: the figure could not be confirmed when the table was
   * last read and must be checked first when the table is refreshed (docs/cost.md).
   */
  confirmed?: string;
  /** Usage that the provider gives free each month (per account or per resource), in `unit`. */
  free?: number;
  note?: string;
}

export interface PriceTable {
  cloud: string;
  currency: "USD";
  /** The date the table was read (YYYY-MM-DD). */
  read: string;
  /** The regions these prices are for. */
  regions: string[];
  /** What an estimate for any other region uses, and how far off that may be. */
  fallback: string;
  prices: Record<string, Price>;
}

/** The price of `key`, or undefined when the table has none (the estimate then says so). */
export const priceOf = (table: PriceTable, key: string): Price | undefined => table.prices[key];
