// Environments that differ on AWS: one module tree serves them all, and each environment's tfvars
// decides what it runs. A service or a data store removed with `null` is not in that environment's
// maps and its module call is counted; commands, ports, health paths, schedules and env values that
// differ are fields of the environment's entry; what only some environments wire (a database, a
// secret, a bucket) is in `local.wired` and the tfvars names what it takes. The pipelines deploy
// only what the environment runs, and what cannot differ is a positioned error.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse as parseHcl } from "@cdktf/hcl2json";
import { parse as parseYaml } from "yaml";
import { loadSpec } from "../src/model/load.js";
import { awsTarget, buildAws } from "../src/targets/aws/index.js";
import { githubTarget } from "../src/targets/registry.js";
import type { TargetProblem } from "../src/targets/target.js";
import { checkTerraform, formatSchemaProblems } from "../src/validate/terraform-schema.js";
import { CTX, DIFFERING } from "./aws-environments-spec.js";

const project = (spec: string) => loadSpec("gantry.yaml", spec).project;
const render = (spec: string) => awsTarget.render(project(spec), CTX);
const errors = (problems: TargetProblem[]) => problems.filter((p) => (p.severity ?? "error") === "error");

interface Tfvars {
  services: Record<string, Record<string, unknown>>;
  jobs: Record<string, Record<string, unknown>>;
  postgres: Record<string, unknown>;
  buckets?: Record<string, unknown>;
  secret_names?: string[];
  security?: { datastores: Record<string, { clients: string[] }> };
  dns_zone?: string | null;
  topics?: string[];
  static_sites?: Record<string, unknown>;
}

async function tfvars(tree: Record<string, string>, env: string): Promise<Tfvars> {
  const file = `environments/${env}.tfvars`;
  return (await parseHcl(file, tree[file]!)) as unknown as Tfvars;
}

/** The printed module call `name` in main.tf. */
function moduleCall(tree: Record<string, string>, name: string): string {
  const main = tree["main.tf"]!;
  const start = main.indexOf(`module "${name}" {`);
  assert.ok(start >= 0, `main.tf calls no module ${name}`);
  return main.slice(start, main.indexOf("\n}\n", start) + 2);
}

describe("aws: environments that differ", () => {
  it("check() accepts them, and the tree matches the provider schema", () => {
    assert.deepEqual(errors(awsTarget.check(project(DIFFERING), CTX)), []);
    assert.equal(formatSchemaProblems(checkTerraform(buildAws(project(DIFFERING), CTX).hcl)), "");
  });

  it("a service removed with null in production is not in production's tfvars, and runs where it is", async () => {
    const tree = render(DIFFERING);
    const [staging, production] = [await tfvars(tree, "staging"), await tfvars(tree, "production")];
    assert.deepEqual(Object.keys(production.services).sort(), ["api"]);
    assert.deepEqual(Object.keys(staging.services).sort(), ["admin", "api"]);
    assert.match(
      moduleCall(tree, "service_admin"),
      /count\s+= contains\(keys\(var\.services\), "admin"\) \? 1 : 0/,
    );
    assert.doesNotMatch(moduleCall(tree, "service_api"), /^\s+count\s+=/m);
    assert.match(tree["outputs.tf"]!, /value\s+= one\(module\.service_admin\[\*\]\.service_name\)/);
    assert.match(tree["outputs.tf"]!, /value\s+= module\.service_api\.service_name/);
    // The deploy role may pass the roles of the workloads this environment runs.
    assert.match(
      moduleCall(tree, "ci").replace(/\s+/g, " "),
      /flatten\(\[ module\.service_admin\[\*\]\.task_role_arn/,
    );
  });

  it("a data store only in staging: counted, in staging's maps only, reached only where it is", async () => {
    const tree = render(DIFFERING);
    const [staging, production] = [await tfvars(tree, "staging"), await tfvars(tree, "production")];
    assert.deepEqual(Object.keys(production.postgres), ["db"]);
    assert.deepEqual(Object.keys(staging.postgres).sort(), ["analytics", "db"]);
    assert.deepEqual(staging.buckets, { uploads: {} });
    assert.deepEqual(production.buckets, {});
    assert.match(
      moduleCall(tree, "postgres_analytics"),
      /count\s+= contains\(keys\(var\.postgres\), "analytics"\) \? 1 : 0/,
    );
    assert.match(
      moduleCall(tree, "bucket_uploads"),
      /count\s+= contains\(keys\(var\.buckets\), "uploads"\) \? 1 : 0/,
    );
    assert.match(moduleCall(tree, "kafka"), /count\s+= length\(var\.topics\) > 0 \? 1 : 0/);
    assert.deepEqual([staging.topics, production.topics], [["events"], []]);
    assert.match(
      moduleCall(tree, "site_web"),
      /count\s+= contains\(keys\(var\.static_sites\), "web"\) \? 1 : 0/,
    );
    assert.deepEqual(staging.security?.datastores["postgres-analytics"]?.clients, ["admin", "api"]);
    assert.equal(production.security?.datastores["postgres-analytics"], undefined);
    // admin runs only where analytics is: its call reads the module at [0].
    assert.match(
      moduleCall(tree, "service_admin"),
      /ANALYTICS_DATABASE_URL\s+= "\$\{module\.postgres_analytics\[0\]\.connection_secret_arn\}:url::"/,
    );
  });

  it("commands, ports, health paths, schedules and env values that differ reach each environment's tfvars", async () => {
    const tree = render(DIFFERING);
    const [staging, production] = [await tfvars(tree, "staging"), await tfvars(tree, "production")];
    const api = moduleCall(tree, "service_api");
    for (const field of ["command", "port", "health_check_path"])
      assert.match(api, new RegExp(`${field}\\s+= var\\.services\\["api"\\]\\.${field}\n`), field);
    assert.deepEqual(staging.services.api!.command, [
      "./server",
      "--port",
      "8000",
      "--log",
      "debug",
      "--reload",
    ]);
    assert.deepEqual(production.services.api!.command, ["./server", "--port", "8080", "--log", "info"]);
    assert.equal(staging.services.api!.port, 8000);
    assert.equal(production.services.api!.port, 8080);
    assert.equal(staging.services.api!.health_check_path, "/health");
    assert.equal(production.services.api!.health_check_path, "/ready");
    assert.equal(production.services.api!.target_health_check_path, "/ready");
    assert.deepEqual(staging.services.api!.environment, {
      KAFKA_SASL_MECHANISM: "AWS_MSK_IAM",
      LOG_LEVEL: "debug",
      PORT: "8000",
    });
    assert.deepEqual(production.services.api!.environment, { LOG_LEVEL: "info", PORT: "8080" });
    assert.equal(staging.jobs.nightly!.schedule, "cron(0 5 * * ? *)");
    assert.equal(production.jobs.nightly!.schedule, "cron(0 3 * * ? *)");
    assert.match(moduleCall(tree, "job_nightly"), /schedule\s+= var\.jobs\["nightly"\]\.schedule/);
    // What every environment gives alike stays in main.tf.
    assert.match(api, /migrations\s+= \["\.\/migrate", "up"\]/);
    assert.doesNotMatch(api, /staging|production/);
  });

  it("what only some environments wire is in local.wired, and each tfvars names what it takes", async () => {
    const tree = render(DIFFERING);
    const [staging, production] = [await tfvars(tree, "staging"), await tfvars(tree, "production")];
    assert.deepEqual(staging.services.api!.wired, [
      "ANALYTICS_DATABASE_URL",
      "DB_ADDR",
      "KAFKA_BROKERS",
      "kafka",
      "kafka-write:events",
    ]);
    assert.deepEqual(production.services.api!.wired, ["DB_ADDR@production", "SENTRY_DSN"]);
    assert.deepEqual(staging.secret_names, []);
    assert.deepEqual(production.secret_names, ["SENTRY_DSN"]);
    const main = tree["main.tf"]!;
    assert.match(main, /DB_ADDR\s+= try\(module\.postgres_analytics\[0\]\.address, null\)/);
    assert.match(main, /"DB_ADDR@production" = try\(module\.postgres_db\.address, null\)/);
    assert.match(main, /SENTRY_DSN\s+= try\(module\.secrets\.arns\["SENTRY_DSN"\], null\)/);
    const api = moduleCall(tree, "service_api");
    assert.match(
      api,
      /\{ for k, v in local\.wired\.service_api\.environment : split\("@", k\)\[0\] => v if contains\(var\.services\["api"\]\.wired, k\) \}/,
    );
    // The database every environment gives api stays in the call.
    assert.match(api, /DATABASE_URL\s+= "\$\{module\.postgres_db\.connection_secret_arn\}:url::"/);
  });

  it("the pipelines deploy and migrate only what the environment runs", () => {
    const tree = githubTarget.render(project(DIFFERING), { ...CTX, deployTarget: "aws" });
    const steps = (file: string) => {
      const wf = parseYaml(tree[file]!) as {
        jobs: Record<string, { steps?: { name?: string; run?: string }[] }>;
      };
      return Object.values(wf.jobs).flatMap((j) => j.steps ?? []);
    };
    const names = (file: string) => steps(file).map((s) => s.name ?? "");
    assert.ok(names("deploy-staging.yml").includes("Migrate admin"));
    assert.ok(names("deploy-staging.yml").includes("New task definition for admin"));
    const production = steps("deploy-production.yml");
    assert.ok(production.some((s) => s.name === "Migrate api"));
    assert.deepEqual(
      production.filter((s) => /admin|ADMIN/.test(`${s.name ?? ""} ${s.run ?? ""}`)).map((s) => s.name),
      [],
    );
  });

  it("a service without a domain in one environment is not behind the load balancer there", async () => {
    const spec = DIFFERING.replace(
      "      admin: null\n      api: { health: /ready,",
      "      admin: null\n      web: null\n      api: { domain: null, health: /ready,",
    );
    assert.deepEqual(errors(awsTarget.check(project(spec), CTX)), []);
    assert.equal(formatSchemaProblems(checkTerraform(buildAws(project(spec), CTX).hcl)), "");
    const tree = render(spec);
    const production = await tfvars(tree, "production");
    assert.equal(production.dns_zone, null);
    assert.match(
      tree["main.tf"]!,
      /data "aws_route53_zone" "this" \{\n\s+count\s+= var\.dns_zone == null \? 0 : 1/,
    );
    assert.match(moduleCall(tree, "load_balancer"), /count\s+= length\(local\.alb_domains\) > 0 \? 1 : 0/);
    assert.match(
      moduleCall(tree, "service_api"),
      /target\s+= length\(local\.alb_hosts\["api"\]\) > 0 \? local\.lb_targets\["api"\] : null/,
    );
  });

  it("the first environment may lack what the others run", () => {
    const spec = `name: small
services:
  api: { build: ./api, port: 8000, uses: [cache] }
redis:
  cache: {}
targets:
  aws: { region: eu-west-1 }
environments:
  dev:
    services: { api: { uses: [] } }
    redis: { cache: null }
  production: {}
`;
    assert.deepEqual(errors(awsTarget.check(project(spec), CTX)), []);
    assert.equal(formatSchemaProblems(checkTerraform(buildAws(project(spec), CTX).hcl)), "");
    const tree = render(spec);
    assert.match(
      moduleCall(tree, "redis_cache"),
      /count\s+= contains\(keys\(var\.redis\), "cache"\) \? 1 : 0/,
    );
    // Every plan passes the same credentials_version when any environment has a cache.
    const pipelines = githubTarget.render(project(spec), { ...CTX, deployTarget: "aws" });
    assert.match(
      pipelines["infrastructure.yml"]!,
      /TF_VAR_credentials_version: \$\{\{ vars\.CREDENTIALS_VERSION \|\| 1 \}\}/,
    );
  });

  it("a workload that is a service in one environment and a job in another has one task family output", () => {
    const spec = `name: small
services:
  report: { build: ./report, command: ./report }
environments:
  staging: {}
  production:
    services:
      report: { schedule: "0 3 * * *" }
`;
    assert.deepEqual(errors(awsTarget.check(project(spec), CTX)), []);
    assert.equal(formatSchemaProblems(checkTerraform(buildAws(project(spec), CTX).hcl)), "");
    const outputs = render(spec)["outputs.tf"]!;
    assert.equal(outputs.match(/output "report_task_family"/g)?.length, 1);
    assert.match(
      outputs,
      /coalesce\(one\(module\.service_report\[\*\]\.task_family\), one\(module\.job_report\[\*\]\.task_family\)\)/,
    );
  });

  it("refuses an image built in one environment and prebuilt in another, naming that environment", () => {
    const spec = DIFFERING.replace(
      "      admin: null\n",
      "      admin: null\n      nightly: { build: null, image: ghcr.io/acme/report:1 }\n",
    );
    assert.deepEqual(
      errors(awsTarget.check(project(spec), CTX)).map((p) => `${p.env} ${p.path}: ${p.message}`),
      [
        "production services.nightly.image: nightly runs a prebuilt image here but is built from source in staging: on AWS one main.tf names the image of every environment, from its ECR repository or the image given",
      ],
    );
  });
});
