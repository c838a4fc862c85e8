// What each size class of the spec means on AWS: the RDS instance class and the ElastiCache node
// type. Container sizes of Fargate tasks come from each service's resources, not from here.
import type { Size } from "../../model/types.js";
import type { SizeColumn } from "../target.js";

export const AWS_SIZES: Record<Size, { postgres: string; redis: string }> = {
  xs: { postgres: "db.t4g.micro", redis: "cache.t4g.micro" },
  s: { postgres: "db.t4g.small", redis: "cache.t4g.small" },
  m: { postgres: "db.m6g.large", redis: "cache.m6g.large" },
  l: { postgres: "db.m6g.xlarge", redis: "cache.m6g.xlarge" },
  xl: { postgres: "db.r6g.xlarge", redis: "cache.r6g.xlarge" },
};

/** The columns of the spec reference's size table. */
export const AWS_SIZE_COLUMNS: SizeColumn[] = [
  { heading: "AWS RDS", cell: (s) => AWS_SIZES[s].postgres },
  { heading: "AWS ElastiCache", cell: (s) => AWS_SIZES[s].redis },
];
