// What each size class means on each target. One table, read by the renderers and the docs.
import type { Size } from "./types.js";

export interface SizeRow {
  azurePostgres: { sku: string; tier: "Burstable" | "GeneralPurpose" | "MemoryOptimized" };
  azureRedis: { name: "Basic" | "Standard" | "Premium"; family: "C" | "P"; capacity: number };
  /** Container size for App Service plans / Fargate tasks is per service (resources), not here. */
}

export const SIZES: Record<Size, SizeRow> = {
  xs: {
    azurePostgres: { sku: "Standard_B1ms", tier: "Burstable" },
    azureRedis: { name: "Basic", family: "C", capacity: 0 },
  },
  s: {
    azurePostgres: { sku: "Standard_B2s", tier: "Burstable" },
    azureRedis: { name: "Standard", family: "C", capacity: 1 },
  },
  m: {
    azurePostgres: { sku: "Standard_D2ds_v5", tier: "GeneralPurpose" },
    azureRedis: { name: "Standard", family: "C", capacity: 2 },
  },
  l: {
    azurePostgres: { sku: "Standard_D4ds_v5", tier: "GeneralPurpose" },
    azureRedis: { name: "Premium", family: "P", capacity: 1 },
  },
  xl: {
    azurePostgres: { sku: "Standard_E4ds_v5", tier: "MemoryOptimized" },
    azureRedis: { name: "Premium", family: "P", capacity: 2 },
  },
};
