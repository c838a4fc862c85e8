// The runbooks of the AWS and DigitalOcean trees: an index linked from the README, every topic,
// commands that name the resources the tree creates (by the names its modules give them), and only
// CLI commands and flags checked against the AWS CLI and doctl references.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { awsTarget } from "../src/targets/aws/index.js";
import { digitaloceanTarget } from "../src/targets/digitalocean/index.js";
import type { FileTree } from "../src/targets/target.js";
import { EXAMPLES, RUNBOOK_TOPICS, exampleContext, loadExample } from "./helpers.js";

const TOPICS = RUNBOOK_TOPICS;

/** The commands and flags the runbooks may use, as the CLI references list them. */
const AWS_CLI: Record<string, string[]> = {
  "ecs describe-services": ["--cluster", "--services", "--region", "--query", "--output"],
  "ecs list-task-definitions": ["--family-prefix", "--sort", "--max-items", "--region"],
  "ecs update-service": [
    "--cluster",
    "--service",
    "--task-definition",
    "--force-new-deployment",
    "--desired-count",
    "--region",
    "--output",
  ],
  "ecs wait": ["--cluster", "--services", "--region"],
  "ecs list-tasks": ["--cluster", "--service-name", "--desired-status", "--region"],
  "ecs describe-tasks": ["--cluster", "--tasks", "--region", "--query"],
  "logs tail": ["--since", "--follow", "--region"],
  "cloudwatch describe-alarms": ["--alarm-name-prefix", "--state-value", "--region"],
  "sns publish": ["--topic-arn", "--subject", "--message", "--region"],
  "sns list-topics": ["--region", "--query", "--output"],
  "secretsmanager put-secret-value": ["--secret-id", "--secret-string", "--region", "--output"],
  "rds describe-db-instances": ["--db-instance-identifier", "--region", "--query", "--output"],
  "elasticache describe-replication-groups": ["--replication-group-id", "--region", "--query", "--output"],
  "cloudfront create-invalidation": ["--distribution-id", "--paths"],
  // disaster-recovery.md (restore-db-instance-to-point-in-time, describe-db-instance-automated-backups,
  // elasticache create-replication-group and describe-snapshots, as the AWS CLI reference lists them)
  "rds restore-db-instance-to-point-in-time": [
    "--source-db-instance-identifier",
    "--source-db-instance-automated-backups-arn",
    "--target-db-instance-identifier",
    "--restore-time",
    "--use-latest-restorable-time",
    "--db-subnet-group-name",
    "--db-parameter-group-name",
    "--vpc-security-group-ids",
    "--region",
  ],
  "rds describe-db-instance-automated-backups": [
    "--db-instance-identifier",
    "--region",
    "--query",
    "--output",
  ],
  "rds wait db-instance-available": ["--db-instance-identifier", "--region"],
  "rds delete-db-instance": ["--db-instance-identifier", "--skip-final-snapshot", "--region"],
  "secretsmanager get-secret-value": ["--secret-id", "--query", "--output", "--region"],
  "elasticache describe-snapshots": ["--replication-group-id", "--query", "--output", "--region"],
  "elasticache create-replication-group": [
    "--replication-group-id",
    "--replication-group-description",
    "--snapshot-name",
    "--engine",
    "--cache-node-type",
    "--cache-subnet-group-name",
    "--security-group-ids",
    "--transit-encryption-enabled",
    "--at-rest-encryption-enabled",
    "--auth-token",
    "--region",
  ],
  "elasticache describe-cache-clusters": ["--cache-cluster-id", "--query", "--output", "--region"],
  "elasticache wait replication-group-available": ["--replication-group-id", "--region"],
};
const DOCTL: Record<string, string[]> = {
  "kubernetes cluster kubeconfig save": [],
  "kubernetes cluster get": ["--format", "--no-header"],
  "kubernetes cluster node-pool list": [],
  "databases list": ["--format", "--no-header"],
  "monitoring alert list": [],
  "monitoring uptime list": ["--format"],
  // disaster-recovery.md (doctl databases fork, connection, firewalls append, delete: doctl reference)
  "databases fork": ["--restore-from-cluster-id", "--restore-from-timestamp", "--wait"],
  "databases connection": ["--format", "--no-header", "--private"],
  "databases firewalls append": ["--rule"],
  "databases delete": ["--force"],
};

/** A shell line and each `$(...)` inside it (balanced parentheses), each with its substitutions cut out. */
function pieces(line: string): string[] {
  const out: string[] = [];
  let outer = "";
  for (let i = 0; i < line.length; i++) {
    if (line.startsWith("$(", i)) {
      let depth = 1;
      let j = i + 2;
      for (; j < line.length && depth > 0; j++) depth += line[j] === "(" ? 1 : line[j] === ")" ? -1 : 0;
      out.push(...pieces(line.slice(i + 2, j - 1)));
      i = j - 1;
    } else outer += line.charAt(i);
  }
  return [outer.trim(), ...out];
}

/** Every command of the runbooks' shell blocks that runs `tool`, split into words after the tool. */
function commands(tree: FileTree, tool: string): string[][] {
  return Object.entries(tree)
    .filter(([f]) => f.startsWith("operations/"))
    .flatMap(([, text]) =>
      [...text.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.replace(/\\\n\s*/g, " ").split("\n")),
    )
    .flatMap(pieces)
    .filter((c) => c.startsWith(`${tool} `))
    .map((c) => c.slice(tool.length + 1).split(/\s+/));
}

function assertKnown(tree: FileTree, tool: string, known: Record<string, string[]>): number {
  const found = commands(tree, tool);
  for (const words of found) {
    const name = Object.keys(known).find((k) => words.join(" ").startsWith(k));
    assert.ok(name, `${tool} ${words.join(" ")}: not a checked command`);
    for (const flag of words.filter((w) => w.startsWith("--")))
      assert.ok(known[name]!.includes(flag), `${tool} ${name}: flag ${flag} not checked`);
  }
  return found.length;
}

describe("aws and digitalocean runbooks", () => {
  for (const ex of EXAMPLES) {
    it(`aws/${ex}: every topic, linked from the README, with checked commands only`, () => {
      const tree = awsTarget.render(loadExample(ex).project, exampleContext(ex));
      for (const t of TOPICS) {
        assert.ok(tree[`operations/${t}`], t);
        assert.match(tree["operations/README.md"]!, new RegExp(`\\[${t}\\]\\(${t}\\)`));
      }
      assert.match(tree["README.md"]!, /\[operations\/README\.md\]\(operations\/README\.md\)/);
      assert.ok(assertKnown(tree, "aws", AWS_CLI) > 10);
    });

    it(`digitalocean/${ex}: every topic, linked from the README, with checked commands only`, () => {
      const ctx = exampleContext(ex, "digitalocean");
      const tree = digitaloceanTarget.render(loadExample(ex).project, ctx);
      for (const t of TOPICS) assert.ok(tree[`operations/${t}`], t);
      assert.match(tree["README.md"]!, /\[operations\/README\.md\]\(operations\/README\.md\)/);
      assert.ok(assertKnown(tree, "doctl", DOCTL) > 4);
    });
  }

  it("aws/storefront: the commands name the cluster, services, families, log groups, secrets, database and cache the tree creates", () => {
    const { project } = loadExample("storefront");
    const tree = awsTarget.render(project, exampleContext("storefront"));
    // The names the modules give: local.name is <project>-<environment>.
    assert.match(tree["main.tf"]!, /name = "\$\{var\.project\}-\$\{var\.environment\}"/);
    assert.match(
      tree["modules/cluster/main.tf"]!,
      /resource "aws_ecs_cluster" "this" \{\n\s+name\s+= var\.name/,
    );
    assert.match(tree["modules/service/main.tf"]!, /name\s+= var\.workload/);
    assert.match(tree["modules/service/main.tf"]!, /family\s+= "\$\{var\.name\}-\$\{var\.workload\}"/);
    assert.match(tree["modules/service/main.tf"]!, /name\s+= "\/ecs\/\$\{var\.name\}\/\$\{var\.workload\}"/);
    assert.match(tree["modules/secrets/main.tf"]!, /name\s+= "\$\{var\.name\}\/\$\{each\.key\}"/);
    assert.match(tree["modules/postgres/main.tf"]!, /identifier\s+= "\$\{var\.name\}-\$\{var\.database\}"/);
    assert.match(
      tree["modules/redis/main.tf"]!,
      /replication_group_id\s+= "\$\{var\.name\}-\$\{var\.cache\}"/,
    );
    assert.match(tree["modules/monitoring/main.tf"]!, /name\s+= "\$\{var\.name\}-alerts-\$\{each\.key\}"/);
    for (const env of ["staging", "production"]) {
      const n = `storefront-${env}`;
      assert.match(
        tree["operations/deploy-and-rollback.md"]!,
        new RegExp(`--cluster ${n} --service api --task-definition ${n}-api:`),
      );
      assert.match(tree["operations/troubleshooting.md"]!, new RegExp(`aws logs tail /ecs/${n}/api `));
      assert.match(tree["operations/troubleshooting.md"]!, new RegExp(`--db-instance-identifier ${n}-db `));
      assert.match(tree["operations/troubleshooting.md"]!, new RegExp(`--replication-group-id ${n}-cache `));
      assert.match(tree["operations/secrets.md"]!, new RegExp(`--secret-id ${n}/JWT_SECRET `));
      assert.match(tree["operations/monitoring.md"]!, new RegExp(`:${n}-alerts-oncall'`));
      assert.match(tree["operations/monitoring.md"]!, new RegExp(`#dashboards/dashboard/${n}\\n`));
    }
    assert.match(
      tree["operations/monitoring.md"]!,
      /`crash-loop` .* no alarm: ECS publishes no restart count/,
    );
  });

  it("digitalocean/todo: the commands name the cluster, namespace, Deployments and Secret of each environment", () => {
    const ctx = exampleContext("todo", "digitalocean");
    const { project } = loadExample("todo");
    const tree = digitaloceanTarget.render(project, ctx);
    for (const e of project.environments) {
      const cluster =
        /^cluster_name\s+= "(.*)"$/m.exec(tree[`environments/${e.environment.name}.tfvars`]!)?.[1] ??
        `todo-${e.environment.name}`;
      assert.match(
        tree["operations/deploy-and-rollback.md"]!,
        new RegExp(`doctl kubernetes cluster kubeconfig save ${cluster}\\n`),
      );
      assert.match(
        tree["operations/deploy-and-rollback.md"]!,
        new RegExp(`helm rollback todo <REVISION> --namespace ${e.environment.namespace} --wait`),
      );
      assert.match(
        tree["operations/secrets.md"]!,
        new RegExp(`kubectl -n ${e.environment.namespace} patch secret `),
      );
    }
    assert.match(tree["modules/cluster/main.tf"]!, /name\s+= var\.name/);
  });
});
