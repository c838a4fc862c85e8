// The AWS modules of data: RDS PostgreSQL, ElastiCache Redis, S3 buckets and MSK Serverless.
import { comment, expr, nested, tmpl, type Block } from "../../format/hcl.js";
import { data, lifecycle, output, resource, type VariableSpec } from "../terraform/blocks.js";
import { NAME_VAR, v, type ModuleSpec } from "../terraform/module.js";
import {
  CONNECTION_OUTPUT,
  connectionSecret,
  CREDENTIALS_VERSION,
  generatedPassword,
  passwordOf,
  readBack,
} from "./credentials.js";
import { assumeRole, KMS_VAR, policyDocument, type Statement } from "./iam.js";

const SUBNETS: VariableSpec = {
  type: "list(string)",
  description: "Private subnets, one per availability zone.",
};

const SG: VariableSpec = {
  type: "string",
  description: "Security group that admits only the data store's clients.",
};

export function postgresModule(): ModuleSpec {
  return {
    name: "postgres",
    summary:
      "RDS PostgreSQL in private subnets: encrypted, Multi-AZ where asked, automated backups with point-in-time recovery, a generated password the tasks read from Secrets Manager with the connection URL.",
    variables: POSTGRES_VARS,
    main: [
      ...parameters(),
      ...enhancedMonitoring(),
      ...generatedPassword(
        "password",
        "postgres/${var.database}/password",
        40,
        "Password of the app user; RDS and the connection secret read it from here.",
      ),
      readBack("ephemeral", "password"),
      dbInstance(),
      ...postgresConnection(),
      ...backupReplication(),
    ],
    outputs: [
      output("address", expr("aws_db_instance.this.address"), "Host name of the database."),
      output("port", expr("aws_db_instance.this.port"), "Port of the database."),
      output(
        "identifier",
        expr("aws_db_instance.this.identifier"),
        "RDS instance identifier (the DBInstanceIdentifier dimension of its metrics).",
      ),
      output("database", expr("aws_db_instance.this.db_name"), "Database created with the instance."),
      output("username", expr("aws_db_instance.this.username"), "User the app connects as."),
      CONNECTION_OUTPUT,
    ],
  };
}

const PG_PASSWORD = passwordOf("ephemeral", "password");

/** url, host, port, database, user, password and sslmode: the parts of a PostgreSQL in the contract. */
function postgresConnection(): Block[] {
  const db = (attr: string) => `\${aws_db_instance.this.${attr}}`;
  return connectionSecret(
    "postgres/${var.database}/connection",
    "How the app connects to the database: url, host, port, database, user, password, sslmode.",
    {
      url: tmpl(
        `postgresql://${db("username")}:\${${PG_PASSWORD}}@${db("address")}:${db("port")}/${db("db_name")}?sslmode=require`,
      ),
      host: expr("aws_db_instance.this.address"),
      port: expr("tostring(aws_db_instance.this.port)"),
      database: expr("aws_db_instance.this.db_name"),
      user: expr("aws_db_instance.this.username"),
      password: expr(PG_PASSWORD),
      sslmode: "require",
    },
  );
}

const POSTGRES_VARS: Record<string, VariableSpec> = {
  name: NAME_VAR,
  database: { type: "string", description: "Name of the database server in the spec." },
  engine_version: { type: "string", description: "PostgreSQL major version." },
  instance_class: { type: "string", description: "RDS instance class." },
  allocated_storage: {
    type: "number",
    description: "Storage in GiB (grows automatically up to twice this).",
  },
  multi_az: {
    type: "bool",
    description: "A standby in a second availability zone with automatic failover.",
  },
  backup_retention_days: {
    type: "number",
    description: "Days of automated backups; point-in-time recovery covers the same window.",
    validations: [
      {
        condition: "var.backup_retention_days >= 1 && var.backup_retention_days <= 35",
        error_message: "backup_retention_days must be between 1 and 35.",
      },
    ],
  },
  deletion_protection: {
    type: "bool",
    description: "Refuse to delete the instance; keep a final snapshot.",
  },
  geo_redundant: {
    type: "bool",
    description:
      "Replicate the automated backups to backup_region (point-in-time restore there after a regional outage).",
  },
  backup_region: { type: "string", description: "Region that holds the replicated backups." },
  db_name: { type: "string", description: "Database created with the instance." },
  subnet_ids: SUBNETS,
  security_group_id: SG,
  kms_key_arn: KMS_VAR,
  credentials_version: CREDENTIALS_VERSION,
};

/** Subnets, and parameters that force TLS, log slow statements and connections, and keep commit times. */
function parameters(): Block[] {
  return [
    resource("aws_db_subnet_group", "this", {
      name: tmpl("${var.name}-${var.database}"),
      subnet_ids: v("subnet_ids"),
    }),
    resource("aws_db_parameter_group", "this", {
      name_prefix: tmpl("${var.name}-${var.database}-"),
      family: tmpl("postgres${var.engine_version}"),
      parameter: [
        nested({ name: "rds.force_ssl", value: "1" }),
        nested({ name: "log_min_duration_statement", value: "1000" }),
        nested({ name: "log_connections", value: "1" }),
        nested({ name: "log_disconnections", value: "1" }),
        // Commit times survive a restore, so dr-drill.yml can tell the newest transaction restored
        // (the RPO). Static: it takes effect at the next reboot (maintenance window or a restore).
        nested({ name: "track_commit_timestamp", value: "1", apply_method: "pending-reboot" }),
      ],
      lifecycle: lifecycle({ create_before_destroy: true }),
    }),
  ];
}

/** The role RDS enhanced monitoring writes its metrics with. */
function enhancedMonitoring(): Block[] {
  return [
    assumeRole("monitoring", "monitoring.rds.amazonaws.com"),
    resource("aws_iam_role", "monitoring", {
      name: tmpl("${var.name}-${var.database}-rds-monitoring"),
      assume_role_policy: expr("data.aws_iam_policy_document.monitoring.json"),
    }),
    resource("aws_iam_role_policy_attachment", "monitoring", {
      role: expr("aws_iam_role.monitoring.name"),
      policy_arn: "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
    }),
  ];
}

/** Encrypted, private, backed up daily, with logs, Performance Insights and enhanced monitoring. */
function dbInstance(): Block {
  return resource("aws_db_instance", "this", {
    identifier: tmpl("${var.name}-${var.database}"),
    engine: "postgres",
    engine_version: v("engine_version"),
    instance_class: v("instance_class"),
    allocated_storage: v("allocated_storage"),
    max_allocated_storage: expr("var.allocated_storage * 2"),
    storage_type: "gp3",
    storage_encrypted: true,
    kms_key_id: v("kms_key_arn"),
    db_name: v("db_name"),
    username: "app",
    "#password": comment(
      "Write-only: the password reaches RDS but neither the plan nor the state. Not RDS-managed, since that one rotates on its own schedule and no URL could hold it.",
    ),
    password_wo: expr(PG_PASSWORD),
    password_wo_version: v("credentials_version"),
    iam_database_authentication_enabled: true,
    multi_az: v("multi_az"),
    db_subnet_group_name: expr("aws_db_subnet_group.this.name"),
    vpc_security_group_ids: [v("security_group_id")],
    parameter_group_name: expr("aws_db_parameter_group.this.name"),
    publicly_accessible: false,
    backup_retention_period: v("backup_retention_days"),
    backup_window: "03:00-04:00",
    maintenance_window: "sun:04:30-sun:05:30",
    copy_tags_to_snapshot: true,
    delete_automated_backups: false,
    deletion_protection: v("deletion_protection"),
    skip_final_snapshot: expr("!var.deletion_protection"),
    final_snapshot_identifier: tmpl("${var.name}-${var.database}-final"),
    auto_minor_version_upgrade: true,
    enabled_cloudwatch_logs_exports: ["postgresql", "upgrade"],
    performance_insights_enabled: true,
    performance_insights_kms_key_id: v("kms_key_arn"),
    performance_insights_retention_period: 7,
    monitoring_interval: 60,
    monitoring_role_arn: expr("aws_iam_role.monitoring.arn"),
  });
}

/** Automated backups copied to another region, encrypted with a key there (geo_redundant). */
function backupReplication(): Block[] {
  return [
    data("aws_caller_identity", "current", {}),
    policyDocument("backup_key", [
      {
        sid: "AccountAdministration",
        actions: ["kms:*"],
        resources: ["*"],
        principals: {
          type: "AWS",
          identifiers: [tmpl("arn:aws:iam::${data.aws_caller_identity.current.account_id}:root")],
        },
      },
    ]),
    resource("aws_kms_key", "backup", {
      count: expr("var.geo_redundant ? 1 : 0"),
      region: v("backup_region"),
      description: tmpl("${var.name}-${var.database}: replicated backups"),
      enable_key_rotation: true,
      deletion_window_in_days: 30,
      policy: expr("data.aws_iam_policy_document.backup_key.json"),
    }),
    resource("aws_db_instance_automated_backups_replication", "this", {
      count: expr("var.geo_redundant ? 1 : 0"),
      region: v("backup_region"),
      source_db_instance_arn: expr("aws_db_instance.this.arn"),
      kms_key_id: expr("aws_kms_key.backup[0].arn"),
      retention_period: v("backup_retention_days"),
    }),
  ];
}

export function redisModule(): ModuleSpec {
  return {
    name: "redis",
    summary:
      "ElastiCache Redis in private subnets, encrypted in transit (TLS) and at rest, with a generated AUTH token, and a replica with automatic failover where asked.",
    variables: REDIS_VARS,
    main: [
      ...cacheSettings(),
      ...generatedPassword(
        "auth_token",
        "redis/${var.cache}/auth-token",
        64,
        "AUTH token of the cache; ElastiCache and the connection secret read it from here.",
      ),
      readBack("data", "auth_token"),
      replicationGroup(),
      ...redisConnection(),
    ],
    outputs: [
      output(
        "address",
        expr("aws_elasticache_replication_group.this.primary_endpoint_address"),
        "Primary endpoint of the cache.",
      ),
      output("port", expr("aws_elasticache_replication_group.this.port"), "Port of the cache."),
      output(
        "member_clusters",
        expr("sort(aws_elasticache_replication_group.this.member_clusters)"),
        "Cache clusters (nodes) of the group: the CacheClusterId dimension of their metrics.",
      ),
      CONNECTION_OUTPUT,
    ],
  };
}

const AUTH_TOKEN = passwordOf("data", "auth_token");

/** url (rediss:// with the token), host, port and password: the parts of a Redis in the contract. */
function redisConnection(): Block[] {
  const rg = (attr: string) => `\${aws_elasticache_replication_group.this.${attr}}`;
  return connectionSecret(
    "redis/${var.cache}/connection",
    "How the app connects to the cache: url (rediss://), host, port, password.",
    {
      url: tmpl(`rediss://:\${${AUTH_TOKEN}}@${rg("primary_endpoint_address")}:${rg("port")}`),
      host: expr("aws_elasticache_replication_group.this.primary_endpoint_address"),
      port: expr("tostring(aws_elasticache_replication_group.this.port)"),
      password: expr(AUTH_TOKEN),
    },
  );
}

const REDIS_VARS: Record<string, VariableSpec> = {
  name: NAME_VAR,
  cache: { type: "string", description: "Name of the cache in the spec." },
  engine_version: { type: "string", description: "Redis version." },
  node_type: { type: "string", description: "ElastiCache node type." },
  replicas: {
    type: "number",
    description: "Read replicas (1 or more gives automatic failover across zones).",
  },
  snapshot_retention_days: { type: "number", description: "Days of daily snapshots (0 for none)." },
  maxmemory_policy: { type: "string", description: "Eviction policy when memory is full." },
  subnet_ids: SUBNETS,
  security_group_id: SG,
  kms_key_arn: KMS_VAR,
  log_retention_days: { type: "number", description: "Days to keep the slow log." },
  credentials_version: CREDENTIALS_VERSION,
};

/** Subnets, the eviction policy and the slow log destination. */
function cacheSettings(): Block[] {
  return [
    resource("aws_elasticache_subnet_group", "this", {
      name: tmpl("${var.name}-${var.cache}"),
      subnet_ids: v("subnet_ids"),
    }),
    resource("aws_elasticache_parameter_group", "this", {
      name: tmpl("${var.name}-${var.cache}"),
      family: tmpl('redis${split(".", var.engine_version)[0]}'),
      parameter: nested({ name: "maxmemory-policy", value: v("maxmemory_policy") }),
    }),
    resource("aws_cloudwatch_log_group", "slow_log", {
      name: tmpl("/elasticache/${var.name}/${var.cache}/slow-log"),
      retention_in_days: v("log_retention_days"),
      kms_key_id: v("kms_key_arn"),
    }),
  ];
}

/** TLS in transit, KMS at rest; replicas give automatic failover across zones. */
function replicationGroup(): Block {
  return resource("aws_elasticache_replication_group", "this", {
    replication_group_id: tmpl("${var.name}-${var.cache}"),
    description: tmpl("${var.cache} of ${var.name}"),
    engine: "redis",
    engine_version: v("engine_version"),
    node_type: v("node_type"),
    num_cache_clusters: expr("1 + var.replicas"),
    automatic_failover_enabled: expr("var.replicas > 0"),
    multi_az_enabled: expr("var.replicas > 0"),
    port: 6379,
    parameter_group_name: expr("aws_elasticache_parameter_group.this.name"),
    subnet_group_name: expr("aws_elasticache_subnet_group.this.name"),
    security_group_ids: [v("security_group_id")],
    at_rest_encryption_enabled: "true",
    kms_key_id: v("kms_key_arn"),
    transit_encryption_enabled: true,
    "#auth": comment(
      "The provider has no write-only AUTH token, so this one is in the state (encrypted in the state bucket). ROTATE keeps the old token valid until the tasks run with the new one.",
    ),
    auth_token: expr(AUTH_TOKEN),
    auth_token_update_strategy: "ROTATE",
    snapshot_retention_limit: v("snapshot_retention_days"),
    auto_minor_version_upgrade: "true",
    apply_immediately: false,
    log_delivery_configuration: nested({
      destination: expr("aws_cloudwatch_log_group.slow_log.name"),
      destination_type: "cloudwatch-logs",
      log_format: "json",
      log_type: "slow-log",
    }),
  });
}

/** A bucket policy statement refusing every request that is not over TLS. */
export function denyInsecureTransport(bucket: string): Statement {
  return {
    sid: "DenyInsecureTransport",
    effect: "Deny",
    actions: ["s3:*"],
    resources: [expr(`aws_s3_bucket.${bucket}.arn`), tmpl(`\${aws_s3_bucket.${bucket}.arn}/*`)],
    principals: { type: "*", identifiers: ["*"] },
    conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
  };
}

/** Private, owner-enforced, versioned or not: what every bucket of the app has. */
export const bucketBasics = (name: string, versioning: string) => [
  resource("aws_s3_bucket_public_access_block", name, {
    bucket: expr(`aws_s3_bucket.${name}.id`),
    block_public_acls: true,
    block_public_policy: true,
    ignore_public_acls: true,
    restrict_public_buckets: true,
  }),
  resource("aws_s3_bucket_ownership_controls", name, {
    bucket: expr(`aws_s3_bucket.${name}.id`),
    rule: nested({ object_ownership: "BucketOwnerEnforced" }),
  }),
  resource("aws_s3_bucket_versioning", name, {
    bucket: expr(`aws_s3_bucket.${name}.id`),
    versioning_configuration: nested({ status: expr(versioning) }),
  }),
];

export function bucketModule(): ModuleSpec {
  return {
    name: "bucket",
    summary:
      "A private S3 bucket for the app's objects: no public access, KMS encryption, TLS only, versioning and lifecycle rules from the spec.",
    variables: BUCKET_VARS,
    main: [...bucket(), lifecycleRules(), cors()],
    outputs: [
      output("bucket", expr("aws_s3_bucket.this.id"), "Name of the bucket."),
      output("arn", expr("aws_s3_bucket.this.arn"), "ARN of the bucket."),
    ],
  };
}

const BUCKET_VARS: Record<string, VariableSpec> = {
  name: NAME_VAR,
  bucket: { type: "string", description: "Name of the bucket in the spec." },
  versioning: { type: "bool", description: "Keep every version of every object." },
  lifecycle_rules: {
    type: "list(object({ id = string, prefix = string, cool_after_days = number, archive_after_days = number, delete_after_days = number }))",
    description: "Move objects to infrequent access, then to Glacier, then delete them (null skips a step).",
    default: [],
  },
  cors_origins: {
    type: "list(string)",
    description: "Origins allowed to read and upload from browsers.",
    default: [],
  },
  kms_key_arn: KMS_VAR,
};

/** The bucket: private, KMS-encrypted, TLS only. */
function bucket(): Block[] {
  return [
    resource("aws_s3_bucket", "this", {
      bucket_prefix: tmpl("${var.name}-${var.bucket}-"),
      force_destroy: false,
    }),
    ...bucketBasics("this", 'var.versioning ? "Enabled" : "Suspended"'),
    resource("aws_s3_bucket_server_side_encryption_configuration", "this", {
      bucket: expr("aws_s3_bucket.this.id"),
      rule: nested({
        bucket_key_enabled: true,
        apply_server_side_encryption_by_default: nested({
          sse_algorithm: "aws:kms",
          kms_master_key_id: v("kms_key_arn"),
        }),
      }),
    }),
    policyDocument("tls_only", [denyInsecureTransport("this")]),
    resource("aws_s3_bucket_policy", "this", {
      bucket: expr("aws_s3_bucket.this.id"),
      policy: expr("data.aws_iam_policy_document.tls_only.json"),
    }),
  ];
}

/** Uploads never finished and old versions expire; the spec's rules move, archive and delete objects. */
function lifecycleRules(): Block {
  return resource("aws_s3_bucket_lifecycle_configuration", "this", {
    bucket: expr("aws_s3_bucket.this.id"),
    rule: nested({
      id: "abort-incomplete-uploads",
      status: "Enabled",
      filter: nested({ prefix: "" }),
      abort_incomplete_multipart_upload: nested({ days_after_initiation: 7 }),
      noncurrent_version_expiration: nested({ noncurrent_days: 90 }),
    }),
    dynamic: nested(
      {
        for_each: v("lifecycle_rules"),
        content: nested({
          id: expr("rule.value.id"),
          status: "Enabled",
          filter: nested({ prefix: expr("rule.value.prefix") }),
          abort_incomplete_multipart_upload: nested({ days_after_initiation: 7 }),
          dynamic: [
            nested(
              {
                for_each: expr("rule.value.cool_after_days == null ? [] : [rule.value.cool_after_days]"),
                content: nested({ days: expr("transition.value"), storage_class: "STANDARD_IA" }),
              },
              ["transition"],
            ),
            nested(
              {
                for_each: expr(
                  "rule.value.archive_after_days == null ? [] : [rule.value.archive_after_days]",
                ),
                content: nested({ days: expr("transition.value"), storage_class: "GLACIER" }),
              },
              ["transition"],
            ),
            nested(
              {
                for_each: expr("rule.value.delete_after_days == null ? [] : [rule.value.delete_after_days]"),
                content: nested({ days: expr("expiration.value") }),
              },
              ["expiration"],
            ),
          ],
        }),
      },
      ["rule"],
    ),
  });
}

/** Browsers of the listed origins may read and upload directly. */
function cors(): Block {
  return resource("aws_s3_bucket_cors_configuration", "this", {
    count: expr("length(var.cors_origins) > 0 ? 1 : 0"),
    bucket: expr("aws_s3_bucket.this.id"),
    cors_rule: nested({
      allowed_methods: ["GET", "HEAD", "PUT", "POST"],
      allowed_origins: v("cors_origins"),
      allowed_headers: ["*"],
      max_age_seconds: 3600,
    }),
  });
}

export function kafkaModule(): ModuleSpec {
  return {
    name: "kafka",
    summary:
      "An MSK Serverless cluster (Kafka-compatible, IAM authentication, TLS) for the spec's topics. MSK Serverless has no topic resource in the AWS provider: the topics are created once with the Kafka admin tools (see the README).",
    variables: { name: NAME_VAR, subnet_ids: SUBNETS, security_group_id: SG },
    main: [
      resource("aws_msk_serverless_cluster", "this", {
        cluster_name: v("name"),
        vpc_config: nested({ subnet_ids: v("subnet_ids"), security_group_ids: [v("security_group_id")] }),
        client_authentication: nested({ sasl: nested({ iam: nested({ enabled: true }) }) }),
      }),
    ],
    outputs: [
      output(
        "bootstrap_brokers",
        expr("aws_msk_serverless_cluster.this.bootstrap_brokers_sasl_iam"),
        "Bootstrap brokers (SASL/IAM over TLS, port 9098).",
      ),
      output("cluster_arn", expr("aws_msk_serverless_cluster.this.arn"), "ARN of the cluster."),
      output(
        "cluster_uuid",
        expr("aws_msk_serverless_cluster.this.cluster_uuid"),
        "UUID of the cluster (part of topic ARNs).",
      ),
    ],
  };
}
