// The part of the spec generator that reads the spec's JSON Schema (src/spec/schema*.ts): a seeded
// random source, and a sampler that gives a value any node of the schema accepts, from its type,
// bounds, enum and pattern. A pattern the sampler has no sample for throws: a new field of the schema
// must be taught to the generator, not skipped.
import type { JsonSchema } from "../src/spec/check-schema.js";
import {
  CPU_PATTERN,
  DURATION_PATTERN,
  EMAIL_PATTERN,
  ENV_VAR_PATTERN,
  HEALTH_PATH_PATTERN,
  HOSTNAME_PATTERN,
  MEMORY_PATTERN,
  NAME_PATTERN,
  PATH_PATTERN,
  SECRET_NAME_PATTERN,
} from "../src/spec/schema-kit.js";

export type Plain = Record<string, unknown>;

export const isPlain = (v: unknown): v is Plain => typeof v === "object" && v !== null && !Array.isArray(v);

/** mulberry32: small, fast, and the same sequence for a seed on every machine. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer from lo to hi, both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (!items.length) throw new Error("pick from an empty list");
    return items[Math.floor(this.next() * items.length)]!;
  }
  /** Each item with probability p, in order. */
  some<T>(items: readonly T[], p: number): T[] {
    return items.filter(() => this.chance(p));
  }
  /** A short lower-case token: the generator's markers, unique enough to find in a file. */
  token(prefix: string): string {
    const abc = "abcdefghijkmnpqrstuvwxyz23456789";
    let s = prefix;
    for (let i = 0; i < 6; i++) s += abc[this.int(0, abc.length - 1)]!;
    return s;
  }
}

const WORDS = ["alpha", "bravo", "cargo", "delta", "ember", "fjord", "gamma", "harbor", "iris", "jade"];

/** Samples for each pattern of the schema: every one must match its pattern (a test checks it). */
export const PATTERN_SAMPLES: Record<string, (r: Rng) => string> = {
  [NAME_PATTERN]: (r) => `${r.pick(WORDS)}${r.chance(0.5) ? `-${r.int(1, 9)}` : ""}`,
  [ENV_VAR_PATTERN]: (r) => r.pick(["NODE_ENV", "APP_MODE", "BUILD_FLAVOR", "_private", "Mixed_Case1"]),
  [SECRET_NAME_PATTERN]: (r) => r.pick(["JWT_SECRET", "STRIPE_API_KEY", "SESSION_KEY", "SLACK_WEBHOOK"]),
  [HOSTNAME_PATTERN]: (r) => `${r.pick(WORDS)}.example.com`,
  [PATH_PATTERN]: (r) => r.pick(["/", "/health", "/api", "/v1/status", "/_health/live", "/a.b~c"]),
  [HEALTH_PATH_PATTERN]: (r) =>
    r.pick(["/health", "/_health/?full=1", "/ready", "/up?db=1&cache=1", "/healthz"]),
  "^[A-Za-z0-9.-]+:[0-9]{1,5}$": (r) =>
    r.pick(["smtp.example.com:587", "mail.acme.io:25", "smtp.sendgrid.net:2525"]),
  "^[a-z]+/[a-z0-9-]+$": (r) => r.pick(["spec/single-instance", "spec/no-backups", "spec/public-database"]),
  [DURATION_PATTERN]: (r) => `${r.int(1, 59)}${r.pick(["s", "m", "h"])}`,
  [EMAIL_PATTERN]: (r) => `${r.pick(WORDS)}@example.com`,
  [CPU_PATTERN]: (r) => r.pick(["100m", "250m", "500m", "1", "0.5", "2"]),
  [MEMORY_PATTERN]: (r) => r.pick(["128Mi", "256Mi", "512Mi", "1Gi", "2Gi"]),
  "^[a-z0-9][a-z0-9._/:@-]*$": (r) => r.pick(["nginx:1.27.3", "ghcr.io/acme/tool:2.1", "redis:7"]),
  "^[a-z_][a-z0-9_]{0,62}$": (r) => r.pick(["app", "main_db", "reports", "_audit"]),
  "^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$": (r) =>
    r.pick([
      "https://s3.eu-west-1.amazonaws.com",
      "https://minio.internal:9000",
      "https://fra1.digitaloceanspaces.com/",
    ]),
  "^https?://[^\\s/]+$": (r) => r.pick(["https://app.example.com", "http://localhost:3000"]),
  "^[a-z0-9][a-z0-9._-]{0,63}$": (r) => r.pick(["noreply", "support", "billing.team", "no-reply"]),
  "^[A-Za-z][A-Za-z0-9_.-]{0,127}$": (r) => r.pick(["Owner", "CostCenter", "team.name", "Tier_2"]),
  "^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$": (r) => `acme/${r.pick(WORDS)}`,
  "^[a-z0-9][a-z0-9.:-]*(/[a-z0-9._-]+)*$": (r) =>
    r.pick(["ghcr.io/acme", "registry.example.com:5000/team", "acr0.azurecr.io"]),
  "^[a-z0-9]+$": (r) => r.pick(["eastus", "westeurope", "northeurope"]),
  "^[a-z]{2}(-[a-z]+)+-[0-9]$": (r) => r.pick(["us-east-1", "eu-west-1", "ap-southeast-2"]),
  "^[0-9]{12}$": () => "123456789012",
  "^[a-z]{3}[0-9]$": (r) => r.pick(["nyc1", "ams3", "fra1", "sgp1"]),
  "^1\\.[0-9]+$": (r) => r.pick(["1.32", "1.33"]),
  "^[a-z0-9-]+$": (r) => r.pick(["s-2vcpu-4gb", "s-4vcpu-8gb", "eu-1", "west"]),
  "^[A-Za-z0-9._()-]{1,90}$": (r) => r.pick(["rg-shop-prod", "Shared.RG(1)", "rg_app"]),
};

export interface SampleOptions {
  /** Probability that an optional property of an object is written. */
  optional: number;
}

/** A value the schema node accepts. */
export function sample(
  node: JsonSchema,
  r: Rng,
  path: string,
  o: SampleOptions = { optional: 0.35 },
): unknown {
  if (node.anyOf) return sample(r.pick(node.anyOf), r, path, o);
  if (node.enum) return r.pick(node.enum);
  const type = Array.isArray(node.type) ? r.pick(node.type) : node.type;
  switch (type) {
    case "object":
      return sampleObject(node, r, path, o);
    case "array": {
      const n = r.int(Math.max(node.minItems ?? 0, 1), Math.max(node.minItems ?? 0, 3));
      const items = Array.from({ length: n }, () => sample(node.items ?? {}, r, `${path}[]`, o));
      return node.uniqueItems
        ? [...new Set(items.map((i) => JSON.stringify(i)))].map((i) => JSON.parse(i) as unknown)
        : items;
    }
    case "string":
      return sampleString(node, r, path);
    case "integer":
    case "number": {
      const lo = node.minimum ?? 0;
      const hi = Math.min(node.maximum ?? lo + 100, lo + (r.chance(0.8) ? 10 : 1000));
      const n = r.int(lo, Math.max(lo, hi));
      return type === "number" && r.chance(0.3) && n < hi ? n + 0.5 : n;
    }
    case "boolean":
      return r.chance(0.5);
    default:
      throw new Error(`the spec generator cannot sample ${path}: no type`);
  }
}

function sampleString(node: JsonSchema, r: Rng, path: string): string {
  if (node.pattern) {
    const gen = PATTERN_SAMPLES[node.pattern];
    if (!gen) throw new Error(`the spec generator has no sample for the pattern ${node.pattern} of ${path}`);
    return gen(r);
  }
  let s = r.pick([...WORDS, "hello world", "café au lait", 'say "hi"', "it's", "a: b"]);
  while (node.minLength !== undefined && s.length < node.minLength) s = `${s} ${r.pick(WORDS)}`;
  return node.maxLength !== undefined ? s.slice(0, node.maxLength) : s;
}

function sampleObject(node: JsonSchema, r: Rng, path: string, o: SampleOptions): Plain {
  const out: Plain = {};
  if (node.properties) {
    for (const [k, ps] of Object.entries(node.properties))
      if (node.required?.includes(k) || r.chance(o.optional)) out[k] = sample(ps, r, `${path}.${k}`, o);
    return out;
  }
  if (typeof node.additionalProperties === "object") {
    const keyPattern = node.propertyNames?.pattern;
    const keyGen = keyPattern ? PATTERN_SAMPLES[keyPattern] : undefined;
    if (keyPattern && !keyGen)
      throw new Error(`the spec generator has no sample for the key pattern ${keyPattern} of ${path}`);
    for (let i = r.int(1, 3); i > 0; i--) {
      const key = keyGen ? keyGen(r) : r.pick(WORDS);
      out[key] = sample(node.additionalProperties, r, `${path}.${key}`, o);
    }
  }
  return out;
}

/** The schema node at a dotted path of property names (`services.*.scale` walks into a map's values). */
export function nodeAt(root: JsonSchema, path: string): JsonSchema {
  let node = root;
  for (const seg of path.split(".")) {
    const next =
      seg === "*"
        ? typeof node.additionalProperties === "object"
          ? node.additionalProperties
          : undefined
        : (node.properties?.[seg] ?? node.anyOf?.find((b) => b.properties?.[seg])?.properties?.[seg]);
    if (!next) throw new Error(`the spec schema has no ${path} (at ${seg})`);
    node = next;
  }
  return node;
}

/** Every path of the schema that holds a value (`services.*.health.liveness`), through unions and maps. */
export function schemaPaths(node: JsonSchema, path = ""): string[] {
  const join = (k: string) => (path ? `${path}.${k}` : k);
  const out = new Set<string>();
  if (path) out.add(path);
  for (const branch of node.anyOf ?? []) for (const p of schemaPaths(branch, path)) out.add(p);
  for (const [k, child] of Object.entries(node.properties ?? {}))
    for (const p of schemaPaths(child, join(k))) out.add(p);
  if (typeof node.additionalProperties === "object")
    for (const p of schemaPaths(node.additionalProperties, join("*"))) out.add(p);
  if (node.items) for (const p of schemaPaths(node.items, path)) out.add(p);
  return [...out];
}

/** The paths a value writes, with the keys of maps as `*` where `schema` has a map. */
export function writtenPaths(
  node: JsonSchema,
  value: unknown,
  path = "",
  out = new Set<string>(),
): Set<string> {
  if (path) out.add(path);
  const join = (k: string) => (path ? `${path}.${k}` : k);
  const branches = node.anyOf ?? [node];
  if (Array.isArray(value)) {
    const items = branches.find((b) => b.items)?.items;
    if (items) for (const v of value) writtenPaths(items, v, path, out);
  } else if (isPlain(value)) {
    for (const [k, v] of Object.entries(value)) {
      const b =
        branches.find((x) => x.properties?.[k]) ??
        branches.find((x) => typeof x.additionalProperties === "object");
      const child = b?.properties?.[k] ?? (b?.additionalProperties as JsonSchema | undefined);
      if (child) writtenPaths(child, v, b?.properties?.[k] ? join(k) : join("*"), out);
    }
  }
  return out;
}
