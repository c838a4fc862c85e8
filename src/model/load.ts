// Text of a spec → resolved models of its environments, or every problem found. Pure: the caller
// reads the file.
import { checkValue, didYouMean, type JsonSchema } from "../spec/check-schema.js";
import { SpecError, UserError, sortProblems, type Position, type Problem } from "../errors.js";
import { SpecSchema, type SpecInput } from "../spec/schema.js";
import { asWritten } from "../spec/as-written.js";
import { secretProblems } from "../spec/secret-check.js";
import { SourceMap, parseSource } from "../spec/source.js";
import { environmentNames, resolveEnvironment, type ParsedSpec } from "./resolve.js";
import type { AppModel, ProjectModel, SuppressionModel } from "./types.js";

export interface LoadResult {
  project: ProjectModel;
  /** Warnings (errors throw). */
  warnings: Problem[];
  /** Where a spec path was written; with `env`, the environment's override wins when it sets it. */
  locate(path: string, env?: string): Position;
}

function segments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of path.split(".")) {
    const m = /^([^[]*)((\[\d+\])*)$/.exec(part);
    if (!m) continue;
    if (m[1]) out.push(m[1]);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

function locator(raw: Record<string, unknown>, map: SourceMap, fallback: Position) {
  /** The position of the deepest segment found, and whether every segment was found. */
  const walk = (segs: (string | number)[]): { pos?: Position; complete: boolean } => {
    let node: unknown = raw;
    let pos: Position | undefined;
    for (const seg of segs) {
      const at = node !== null && typeof node === "object" ? map.keyPos(node, seg) : undefined;
      if (!at) return { ...(pos ? { pos } : {}), complete: false };
      pos = at;
      node = (node as Record<string | number, unknown>)[seg];
    }
    return { ...(pos ? { pos } : {}), complete: true };
  };
  return (path: string, env?: string): Position => {
    const segs = segments(path);
    if (env !== undefined) {
      const inEnv = walk(["environments", env, ...segs]);
      if (inEnv.complete && inEnv.pos) return inEnv.pos;
    }
    return walk(segs).pos ?? fallback;
  };
}

/**
 * Loads and resolves a spec. Throws SpecError with every problem when it has errors, and UserError
 * when `only` names an environment the spec does not have.
 */
export function loadSpec(file: string, text: string, only?: string): LoadResult {
  const map = new SourceMap();
  const parsed = parseSource(file, text, map);
  const problems: Problem[] = [...parsed.problems];
  if (parsed.value === undefined) throw new SpecError(sortProblems(problems));
  const raw = parsed.value as Record<string, unknown>;
  const fallback = map.selfPos(raw) ?? { file, line: 1, col: 1 };

  problems.push(...secretProblems(raw, map, fallback));
  // The top level is checked per environment after merging; here only what is not merged.
  const envSchema = SpecSchema.properties.environments as unknown as JsonSchema;
  if (raw.environments !== undefined) {
    raw.environments = asWritten(envSchema, raw.environments, map);
    checkValue(envSchema, raw.environments, raw, "environments", "environments", { map, problems, fallback });
  }

  const names = environmentNames(raw);
  if (only !== undefined && !names.includes(only)) {
    const guess = didYouMean(only, names);
    throw new UserError(
      `${file} has no environment \`${only}\``,
      guess
        ? `did you mean \`${guess}\`? (environments: ${names.join(", ")})`
        : `environments: ${names.join(", ")}`,
    );
  }
  const spec: ParsedSpec = { file, raw, map };
  const environments: AppModel[] = [];
  // A problem found in some environments but not all says where it happens.
  const checked = names.filter((env) => only === undefined || env === only);
  const seenIn = new Map<string, { problem: Problem; envs: string[] }>();
  for (const env of checked) {
    const found: Problem[] = [];
    const model = resolveEnvironment(spec, env, found);
    if (model) environments.push(model);
    for (const p of found) {
      const key = `${p.severity}\0${p.pos.line}\0${p.pos.col}\0${p.path}\0${p.message}`;
      const entry = seenIn.get(key);
      if (entry) entry.envs.push(env);
      else seenIn.set(key, { problem: p, envs: [env] });
    }
  }
  for (const { problem, envs } of seenIn.values()) {
    const everywhere = envs.length === checked.length || checked.length === 1;
    const inEnvPath = problem.path.startsWith("environments.");
    problems.push(
      everywhere
        ? problem
        : inEnvPath
          ? { ...problem, environments: envs }
          : { ...problem, message: `${problem.message} (in ${envs.join(", ")})`, environments: envs },
    );
  }
  // A secret value is reported as a secret only, not also as whatever else is wrong with it.
  const secretAt = new Set(
    problems
      .filter((p) => p.message.includes("secret values are never accepted"))
      .map((p) => `${p.pos.line}:${p.pos.col}`),
  );
  const sorted = sortProblems(
    problems.filter(
      (p) =>
        p.message.includes("secret values are never accepted") || !secretAt.has(`${p.pos.line}:${p.pos.col}`),
    ),
  );
  if (sorted.some((p) => p.severity === "error")) throw new SpecError(sorted);
  return {
    project: { name: raw.name as string, environments, suppressions: suppressionsOf(raw) },
    warnings: sorted,
    locate: locator(raw, map, fallback),
  };
}

/** The spec's `checks.suppress`, which the schema has checked. */
function suppressionsOf(raw: Record<string, unknown>): SuppressionModel[] {
  return (raw as SpecInput).checks?.suppress ?? [];
}
