// The AWS module of a long-running service: the shared task definition, an ECS service with
// circuit-breaker rollback, target-tracking autoscaling, an optional load balancer target, alarms,
// and the task definition of its migrations.
import {
  call,
  comment,
  expr,
  nested,
  tmpl,
  type Block,
  type HclValue,
  type Nested,
} from "../../format/hcl.js";
import { lifecycle, output, resource, type VariableSpec } from "../terraform/blocks.js";
import { v, type ModuleSpec } from "../terraform/module.js";
import {
  argv,
  TASK_OUTPUTS,
  taskDefinition,
  taskDefinitionBlocks,
  WORKLOAD_VARS,
} from "./modules-workload.js";

/** Whether the load balancer sends requests to the service (public HTTP services). */
const LB = "var.target != null";

export function serviceModule(): ModuleSpec {
  return {
    name: "service",
    summary:
      "One ECS Fargate service: task definition, service with circuit-breaker rollback, target-tracking autoscaling on CPU and memory, optional load balancer target group and listener rule, alarms.",
    variables: { ...WORKLOAD_VARS, ...SERVICE_VARS },
    main: [
      ...taskDefinitionBlocks(),
      migrationTask(),
      ...loadBalancerTarget(),
      ecsService(),
      ...autoscaling(),
      ...utilisationAlarms(),
      ...requestAlarms(),
    ],
    outputs: [
      output("service_name", expr("aws_ecs_service.this.name"), "Name of the ECS service."),
      ...TASK_OUTPUTS,
      output(
        "migration_task_family",
        expr("one(aws_ecs_task_definition.migrate[*].family)"),
        "Task definition family of the migrations (null without); the pipeline runs a revision of it before each rollout.",
      ),
    ],
  };
}

const SERVICE_VARS: Record<string, VariableSpec> = {
  migrations: {
    type: "list(string)",
    description:
      "The migration process, run as a one-off task before each rollout: replaces the image's ENTRYPOINT and CMD as `command` does; null for none.",
    default: null,
  },
  desired_count: {
    type: "number",
    description: "Tasks at creation (autoscaling moves it between min_count and max_count).",
  },
  min_count: { type: "number", description: "Fewest tasks." },
  max_count: {
    type: "number",
    description: "Most tasks.",
    validations: [
      { condition: "var.max_count >= var.min_count", error_message: "max_count must be at least min_count." },
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
    type: "map(object({ metric = string, above = number, minutes = number, severity = string, channels = list(string) }))",
    description:
      "Alarm rules: metric error_rate (% 5xx), latency_p95 (ms), cpu or memory (%), above a threshold for some minutes, and the channels notified.",
    default: {},
  },
  alarm_topic_arns: {
    type: "map(string)",
    description: "SNS topic of each alert channel: an alarm notifies those of its rule's channels.",
  },
  cluster_name: { type: "string", description: "Name of the ECS cluster (CloudWatch dimension)." },
};

/**
 * The service's container running the migrations instead: its own family, since ECS overrides at
 * run time replace only the command, never the image's entrypoint.
 */
function migrationTask(): Block {
  const container = call("merge", expr("local.container"), {
    ...argv("var.migrations"),
    portMappings: [],
    healthCheck: null,
  });
  return taskDefinition("migrate", "${var.name}-${var.workload}-migrate", container, {
    count: expr("var.migrations == null ? 0 : 1"),
  });
}

/** The target group and the listener rule that sends the service's hosts and paths to it. */
function loadBalancerTarget(): Block[] {
  return [
    resource("aws_lb_target_group", "this", {
      count: expr(`${LB} ? 1 : 0`),
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
      count: expr(`${LB} ? 1 : 0`),
      listener_arn: expr("var.target.listener_arn"),
      priority: expr("var.target.priority"),
      action: nested({ type: "forward", target_group_arn: expr("aws_lb_target_group.this[0].arn") }),
      condition: [
        nested({ host_header: nested({ values: expr("var.target.hosts") }) }),
        nested({ path_pattern: nested({ values: expr("var.target.paths") }) }),
      ],
    }),
  ];
}

/** Rolling deployments that never drop below the running count, rolled back when health checks fail. */
function ecsService(): Block {
  return resource("aws_ecs_service", "this", {
    name: v("workload"),
    cluster: v("cluster_arn"),
    task_definition: expr("aws_ecs_task_definition.this.arn"),
    desired_count: v("desired_count"),
    launch_type: "FARGATE",
    platform_version: "LATEST",
    deployment_minimum_healthy_percent: 100,
    deployment_maximum_percent: 200,
    health_check_grace_period_seconds: expr(`${LB} ? var.health_check.start_period : null`),
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
          for_each: expr(`${LB} ? [1] : []`),
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
  });
}

/** Target tracking on CPU and on memory between min_count and max_count. */
function autoscaling(): Block[] {
  return [
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
  ];
}

/**
 * One alarm per rule of `var.alerts` with the given metric: over the threshold for as many
 * one-minute periods as the rule's minutes. Request metrics exist only behind the load balancer.
 */
function alarm(
  metric: string,
  opts: { behindLoadBalancer?: boolean; description?: string; threshold?: string },
  input: Record<string, HclValue | Nested[]>,
): Block {
  const rules = `{ for k, a in var.alerts : k => a if a.metric == "${metric}" }`;
  return resource("aws_cloudwatch_metric_alarm", metric, {
    for_each: expr(opts.behindLoadBalancer ? `${LB} ? ${rules} : {}` : rules),
    alarm_name: tmpl("${var.name}-${var.workload}-${each.key}"),
    alarm_description: tmpl(
      `\${var.workload}: \${each.key} (\${each.value.severity})${opts.description ?? ""}`,
    ),
    comparison_operator: "GreaterThanThreshold",
    evaluation_periods: expr("each.value.minutes"),
    datapoints_to_alarm: expr("each.value.minutes"),
    threshold: expr(opts.threshold ?? "each.value.above"),
    treat_missing_data: "notBreaching",
    alarm_actions: expr("[for c in each.value.channels : var.alarm_topic_arns[c]]"),
    ok_actions: expr("[for c in each.value.channels : var.alarm_topic_arns[c]]"),
    ...input,
  });
}

function utilisationAlarms(): Block[] {
  const ecs = (metricName: string) => ({
    namespace: "AWS/ECS",
    metric_name: metricName,
    statistic: "Average",
    period: 60,
    dimensions: { ClusterName: v("cluster_name"), ServiceName: expr("aws_ecs_service.this.name") },
  });
  return [alarm("cpu", {}, ecs("CPUUtilization")), alarm("memory", {}, ecs("MemoryUtilization"))];
}

const TARGET_DIMENSIONS = {
  LoadBalancer: expr("var.target.load_balancer_arn_suffix"),
  TargetGroup: expr("aws_lb_target_group.this[0].arn_suffix"),
};

/** p95 response time and the 5xx share of requests, as the load balancer sees them. */
function requestAlarms(): Block[] {
  const count = (id: string, metricName: string) =>
    nested({
      id,
      metric: nested({
        namespace: "AWS/ApplicationELB",
        metric_name: metricName,
        stat: "Sum",
        period: 60,
        dimensions: TARGET_DIMENSIONS,
      }),
    });
  return [
    alarm(
      "latency_p95",
      {
        behindLoadBalancer: true,
        description: ", p95 response time above ${each.value.above} ms",
        threshold: "each.value.above / 1000",
      },
      {
        namespace: "AWS/ApplicationELB",
        metric_name: "TargetResponseTime",
        extended_statistic: "p95",
        period: 60,
        dimensions: TARGET_DIMENSIONS,
      },
    ),
    alarm(
      "error_rate",
      { behindLoadBalancer: true, description: ", 5xx responses above ${each.value.above} % of requests" },
      {
        metric_query: [
          nested({
            id: "rate",
            expression: "100 * errors / MAX([errors, requests])",
            label: "5xx rate (%)",
            return_data: true,
          }),
          count("errors", "HTTPCode_Target_5XX_Count"),
          count("requests", "RequestCount"),
        ],
      },
    ),
  ];
}
