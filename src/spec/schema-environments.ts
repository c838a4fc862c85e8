// The spec's `environments`: how each one deploys, and what it overrides of the top level.
import { Bool, Enum, MapOf, nameKey, Obj, Str, Type } from "./schema-kit.js";

const Deploy = Obj(
  {
    on: Enum(["push", "release", "manual"], {
      description:
        "What deploys this environment: a push to `branch`, a published release tag, or a manual run. Default: by tier (see Tier defaults).",
    }),
    branch: Str({ description: "Branch for `on: push`. Default: ci.default_branch.", minLength: 1 }),
    tag_pattern: Str({
      description: "Release tags that deploy, for `on: release`.",
      minLength: 1,
      default: "v*.*.*",
    }),
    approval: Enum(["none", "required"], {
      description:
        "Whether a person must approve each deploy (a GitHub environment with required reviewers). Default: by tier (see Tier defaults).",
    }),
    slot: Bool({
      description:
        "Azure: deploy to a staging slot, warm up and swap (zero downtime). Default: by tier (see Tier defaults).",
    }),
  },
  { description: "How this environment is deployed." },
);

/** What an environment may override: the same keys as the top level, all optional; `null` removes. */
export const overridable = {
  services: MapOf(Type.Unknown({ description: "Overrides of a service." }), {
    description: "Overrides of services.",
    ...nameKey,
  }),
  postgres: MapOf(Type.Unknown({ description: "Overrides of a PostgreSQL server." }), {
    description: "Overrides of PostgreSQL servers.",
    ...nameKey,
  }),
  redis: MapOf(Type.Unknown({ description: "Overrides of a Redis cache." }), {
    description: "Overrides of Redis caches.",
    ...nameKey,
  }),
  topics: MapOf(Type.Unknown({ description: "Overrides of a topic." }), {
    description: "Overrides of topics.",
    ...nameKey,
  }),
  buckets: MapOf(Type.Unknown({ description: "Overrides of a bucket." }), {
    description: "Overrides of buckets.",
    ...nameKey,
  }),
  email: Type.Unknown({ description: "Overrides of email." }),
  dns: Type.Unknown({ description: "Overrides of dns." }),
  monitoring: Type.Unknown({ description: "Overrides of monitoring." }),
  budget: Type.Unknown({ description: "Overrides of the budget." }),
  cost: Type.Unknown({ description: "Overrides of the cost assumptions." }),
  recovery: Type.Unknown({ description: "Overrides of the recovery objectives." }),
  tags: Type.Unknown({ description: "Extra or changed tags." }),
  targets: Type.Unknown({ description: "Overrides of target options." }),
};

export const EnvironmentSchema = Obj(
  {
    tier: Enum(["development", "staging", "production"], {
      description:
        "What kind of environment this is; sets tier defaults (replicas, retention, sampling, locks). Default: from the name (see Tier defaults).",
    }),
    deploy: Deploy,
    region: Str({
      description: "Region for this environment, overriding the target's.",
      format: "region",
    }),
    namespace: Str({
      description: "Kubernetes namespace. Default: the environment name.",
      format: "name",
    }),
    resource_group: Str({
      description: "Azure resource group. Default: rg-<app>-<environment>.",
      format: "resource-group",
    }),
    ...overridable,
  },
  {
    description:
      "An environment: how it deploys, and what differs from the top level (maps merge, lists replace, null removes).",
  },
);
