// The spec's recovery objectives on each cloud target: what a platform cannot recover is said at its
// place in the spec, and the backup settings follow the RPO.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { loadSpec } from "../src/model/load.js";
import { githubTarget, REGISTERED } from "../src/targets/registry.js";
import { awsTarget } from "../src/targets/aws/index.js";
import { azureTarget } from "../src/targets/azure/index.js";
import { digitaloceanTarget } from "../src/targets/digitalocean/index.js";
import type { Target, TargetProblem } from "../src/targets/target.js";
import { exampleContext, loadExample } from "./helpers.js";
import { parse as parseHcl } from "@cdktf/hcl2json";
import { drillInstance } from "../src/targets/aws/pipeline-drill.js";

const spec = (production: string, redis = "none") => `name: shop
services:
  api: { build: ./api, port: 8080, uses: [db, cache] }
postgres:
  db: {}
redis:
  cache: { persistence: ${redis} }
targets:
  aws: { region: us-east-1 }
  azure: { location: eastus }
  digitalocean: { region: nyc1 }
environments:
  staging: {}
  production:
    recovery: ${production}
`;

const problems = (t: Target, text: string): TargetProblem[] =>
  t.check(loadSpec("gantry.yaml", text).project, exampleContext("hello"));
const rpo = (ps: TargetProblem[]) =>
  ps.filter((p) => p.path === "recovery.rpo" || p.message.includes("recovery.rpo"));

describe("recovery objectives on the clouds", () => {
  it("refuses an RPO below what each managed PostgreSQL documents, in the environment that asks it", () => {
    const cases: [Target, string, string][] = [
      [azureTarget, "{ rpo: 10m }", "can lose up to 15m"],
      [awsTarget, "{ rpo: 4m }", "can lose up to 5m"],
      [digitaloceanTarget, "{ rpo: 4m }", "can lose up to 5m"],
    ];
    for (const [target, production, loses] of cases) {
      const found = rpo(problems(target, spec(production)));
      assert.equal(found.length, 1, `${target.name}: ${JSON.stringify(found)}`);
      const [p] = found;
      assert.equal(p!.env, "production");
      assert.equal(p!.path, "recovery.rpo");
      assert.equal(p!.severity, "error");
      assert.match(p!.message, new RegExp(`PostgreSQL db on .*${loses}`));
    }
  });

  it("accepts the tier defaults (15 minutes in production) on every cloud", () => {
    for (const target of [azureTarget, awsTarget, digitaloceanTarget])
      assert.deepEqual(rpo(problems(target, spec("{}"))), [], target.name);
  });

  it("warns where a persisting cache cannot meet the RPO", () => {
    const aws = rpo(problems(awsTarget, spec("{ rpo: 1h }", "rdb")));
    assert.deepEqual(
      aws.map((p) => [p.env, p.path, p.severity]),
      [
        ["staging", "redis.cache.persistence", "warning"],
        ["production", "redis.cache.persistence", "warning"],
      ],
    );
    assert.match(aws[0]!.message, /Amazon ElastiCache can lose up to 24h/);
    const valkey = rpo(problems(digitaloceanTarget, spec("{}", "rdb")));
    assert.match(valkey[0]!.message, /DigitalOcean Managed Valkey has no backup to restore/);
    // Azure's RDB interval follows the RPO down to 15 minutes; the AOF meets any RPO.
    const cache = (ps: TargetProblem[]) => rpo(ps).filter((p) => p.path === "redis.cache.persistence");
    assert.deepEqual(cache(problems(azureTarget, spec("{ rpo: 15m }", "rdb"))), []);
    assert.equal(cache(problems(azureTarget, spec("{ rpo: 5m }", "rdb"))).length, 1);
    assert.deepEqual(cache(problems(azureTarget, spec("{ rpo: 5m }", "aof"))), []);
  });

  it("gives an Azure cache the longest RDB interval within the RPO", () => {
    const tree = azureTarget.render(
      loadSpec("gantry.yaml", spec("{ rpo: 45m }", "rdb")).project,
      exampleContext("hello"),
    );
    const staging = tree["parameters/staging.bicepparam"]!;
    const production = tree["parameters/production.bicepparam"]!;
    assert.match(staging, /rdbBackupFrequency: '60'/); // staging's RPO: 1h
    assert.match(production, /rdbBackupFrequency: '30'/);
    assert.match(
      tree["modules/redis.bicep"]!,
      /'rdb-backup-frequency': \(persist && persistence == 'rdb'\) \? rdbBackupFrequency : null/,
    );
  });

  it("says what DigitalOcean's backups cannot keep", () => {
    const found = problems(digitaloceanTarget, spec("{}")).filter((p) =>
      p.path.startsWith("postgres.db.backups"),
    );
    assert.deepEqual(
      found.map((p) => [p.env, p.path, p.severity]),
      [
        ["production", "postgres.db.backups.retention_days", "warning"],
        ["production", "postgres.db.backups.geo_redundant", "warning"],
      ],
    );
    assert.match(found[0]!.message, /keeps 7 days of backups .* not 30/);
  });
});

describe("disaster-recovery runbooks on the clouds", () => {
  const render = (t: Target, ex: string) => t.render(loadExample(ex).project, exampleContext(ex));

  it("Azure: restores the server the Bicep names, by its prefix, in each environment's resource group", () => {
    const tree = render(azureTarget, "augeo");
    const dr = tree["operations/disaster-recovery.md"]!;
    assert.match(tree["main.bicep"]!, /name: 'psql-augeo-db-\$\{environmentCode\}-\$\{suffix\}'/);
    assert.match(
      dr,
      /SERVER=\$\(az postgres flexible-server list --resource-group rg-augeo-production --query "\[\?starts_with\(name, 'psql-augeo-db-prod-'\)\]\.name \| \[0\]" --output tsv\)/,
    );
    assert.match(
      dr,
      /az postgres flexible-server restore --resource-group rg-augeo-production --name "\$SERVER-restored" --source-server "\$SERVER" --restore-time "\$RESTORE_TIME"/,
    );
    // Production's backups are geo-redundant (augeo's spec): the paired region of eastus.
    assert.match(
      dr,
      /az postgres flexible-server geo-restore --resource-group rg-augeo-production .* --location westus/,
    );
    assert.doesNotMatch(dr.split("## production")[0]!, /geo-restore/);
    assert.match(dr, /--name database-url/);
    assert.match(
      tree["README.md"]!,
      /\[operations\/disaster-recovery\.md\]\(operations\/disaster-recovery\.md\)/,
    );
  });

  it("AWS: restores the RDS instance into its own subnet group and moves the app by its connection secret", () => {
    const tree = render(awsTarget, "storefront");
    const dr = tree["operations/disaster-recovery.md"]!;
    assert.match(tree["modules/postgres/main.tf"]!, /identifier += "\$\{var\.name\}-\$\{var\.database\}"/);
    assert.match(
      dr,
      /aws rds restore-db-instance-to-point-in-time --source-db-instance-identifier storefront-production-db --target-db-instance-identifier storefront-production-db-restored/,
    );
    assert.match(dr, /--db-subnet-group-name storefront-production-db/);
    assert.match(dr, /--secret-id storefront-production\/postgres\/db\/connection/);
    assert.match(
      dr,
      /aws ecs update-service --cluster storefront-production --service api --force-new-deployment/,
    );
    assert.match(dr, /--source-db-instance-automated-backups-arn "\$ARN"/);
    assert.match(tree["README.md"]!, /operations\/disaster-recovery\.md/);
  });

  it("DigitalOcean: forks the managed cluster at the time and admits the DOKS cluster", () => {
    const tree = render(digitaloceanTarget, "todo");
    const dr = tree["operations/disaster-recovery.md"]!;
    assert.match(
      dr,
      /doctl databases fork todo-production-db-restored --restore-from-cluster-id "\$SOURCE_ID" --restore-from-timestamp/,
    );
    assert.match(
      dr,
      /doctl databases firewalls append "\$RESTORED_ID" --rule k8s:\$\(doctl kubernetes cluster get todo-production/,
    );
    assert.match(dr, /kubectl -n production patch secret app-secrets/);
    // Staging's PostgreSQL runs in the cluster: the Kubernetes chart's runbook restores it.
    assert.match(
      dr.split("## production")[0]!.split("## staging")[1]!,
      /No data store of this environment runs on this platform/,
    );
    assert.match(tree["README.md"]!, /operations\/disaster-recovery\.md/);
  });
});

interface DrillStep {
  name: string;
  if?: string;
  run?: string;
  uses?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface DrillWorkflow {
  on: { schedule: { cron: string }[]; workflow_dispatch: unknown };
  permissions: Record<string, string>;
  jobs: Record<string, { permissions: Record<string, string>; steps: DrillStep[] }>;
}

describe("dr-drill.yml", () => {
  const workflow = (ex: string, target: string) => {
    const tree = githubTarget.render(loadExample(ex).project, exampleContext(ex, target));
    return { text: tree["dr-drill.yml"], readme: tree["README.md"]! };
  };

  /**
   * What every platform's drill holds to: production's schedule and dispatch, OIDC where the platform
   * logs in with it, the report that fails over the objectives, and the teardown after everything,
   * each step under always().
   */
  function commonDrill(ex: string, target: string, teardown: RegExp): DrillStep[] {
    const { text, readme } = workflow(ex, target);
    assert.ok(text, `${ex}/${target}: no dr-drill.yml`);
    const wf = parse(text) as DrillWorkflow;
    assert.deepEqual(wf.on.schedule, [{ cron: "0 0 1 * *" }], `${ex}/${target}`); // production's @monthly
    assert.ok("workflow_dispatch" in wf.on);
    assert.deepEqual(wf.permissions, { contents: "read" });
    const steps = wf.jobs["drill"]!.steps;
    const oidc = steps.some((s) =>
      /^(azure\/login|aws-actions\/configure-aws-credentials)@/.test(s.uses ?? ""),
    );
    assert.equal(wf.jobs["drill"]!.permissions["id-token"], oidc ? "write" : undefined, `${ex}/${target}`);
    const report = steps.findIndex((s) => s.name === "Measure RTO and RPO and write the report");
    assert.ok(report > 0, `${ex}/${target}: no report step`);
    const r = steps[report]!;
    assert.equal(r.env!["RTO_TARGET"], "3600");
    assert.equal(r.env!["RPO_TARGET"], "900");
    assert.match(r.run!, /rto_seconds: \$rto, rpo_seconds: \$rpo/);
    assert.match(r.run!, /GITHUB_STEP_SUMMARY/);
    assert.match(r.run!, /if \[ "\$rto" -gt "\$RTO_TARGET" \]; then .*status=1/);
    assert.match(r.run!, /elif \[ "\$rpo" -gt "\$RPO_TARGET" \]; then .*status=1/);
    assert.match(r.run!, /exit "\$status"$/m);
    // After the report: the artifact and the teardown, all of it whatever happened before.
    const after = steps.slice(report + 1);
    assert.ok(after.length >= 2);
    for (const s of after) assert.equal(s.if, "always()", `${ex}/${target}: ${s.name}`);
    assert.ok(
      after.some((s) => teardown.test(s.run ?? "")),
      `${ex}/${target}: no teardown`,
    );
    assert.ok(wf.jobs["notify"]);
    assert.match(readme, /## Recovery drill/);
    return steps;
  }

  it("Azure: restores production into a non-production resource group on the drill schedule, and always deletes it", () => {
    const steps = commonDrill("augeo", "azure", /az postgres flexible-server delete/);
    const restore = steps.find((s) => s.name.startsWith("Restore db"))!;
    assert.equal(restore.env!["SOURCE_GROUP"], "rg-augeo-production");
    assert.equal(restore.env!["DRILL_GROUP"], "rg-augeo-dev");
    assert.match(
      restore.run!,
      /az postgres flexible-server restore --resource-group "\$DRILL_GROUP" .*--restore-time "\$STARTED_AT"/,
    );
    // Secrets reach the log masked; production's secrets are never read.
    assert.match(restore.run!, /::add-mask::\$password/);
    assert.doesNotMatch(workflow("augeo", "azure").text!, /keyvault/);
    // The runner reaches the server: it runs the probe itself.
    const probe = steps.find((s) => s.name === "Check the restored data")!;
    assert.match(probe.run!, /file=DRILL_URL_0; probe "db\/augeo" "\$DRILL_URL_0"/);
  });

  it("DigitalOcean: forks production at the drill's start and opens the fork to the runner only", () => {
    commonDrill("todo", "digitalocean", /doctl databases delete "\$drill_id" --force/);
    const { text } = workflow("todo", "digitalocean");
    assert.match(
      text!,
      /doctl databases fork "\$DRILL" --restore-from-cluster-id "\$source_id" --restore-from-timestamp/,
    );
    assert.match(text!, /doctl databases firewalls append "\$drill_id" --rule "ip_addr:\$ip"/);
    assert.match(text!, /DRILL: todo-production-db-drill-\$\{\{ github.run_id \}\}/);
  });

  it("AWS: restores into the drill's security group and checks from a Fargate task in the VPC, then deletes both", () => {
    for (const ex of ["storefront", "augeo", "todo"]) {
      const steps = commonDrill(
        ex,
        "aws",
        /aws rds delete-db-instance .*--skip-final-snapshot --delete-automated-backups/,
      );
      const login = steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))!;
      assert.equal(login.with!["role-to-assume"], "${{ vars.AWS_DRILL_ROLE_ARN }}");
      // The session outlasts the job (120 minutes), so the teardown still may delete.
      assert.equal(login.with!["role-duration-seconds"], "7200");
      const restore = steps.find((s) => s.name === "Restore db to its latest restorable time")!;
      assert.equal(restore.env!["SOURCE"], `${ex}-production-db`);
      assert.equal(restore.env!["DRILL"], `${ex}-production-db-drill-\${{ github.run_id }}`);
      assert.match(
        restore.run!,
        /--use-latest-restorable-time --db-subnet-group-name "\$SOURCE" --vpc-security-group-ids "\$DRILL_DATABASE_GROUP"/,
      );
      assert.match(restore.run!, /--master-user-password "\$\(cat "\$RUNNER_TEMP\/dr-drill-password"\)"/);
      const check = steps.find((s) => s.name === "Check db from inside the VPC")!;
      assert.match(
        check.run!,
        /aws ecs run-task --cluster "\$CLUSTER" --task-definition "\$FAMILY" --launch-type FARGATE/,
      );
      assert.match(check.run!, /assignPublicIp=DISABLED/);
      assert.equal(check.env!["FAMILY"], `${ex}-production-dr-drill`);
      const teardown = steps.at(-1)!;
      assert.match(teardown.run!, /aws ecs stop-task --cluster "\$CLUSTER" --task "\$DRILL_TASK_DB"/);
      // The password is generated, masked and never printed; production's secrets are never read.
      const text = workflow(ex, "aws").text!;
      assert.doesNotMatch(text, /get-secret-value|echo "\$password"/);
      assert.match(text, /::add-mask::\$\(cat "\$RUNNER_TEMP\/dr-drill-password"\)/);
    }
  });

  it("AWS: cuts the temporary instance's name to RDS's 63 characters, leaving room for the run id", () => {
    const source = `${"a".repeat(30)}-production-${"b".repeat(20)}`;
    const name = drillInstance(source).replace("${{ github.run_id }}", "99999999999");
    assert.ok(name.length <= 63, name);
    assert.match(name, /^[a-z][a-z0-9-]*[a-z0-9]-drill-99999999999$/);
    assert.doesNotMatch(name, /--/);
  });

  it("AWS: the drill role grants every action the workflow's aws commands call, on the drill's resources", async () => {
    // Each command of the workflow and the IAM actions it needs (the Service Authorization Reference);
    // a command missing here fails the test, so a new one cannot go in without its permission.
    const NEEDS: Record<string, string[]> = {
      "ec2 describe-subnets": ["ec2:DescribeSubnets"],
      "ec2 describe-security-groups": ["ec2:DescribeSecurityGroups"],
      "secretsmanager put-secret-value": ["secretsmanager:PutSecretValue", "kms:GenerateDataKey"],
      "rds describe-db-instances": ["rds:DescribeDBInstances"],
      "rds restore-db-instance-to-point-in-time": [
        "rds:RestoreDBInstanceToPointInTime",
        "rds:AddTagsToResource",
        "kms:CreateGrant",
        "kms:DescribeKey",
      ],
      "rds wait": ["rds:DescribeDBInstances"],
      "rds modify-db-instance": ["rds:ModifyDBInstance"],
      "rds delete-db-instance": ["rds:DeleteDBInstance"],
      "ecs run-task": ["ecs:RunTask", "iam:PassRole"],
      "ecs describe-tasks": ["ecs:DescribeTasks"],
      "ecs stop-task": ["ecs:StopTask"],
      "logs filter-log-events": ["logs:FilterLogEvents"],
    };
    for (const ex of ["storefront", "augeo", "todo"]) {
      const text = workflow(ex, "aws").text!;
      const commands = new Set(
        [...text.matchAll(/\baws ([a-z0-9]+) ([a-z0-9-]+)/g)].map(([, service, command]) =>
          command === "wait" ? `${service} wait` : `${service} ${command}`,
        ),
      );
      const tree = awsTarget.render(loadExample(ex).project, exampleContext(ex, "aws"));
      const main = (await parseHcl("main.tf", tree["modules/dr_drill/main.tf"]!)) as {
        data: {
          aws_iam_policy_document: Record<string, { statement: { effect?: string; actions: string[] }[] }[]>;
        };
      };
      const granted = new Set(
        main.data.aws_iam_policy_document["github"]![0]!.statement.filter(
          (st) => st.effect !== "Deny",
        ).flatMap((st) => st.actions),
      );
      const needed = new Set<string>();
      for (const c of commands) {
        assert.ok(NEEDS[c], `${ex}: \`aws ${c}\` has no known IAM action`);
        for (const a of NEEDS[c]) {
          assert.ok(granted.has(a), `${ex}: \`aws ${c}\` needs ${a}, which the drill role lacks`);
          needed.add(a);
        }
      }
      // And nothing beyond them.
      assert.deepEqual([...granted].sort(), [...needed].sort(), ex);
      // The role is trusted by the default branch only, and its output reaches the README.
      const trust = main.data.aws_iam_policy_document["github_trust"]![0]!.statement[0] as unknown as {
        condition: { variable: string; values: string[] }[];
      };
      assert.deepEqual(trust.condition.find((c) => c.variable.endsWith(":sub"))!.values, [
        "repo:${var.github_owner}/${var.github_repo}:ref:refs/heads/${var.github_branch}",
      ]);
      assert.match(tree["outputs.tf"]!, /output "dr_drill_role_arn"/);
      // The session the workflow asks for (its job's time limit) is one the role allows.
      const role = (
        main as unknown as { resource: { aws_iam_role: { github: { max_session_duration: number }[] } } }
      ).resource.aws_iam_role.github[0]!;
      const login = (parse(text) as DrillWorkflow).jobs["drill"]!.steps.find((s) =>
        s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
      )!;
      assert.ok(Number(login.with!["role-duration-seconds"]) <= role.max_session_duration, ex);
      assert.match(tree["environments/production.tfvars"]!, /^dr_drill\s+= true$/m);
      assert.doesNotMatch(tree["environments/staging.tfvars"]!, /^dr_drill\s+= true$/m);
    }
  });

  it("is not written without a production environment, or on a platform without a drill", () => {
    assert.equal(workflow("todo", "kubernetes").text, undefined);
    const devOnly = loadSpec(
      "gantry.yaml",
      `name: shop\nservices:\n  api: { build: ./api, port: 8080, uses: [db] }\npostgres:\n  db: {}\ntargets:\n  azure: { location: eastus }\nenvironments:\n  dev: {}\n`,
    ).project;
    assert.equal(githubTarget.render(devOnly, exampleContext("hello", "azure"))["dr-drill.yml"], undefined);
  });
});

describe("in-cluster PostgreSQL backups (Kubernetes)", () => {
  const clusterSpec = (recovery: string) => `name: shop
services:
  api: { build: ./api, port: 8080, uses: [db] }
postgres:
  db: { hosting: cluster, databases: [shop, audit], backups: { retention_days: 3 } }
environments:
  staging:
    recovery: ${recovery}
`;
  const k8s = REGISTERED.find((r) => r.target.name === "kubernetes")!.target;

  it("dumps as often as the RPO asks, and refuses an RPO below 5 minutes", () => {
    const tree = k8s.render(
      loadSpec("gantry.yaml", clusterSpec("{ rpo: 20m }")).project,
      exampleContext("hello"),
    );
    interface Obj {
      kind: string;
      metadata: { annotations?: Record<string, string> };
      spec: {
        schedule?: string;
        suspend?: boolean;
        jobTemplate?: {
          spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
        };
      };
    }
    const rendered = parseAllDocuments(tree["rendered/staging/postgres-db-backup.yaml"]!).map(
      (d) => d.toJS() as Obj,
    );
    const [pvc, backup, restore, policy] = rendered as [Obj, Obj, Obj, Obj];
    assert.equal(pvc.kind, "PersistentVolumeClaim");
    assert.equal(pvc.metadata.annotations?.["helm.sh/resource-policy"], "keep");
    assert.equal(backup.spec.schedule, "*/20 * * * *");
    assert.equal(backup.spec.suspend, false);
    assert.equal(restore.spec.suspend, true);
    const env = Object.fromEntries(
      backup.spec.jobTemplate!.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value]),
    );
    assert.equal(env["DATABASES"], "shop audit");
    assert.equal(env["KEEP_DAYS"], "3");
    assert.equal(policy.kind, "NetworkPolicy");
    // The server admits the backup and restore Jobs.
    assert.match(
      tree["rendered/staging/postgres-db-networkpolicy.yaml"]!,
      /- postgres-db-backup\n\s+- postgres-db-restore/,
    );
    assert.deepEqual(
      rpo(k8s.check(loadSpec("gantry.yaml", clusterSpec("{ rpo: 20m }")).project, exampleContext("hello"))),
      [],
    );
    const tooSmall = rpo(
      k8s.check(loadSpec("gantry.yaml", clusterSpec("{ rpo: 2m }")).project, exampleContext("hello")),
    );
    assert.equal(tooSmall.length, 1);
    assert.match(tooSmall[0]!.message, /in-cluster PostgreSQL can lose up to 5m/);
  });

  it("writes a restore runbook for each in-cluster server", () => {
    const tree = k8s.render(loadExample("todo").project, exampleContext("todo"));
    const dr = tree["operations/disaster-recovery.md"]!;
    assert.match(
      dr,
      /kubectl -n staging create job --from=cronjob\/postgres-db-backup postgres-db-before-restore/,
    );
    assert.match(dr, /kubectl -n staging create job --from=cronjob\/postgres-db-restore "\$JOB"/);
    assert.match(tree["operations/README.md"]!, /\[disaster-recovery\.md\]\(disaster-recovery\.md\)/);
    assert.ok(tree["rendered/staging/postgres-db-backup.yaml"]);
  });
});

describe("in-cluster PostgreSQL backups copied offsite", () => {
  const k8s = REGISTERED.find((r) => r.target.name === "kubernetes")!.target;
  it("dumps in an init container, then copies them to recovery.offsite with the spec's key pair", () => {
    const spec = `name: shop
services:
  api: { build: ./api, port: 8080, uses: [db] }
postgres:
  db: { hosting: cluster }
recovery:
  offsite: { endpoint: "https://s3.eu-west-1.amazonaws.com", bucket: shop-backups, region: eu-west-1 }
environments:
  staging: {}
`;
    const tree = k8s.render(loadSpec("gantry.yaml", spec).project, exampleContext("hello"));
    const [, backup, , policy] = parseAllDocuments(tree["rendered/staging/postgres-db-backup.yaml"]!).map(
      (d) => d.toJS() as { spec: Record<string, unknown> },
    );
    const pod = (
      backup!.spec["jobTemplate"] as {
        spec: { template: { spec: Record<string, { name: string; args?: string[] }[]> } };
      }
    ).spec.template.spec;
    assert.deepEqual(
      pod["initContainers"]!.map((c) => c.name),
      ["backup"],
    );
    const [upload] = pod["containers"]!;
    assert.equal(upload!.name, "upload");
    assert.deepEqual(upload!.args!.slice(0, 4), [
      "s3",
      "sync",
      "/backups",
      "s3://shop-backups/gantry/shop/staging/postgres-db/",
    ]);
    assert.match(JSON.stringify(policy!.spec["egress"]), /"port":443/);
    assert.match(tree["README.md"]!, /GANTRY_BACKUP_S3_KEY/);
    assert.match(
      tree["operations/disaster-recovery.md"]!,
      /aws s3 cp s3:\/\/shop-backups\/gantry\/shop\/staging\/postgres-db\//,
    );
  });
});
