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

export { Type, type TSchema, type Static };

export const NAME_PATTERN = "^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$";
export const SECRET_NAME_PATTERN = "^[A-Z][A-Z0-9_]{0,62}$";
export const ENV_VAR_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";
export const HOSTNAME_PATTERN =
  "^(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$";
export const PATH_PATTERN = "^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$";
export const DURATION_PATTERN = "^[0-9]+(s|m|h|d)$";
export const EMAIL_PATTERN = "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$";
export const CPU_PATTERN = "^([0-9]+m|[0-9]+(\\.[0-9]+)?)$";
export const MEMORY_PATTERN = "^[0-9]+(Ki|Mi|Gi|Ti|K|M|G|T)?$";

/** Extra keywords the validator and the docs read; JSON Schema tools ignore `x-` keywords. */
export interface Meta extends SchemaOptions {
  description: string;
  /** A short human name of what is expected, used in error messages ("a duration such as 5m"). */
  "x-expected"?: string;
  /** A hint printed under an error on this node. */
  "x-hint"?: string;
}

export function Str(meta: Meta & { pattern?: string; minLength?: number; maxLength?: number }) {
  return Type.String(meta);
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

/** A map from names (validated by `keyPattern`) to values of one schema. */
export function MapOf<T extends TSchema>(
  value: T,
  meta: Meta & { keyPattern?: string; keyExpected?: string },
): TUnsafe<Record<string, Static<T>>> {
  const { keyPattern, keyExpected, ...rest } = meta;
  return Type.Unsafe<Record<string, Static<T>>>({
    ...rest,
    type: "object",
    additionalProperties: value,
    ...(keyPattern ? { propertyNames: { pattern: keyPattern, "x-expected": keyExpected } } : {}),
  });
}

/** A value that may be written in a short form (a string, a number) or as the full object. */
export function OneOf<A extends TSchema, B extends TSchema>(a: A, b: B, meta: Meta) {
  return Type.Union([a, b], meta);
}

// ---------------------------------------------------------------------------------------------
// Fields that several sections of the spec share (schema.ts puts the sections together)

export const nameKey = {
  keyPattern: NAME_PATTERN,
  keyExpected: "a lower-case name (a-z, 0-9, '-'), at most 40 characters",
};

export const Duration = (description: string, dflt?: string) =>
  Str({
    description,
    pattern: DURATION_PATTERN,
    "x-expected": "a duration such as 30s, 5m, 1h or 7d",
    "x-hint": "a number followed by s, m, h or d, with no space",
    ...(dflt ? { default: dflt } : {}),
  });

export const Path = (description: string, dflt?: string) =>
  Str({
    description,
    pattern: PATH_PATTERN,
    "x-expected": "a URL path starting with /",
    ...(dflt ? { default: dflt } : {}),
  });

export const Hostname = Str({
  description: "A fully qualified host name, such as api.example.com.",
  pattern: HOSTNAME_PATTERN,
  "x-expected": "a lower-case host name such as api.example.com",
});

export const SecretName = Str({
  description:
    "The name of a secret. Only the name lives in the spec; the value lives in a vault or in Gantry's encrypted store.",
  pattern: SECRET_NAME_PATTERN,
  "x-expected": "an upper-case secret name such as JWT_SECRET",
});

export const SIZE_NAMES = ["xs", "s", "m", "l", "xl"] as const;

export const SizeClass = Enum(SIZE_NAMES, {
  description:
    "A size class that each target maps to its own SKU (see docs/spec.md, 'Sizes'): xs for development, s and m for small production, l and xl for heavy load.",
});
