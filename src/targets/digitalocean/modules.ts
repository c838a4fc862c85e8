// The DigitalOcean modules: VPC, DOKS cluster, container registry, managed databases (PostgreSQL,
// Redis, Kafka) with firewalls that admit only the cluster, DNS, project, Spaces buckets (the alert
// modules are modules-alerts.ts's).
// Written for the provider release the schema in ../shared/schemas/terraform/digitalocean records
// (early 2024), so newer arguments are not used.
import { comment, expr, nested, tmpl, type Block } from "../../format/hcl.js";
import { data, lifecycle, output, resource, type VariableSpec } from "../terraform/blocks.js";
import { NAME_VAR, v, type ModuleSpec } from "../terraform/module.js";

const REGION: VariableSpec = { type: "string", description: "DigitalOcean region, such as nyc1." };
const VPC: VariableSpec = { type: "string", description: "VPC the resource joins." };
const CLUSTER_ID: VariableSpec = {
  type: "string",
  description: "DOKS cluster allowed through the database firewall.",
};
const TAGS: VariableSpec = {
  type: "list(string)",
  description: "Tags on every resource that takes them.",
  default: [],
};

export function doNetworkModule(): ModuleSpec {
  return {
    name: "network",
    summary: "The environment's VPC: the cluster and the databases talk over private addresses only.",
    variables: {
      name: NAME_VAR,
      region: REGION,
      ip_range: {
        type: "string",
        description: "Private IP range of the VPC.",
        validations: [
          {
            condition: "can(cidrnetmask(var.ip_range))",
            error_message: "ip_range must be an IPv4 CIDR block.",
          },
        ],
      },
    },
    main: [
      resource("digitalocean_vpc", "this", {
        name: v("name"),
        region: v("region"),
        ip_range: v("ip_range"),
        description: tmpl("Private network of ${var.name}"),
      }),
    ],
    outputs: [output("vpc_id", expr("digitalocean_vpc.this.id"), "ID of the VPC.")],
  };
}

export function doClusterModule(): ModuleSpec {
  return {
    name: "cluster",
    summary:
      "The DOKS cluster: latest patch of the chosen Kubernetes minor version, autoscaling node pool, surge upgrades, registry integration.",
    variables: CLUSTER_VARS,
    main: [...cluster()],
    outputs: [
      output(
        "cluster_id",
        expr("digitalocean_kubernetes_cluster.this.id"),
        "ID of the cluster (database firewalls admit it).",
      ),
      output(
        "cluster_name",
        expr("digitalocean_kubernetes_cluster.this.name"),
        "Name of the cluster (doctl kubernetes cluster kubeconfig save <name>).",
      ),
      output(
        "cluster_urn",
        expr("digitalocean_kubernetes_cluster.this.urn"),
        "URN of the cluster (project membership).",
      ),
      output("endpoint", expr("digitalocean_kubernetes_cluster.this.endpoint"), "API server endpoint."),
      output("node_tag", tmpl("${var.name}-nodes"), "Tag on every node (alerts select nodes by it)."),
    ],
  };
}

const CLUSTER_VARS: Record<string, VariableSpec> = {
  name: NAME_VAR,
  region: REGION,
  vpc_id: VPC,
  kubernetes_version: {
    type: "string",
    description: "Kubernetes minor version, such as 1.33 (the newest patch is used).",
    validations: [
      {
        condition: 'can(regex("^1\\\\.[0-9]+$", var.kubernetes_version))',
        error_message: "kubernetes_version must look like 1.33.",
      },
    ],
  },
  node_size: { type: "string", description: "Droplet size of the nodes." },
  min_nodes: {
    type: "number",
    description: "Fewest nodes.",
    validations: [{ condition: "var.min_nodes >= 1", error_message: "min_nodes must be at least 1." }],
  },
  max_nodes: {
    type: "number",
    description: "Most nodes.",
    validations: [
      {
        condition: "var.max_nodes >= var.min_nodes",
        error_message: "max_nodes must be at least min_nodes.",
      },
    ],
  },
  ha: { type: "bool", description: "Highly available control plane (production)." },
  tags: TAGS,
};

/** The newest patch of the minor version; upgrades from then on are the cluster's own (auto_upgrade). */
function cluster(): Block[] {
  return [
    data("digitalocean_kubernetes_versions", "this", {
      version_prefix: tmpl("${var.kubernetes_version}."),
    }),
    resource("digitalocean_kubernetes_cluster", "this", {
      name: v("name"),
      region: v("region"),
      version: expr("data.digitalocean_kubernetes_versions.this.latest_version"),
      vpc_uuid: v("vpc_id"),
      ha: v("ha"),
      auto_upgrade: true,
      surge_upgrade: true,
      registry_integration: true,
      tags: v("tags"),
      maintenance_policy: nested({ day: "sunday", start_time: "04:00" }),
      node_pool: nested({
        name: tmpl("${var.name}-default"),
        size: v("node_size"),
        auto_scale: true,
        min_nodes: v("min_nodes"),
        max_nodes: v("max_nodes"),
        tags: expr('concat(var.tags, ["${var.name}-nodes"])'),
      }),
      lifecycle: lifecycle({ ignore_changes: [expr("version")] }),
    }),
  ];
}

export function doRegistryModule(): ModuleSpec {
  return {
    name: "registry",
    summary:
      "The DigitalOcean Container Registry (one per account): the cluster pulls from it through registry integration.",
    variables: {
      registry_name: {
        type: "string",
        description: "Name of the registry (globally unique, one per account).",
      },
      tier: {
        type: "string",
        description: "Subscription tier: starter, basic or professional.",
        validations: [
          {
            condition: 'contains(["starter", "basic", "professional"], var.tier)',
            error_message: "tier must be starter, basic or professional.",
          },
        ],
      },
      region: REGION,
    },
    main: [
      resource("digitalocean_container_registry", "this", {
        name: v("registry_name"),
        subscription_tier_slug: v("tier"),
        region: v("region"),
      }),
    ],
    outputs: [
      output(
        "endpoint",
        expr("digitalocean_container_registry.this.endpoint"),
        "Registry endpoint, registry.digitalocean.com/<name>.",
      ),
    ],
  };
}

export function doDatabaseModule(): ModuleSpec {
  return {
    name: "database",
    summary:
      "A managed database cluster (PostgreSQL, Redis or Kafka) in the VPC, reachable only from the DOKS cluster through its firewall, with the databases or topics the spec lists.",
    variables: DATABASE_VARS,
    main: [...databaseCluster(), ...engineSettings()],
    outputs: [
      output("id", expr("digitalocean_database_cluster.this.id"), "ID of the database cluster."),
      output(
        "urn",
        expr("digitalocean_database_cluster.this.urn"),
        "URN of the database cluster (project membership).",
      ),
      output(
        "private_host",
        expr("digitalocean_database_cluster.this.private_host"),
        "Host name inside the VPC.",
      ),
      output("port", expr("digitalocean_database_cluster.this.port"), "Port."),
      output("user", expr("digitalocean_database_cluster.this.user"), "The cluster's default user."),
      output(
        "password",
        expr("digitalocean_database_cluster.this.password"),
        "Password of the default user.",
        true,
      ),
    ],
  };
}

const DATABASE_VARS: Record<string, VariableSpec> = {
  name: NAME_VAR,
  database: { type: "string", description: "Name of the data store in the spec." },
  engine: {
    type: "string",
    description: "pg, redis or kafka.",
    validations: [
      {
        condition: 'contains(["pg", "redis", "kafka"], var.engine)',
        error_message: "engine must be pg, redis or kafka.",
      },
    ],
  },
  engine_version: { type: "string", description: "Engine version." },
  size: { type: "string", description: "Node size slug, such as db-s-1vcpu-2gb." },
  node_count: {
    type: "number",
    description: "Nodes: 1, or 2 to 3 for a standby with automatic failover (3 for Kafka).",
  },
  region: REGION,
  vpc_id: VPC,
  cluster_id: CLUSTER_ID,
  databases: { type: "list(string)", description: "PostgreSQL databases to create.", default: [] },
  redis_eviction_policy: {
    type: "string",
    description: "Redis eviction policy.",
    default: "volatile_lru",
  },
  redis_persistence: { type: "string", description: "Redis persistence: off or rdb.", default: "rdb" },
  topics: {
    type: "map(object({ partitions = number, replication = number, retention_ms = number }))",
    description: "Kafka topics by name.",
    default: {},
  },
  tags: TAGS,
};

/** The cluster in the VPC, and a firewall that admits only the DOKS cluster. */
function databaseCluster(): Block[] {
  return [
    resource("digitalocean_database_cluster", "this", {
      name: tmpl("${var.name}-${var.database}"),
      engine: v("engine"),
      version: v("engine_version"),
      size: v("size"),
      node_count: v("node_count"),
      region: v("region"),
      private_network_uuid: v("vpc_id"),
      tags: v("tags"),
      maintenance_window: nested({ day: "sunday", hour: "03:00:00" }),
    }),
    resource("digitalocean_database_firewall", "this", {
      "#why": comment(
        "Only the DOKS cluster may connect: the database has no other rule, so nothing on the internet reaches it.",
      ),
      cluster_id: expr("digitalocean_database_cluster.this.id"),
      rule: nested({ type: "k8s", value: v("cluster_id") }),
    }),
  ];
}

/** What the spec lists per engine: PostgreSQL databases, Redis settings, Kafka topics. */
function engineSettings(): Block[] {
  return [
    resource("digitalocean_database_db", "this", {
      for_each: expr('var.engine == "pg" ? toset(var.databases) : toset([])'),
      cluster_id: expr("digitalocean_database_cluster.this.id"),
      name: expr("each.key"),
    }),
    resource("digitalocean_database_redis_config", "this", {
      count: expr('var.engine == "redis" ? 1 : 0'),
      cluster_id: expr("digitalocean_database_cluster.this.id"),
      maxmemory_policy: v("redis_eviction_policy"),
      persistence: v("redis_persistence"),
      ssl: true,
    }),
    resource("digitalocean_database_kafka_topic", "this", {
      for_each: expr('var.engine == "kafka" ? var.topics : {}'),
      cluster_id: expr("digitalocean_database_cluster.this.id"),
      name: expr("each.key"),
      partition_count: expr("each.value.partitions"),
      replication_factor: expr("each.value.replication"),
      config: nested({ retention_ms: expr("tostring(each.value.retention_ms)"), cleanup_policy: "delete" }),
    }),
  ];
}

export function doDnsModule(): ModuleSpec {
  return {
    name: "dns",
    summary:
      "The DNS zone (created by one environment, looked up by the others) and the records that point the app's domains at the cluster's ingress load balancer.",
    variables: {
      zone: { type: "string", description: "The zone, such as example.com." },
      create_zone: { type: "bool", description: "Create the zone here (exactly one environment does)." },
      records: { type: "list(string)", description: "Record names relative to the zone (@ for the apex)." },
      ingress_ip: {
        type: "string",
        description: "Public IP of the ingress controller's load balancer (null until it exists).",
        default: null,
      },
      ttl: { type: "number", description: "TTL of the records, in seconds.", default: 300 },
    },
    main: [
      resource("digitalocean_domain", "this", { count: expr("var.create_zone ? 1 : 0"), name: v("zone") }),
      resource("digitalocean_record", "ingress", {
        for_each: expr("var.ingress_ip == null ? toset([]) : toset(var.records)"),
        domain: expr("var.create_zone ? digitalocean_domain.this[0].id : var.zone"),
        type: "A",
        name: expr("each.key"),
        value: v("ingress_ip"),
        ttl: v("ttl"),
      }),
    ],
    outputs: [
      output(
        "zone_urn",
        expr("var.create_zone ? digitalocean_domain.this[0].urn : null"),
        "URN of the zone when this environment created it.",
      ),
    ],
  };
}

export function doProjectModule(): ModuleSpec {
  return {
    name: "project",
    summary: "A DigitalOcean project grouping the environment's resources in the control panel.",
    variables: {
      name: NAME_VAR,
      description: { type: "string", description: "Description of the project." },
      environment: {
        type: "string",
        description: "Development, Staging or Production.",
        validations: [
          {
            condition: 'contains(["Development", "Staging", "Production"], var.environment)',
            error_message: "environment must be Development, Staging or Production.",
          },
        ],
      },
      resources: { type: "list(string)", description: "URNs of the resources in the project." },
    },
    main: [
      resource("digitalocean_project", "this", {
        name: v("name"),
        description: v("description"),
        purpose: "Web Application",
        environment: v("environment"),
        resources: expr("compact(var.resources)"),
      }),
    ],
    outputs: [output("project_id", expr("digitalocean_project.this.id"), "ID of the project.")],
  };
}

export function doBucketModule(): ModuleSpec {
  return {
    name: "bucket",
    summary:
      "A private Spaces bucket with versioning and lifecycle rules (the provider needs SPACES_ACCESS_KEY_ID and SPACES_SECRET_ACCESS_KEY in its environment).",
    variables: {
      name: NAME_VAR,
      bucket: { type: "string", description: "Name of the bucket in the spec." },
      region: { type: "string", description: "Spaces region, such as nyc3." },
      versioning: { type: "bool", description: "Keep every version of every object." },
      expire_after_days: {
        type: "map(object({ prefix = string, days = number }))",
        description: "Expiry rules by name.",
        default: {},
      },
      cors_origins: { type: "list(string)", description: "Origins allowed from browsers.", default: [] },
    },
    main: [
      resource("digitalocean_spaces_bucket", "this", {
        name: tmpl("${var.name}-${var.bucket}"),
        region: v("region"),
        acl: "private",
        force_destroy: false,
        versioning: nested({ enabled: v("versioning") }),
        dynamic: [
          nested(
            {
              for_each: v("expire_after_days"),
              content: nested({
                id: expr("lifecycle_rule.key"),
                enabled: true,
                prefix: expr("lifecycle_rule.value.prefix"),
                expiration: nested({ days: expr("lifecycle_rule.value.days") }),
              }),
            },
            ["lifecycle_rule"],
          ),
          nested(
            {
              for_each: expr("length(var.cors_origins) > 0 ? [1] : []"),
              content: nested({
                allowed_methods: ["GET", "HEAD", "PUT", "POST"],
                allowed_origins: v("cors_origins"),
                allowed_headers: ["*"],
                max_age_seconds: 3600,
              }),
            },
            ["cors_rule"],
          ),
        ],
      }),
    ],
    outputs: [
      output("bucket", expr("digitalocean_spaces_bucket.this.name"), "Name of the bucket."),
      output("urn", expr("digitalocean_spaces_bucket.this.urn"), "URN of the bucket."),
      output(
        "domain",
        expr("digitalocean_spaces_bucket.this.bucket_domain_name"),
        "Host name of the bucket (<name>.<region>.digitaloceanspaces.com).",
      ),
    ],
  };
}
