// The AWS module of a static site: S3 + CloudFront with its certificate in us-east-1.
import { expr, nested, tmpl, type Block, type Nested } from "../../format/hcl.js";
import { lifecycle, output, resource, type VariableSpec } from "../terraform/blocks.js";
import { NAME_VAR, v, type ModuleSpec } from "../terraform/module.js";
import { policyDocument } from "./iam.js";
import { bucketBasics, denyInsecureTransport } from "./modules-data.js";

// AWS managed CloudFront policies (their IDs are the same in every account).
const CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

export function staticSiteModule(): ModuleSpec {
  return {
    name: "static_site",
    summary:
      "A static frontend: a private S3 bucket read by CloudFront through origin access control, HTTPS only with an ACM certificate in us-east-1, SPA fallback.",
    aliases: ["aws.us_east_1"],
    variables: SITE_VARS,
    main: [
      ...siteBucket(),
      ...cloudFrontSettings(),
      ...certificate(),
      distribution(),
      ...bucketPolicy(),
      ...aliases(),
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

const SITE_VARS: Record<string, VariableSpec> = {
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
};

/** The private bucket that holds the build; old builds expire. */
function siteBucket(): Block[] {
  return [
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
  ];
}

/** How CloudFront reads the bucket and which security headers it adds. */
function cloudFrontSettings(): Block[] {
  return [
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
  ];
}

/** The certificate in us-east-1 (CloudFront takes no other region), validated through Route 53. */
function certificate(): Block[] {
  return [
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
  ];
}

/** HTTPS only (HTTP/2 and 3), the bucket as the default origin, cached with the managed policy. */
function distribution(): Block {
  return resource("aws_cloudfront_distribution", "this", {
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
    dynamic: [...apiOrigin(), spaFallback()],
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
  });
}

/**
 * Paths an API on the same domain serves go to the load balancer uncached, with every header but
 * Host (the load balancer answers the origin name).
 */
function apiOrigin(): Nested[] {
  return [
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
  ];
}

/** Client-side routing: unknown paths get index.html. */
function spaFallback(): Nested {
  return nested(
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
  );
}

/** Only this distribution reads the bucket, and only over TLS. */
function bucketPolicy(): Block[] {
  return [
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
      denyInsecureTransport("site"),
    ]),
    resource("aws_s3_bucket_policy", "site", {
      bucket: expr("aws_s3_bucket.site.id"),
      policy: expr("data.aws_iam_policy_document.site.json"),
    }),
  ];
}

/** A and AAAA aliases: CloudFront answers over IPv4 and IPv6. */
function aliases(): Block[] {
  return [
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
  ];
}
