// Finds secret values anywhere in a spec, before anything else looks at it.
import { parseEnvValue } from "./env-references.js";
import type { Position, Problem } from "../errors.js";
import { secretKind, secretKindOfSetting } from "./secrets.js";
import type { SourceMap } from "./source.js";

export function secretProblems(raw: unknown, map: SourceMap, fallback: Position): Problem[] {
  const out: Problem[] = [];
  const walk = (
    v: unknown,
    parent: object | undefined,
    key: string | number | undefined,
    path: string,
    inEnv: boolean,
  ) => {
    // An env value is text even when written as a number (`DB_PASSWORD: 123456`): it is checked as written.
    if (inEnv && parent && key !== undefined && (typeof v === "number" || typeof v === "boolean"))
      v = map.textOf(parent, key) ?? String(v);
    if (typeof v === "string") {
      // A value with references (`${db.password}`) is put together by the platform: the setting's
      // name says nothing of it, and only the text around the references is written here.
      const text = inEnv ? literalText(v) : v;
      const kind =
        inEnv && typeof key === "string" && text === v ? secretKindOfSetting(key, v) : secretKind(text);
      if (!kind) return;
      const pos = (parent && key !== undefined ? map.valuePos(parent, key) : undefined) ?? fallback;
      const name = inEnv && typeof key === "string" ? key : "THE_SECRET_NAME";
      out.push({
        severity: "error",
        pos,
        path,
        message: `this value looks like a secret (${kind}); secret values are never accepted in the spec`,
        rule: "spec/secret-literal",
        hint: inEnv
          ? `remove it from env, add ${name} to the service's \`secrets\`, and store the value with \`gantry secrets set ${name}\` (or in your vault)`
          : "name a secret instead and store its value with `gantry secrets set NAME` (or in your vault)",
      });
      return;
    }
    if (Array.isArray(v)) v.forEach((item, i) => walk(item, v, i, `${path}[${i}]`, false));
    else if (v && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) {
        walk(child, v, k, path ? `${path}.${k}` : k, key === "env" || key === "args");
      }
    }
  };
  walk(raw, undefined, undefined, "", false);
  return out;
}

const literalText = (v: string): string =>
  parseEnvValue(v)
    .filter((p) => typeof p === "string")
    .join("");
