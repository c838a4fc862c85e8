// The AWS target: golden trees, determinism, the provider-schema check, HCL parsing, what the
// generated Terraform must contain, no secret values, and `gantry synth aws --check`.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "@cdktf/hcl2json";
import { awsTarget, buildAws } from "../src/targets/aws/index.js";
import { checkTerraform, formatSchemaProblems } from "../src/validate/terraform-schema.js";
import { EXAMPLES, exampleContext, expectGoldenTree, loadExample, runCli, tempDir } from "./helpers.js";
import type { FileTree } from "../src/targets/target.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const render = (ex: string): FileTree => awsTarget.render(loadExample(ex).project, exampleContext(ex));

describe("aws target", () => {
  for (const ex of EXAMPLES) {
    it(`${ex}: matches the golden tree`, () => {
      expectGoldenTree(awsTarget, ex, render(ex));
    });

    it(`${ex}: renders byte-identical output twice`, () => {
      assert.deepEqual(render(ex), render(ex));
    });

    it(`${ex}: every block matches the AWS provider schema (6.19)`, () => {
      const p = buildAws(loadExample(ex).project, exampleContext(ex));
      const problems = checkTerraform(p.hcl);
      assert.equal(formatSchemaProblems(problems), "");
      assert.ok(Object.keys(p.hcl).length > 20);
    });

    it(`${ex}: every .tf and .tfvars file parses as HCL`, async () => {
      const tree = render(ex);
      const files = Object.keys(tree).filter(
        (f) => f.endsWith(".tf") || f.endsWith(".tfvars") || f.endsWith(".tfbackend"),
      );
      assert.ok(files.length > 20);
      for (const f of files) {
        const parsed = (await parse(f, tree[f]!)) as Record<string, unknown>;
        assert.equal(typeof parsed, "object", f);
      }
    });

    it(`${ex}: has tfvars and a backend config per environment`, () => {
      const tree = render(ex);
      for (const e of loadExample(ex).project.environments) {
        const n = e.environment.name;
        assert.match(
          tree[`environments/${n}.tfvars`] ?? "",
          new RegExp(`^environment\\s+= "${n}"$`, "m"),
          `environments/${n}.tfvars`,
        );
        assert.match(
          tree[`environments/${n}.s3.tfbackend`] ?? "",
          new RegExp(`key    = "${e.name}/${n}/terraform.tfstate"`),
        );
      }
    });
  }

  it("storefront: writes the layout the issue asks for", () => {
    const tree = render("storefront");
    for (const f of [
      "versions.tf",
      "backend.tf",
      "main.tf",
      "variables.tf",
      "outputs.tf",
      "README.md",
      "environments/staging.tfvars",
      "environments/production.tfvars",
    ])
      assert.ok(f in tree, f);
    for (const m of [
      "network",
      "security",
      "registry",
      "cluster",
      "load_balancer",
      "service",
      "postgres",
      "redis",
      "static_site",
      "bucket",
      "monitoring",
      "ci",
      "budget",
      "secrets",
      "kms",
    ]) {
      for (const f of ["main.tf", "variables.tf", "outputs.tf", "versions.tf"])
        assert.ok(`modules/${m}/${f}` in tree, `modules/${m}/${f}`);
    }
    assert.match(tree["versions.tf"]!, /source {2}= "hashicorp\/aws"\n\s+version = "~> 6\.19"/);
    assert.match(tree["backend.tf"]!, /backend "s3" \{\n\s+encrypt\s+= true\n\s+use_lockfile = true/);
  });

  it("storefront: outputs what the pipelines read", () => {
    const outputs = render("storefront")["outputs.tf"]!;
    for (const o of [
      "ecs_cluster_name",
      "api_service_name",
      "api_task_family",
      "web_bucket",
      "web_distribution_id",
      "ecr_repository_urls",
      "deploy_role_arn",
    ]) {
      assert.match(outputs, new RegExp(`output "${o}" \\{`), o);
    }
    assert.match(outputs, /replace\(k, "-", "_"\) => r\.repository_url/);
  });

  it("todo: names outputs of dashed services with underscores", () => {
    const outputs = render("todo")["outputs.tf"]!;
    assert.match(outputs, /output "sse_gateway_service_name"/);
    assert.match(outputs, /output "sse_gateway_task_family"/);
  });

  it("storefront: per-environment values differ only in tfvars", () => {
    const tree = render("storefront");
    const staging = tree["environments/staging.tfvars"]!;
    const production = tree["environments/production.tfvars"]!;
    assert.match(production, /multi_az\s+= true/);
    assert.match(staging, /multi_az\s+= false/);
    assert.match(production, /deletion_protection\s+= true/);
    assert.match(staging, /deletion_protection\s+= false/);
    assert.match(production, /domains\s+= \["api\.shop\.example\.com"\]/);
    assert.match(staging, /domains\s+= \["api\.staging\.shop\.example\.com"\]/);
    assert.match(production, /backup_retention_days = 30/);
    assert.match(production, /log_retention_days\s+= 90/);
    assert.doesNotMatch(tree["main.tf"]!, /staging|production/);
  });

  it("storefront: security and reliability settings are in the modules", () => {
    const tree = render("storefront");
    const svc = tree["modules/service/main.tf"]!;
    assert.match(svc, /deployment_circuit_breaker \{\n\s+enable\s+= true\n\s+rollback = true/);
    assert.match(svc, /deployment_minimum_healthy_percent = 100/);
    assert.match(svc, /deployment_maximum_percent\s+= 200/);
    assert.match(svc, /ECSServiceAverageCPUUtilization/);
    assert.match(svc, /ECSServiceAverageMemoryUtilization/);
    assert.match(svc, /logDriver = "awslogs"/);
    assert.match(svc, /valueFrom = arn/);
    assert.match(svc, /healthCheck = var\.health_check_path == null/);
    const ecr = tree["modules/registry/main.tf"]!;
    assert.match(ecr, /image_tag_mutability = "IMMUTABLE"/);
    assert.match(ecr, /scan_on_push = true/);
    assert.match(tree["modules/cluster/main.tf"]!, /name {2}= "containerInsights"\n\s+value = "enabled"/);
    const lb = tree["modules/load_balancer/main.tf"]!;
    assert.match(lb, /status_code = "HTTP_301"/);
    assert.match(lb, /validation_method\s+= "DNS"/);
    const pg = tree["modules/postgres/main.tf"]!;
    for (const re of [
      /storage_encrypted\s+= true/,
      /publicly_accessible\s+= false/,
      /deletion_protection\s+= var\.deletion_protection/,
      /multi_az\s+= var\.multi_az/,
      /password_wo\s+= ephemeral\.aws_secretsmanager_secret_version\.password\.secret_string/,
    ])
      assert.match(pg, re);
    const redis = tree["modules/redis/main.tf"]!;
    assert.match(redis, /transit_encryption_enabled = true/);
    assert.match(redis, /auth_token\s+= data\.aws_secretsmanager_secret_version\.auth_token\.secret_string/);
    assert.match(redis, /at_rest_encryption_enabled = "true"/);
    const site = tree["modules/static_site/main.tf"]!;
    assert.match(site, /origin_access_control_origin_type = "s3"/);
    assert.match(site, /viewer_protocol_policy\s+= "redirect-to-https"/);
    assert.match(site, /response_page_path\s+= "\/index\.html"/);
    const ci = tree["modules/ci/main.tf"]!;
    assert.match(
      ci,
      /"repo:\$\{var\.github_owner\}\/\$\{var\.github_repo\}:environment:\$\{var\.github_environment\}"/,
    );
    assert.doesNotMatch(ci, /:\*"\]/);
    assert.match(tree["main.tf"]!, /github_owner\s+= "example"\n\s+github_repo\s+= "storefront"/);
    assert.match(tree["modules/budget/main.tf"]!, /threshold_type\s+= "PERCENTAGE"/);
    assert.match(tree["environments/production.tfvars"]!, /thresholds {2}= \[80, 100\]/);
  });

  it("availability checks request each public endpoint's health path over HTTPS", () => {
    const tree = render("storefront");
    assert.match(
      tree["environments/production.tfvars"]!,
      /checks = \{\n\s+api = \{\n\s+fqdn = "api\.shop\.example\.com"\n\s+path = "\/health\/ready"/,
    );
    assert.match(tree["modules/availability/main.tf"]!, /type\s+= "HTTPS"/);
    assert.match(tree["modules/availability/main.tf"]!, /metric_name\s+= "HealthCheckStatus"/);
    assert.match(
      render("hello")["environments/dev.tfvars"]!,
      /fqdn = "hello\.localhost"\n\s+path = "\/api\/ready"/,
    );
  });

  it("security groups: the load balancer reaches services, services reach only the data stores they use", () => {
    const main = render("storefront")["main.tf"]!;
    assert.match(main, /"postgres-db" = \{\n\s+port\s+= 5432\n\s+clients = \["api"\]/);
    const sg = render("storefront")["modules/security/main.tf"]!;
    assert.match(sg, /resource "aws_vpc_security_group_ingress_rule" "datastore"/);
    assert.match(sg, /referenced_security_group_id = aws_security_group\.alb\[0\]\.id/);
    assert.doesNotMatch(sg, /ip_protocol\s+= "-1"/);
  });

  it("hello: a static site sharing its domain with the API routes the API paths to the load balancer", () => {
    const main = render("hello")["main.tf"]!;
    assert.match(
      main,
      /api_origin = \{\n\s+domain = "origin\.\$\{var\.static_sites\["web"\]\.domains\[0\]\}"\n\s+paths\s+= \["\/api", "\/api\/\*"\]/,
    );
  });

  it("todo: topics go to MSK Serverless with IAM access per topic", () => {
    const tree = render("todo");
    assert.ok("modules/kafka/main.tf" in tree);
    assert.match(tree["main.tf"]!, /kafka-cluster:WriteData/);
    assert.match(tree["README.md"]!, /--topic task-events --partitions 3/);
  });

  it("writes no secret value: credentials come from Secrets Manager, app secrets by ARN only", () => {
    const credential =
      /^\s*"?(\w*(?:secret_string|password|auth_token|secret_key|access_key|token)\w*)"?\s+= (.*)$/gm;
    for (const ex of EXAMPLES) {
      const tree = render(ex);
      const all = Object.values(tree).join("\n");
      // Generated in Secrets Manager, read back from there, or composed from what was read back.
      for (const m of all.matchAll(credential))
        if (!/_version$|_strategy$|_length$/.test(m[1]!))
          assert.match(
            m[2]!,
            /^(ephemeral\.aws_secretsmanager_(random_password|secret_version)\.|data\.aws_secretsmanager_secret_version\.|jsonencode\(\{$)/,
            `${ex}: ${m[0].trim()}`,
          );
      // Every write-only argument changes only with its version, so an apply never rewrites it unasked.
      assert.equal(all.match(/_wo\s+=/g)?.length, all.match(/_wo_version\s+=/g)?.length);
      for (const e of loadExample(ex).project.environments) {
        for (const s of Object.values(e.services)) {
          if (s.type === "static") continue;
          for (const name of s.secrets)
            assert.match(tree["main.tf"]!, new RegExp(`${name}\\s+= module\\.secrets\\.arns\\["${name}"\\]`));
        }
      }
    }
  });

  it("check() warns when a spec gives it nothing to scope the deploy role to, and about in-cluster databases", () => {
    const hello = awsTarget.check(loadExample("hello").project, exampleContext("hello"));
    assert.deepEqual(
      hello.map((p) => `${p.severity ?? "error"} ${p.path}: ${p.message}`),
      [
        "warning services.api.uses: api receives no PUBSUB_NAME or DAPR_HTTP_PORT on AWS: ECS runs no Dapr sidecar, so nothing publishes through Dapr or delivers events to subscription routes",
        "warning services.worker.subscribes: worker receives no PUBSUB_NAME or DAPR_HTTP_PORT on AWS: ECS runs no Dapr sidecar, so nothing publishes through Dapr or delivers events to subscription routes",
        "warning redis.cache.persistence: recovery.rpo is 15m, but Redis cache on Amazon ElastiCache can lose up to 24h of data (it takes one automatic snapshot a day and has no append-only file)",
        "warning ci.repository: no ci.repository: no GitHub deploy role is generated",
      ],
    );
    const todo = awsTarget.check(loadExample("todo").project, exampleContext("todo"));
    assert.ok(
      todo.some((p) => p.env === "staging" && p.path === "postgres.db.hosting" && p.severity === "warning"),
    );
    assert.ok(todo.every((p) => p.severity === "warning"));
  });

  it("gantry synth aws --check passes on the committed tree and names a drifted file", async () => {
    const ok = await runCli(["synth", "aws", "examples/storefront", "--check"]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /up to date/);
    const { dir, cleanup } = tempDir({
      "gantry.yaml": readFileSync(join("examples", "storefront", "gantry.yaml"), "utf8"),
    });
    try {
      const wrote = await runCli(["synth", "aws", dir]);
      assert.equal(wrote.code, 0, wrote.err);
      const again = await runCli(["synth", "aws", dir, "--check"]);
      assert.equal(again.code, 0, again.err);
      const { writeFileSync } = await import("node:fs");
      writeFileSync(join(dir, "infrastructure", "aws", "main.tf"), "# edited\n");
      const drifted = await runCli(["synth", "aws", dir, "--check"]);
      assert.equal(drifted.code, 1);
      assert.match(drifted.err, /changed: main\.tf/);
    } finally {
      cleanup();
    }
  });
});
