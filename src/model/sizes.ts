// What each size class means on each target. One table, read by the renderers and the docs.
import type { Size } from "./types.js";

export interface SizeRow {
  azurePostgres: { sku: string; tier: "Burstable" | "GeneralPurpose" | "MemoryOptimized" };
  azureRedis: { name: "Basic" | "Standard" | "Premium"; family: "C" | "P"; capacity: number };
  awsPostgres: string;
  awsRedis: string;
  doDatabase: string;
  /** Container size for App Service plans / Fargate tasks is per service (resources), not here. */
}

export const SIZES: Record<Size, SizeRow> = {
  xs: {
    azurePostgres: { sku: "Standard_B1ms", tier: "Burstable" },
    azureRedis: { name: "Basic", family: "C", capacity: 0 },
    awsPostgres: "db.t4g.micro",
    awsRedis: "cache.t4g.micro",
    doDatabase: "db-s-1vcpu-1gb",
  },
  s: {
    azurePostgres: { sku: "Standard_B2s", tier: "Burstable" },
    azureRedis: { name: "Standard", family: "C", capacity: 1 },
    awsPostgres: "db.t4g.small",
    awsRedis: "cache.t4g.small",
    doDatabase: "db-s-1vcpu-2gb",
  },
  m: {
    azurePostgres: { sku: "Standard_D2ds_v5", tier: "GeneralPurpose" },
    azureRedis: { name: "Standard", family: "C", capacity: 2 },
    awsPostgres: "db.m6g.large",
    awsRedis: "cache.m6g.large",
    doDatabase: "db-s-2vcpu-4gb",
  },
  l: {
    azurePostgres: { sku: "Standard_D4ds_v5", tier: "GeneralPurpose" },
    azureRedis: { name: "Premium", family: "P", capacity: 1 },
    awsPostgres: "db.m6g.xlarge",
    awsRedis: "cache.m6g.xlarge",
    doDatabase: "db-s-4vcpu-8gb",
  },
  xl: {
    azurePostgres: { sku: "Standard_E4ds_v5", tier: "MemoryOptimized" },
    azureRedis: { name: "Premium", family: "P", capacity: 2 },
    awsPostgres: "db.r6g.xlarge",
    awsRedis: "cache.r6g.xlarge",
    doDatabase: "db-s-8vcpu-16gb",
  },
};
