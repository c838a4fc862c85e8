// Where the app runs: the environment (how it deploys, by tier), the targets' options, the DNS zone and
// the tags every resource gets.
import { DnsSchema } from "../spec/schema-edges.js";
import { TargetsSchema } from "../spec/schema-targets.js";
import { filled, TIER_DEFAULTS, withDefaults } from "./defaults.js";
import { mapByName, type DnsInput, type EnvironmentInput, type TargetsInput } from "./input.js";
import type { AppModel, EnvironmentModel, TargetsModel, Tier } from "./types.js";

interface EnvironmentOf {
  app: string;
  name: string;
  tier: Tier;
  /** The environment's own settings in the spec. */
  settings: EnvironmentInput;
  defaultBranch: string;
}

/**
 * The environment. Its deploy settings default by tier (TIER_DEFAULTS, documented in docs/spec.md), so
 * they are read here and not filled in from the schema's `default`s.
 */
export function environmentModel({
  app,
  name,
  tier,
  settings,
  defaultBranch,
}: EnvironmentOf): EnvironmentModel {
  const deploy = settings.deploy ?? {};
  return {
    name,
    tier,
    deploy: {
      on: deploy.on ?? TIER_DEFAULTS.deploy_on[tier],
      branch: deploy.branch ?? defaultBranch,
      tag_pattern: deploy.tag_pattern ?? "v*.*.*",
      approval: deploy.approval ?? TIER_DEFAULTS.approval[tier],
      slot: deploy.slot ?? TIER_DEFAULTS.slot[tier],
    },
    ...(settings.region !== undefined ? { region: settings.region } : {}),
    namespace: settings.namespace ?? name,
    resource_group: settings.resource_group ?? `rg-${app}-${name}`,
  };
}

/** The options of one target, with the schema's defaults checked, when the spec configures it. */
const TARGET_OPTIONS = new Map<string, (t: TargetsInput) => TargetsModel>([
  [
    "kubernetes",
    ({ kubernetes: k }) =>
      k
        ? {
            kubernetes: filled(
              k,
              ["provider", "ingress_class", "tls_issuer", "image_pull_secret", "secret_name"],
              "targets.kubernetes",
            ),
          }
        : {},
  ],
  [
    "azure",
    ({ azure: a }) => (a ? { azure: filled(a, ["location", "compute", "locks"], "targets.azure") } : {}),
  ],
  ["aws", ({ aws: a }) => (a ? { aws: filled(a, ["region", "availability_zones"], "targets.aws") } : {})],
  ["digitalocean", ({ digitalocean: d }) => (d ? { digitalocean: digitalOceanOptions(d) } : {})],
]);

/** The options of each target the spec configures, in the order it writes them. */
export function targetsModel(input: TargetsInput | undefined): TargetsModel {
  const t = withDefaults(TargetsSchema, input ?? {});
  return Object.keys(t).reduce<TargetsModel>(
    (out, name) => ({ ...out, ...TARGET_OPTIONS.get(name)?.(t) }),
    {},
  );
}

function digitalOceanOptions(options: NonNullable<TargetsInput["digitalocean"]>) {
  const at = "targets.digitalocean";
  const d = filled(options, ["region", "kubernetes_version", "node_size", "kafka", "nodes"], at);
  return { ...d, nodes: filled(d.nodes, ["min", "max"], `${at}.nodes`) };
}

export function dnsModel(input: DnsInput | undefined): AppModel["dns"] {
  return input && filled(withDefaults(DnsSchema, input), ["manage"], "dns");
}

/** The spec's tags and those Gantry always sets, by name. */
export function tagsModel(tags: Record<string, string> | undefined, app: string, environment: string) {
  return mapByName({ ...tags, Environment: environment, Project: app, ManagedBy: "gantry" }, (v) => v);
}
