// What each size class of the spec means on Azure: the Flexible Server SKU of a PostgreSQL server and
// the Azure Cache for Redis SKU. Read by ./decisions.ts (main.bicep, the checks) and by the spec reference.
import type { Size } from "../../model/types.js";
import type { SizeColumn } from "../target.js";

export interface AzureSizeRow {
  postgres: { sku: string; tier: "Burstable" | "GeneralPurpose" | "MemoryOptimized" };
  redis: { name: "Basic" | "Standard" | "Premium"; family: "C" | "P"; capacity: number };
}

export const AZURE_SIZES: Record<Size, AzureSizeRow> = {
  xs: {
    postgres: { sku: "Standard_B1ms", tier: "Burstable" },
    redis: { name: "Basic", family: "C", capacity: 0 },
  },
  s: {
    postgres: { sku: "Standard_B2s", tier: "Burstable" },
    redis: { name: "Standard", family: "C", capacity: 1 },
  },
  m: {
    postgres: { sku: "Standard_D2ds_v5", tier: "GeneralPurpose" },
    redis: { name: "Standard", family: "C", capacity: 2 },
  },
  l: {
    postgres: { sku: "Standard_D4ds_v5", tier: "GeneralPurpose" },
    redis: { name: "Premium", family: "P", capacity: 1 },
  },
  xl: {
    postgres: { sku: "Standard_E4ds_v5", tier: "MemoryOptimized" },
    redis: { name: "Premium", family: "P", capacity: 2 },
  },
};

/** The columns of the spec reference's size table. */
export const AZURE_SIZE_COLUMNS: SizeColumn[] = [
  {
    heading: "Azure PostgreSQL",
    cell: (s) => `${AZURE_SIZES[s].postgres.sku} (${AZURE_SIZES[s].postgres.tier})`,
  },
  {
    heading: "Azure Redis",
    cell: (s) =>
      `${AZURE_SIZES[s].redis.name} ${AZURE_SIZES[s].redis.family}${AZURE_SIZES[s].redis.capacity}`,
  },
];
