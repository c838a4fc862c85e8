// What the AWS target provisions for one environment, priced: Fargate tasks (sized like the task
// definitions, src/targets/terraform/units.ts), the load balancer, NAT gateways and public addresses
// of the network, RDS, ElastiCache, MSK Serverless, CloudFront, S3, secrets, keys, logs, alarms and
// health checks.
import { isService, isStatic } from "../model/queries.js";
import type { AppModel, ProjectModel } from "../model/types.js";
import { seconds } from "../util/duration.js";
import { awsOptions, awsShape, publicIn } from "../targets/aws/shape.js";
import { AWS_SIZES } from "../targets/aws/sizes.js";
import { fargateSize } from "../targets/terraform/units.js";
import { Bill } from "./bill.js";
import { AWS_PRICES } from "./prices/aws.js";

export function awsBill(project: ProjectModel, m: AppModel): { bill: Bill; region: string } {
  const bill = new Bill(AWS_PRICES, m.cost.assumptions);
  computeItems(bill, m);
  networkItems(bill, m);
  dataItems(bill, m);
  platformItems(bill, project, m);
  return { bill, region: awsOptions(m).region };
}

function computeItems(bill: Bill, m: AppModel): void {
  for (const s of Object.values(m.services).filter(isService)) {
    const size = fargateSize(s.resources.limits.cpu, s.resources.limits.memory);
    const [min, max] = [s.scale.min, Math.max(s.scale.min, s.scale.max)];
    const sku = `${size.cpu / 1024} vCPU, ${size.memory / 1024} GB`;
    bill.running(`${s.name} Fargate tasks (vCPU)`, "fargate/vcpu", sku, min, max, size.cpu / 1024);
    bill.running(`${s.name} Fargate tasks (memory)`, "fargate/memory", sku, min, max, size.memory / 1024);
  }
  for (const j of Object.values(m.services)) {
    if (j.type !== "job") continue;
    const size = fargateSize(j.resources.limits.cpu, j.resources.limits.memory);
    // One run a day, as long as its timeout allows: an upper bound for a daily job.
    const share = Math.min(1, (seconds(j.timeout) || 3600) / 86400);
    const sku = `${size.cpu / 1024} vCPU, ${size.memory / 1024} GB`;
    bill.running(`${j.name} Fargate job (vCPU)`, "fargate/vcpu", sku, share, share, size.cpu / 1024);
    bill.running(`${j.name} Fargate job (memory)`, "fargate/memory", sku, share, share, size.memory / 1024);
  }
  if (Object.values(m.services).some((s) => s.type === "job"))
    bill.notes.push("Each scheduled job is priced as one run a day lasting its whole timeout.");
}

function networkItems(bill: Bill, m: AppModel): void {
  const { availability_zones: zones } = awsOptions(m);
  const a = m.cost.assumptions;
  const nats = m.environment.tier === "production" ? zones : 1;
  bill.running("NAT gateways", "nat/hour", "NAT gateway", nats);
  bill.usage("NAT gateway data", "nat/data", "processed", a.egress_gb);
  let addresses = nats;
  if (publicIn(m).length) {
    bill.running("application load balancer", "alb/hour", "ALB", 1);
    // LCUs: the larger of new connections (25 a second each) and bytes (1 GB an hour each).
    const hours = a.hours_per_month;
    const perSecond = (a.requests_millions * 1e6) / (hours * 3600);
    const lcu = Math.max(perSecond / 25, a.egress_gb / hours);
    bill.usage("load balancer capacity units", "alb/lcu", "LCU", lcu * hours);
    addresses += zones;
  }
  bill.running("public IPv4 addresses", "ipv4/hour", "IPv4", addresses);
  bill.usage("internet egress", "egress/internet", "egress", a.egress_gb);
}

function dataItems(bill: Bill, m: AppModel): void {
  for (const p of Object.values(m.postgres)) {
    const cls = AWS_SIZES[p.size].postgres;
    const copies = p.ha ? 2 : 1;
    bill.running(`${p.name} RDS PostgreSQL${p.ha ? " (Multi-AZ)" : ""}`, `rds/${cls}`, cls, copies);
    const gb = Math.max(20, p.storage_gb);
    bill.monthly(`${p.name} RDS storage`, "rds/storage", `${gb} GB gp3`, gb * copies);
    if (p.backups.enabled && p.backups.geo_redundant)
      bill.monthly(`${p.name} replicated backups`, "rds/backup", `${gb} GB`, gb);
  }
  for (const r of Object.values(m.redis)) {
    const node = AWS_SIZES[r.size].redis;
    const nodes = r.ha ? 2 : 1;
    bill.running(`${r.name} ElastiCache nodes`, `elasticache/${node}`, node, nodes);
  }
  const topics = Object.values(m.topics);
  if (topics.length) {
    bill.running("MSK Serverless cluster", "msk/serverless-cluster", "serverless", 1);
    const partitions = topics.reduce((n, t) => n + t.partitions, 0);
    bill.running("MSK partitions", "msk/serverless-partition", `${partitions} partitions`, partitions);
  }
  const buckets = Object.keys(m.buckets).length;
  if (buckets) bill.usage("S3 storage", "s3/storage", "S3 Standard", m.cost.assumptions.storage_gb * buckets);
}

function platformItems(bill: Bill, project: ProjectModel, m: AppModel): void {
  const a = m.cost.assumptions;
  const sites = Object.values(m.services).filter(isStatic);
  if (sites.length) bill.usage("CloudFront requests", "cloudfront/requests", "HTTPS", a.requests_millions);
  const shape = awsShape(project);
  const secrets = shape.secrets.length + 2 * Object.keys(m.postgres).length + 2 * Object.keys(m.redis).length;
  bill.monthly("Secrets Manager secrets", "secrets/secret", "secret", secrets);
  const geo = Object.values(m.postgres).some((p) => p.backups.enabled && p.backups.geo_redundant);
  bill.monthly("KMS keys", "kms/key", "customer managed key", geo ? 2 : 1);
  bill.usage("CloudWatch log ingestion", "cloudwatch/logs", "logs", a.log_gb);
  const alarms = Object.values(m.monitoring.alerts).filter((x) =>
    ["error_rate", "latency_p95", "cpu", "memory"].includes(x.metric),
  ).length;
  bill.monthly("CloudWatch alarms", "cloudwatch/alarm", "alarm", alarms);
  const checked = [...publicIn(m), ...sites].length;
  if (m.monitoring.availability.enabled && checked) {
    bill.monthly("Route 53 health checks", "route53/health-check", "health check", checked);
    if (seconds(m.monitoring.availability.interval) < 30)
      bill.monthly("fast health-check interval", "route53/fast-interval", "10 s interval", checked);
  }
  bill.usage("ECR image storage", "ecr/storage", "images", a.registry_gb);
}
