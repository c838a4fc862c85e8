// The AWS modules every app gets first: the environment's KMS key, the VPC and the security groups
// that let each workload reach only what it uses.
import { expr, nested, tmpl, type Block, type HclValue } from "../../format/hcl.js";
import { data, output, resource, type VariableSpec } from "../terraform/blocks.js";
import { NAME_VAR, v, type ModuleSpec } from "../terraform/module.js";
import { assumeRole, KMS_VAR, policyDocument } from "./iam.js";

export function kmsModule(): ModuleSpec {
  return {
    name: "kms",
    summary:
      "One customer-managed KMS key per environment, with rotation, for logs, secrets, registries and data stores.",
    variables: { name: NAME_VAR },
    main: [...keyPolicy(), ...key()],
    outputs: [output("key_arn", expr("aws_kms_key.this.arn"), "ARN of the key.")],
  };
}

/** The account administers the key; CloudWatch Logs, alarms and budgets may use it. */
function keyPolicy(): Block[] {
  return [
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
        actions: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
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
        // Chatbot reads the encrypted topics it delivers to Slack and Teams.
        principals: {
          type: "Service",
          identifiers: ["cloudwatch.amazonaws.com", "budgets.amazonaws.com", "chatbot.amazonaws.com"],
        },
      },
    ]),
  ];
}

/** The key itself, with automatic rotation, and an alias that names its environment. */
function key(): Block[] {
  return [
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
  ];
}

export function networkModule(): ModuleSpec {
  return {
    name: "network",
    summary:
      "A VPC over several availability zones: public subnets with an internet gateway, private subnets behind NAT, flow logs.",
    variables: NETWORK_VARS,
    main: [...vpc(), ...subnets(), ...routes(), ...flowLogs()],
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

const NETWORK_VARS: Record<string, VariableSpec> = {
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
    description: "One NAT gateway for all zones (cheaper) instead of one per zone (survives a zone outage).",
  },
  flow_log_retention_days: { type: "number", description: "Days to keep VPC flow logs." },
  kms_key_arn: KMS_VAR,
};

/** The VPC over the first az_count zones of the region; its default security group admits nothing. */
function vpc(): Block[] {
  return [
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
  ];
}

/** A public and a private subnet per zone; NAT in the public ones, one or one per zone. */
function subnets(): Block[] {
  return [
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
  ];
}

/** Public subnets route to the internet gateway, private ones to their NAT gateway. */
function routes(): Block[] {
  return [
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
  ];
}

/** Every connection of the VPC logged to CloudWatch, encrypted with the environment key. */
function flowLogs(): Block[] {
  return [
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
  ];
}

export function securityModule(): ModuleSpec {
  return {
    name: "security",
    summary:
      "Security groups with least privilege: the internet reaches only the load balancer, the load balancer only the public services' ports, services only the data stores they use.",
    variables: SECURITY_VARS,
    main: [...loadBalancerRules(), ...serviceRules(), ...datastoreRules()],
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

const SECURITY_VARS: Record<string, VariableSpec> = {
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
};

/** A TCP rule on each entry's port between a security group and another one it references. */
function peerRule(
  direction: "ingress" | "egress",
  name: string,
  forEach: string,
  group: string,
  description: HclValue,
  peer: string,
): Block {
  return resource(`aws_vpc_security_group_${direction}_rule`, name, {
    for_each: expr(forEach),
    security_group_id: expr(group),
    description,
    referenced_security_group_id: expr(peer),
    ip_protocol: "tcp",
    from_port: expr("each.value.port"),
    to_port: expr("each.value.port"),
  });
}

/** The load balancer: HTTP and HTTPS from the internet, out only to the public services. */
function loadBalancerRules(): Block[] {
  return [
    resource("aws_security_group", "alb", {
      count: expr("var.with_load_balancer ? 1 : 0"),
      name: tmpl("${var.name}-alb"),
      description: "Internet-facing load balancer: HTTPS and the HTTP redirect in, the public services out.",
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
    peerRule(
      "egress",
      "alb_to_service",
      "{ for k, s in var.services : k => s if s.public && var.with_load_balancer }",
      "aws_security_group.alb[0].id",
      tmpl("To ${each.key}"),
      "aws_security_group.service[each.key].id",
    ),
  ];
}

/**
 * Each workload: in from the load balancer and, when internal, from the other workloads; out over
 * HTTPS and to the internal services.
 */
function serviceRules(): Block[] {
  return [
    resource("aws_security_group", "service", {
      for_each: v("services"),
      name: tmpl("${var.name}-${each.key}"),
      description: tmpl("Tasks of ${each.key}"),
      vpc_id: v("vpc_id"),
      tags: { Name: tmpl("${var.name}-${each.key}") },
    }),
    peerRule(
      "ingress",
      "service_from_alb",
      "{ for k, s in var.services : k => s if s.public && var.with_load_balancer }",
      "aws_security_group.service[each.key].id",
      "From the load balancer",
      "aws_security_group.alb[0].id",
    ),
    peerRule(
      "ingress",
      "service_from_service",
      'merge([for k, s in var.services : { for c, _ in var.services : "${k}.${c}" => { service = k, client = c, port = s.port } if c != k } if s.internal && s.port > 0]...)',
      "aws_security_group.service[each.value.service].id",
      tmpl("From ${each.value.client} (service discovery)"),
      "aws_security_group.service[each.value.client].id",
    ),
    resource("aws_vpc_security_group_egress_rule", "service_https", {
      for_each: v("services"),
      security_group_id: expr("aws_security_group.service[each.key].id"),
      description: "HTTPS to AWS APIs, the registry and external APIs (through NAT)",
      cidr_ipv4: "0.0.0.0/0",
      ip_protocol: "tcp",
      from_port: 443,
      to_port: 443,
    }),
    peerRule(
      "egress",
      "service_to_service",
      'merge([for k, s in var.services : { for c, _ in var.services : "${c}.${k}" => { service = k, client = c, port = s.port } if c != k } if s.internal && s.port > 0]...)',
      "aws_security_group.service[each.value.client].id",
      tmpl("To ${each.value.service}"),
      "aws_security_group.service[each.value.service].id",
    ),
  ];
}

/** Each data store: in only from its clients, who may go out only to it. */
function datastoreRules(): Block[] {
  return [
    resource("aws_security_group", "datastore", {
      for_each: v("datastores"),
      name: tmpl("${var.name}-${each.key}"),
      description: tmpl("Data store ${each.key}: only its clients may connect"),
      vpc_id: v("vpc_id"),
      tags: { Name: tmpl("${var.name}-${each.key}") },
    }),
    peerRule(
      "ingress",
      "datastore",
      'merge([for d, s in var.datastores : { for c in s.clients : "${d}.${c}" => { datastore = d, client = c, port = s.port } }]...)',
      "aws_security_group.datastore[each.value.datastore].id",
      tmpl("From ${each.value.client}"),
      "aws_security_group.service[each.value.client].id",
    ),
    peerRule(
      "egress",
      "service_to_datastore",
      'merge([for d, s in var.datastores : { for c in s.clients : "${c}.${d}" => { datastore = d, client = c, port = s.port } }]...)',
      "aws_security_group.service[each.value.client].id",
      tmpl("To ${each.value.datastore}"),
      "aws_security_group.datastore[each.value.datastore].id",
    ),
  ];
}
