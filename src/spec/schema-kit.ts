// Small builders on top of TypeBox so that every schema node carries what the three users of the
// schema need: the validator (types, bounds, patterns), the published JSON Schema (descriptions,
// defaults) and docs/spec.md (descriptions, examples). Unions only ever discriminate on the JSON type
// of the value (string vs object vs number), which keeps error messages precise.
import {
  Type,
  type TObject,
  type TOptional,
  type TSchema,
  type Static,
  type TUnsafe,
  type SchemaOptions,
} from "@sinclair/typebox";

import { FORMATS } from "./formats.js";

export { Type, type TSchema, type Static };

/** The pattern of each form (names, paths, host names...) is in formats.ts, with its rules. */
const patternOf = (format: string): string => {
  const f = FORMATS[format];
  if (!f) throw new Error(`unknown format ${format}`);
  return f.pattern;
};
export const NAME_PATTERN = patternOf("name");
export const SECRET_NAME_PATTERN = patternOf("secret-name");
export const ENV_VAR_PATTERN = patternOf("env-var");
export const HOSTNAME_PATTERN = patternOf("hostname");
export const PATH_PATTERN = patternOf("path");
export const HEALTH_PATH_PATTERN = patternOf("health-path");
export const DURATION_PATTERN = patternOf("duration");
export const EMAIL_PATTERN = patternOf("email");
export const CPU_PATTERN = patternOf("cpu");
export const MEMORY_PATTERN = patternOf("memory");

/** Extra keywords the validator and the docs read; JSON Schema tools ignore `x-` keywords. */
export interface Meta extends SchemaOptions {
  description: string;
  /** A short human name of what is expected, used in error messages ("a duration such as 5m"). */
  "x-expected"?: string;
  /** A hint printed under an error on this node. */
  "x-hint"?: string;
}

/** The scalars YAML reads as something other than text: `1.10` is a number, `true` a boolean. */
type Unquoted = "number" | "boolean";

interface StrMeta extends Meta {
  minLength?: number;
  maxLength?: number;
  /** The form of the value (formats.ts): its pattern, what it is called and its rules. */
  format?: string;
}

function formatted(meta: StrMeta) {
  const { format, ...rest } = meta;
  if (format === undefined) return rest;
  return { ...rest, pattern: patternOf(format), "x-expected": FORMATS[format]!.expected, "x-format": format };
}

export function Str(meta: StrMeta) {
  return Type.String(formatted(meta));
}

/**
 * A text field that may be written unquoted: `1.10`, `0755`, `0x10` or `true` is read exactly as
 * written, never as the number YAML makes of it (`1.1`, `755`, `16`). `unquoted` says which of
 * numbers and booleans the field takes this way; the published schema accepts them too.
 */
export function Text(meta: StrMeta & { unquoted?: Unquoted[] }) {
  const { unquoted = ["number", "boolean"], ...rest } = meta;
  return Type.String({ ...formatted(rest), "x-text": unquoted });
}

export function Int(meta: Meta & { minimum?: number; maximum?: number }) {
  return Type.Integer(meta);
}

export function Num(meta: Meta & { minimum?: number; maximum?: number }) {
  return Type.Number(meta);
}

export function Bool(meta: Meta) {
  return Type.Boolean(meta);
}

export function Enum<const T extends readonly string[]>(values: T, meta: Meta): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...meta, type: "string", enum: [...values] });
}

export function List<T extends TSchema>(
  items: T,
  meta: Meta & { minItems?: number; maxItems?: number; uniqueItems?: boolean },
) {
  return Type.Array(items, meta);
}

/** The TypeBox type of a closed object: the properties not in `required` are optional. */
export type ObjSchema<P extends Record<string, TSchema>, R extends keyof P> = TObject<{
  [K in keyof P]: K extends R ? P[K] : TOptional<P[K]>;
}>;

/** A closed object: unknown keys are errors (with a did-you-mean hint). */
export function Obj<P extends Record<string, TSchema>, R extends keyof P & string = never>(
  properties: P,
  meta: Meta & { required?: R[] },
): ObjSchema<P, R> {
  const { required, ...rest } = meta;
  const props: Record<string, TSchema> = {};
  for (const [k, v] of Object.entries(properties))
    props[k] = (required as string[] | undefined)?.includes(k) ? v : Type.Optional(v);
  return Type.Object(props, { ...rest, additionalProperties: false }) as ObjSchema<P, R>;
}

/** A map from names (of the form `keyFormat`, formats.ts) to values of one schema. */
export function MapOf<T extends TSchema>(
  value: T,
  meta: Meta & { keyFormat?: string },
): TUnsafe<Record<string, Static<T>>> {
  const { keyFormat, ...rest } = meta;
  const f = keyFormat === undefined ? undefined : FORMATS[keyFormat];
  if (keyFormat !== undefined && !f) throw new Error(`unknown format ${keyFormat}`);
  return Type.Unsafe<Record<string, Static<T>>>({
    ...rest,
    type: "object",
    additionalProperties: value,
    ...(f ? { propertyNames: { pattern: f.pattern, "x-expected": f.expected, "x-format": f.name } } : {}),
  });
}

/** A value that may be written in a short form (a string, a number) or as the full object. */
export function OneOf<A extends TSchema, B extends TSchema>(a: A, b: B, meta: Meta) {
  return Type.Union([a, b], meta);
}

// ---------------------------------------------------------------------------------------------
// Fields that several sections of the spec share (schema.ts puts the sections together)

export const nameKey = { keyFormat: "name" };

export const Duration = (description: string, dflt?: string) =>
  Str({
    description,
    format: "duration",
    "x-hint": "a number followed by s, m, h or d, with no space",
    ...(dflt ? { default: dflt } : {}),
  });

export const Path = (description: string, dflt?: string) =>
  Str({ description, format: "path", ...(dflt ? { default: dflt } : {}) });

/** A path health checks GET: it may carry a query. */
export const HealthPath = (description: string) => Str({ description, format: "health-path" });

export const Hostname = Str({
  description: "A fully qualified host name, such as api.example.com.",
  format: "hostname",
});

export const SecretName = Str({
  description:
    "The name of a secret. Only the name lives in the spec; the value lives in a vault or in Gantry's encrypted store.",
  format: "secret-name",
});

export const SIZE_NAMES = ["xs", "s", "m", "l", "xl"] as const;

export const SizeClass = Enum(SIZE_NAMES, {
  description:
    "A size class that each target maps to its own SKU (see docs/spec.md, 'Sizes'): xs for development, s and m for small production, l and xl for heavy load.",
});
