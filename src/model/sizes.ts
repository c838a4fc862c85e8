// What each size class means on each target. One table, read by the renderers and the docs.
import type { Size } from "./types.js";

export interface SizeRow {
  /** In-cluster StatefulSet resources (Kubernetes, hosting: cluster). */
  kubernetes: { cpu: string; memory: string };
  awsPostgres: string;
  awsRedis: string;
  doDatabase: string;
  /** Container size for App Service plans / Fargate tasks is per service (resources), not here. */
}

export const SIZES: Record<Size, SizeRow> = {
  xs: {
    kubernetes: { cpu: "250m", memory: "512Mi" },
    awsPostgres: "db.t4g.micro",
    awsRedis: "cache.t4g.micro",
    doDatabase: "db-s-1vcpu-1gb",
  },
  s: {
    kubernetes: { cpu: "500m", memory: "1Gi" },
    awsPostgres: "db.t4g.small",
    awsRedis: "cache.t4g.small",
    doDatabase: "db-s-1vcpu-2gb",
  },
  m: {
    kubernetes: { cpu: "1", memory: "2Gi" },
    awsPostgres: "db.m6g.large",
    awsRedis: "cache.m6g.large",
    doDatabase: "db-s-2vcpu-4gb",
  },
  l: {
    kubernetes: { cpu: "2", memory: "4Gi" },
    awsPostgres: "db.m6g.xlarge",
    awsRedis: "cache.m6g.xlarge",
    doDatabase: "db-s-4vcpu-8gb",
  },
  xl: {
    kubernetes: { cpu: "4", memory: "8Gi" },
    awsPostgres: "db.r6g.xlarge",
    awsRedis: "cache.r6g.xlarge",
    doDatabase: "db-s-8vcpu-16gb",
  },
};
