// What an app receives on ECS Fargate: the values main.tf gives each variable of the contract
// (test/contract.test.ts checks the names), `command` and `migrations` with the meaning
// command-line.ts gives them, `env` templates (composed in main.tf, or written into a secret when
// they hold a credential), the migration task in the deploy pipeline, and what check() says.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { loadSpec } from "../src/model/load.js";
import { awsTarget, buildAws } from "../src/targets/aws/index.js";
import { githubTarget } from "../src/targets/registry.js";
import type { SynthContext } from "../src/targets/target.js";
import { checkTerraform, formatSchemaProblems } from "../src/validate/terraform-schema.js";
import { exampleContext, loadExample, runCli } from "./helpers.js";

const render = (ex: string) => awsTarget.render(loadExample(ex).project, exampleContext(ex));

/** The printed module call of a workload in main.tf (`service_api`, `job_cleanup`). */
function moduleCall(tree: Record<string, string>, name: string): string {
  const main = tree["main.tf"]!;
  const start = main.indexOf(`module "${name}" {`);
  assert.ok(start >= 0, `main.tf calls no module ${name}`);
  return main.slice(start, main.indexOf("\n}\n", start) + 2);
}

const SPEC = `name: shop
services:
  api:
    build: ./api
    command: ./server --listen "$HOST:$PORT" --log $LOG_LEVEL --db $PGHOST
    port: 8000
    health: /health
    migrations: migrate -database $DATABASE_URL up
    env:
      LOG_LEVEL: info
      DB_ADDR: \${db.host}:\${db.port}
      SQLALCHEMY_URL: postgresql+psycopg://\${db.user}:\${db.password}@\${db.host}:\${db.port}/\${db.database}
      CACHE: \${cache.url}
      FILES: \${files.url}/uploads
    uses: [db, cache, files]
  nightly:
    build: ./api
    schedule: "0 3 * * *"
    command: ./report | gzip > /tmp/report.gz
    uses: [db]
postgres:
  db: { version: 16 }
redis:
  cache: {}
buckets:
  files: {}
targets:
  aws: { region: eu-west-1 }
environments:
  staging: {}
  production: {}
`;

const CTX: SynthContext = {
  specPath: "gantry.yaml",
  specDir: ".",
  outputs: {
    kubernetes: "deploy/kubernetes",
    azure: "infrastructure/azure",
    aws: "infrastructure/aws",
    digitalocean: "infrastructure/digitalocean",
    github: ".github/workflows",
  },
};

const shop = () => loadSpec("gantry.yaml", SPEC).project;

describe("aws: what each workload receives", () => {
  it("storefront: credentials from the connection secrets, the rest as plain values", () => {
    const api = moduleCall(render("storefront"), "service_api");
    for (const line of [
      /DATABASE_URL\s+= "\$\{module\.postgres_db\.connection_secret_arn\}:url::"/,
      /PGPASSWORD\s+= "\$\{module\.postgres_db\.connection_secret_arn\}:password::"/,
      /REDIS_URL\s+= "\$\{module\.redis_cache\.connection_secret_arn\}:url::"/,
      /PGHOST\s+= module\.postgres_db\.address/,
      /PGPORT\s+= tostring\(module\.postgres_db\.port\)/,
      /PGDATABASE\s+= module\.postgres_db\.database/,
      /PGUSER\s+= module\.postgres_db\.username/,
      /PGSSLMODE\s+= "require"/,
      /BUCKET_NAME\s+= module\.bucket_assets\.bucket/,
      /BUCKET_URL\s+= "s3:\/\/\$\{module\.bucket_assets\.bucket\}"/,
      /HOST\s+= "0\.0\.0\.0"/,
      /PORT\s+= "3000"/,
      /GANTRY_ENV\s+= var\.environment/,
      /GANTRY_SERVICE\s+= "api"/,
    ])
      assert.match(api, line);
    // The literal env values differ per environment, in the tfvars.
    assert.match(api, /environment = merge\(var\.services\["api"\]\.environment, \{/);
    assert.match(
      render("storefront")["environments/staging.tfvars"]!,
      /environment = \{\n\s+NODE_ENV = "production"\n\s+\}/,
    );
  });

  it("the connection secrets hold a postgresql:// URL with sslmode=require and a rediss:// URL with the token", () => {
    const tree = render("storefront");
    assert.match(
      tree["modules/postgres/main.tf"]!,
      /url\s+= "postgresql:\/\/\$\{aws_db_instance\.this\.username\}:\$\{ephemeral\.aws_secretsmanager_secret_version\.password\.secret_string\}@\$\{aws_db_instance\.this\.address\}:\$\{aws_db_instance\.this\.port\}\/\$\{aws_db_instance\.this\.db_name\}\?sslmode=require"/,
    );
    assert.match(
      tree["modules/redis/main.tf"]!,
      /url\s+= "rediss:\/\/:\$\{data\.aws_secretsmanager_secret_version\.auth_token\.secret_string\}@\$\{aws_elasticache_replication_group\.this\.primary_endpoint_address\}:/,
    );
    assert.doesNotMatch(tree["modules/postgres/main.tf"]!, /manage_master_user_password/);
    assert.match(tree["versions.tf"]!, /required_version = ">= 1\.11\.0"/);
  });

  it("commands: Terraform writes the values it knows into the words, without a shell", () => {
    assert.match(
      moduleCall(render("todo"), "service_backend"),
      /command\s+= \["uvicorn", "app\.main:app", "--host", "0\.0\.0\.0", "--port", "8000"\]/,
    );
    const api = moduleCall(awsTarget.render(shop(), CTX), "service_api").replace(/\s+/g, " ");
    assert.match(
      api,
      /command = \[ "\.\/server", "--listen", "0\.0\.0\.0:8000", "--log", var\.services\["api"\]\.environment\["LOG_LEVEL"\], "--db", module\.postgres_db\.address, \]/,
    );
  });

  it("commands that refer to a secret run through /bin/sh with quoted words; shell syntax runs as /bin/sh -c", () => {
    const tree = awsTarget.render(shop(), CTX);
    assert.match(
      moduleCall(tree, "service_api"),
      /migrations\s+= \["\/bin\/sh", "-c", "exec 'migrate' '-database' \\"\$\$\{DATABASE_URL\}\\" 'up'"\]/,
    );
    assert.match(
      moduleCall(tree, "job_nightly"),
      /command\s+= \["\/bin\/sh", "-c", "\.\/report \| gzip > \/tmp\/report\.gz"\]/,
    );
  });

  it("the container's entryPoint and command replace the image's; migrations have their own task definition", () => {
    const svc = render("storefront")["modules/service/main.tf"]!;
    assert.match(svc, /entryPoint\s+= var\.command == null \? null : slice\(var\.command, 0, 1\)/);
    assert.match(
      svc,
      /command\s+= var\.command == null \? null : slice\(var\.command, 1, length\(var\.command\)\)/,
    );
    assert.match(
      svc,
      /resource "aws_ecs_task_definition" "migrate" \{\n\s+count\s+= var\.migrations == null \? 0 : 1/,
    );
    assert.match(svc, /entryPoint\s+= var\.migrations == null \? null : slice\(var\.migrations, 0, 1\)/);
    assert.match(
      moduleCall(render("storefront"), "service_api"),
      /migrations = \["npx", "prisma", "migrate", "deploy"\]/,
    );
    assert.match(render("storefront")["outputs.tf"]!, /output "api_migration_task_family"/);
  });

  it("env templates: composed in main.tf, or a secret Terraform writes when they hold a credential", () => {
    const p = buildAws(shop(), CTX);
    assert.equal(formatSchemaProblems(checkTerraform(p.hcl)), "");
    const tree = awsTarget.render(shop(), CTX);
    const api = moduleCall(tree, "service_api");
    assert.match(
      api,
      /DB_ADDR\s+= "\$\{module\.postgres_db\.address\}:\$\{tostring\(module\.postgres_db\.port\)\}"/,
    );
    assert.match(api, /FILES\s+= "s3:\/\/\$\{module\.bucket_files\.bucket\}\/uploads"/);
    assert.match(api, /CACHE\s+= "\$\{module\.redis_cache\.connection_secret_arn\}:url::"/);
    assert.match(api, /SQLALCHEMY_URL\s+= aws_secretsmanager_secret_version\.api_sqlalchemy_url\.arn/);
    const main = tree["main.tf"]!;
    assert.match(
      main,
      /ephemeral "aws_secretsmanager_secret_version" "postgres_db" \{\n\s+secret_id = module\.postgres_db\.connection_secret_arn/,
    );
    assert.match(
      main,
      /secret_string_wo\s+= "postgresql\+psycopg:\/\/\$\{jsondecode\(ephemeral\.aws_secretsmanager_secret_version\.postgres_db\.secret_string\)\.user\}:\$\{jsondecode\(ephemeral\.aws_secretsmanager_secret_version\.postgres_db\.secret_string\)\.password\}@/,
    );
    assert.match(main, /secret_string_wo_version = var\.credentials_version \* 1000000 \+ \d+/);
    // The literal env value stays in the tfvars; only the templates are in main.tf.
    assert.match(tree["environments/staging.tfvars"]!, /environment = \{\n\s+LOG_LEVEL = "info"\n\s+\}/);
  });

  it("a changed template is a new secret version", () => {
    const version = (spec: string) =>
      /secret_string_wo_version = (.*)/.exec(
        awsTarget.render(loadSpec("gantry.yaml", spec).project, CTX)["main.tf"]!,
      )![1];
    assert.notEqual(version(SPEC), version(SPEC.replace("postgresql+psycopg://", "postgresql://")));
  });

  it("the deploy runs the migrations as a task of their own task definition, without overrides", () => {
    const tree = githubTarget.render(loadExample("storefront").project, exampleContext("storefront", "aws"));
    const deploy = parse(tree["deploy-staging.yml"]!) as {
      jobs: Record<string, { steps: { name?: string; run?: string }[] }>;
    };
    const steps = Object.values(deploy.jobs).flatMap((j) => j.steps);
    const migrate = steps.find((s) => s.name === "Migrate api")?.run ?? "";
    assert.match(migrate, /--task-definition "\$API_MIGRATION_TASK_DEFINITION"/);
    assert.doesNotMatch(migrate, /--overrides/);
    const registered = steps.find((s) => s.name === "New migration task definition for api")?.run ?? "";
    assert.match(registered, /--task-definition "\$API_MIGRATION_FAMILY"/);
    const names = steps.map((s) => s.name);
    assert.ok(names.indexOf("New migration task definition for api") < names.indexOf("Migrate api"));
  });

  it("every plan of the stack passes the same credentials_version, from the CREDENTIALS_VERSION variable", () => {
    const tree = githubTarget.render(loadExample("storefront").project, exampleContext("storefront", "aws"));
    for (const file of ["infrastructure.yml", "pr-checks.yml"])
      assert.match(
        tree[file]!,
        /TF_VAR_credentials_version: \$\{\{ vars\.CREDENTIALS_VERSION \|\| 1 \}\}/,
        file,
      );
  });
});

describe("aws: check() and gantry env", () => {
  it("warns that e-mail needs an SES identity", () => {
    const augeo = awsTarget.check(loadExample("augeo").project, exampleContext("augeo"));
    assert.ok(
      augeo.some((p) => p.path === "email.domain" && p.severity === "warning" && /SES/.test(p.message)),
    );
  });

  it("a workload whose secrets differ between environments reads them where its tfvars says", () => {
    const spec = SPEC.replace(
      "  production: {}",
      "  production:\n    services: { api: { secrets: [EXTRA] } }",
    );
    const problems = awsTarget.check(loadSpec("gantry.yaml", spec).project, CTX);
    assert.deepEqual(
      problems.filter((p) => (p.severity ?? "error") === "error"),
      [],
    );
    const tree = awsTarget.render(loadSpec("gantry.yaml", spec).project, CTX);
    assert.match(tree["environments/production.tfvars"]!, /wired\s+= \["EXTRA"\]/);
    assert.match(tree["environments/staging.tfvars"]!, /wired\s+= \[\]/);
    assert.match(tree["environments/production.tfvars"]!, /secret_names = \["EXTRA"\]/);
    assert.match(tree["main.tf"]!, /EXTRA = try\(module\.secrets\.arns\["EXTRA"\], null\)/);
  });

  it("gantry env --target aws says where each value comes from, and what ECS cannot supply", async () => {
    const r = await runCli(["env", "worker", "examples/hello", "--target", "aws", "--json"]);
    assert.equal(r.code, 0, r.err);
    const vars = (
      JSON.parse(r.out) as {
        variables: { name: string; from: string; platform: boolean; missing?: string }[];
      }
    ).variables;
    const get = (name: string) => vars.find((v) => v.name === name);
    assert.match(
      get("DATABASE_URL")!.from,
      /^Secrets Manager hello-dev\/postgres\/db\/connection \(key url\)/,
    );
    assert.match(get("DAPR_HTTP_PORT")!.missing ?? "", /no Dapr sidecar/);
    assert.equal(get("KAFKA_BROKERS")?.platform, true);
    assert.match(r.err, /services\.worker\.subscribes/);
  });
});
