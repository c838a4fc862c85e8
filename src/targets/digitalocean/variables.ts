// The root variables of the DigitalOcean stack: typed and validated, so a wrong tfvars value fails
// at plan time with a message.
import type { VariableSpec } from "../terraform/blocks.js";
import type { DoShape } from "./shape.js";

/** Every root variable after `project` and `environment`, in the order variables.tf lists them. */
export function doVariables(shape: DoShape): Record<string, VariableSpec> {
  return {
    ...PLATFORM_VARIABLES,
    ...(shape.sharesCluster ? SHARED_CLUSTER_VARIABLES : {}),
    ...dataVariables(shape),
    ...(shape.hasDns ? DNS_VARIABLES : {}),
  };
}

const SHARED_CLUSTER_VARIABLES: Record<string, VariableSpec> = {
  cluster_name: { type: "string", description: "The DOKS cluster this environment runs on." },
  create_cluster: {
    type: "bool",
    description:
      "Create the cluster and its VPC here (the first environment that names it); the others look it up by name and run in it.",
  },
};

const PLATFORM_VARIABLES: Record<string, VariableSpec> = {
  project_environment: {
    type: "string",
    description: "DigitalOcean project environment: Development, Staging or Production.",
  },
  region: {
    type: "string",
    description: "DigitalOcean region.",
    validations: [
      {
        condition: 'can(regex("^[a-z]{3}[0-9]$", var.region))',
        error_message: "region must look like nyc1.",
      },
    ],
  },
  spaces_region: { type: "string", description: "Spaces region for buckets.", default: "nyc3" },
  vpc_ip_range: {
    type: "string",
    description: "Private IP range of the VPC (unique per region and account).",
  },
  kubernetes_version: {
    type: "string",
    description: "Kubernetes minor version of the cluster, such as 1.33.",
  },
  node_size: { type: "string", description: "Droplet size of the nodes." },
  min_nodes: { type: "number", description: "Fewest nodes (autoscaling)." },
  max_nodes: {
    type: "number",
    description: "Most nodes (autoscaling).",
    validations: [
      { condition: "var.max_nodes >= var.min_nodes", error_message: "max_nodes must be at least min_nodes." },
    ],
  },
  ha_control_plane: { type: "bool", description: "Highly available control plane." },
  create_registry: {
    type: "bool",
    description:
      "Create the account's container registry here (one per account: exactly one environment does).",
  },
  registry_name: { type: "string", description: "Name of the container registry." },
  registry_tier: {
    type: "string",
    description: "Registry subscription tier: starter, basic or professional.",
  },
  tags: { type: "list(string)", description: "Tags on every resource that takes them.", default: [] },
  alerts: {
    type: "map(object({ metric = string, above = number, window = string, emails = list(string), slack = list(string) }))",
    description:
      "Node alerts by name (cpu or memory, %, window 5m/10m/30m/1h) and who each notifies: the addresses of its e-mail channels, its Slack channels.",
    default: {},
  },
  alert_emails: {
    type: "list(string)",
    description: "Every e-mail channel's addresses: the database and uptime alerts notify them.",
    default: [],
  },
  alert_slack: {
    type: "list(string)",
    description: "Every Slack channel of the spec: the database and uptime alerts notify them.",
    default: [],
  },
  alert_slack_channels: {
    type: "map(string)",
    description:
      "Per Slack channel of the spec, the Slack channel its webhook posts to (such as #ops-alerts), which DigitalOcean requires and the spec does not hold. The infrastructure workflow passes the GitHub variable ALERT_SLACK_CHANNELS (JSON; an environment's own overrides the repository's).",
    default: {},
  },
  alert_slack_urls: {
    type: "map(string)",
    description:
      "Per Slack channel of the spec, its incoming-webhook URL: a secret, set by the infrastructure workflow from the GitHub secret the channel's webhook_secret names, never in a file.",
    default: {},
    sensitive: true,
  },
  uptime_checks: {
    type: "map(string)",
    description: "Public URLs checked from several regions (empty: none).",
    default: {},
  },
};

function dataVariables(shape: DoShape): Record<string, VariableSpec> {
  const vars: Record<string, VariableSpec> = {};
  if (shape.postgres.length)
    vars.postgres = {
      type: "map(object({ version = string, size = string, node_count = number, databases = list(string) }))",
      description:
        "Managed PostgreSQL clusters of this environment (ones that run in the cluster here are left out).",
      default: {},
      validations: [
        {
          condition: "alltrue([for p in values(var.postgres) : p.node_count >= 1 && p.node_count <= 3])",
          error_message: "node_count must be 1 to 3.",
        },
      ],
    };
  if (shape.redis.length)
    vars.redis = {
      type: "map(object({ version = string, size = string, node_count = number, eviction_policy = string, persistence = string }))",
      description:
        "Managed Redis clusters of this environment (ones that run in the cluster here are left out).",
      default: {},
    };
  if (shape.hasTopics)
    vars.kafka = {
      type: "object({ version = string, size = string, node_count = number, topics = map(object({ partitions = number, replication = number, retention_ms = number })) })",
      description: "Managed Kafka cluster for the topics (null: the topics' broker runs elsewhere).",
      default: null,
    };
  if (shape.buckets.length)
    vars.buckets = {
      type: "map(object({ versioning = bool, expire = map(object({ prefix = string, days = number })), cors_origins = list(string) }))",
      description: "Spaces buckets.",
      default: {},
    };
  return vars;
}

const DNS_VARIABLES: Record<string, VariableSpec> = {
  dns_zone: { type: "string", description: "DNS zone managed in DigitalOcean." },
  create_dns_zone: { type: "bool", description: "Create the zone here (exactly one environment does)." },
  dns_records: {
    type: "list(string)",
    description: "Record names (relative to the zone) that point at the ingress.",
  },
  ingress_ip: {
    type: "string",
    description:
      "Public IP of the ingress load balancer (null until the cluster bootstrap created it). An input, never in the tfvars: the infrastructure workflow sets TF_VAR_ingress_ip from the cluster before each plan.",
    default: null,
  },
};
