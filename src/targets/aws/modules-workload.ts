// The AWS modules of a workload: an ECS Fargate service (HTTP or worker) and a scheduled job. Both
// share the task definition: CloudWatch logs, a container health check, secrets from Secrets
// Manager by ARN (never values), an execution role that may read only those secrets, a task role
// for what the code itself calls.
import { call, comment, expr, nested, tmpl, type Block, type HclValue } from "../../format/hcl.js";
import { data, lifecycle, output, resource, type VariableSpec } from "../terraform/blocks.js";
import { NAME_VAR, v, type ModuleSpec } from "../terraform/module.js";
import { assumeRole, KMS_VAR, policyDocument } from "./iam.js";

const WORKLOAD_VARS: Record<string, VariableSpec> = {
  name: NAME_VAR,
  workload: { type: "string", description: "Name of the workload (container name and log stream prefix)." },
  image: {
    type: "string",
    description: "Container image, <repository>:<tag>. The pipeline registers later revisions itself.",
  },
  command: {
    type: "list(string)",
    description: "Command of the container; null keeps the image's.",
    default: null,
  },
  port: {
    type: "number",
    description: "Port the container listens on (0 for none); passed as PORT.",
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
    description: "Plain environment variables (never secrets).",
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

function taskDefinitionBlocks(): Block[] {
  const container: Record<string, HclValue> = {
    name: v("workload"),
    image: v("image"),
    essential: true,
    command: v("command"),
    portMappings: expr(
      'var.port > 0 ? [{ name = var.workload, containerPort = var.port, protocol = "tcp", appProtocol = "http" }] : []',
    ),
    environment: expr(
      "[for k, val in merge(var.environment, { for pk, pv in { PORT = tostring(var.port) } : pk => pv if var.port > 0 }) : { name = k, value = val }]",
    ),
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
      'var.health_check_path == null || var.port == 0 ? null : { command = ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:${var.port}${var.health_check_path} || curl -fsS -o /dev/null http://127.0.0.1:${var.port}${var.health_check_path} || exit 1"], interval = var.health_check.interval, timeout = var.health_check.timeout, retries = var.health_check.retries, startPeriod = var.health_check.start_period }',
    ),
  };
  return [
    data("aws_region", "current", {}),
    resource("aws_cloudwatch_log_group", "this", {
      name: tmpl("/ecs/${var.name}/${var.workload}"),
      retention_in_days: v("log_retention_days"),
      kms_key_id: v("kms_key_arn"),
    }),
    assumeRole("ecs_tasks", "ecs-tasks.amazonaws.com"),
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
    resource("aws_ecs_task_definition", "this", {
      family: tmpl("${var.name}-${var.workload}"),
      requires_compatibilities: ["FARGATE"],
      network_mode: "awsvpc",
      cpu: expr("tostring(var.cpu)"),
      memory: expr("tostring(var.memory)"),
      execution_role_arn: expr("aws_iam_role.execution.arn"),
      task_role_arn: expr("aws_iam_role.task.arn"),
      container_definitions: call("jsonencode", [container]),
      runtime_platform: nested({ operating_system_family: "LINUX", cpu_architecture: "X86_64" }),
      volume: nested({ name: "tmp" }),
    }),
  ];
}

const TASK_OUTPUTS = [
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

export function serviceModule(): ModuleSpec {
  const alarm = (
    name: string,
    metric: string,
    input: Record<string, HclValue | ReturnType<typeof nested>[] | undefined>,
  ) =>
    resource("aws_cloudwatch_metric_alarm", name, {
      for_each: expr(`{ for k, a in var.alerts : k => a if a.metric == "${metric}" }`),
      alarm_name: tmpl("${var.name}-${var.workload}-${each.key}"),
      alarm_description: tmpl("${var.workload}: ${each.key} (${each.value.severity})"),
      comparison_operator: "GreaterThanThreshold",
      evaluation_periods: expr("each.value.minutes"),
      datapoints_to_alarm: expr("each.value.minutes"),
      threshold: expr("each.value.above"),
      treat_missing_data: "notBreaching",
      alarm_actions: [v("alarm_topic_arn")],
      ok_actions: [v("alarm_topic_arn")],
      ...input,
    });
  const lb = "var.target != null";
  return {
    name: "service",
    summary:
      "One ECS Fargate service: task definition, service with circuit-breaker rollback, target-tracking autoscaling on CPU and memory, optional load balancer target group and listener rule, alarms.",
    variables: {
      ...WORKLOAD_VARS,
      desired_count: {
        type: "number",
        description: "Tasks at creation (autoscaling moves it between min_count and max_count).",
      },
      min_count: { type: "number", description: "Fewest tasks." },
      max_count: {
        type: "number",
        description: "Most tasks.",
        validations: [
          {
            condition: "var.max_count >= var.min_count",
            error_message: "max_count must be at least min_count.",
          },
        ],
      },
      cpu_target: { type: "number", description: "Average CPU utilisation (%) autoscaling keeps." },
      memory_target: { type: "number", description: "Average memory utilisation (%) autoscaling keeps." },
      scale_in_cooldown: { type: "number", description: "Seconds between scale-in steps.", default: 300 },
      scale_out_cooldown: { type: "number", description: "Seconds between scale-out steps.", default: 60 },
      service_connect: {
        type: "bool",
        description: "Register the service in the Service Connect namespace so the others reach it by name.",
        default: false,
      },
      target: {
        type: "object({ vpc_id = string, listener_arn = string, load_balancer_arn_suffix = string, priority = number, hosts = list(string), paths = list(string), health_check_path = string, deregistration_delay = number })",
        description:
          "Where the load balancer sends this service's requests; null for workers and internal services.",
        default: null,
      },
      alerts: {
        type: "map(object({ metric = string, above = number, minutes = number, severity = string }))",
        description:
          "Alarm rules: metric error_rate (% 5xx), latency_p95 (ms), cpu or memory (%), above a threshold for some minutes.",
        default: {},
      },
      alarm_topic_arn: { type: "string", description: "SNS topic the alarms notify." },
      cluster_name: { type: "string", description: "Name of the ECS cluster (CloudWatch dimension)." },
    },
    main: [
      ...taskDefinitionBlocks(),
      resource("aws_lb_target_group", "this", {
        count: expr(`${lb} ? 1 : 0`),
        name_prefix: "gantry",
        port: v("port"),
        protocol: "HTTP",
        target_type: "ip",
        vpc_id: expr("var.target.vpc_id"),
        deregistration_delay: expr("tostring(var.target.deregistration_delay)"),
        health_check: nested({
          enabled: true,
          path: expr("var.target.health_check_path"),
          matcher: "200-399",
          interval: 15,
          timeout: 5,
          healthy_threshold: 2,
          unhealthy_threshold: 3,
        }),
        tags: { Name: tmpl("${var.name}-${var.workload}") },
        lifecycle: lifecycle({ create_before_destroy: true }),
      }),
      resource("aws_lb_listener_rule", "this", {
        count: expr(`${lb} ? 1 : 0`),
        listener_arn: expr("var.target.listener_arn"),
        priority: expr("var.target.priority"),
        action: nested({ type: "forward", target_group_arn: expr("aws_lb_target_group.this[0].arn") }),
        condition: [
          nested({ host_header: nested({ values: expr("var.target.hosts") }) }),
          nested({ path_pattern: nested({ values: expr("var.target.paths") }) }),
        ],
      }),
      resource("aws_ecs_service", "this", {
        name: v("workload"),
        cluster: v("cluster_arn"),
        task_definition: expr("aws_ecs_task_definition.this.arn"),
        desired_count: v("desired_count"),
        launch_type: "FARGATE",
        platform_version: "LATEST",
        deployment_minimum_healthy_percent: 100,
        deployment_maximum_percent: 200,
        health_check_grace_period_seconds: expr(`${lb} ? var.health_check.start_period : null`),
        propagate_tags: "SERVICE",
        enable_ecs_managed_tags: true,
        "#rollback": comment(
          "A release whose tasks fail their health checks is stopped and rolled back; the old tasks keep serving.",
        ),
        deployment_circuit_breaker: nested({ enable: true, rollback: true }),
        network_configuration: nested({
          subnets: v("subnet_ids"),
          security_groups: [v("security_group_id")],
          assign_public_ip: false,
        }),
        dynamic: [
          nested(
            {
              for_each: expr(`${lb} ? [1] : []`),
              content: nested({
                target_group_arn: expr("aws_lb_target_group.this[0].arn"),
                container_name: v("workload"),
                container_port: v("port"),
              }),
            },
            ["load_balancer"],
          ),
          nested(
            {
              for_each: expr("var.service_connect && var.port > 0 ? [1] : []"),
              content: nested({
                enabled: true,
                service: nested({
                  port_name: v("workload"),
                  discovery_name: v("workload"),
                  client_alias: nested({ port: v("port"), dns_name: v("workload") }),
                }),
              }),
            },
            ["service_connect_configuration"],
          ),
        ],
        "#ignore": comment(
          "The pipeline deploys new task definition revisions and autoscaling moves the count: Terraform leaves both alone.",
        ),
        lifecycle: lifecycle({ ignore_changes: [expr("desired_count"), expr("task_definition")] }),
      }),
      resource("aws_appautoscaling_target", "this", {
        service_namespace: "ecs",
        scalable_dimension: "ecs:service:DesiredCount",
        resource_id: tmpl("service/${var.cluster_name}/${aws_ecs_service.this.name}"),
        min_capacity: v("min_count"),
        max_capacity: v("max_count"),
      }),
      ...(["cpu", "memory"] as const).map((m) =>
        resource("aws_appautoscaling_policy", m, {
          name: tmpl(`\${var.name}-\${var.workload}-${m}`),
          policy_type: "TargetTrackingScaling",
          service_namespace: expr("aws_appautoscaling_target.this.service_namespace"),
          scalable_dimension: expr("aws_appautoscaling_target.this.scalable_dimension"),
          resource_id: expr("aws_appautoscaling_target.this.resource_id"),
          target_tracking_scaling_policy_configuration: nested({
            target_value: v(`${m}_target`),
            scale_in_cooldown: v("scale_in_cooldown"),
            scale_out_cooldown: v("scale_out_cooldown"),
            predefined_metric_specification: nested({
              predefined_metric_type:
                m === "cpu" ? "ECSServiceAverageCPUUtilization" : "ECSServiceAverageMemoryUtilization",
            }),
          }),
        }),
      ),
      alarm("cpu", "cpu", {
        namespace: "AWS/ECS",
        metric_name: "CPUUtilization",
        statistic: "Average",
        period: 60,
        dimensions: { ClusterName: v("cluster_name"), ServiceName: expr("aws_ecs_service.this.name") },
      }),
      alarm("memory", "memory", {
        namespace: "AWS/ECS",
        metric_name: "MemoryUtilization",
        statistic: "Average",
        period: 60,
        dimensions: { ClusterName: v("cluster_name"), ServiceName: expr("aws_ecs_service.this.name") },
      }),
      resource("aws_cloudwatch_metric_alarm", "latency_p95", {
        for_each: expr(`${lb} ? { for k, a in var.alerts : k => a if a.metric == "latency_p95" } : {}`),
        alarm_name: tmpl("${var.name}-${var.workload}-${each.key}"),
        alarm_description: tmpl(
          "${var.workload}: ${each.key} (${each.value.severity}), p95 response time above ${each.value.above} ms",
        ),
        comparison_operator: "GreaterThanThreshold",
        evaluation_periods: expr("each.value.minutes"),
        datapoints_to_alarm: expr("each.value.minutes"),
        threshold: expr("each.value.above / 1000"),
        treat_missing_data: "notBreaching",
        alarm_actions: [v("alarm_topic_arn")],
        ok_actions: [v("alarm_topic_arn")],
        namespace: "AWS/ApplicationELB",
        metric_name: "TargetResponseTime",
        extended_statistic: "p95",
        period: 60,
        dimensions: {
          LoadBalancer: expr("var.target.load_balancer_arn_suffix"),
          TargetGroup: expr("aws_lb_target_group.this[0].arn_suffix"),
        },
      }),
      resource("aws_cloudwatch_metric_alarm", "error_rate", {
        for_each: expr(`${lb} ? { for k, a in var.alerts : k => a if a.metric == "error_rate" } : {}`),
        alarm_name: tmpl("${var.name}-${var.workload}-${each.key}"),
        alarm_description: tmpl(
          "${var.workload}: ${each.key} (${each.value.severity}), 5xx responses above ${each.value.above} % of requests",
        ),
        comparison_operator: "GreaterThanThreshold",
        evaluation_periods: expr("each.value.minutes"),
        datapoints_to_alarm: expr("each.value.minutes"),
        threshold: expr("each.value.above"),
        treat_missing_data: "notBreaching",
        alarm_actions: [v("alarm_topic_arn")],
        ok_actions: [v("alarm_topic_arn")],
        metric_query: [
          nested({
            id: "rate",
            expression: "100 * errors / MAX([errors, requests])",
            label: "5xx rate (%)",
            return_data: true,
          }),
          nested({
            id: "errors",
            metric: nested({
              namespace: "AWS/ApplicationELB",
              metric_name: "HTTPCode_Target_5XX_Count",
              stat: "Sum",
              period: 60,
              dimensions: {
                LoadBalancer: expr("var.target.load_balancer_arn_suffix"),
                TargetGroup: expr("aws_lb_target_group.this[0].arn_suffix"),
              },
            }),
          }),
          nested({
            id: "requests",
            metric: nested({
              namespace: "AWS/ApplicationELB",
              metric_name: "RequestCount",
              stat: "Sum",
              period: 60,
              dimensions: {
                LoadBalancer: expr("var.target.load_balancer_arn_suffix"),
                TargetGroup: expr("aws_lb_target_group.this[0].arn_suffix"),
              },
            }),
          }),
        ],
      }),
    ],
    outputs: [
      output("service_name", expr("aws_ecs_service.this.name"), "Name of the ECS service."),
      ...TASK_OUTPUTS,
    ],
  };
}

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
