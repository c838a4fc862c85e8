// The JSON Schema published for editors (schema/gantry.schema.json, `gantry schema`): the spec
// schema, with each environment's overrides typed as deep-partial versions of the top-level entries
// (every field optional, `null` allowed to remove it) so editors complete overrides too.
import type { JsonSchema } from "./check-schema.js";
import { OVERRIDABLE_KEYS, SpecSchema } from "./schema.js";

type Schema = JsonSchema & Record<string, unknown>;

function deepPartial(s: Schema): Schema {
  const out: Schema = { ...s };
  delete out.required;
  delete out.default;
  if (s.properties) {
    out.properties = Object.fromEntries(
      Object.entries(s.properties).map(([k, v]) => [k, nullable(deepPartial(v as Schema))]),
    );
  }
  if (typeof s.additionalProperties === "object")
    out.additionalProperties = nullable(deepPartial(s.additionalProperties as Schema));
  if (s.anyOf) out.anyOf = s.anyOf.map((b) => deepPartial(b as Schema));
  return out;
}

function nullable(s: Schema): Schema {
  return { anyOf: [s, { type: "null" }], ...(s.description ? { description: s.description } : {}) };
}

/** A text field (`x-text`) also takes the numbers and booleans it reads as written: editors accept them too. */
function textTypes(s: unknown): void {
  if (Array.isArray(s)) s.forEach(textTypes);
  if (s === null || typeof s !== "object") return;
  const node = s as Schema;
  if (node.type === "string" && node["x-text"]) node.type = ["string", ...node["x-text"]];
  for (const v of Object.values(node)) textTypes(v);
}

export function publishedSchema(): Schema {
  const spec = JSON.parse(JSON.stringify(SpecSchema)) as Schema;
  textTypes(spec);
  const props = spec.properties as Record<string, Schema>;
  const envs = props.environments!;
  const env = envs.additionalProperties as Schema;
  const envProps = env.properties as Record<string, Schema>;
  for (const key of OVERRIDABLE_KEYS) {
    const top = props[key]!;
    envProps[key] = {
      ...deepPartial(top),
      description: `Overrides of \`${key}\` in this environment (maps merge, lists replace, null removes).`,
    };
  }
  return { $schema: "http://json-schema.org/draft-07/schema#", ...spec };
}

export function publishedSchemaText(): string {
  return `${JSON.stringify(publishedSchema(), null, 2)}\n`;
}
