// References inside `env` values: `DB_HOST: ${db.host}` gives the app a part of what it uses under a
// name the app already reads (as Render's fromDatabase and Railway's reference variables do), so no
// wrapper script is needed. `$${` writes a literal `${`; `${NAME}` without a dot is left as written.

/** The parts each kind of resource offers to `${name.part}`, in the order the docs list them. */
export const REFERENCE_PARTS = {
  postgres: ["url", "host", "port", "database", "user", "password", "sslmode"],
  redis: ["url", "host", "port", "password"],
  bucket: ["name", "url"],
} as const;

export type ResourceKind = keyof typeof REFERENCE_PARTS;
export type PostgresPart = (typeof REFERENCE_PARTS.postgres)[number];
export type RedisPart = (typeof REFERENCE_PARTS.redis)[number];
export type BucketPart = (typeof REFERENCE_PARTS.bucket)[number];

/** Parts that carry a credential: a value that holds one is a secret on every target. */
export const SECRET_PARTS: Record<ResourceKind, readonly string[]> = {
  postgres: ["url", "password"],
  redis: ["url", "password"],
  bucket: [],
};

export interface EnvReference {
  resource: string;
  part: string;
  /** Offset of the `$` in the value, for messages. */
  offset: number;
}

/** A value as literal text and references, in order; adjacent text is joined. */
export type EnvValuePart = string | EnvReference;

const REFERENCE = /\$\$\{|\$\{([a-z][a-z0-9-]*)\.([a-z_]+)\}/g;

export function parseEnvValue(value: string): EnvValuePart[] {
  const parts: EnvValuePart[] = [];
  let text = "";
  let last = 0;
  for (const m of value.matchAll(REFERENCE)) {
    text += value.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[0] === "$${") {
      text += "${";
      continue;
    }
    if (text) parts.push(text);
    text = "";
    parts.push({ resource: m[1]!, part: m[2]!, offset: m.index });
  }
  text += value.slice(last);
  if (text) parts.push(text);
  return parts;
}

export const hasReferences = (value: string): boolean =>
  parseEnvValue(value).some((p) => typeof p !== "string");
