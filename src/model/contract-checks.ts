// Checks of what each workload receives (src/model/bindings.ts), on the resolved model of one
// environment with the positions of the merged spec: a spec value must not override a variable Gantry
// sets, `${name.part}` references must name a part of something the service uses, and a command may
// only refer to variables the process receives.
import { didYouMean } from "../spec/check-schema.js";
import { parseEnvValue, REFERENCE_PARTS } from "../spec/env-references.js";
import { type Position } from "../errors.js";
import { pathJoin } from "../spec/problems.js";
import { Checker, isObj, type CheckContext, type Plain } from "./checker.js";
import { resourceKind, workloadVariables, type Binding } from "./bindings.js";
import { CommandSyntaxError, commandVariables, parseCommand } from "./command-line.js";
import { isWorkload } from "./queries.js";
import type { AppModel, JobModel, ServiceModel } from "./types.js";

/** What to do instead of setting a variable Gantry sets, by what it is bound to. */
function reservedHint(b: Binding): string {
  if (b.kind === "port") return "set the service's `port` instead";
  if (b.kind === "postgres" || b.kind === "redis" || b.kind === "bucket")
    return `remove it; the connection settings come from \`uses:\` (or name it differently and set it to \`\${${b.resource}.${b.part}}\`)`;
  return "name it differently";
}

export function checkContracts(app: AppModel, merged: Plain, ctx: CheckContext): void {
  const services = isObj(merged.services) ? merged.services : {};
  for (const w of Object.values(app.services).filter(isWorkload)) {
    const raw = services[w.name];
    if (isObj(raw)) checkWorkload(app, w, raw, pathJoin("services", w.name), ctx);
  }
}

function checkWorkload(
  app: AppModel,
  w: ServiceModel | JobModel,
  raw: Plain,
  base: string,
  ctx: CheckContext,
) {
  const c = new Checker(ctx);
  const at = (parent: unknown, key: string | number) => c.at(parent, key);
  const valueAt = (parent: unknown, key: string | number) => c.valueAt(parent, key);
  const error = (pos: Position, path: string, message: string, hint?: string) =>
    c.error(pos, path, message, hint);

  const variables = workloadVariables(app, w);
  const byGantry = new Map(variables.filter((v) => v.from === "gantry").map((v) => [v.name, v.binding]));
  const reserved = (name: string) =>
    byGantry.get(name) ?? (name.startsWith("GANTRY_") ? ({ kind: "service-name" } as const) : undefined);
  for (const [k, value] of Object.entries(isObj(raw.env) ? raw.env : {})) {
    const b = reserved(k);
    if (b)
      error(
        at(raw.env, k),
        `${base}.env.${k}`,
        `\`${k}\` is set by Gantry for each instance; a value here would override it`,
        reservedHint(b),
      );
    if (typeof value === "string")
      checkReferences(app, w, value, valueAt(raw.env, k), `${base}.env.${k}`, error);
  }
  (Array.isArray(raw.secrets) ? raw.secrets : []).forEach((s, i) => {
    if (typeof s === "string" && reserved(s))
      error(
        valueAt(raw.secrets, i),
        `${base}.secrets[${i}]`,
        `\`${s}\` is set by Gantry for each instance`,
        "name the secret differently",
      );
  });

  // A variable set both in env and by Gantry is reported above; here each name counts once.
  const names = [...new Set(variables.map((v) => v.name))];
  const command = (line: string | undefined, pos: Position, path: string) => {
    if (line === undefined) return;
    try {
      const unknown = commandVariables(parseCommand(line)).filter((v) => !names.includes(v));
      for (const v of unknown) {
        const guess = didYouMean(v, names);
        error(
          pos,
          path,
          `the command uses $${v}, which ${w.name} does not receive`,
          guess
            ? `did you mean \`$${guess}\`?`
            : `it receives ${names.map((n) => `$${n}`).join(", ")} (\`gantry env ${w.name}\` lists them); set it in \`env\` or \`secrets\``,
        );
      }
    } catch (e) {
      if (!(e instanceof CommandSyntaxError)) throw e;
      error(
        pos,
        path,
        e.message === "no words" ? "the command is empty" : `the command has ${e.message}`,
        "quote as a shell would: 'single' or \"double\" quotes, each closed",
      );
    }
  };
  command(w.command, valueAt(raw, "command"), `${base}.command`);
  if (w.type !== "job" && w.migrations) {
    const m = raw.migrations;
    const pos = isObj(m) ? valueAt(m, "command") : valueAt(raw, "migrations");
    command(w.migrations.command, pos, `${base}.migrations${isObj(m) ? ".command" : ""}`);
  }
}

function checkReferences(
  app: AppModel,
  w: ServiceModel | JobModel,
  value: string,
  pos: Position,
  path: string,
  error: (pos: Position, path: string, message: string, hint?: string) => void,
) {
  const resources = [
    ...Object.keys(app.postgres),
    ...Object.keys(app.redis),
    ...Object.keys(app.buckets),
  ].sort();
  for (const p of parseEnvValue(value)) {
    if (typeof p === "string") continue;
    const ref = `\${${p.resource}.${p.part}}`;
    const kind = resourceKind(app, p.resource);
    if (!kind) {
      const what =
        p.resource in app.topics || (p.resource === "email" && app.email)
          ? `${p.resource} has no parts to refer to`
          : `no PostgreSQL, Redis or bucket is named \`${p.resource}\``;
      const guess = didYouMean(p.resource, resources);
      error(
        pos,
        path,
        `${ref}: ${what}`,
        guess
          ? `did you mean \`\${${guess}.${p.part}}\`?`
          : resources.length
            ? `references name one of: ${resources.join(", ")} (write $\${ for a literal \${)`
            : "declare it under postgres, redis or buckets (write $${ for a literal ${)",
      );
      continue;
    }
    const parts: readonly string[] = REFERENCE_PARTS[kind];
    if (!parts.includes(p.part)) {
      const guess = didYouMean(p.part, [...parts]);
      error(
        pos,
        path,
        `${ref}: a ${kind === "bucket" ? "bucket" : kind === "postgres" ? "PostgreSQL" : "Redis"} has no part \`${p.part}\``,
        guess ? `did you mean \`\${${p.resource}.${guess}}\`?` : `its parts: ${parts.join(", ")}`,
      );
    } else if (!w.uses.includes(p.resource)) {
      error(
        pos,
        path,
        `${ref}: ${w.name} does not use ${p.resource}`,
        `add ${p.resource} to services.${w.name}.uses`,
      );
    }
  }
}
