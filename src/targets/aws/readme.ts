// The README of the generated AWS tree: how to bootstrap state, apply per environment, fill the
// secrets, create the topics, and what the pipelines read.
import { durationMs } from "../../util/duration.js";
import type { AppModel } from "../../model/types.js";
import type { SynthContext } from "../target.js";
import { tfName } from "../terraform/blocks.js";
import { mdTable, sh, type ReadmeSection, type StackReadme } from "../terraform/readme.js";
import { cloudWatchRetention } from "../terraform/units.js";
import { awsOptions, stateBucket, stateRegion, type AwsShape } from "./shape.js";
import { BOOTSTRAP_DIR, BUILD_ROLE, hasBootstrap, INFRA_ROLE } from "./bootstrap.js";
import { AWS_SIZES } from "./sizes.js";
import { rdsBackupDays, rdsGeoRedundant } from "./tfvars.js";
import { costSection } from "../../cost/readme.js";
import { DR_LINK } from "../runbook-dr.js";
import { alertsSection } from "./readme-alerts.js";
import { drilledIn } from "./drill-module.js";

const OPERATIONS_SECTION: ReadmeSection = {
  heading: "Operations",
  blocks: [
    "Runbooks, generated with this tree from the same spec: [operations/README.md](operations/README.md) (architecture, deploy and roll back, monitoring and the alert table, secrets and their rotation, troubleshooting, incident response).",
  ],
};

export function awsReadme(shape: AwsShape, ctx: SynthContext): StackReadme {
  const app = shape.app;
  return {
    title: `${app.name} on AWS`,
    driftNote: "`gantry synth aws --check` fails in CI when this folder drifts",
    layout: [
      ...(hasBootstrap(shape)
        ? ["- `bootstrap/`: a stack of its own, applied once per app before any environment (below)."]
        : []),
      "- `versions.tf`: OpenTofu/Terraform version and the pinned AWS provider.",
      "- `backend.tf`: S3 state, encrypted, with S3 lock files; `environments/<env>.s3.tfbackend` names the bucket and key of each environment.",
      "- `main.tf`: the root module, wiring the modules for one environment. `variables.tf`: its typed, validated inputs. `outputs.tf`: what the pipelines read.",
      `- ${DR_LINK}.`,
      `- \`environments/<env>.tfvars\`: what differs per environment (${shape.envs.map((e) => e.environment.name).join(", ")}): sizes, task counts, retention, domains, alerts, budget.`,
    ],
    sections: [
      { heading: "Environments", blocks: [environmentTable(shape)] },
      costSection(shape.envs, "aws"),
      stateBucketSection(shape),
      ...bootstrapSection(shape, ctx),
      {
        heading: "Apply, per environment",
        blocks: [
          sh([
            `cd ${ctx.outputs.aws}`,
            "tofu init -backend-config=environments/<env>.s3.tfbackend -reconfigure",
            "tofu plan -var-file=environments/<env>.tfvars -out=tfplan",
            "tofu apply tfplan",
            ...(shape.app.ci.repository
              ? ['gh variable set AWS_ROLE_ARN --env <env> --body "$(tofu output -raw deploy_role_arn)"']
              : []),
          ]),
          ...(shape.app.ci.repository
            ? [
                "After the first apply by hand, infrastructure.yml plans every environment on pull requests and applies them on merge. The deploy and rollback jobs of `<env>` assume the environment's `AWS_ROLE_ARN` (its stack's `deploy_role_arn`, trusted only by jobs of the GitHub environment `<env>`), which overrides the repository's.",
              ]
            : []),
          ...drillSetup(shape),
        ],
      },
      ...dataSections(shape),
      alertsSection(shape),
      OPERATIONS_SECTION,
      { heading: "What the pipelines read", blocks: [pipelineOutputs(shape)] },
    ],
    choices: [
      "- Deployments: rolling, minimum healthy 100 %, maximum 200 %, with the ECS deployment circuit breaker rolling back a release whose tasks fail their health checks.",
      "- Terraform ignores the services' `task_definition` and `desired_count` after creation: the pipeline deploys new revisions and autoscaling moves the count.",
      "- One customer-managed KMS key per environment encrypts logs, secrets, images, the database, the cache and the buckets.",
      "- Alarms notify one SNS topic per channel, so a rule reaches exactly the channels it names; Slack and Teams through AWS Chatbot, webhooks as HTTPS subscriptions whose URLs stay out of files.",
    ],
  };
}

function environmentTable(shape: AwsShape): string {
  const services = (e: AppModel) =>
    shape.services
      .map((s0) => {
        const s = e.services[s0.name];
        return s && s.type !== "static" && s.type !== "job"
          ? `${s.name} ${s.scale.min} to ${Math.max(s.scale.min, s.scale.max)}`
          : "";
      })
      .filter(Boolean)
      .join(", ") || "none";
  const postgres = (e: AppModel) =>
    Object.values(e.postgres)
      .map(
        (p) =>
          `${p.name} ${AWS_SIZES[p.size].postgres}${p.ha ? " Multi-AZ" : ""}, backups ${rdsBackupDays(p)} d${rdsGeoRedundant(p) ? " + replica region" : ""}`,
      )
      .join("; ") || "none";
  const redis = (e: AppModel) =>
    Object.values(e.redis)
      .map((r) => `${r.name} ${AWS_SIZES[r.size].redis}${r.ha ? " + replica" : ""}`)
      .join("; ") || "none";
  return mdTable(
    ["environment", "region", "services (tasks min to max)", "PostgreSQL", "Redis", "log retention"],
    shape.envs.map((e) => [
      e.environment.name,
      awsOptions(e).region,
      services(e),
      postgres(e),
      redis(e),
      `${cloudWatchRetention(e.monitoring.log_retention_days)} days`,
    ]),
  );
}

function stateBucketSection(shape: AwsShape): ReadmeSection {
  const lines: string[] = [];
  for (const bucket of [...new Set(shape.envs.map((e) => stateBucket(e)))]) {
    const region = stateRegion(
      shape.envs,
      shape.envs.find((e) => stateBucket(e) === bucket)!,
    );
    lines.push(
      `aws s3api create-bucket --bucket ${bucket} --region ${region}${region === "us-east-1" ? "" : ` --create-bucket-configuration LocationConstraint=${region}`}`,
      `aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled`,
      `aws s3api put-bucket-encryption --bucket ${bucket} --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms"},"BucketKeyEnabled":true}]}'`,
      `aws s3api put-public-access-block --bucket ${bucket} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`,
    );
  }
  const zone = shape.hasDomains
    ? [
        "The Route 53 hosted zone named by `dns_zone` in each tfvars file must exist (its name servers delegated at the registrar).",
      ]
    : [];
  return { heading: "Once per account: the state bucket", blocks: [sh(lines), ...zone] };
}

/**
 * The bootstrap stack (bootstrap.ts): applied once, before any environment, with a person's
 * credentials, since it creates the roles the pipelines then use; again when a workload is added.
 */
function bootstrapSection(shape: AwsShape, ctx: SynthContext): ReadmeSection[] {
  if (!hasBootstrap(shape)) return [];
  const repository = shape.app.ci.repository;
  const app = shape.app.name;
  const made = [
    repository ? "the account's GitHub OIDC provider" : "",
    shape.built.length
      ? `the image repositories \`${app}/<workload>\` that build.yml pushes to and every environment runs from (${shape.built.join(", ")})`
      : "",
    repository && shape.built.length
      ? `the role \`${BUILD_ROLE(app)}\` that build.yml pushes with (trusted only by workflows on \`${shape.app.ci.default_branch}\`)`
      : "",
    repository
      ? `the role \`${INFRA_ROLE(app)}\` that infrastructure.yml and the pull request checks plan and apply with (trusted only by pull requests, \`${shape.app.ci.default_branch}\` and the GitHub environments ${shape.envs.map((e) => `\`${e.environment.name}\``).join(", ")}; PowerUserAccess, and IAM only on the roles named \`${app}-*\` other than the GitHub roles)`
      : "",
  ].filter(Boolean);
  return [
    {
      heading: "Once per app: the bootstrap stack",
      blocks: [
        `\`bootstrap/\` creates ${made.join(", ")}. Apply it with your own credentials before any environment (an environment's plan fails until its image repositories exist), and again when a workload built from source is added:`,
        sh([
          `cd ${ctx.outputs.aws}/${BOOTSTRAP_DIR}`,
          "tofu init",
          "tofu apply",
          ...(repository
            ? ['gh variable set AWS_INFRA_ROLE_ARN --body "$(tofu output -raw infrastructure_role_arn)"']
            : []),
          ...(repository && shape.built.length
            ? ['gh variable set AWS_ROLE_ARN --body "$(tofu output -raw build_role_arn)"']
            : []),
        ]),
        ...(repository ? [githubSettings(shape)] : []),
      ],
    },
  ];
}

/** Where dr-drill.yml's role comes from, and what modules/dr_drill adds to the drilled environment. */
function drillSetup(shape: AwsShape): string[] {
  const prod = drilledIn(shape.envs);
  if (!prod) return [];
  const env = prod.environment.name;
  return [
    `The recovery drill (\`dr-drill.yml\`) restores ${env}'s databases into temporary instances and checks them from a Fargate task inside the VPC (the runners cannot reach RDS). \`dr_drill = true\` in \`environments/${env}.tfvars\` gives that stack \`modules/dr_drill\`: two security groups (the temporary instances admit only the check task, which reaches only them and HTTPS), the check task definition (the official \`postgres\` image from ECR Public, pulled through the NAT gateway), its log group, the secret of the temporary password, and the role the workflow assumes, trusted by the default branch and allowed only the drill's calls. After applying ${env}:`,
    sh([`gh variable set AWS_DRILL_ROLE_ARN --body "$(tofu output -raw dr_drill_role_arn)"`]),
  ];
}

/** The GitHub variables the AWS steps of the workflows read, where each is set and from which output. */
function githubSettings(shape: AwsShape): string {
  const rows = [
    ["`AWS_INFRA_ROLE_ARN`", "repository", "`bootstrap/` output `infrastructure_role_arn`"],
    ...(shape.built.length
      ? [["`AWS_ROLE_ARN`", "repository (build.yml)", "`bootstrap/` output `build_role_arn`"]]
      : []),
    [
      "`AWS_ROLE_ARN`",
      "each GitHub environment (deploy, rollback)",
      "the environment's output `deploy_role_arn`",
    ],
    ...(drilledIn(shape.envs)
      ? [
          [
            "`AWS_DRILL_ROLE_ARN`",
            "repository (dr-drill.yml)",
            "the drilled environment's output `dr_drill_role_arn`",
          ],
        ]
      : []),
    ...(shape.postgres.length || shape.redis.length
      ? [
          [
            "`CREDENTIALS_VERSION`",
            "repository (optional, default 1)",
            "raise it to generate new passwords (below)",
          ],
        ]
      : []),
  ];
  return mdTable(["GitHub variable", "where", "value"], rows);
}

/**
 * The commands that put each secret's value in, with the region of the environments they serve: each
 * environment's entries live in its own region (environments.<env>.region), and a command without
 * `--region` puts the value into the profile's default region, where no task reads it.
 */
function secretCommands(shape: AwsShape): string[] {
  const byRegion = new Map<string, string[]>();
  for (const e of shape.envs) {
    const region = awsOptions(e).region;
    byRegion.set(region, [...(byRegion.get(region) ?? []), e.environment.name]);
  }
  return [...byRegion].flatMap(([region, envs]) => [
    ...(byRegion.size > 1 ? [`# ${envs.join(", ")}`] : []),
    ...shape.secrets.map(
      (s) =>
        `aws secretsmanager put-secret-value --secret-id ${shape.app.name}-${envs.length === 1 ? envs[0] : "<env>"}/${s} --secret-string "$${s}" --region ${region}`,
    ),
  ]);
}

/** Secrets to fill in, how the databases are reached and backed up, and the topics to create. */
function dataSections(shape: AwsShape): ReadmeSection[] {
  const sections: ReadmeSection[] = [];
  if (shape.secrets.length)
    sections.push({
      heading: "Secrets",
      blocks: [
        "Terraform creates the Secrets Manager entries, never their values. Put each value in once per environment (the tasks read them by ARN at start):",
        sh(secretCommands(shape)),
      ],
    });
  const credentials = credentialSection(shape);
  if (credentials) sections.push(credentials);
  if (shape.topics.length)
    sections.push({
      heading: "Topics (MSK Serverless)",
      blocks: [
        "The AWS provider has no resource for topics on MSK Serverless, so they are created once per environment with the Kafka admin tools and the IAM auth library, from a machine in the VPC (for example a one-off ECS task):",
        sh(
          shape.topics.map(
            (t) =>
              `kafka-topics.sh --bootstrap-server "$(tofu output -raw kafka_bootstrap_brokers)" --command-config iam.properties --create --if-not-exists --topic ${t.name} --partitions ${t.partitions} --config retention.ms=${retentionMs(t.retention)}`,
          ),
        ),
      ],
    });
  return sections;
}

/** The generated passwords of the databases and caches, how the tasks read them, and how to change them. */
function credentialSection(shape: AwsShape): ReadmeSection | undefined {
  const pg = shape.postgres.length > 0;
  const redis = shape.redis.length > 0;
  if (!pg && !redis) return undefined;
  const which = [pg ? "database" : "", redis ? "cache" : ""].filter(Boolean);
  const stores = [
    pg ? "`<app>-<env>/postgres/<name>/connection`" : "",
    redis ? "`<app>-<env>/redis/<name>/connection`" : "",
  ];
  const read = [
    ...(pg ? ["`DATABASE_URL` (`postgresql://...?sslmode=require`)", "`PGPASSWORD`"] : []),
    ...(redis ? ["`REDIS_URL` (`rediss://:<token>@...`)"] : []),
  ];
  return {
    heading: `${pg ? "Databases" : ""}${pg && redis ? " and caches" : redis ? "Caches" : ""}`,
    blocks: [
      [
        `Terraform has Secrets Manager generate ${[pg ? "each database's password" : "", redis ? "each cache's AUTH token" : ""].filter(Boolean).join(" and ")}, and writes the connection into ${stores.filter(Boolean).join(" and ")} (JSON keys \`url\`, \`host\`, \`port\`, \`password\`${pg ? ", and `database`, `user`, `sslmode` for PostgreSQL" : ""}).`,
        pg
          ? "A database password is never in a plan or the state (ephemeral resources and write-only arguments)."
          : "",
        redis
          ? "A cache's token is in the state and in saved plans, since the provider has no write-only argument for it; the infrastructure workflow encrypts its plan artifacts with OpenTofu's plan encryption under the `TOFU_PLAN_PASSPHRASE` secret."
          : "",
        `Workloads that \`use\` them read ${read.join(", ")} from these secrets; \`gantry env --target aws\` lists every variable and where it comes from.`,
        pg
          ? "A secret you fill yourself, such as a `DATABASE_URL` of a service that does not `use` the database, can copy the connection secret's `url`."
          : "",
      ]
        .filter(Boolean)
        .join(" "),
      `New ${which.length > 1 ? "passwords and tokens" : pg ? "passwords" : "tokens"}: raise \`credentials_version\` (default 1), then deploy the services so the tasks read them. The infrastructure workflow passes the repository variable \`CREDENTIALS_VERSION\` (unset: 1) to every plan; by hand, pass the same value to every later apply.${pg ? " The database refuses the old password at once." : ""}${redis ? " The cache accepts the old and the new token (`ROTATE`)." : ""}`,
      sh([
        "gh variable set CREDENTIALS_VERSION --body 2",
        "tofu apply -var-file=environments/<env>.tfvars -var credentials_version=2",
      ]),
      ...(pg
        ? [
            "Automated backups are kept `backup_retention_days` days and point-in-time recovery covers that window (`aws rds restore-db-instance-to-point-in-time`).",
          ]
        : []),
    ],
  };
}

function pipelineOutputs(shape: AwsShape): string {
  const rows: string[][] = [];
  if (shape.services.length || shape.jobs.length) rows.push(["`ecs_cluster_name`", "cluster to deploy to"]);
  for (const s of shape.services)
    rows.push([
      `\`${tfName(s.name)}_service_name\`, \`${tfName(s.name)}_task_family\``,
      `deploy ${s.name}: register a revision of the family with the new image, update the service`,
    ]);
  for (const j of shape.jobs.filter((x) => !shape.services.some((s) => s.name === x.name)))
    rows.push([`\`${tfName(j.name)}_task_family\``, `new image for the ${j.name} job`]);
  for (const s of shape.sites)
    rows.push([
      `\`${tfName(s.name)}_bucket\`, \`${tfName(s.name)}_distribution_id\``,
      `upload ${s.name}, then invalidate the cache`,
    ]);
  rows.push([
    "`ecr_repository_urls`",
    "the repository (of `bootstrap/`) each deploy registers its image from (service names with `-` as `_`)",
  ]);
  if (shape.app.ci.repository)
    rows.push(["`deploy_role_arn`", `role the workflows of ${shape.app.ci.repository} assume through OIDC`]);
  if (drilledIn(shape.envs))
    rows.push(["`dr_drill_role_arn`", "role dr-drill.yml assumes (only in the drilled environment)"]);
  return mdTable(["output", "used to"], rows);
}

/** A topic's retention in milliseconds (a week when it cannot be read, as Kafka's default). */
const retentionMs = (r: string): number => durationMs(r, 604_800_000);
