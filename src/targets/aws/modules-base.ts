// The AWS modules that do not depend on the app's shape: KMS key, network, security groups,
// registry, secrets, ECS cluster, load balancer, monitoring topic. Each is a folder under modules/
// whose inputs are typed, described variables; the root module wires them together.
import { call, comment, expr, nested, tmpl } from "../../format/hcl.js";
import { data, lifecycle, output, resource } from "../terraform/blocks.js";
import { assumeRole, KMS_VAR, NAME_VAR, policyDocument, v, type ModuleSpec } from "./kit.js";

export function kmsModule(): ModuleSpec {
  return {
    name: "kms",
    summary:
      "One customer-managed KMS key per environment, with rotation, for logs, secrets, registries and data stores.",
    variables: { name: NAME_VAR },
    main: [
      data("aws_caller_identity", "current", {}),
      data("aws_region", "current", {}),
      data("aws_partition", "current", {}),
      policyDocument("key", [
        {
          sid: "AccountAdministration",
          actions: ["kms:*"],
          resources: ["*"],
          principals: {
            type: "AWS",
            identifiers: [
              tmpl(
                "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root",
              ),
            ],
          },
        },
        {
          sid: "CloudWatchLogs",
          actions: [
            "kms:Encrypt*",
            "kms:Decrypt*",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:Describe*",
          ],
          resources: ["*"],
          principals: {
            type: "Service",
            identifiers: [tmpl("logs.${data.aws_region.current.region}.amazonaws.com")],
          },
          conditions: [
            {
              test: "ArnLike",
              variable: "kms:EncryptionContext:aws:logs:arn",
              values: [
                tmpl(
                  "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:log-group:*",
                ),
              ],
            },
          ],
        },
        {
          sid: "AlarmsAndBudgetsPublishToTopic",
          actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
          resources: ["*"],
          principals: { type: "Service", identifiers: ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"] },
        },
      ]),
      resource("aws_kms_key", "this", {
        description: tmpl("${var.name}: logs, secrets, registries and data stores"),
        enable_key_rotation: true,
        deletion_window_in_days: 30,
        policy: expr("data.aws_iam_policy_document.key.json"),
      }),
      resource("aws_kms_alias", "this", {
        name: tmpl("alias/${var.name}"),
        target_key_id: expr("aws_kms_key.this.key_id"),
      }),
    ],
    outputs: [output("key_arn", expr("aws_kms_key.this.arn"), "ARN of the key.")],
  };
}

export function networkModule(): ModuleSpec {
  return {
    name: "network",
    summary:
      "A VPC over several availability zones: public subnets with an internet gateway, private subnets behind NAT, flow logs.",
    variables: {
      name: NAME_VAR,
      cidr: {
        type: "string",
        description: "CIDR block of the VPC.",
        validations: [
          {
            condition: "can(cidrnetmask(var.cidr))",
            error_message: "cidr must be an IPv4 CIDR block such as 10.0.0.0/16.",
          },
        ],
      },
      az_count: {
        type: "number",
        description: "Availability zones to spread the subnets over.",
        validations: [
          {
            condition: "var.az_count >= 2 && var.az_count <= 6",
            error_message: "az_count must be between 2 and 6.",
          },
        ],
      },
      single_nat_gateway: {
        type: "bool",
        description:
          "One NAT gateway for all zones (cheaper) instead of one per zone (survives a zone outage).",
      },
      flow_log_retention_days: { type: "number", description: "Days to keep VPC flow logs." },
      kms_key_arn: KMS_VAR,
    },
    main: [
      data("aws_region", "current", {}),
      data("aws_availability_zones", "available", {
        state: "available",
        filter: nested({
          name: "zone-name",
          values: expr(
            '[for letter in slice(["a", "b", "c", "d", "e", "f"], 0, var.az_count) : "${data.aws_region.current.region}${letter}"]',
          ),
        }),
      }),
      resource("aws_vpc", "this", {
        cidr_block: v("cidr"),
        enable_dns_hostnames: true,
        enable_dns_support: true,
        tags: { Name: v("name") },
      }),
      resource("aws_default_security_group", "this", {
        vpc_id: expr("aws_vpc.this.id"),
        tags: { Name: tmpl("${var.name}-default-deny") },
      }),
      resource("aws_internet_gateway", "this", {
        vpc_id: expr("aws_vpc.this.id"),
        tags: { Name: v("name") },
      }),
      resource("aws_subnet", "public", {
        count: v("az_count"),
        vpc_id: expr("aws_vpc.this.id"),
        cidr_block: expr("cidrsubnet(var.cidr, 4, count.index)"),
        availability_zone: expr("data.aws_availability_zones.available.names[count.index]"),
        map_public_ip_on_launch: false,
        tags: { Name: tmpl("${var.name}-public-${count.index}"), Tier: "public" },
      }),
      resource("aws_subnet", "private", {
        count: v("az_count"),
        vpc_id: expr("aws_vpc.this.id"),
        cidr_block: expr("cidrsubnet(var.cidr, 4, count.index + 8)"),
        availability_zone: expr("data.aws_availability_zones.available.names[count.index]"),
        tags: { Name: tmpl("${var.name}-private-${count.index}"), Tier: "private" },
      }),
      resource("aws_eip", "nat", {
        count: expr("var.single_nat_gateway ? 1 : var.az_count"),
        domain: "vpc",
        tags: { Name: tmpl("${var.name}-nat-${count.index}") },
        depends_on: [expr("aws_internet_gateway.this")],
      }),
      resource("aws_nat_gateway", "this", {
        count: expr("var.single_nat_gateway ? 1 : var.az_count"),
        allocation_id: expr("aws_eip.nat[count.index].id"),
        subnet_id: expr("aws_subnet.public[count.index].id"),
        tags: { Name: tmpl("${var.name}-${count.index}") },
      }),
      resource("aws_route_table", "public", {
        vpc_id: expr("aws_vpc.this.id"),
        tags: { Name: tmpl("${var.name}-public") },
      }),
      resource("aws_route", "public_internet", {
        route_table_id: expr("aws_route_table.public.id"),
        destination_cidr_block: "0.0.0.0/0",
        gateway_id: expr("aws_internet_gateway.this.id"),
      }),
      resource("aws_route_table_association", "public", {
        count: v("az_count"),
        subnet_id: expr("aws_subnet.public[count.index].id"),
        route_table_id: expr("aws_route_table.public.id"),
      }),
      resource("aws_route_table", "private", {
        count: v("az_count"),
        vpc_id: expr("aws_vpc.this.id"),
        tags: { Name: tmpl("${var.name}-private-${count.index}") },
      }),
      resource("aws_route", "private_nat", {
        count: v("az_count"),
        route_table_id: expr("aws_route_table.private[count.index].id"),
        destination_cidr_block: "0.0.0.0/0",
        nat_gateway_id: expr("aws_nat_gateway.this[var.single_nat_gateway ? 0 : count.index].id"),
      }),
      resource("aws_route_table_association", "private", {
        count: v("az_count"),
        subnet_id: expr("aws_subnet.private[count.index].id"),
        route_table_id: expr("aws_route_table.private[count.index].id"),
      }),
      resource("aws_cloudwatch_log_group", "flow_logs", {
        name: tmpl("/vpc/${var.name}/flow-logs"),
        retention_in_days: v("flow_log_retention_days"),
        kms_key_id: v("kms_key_arn"),
      }),
      assumeRole("flow_logs_assume", "vpc-flow-logs.amazonaws.com"),
      resource("aws_iam_role", "flow_logs", {
        name: tmpl("${var.name}-flow-logs"),
        assume_role_policy: expr("data.aws_iam_policy_document.flow_logs_assume.json"),
      }),
      policyDocument("flow_logs", [
        {
          actions: [
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "logs:DescribeLogGroups",
            "logs:DescribeLogStreams",
          ],
          resources: [
            expr("aws_cloudwatch_log_group.flow_logs.arn"),
            tmpl("${aws_cloudwatch_log_group.flow_logs.arn}:*"),
          ],
        },
      ]),
      resource("aws_iam_role_policy", "flow_logs", {
        name: "flow-logs",
        role: expr("aws_iam_role.flow_logs.id"),
        policy: expr("data.aws_iam_policy_document.flow_logs.json"),
      }),
      resource("aws_flow_log", "this", {
        vpc_id: expr("aws_vpc.this.id"),
        traffic_type: "ALL",
        log_destination: expr("aws_cloudwatch_log_group.flow_logs.arn"),
        iam_role_arn: expr("aws_iam_role.flow_logs.arn"),
      }),
    ],
    outputs: [
      output("vpc_id", expr("aws_vpc.this.id"), "ID of the VPC."),
      output("public_subnet_ids", expr("aws_subnet.public[*].id"), "Public subnets (load balancer, NAT)."),
      output(
        "private_subnet_ids",
        expr("aws_subnet.private[*].id"),
        "Private subnets (tasks, databases, caches).",
      ),
    ],
  };
}

export function securityModule(): ModuleSpec {
  return {
    name: "security",
    summary:
      "Security groups with least privilege: the internet reaches only the load balancer, the load balancer only the public services' ports, services only the data stores they use.",
    variables: {
      name: NAME_VAR,
      vpc_id: { type: "string", description: "VPC of the groups." },
      with_load_balancer: {
        type: "bool",
        description: "Whether the app has an internet-facing load balancer.",
      },
      services: {
        type: "map(object({ port = number, public = bool, internal = bool }))",
        description:
          "Workloads by name: port (0 for none), public (reached through the load balancer), internal (reached by the other services on its port through service discovery).",
      },
      datastores: {
        type: "map(object({ port = number, clients = list(string) }))",
        description:
          "Data stores by name (databases, caches, brokers): their port and the workloads allowed to connect.",
      },
    },
    main: [
      resource("aws_security_group", "alb", {
        count: expr("var.with_load_balancer ? 1 : 0"),
        name: tmpl("${var.name}-alb"),
        description:
          "Internet-facing load balancer: HTTPS and the HTTP redirect in, the public services out.",
        vpc_id: v("vpc_id"),
        tags: { Name: tmpl("${var.name}-alb") },
      }),
      resource("aws_vpc_security_group_ingress_rule", "alb", {
        for_each: expr('var.with_load_balancer ? toset(["80", "443"]) : toset([])'),
        security_group_id: expr("aws_security_group.alb[0].id"),
        description: tmpl('HTTP${each.key == "443" ? "S" : " (redirected to HTTPS)"} from the internet'),
        cidr_ipv4: "0.0.0.0/0",
        ip_protocol: "tcp",
        from_port: expr("tonumber(each.key)"),
        to_port: expr("tonumber(each.key)"),
      }),
      resource("aws_vpc_security_group_egress_rule", "alb_to_service", {
        for_each: expr("{ for k, s in var.services : k => s if s.public && var.with_load_balancer }"),
        security_group_id: expr("aws_security_group.alb[0].id"),
        description: tmpl("To ${each.key}"),
        referenced_security_group_id: expr("aws_security_group.service[each.key].id"),
        ip_protocol: "tcp",
        from_port: expr("each.value.port"),
        to_port: expr("each.value.port"),
      }),
      resource("aws_security_group", "service", {
        for_each: v("services"),
        name: tmpl("${var.name}-${each.key}"),
        description: tmpl("Tasks of ${each.key}"),
        vpc_id: v("vpc_id"),
        tags: { Name: tmpl("${var.name}-${each.key}") },
      }),
      resource("aws_vpc_security_group_ingress_rule", "service_from_alb", {
        for_each: expr("{ for k, s in var.services : k => s if s.public && var.with_load_balancer }"),
        security_group_id: expr("aws_security_group.service[each.key].id"),
        description: "From the load balancer",
        referenced_security_group_id: expr("aws_security_group.alb[0].id"),
        ip_protocol: "tcp",
        from_port: expr("each.value.port"),
        to_port: expr("each.value.port"),
      }),
      resource("aws_vpc_security_group_ingress_rule", "service_from_service", {
        for_each: expr(
          'merge([for k, s in var.services : { for c, _ in var.services : "${k}.${c}" => { service = k, client = c, port = s.port } if c != k } if s.internal && s.port > 0]...)',
        ),
        security_group_id: expr("aws_security_group.service[each.value.service].id"),
        description: tmpl("From ${each.value.client} (service discovery)"),
        referenced_security_group_id: expr("aws_security_group.service[each.value.client].id"),
        ip_protocol: "tcp",
        from_port: expr("each.value.port"),
        to_port: expr("each.value.port"),
      }),
      resource("aws_vpc_security_group_egress_rule", "service_https", {
        for_each: v("services"),
        security_group_id: expr("aws_security_group.service[each.key].id"),
        description: "HTTPS to AWS APIs, the registry and external APIs (through NAT)",
        cidr_ipv4: "0.0.0.0/0",
        ip_protocol: "tcp",
        from_port: 443,
        to_port: 443,
      }),
      resource("aws_vpc_security_group_egress_rule", "service_to_service", {
        for_each: expr(
          'merge([for k, s in var.services : { for c, _ in var.services : "${c}.${k}" => { service = k, client = c, port = s.port } if c != k } if s.internal && s.port > 0]...)',
        ),
        security_group_id: expr("aws_security_group.service[each.value.client].id"),
        description: tmpl("To ${each.value.service}"),
        referenced_security_group_id: expr("aws_security_group.service[each.value.service].id"),
        ip_protocol: "tcp",
        from_port: expr("each.value.port"),
        to_port: expr("each.value.port"),
      }),
      resource("aws_security_group", "datastore", {
        for_each: v("datastores"),
        name: tmpl("${var.name}-${each.key}"),
        description: tmpl("Data store ${each.key}: only its clients may connect"),
        vpc_id: v("vpc_id"),
        tags: { Name: tmpl("${var.name}-${each.key}") },
      }),
      resource("aws_vpc_security_group_ingress_rule", "datastore", {
        for_each: expr(
          'merge([for d, s in var.datastores : { for c in s.clients : "${d}.${c}" => { datastore = d, client = c, port = s.port } }]...)',
        ),
        security_group_id: expr("aws_security_group.datastore[each.value.datastore].id"),
        description: tmpl("From ${each.value.client}"),
        referenced_security_group_id: expr("aws_security_group.service[each.value.client].id"),
        ip_protocol: "tcp",
        from_port: expr("each.value.port"),
        to_port: expr("each.value.port"),
      }),
      resource("aws_vpc_security_group_egress_rule", "service_to_datastore", {
        for_each: expr(
          'merge([for d, s in var.datastores : { for c in s.clients : "${c}.${d}" => { datastore = d, client = c, port = s.port } }]...)',
        ),
        security_group_id: expr("aws_security_group.service[each.value.client].id"),
        description: tmpl("To ${each.value.datastore}"),
        referenced_security_group_id: expr("aws_security_group.datastore[each.value.datastore].id"),
        ip_protocol: "tcp",
        from_port: expr("each.value.port"),
        to_port: expr("each.value.port"),
      }),
    ],
    outputs: [
      output(
        "alb_security_group_id",
        expr("var.with_load_balancer ? aws_security_group.alb[0].id : null"),
        "Security group of the load balancer.",
      ),
      output(
        "service_security_group_ids",
        expr("{ for k, g in aws_security_group.service : k => g.id }"),
        "Security group of each workload.",
      ),
      output(
        "datastore_security_group_ids",
        expr("{ for k, g in aws_security_group.datastore : k => g.id }"),
        "Security group of each data store.",
      ),
    ],
  };
}

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
    variables: {
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
        description:
          "Names that point at the load balancer in DNS (the others are served through CloudFront).",
      },
      deletion_protection: { type: "bool", description: "Refuse to delete the load balancer (production)." },
      ssl_policy: {
        type: "string",
        description: "TLS policy of the HTTPS listener.",
        default: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      },
    },
    main: [
      resource("aws_lb", "this", {
        name_prefix: "gantry",
        load_balancer_type: "application",
        internal: false,
        security_groups: [v("security_group_id")],
        subnets: v("subnet_ids"),
        drop_invalid_header_fields: true,
        enable_deletion_protection: v("deletion_protection"),
        tags: { Name: v("name") },
      }),
      resource("aws_acm_certificate", "this", {
        domain_name: expr("var.domains[0]"),
        subject_alternative_names: expr("slice(var.domains, 1, length(var.domains))"),
        validation_method: "DNS",
        lifecycle: lifecycle({ create_before_destroy: true }),
      }),
      resource("aws_route53_record", "validation", {
        for_each: expr(
          "{ for o in aws_acm_certificate.this.domain_validation_options : o.domain_name => o }",
        ),
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
      resource("aws_route53_record", "alias", {
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
      }),
    ],
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

export function monitoringModule(): ModuleSpec {
  return {
    name: "monitoring",
    summary: "The SNS topic every alarm and budget notifies, with its e-mail subscriptions.",
    variables: {
      name: NAME_VAR,
      emails: {
        type: "list(string)",
        description: "Addresses subscribed to the alert topic (each confirms by e-mail).",
      },
      kms_key_arn: KMS_VAR,
    },
    main: [
      resource("aws_sns_topic", "alerts", {
        name: tmpl("${var.name}-alerts"),
        kms_master_key_id: v("kms_key_arn"),
      }),
      data("aws_caller_identity", "current", {}),
      policyDocument("alerts", [
        {
          sid: "AlarmsAndBudgetsPublish",
          actions: ["sns:Publish"],
          resources: [expr("aws_sns_topic.alerts.arn")],
          principals: { type: "Service", identifiers: ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"] },
          conditions: [
            {
              test: "StringEquals",
              variable: "aws:SourceAccount",
              values: [expr("data.aws_caller_identity.current.account_id")],
            },
          ],
        },
      ]),
      resource("aws_sns_topic_policy", "alerts", {
        arn: expr("aws_sns_topic.alerts.arn"),
        policy: expr("data.aws_iam_policy_document.alerts.json"),
      }),
      resource("aws_sns_topic_subscription", "email", {
        for_each: expr("toset(var.emails)"),
        topic_arn: expr("aws_sns_topic.alerts.arn"),
        protocol: "email",
        endpoint: expr("each.key"),
      }),
    ],
    outputs: [output("topic_arn", expr("aws_sns_topic.alerts.arn"), "ARN of the alert topic.")],
  };
}

export function availabilityModule(): ModuleSpec {
  return {
    name: "availability",
    summary:
      "Availability checks: Route 53 health checks request each public endpoint over HTTPS from several regions; an alarm in us-east-1 (where Route 53 publishes its metrics) e-mails when one fails.",
    variables: {
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
    },
    main: [
      resource("aws_route53_health_check", "this", {
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
      }),
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
    ],
    outputs: [
      output(
        "health_check_ids",
        expr("{ for k, c in aws_route53_health_check.this : k => c.id }"),
        "Route 53 health check per endpoint.",
      ),
    ],
  };
}
