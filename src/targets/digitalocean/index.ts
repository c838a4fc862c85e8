// `gantry synth digitalocean`: Terraform for a DOKS cluster, DOCR, managed databases with firewalls
// that admit only the cluster, DNS and a project. The app itself is deployed onto the cluster by
// the Kubernetes target's Helm chart; this tree's README says how.
import { Block, expr, tmpl, type HclFile, type HclValue } from "../../format/hcl.js";
import type { AppModel, ProjectModel } from "../../model/types.js";
import { SIZES } from "../../model/sizes.js";
import { seconds } from "../../util/duration.js";
import type { FileTree, SynthContext, Target, TargetProblem } from "../target.js";
import {
  file,
  locals,
  mdTable,
  moduleCall,
  output,
  printProject,
  terraformBlock,
  variable,
  type TerraformProject,
  type VariableSpec,
} from "../terraform/blocks.js";
import { publicHealthPath } from "../terraform/units.js";
import { moduleFiles, type ModuleProvider, type ModuleSpec } from "../aws/kit.js";
import {
  doAlertsModule,
  doBucketModule,
  doClusterModule,
  doDatabaseModule,
  doDnsModule,
  doNetworkModule,
  doProjectModule,
  doRegistryModule,
  doUptimeModule,
} from "./modules.js";

export const DO_PROVIDER = { source: "digitalocean/digitalocean", version: "~> 2.34" };
const PROVIDER: ModuleProvider = { name: "digitalocean", ...DO_PROVIDER, target: "digitalocean" };
const TOFU = ">= 1.10.0";
const q = (s: string) => JSON.stringify(s);

const doOptions = (e: AppModel) =>
  e.targets.digitalocean ?? {
    region: "nyc1",
    kubernetes_version: "1.33",
    node_size: "s-2vcpu-4gb",
    nodes: { min: 2, max: 5 },
  };

/** Spaces live in fewer regions than droplets: the Spaces region serving a droplet region. */
function spacesRegion(region: string): string {
  const r = region.replace(/[0-9]+$/, "");
  return (
    {
      nyc: "nyc3",
      sfo: "sfo3",
      ams: "ams3",
      sgp: "sgp1",
      fra: "fra1",
      syd: "syd1",
      blr: "blr1",
      lon: "lon1",
      tor: "tor1",
    }[r] ?? "nyc3"
  );
}

function zoneOf(app: AppModel): string {
  if (app.dns?.zone) return app.dns.zone;
  const first = Object.values(app.services).flatMap((s) => (s.type === "job" ? [] : s.domains))[0];
  if (!first) return "";
  const labels = first.split(".");
  return labels.length > 2 ? labels.slice(-2).join(".") : first;
}

function recordNames(app: AppModel, zone: string): string[] {
  const domains = [
    ...new Set(Object.values(app.services).flatMap((s) => (s.type === "job" ? [] : s.domains))),
  ].filter((d) => d === zone || d.endsWith(`.${zone}`));
  return domains.map((d) => (d === zone ? "@" : d.slice(0, -zone.length - 1))).sort();
}

interface DoShape {
  app: AppModel;
  envs: AppModel[];
  postgres: string[];
  redis: string[];
  hasTopics: boolean;
  buckets: string[];
  hasDns: boolean;
}

function doShape(project: ProjectModel): DoShape {
  const envs = project.environments;
  const app = envs[0]!;
  const union = (f: (e: AppModel) => string[]) => [...new Set(envs.flatMap(f))];
  return {
    app,
    envs,
    postgres: union((e) => Object.keys(e.postgres)),
    redis: union((e) => Object.keys(e.redis)),
    hasTopics: envs.some((e) => Object.keys(e.topics).length > 0),
    buckets: union((e) => Object.keys(e.buckets)),
    hasDns: envs.some((e) => zoneOf(e) !== ""),
  };
}

function rootVariables(shape: DoShape): Record<string, VariableSpec> {
  const names = shape.envs.map((e) => e.environment.name);
  const vars: Record<string, VariableSpec> = {
    project: { type: "string", description: "Name of the app (the spec's name).", default: shape.app.name },
    environment: {
      type: "string",
      description: "Environment this state holds.",
      validations: [
        {
          condition: `contains([${names.map((n) => JSON.stringify(n)).join(", ")}], var.environment)`,
          error_message: `environment must be one of: ${names.join(", ")}.`,
        },
      ],
    },
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
        {
          condition: "var.max_nodes >= var.min_nodes",
          error_message: "max_nodes must be at least min_nodes.",
        },
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
      type: "map(object({ metric = string, above = number, window = string }))",
      description: "Node alerts by name (cpu or memory, %, window 5m/10m/30m/1h).",
      default: {},
    },
    alert_emails: { type: "list(string)", description: "Addresses the node alerts e-mail.", default: [] },
    uptime_checks: {
      type: "map(string)",
      description: "Public URLs checked from several regions (empty: none).",
      default: {},
    },
  };
  if (shape.postgres.length) {
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
  }
  if (shape.redis.length) {
    vars.redis = {
      type: "map(object({ version = string, size = string, node_count = number, eviction_policy = string, persistence = string }))",
      description:
        "Managed Redis clusters of this environment (ones that run in the cluster here are left out).",
      default: {},
    };
  }
  if (shape.hasTopics) {
    vars.kafka = {
      type: "object({ version = string, size = string, node_count = number, topics = map(object({ partitions = number, replication = number, retention_ms = number })) })",
      description: "Managed Kafka cluster for the topics (null: the topics' broker runs elsewhere).",
      default: null,
    };
  }
  if (shape.buckets.length) {
    vars.buckets = {
      type: "map(object({ versioning = bool, expire = map(object({ prefix = string, days = number })), cors_origins = list(string) }))",
      description: "Spaces buckets.",
      default: {},
    };
  }
  if (shape.hasDns) {
    vars.dns_zone = { type: "string", description: "DNS zone managed in DigitalOcean." };
    vars.create_dns_zone = {
      type: "bool",
      description: "Create the zone here (exactly one environment does).",
    };
    vars.dns_records = {
      type: "list(string)",
      description: "Record names (relative to the zone) that point at the ingress.",
    };
    vars.ingress_ip = {
      type: "string",
      description:
        "Public IP of the ingress load balancer, once the cluster bootstrap created it (null until then).",
      default: null,
    };
  }
  return vars;
}

function tfvars(shape: DoShape, e: AppModel, index: number): HclFile {
  const o = doOptions(e);
  const tier = e.environment.tier;
  const items: { name: string; value: HclValue | undefined }[] = [
    { name: "environment", value: e.environment.name },
    {
      name: "project_environment",
      value: { development: "Development", staging: "Staging", production: "Production" }[tier],
    },
    { name: "region", value: o.region },
    { name: "spaces_region", value: shape.buckets.length ? spacesRegion(o.region) : undefined },
    { name: "vpc_ip_range", value: `10.${100 + index * 10}.0.0/20` },
    { name: "kubernetes_version", value: o.kubernetes_version },
    { name: "node_size", value: o.node_size },
    { name: "min_nodes", value: o.nodes.min },
    { name: "max_nodes", value: Math.max(o.nodes.max, o.nodes.min) },
    { name: "ha_control_plane", value: tier === "production" },
    { name: "create_registry", value: index === 0 },
    { name: "registry_name", value: e.name },
    { name: "registry_tier", value: "basic" },
    {
      name: "tags",
      value: Object.entries(e.tags)
        .map(([k, val]) => `${k}:${val}`.toLowerCase().replace(/[^a-z0-9:_-]/g, "-"))
        .sort(),
    },
  ];
  if (shape.postgres.length) {
    items.push({
      name: "postgres",
      value: Object.fromEntries(
        Object.values(e.postgres)
          .filter((p) => p.hosting === "managed")
          .map((p) => [
            p.name,
            {
              version: String(p.version),
              size: SIZES[p.size].doDatabase,
              node_count: p.ha ? 2 : 1,
              databases: p.databases.length ? [...p.databases] : [e.name],
            },
          ]),
      ),
    });
  }
  if (shape.redis.length) {
    items.push({
      name: "redis",
      value: Object.fromEntries(
        Object.values(e.redis)
          .filter((r) => r.hosting === "managed")
          .map((r) => [
            r.name,
            {
              version: String(r.version),
              size: SIZES[r.size].doDatabase,
              node_count: r.ha ? 2 : 1,
              eviction_policy: r.eviction.replace(/-/g, "_"),
              persistence: r.persistence === "none" ? "off" : "rdb",
            },
          ]),
      ),
    });
  }
  if (shape.hasTopics) {
    const topics = Object.values(e.topics);
    items.push({
      name: "kafka",
      value: topics.length
        ? {
            version: "3.7",
            size: tier === "production" ? "db-s-4vcpu-8gb" : "db-s-2vcpu-2gb",
            node_count: 3,
            topics: Object.fromEntries(
              topics.map((t) => [
                t.name,
                {
                  partitions: t.partitions,
                  replication: Math.min(3, Math.max(2, t.replication)),
                  retention_ms: seconds(t.retention) * 1000,
                },
              ]),
            ),
          }
        : null,
    });
  }
  if (shape.buckets.length) {
    items.push({
      name: "buckets",
      value: Object.fromEntries(
        Object.values(e.buckets).map((b) => [
          b.name,
          {
            versioning: b.versioning,
            expire: Object.fromEntries(
              Object.entries(b.lifecycle)
                .filter(([, r]) => r.delete_after_days !== undefined)
                .map(([k, r]) => [k, { prefix: r.prefix, days: r.delete_after_days! }]),
            ),
            cors_origins: [...b.cors_origins],
          },
        ]),
      ),
    });
  }
  if (shape.hasDns) {
    const zone = zoneOf(e);
    items.push(
      { name: "dns_zone", value: zone },
      { name: "create_dns_zone", value: index === 0 },
      { name: "dns_records", value: recordNames(e, zone) },
    );
  }
  const windows = ["5m", "10m", "30m", "1h"];
  const windowOf = (d: string) => windows.find((w) => seconds(w) >= seconds(d)) ?? "1h";
  items.push({
    name: "alerts",
    value: Object.fromEntries(
      Object.entries(e.monitoring.alerts)
        .filter(([, a]) => a.metric === "cpu" || a.metric === "memory")
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, a]) => [k, { metric: a.metric, above: a.above, window: windowOf(a.for) }]),
    ),
  });
  items.push({
    name: "alert_emails",
    value: [
      ...new Set(Object.values(e.monitoring.channels).flatMap((c) => (c.type === "email" ? c.to : []))),
    ].sort(),
  });
  const checks: Record<string, string> = {};
  if (e.monitoring.availability.enabled) {
    for (const svc of Object.values(e.services)) {
      if (svc.type === "job" || svc.type === "worker") continue;
      const path =
        svc.type === "static"
          ? "/"
          : publicHealthPath(svc.path, svc.health?.readiness ?? svc.health?.liveness ?? "/");
      svc.domains.forEach(
        (d, i) => (checks[i === 0 ? svc.name : `${svc.name}-${i}`] = `https://${d}${path}`),
      );
    }
  }
  items.push({ name: "uptime_checks", value: checks });
  return {
    header: [
      `Values of the ${e.environment.name} environment (${tier}). Generated by Gantry from the application spec.`,
    ],
    items: items
      .filter((i) => i.value !== undefined)
      .map((i) => ({ kind: "attr" as const, name: i.name, value: i.value! })),
  };
}

function rootMain(shape: DoShape): HclFile {
  const items: Block[] = [];
  items.push(
    new Block(
      "provider",
      ["digitalocean"],
      [
        {
          kind: "comment",
          text: "Token from DIGITALOCEAN_TOKEN; Spaces keys from SPACES_ACCESS_KEY_ID / SPACES_SECRET_ACCESS_KEY.",
        },
      ],
    ),
  );
  items.push(
    locals({
      name: tmpl("${var.project}-${var.environment}"),
      tags: expr('concat(var.tags, ["gantry", var.project, var.environment])'),
    }),
  );
  items.push(
    moduleCall("network", {
      source: "./modules/network",
      name: expr("local.name"),
      region: expr("var.region"),
      ip_range: expr("var.vpc_ip_range"),
    }),
  );
  items.push(
    moduleCall("cluster", {
      source: "./modules/cluster",
      name: expr("local.name"),
      region: expr("var.region"),
      vpc_id: expr("module.network.vpc_id"),
      kubernetes_version: expr("var.kubernetes_version"),
      node_size: expr("var.node_size"),
      min_nodes: expr("var.min_nodes"),
      max_nodes: expr("var.max_nodes"),
      ha: expr("var.ha_control_plane"),
      tags: expr("local.tags"),
    }),
  );
  items.push(
    moduleCall("registry", {
      source: "./modules/registry",
      count: expr("var.create_registry ? 1 : 0"),
      registry_name: expr("var.registry_name"),
      tier: expr("var.registry_tier"),
      region: expr("var.region"),
    }),
  );
  const dbArgs = {
    name: expr("local.name"),
    region: expr("var.region"),
    vpc_id: expr("module.network.vpc_id"),
    cluster_id: expr("module.cluster.cluster_id"),
    tags: expr("local.tags"),
  };
  if (shape.postgres.length) {
    items.push(
      moduleCall("postgres", {
        source: "./modules/database",
        for_each: expr("var.postgres"),
        ...dbArgs,
        database: expr("each.key"),
        engine: "pg",
        engine_version: expr("each.value.version"),
        size: expr("each.value.size"),
        node_count: expr("each.value.node_count"),
        databases: expr("each.value.databases"),
      }),
    );
  }
  if (shape.redis.length) {
    items.push(
      moduleCall("redis", {
        source: "./modules/database",
        for_each: expr("var.redis"),
        ...dbArgs,
        database: expr("each.key"),
        engine: "redis",
        engine_version: expr("each.value.version"),
        size: expr("each.value.size"),
        node_count: expr("each.value.node_count"),
        redis_eviction_policy: expr("each.value.eviction_policy"),
        redis_persistence: expr("each.value.persistence"),
      }),
    );
  }
  if (shape.hasTopics) {
    items.push(
      moduleCall("kafka", {
        source: "./modules/database",
        count: expr("var.kafka == null ? 0 : 1"),
        ...dbArgs,
        database: "kafka",
        engine: "kafka",
        engine_version: expr("var.kafka.version"),
        size: expr("var.kafka.size"),
        node_count: expr("var.kafka.node_count"),
        topics: expr("var.kafka.topics"),
      }),
    );
  }
  if (shape.buckets.length) {
    items.push(
      moduleCall("bucket", {
        source: "./modules/bucket",
        for_each: expr("var.buckets"),
        name: expr("local.name"),
        bucket: expr("each.key"),
        region: expr("var.spaces_region"),
        versioning: expr("each.value.versioning"),
        expire_after_days: expr("each.value.expire"),
        cors_origins: expr("each.value.cors_origins"),
      }),
    );
  }
  if (shape.hasDns) {
    items.push(
      moduleCall("dns", {
        source: "./modules/dns",
        zone: expr("var.dns_zone"),
        create_zone: expr("var.create_dns_zone"),
        records: expr("var.dns_records"),
        ingress_ip: expr("var.ingress_ip"),
      }),
    );
  }
  items.push(
    moduleCall("alerts", {
      source: "./modules/alerts",
      name: expr("local.name"),
      node_tag: expr("module.cluster.node_tag"),
      alerts: expr("var.alerts"),
      emails: expr("var.alert_emails"),
    }),
  );
  items.push(
    moduleCall("uptime", {
      source: "./modules/uptime",
      name: expr("local.name"),
      checks: expr("var.uptime_checks"),
      emails: expr("var.alert_emails"),
    }),
  );
  const urns: string[] = ["[module.cluster.cluster_urn]"];
  if (shape.postgres.length) urns.push("[for m in module.postgres : m.urn]");
  if (shape.redis.length) urns.push("[for m in module.redis : m.urn]");
  if (shape.hasTopics) urns.push("[for m in module.kafka : m.urn]");
  if (shape.buckets.length) urns.push("[for m in module.bucket : m.urn]");
  if (shape.hasDns) urns.push("[module.dns.zone_urn]");
  items.push(
    moduleCall("project", {
      source: "./modules/project",
      name: expr("local.name"),
      description: tmpl(
        `${(shape.app.description ?? shape.app.name).replace(/\$\{/g, "$$${").replace(/%\{/g, "%%{")} (\${var.environment})`,
      ),
      environment: expr("var.project_environment"),
      resources: expr(`concat(${urns.join(", ")})`),
    }),
  );
  return file(items, [
    "The root module: wires the modules under modules/ for one environment (environments/<env>.tfvars).",
    "Generated by Gantry; regenerate with `gantry synth digitalocean` instead of editing.",
  ]);
}

function rootOutputs(shape: DoShape): HclFile {
  const outs: Block[] = [
    output(
      "cluster_name",
      expr("module.cluster.cluster_name"),
      "DOKS cluster: doctl kubernetes cluster kubeconfig save <name>.",
    ),
    output("cluster_id", expr("module.cluster.cluster_id"), "ID of the DOKS cluster."),
    output(
      "registry_endpoint",
      expr(
        `var.create_registry ? module.registry[0].endpoint : "registry.digitalocean.com/\${var.registry_name}"`,
      ),
      "Where images are pushed.",
    ),
    output("project_id", expr("module.project.project_id"), "DigitalOcean project of the environment."),
  ];
  if (shape.postgres.length)
    outs.push(
      output(
        "postgres_hosts",
        expr('{ for k, m in module.postgres : replace(k, "-", "_") => m.private_host }'),
        "Private host of each managed PostgreSQL cluster.",
      ),
    );
  if (shape.redis.length)
    outs.push(
      output(
        "redis_hosts",
        expr('{ for k, m in module.redis : replace(k, "-", "_") => m.private_host }'),
        "Private host of each managed Redis cluster.",
      ),
    );
  if (shape.hasTopics)
    outs.push(
      output(
        "kafka_host",
        expr("var.kafka == null ? null : module.kafka[0].private_host"),
        "Private host of the Kafka cluster.",
      ),
    );
  return file(outs);
}

function backendFile(): HclFile {
  return file(
    [
      new Block(
        "terraform",
        [],
        [
          {
            kind: "block",
            block: new Block(
              "backend",
              ["s3"],
              [
                { kind: "attr", name: "region", value: "us-east-1" },
                { kind: "attr", name: "skip_credentials_validation", value: true },
                { kind: "attr", name: "skip_requesting_account_id", value: true },
                { kind: "attr", name: "skip_metadata_api_check", value: true },
                { kind: "attr", name: "skip_region_validation", value: true },
                { kind: "attr", name: "skip_s3_checksum", value: true },
                { kind: "attr", name: "use_path_style", value: false },
              ],
            ),
          },
        ],
      ),
    ],
    [
      "State in a DigitalOcean Spaces bucket through the S3 backend (region is a placeholder the backend requires).",
      "Endpoint, bucket and key come per environment: tofu init -backend-config=environments/<env>.s3.tfbackend",
      "Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY set to a Spaces access key. The bucket is created once, versioned (see the README).",
    ],
  );
}

function modules(shape: DoShape): ModuleSpec[] {
  const m = [
    doNetworkModule(),
    doClusterModule(),
    doRegistryModule(),
    doProjectModule(),
    doAlertsModule(),
    doUptimeModule(),
  ];
  if (shape.postgres.length || shape.redis.length || shape.hasTopics) m.push(doDatabaseModule());
  if (shape.hasDns) m.push(doDnsModule());
  if (shape.buckets.length) m.push(doBucketModule());
  return m;
}

export function buildDigitalOcean(project: ProjectModel, ctx: SynthContext): TerraformProject {
  const shape = doShape(project);
  const hcl: Record<string, HclFile> = {};
  const text: Record<string, string> = {};
  hcl["versions.tf"] = file([terraformBlock(TOFU, { digitalocean: DO_PROVIDER })]);
  hcl["backend.tf"] = backendFile();
  hcl["variables.tf"] = file(Object.entries(rootVariables(shape)).map(([k, v]) => variable(k, v)));
  hcl["main.tf"] = rootMain(shape);
  hcl["outputs.tf"] = rootOutputs(shape);
  shape.envs.forEach((e, i) => {
    hcl[`environments/${e.environment.name}.tfvars`] = tfvars(shape, e, i);
    const region = spacesRegion(doOptions(e).region);
    text[`environments/${e.environment.name}.s3.tfbackend`] = [
      "# Spaces backend of one environment: tofu init -backend-config=<this file>",
      `bucket    = ${q(`${e.name}-terraform-state`)}`,
      `key       = ${q(`${e.name}/${e.environment.name}/terraform.tfstate`)}`,
      `endpoints = { s3 = ${q(`https://${region}.digitaloceanspaces.com`)} }`,
      "",
    ].join("\n");
  });
  for (const m of modules(shape)) Object.assign(hcl, moduleFiles(m, PROVIDER).hcl);
  text["README.md"] = readme(shape, ctx);
  return { hcl, text };
}

function readme(shape: DoShape, ctx: SynthContext): string {
  const app = shape.app;
  const k8s = ctx.outputs.kubernetes;
  const out = ctx.outputs.digitalocean;
  const secrets = [
    ...new Set(
      shape.envs.flatMap((e) =>
        Object.values(e.services).flatMap((s) => (s.type === "static" ? [] : s.secrets)),
      ),
    ),
  ].sort();
  const secretName = app.targets.kubernetes?.secret_name ?? "app-secrets";
  const l: string[] = [];
  l.push(`# ${app.name} on DigitalOcean (Terraform / OpenTofu)`, "");
  l.push(
    `Generated by \`gantry synth digitalocean\` from \`${ctx.specPath}\`. Do not edit: change the spec and synthesize again.`,
    "",
  );
  l.push(
    "This tree creates the platform: a DOKS cluster, the container registry, managed databases that admit only the cluster, DNS and a project. The app runs on the cluster from the Kubernetes target's Helm chart (`gantry synth kubernetes`).",
    "",
  );
  l.push("## Layout", "");
  l.push("- `versions.tf`, `backend.tf` (state in Spaces), `main.tf`, `variables.tf`, `outputs.tf`.");
  l.push(
    `- \`environments/<env>.tfvars\` and \`environments/<env>.s3.tfbackend\` for ${shape.envs.map((e) => e.environment.name).join(", ")}.`,
  );
  l.push("- `modules/`:");
  for (const m of modules(shape).sort((a, b) => a.name.localeCompare(b.name)))
    l.push(`  - \`${m.name}\`: ${m.summary}`);
  l.push("");
  l.push("## Per environment", "");
  l.push(
    mdTable(
      ["environment", "nodes", "control plane", "managed PostgreSQL", "managed Redis"],
      shape.envs.map((e) => {
        const o = doOptions(e);
        return [
          e.environment.name,
          `${o.node_size}, ${o.nodes.min} to ${Math.max(o.nodes.min, o.nodes.max)} (autoscaling)`,
          e.environment.tier === "production" ? "HA" : "standard",
          Object.values(e.postgres)
            .filter((p) => p.hosting === "managed")
            .map((p) => `${p.name} (${SIZES[p.size].doDatabase})`)
            .join(", ") || "none (in the cluster)",
          Object.values(e.redis)
            .filter((r) => r.hosting === "managed")
            .map((r) => `${r.name} (${SIZES[r.size].doDatabase})`)
            .join(", ") || "none",
        ];
      }),
    ),
    "",
  );
  l.push("## 1. Once: the state bucket", "");
  l.push(
    "Create a Spaces bucket for the state with versioning on (Spaces keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY):",
    "",
  );
  l.push("```sh");
  const region = spacesRegion(doOptions(app).region);
  l.push(
    `aws s3api create-bucket --bucket ${app.name}-terraform-state --endpoint-url https://${region}.digitaloceanspaces.com`,
  );
  l.push(
    `aws s3api put-bucket-versioning --bucket ${app.name}-terraform-state --versioning-configuration Status=Enabled --endpoint-url https://${region}.digitaloceanspaces.com`,
  );
  l.push("```", "");
  l.push("## 2. The infrastructure", "");
  l.push("```sh");
  l.push(`cd ${out}`);
  l.push("export DIGITALOCEAN_TOKEN=...   # a token with write scope, never committed");
  l.push("tofu init -backend-config=environments/<env>.s3.tfbackend -reconfigure");
  l.push("tofu plan -var-file=environments/<env>.tfvars -out=tfplan && tofu apply tfplan");
  l.push('doctl kubernetes cluster kubeconfig save "$(tofu output -raw cluster_name)"');
  l.push("```", "");
  l.push("## 3. The cluster bootstrap (once per cluster)", "");
  l.push("```sh");
  l.push(`bash ${k8s}/cluster-bootstrap/install.sh`);
  l.push(
    "kubectl -n ingress-nginx get service ingress-nginx-controller -o jsonpath='{.status.loadBalancer.ingress[0].ip}'",
  );
  l.push("```", "");
  if (shape.hasDns)
    l.push(
      "Put that address in `ingress_ip` of the environment's tfvars and apply again: the DNS records then point the app's domains at the ingress.",
      "",
    );
  l.push("## 4. The app", "");
  l.push(
    `Create the secret the chart reads (\`${secretName}\`) with the values of ${secrets.length ? secrets.map((s) => `\`${s}\``).join(", ") : "the app's secrets"}; the values come from your secret store, never from files in the repository:`,
    "",
  );
  l.push("```sh");
  l.push(
    `kubectl -n <namespace> create secret generic ${secretName} ${secrets.map((s) => `--from-literal=${s}="$${s}"`.replace("$$", "$")).join(" ")} --dry-run=client -o yaml | kubectl apply -f -`,
  );
  for (const e of shape.envs) {
    l.push(
      `helm upgrade --install ${app.name} ${k8s}/chart -f ${k8s}/chart/values-${e.environment.name}.yaml --namespace ${e.environment.namespace} --atomic --timeout 10m`,
    );
  }
  l.push("```", "");
  l.push(
    "Images are pushed to the registry (`tofu output -raw registry_endpoint`); the cluster pulls from it through registry integration.",
    "",
  );
  l.push("## Choices", "");
  l.push(
    "- Database firewalls admit only the DOKS cluster (`k8s` rule); the databases have no public rule, and the cluster reaches them over the VPC.",
  );
  l.push(
    "- Only one container registry exists per DigitalOcean account: the first environment creates it (`create_registry`), the others use it. The same holds for the DNS zone (`create_dns_zone`).",
  );
  l.push(
    "- PostgreSQL that runs in the cluster in an environment (`hosting: cluster`) is left out of that environment's tfvars.",
  );
  if (shape.hasTopics)
    l.push(
      "- Topics: DigitalOcean Managed Kafka with the spec's partitions and retention; set `kafka = null` in a tfvars file to use another broker (Redpanda Cloud) in that environment.",
    );
  l.push(
    "- Budgets: DigitalOcean has no budget API; set the billing alert in the control panel (Billing, Billing alerts) to the spec's monthly budget.",
  );
  l.push(
    "- Request-level alerts (5xx rate, p95 latency, crash loops) are Prometheus rules in the chart; the node CPU and memory alerts are DigitalOcean monitoring alerts.",
  );
  l.push("");
  return l.join("\n");
}

function check(project: ProjectModel): TargetProblem[] {
  const problems: TargetProblem[] = [];
  for (const e of project.environments) {
    const o = doOptions(e);
    if (o.nodes.max < o.nodes.min)
      problems.push({
        env: e.environment.name,
        path: "targets.digitalocean.nodes.max",
        message: `nodes.max (${o.nodes.max}) is below nodes.min (${o.nodes.min})`,
      });
    for (const p of Object.values(e.postgres)) {
      if (p.hosting === "managed" && p.public_access)
        problems.push({
          env: e.environment.name,
          path: `postgres.${p.name}.public_access`,
          severity: "warning",
          message: "managed databases here admit only the cluster; public_access is ignored",
        });
    }
  }
  return problems;
}

export const digitaloceanTarget: Target = {
  name: "digitalocean",
  description:
    "Terraform for DigitalOcean: DOKS, DOCR, managed PostgreSQL/Redis/Kafka with cluster-only firewalls, DNS, project; the Helm chart deploys the app onto it.",
  defaultOut: "infrastructure/digitalocean",
  ownsOutput: true,
  check: (project) => check(project),
  render: (project, ctx): FileTree => printProject(buildDigitalOcean(project, ctx)),
};
