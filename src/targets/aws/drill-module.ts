// modules/dr_drill: what production's recovery drill (dr-drill.yml, pipeline-drill.ts) needs inside
// the VPC, since RDS sits in private subnets no GitHub-hosted runner reaches. A security group pair
// of its own (the restored instance admits only the check task, which reaches only it and HTTPS), so
// neither can touch the live databases; a Fargate task definition of the official `postgres` image
// (from ECR Public, through the private subnets' NAT gateway) that runs the shared probe
// (../github/drill.ts) and prints it to its log group; the secret the workflow puts the temporary
// instance's password in, read only by that task; and the role the workflow assumes, allowed exactly
// the calls of the drill on the drill's resources.
import { call, expr, nested, tmpl, type Block } from "../../format/hcl.js";
import { data, output, resource, type VariableSpec } from "../terraform/blocks.js";
import { NAME_VAR, v, type ModuleSpec } from "../terraform/module.js";
import { PROBE_FUNCTION, PROBE_QUERIES } from "../github/drill.js";
import type { AppModel } from "../../model/types.js";
import {
  assumeRole,
  GITHUB_OIDC_PROVIDER,
  githubTrust,
  KMS_VAR,
  policyDocument,
  type Statement,
} from "./iam.js";

export const DRILL_MODULE = "dr_drill";
/** The check task's container; its log streams are `<prefix>/<container>/<task id>`. */
export const DRILL_CONTAINER = "check";
export const DRILL_LOG_PREFIX = "dr-drill";
/** Marks the probe's lines in the task's log among psql's and pg_amcheck's own output. */
export const PROBE_MARK = "dr-drill";
const POSTGRES_PORT = 5432;
/** IAM's longest role session (MaxSessionDuration: 3600 to 43200 seconds). */
export const MAX_SESSION_SECONDS = 43200;

/**
 * The environment dr-drill.yml restores, where the stack has the drill's module: the first of tier
 * production (as the workflow picks it), with managed PostgreSQL, and a repository to trust and a
 * cluster (some service or job) to run the check on.
 */
export function drilledIn(envs: readonly AppModel[]): AppModel | undefined {
  const prod = envs.find((e) => e.environment.tier === "production");
  const ready =
    envs[0]?.ci.repository !== undefined &&
    envs.some((e) => Object.values(e.services).some((s) => s.type !== "static")) &&
    Object.values(prod?.postgres ?? {}).some((p) => p.hosting === "managed");
  return ready ? prod : undefined;
}

/** Names the workflow and the module agree on, from the stack's `<app>-<env>`. */
export const drillNames = (stack: string) => ({
  family: `${stack}-dr-drill`,
  logGroup: `/ecs/${stack}/dr-drill`,
  secret: `${stack}/dr-drill/password`,
  taskGroup: `${stack}-dr-drill-task`,
  databaseGroup: `${stack}-dr-drill-database`,
});

/** The same names in the module, from its `name` variable. */
const MODULE_NAMES = drillNames("${var.name}");

/**
 * The task's script: the shared probe over each `VARIABLE=database` of $DRILL_DATABASES on $PGHOST,
 * every report line tab-separated behind the mark and the database's variable.
 */
export const PROBE_SCRIPT = [
  `put() { sed "s/^/${PROBE_MARK}\\t$variable\\t$1\\t/"; }`,
  ...PROBE_FUNCTION,
  'for pair in $DRILL_DATABASES; do variable=${pair%%=*}; probe "${pair#*=}" "dbname=${pair#*=}"; done',
].join("\n");

const VARS: Record<string, VariableSpec> = {
  name: NAME_VAR,
  vpc_id: { type: "string", description: "VPC the temporary instances and the check task run in." },
  cluster_arn: { type: "string", description: "ECS cluster the check task runs on." },
  postgres_version: {
    type: "string",
    description: "Major version of the postgres image (psql and pg_amcheck): the newest of the databases.",
  },
  kms_key_arn: KMS_VAR,
  log_retention_days: { type: "number", description: "Days CloudWatch keeps the check task's logs." },
  github_owner: { type: "string", description: "Owner (user or organisation) of the GitHub repository." },
  github_repo: { type: "string", description: "Name of the GitHub repository." },
  github_branch: {
    type: "string",
    description:
      "Default branch: dr-drill.yml runs there (on its schedule and by hand), with no environment.",
  },
};

export function drillModule(): ModuleSpec {
  return {
    name: DRILL_MODULE,
    summary:
      "What dr-drill.yml needs inside the VPC: security groups that admit only the check task to the temporary instances, the check task (official postgres image) and its logs, the temporary password's secret, and the GitHub role allowed exactly the drill's calls.",
    variables: VARS,
    main: [
      data("aws_caller_identity", "current", {}),
      data("aws_region", "current", {}),
      ...securityGroups(),
      ...checkTask(),
      ...githubRole(),
    ],
    outputs: [
      output("role_arn", expr("aws_iam_role.github.arn"), "Role dr-drill.yml assumes (AWS_DRILL_ROLE_ARN)."),
    ],
  };
}

/** The task reaches the temporary instances and HTTPS (image pull, logs); they admit only the task. */
function securityGroups(): Block[] {
  const group = (key: string, name: string, description: string) =>
    resource("aws_security_group", key, {
      name: tmpl(name),
      description,
      vpc_id: v("vpc_id"),
      tags: { Name: tmpl(name) },
    });
  const port = { ip_protocol: "tcp", from_port: POSTGRES_PORT, to_port: POSTGRES_PORT };
  return [
    group("task", MODULE_NAMES.taskGroup, "Recovery drill check task: the temporary instances and HTTPS out"),
    group(
      "database",
      MODULE_NAMES.databaseGroup,
      "Temporary instances of the recovery drill: only the check task in",
    ),
    resource("aws_vpc_security_group_egress_rule", "task_https", {
      security_group_id: expr("aws_security_group.task.id"),
      description: "HTTPS to ECR Public, CloudWatch Logs and Secrets Manager (through NAT)",
      cidr_ipv4: "0.0.0.0/0",
      ip_protocol: "tcp",
      from_port: 443,
      to_port: 443,
    }),
    resource("aws_vpc_security_group_egress_rule", "task_database", {
      security_group_id: expr("aws_security_group.task.id"),
      description: "To the temporary instances",
      referenced_security_group_id: expr("aws_security_group.database.id"),
      ...port,
    }),
    resource("aws_vpc_security_group_ingress_rule", "database_task", {
      security_group_id: expr("aws_security_group.database.id"),
      description: "From the check task",
      referenced_security_group_id: expr("aws_security_group.task.id"),
      ...port,
    }),
  ];
}

/** The log group, the secret, the execution role (logs and that secret only) and the task definition. */
function checkTask(): Block[] {
  return [
    resource("aws_cloudwatch_log_group", "check", {
      name: tmpl(MODULE_NAMES.logGroup),
      retention_in_days: v("log_retention_days"),
      kms_key_id: v("kms_key_arn"),
    }),
    resource("aws_secretsmanager_secret", "password", {
      name: tmpl(MODULE_NAMES.secret),
      description:
        "Password dr-drill.yml gives each temporary instance it restores; the check task reads it, nothing else.",
      kms_key_id: v("kms_key_arn"),
      recovery_window_in_days: 7,
    }),
    assumeRole("ecs_tasks", "ecs-tasks.amazonaws.com"),
    resource("aws_iam_role", "execution", {
      name: tmpl("${var.name}-dr-drill-execution"),
      description: "ECS writes the recovery drill's check logs and reads its temporary password",
      assume_role_policy: expr("data.aws_iam_policy_document.ecs_tasks.json"),
    }),
    policyDocument("execution", [
      {
        sid: "WriteLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [tmpl("${aws_cloudwatch_log_group.check.arn}:*")],
      },
      {
        sid: "ReadPassword",
        actions: ["secretsmanager:GetSecretValue"],
        resources: [expr("aws_secretsmanager_secret.password.arn")],
      },
      { sid: "DecryptPassword", actions: ["kms:Decrypt"], resources: [v("kms_key_arn")] },
    ]),
    resource("aws_iam_role_policy", "execution", {
      name: "dr-drill",
      role: expr("aws_iam_role.execution.id"),
      policy: expr("data.aws_iam_policy_document.execution.json"),
    }),
    resource("aws_ecs_task_definition", "check", {
      family: tmpl(MODULE_NAMES.family),
      requires_compatibilities: ["FARGATE"],
      network_mode: "awsvpc",
      cpu: "256",
      memory: "512",
      execution_role_arn: expr("aws_iam_role.execution.arn"),
      container_definitions: call("jsonencode", [
        {
          name: DRILL_CONTAINER,
          // The Docker official image, mirrored by AWS on ECR Public: no Docker Hub pull limit.
          image: tmpl("public.ecr.aws/docker/library/postgres:${var.postgres_version}"),
          essential: true,
          entryPoint: ["bash", "-c"],
          command: [PROBE_SCRIPT],
          // The workflow adds PGHOST and DRILL_DATABASES per run (run-task overrides).
          environment: [
            ...Object.entries(PROBE_QUERIES).map(([name, value]) => ({ name, value })),
            { name: "PGPORT", value: String(POSTGRES_PORT) },
            { name: "PGUSER", value: "app" },
            { name: "PGSSLMODE", value: "require" },
            { name: "PGCONNECT_TIMEOUT", value: "30" },
          ],
          secrets: [{ name: "PGPASSWORD", valueFrom: expr("aws_secretsmanager_secret.password.arn") }],
          readonlyRootFilesystem: true,
          logConfiguration: {
            logDriver: "awslogs",
            options: {
              "awslogs-group": expr("aws_cloudwatch_log_group.check.name"),
              "awslogs-region": expr("data.aws_region.current.region"),
              "awslogs-stream-prefix": DRILL_LOG_PREFIX,
            },
          },
        },
      ]),
      runtime_platform: nested({ operating_system_family: "LINUX", cpu_architecture: "X86_64" }),
    }),
  ];
}

const ARN = {
  rds: (type: string, id: string) =>
    tmpl(
      `arn:aws:rds:\${data.aws_region.current.region}:\${data.aws_caller_identity.current.account_id}:${type}:${id}`,
    ),
};

/**
 * The role of dr-drill.yml, trusted by the default branch's jobs only, and its calls (each action of
 * the Service Authorization Reference's RDS, ECS, CloudWatch Logs, Secrets Manager and KMS tables,
 * docs.aws.amazon.com/service-authorization/latest/reference/): restore production's instances
 * (`<name>-<database>`) into `<name>-...-drill-<run>` ones, change and delete only those; run and
 * stop only the check task on the cluster; read its logs; write its password.
 */
function drillStatements(): Statement[] {
  const sources = ARN.rds("db", "${var.name}-*");
  const drills = ARN.rds("db", "${var.name}-*-drill-*");
  const viaService = (service: string) => ({
    test: "StringEquals",
    variable: "kms:ViaService",
    values: [tmpl(`${service}.\${data.aws_region.current.region}.amazonaws.com`)],
  });
  const cluster = [{ test: "ArnEquals", variable: "ecs:cluster", values: [v("cluster_arn")] }];
  return [
    { sid: "DescribeInstances", actions: ["rds:DescribeDBInstances"], resources: [sources] },
    {
      sid: "RestoreIntoDrillInstances",
      actions: ["rds:RestoreDBInstanceToPointInTime"],
      resources: [
        sources,
        ARN.rds("subgrp", "${var.name}-*"),
        ARN.rds("pg", "${var.name}-*"),
        ARN.rds("og", "default:postgres-*"),
      ],
    },
    {
      sid: "ManageDrillInstances",
      actions: ["rds:AddTagsToResource", "rds:ModifyDBInstance", "rds:DeleteDBInstance"],
      resources: [drills],
    },
    // Restoring an encrypted instance lets RDS use the key (USER_RestoreFromSnapshot: kms:CreateGrant, kms:DescribeKey).
    {
      sid: "RestoreEncrypted",
      actions: ["kms:CreateGrant", "kms:DescribeKey"],
      resources: [v("kms_key_arn")],
      conditions: [viaService("rds")],
    },
    // Subnets and security groups are found by name; EC2's Describe actions take no resource.
    {
      sid: "FindNetwork",
      actions: ["ec2:DescribeSecurityGroups", "ec2:DescribeSubnets"],
      resources: ["*"],
    },
    {
      sid: "RunCheckTask",
      actions: ["ecs:RunTask"],
      resources: [tmpl("${aws_ecs_task_definition.check.arn_without_revision}:*")],
      conditions: cluster,
    },
    {
      sid: "WatchCheckTask",
      actions: ["ecs:DescribeTasks", "ecs:StopTask"],
      resources: ["*"],
      conditions: cluster,
    },
    {
      sid: "PassExecutionRole",
      actions: ["iam:PassRole"],
      resources: [expr("aws_iam_role.execution.arn")],
      conditions: [
        { test: "StringEquals", variable: "iam:PassedToService", values: ["ecs-tasks.amazonaws.com"] },
      ],
    },
    {
      sid: "ReadCheckLogs",
      actions: ["logs:FilterLogEvents"],
      resources: [
        expr("aws_cloudwatch_log_group.check.arn"),
        tmpl("${aws_cloudwatch_log_group.check.arn}:*"),
      ],
    },
    {
      sid: "WritePassword",
      actions: ["secretsmanager:PutSecretValue"],
      resources: [expr("aws_secretsmanager_secret.password.arn")],
    },
    {
      sid: "EncryptPassword",
      actions: ["kms:GenerateDataKey"],
      resources: [v("kms_key_arn")],
      conditions: [
        viaService("secretsmanager"),
        {
          test: "StringEquals",
          variable: "kms:EncryptionContext:SecretARN",
          values: [expr("aws_secretsmanager_secret.password.arn")],
        },
      ],
    },
    { sid: "NoRoleChaining", effect: "Deny", actions: ["sts:AssumeRole"], resources: ["*"] },
  ];
}

function githubRole(): Block[] {
  return [
    githubTrust(
      "github_trust",
      tmpl(`arn:aws:iam::\${data.aws_caller_identity.current.account_id}:${GITHUB_OIDC_PROVIDER}`),
      [tmpl("repo:${var.github_owner}/${var.github_repo}:ref:refs/heads/${var.github_branch}")],
    ),
    resource("aws_iam_role", "github", {
      name: tmpl("${var.name}-github-dr-drill"),
      description: tmpl(
        "dr-drill.yml of ${var.github_owner}/${var.github_repo} restores ${var.name}'s databases and checks them",
      ),
      assume_role_policy: expr("data.aws_iam_policy_document.github_trust.json"),
      // The workflow asks for a session as long as its job may run, so its teardown may still delete.
      max_session_duration: MAX_SESSION_SECONDS,
    }),
    policyDocument("github", drillStatements()),
    resource("aws_iam_role_policy", "github", {
      name: "dr-drill",
      role: expr("aws_iam_role.github.id"),
      policy: expr("data.aws_iam_policy_document.github.json"),
    }),
  ];
}
