// The AWS modules the workloads run on: image registry, secrets, the ECS cluster, the load
// balancer and the availability checks (the alert topics are modules-monitoring.ts's). Each is a folder under modules/ whose
// inputs are typed, described variables; the root module wires them together.
import { call, comment, expr, nested, tmpl, type Block } from "../../format/hcl.js";
import { lifecycle, output, resource, type VariableSpec } from "../terraform/blocks.js";
import { NAME_VAR, v, type ModuleSpec } from "../terraform/module.js";
import { KMS_VAR } from "./iam.js";

export function registryModule(): ModuleSpec {
  return {
    name: "registry",
    summary:
      "ECR repositories, one per built image: scanned on push, immutable tags, KMS-encrypted, old images expired.",
    variables: {
      name: NAME_VAR,
      repositories: {
        type: "set(string)",
        description: "Repository names (one per service that is built from source).",
      },
      keep_images: {
        type: "number",
        description: "Images kept per repository; older ones expire.",
        default: 50,
      },
      kms_key_arn: KMS_VAR,
    },
    main: [
      resource("aws_ecr_repository", "this", {
        for_each: v("repositories"),
        name: tmpl("${var.name}/${each.key}"),
        "#immutable": comment(
          "A tag names one image forever (sha-<commit>), so a rollback redeploys exactly what ran before.",
        ),
        image_tag_mutability: "IMMUTABLE",
        force_delete: false,
        image_scanning_configuration: nested({ scan_on_push: true }),
        encryption_configuration: nested({ encryption_type: "KMS", kms_key: v("kms_key_arn") }),
      }),
      resource("aws_ecr_lifecycle_policy", "this", {
        for_each: v("repositories"),
        repository: expr("aws_ecr_repository.this[each.key].name"),
        policy: call("jsonencode", {
          rules: [
            {
              rulePriority: 1,
              description: tmpl("Keep the newest ${var.keep_images} images"),
              selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: v("keep_images") },
              action: { type: "expire" },
            },
          ],
        }),
      }),
    ],
    outputs: [
      output(
        "repository_urls",
        expr("{ for k, r in aws_ecr_repository.this : k => r.repository_url }"),
        "Repository URL by name.",
      ),
      output(
        "repository_arns",
        expr("{ for k, r in aws_ecr_repository.this : k => r.arn }"),
        "Repository ARN by name.",
      ),
    ],
  };
}

export function secretsModule(): ModuleSpec {
  return {
    name: "secrets",
    summary:
      "Secrets Manager entries for the secrets the spec names. Only the containers: values are put in by people (aws secretsmanager put-secret-value), never by Terraform.",
    variables: {
      name: NAME_VAR,
      names: { type: "set(string)", description: "Secret names, such as JWT_SECRET." },
      recovery_window_days: {
        type: "number",
        description: "Days a deleted secret can be restored.",
        default: 30,
      },
      kms_key_arn: KMS_VAR,
    },
    main: [
      resource("aws_secretsmanager_secret", "this", {
        for_each: v("names"),
        name: tmpl("${var.name}/${each.key}"),
        description: tmpl("${each.key} of ${var.name}; the value is set outside Terraform."),
        kms_key_id: v("kms_key_arn"),
        recovery_window_in_days: v("recovery_window_days"),
      }),
    ],
    outputs: [
      output(
        "arns",
        expr("{ for k, s in aws_secretsmanager_secret.this : k => s.arn }"),
        "Secret ARN by name (tasks read them by ARN).",
      ),
    ],
  };
}

export function clusterModule(): ModuleSpec {
  return {
    name: "cluster",
    summary:
      "The ECS cluster (Fargate, Container Insights) and the Service Connect namespace the services find each other through.",
    variables: { name: NAME_VAR },
    main: [
      resource("aws_service_discovery_http_namespace", "this", {
        name: v("name"),
        description: tmpl("Service Connect namespace of ${var.name}"),
      }),
      resource("aws_ecs_cluster", "this", {
        name: v("name"),
        setting: nested({ name: "containerInsights", value: "enabled" }),
        service_connect_defaults: nested({
          namespace: expr("aws_service_discovery_http_namespace.this.arn"),
        }),
      }),
      resource("aws_ecs_cluster_capacity_providers", "this", {
        cluster_name: expr("aws_ecs_cluster.this.name"),
        capacity_providers: ["FARGATE", "FARGATE_SPOT"],
        default_capacity_provider_strategy: nested({ capacity_provider: "FARGATE", weight: 1, base: 0 }),
      }),
    ],
    outputs: [
      output("cluster_name", expr("aws_ecs_cluster.this.name"), "Name of the ECS cluster."),
      output("cluster_arn", expr("aws_ecs_cluster.this.arn"), "ARN of the ECS cluster."),
      output(
        "namespace_arn",
        expr("aws_service_discovery_http_namespace.this.arn"),
        "Service Connect namespace.",
      ),
    ],
  };
}

export function loadBalancerModule(): ModuleSpec {
  return {
    name: "load_balancer",
    summary:
      "The internet-facing Application Load Balancer: HTTPS with an ACM certificate validated through Route 53, HTTP redirected to HTTPS, DNS aliases.",
    variables: LOAD_BALANCER_VARS,
    main: [alb(), ...certificate(), ...listeners(), aliases()],
    outputs: [
      output(
        "arn_suffix",
        expr("aws_lb.this.arn_suffix"),
        "ARN suffix of the load balancer (CloudWatch dimension).",
      ),
      output("dns_name", expr("aws_lb.this.dns_name"), "DNS name of the load balancer."),
      output(
        "https_listener_arn",
        expr("aws_lb_listener.https.arn"),
        "HTTPS listener the services attach their rules to.",
      ),
    ],
  };
}

const LOAD_BALANCER_VARS: Record<string, VariableSpec> = {
  name: NAME_VAR,
  vpc_id: { type: "string", description: "VPC of the load balancer." },
  subnet_ids: { type: "list(string)", description: "Public subnets, one per availability zone." },
  security_group_id: { type: "string", description: "Security group of the load balancer." },
  zone_id: { type: "string", description: "Route 53 hosted zone of the domains." },
  domains: {
    type: "list(string)",
    description: "Names on the certificate; the first is its subject.",
    validations: [
      {
        condition: "length(var.domains) > 0",
        error_message: "The load balancer needs at least one domain for its HTTPS certificate.",
      },
    ],
  },
  alias_domains: {
    type: "list(string)",
    description: "Names that point at the load balancer in DNS (the others are served through CloudFront).",
  },
  deletion_protection: { type: "bool", description: "Refuse to delete the load balancer (production)." },
  ssl_policy: {
    type: "string",
    description: "TLS policy of the HTTPS listener.",
    default: "ELBSecurityPolicy-TLS13-1-2-2021-06",
  },
};

/** Internet-facing, in the public subnets; malformed headers dropped. */
function alb(): Block {
  return resource("aws_lb", "this", {
    name_prefix: "gantry",
    load_balancer_type: "application",
    internal: false,
    security_groups: [v("security_group_id")],
    subnets: v("subnet_ids"),
    drop_invalid_header_fields: true,
    enable_deletion_protection: v("deletion_protection"),
    tags: { Name: v("name") },
  });
}

/** The certificate of every domain, validated through Route 53. */
function certificate(): Block[] {
  return [
    resource("aws_acm_certificate", "this", {
      domain_name: expr("var.domains[0]"),
      subject_alternative_names: expr("slice(var.domains, 1, length(var.domains))"),
      validation_method: "DNS",
      lifecycle: lifecycle({ create_before_destroy: true }),
    }),
    resource("aws_route53_record", "validation", {
      for_each: expr("{ for o in aws_acm_certificate.this.domain_validation_options : o.domain_name => o }"),
      zone_id: v("zone_id"),
      name: expr("each.value.resource_record_name"),
      type: expr("each.value.resource_record_type"),
      records: [expr("each.value.resource_record_value")],
      ttl: 60,
      allow_overwrite: true,
    }),
    resource("aws_acm_certificate_validation", "this", {
      certificate_arn: expr("aws_acm_certificate.this.arn"),
      validation_record_fqdns: expr("[for r in aws_route53_record.validation : r.fqdn]"),
    }),
  ];
}

/** HTTP redirects to HTTPS; HTTPS answers 404 unless a service rule matches. */
function listeners(): Block[] {
  return [
    resource("aws_lb_listener", "http", {
      load_balancer_arn: expr("aws_lb.this.arn"),
      port: 80,
      protocol: "HTTP",
      default_action: nested({
        type: "redirect",
        redirect: nested({ port: "443", protocol: "HTTPS", status_code: "HTTP_301" }),
      }),
    }),
    resource("aws_lb_listener", "https", {
      load_balancer_arn: expr("aws_lb.this.arn"),
      port: 443,
      protocol: "HTTPS",
      ssl_policy: v("ssl_policy"),
      certificate_arn: expr("aws_acm_certificate_validation.this.certificate_arn"),
      default_action: nested({
        type: "fixed-response",
        fixed_response: nested({
          content_type: "text/plain",
          message_body: "Not found",
          status_code: "404",
        }),
      }),
    }),
  ];
}

/** The domains the load balancer answers (the others CloudFront answers). */
function aliases(): Block {
  return resource("aws_route53_record", "alias", {
    "#ipv4": comment("A records only: the load balancer is IPv4, so an AAAA alias would answer nothing."),
    for_each: expr("toset(var.alias_domains)"),
    zone_id: v("zone_id"),
    name: expr("each.key"),
    type: "A",
    alias: nested({
      name: expr("aws_lb.this.dns_name"),
      zone_id: expr("aws_lb.this.zone_id"),
      evaluate_target_health: true,
    }),
  });
}

export function availabilityModule(): ModuleSpec {
  return {
    name: "availability",
    summary:
      "Availability checks: Route 53 health checks request each public endpoint over HTTPS from several regions; an alarm in us-east-1 (where Route 53 publishes its metrics) notifies every e-mail, webhook and chat channel when one fails.",
    variables: AVAILABILITY_VARS,
    main: [healthChecks(), ...availabilityAlarms()],
    outputs: [
      output(
        "health_check_ids",
        expr("{ for k, c in aws_route53_health_check.this : k => c.id }"),
        "Route 53 health check per endpoint.",
      ),
      output(
        "topic_arn",
        expr("aws_sns_topic.availability.arn"),
        "The us-east-1 topic of the availability alarms (the Chatbot configurations subscribe it too).",
      ),
    ],
  };
}

const AVAILABILITY_VARS: Record<string, VariableSpec> = {
  name: NAME_VAR,
  checks: {
    type: "map(object({ fqdn = string, path = string }))",
    description: "Endpoints by name: host and health path.",
  },
  interval: {
    type: "number",
    description: "Seconds between requests from each checker (10 or 30).",
    validations: [
      { condition: "contains([10, 30], var.interval)", error_message: "interval must be 10 or 30." },
    ],
  },
  failures: {
    type: "number",
    description: "Consecutive failures before a checker reports the endpoint unhealthy.",
  },
  emails: { type: "list(string)", description: "Addresses notified." },
  webhook_urls: {
    type: "map(string)",
    description: "HTTPS URL of each webhook channel, posted to as well (secrets).",
    default: {},
    sensitive: true,
  },
};

/** One Route 53 health check per endpoint, over HTTPS with SNI, measuring latency. */
function healthChecks(): Block {
  return resource("aws_route53_health_check", "this", {
    for_each: v("checks"),
    type: "HTTPS",
    fqdn: expr("each.value.fqdn"),
    port: 443,
    resource_path: expr("each.value.path"),
    enable_sni: true,
    request_interval: v("interval"),
    failure_threshold: v("failures"),
    measure_latency: true,
    tags: { Name: tmpl("${var.name}-${each.key}") },
  });
}

/** Route 53 health check metrics exist only in us-east-1, so their alarms and topic live there. */
function availabilityAlarms(): Block[] {
  return [
    resource("aws_sns_topic", "availability", {
      "#region": comment(
        "Route 53 health check metrics exist only in us-east-1, so their alarms and topic live there.",
      ),
      region: "us-east-1",
      name: tmpl("${var.name}-availability"),
      kms_master_key_id: "alias/aws/sns",
    }),
    resource("aws_sns_topic_subscription", "availability", {
      for_each: expr("toset(var.emails)"),
      region: "us-east-1",
      topic_arn: expr("aws_sns_topic.availability.arn"),
      protocol: "email",
      endpoint: expr("each.key"),
    }),
    // Webhooks too; Slack and Teams through the Chatbot configurations, which subscribe this topic
    // (modules/monitoring: availability_topic_arn).
    resource("aws_sns_topic_subscription", "webhook", {
      for_each: expr("nonsensitive(toset(keys(var.webhook_urls)))"),
      region: "us-east-1",
      topic_arn: expr("aws_sns_topic.availability.arn"),
      protocol: "https",
      endpoint: expr("var.webhook_urls[each.key]"),
    }),
    resource("aws_cloudwatch_metric_alarm", "availability", {
      for_each: v("checks"),
      region: "us-east-1",
      alarm_name: tmpl("${var.name}-${each.key}-availability"),
      alarm_description: tmpl("https://${each.value.fqdn}${each.value.path} fails its health check"),
      namespace: "AWS/Route53",
      metric_name: "HealthCheckStatus",
      statistic: "Minimum",
      period: 60,
      evaluation_periods: 2,
      comparison_operator: "LessThanThreshold",
      threshold: 1,
      treat_missing_data: "breaching",
      dimensions: { HealthCheckId: expr("aws_route53_health_check.this[each.key].id") },
      alarm_actions: [expr("aws_sns_topic.availability.arn")],
      ok_actions: [expr("aws_sns_topic.availability.arn")],
    }),
  ];
}
