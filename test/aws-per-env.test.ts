// Each environment's own values reach its own files through `gantry synth`: a job's command and
// schedule, and the environment's region (the provider's, the workflows' logins; the state stays in
// the bucket's region).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse as parseHcl } from "@cdktf/hcl2json";
import { parse as parseYaml } from "yaml";
import { loadSpec } from "../src/model/load.js";
import { awsTarget } from "../src/targets/aws/index.js";
import { CTX } from "./aws-environments-spec.js";
import { runCli, tempDir } from "./helpers.js";

const SPEC = `name: shop
services:
  api:
    build: ./api
    port: 8000
    health: /health
  report:
    build: ./report
    schedule: "0 3 * * *"
    command: ./report --full
ci: { repository: acme/shop }
targets:
  aws: { region: us-east-1 }
environments:
  staging:
    region: eu-west-1
    services:
      report: { schedule: "0 5 * * 1", command: ./report --quick }
  production:
    services:
      api: { command: ./server --prod }
`;

interface Tfvars {
  region: string;
  services: Record<string, { command?: string[] }>;
  jobs: Record<string, { command?: string[]; schedule?: string }>;
}

/** Runs `gantry synth <args>` on a folder holding SPEC; returns the folder's files. */
async function synth(args: string[], spec = SPEC) {
  const { dir, cleanup } = tempDir({ "gantry.yaml": spec });
  const r = await runCli(["synth", ...args, dir], dir);
  assert.equal(r.code, 0, r.err);
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return { read, cleanup };
}

async function tfvars(read: (f: string) => string, env: string): Promise<Tfvars> {
  const file = `infrastructure/aws/environments/${env}.tfvars`;
  return (await parseHcl(file, read(file))) as unknown as Tfvars;
}

describe("aws: each environment's values through gantry synth aws", () => {
  it("a job's command and schedule are each environment's own", async () => {
    const { read, cleanup } = await synth(["aws"]);
    try {
      const [staging, production] = [await tfvars(read, "staging"), await tfvars(read, "production")];
      assert.deepEqual(staging.jobs.report!.command, ["./report", "--quick"]);
      assert.deepEqual(production.jobs.report!.command, ["./report", "--full"]);
      // EventBridge counts days of the week from 1 = Sunday.
      assert.equal(staging.jobs.report!.schedule, "cron(0 5 ? * 2 *)");
      assert.equal(production.jobs.report!.schedule, "cron(0 3 * * ? *)");
      assert.deepEqual(production.services.api!.command, ["./server", "--prod"]);
    } finally {
      cleanup();
    }
  });

  it("the README puts each environment's secret values into its own region", async () => {
    // Without --region the CLI writes into the profile's default region, where staging's tasks never look.
    const { read, cleanup } = await synth(
      ["aws"],
      SPEC.replace("    port: 8000\n", "    port: 8000\n    secrets: [JWT_SECRET]\n"),
    );
    try {
      const readme = read("infrastructure/aws/README.md");
      const puts = readme.split("\n").filter((l) => l.startsWith("aws secretsmanager put-secret-value"));
      assert.deepEqual(puts, [
        'aws secretsmanager put-secret-value --secret-id shop-staging/JWT_SECRET --secret-string "$JWT_SECRET" --region eu-west-1',
        'aws secretsmanager put-secret-value --secret-id shop-production/JWT_SECRET --secret-string "$JWT_SECRET" --region us-east-1',
      ]);
    } finally {
      cleanup();
    }
  });

  it("an environment's region is its provider's, and its state stays in the bucket's region", async () => {
    const { read, cleanup } = await synth(["aws"]);
    try {
      assert.equal((await tfvars(read, "staging")).region, "eu-west-1");
      assert.equal((await tfvars(read, "production")).region, "us-east-1");
      assert.match(read("infrastructure/aws/main.tf"), /provider "aws" \{\n\s+region\s+= var\.region\n/);
      // One state bucket per account, created in the first environment's region.
      for (const env of ["staging", "production"])
        assert.match(read(`infrastructure/aws/environments/${env}.s3.tfbackend`), /region = "eu-west-1"/);
    } finally {
      cleanup();
    }
  });

  it("the workflows log in to each environment in the region its tfvars name", async () => {
    const { read, cleanup } = await synth(["github", "--target", "aws"]);
    try {
      const region = (file: string) => {
        const wf = parseYaml(read(`.github/workflows/${file}`)) as {
          jobs: Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }>;
        };
        const logins = Object.values(wf.jobs).flatMap((j) =>
          j.steps.filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@")),
        );
        return [...new Set(logins.map((s) => s.with!["aws-region"]))];
      };
      assert.deepEqual(region("deploy-staging.yml"), ["eu-west-1"]);
      assert.deepEqual(region("deploy-production.yml"), ["us-east-1"]);
      // The images are built once into the first environment's region.
      assert.deepEqual(region("build.yml"), ["eu-west-1"]);
      assert.doesNotMatch(read(".github/workflows/infrastructure.yml"), /vars\.AWS_REGION/);
    } finally {
      cleanup();
    }
  });

  it("an environment in another account than the first is a warning: the registry and roles are the first's", () => {
    const spec = SPEC.replace(
      "aws: { region: us-east-1 }",
      "aws: { region: us-east-1, account_id: '111111111111' }",
    ).replace(
      "  production:\n",
      "  production:\n    targets: { aws: { region: us-east-1, account_id: '222222222222' } }\n",
    );
    const problems = awsTarget.check(loadSpec("gantry.yaml", spec).project, CTX);
    assert.deepEqual(
      problems.filter((p) => p.path === "targets.aws.account_id").map((p) => [p.env, p.severity]),
      [["production", "warning"]],
    );
  });

  it("an environment region that is not an AWS region is an error at its position", () => {
    const spec = SPEC.replace("region: eu-west-1", "region: westeurope");
    const problems = awsTarget.check(loadSpec("gantry.yaml", spec).project, CTX);
    assert.deepEqual(
      problems.filter((p) => p.path.endsWith(".region")).map((p) => [p.env, p.path, p.severity ?? "error"]),
      [["staging", "environments.staging.region", "error"]],
    );
  });
});

describe("aws: backups turned off", () => {
  it("are neither replicated nor said to be, in the tfvars and the README alike", () => {
    const text = `name: shop
services:
  api: { build: ./api, port: 8000, uses: [db], scale: { min: 2, max: 3 } }
postgres:
  db: { backups: { enabled: false, geo_redundant: true } }
  kept: { backups: { geo_redundant: true } }
targets:
  aws: { region: us-east-1 }
environments:
  production: {}
`;
    const tree = awsTarget.render(loadSpec("gantry.yaml", text).project, CTX);
    const tfvars = tree["environments/production.tfvars"]!;
    const geo = (name: string) =>
      new RegExp(`${name} = \\{[^}]*geo_redundant += (true|false)`, "s").exec(tfvars)?.[1];
    assert.equal(geo("db"), "false");
    assert.equal(geo("kept"), "true");
    const readme = tree["README.md"]!;
    assert.match(readme, /db [^,\n]+, backups 1 d(?! \+ replica region)/);
    assert.match(readme, /kept [^,\n]+, backups \d+ d \+ replica region/);
  });
});
