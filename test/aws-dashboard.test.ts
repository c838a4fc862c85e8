// The AWS target's CloudWatch dashboard: every metric it charts, and every metric an alarm reads, is
// one AWS publishes in that namespace with those dimensions; one widget group per load balancer,
// service, database, cache and distribution; environments that lack a module slice its widgets away.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadSpec } from "../src/model/load.js";
import { awsTarget, buildAws } from "../src/targets/aws/index.js";
import { dashboardGroups } from "../src/targets/aws/dashboard.js";
import { awsShape } from "../src/targets/aws/shape.js";
import { attr, findBlocks, literal, readHcl } from "../src/targets/terraform/read-hcl.js";
import { checkTerraform, formatSchemaProblems } from "../src/validate/terraform-schema.js";
import { CTX, DIFFERING } from "./aws-environments-spec.js";
import { EXAMPLES, exampleContext, loadExample } from "./helpers.js";

/**
 * What AWS publishes, by namespace: metric names and the dimension set we chart them by. From the
 * service guides' metric tables: ELB "CloudWatch metrics for your Application Load Balancer", ECS
 * "Amazon ECS CloudWatch metrics" and "Container Insights metrics", RDS "Amazon CloudWatch metrics for
 * Amazon RDS", ElastiCache "Host-level metrics" / "Metrics for Redis OSS", CloudFront "Viewing
 * CloudFront distribution metrics" (us-east-1, Region=Global).
 */
const PUBLISHED: Record<string, { metrics: string[]; dimensions: string[][] }> = {
  "AWS/ApplicationELB": {
    metrics: ["RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count", "TargetResponseTime"],
    dimensions: [["LoadBalancer"], ["LoadBalancer", "TargetGroup"]],
  },
  "AWS/ECS": {
    metrics: ["CPUUtilization", "MemoryUtilization"],
    dimensions: [["ClusterName", "ServiceName"]],
  },
  "ECS/ContainerInsights": {
    metrics: ["RunningTaskCount", "DesiredTaskCount"],
    dimensions: [["ClusterName", "ServiceName"]],
  },
  "AWS/RDS": {
    metrics: ["CPUUtilization", "DatabaseConnections", "FreeStorageSpace"],
    dimensions: [["DBInstanceIdentifier"]],
  },
  "AWS/ElastiCache": {
    metrics: ["EngineCPUUtilization", "DatabaseMemoryUsagePercentage"],
    dimensions: [["CacheClusterId"]],
  },
  "AWS/CloudFront": {
    metrics: ["Requests", "5xxErrorRate", "4xxErrorRate"],
    dimensions: [["DistributionId", "Region"]],
  },
  "AWS/Route53": { metrics: ["HealthCheckStatus"], dimensions: [["HealthCheckId"]] },
};

function assertPublished(where: string, namespace: string, metric: string, dims: string[]): void {
  const p = PUBLISHED[namespace];
  assert.ok(p, `${where}: namespace ${namespace}`);
  assert.ok(p.metrics.includes(metric), `${where}: ${namespace} ${metric}`);
  assert.ok(
    p.dimensions.some((d) => d.join() === dims.join()),
    `${where}: ${namespace} ${metric} by ${dims.join(", ")}`,
  );
}

describe("aws dashboard", () => {
  for (const ex of EXAMPLES) {
    it(`${ex}: charts only metrics AWS publishes, with their dimensions`, () => {
      const shape = awsShape(loadExample(ex).project);
      const groups = dashboardGroups(shape);
      assert.equal(
        groups.length,
        (shape.publicServices.length ? 1 : 0) +
          shape.services.length +
          shape.postgres.length +
          shape.redis.length +
          shape.sites.length,
      );
      for (const w of groups.flatMap((g) => g.widgets)) {
        const metrics = [...w.metrics, ...(w.each ? [w.each.item("node")] : [])];
        assert.ok(metrics.length > 0, w.title);
        for (const m of metrics)
          assertPublished(
            w.title,
            m.namespace,
            m.metric,
            m.dimensions.map(([d]) => d),
          );
      }
    });

    it(`${ex}: every alarm reads a metric AWS publishes`, () => {
      const tree = awsTarget.render(loadExample(ex).project, exampleContext(ex));
      let read = 0;
      for (const file of ["modules/service/main.tf", "modules/availability/main.tf"]) {
        if (!tree[file]) continue;
        for (const a of findBlocks(readHcl(tree[file]), "resource", "aws_cloudwatch_metric_alarm")) {
          const queries = a.blocks.filter((b) => b.type === "metric_query").flatMap((q) => q.blocks);
          const metrics = queries.length ? queries : [a];
          for (const m of metrics) {
            const dims = [...(attr(m, "dimensions")?.text ?? "").matchAll(/^\s*(\w+)\s*=/gm)].map(
              (x) => x[1]!,
            );
            read++;
            assertPublished(
              `${file} ${a.labels.join(".")}`,
              literal(attr(m, "namespace")!.text) as string,
              literal(attr(m, "metric_name")!.text) as string,
              dims,
            );
          }
        }
      }
      // cpu, memory, latency_p95 and the two counts of error_rate, and the availability alarm.
      assert.equal(read, 6);
    });
  }

  it("storefront: the dashboard is in main.tf, its URL an output", () => {
    const tree = awsTarget.render(loadExample("storefront").project, exampleContext("storefront"));
    const main = readHcl(tree["main.tf"]!);
    const d = findBlocks(main, "resource", "aws_cloudwatch_dashboard", "this")[0];
    assert.ok(d);
    assert.equal(attr(d, "dashboard_name")!.text, "local.name");
    assert.match(attr(d, "dashboard_body")!.text, /^jsonencode\(/);
    assert.match(tree["outputs.tf"]!, /output "dashboard_url"/);
  });

  it("slices away the widgets of what an environment lacks, and passes the schema check", () => {
    const { project } = loadSpec("gantry.yaml", DIFFERING);
    assert.equal(formatSchemaProblems(checkTerraform(buildAws(project, CTX).hcl)), "");
    const main = awsTarget.render(project, CTX)["main.tf"]!;
    const body = attr(
      findBlocks(readHcl(main), "resource", "aws_cloudwatch_dashboard", "this")[0],
      "dashboard_body",
    )!.text;
    assert.match(body, /slice\(\[/);
    assert.match(body, /one\(module\.postgres_analytics\[\*\]\.identifier\)/);
    assert.doesNotMatch(body, /module\.[a-z_]+\[0\]/);
  });
});
