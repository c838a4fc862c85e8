// AWS prices: on-demand, Linux x86, US dollars, us-east-1. Figures without `confirmed` could not be
// confirmed when the table was read; docs/cost.md says how to refresh them from the Price List API.
import { infracostGolden } from "./sources.js";
import type { Price, PriceTable } from "./types.js";

const FARGATE = "https://aws.amazon.com/fargate/pricing/";
const ELB = "https://aws.amazon.com/elasticloadbalancing/pricing/";
const VPC = "https://aws.amazon.com/vpc/pricing/";
const RDS = "https://aws.amazon.com/rds/postgresql/pricing/";
const ELASTICACHE = "https://aws.amazon.com/elasticache/pricing/";
const CLOUDFRONT = "https://aws.amazon.com/cloudfront/pricing/";
const S3 = "https://aws.amazon.com/s3/pricing/";
const SECRETS = "https://aws.amazon.com/secrets-manager/pricing/";
const KMS = "https://aws.amazon.com/kms/pricing/";
const CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/";
const ROUTE53 = "https://aws.amazon.com/route53/pricing/";
const ECR = "https://aws.amazon.com/ecr/pricing/";
const MSK = "https://aws.amazon.com/msk/pricing/";
const EC2 = "https://aws.amazon.com/ec2/pricing/on-demand/";
const EKS = "https://aws.amazon.com/eks/pricing/";

/** A dated (3 October 2022) copy of the MSK Serverless price dimensions; it names no region. */
const MSK_SERVERLESS_SUMMARY = "https://gist.github.com/EverettBerry/d24aa940ad43c313803248cea6366682";
const VANTAGE = "https://www.vantage.sh/blog/fargate-pricing";
const ELB_SUMMARY = "https://awsnegotiations.com/elastic-load-balancer-cost.html";
const RDS_SUMMARY = "https://infratally.com/articles/aws-rds-pricing-explained-2026.html";
const RDS_STORAGE = "https://www.usage.ai/blogs/aws/reserved-instances/rds/pricing-calculator/";

// Infracost's tests run in us-east-1 (their provider block says so); each figure is the test's line item
// divided by its quantity.
const INFRACOST_NAT = infracostGolden("aws", "153fa9d9fc5eb28b59dd5ed7f7d09c704336ff66", "nat_gateway_test");
const INFRACOST_SECRETS = infracostGolden(
  "aws",
  "01c59b17a6fbaab511ccab5fb75ce760ad694eef",
  "secretsmanager_secret_test",
);
const INFRACOST_HEALTH = infracostGolden(
  "aws",
  "01c59b17a6fbaab511ccab5fb75ce760ad694eef",
  "route53_health_check_test",
);
const INFRACOST_ELASTICACHE = infracostGolden(
  "aws",
  "0e62cef002601bdc30a70cafd98ed95f7d3642ae",
  "elasticache_replication_group_test",
);
const INFRACOST_EIP = infracostGolden("aws", "1e3bb283c4c33bbf80bd363f4a2714a3520ea146", "eip_test");
const INFRACOST_S3 = infracostGolden("aws", "068dadf971dac888ad2330295c4d59d42027f935", "s3_bucket_test");
const INFRACOST_KMS = infracostGolden("aws", "728ec2c3d364759fa9a418d857b2017ff5c8b328", "kms_key_test");
const INFRACOST_LOGS = infracostGolden(
  "aws",
  "25994726439bcf0e3e585237c275f7a732a65575",
  "cloudwatch_log_group_test",
);
const INFRACOST_ALARM = infracostGolden(
  "aws",
  "25994726439bcf0e3e585237c275f7a732a65575",
  "cloudwatch_metric_alarm_test",
);
const INFRACOST_ECR = infracostGolden(
  "aws",
  "01c59b17a6fbaab511ccab5fb75ce760ad694eef",
  "ecr_repository_test",
);
const INFRACOST_TRANSFER = infracostGolden(
  "aws",
  "01c59b17a6fbaab511ccab5fb75ce760ad694eef",
  "data_transfer_test",
);
const INFRACOST_EKS = infracostGolden("aws", "027bec33d4836acb33a90ea902d8255869e9077f", "eks_cluster_test");
const INFRACOST_EC2 = infracostGolden("aws", "027bec33d4836acb33a90ea902d8255869e9077f", "instance_test");
const INFRACOST_CLOUDFRONT = infracostGolden(
  "aws",
  "04322d699e8bbc5f2658a22508dd3e28c9533a91",
  "cloudfront_distribution_test",
);
/** Within an instance family AWS prices each size in proportion to its vCPUs; this figure is derived so. */
const FROM_12XLARGE = "Derived from cache.m6g.12xlarge ($3.557 an hour, 24 times a large).";

const hourly = (usd: number, source: string, extra: Partial<Price> = {}): Price => ({
  usd,
  unit: "hour",
  source,
  ...extra,
});

export const AWS_PRICES: PriceTable = {
  cloud: "aws",
  currency: "USD",
  read: "2026-12-07",
  regions: ["us-east-1"],
  fallback:
    "Every other region is priced at us-east-1 rates, usually the cheapest; other regions cost up to about 30 % more, so the estimate says when it used them.",
  prices: {
    "fargate/vcpu": { usd: 0.04048, unit: "vCPU-hour", source: FARGATE, confirmed: VANTAGE },
    "fargate/memory": { usd: 0.004445, unit: "GB-hour", source: FARGATE, confirmed: VANTAGE },
    "alb/hour": hourly(0.0225, ELB, { confirmed: ELB_SUMMARY }),
    "alb/lcu": { usd: 0.008, unit: "LCU-hour", source: ELB, confirmed: ELB_SUMMARY },
    "nat/hour": hourly(0.045, VPC, { confirmed: INFRACOST_NAT }),
    "nat/data": {
      usd: 0.045,
      unit: "GB",
      source: VPC,
      confirmed: INFRACOST_NAT,
      note: "Data processed by the NAT gateway.",
    },
    "ipv4/hour": hourly(0.005, VPC, {
      confirmed: INFRACOST_EIP,
      note: "Each public IPv4 address, in use or idle (the test's Elastic IP, 730 hours for $3.65).",
    }),
    "rds/db.t4g.micro": hourly(0.016, RDS, { confirmed: RDS_SUMMARY }),
    "rds/db.t4g.small": hourly(0.032, RDS, { confirmed: RDS_SUMMARY }),
    "rds/db.m6g.large": hourly(0.152, RDS),
    "rds/db.m6g.xlarge": hourly(0.304, RDS),
    "rds/db.r6g.xlarge": hourly(0.43, RDS),
    "rds/storage": {
      usd: 0.115,
      unit: "GB-month",
      source: RDS,
      confirmed: RDS_STORAGE,
      note: "gp3, Single-AZ; Multi-AZ bills the standby's storage too.",
    },
    "rds/backup": {
      usd: 0.095,
      unit: "GB-month",
      source: RDS,
      confirmed: RDS_STORAGE,
      note: "Backup storage beyond the provisioned size; replicated backups are billed in the other region.",
    },
    "elasticache/cache.t4g.micro": hourly(0.016, ELASTICACHE),
    "elasticache/cache.t4g.small": hourly(0.032, ELASTICACHE),
    "elasticache/cache.m6g.large": hourly(0.148, ELASTICACHE, {
      confirmed: INFRACOST_ELASTICACHE,
      note: FROM_12XLARGE,
    }),
    "elasticache/cache.m6g.xlarge": hourly(0.296, ELASTICACHE, {
      confirmed: INFRACOST_ELASTICACHE,
      note: FROM_12XLARGE,
    }),
    "elasticache/cache.r6g.xlarge": hourly(0.411, ELASTICACHE),
    "cloudfront/egress": {
      usd: 0.085,
      unit: "GB",
      source: CLOUDFRONT,
      confirmed: INFRACOST_CLOUDFRONT,
      free: 1000,
      note: "North America; 1 TB a month free (always-free tier).",
    },
    "cloudfront/requests": {
      usd: 1,
      unit: "million requests",
      source: CLOUDFRONT,
      confirmed: INFRACOST_CLOUDFRONT,
      free: 10,
      note: "HTTPS requests ($0.0100 per 10,000); 10 million a month free.",
    },
    "s3/storage": {
      usd: 0.023,
      unit: "GB-month",
      source: S3,
      confirmed: INFRACOST_S3,
      note: "S3 Standard, first 50 TB.",
    },
    "secrets/secret": { usd: 0.4, unit: "month", source: SECRETS, confirmed: INFRACOST_SECRETS },
    "kms/key": { usd: 1, unit: "month", source: KMS, confirmed: INFRACOST_KMS },
    "cloudwatch/logs": {
      usd: 0.5,
      unit: "GB",
      source: CLOUDWATCH,
      confirmed: INFRACOST_LOGS,
      note: "Log ingestion (standard class).",
    },
    "cloudwatch/alarm": {
      usd: 0.1,
      unit: "month",
      source: CLOUDWATCH,
      confirmed: INFRACOST_ALARM,
      note: "Standard-resolution metric alarm.",
    },
    "route53/health-check": {
      usd: 0.5,
      unit: "month",
      source: ROUTE53,
      confirmed: INFRACOST_HEALTH,
      note: "Health check of an AWS endpoint; a fast (10 s) interval adds $1.00.",
    },
    "route53/fast-interval": {
      usd: 1,
      unit: "month",
      source: ROUTE53,
      confirmed: INFRACOST_HEALTH,
      note: "One of the health check's optional features, each $1.00 a month for an AWS endpoint.",
    },
    "ecr/storage": { usd: 0.1, unit: "GB-month", source: ECR, confirmed: INFRACOST_ECR },
    "msk/serverless-cluster": hourly(0.75, MSK, {
      confirmed: MSK_SERVERLESS_SUMMARY,
      note: "Compute-hours of a serverless cluster; the summary does not say which region it read.",
    }),
    "msk/serverless-partition": {
      usd: 0.0015,
      unit: "partition-hour",
      source: MSK,
      confirmed: MSK_SERVERLESS_SUMMARY,
    },
    "egress/internet": {
      usd: 0.09,
      unit: "GB",
      source: EC2,
      confirmed: INFRACOST_TRANSFER,
      free: 100,
      note: "Data transfer out to the internet; the first 100 GB a month are free.",
    },
    "eks/cluster": hourly(0.1, EKS, {
      confirmed: INFRACOST_EKS,
      note: "Per cluster on standard Kubernetes version support.",
    }),
    "ec2/m6i.large": hourly(0.096, EC2),
    "ec2/m6i.xlarge": hourly(0.192, EC2),
    "nlb/hour": hourly(0.0225, ELB, { confirmed: ELB_SUMMARY }),
    "ebs/gp3": {
      usd: 0.08,
      unit: "GB-month",
      source: "https://aws.amazon.com/ebs/pricing/",
      confirmed: INFRACOST_EC2,
    },
  },
};
