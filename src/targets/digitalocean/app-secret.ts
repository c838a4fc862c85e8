// The keys of the chart's Secret that this stack fills (their names: src/targets/kubernetes/
// secret-keys.ts): the connection of each managed PostgreSQL and Redis and the name and URL of each
// Spaces bucket, in one sensitive output, `app_secret`, that the README's `kubectl create secret`
// reads key by key. So the Secret holds exactly what Terraform created, and no value is in a file.
import { expr, type Block, type HclValue } from "../../format/hcl.js";
import type { AppModel } from "../../model/types.js";
import { output } from "../terraform/blocks.js";
import { REDIS_ADDRESS, resourceKey } from "../kubernetes/secret-keys.js";
import type { DoShape } from "./shape.js";

export const APP_SECRET = "app_secret";

/** The parts the output holds of each managed resource, as HCL over its module `m` and its name `k`. */
const PARTS = {
  postgres: {
    // DigitalOcean's PostgreSQL takes TLS only (sslmode=require), on the port the chart opens (25060).
    url: '"postgresql://${urlencode(m.user)}:${urlencode(m.password)}@${m.private_host}:${m.port}/${urlencode(var.postgres[k].databases[0])}?sslmode=require"',
    host: "m.private_host",
    user: "m.user",
    password: "m.password",
  },
  redis: {
    // DigitalOcean's Redis takes TLS only: rediss://.
    url: '"rediss://${urlencode(m.user)}:${urlencode(m.password)}@${m.private_host}:${m.port}"',
    host: "m.private_host",
    [REDIS_ADDRESS]: '"${m.private_host}:${m.port}"',
    password: "m.password",
  },
  bucket: { name: "m.bucket", url: '"https://${m.domain}"' },
} as const;

/** Also the name of the module call of that kind (main.ts). */
type Kind = keyof typeof PARTS;

/** The keys the output holds in one environment: of what this stack manages there (not in-cluster stores). */
export function terraformKeys(app: AppModel): Set<string> {
  const keys = new Set<string>();
  const add = (kind: Kind, name: string) => {
    for (const part of Object.keys(PARTS[kind])) keys.add(resourceKey(kind, name, part));
  };
  for (const pg of Object.values(app.postgres)) if (pg.hosting === "managed") add("postgres", pg.name);
  for (const r of Object.values(app.redis)) if (r.hosting === "managed") add("redis", r.name);
  for (const b of Object.keys(app.buckets)) add("bucket", b);
  return keys;
}

const kindsOf = (shape: DoShape): Kind[] =>
  (["postgres", "redis", "bucket"] as const).filter((k) =>
    k === "bucket" ? shape.buckets.length > 0 : shape[k].length > 0,
  );

/** `local.<kind>_keys`: the keys of every module of a kind, one map per kind. */
export function appSecretLocals(shape: DoShape): Record<string, HclValue> {
  const out: Record<string, HclValue> = {};
  for (const kind of kindsOf(shape)) {
    const entries = Object.entries(PARTS[kind]).map(
      ([part, value]) => `"${resourceKey(kind, "${k}", part)}" = ${value}`,
    );
    out[`${kind}_keys`] = expr(`merge([for k, m in module.${kind} : { ${entries.join(", ")} }]...)`);
  }
  return out;
}

/** The output the README reads the keys from; absent when the stack manages nothing the chart reads. */
export function appSecretOutput(shape: DoShape): Block[] {
  const kinds = kindsOf(shape);
  if (!kinds.length) return [];
  return [
    output(
      APP_SECRET,
      expr(`merge(${kinds.map((k) => `local.${k}_keys`).join(", ")})`),
      "Values of the chart's Secret for what this stack manages, by key: tofu output -json app_secret.",
      true,
    ),
  ];
}
