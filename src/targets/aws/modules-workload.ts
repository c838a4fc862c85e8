// What the AWS workload modules share, and the scheduled job module. A service (modules-service.ts)
// and a job share the task definition: CloudWatch logs, a container health check, secrets from
// Secrets Manager by ARN (never values), an execution role that may read only those secrets, a
// task role for what the code itself calls.
import { call, expr, nested, tmpl, type Block, type BodyInput, type HclValue } from "../../format/hcl.js";
import { data, locals, output, resource, type VariableSpec } from "../terraform/blocks.js";
import { NAME_VAR, v, type ModuleSpec } from "../terraform/module.js";
import { assumeRole, KMS_VAR, policyDocument } from "./iam.js";

export const WORKLOAD_VARS: Record<string, VariableSpec> = {
  name: NAME_VAR,
  workload: { type: "string", description: "Name of the workload (container name and log stream prefix)." },
  image: {
    type: "string",
    description: "Container image, <repository>:<tag>. The pipeline registers later revisions itself.",
  },
  command: {
    type: "list(string)",
    description:
      "The process to run: the first word replaces the image's ENTRYPOINT and the rest its CMD; null keeps both.",
    default: null,
  },
  port: {
    type: "number",
    description: "Port the container listens on (0 for none).",
    default: 0,
  },
  cpu: {
    type: "number",
    description: "Fargate CPU units.",
    validations: [
      {
        condition: "contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)",
        error_message: "cpu must be a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192 or 16384.",
      },
    ],
  },
  memory: { type: "number", description: "Fargate memory in MiB (must fit the CPU size)." },
  environment: {
    type: "map(string)",
    description:
      "Plain environment variables (never secrets): every variable of the container that is not a secret.",
    default: {},
  },
  secrets: {
    type: "map(string)",
    description:
      "Environment variable name to Secrets Manager ARN (optionally ARN:json-key::); read by ECS at start.",
  },
  health_check_path: {
    type: "string",
    description: "HTTP path the container health check requests (null for no check).",
    default: null,
  },
  health_check: {
    type: "object({ interval = number, timeout = number, retries = number, start_period = number })",
    description: "Container health check timing, in seconds.",
    default: { interval: 10, timeout: 5, retries: 3, start_period: 60 },
  },
  read_only_root: {
    type: "bool",
    description: "Mount the container's root file system read-only.",
    default: true,
  },
  stop_timeout: { type: "number", description: "Seconds between SIGTERM and SIGKILL.", default: 30 },
  log_retention_days: { type: "number", description: "Days to keep the container logs." },
  kms_key_arn: KMS_VAR,
  task_policy_statements: {
    type: "list(object({ actions = list(string), resources = list(string) }))",
    description: "What the code may call (S3 buckets, Kafka topics), as IAM statements.",
    default: [],
  },
  cluster_arn: { type: "string", description: "ECS cluster to run in." },
  subnet_ids: { type: "list(string)", description: "Private subnets of the tasks." },
  security_group_id: { type: "string", description: "Security group of the tasks." },
};

/**
 * ECS entryPoint and command of an argument vector (a variable holding a list): ECS does not merge
 * them with the image's as `docker run` would, so setting both replaces the image's ENTRYPOINT and CMD.
 */
export const argv = (list: string): Record<string, HclValue> => ({
  entryPoint: expr(`${list} == null ? null : slice(${list}, 0, 1)`),
  command: expr(`${list} == null ? null : slice(${list}, 1, length(${list}))`),
});

/** The container adds no variable of its own: the root's call names each one the workload receives. */
export const CONTAINER_ENVIRONMENT = "[for k, val in var.environment : { name = k, value = val }]";

/** The one container of the task: environment, secrets by ARN, logs, a read-only root, the health check. */
const CONTAINER: Record<string, HclValue> = {
  name: v("workload"),
  image: v("image"),
  essential: true,
  ...argv("var.command"),
  portMappings: expr(
    'var.port > 0 ? [{ name = var.workload, containerPort = var.port, protocol = "tcp", appProtocol = "http" }] : []',
  ),
  environment: expr(CONTAINER_ENVIRONMENT),
  secrets: expr("[for k, arn in var.secrets : { name = k, valueFrom = arn }]"),
  readonlyRootFilesystem: v("read_only_root"),
  stopTimeout: v("stop_timeout"),
  mountPoints: expr(
    'var.read_only_root ? [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }] : []',
  ),
  logConfiguration: {
    logDriver: "awslogs",
    options: {
      "awslogs-group": expr("aws_cloudwatch_log_group.this.name"),
      "awslogs-region": expr("data.aws_region.current.region"),
      "awslogs-stream-prefix": v("workload"),
    },
  },
  healthCheck: expr(
    // The URL is one shell word in single quotes: a health path may hold & ; $ or a query.
    `var.health_check_path == null || var.port == 0 ? null : { command = ["CMD-SHELL", "wget -q -O /dev/null \${local.health_url} || curl -fsS -o /dev/null \${local.health_url} || exit 1"], interval = var.health_check.interval, timeout = var.health_check.timeout, retries = var.health_check.retries, startPeriod = var.health_check.start_period }`,
  ),
};

/** A task definition of the workload's container (`local.container`, as adjusted by `container`). */
export function taskDefinition(
  name: string,
  family: string,
  container: HclValue,
  extra: BodyInput = {},
): Block {
  return resource("aws_ecs_task_definition", name, {
    ...extra,
    family: tmpl(family),
    requires_compatibilities: ["FARGATE"],
    network_mode: "awsvpc",
    cpu: expr("tostring(var.cpu)"),
    memory: expr("tostring(var.memory)"),
    execution_role_arn: expr("aws_iam_role.execution.arn"),
    task_role_arn: expr("aws_iam_role.task.arn"),
    container_definitions: call("jsonencode", [container]),
    runtime_platform: nested({ operating_system_family: "LINUX", cpu_architecture: "X86_64" }),
    volume: nested({ name: "tmp" }),
  });
}

/** Logs, roles and the task definition, which the service and the job modules share. */
export function taskDefinitionBlocks(): Block[] {
  return [
    locals({
      container: CONTAINER,
      // The health check's URL as one single-quoted shell word (a ' inside it written as '\'').
      health_url: expr(
        `"'http://127.0.0.1:\${var.port}\${replace(coalesce(var.health_check_path, "/"), "'", "'\\\\''")}'"`,
      ),
    }),
    data("aws_region", "current", {}),
    resource("aws_cloudwatch_log_group", "this", {
      name: tmpl("/ecs/${var.name}/${var.workload}"),
      retention_in_days: v("log_retention_days"),
      kms_key_id: v("kms_key_arn"),
    }),
    assumeRole("ecs_tasks", "ecs-tasks.amazonaws.com"),
    ...executionRole(),
    ...taskRole(),
    taskDefinition("this", "${var.name}-${var.workload}", expr("local.container")),
  ];
}

/** ECS itself: pulls the image, writes logs, reads only this workload's secrets. */
function executionRole(): Block[] {
  return [
    resource("aws_iam_role", "execution", {
      name: tmpl("${var.name}-${var.workload}-execution"),
      description: tmpl("ECS pulls the image, writes logs and reads the secrets of ${var.workload}"),
      assume_role_policy: expr("data.aws_iam_policy_document.ecs_tasks.json"),
    }),
    resource("aws_iam_role_policy_attachment", "execution", {
      role: expr("aws_iam_role.execution.name"),
      policy_arn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    }),
    policyDocument("secrets", [
      {
        sid: "ReadOwnSecrets",
        actions: ["secretsmanager:GetSecretValue"],
        resources: expr(
          'length(var.secrets) > 0 ? distinct([for arn in values(var.secrets) : regex("^(arn:[^:]+:secretsmanager:[^:]+:[^:]+:secret:[^:]+)", arn)[0]]) : ["arn:aws:secretsmanager:*:*:secret:none"]',
        ),
      },
      { sid: "DecryptWithEnvironmentKey", actions: ["kms:Decrypt"], resources: [v("kms_key_arn")] },
    ]),
    resource("aws_iam_role_policy", "execution_secrets", {
      name: "secrets",
      role: expr("aws_iam_role.execution.id"),
      policy: expr("data.aws_iam_policy_document.secrets.json"),
    }),
  ];
}

/** The code: its own log stream and what the root grants it (buckets, topics). */
function taskRole(): Block[] {
  return [
    resource("aws_iam_role", "task", {
      name: tmpl("${var.name}-${var.workload}-task"),
      description: tmpl("What the code of ${var.workload} may call"),
      assume_role_policy: expr("data.aws_iam_policy_document.ecs_tasks.json"),
    }),
    data("aws_iam_policy_document", "task", {
      statement: [
        nested({
          sid: "Logs",
          actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
          resources: [tmpl("${aws_cloudwatch_log_group.this.arn}:*")],
        }),
      ],
      dynamic: nested(
        {
          for_each: v("task_policy_statements"),
          content: nested({
            actions: expr("statement.value.actions"),
            resources: expr("statement.value.resources"),
          }),
        },
        ["statement"],
      ),
    }),
    resource("aws_iam_role_policy", "task", {
      name: "app",
      role: expr("aws_iam_role.task.id"),
      policy: expr("data.aws_iam_policy_document.task.json"),
    }),
  ];
}

export const TASK_OUTPUTS = [
  output(
    "task_family",
    expr("aws_ecs_task_definition.this.family"),
    "Task definition family (the pipeline registers new revisions of it).",
  ),
  output(
    "task_definition_arn",
    expr("aws_ecs_task_definition.this.arn"),
    "The revision Terraform registered.",
  ),
  output(
    "task_role_arn",
    expr("aws_iam_role.task.arn"),
    "Task role (the pipeline passes it when it registers a revision).",
  ),
  output("execution_role_arn", expr("aws_iam_role.execution.arn"), "Execution role."),
  output("log_group_name", expr("aws_cloudwatch_log_group.this.name"), "Log group of the containers."),
];

export function jobModule(): ModuleSpec {
  return {
    name: "job",
    summary: "One scheduled job: a Fargate task definition run by EventBridge Scheduler on a cron schedule.",
    variables: {
      ...WORKLOAD_VARS,
      schedule: {
        type: "string",
        description: "EventBridge Scheduler expression, such as cron(0 3 * * ? *).",
      },
      timezone: { type: "string", description: "Time zone of the schedule.", default: "UTC" },
      retries: { type: "number", description: "Retries of a failed start.", default: 0 },
    },
    main: [
      ...taskDefinitionBlocks(),
      assumeRole("scheduler", "scheduler.amazonaws.com"),
      resource("aws_iam_role", "scheduler", {
        name: tmpl("${var.name}-${var.workload}-scheduler"),
        description: tmpl("EventBridge Scheduler starts ${var.workload}"),
        assume_role_policy: expr("data.aws_iam_policy_document.scheduler.json"),
      }),
      policyDocument("run_task", [
        {
          sid: "RunTask",
          actions: ["ecs:RunTask"],
          resources: [expr('"${aws_ecs_task_definition.this.arn_without_revision}:*"')],
        },
        {
          sid: "PassRoles",
          actions: ["iam:PassRole"],
          resources: [expr("aws_iam_role.execution.arn"), expr("aws_iam_role.task.arn")],
        },
      ]),
      resource("aws_iam_role_policy", "scheduler", {
        name: "run-task",
        role: expr("aws_iam_role.scheduler.id"),
        policy: expr("data.aws_iam_policy_document.run_task.json"),
      }),
      resource("aws_scheduler_schedule", "this", {
        name: tmpl("${var.name}-${var.workload}"),
        schedule_expression: v("schedule"),
        schedule_expression_timezone: v("timezone"),
        flexible_time_window: nested({ mode: "OFF" }),
        target: nested({
          arn: v("cluster_arn"),
          role_arn: expr("aws_iam_role.scheduler.arn"),
          retry_policy: nested({ maximum_retry_attempts: v("retries") }),
          ecs_parameters: nested({
            task_definition_arn: expr("aws_ecs_task_definition.this.arn_without_revision"),
            launch_type: "FARGATE",
            task_count: 1,
            network_configuration: nested({
              subnets: v("subnet_ids"),
              security_groups: [v("security_group_id")],
              assign_public_ip: false,
            }),
          }),
        }),
      }),
    ],
    outputs: [...TASK_OUTPUTS],
  };
}
