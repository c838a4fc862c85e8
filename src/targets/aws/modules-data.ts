// The AWS modules of data and delivery: RDS PostgreSQL, ElastiCache Redis, S3 buckets, the static
// site (S3 + CloudFront), MSK Serverless, the GitHub deploy role and the budget.
import { comment, expr, nested, tmpl } from "../../format/hcl.js";
import { data, lifecycle, output, resource } from "../terraform/blocks.js";
import type { VariableSpec } from "../terraform/blocks.js";
import { assumeRole, KMS_VAR, NAME_VAR, policyDocument, v, type ModuleSpec } from "./kit.js";

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
      "RDS PostgreSQL in private subnets: encrypted, Multi-AZ where asked, automated backups with point-in-time recovery, a master password managed by Secrets Manager.",
    variables: {
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
    },
    main: [
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
        ],
        lifecycle: lifecycle({ create_before_destroy: true }),
      }),
      assumeRole("monitoring", "monitoring.rds.amazonaws.com"),
      resource("aws_iam_role", "monitoring", {
        name: tmpl("${var.name}-${var.database}-rds-monitoring"),
        assume_role_policy: expr("data.aws_iam_policy_document.monitoring.json"),
      }),
      resource("aws_iam_role_policy_attachment", "monitoring", {
        role: expr("aws_iam_role.monitoring.name"),
        policy_arn: "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
      }),
      resource("aws_db_instance", "this", {
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
          "No password in Terraform: RDS keeps the master password in Secrets Manager and rotates it.",
        ),
        manage_master_user_password: true,
        master_user_secret_kms_key_id: v("kms_key_arn"),
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
      }),
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
    ],
    outputs: [
      output("address", expr("aws_db_instance.this.address"), "Host name of the database."),
      output("port", expr("aws_db_instance.this.port"), "Port of the database."),
      output("username", expr("aws_db_instance.this.username"), "Master user name."),
      output(
        "master_secret_arn",
        expr("aws_db_instance.this.master_user_secret[0].secret_arn"),
        "Secrets Manager secret holding the master password (JSON key `password`).",
      ),
    ],
  };
}

export function redisModule(): ModuleSpec {
  return {
    name: "redis",
    summary:
      "ElastiCache Redis in private subnets, encrypted in transit (TLS) and at rest, with a replica and automatic failover where asked.",
    variables: {
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
    },
    main: [
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
      resource("aws_elasticache_replication_group", "this", {
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
        snapshot_retention_limit: v("snapshot_retention_days"),
        auto_minor_version_upgrade: "true",
        apply_immediately: false,
        log_delivery_configuration: nested({
          destination: expr("aws_cloudwatch_log_group.slow_log.name"),
          destination_type: "cloudwatch-logs",
          log_format: "json",
          log_type: "slow-log",
        }),
      }),
    ],
    outputs: [
      output(
        "address",
        expr("aws_elasticache_replication_group.this.primary_endpoint_address"),
        "Primary endpoint of the cache.",
      ),
      output(
        "url",
        tmpl("rediss://${aws_elasticache_replication_group.this.primary_endpoint_address}:6379"),
        "Connection URL (TLS).",
      ),
    ],
  };
}

const bucketBasics = (name: string, versioning: string) => [
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
    variables: {
      name: NAME_VAR,
      bucket: { type: "string", description: "Name of the bucket in the spec." },
      versioning: { type: "bool", description: "Keep every version of every object." },
      lifecycle_rules: {
        type: "list(object({ id = string, prefix = string, cool_after_days = number, archive_after_days = number, delete_after_days = number }))",
        description:
          "Move objects to infrequent access, then to Glacier, then delete them (null skips a step).",
        default: [],
      },
      cors_origins: {
        type: "list(string)",
        description: "Origins allowed to read and upload from browsers.",
        default: [],
      },
      kms_key_arn: KMS_VAR,
    },
    main: [
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
      policyDocument("tls_only", [
        {
          sid: "DenyInsecureTransport",
          effect: "Deny",
          actions: ["s3:*"],
          resources: [expr("aws_s3_bucket.this.arn"), tmpl("${aws_s3_bucket.this.arn}/*")],
          principals: { type: "*", identifiers: ["*"] },
          conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ]),
      resource("aws_s3_bucket_policy", "this", {
        bucket: expr("aws_s3_bucket.this.id"),
        policy: expr("data.aws_iam_policy_document.tls_only.json"),
      }),
      resource("aws_s3_bucket_lifecycle_configuration", "this", {
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
                    for_each: expr(
                      "rule.value.delete_after_days == null ? [] : [rule.value.delete_after_days]",
                    ),
                    content: nested({ days: expr("expiration.value") }),
                  },
                  ["expiration"],
                ),
              ],
            }),
          },
          ["rule"],
        ),
      }),
      resource("aws_s3_bucket_cors_configuration", "this", {
        count: expr("length(var.cors_origins) > 0 ? 1 : 0"),
        bucket: expr("aws_s3_bucket.this.id"),
        cors_rule: nested({
          allowed_methods: ["GET", "HEAD", "PUT", "POST"],
          allowed_origins: v("cors_origins"),
          allowed_headers: ["*"],
          max_age_seconds: 3600,
        }),
      }),
    ],
    outputs: [
      output("bucket", expr("aws_s3_bucket.this.id"), "Name of the bucket."),
      output("arn", expr("aws_s3_bucket.this.arn"), "ARN of the bucket."),
    ],
  };
}

const CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

export function staticSiteModule(): ModuleSpec {
  return {
    name: "static_site",
    summary:
      "A static frontend: a private S3 bucket read by CloudFront through origin access control, HTTPS only with an ACM certificate in us-east-1, SPA fallback.",
    aliases: ["aws.us_east_1"],
    variables: {
      name: NAME_VAR,
      site: { type: "string", description: "Name of the static service in the spec." },
      domains: {
        type: "list(string)",
        description: "Names the site is served at (empty: the CloudFront domain only).",
      },
      zone_id: { type: "string", description: "Route 53 hosted zone of the domains.", default: null },
      spa: { type: "bool", description: "Serve index.html for unknown paths (client-side routing)." },
      price_class: { type: "string", description: "CloudFront price class.", default: "PriceClass_100" },
      api_origin: {
        type: "object({ domain = string, paths = list(string) })",
        description: "A load-balancer origin for paths served by an API on the same domain (null for none).",
        default: null,
      },
    },
    main: [
      resource("aws_s3_bucket", "site", {
        bucket_prefix: tmpl("${var.name}-${var.site}-"),
        force_destroy: false,
      }),
      ...bucketBasics("site", '"Enabled"'),
      resource("aws_s3_bucket_server_side_encryption_configuration", "site", {
        bucket: expr("aws_s3_bucket.site.id"),
        rule: nested({
          bucket_key_enabled: true,
          apply_server_side_encryption_by_default: nested({ sse_algorithm: "AES256" }),
        }),
      }),
      resource("aws_s3_bucket_lifecycle_configuration", "site", {
        bucket: expr("aws_s3_bucket.site.id"),
        rule: nested({
          id: "expire-old-builds",
          status: "Enabled",
          filter: nested({ prefix: "" }),
          abort_incomplete_multipart_upload: nested({ days_after_initiation: 7 }),
          noncurrent_version_expiration: nested({ noncurrent_days: 30 }),
        }),
      }),
      resource("aws_cloudfront_origin_access_control", "this", {
        name: tmpl("${var.name}-${var.site}"),
        description: tmpl("CloudFront reads ${var.site} from S3"),
        origin_access_control_origin_type: "s3",
        signing_behavior: "always",
        signing_protocol: "sigv4",
      }),
      resource("aws_cloudfront_response_headers_policy", "this", {
        name: tmpl("${var.name}-${var.site}"),
        security_headers_config: nested({
          strict_transport_security: nested({
            access_control_max_age_sec: 31536000,
            include_subdomains: true,
            preload: true,
            override: true,
          }),
          content_type_options: nested({ override: true }),
          frame_options: nested({ frame_option: "DENY", override: true }),
          referrer_policy: nested({ referrer_policy: "strict-origin-when-cross-origin", override: true }),
        }),
      }),
      resource("aws_acm_certificate", "this", {
        count: expr("length(var.domains) > 0 ? 1 : 0"),
        provider: expr("aws.us_east_1"),
        domain_name: expr("var.domains[0]"),
        subject_alternative_names: expr("slice(var.domains, 1, length(var.domains))"),
        validation_method: "DNS",
        lifecycle: lifecycle({ create_before_destroy: true }),
      }),
      resource("aws_route53_record", "validation", {
        for_each: expr(
          "length(var.domains) > 0 ? { for o in aws_acm_certificate.this[0].domain_validation_options : o.domain_name => o } : {}",
        ),
        zone_id: v("zone_id"),
        name: expr("each.value.resource_record_name"),
        type: expr("each.value.resource_record_type"),
        records: [expr("each.value.resource_record_value")],
        ttl: 60,
        allow_overwrite: true,
      }),
      resource("aws_acm_certificate_validation", "this", {
        count: expr("length(var.domains) > 0 ? 1 : 0"),
        provider: expr("aws.us_east_1"),
        certificate_arn: expr("aws_acm_certificate.this[0].arn"),
        validation_record_fqdns: expr("[for r in aws_route53_record.validation : r.fqdn]"),
      }),
      resource("aws_cloudfront_distribution", "this", {
        enabled: true,
        is_ipv6_enabled: true,
        http_version: "http2and3",
        comment: tmpl("${var.name} ${var.site}"),
        aliases: v("domains"),
        default_root_object: "index.html",
        price_class: v("price_class"),
        origin: nested({
          origin_id: "s3",
          domain_name: expr("aws_s3_bucket.site.bucket_regional_domain_name"),
          origin_access_control_id: expr("aws_cloudfront_origin_access_control.this.id"),
        }),
        dynamic: [
          nested(
            {
              for_each: expr("var.api_origin == null ? [] : [var.api_origin]"),
              content: nested({
                origin_id: "api",
                domain_name: expr("origin.value.domain"),
                custom_origin_config: nested({
                  http_port: 80,
                  https_port: 443,
                  origin_protocol_policy: "https-only",
                  origin_ssl_protocols: ["TLSv1.2"],
                }),
              }),
            },
            ["origin"],
          ),
          nested(
            {
              for_each: expr("var.api_origin == null ? [] : var.api_origin.paths"),
              content: nested({
                path_pattern: expr("ordered_cache_behavior.value"),
                target_origin_id: "api",
                viewer_protocol_policy: "redirect-to-https",
                allowed_methods: ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"],
                cached_methods: ["GET", "HEAD"],
                cache_policy_id: CACHING_DISABLED,
                origin_request_policy_id: ALL_VIEWER_EXCEPT_HOST,
                response_headers_policy_id: expr("aws_cloudfront_response_headers_policy.this.id"),
                compress: true,
              }),
            },
            ["ordered_cache_behavior"],
          ),
          nested(
            {
              for_each: expr("var.spa ? [403, 404] : []"),
              content: nested({
                error_code: expr("custom_error_response.value"),
                response_code: 200,
                response_page_path: "/index.html",
                error_caching_min_ttl: 0,
              }),
            },
            ["custom_error_response"],
          ),
        ],
        default_cache_behavior: nested({
          target_origin_id: "s3",
          viewer_protocol_policy: "redirect-to-https",
          allowed_methods: ["GET", "HEAD", "OPTIONS"],
          cached_methods: ["GET", "HEAD"],
          cache_policy_id: CACHING_OPTIMIZED,
          response_headers_policy_id: expr("aws_cloudfront_response_headers_policy.this.id"),
          compress: true,
        }),
        restrictions: nested({ geo_restriction: nested({ restriction_type: "none" }) }),
        viewer_certificate: nested({
          acm_certificate_arn: expr(
            "length(var.domains) > 0 ? aws_acm_certificate_validation.this[0].certificate_arn : null",
          ),
          cloudfront_default_certificate: expr("length(var.domains) == 0"),
          ssl_support_method: expr('length(var.domains) > 0 ? "sni-only" : null'),
          minimum_protocol_version: "TLSv1.2_2021",
        }),
      }),
      policyDocument("site", [
        {
          sid: "CloudFrontReadsThroughOriginAccessControl",
          actions: ["s3:GetObject"],
          resources: [tmpl("${aws_s3_bucket.site.arn}/*")],
          principals: { type: "Service", identifiers: ["cloudfront.amazonaws.com"] },
          conditions: [
            {
              test: "StringEquals",
              variable: "AWS:SourceArn",
              values: [expr("aws_cloudfront_distribution.this.arn")],
            },
          ],
        },
        {
          sid: "DenyInsecureTransport",
          effect: "Deny",
          actions: ["s3:*"],
          resources: [expr("aws_s3_bucket.site.arn"), tmpl("${aws_s3_bucket.site.arn}/*")],
          principals: { type: "*", identifiers: ["*"] },
          conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ]),
      resource("aws_s3_bucket_policy", "site", {
        bucket: expr("aws_s3_bucket.site.id"),
        policy: expr("data.aws_iam_policy_document.site.json"),
      }),
      resource("aws_route53_record", "alias", {
        for_each: expr(
          '{ for pair in setproduct(var.domains, ["A", "AAAA"]) : "${pair[0]}.${pair[1]}" => { name = pair[0], type = pair[1] } }',
        ),
        zone_id: v("zone_id"),
        name: expr("each.value.name"),
        type: expr("each.value.type"),
        alias: nested({
          name: expr("aws_cloudfront_distribution.this.domain_name"),
          zone_id: expr("aws_cloudfront_distribution.this.hosted_zone_id"),
          evaluate_target_health: false,
        }),
      }),
    ],
    outputs: [
      output("bucket", expr("aws_s3_bucket.site.id"), "Bucket the pipeline uploads the build to."),
      output("bucket_arn", expr("aws_s3_bucket.site.arn"), "ARN of the bucket."),
      output(
        "distribution_id",
        expr("aws_cloudfront_distribution.this.id"),
        "CloudFront distribution the pipeline invalidates.",
      ),
      output("distribution_arn", expr("aws_cloudfront_distribution.this.arn"), "ARN of the distribution."),
      output("domain_name", expr("aws_cloudfront_distribution.this.domain_name"), "CloudFront domain name."),
    ],
  };
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

export function ciModule(): ModuleSpec {
  return {
    name: "ci",
    summary:
      "The GitHub Actions deploy role: OIDC federation (no stored keys), assumable only by workflows of one repository, allowed only to deploy this app.",
    variables: {
      name: NAME_VAR,
      github_owner: { type: "string", description: "Owner (user or organisation) of the GitHub repository." },
      github_repo: { type: "string", description: "Name of the GitHub repository." },
      branch: { type: "string", description: "Branch whose workflows may deploy (the default branch)." },
      github_environment: {
        type: "string",
        description: "GitHub environment whose jobs may deploy (its protection rules apply).",
      },
      create_oidc_provider: {
        type: "bool",
        description:
          "Create the account's GitHub OIDC provider (only one per account: false in the other environments of the same account).",
      },
      ecr_repository_arns: { type: "list(string)", description: "Repositories the pipeline pushes to." },
      cluster_arn: { type: "string", description: "ECS cluster the pipeline deploys to." },
      pass_role_arns: {
        type: "list(string)",
        description: "Task and execution roles the pipeline passes when it registers task definitions.",
      },
      site_bucket_arns: {
        type: "list(string)",
        description: "Static site buckets the pipeline uploads to.",
        default: [],
      },
      state_bucket: {
        type: "string",
        description: "Bucket of the Terraform state (the pipeline reads the outputs).",
      },
      state_key: { type: "string", description: "Key of this environment's state object." },
      distribution_arns: {
        type: "list(string)",
        description: "CloudFront distributions the pipeline invalidates.",
        default: [],
      },
    },
    main: [
      resource("aws_iam_openid_connect_provider", "github", {
        count: expr("var.create_oidc_provider ? 1 : 0"),
        url: "https://token.actions.githubusercontent.com",
        client_id_list: ["sts.amazonaws.com"],
      }),
      data("aws_caller_identity", "current", {}),
      policyDocument("trust", [
        {
          actions: ["sts:AssumeRoleWithWebIdentity"],
          principals: {
            type: "Federated",
            identifiers: [
              tmpl(
                "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/token.actions.githubusercontent.com",
              ),
            ],
          },
          conditions: [
            {
              test: "StringEquals",
              variable: "token.actions.githubusercontent.com:aud",
              values: ["sts.amazonaws.com"],
            },
            {
              test: "StringLike",
              variable: "token.actions.githubusercontent.com:sub",
              values: [
                tmpl("repo:${var.github_owner}/${var.github_repo}:environment:${var.github_environment}"),
                tmpl("repo:${var.github_owner}/${var.github_repo}:ref:refs/heads/${var.branch}"),
                tmpl("repo:${var.github_owner}/${var.github_repo}:ref:refs/tags/*"),
              ],
            },
          ],
        },
      ]),
      resource("aws_iam_role", "deploy", {
        name: tmpl("${var.name}-github-deploy"),
        description: tmpl("GitHub Actions of ${var.github_owner}/${var.github_repo} deploy ${var.name}"),
        assume_role_policy: expr("data.aws_iam_policy_document.trust.json"),
        max_session_duration: 3600,
        depends_on: [expr("aws_iam_openid_connect_provider.github")],
      }),
      data("aws_iam_policy_document", "deploy", {
        statement: [
          nested({ sid: "RegistryLogin", actions: ["ecr:GetAuthorizationToken"], resources: ["*"] }),
          nested({
            sid: "PushImages",
            actions: [
              "ecr:BatchCheckLayerAvailability",
              "ecr:BatchGetImage",
              "ecr:CompleteLayerUpload",
              "ecr:DescribeImages",
              "ecr:InitiateLayerUpload",
              "ecr:PutImage",
              "ecr:UploadLayerPart",
            ],
            resources: v("ecr_repository_arns"),
          }),
          nested({
            sid: "TaskDefinitions",
            actions: ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"],
            resources: ["*"],
          }),
          nested({
            sid: "DeployServices",
            actions: ["ecs:DescribeServices", "ecs:UpdateService", "ecs:RunTask", "ecs:DescribeTasks"],
            resources: ["*"],
            condition: nested({ test: "ArnEquals", variable: "ecs:cluster", values: [v("cluster_arn")] }),
          }),
          nested({
            sid: "ListState",
            actions: ["s3:ListBucket"],
            resources: [tmpl("arn:aws:s3:::${var.state_bucket}")],
          }),
          nested({
            sid: "ReadStateOutputs",
            actions: ["s3:GetObject"],
            resources: [tmpl("arn:aws:s3:::${var.state_bucket}/${var.state_key}")],
          }),
          nested({
            sid: "PassTaskRoles",
            actions: ["iam:PassRole"],
            resources: v("pass_role_arns"),
            condition: nested({
              test: "StringEquals",
              variable: "iam:PassedToService",
              values: ["ecs-tasks.amazonaws.com"],
            }),
          }),
        ],
        dynamic: [
          nested(
            {
              for_each: expr("length(var.site_bucket_arns) > 0 ? [1] : []"),
              content: nested({
                sid: "UploadSites",
                actions: ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                resources: expr('concat(var.site_bucket_arns, [for b in var.site_bucket_arns : "${b}/*"])'),
              }),
            },
            ["statement"],
          ),
          nested(
            {
              for_each: expr("length(var.distribution_arns) > 0 ? [1] : []"),
              content: nested({
                sid: "InvalidateCaches",
                actions: ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
                resources: v("distribution_arns"),
              }),
            },
            ["statement"],
          ),
        ],
      }),
      resource("aws_iam_role_policy", "deploy", {
        name: "deploy",
        role: expr("aws_iam_role.deploy.id"),
        policy: expr("data.aws_iam_policy_document.deploy.json"),
      }),
    ],
    outputs: [
      output(
        "role_arn",
        expr("aws_iam_role.deploy.arn"),
        "Role the workflows assume (aws-actions/configure-aws-credentials role-to-assume).",
      ),
    ],
  };
}

export function budgetModule(): ModuleSpec {
  return {
    name: "budget",
    summary:
      "A monthly AWS Budget for the environment's tagged costs, notifying at each threshold (actual and forecast).",
    variables: {
      name: NAME_VAR,
      monthly_usd: { type: "number", description: "Monthly budget in US dollars." },
      thresholds: { type: "list(number)", description: "Percentages of the budget that notify." },
      emails: { type: "list(string)", description: "Addresses notified." },
      topic_arn: { type: "string", description: "SNS topic notified as well." },
      cost_filter_tag: {
        type: "string",
        description: "Cost allocation tag selecting the environment's costs, as Key$Value.",
        default: null,
      },
    },
    main: [
      resource("aws_budgets_budget", "monthly", {
        name: tmpl("${var.name}-monthly"),
        budget_type: "COST",
        limit_amount: expr("tostring(var.monthly_usd)"),
        limit_unit: "USD",
        time_unit: "MONTHLY",
        dynamic: [
          nested(
            {
              for_each: expr("var.cost_filter_tag == null ? [] : [var.cost_filter_tag]"),
              content: nested({ name: "TagKeyValue", values: [tmpl("user:${cost_filter.value}")] }),
            },
            ["cost_filter"],
          ),
          nested(
            {
              for_each: expr(
                '{ for pair in setproduct(var.thresholds, ["ACTUAL", "FORECASTED"]) : "${pair[0]}-${pair[1]}" => { threshold = pair[0], type = pair[1] } }',
              ),
              content: nested({
                comparison_operator: "GREATER_THAN",
                threshold: expr("notification.value.threshold"),
                threshold_type: "PERCENTAGE",
                notification_type: expr("notification.value.type"),
                subscriber_email_addresses: v("emails"),
                subscriber_sns_topic_arns: [v("topic_arn")],
              }),
            },
            ["notification"],
          ),
        ],
      }),
    ],
    outputs: [output("budget_name", expr("aws_budgets_budget.monthly.name"), "Name of the budget.")],
  };
}
