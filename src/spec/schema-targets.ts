// How the app is delivered: the `ci` settings of the generated pipelines and the `targets` it can be
// deployed to, with their target-wide options.
import { Bool, Duration, Enum, Int, List, Obj, Str, Text } from "./schema-kit.js";

export const CiSchema = Obj(
  {
    default_branch: Str({
      description: "The branch that deploys to staging.",
      minLength: 1,
      default: "main",
    }),
    repository: Str({
      description: "GitHub repository owner/name; scopes the cloud OIDC trust.",
      format: "repository",
    }),
    image_scan: Obj(
      {
        severity: List(Enum(["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"], { description: "Severity." }), {
          description: "Severities that fail the scan.",
          minItems: 1,
          uniqueItems: true,
          default: ["HIGH", "CRITICAL"],
        }),
        ignore_unfixed: Bool({ description: "Ignore vulnerabilities with no fixed version.", default: true }),
      },
      { description: "Image vulnerability scan (Trivy).", default: {} },
    ),
    deploy_timeout: Duration("How long a rollout may take before it is rolled back.", "10m"),
  },
  { description: "CI/CD settings." },
);

// ---------------------------------------------------------------------------------------------
// Targets

export const TargetsSchema = Obj(
  {
    kubernetes: Obj(
      {
        provider: Enum(["doks", "aks", "eks", "generic"], {
          description: "Which Kubernetes; tunes storage classes, load balancer annotations and docs.",
          default: "generic",
        }),
        registry: Str({
          description: "Image registry and namespace, such as ghcr.io/acme.",
          format: "registry",
        }),
        ingress_class: Str({ description: "Ingress class.", default: "nginx", format: "name" }),
        tls_email: Str({
          description: "Let's Encrypt account e-mail for certificate expiry notices.",
          format: "email",
        }),
        tls_issuer: Enum(["letsencrypt-prod", "letsencrypt-staging"], {
          description:
            "ClusterIssuer of the ingress certificates. `letsencrypt-staging` certificates are not trusted by browsers or curl (its smoke tests then skip the certificate check); set it per environment to spare the production rate limits.",
          default: "letsencrypt-prod",
        }),
        image_pull_secret: Str({
          description: "Name of the docker-registry Secret in each namespace.",
          format: "name",
          default: "registry-credentials",
        }),
        secret_name: Str({
          description: "Name of the Secret holding the app's secrets in each namespace.",
          format: "name",
          default: "app-secrets",
        }),
      },
      { description: "Any Kubernetes cluster, through a Helm chart." },
    ),
    azure: Obj(
      {
        location: Str({
          description: "Azure region, such as eastus.",
          format: "azure-location",
          default: "eastus",
        }),
        compute: Enum(["appservice", "aks"], {
          description: "Run services on App Service (default) or on AKS with the Helm chart.",
          default: "appservice",
        }),
        locks: Bool({ description: "CanNotDelete locks on production resources.", default: true }),
      },
      { description: "Azure, through Bicep." },
    ),
    aws: Obj(
      {
        region: Str({
          description: "AWS region, such as us-east-1.",
          format: "aws-region",
          default: "us-east-1",
        }),
        account_id: Str({
          description: "AWS account id (12 digits).",
          format: "aws-account",
        }),
        availability_zones: Int({
          description: "Availability zones to spread over.",
          minimum: 2,
          maximum: 6,
          default: 2,
        }),
      },
      { description: "AWS, through Terraform (ECS Fargate, RDS, ElastiCache, S3 + CloudFront)." },
    ),
    digitalocean: Obj(
      {
        region: Str({
          description: "DigitalOcean region, such as nyc1.",
          format: "do-region",
          default: "nyc1",
        }),
        kubernetes_version: Text({
          description: "DOKS version prefix, such as 1.33.",
          unquoted: ["number"],
          format: "kubernetes-version",
          default: "1.33",
        }),
        node_size: Str({
          description: "Droplet size of the node pool.",
          format: "droplet-size",
          default: "s-2vcpu-4gb",
        }),
        cluster: Str({
          description:
            "Name of the DOKS cluster this environment runs on (default `<app>-<environment>`). Environments that name the same cluster share it, each in its own namespace: the first of them creates it and its VPC, the others run in it.",
          format: "name",
        }),
        kafka: Enum(["managed", "external"], {
          description:
            "Where the topics live: `managed` creates a DigitalOcean Managed Kafka cluster per environment; `external` creates none, and the topics are created at the broker the `kafka-brokers` Secret key names (the chart README gives the commands). Set it per environment.",
          default: "managed",
        }),
        nodes: Obj(
          {
            min: Int({ description: "Fewest nodes.", minimum: 1, maximum: 100, default: 2 }),
            max: Int({ description: "Most nodes.", minimum: 1, maximum: 100, default: 5 }),
          },
          { description: "Node pool autoscaling.", default: {} },
        ),
      },
      {
        description:
          "DigitalOcean: a DOKS cluster and managed databases through Terraform; the Helm chart deploys onto it.",
      },
    ),
  },
  { description: "Where the app can be deployed, and target-wide options." },
);
