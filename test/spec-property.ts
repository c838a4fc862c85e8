// The property every target must have, run on one generated spec: a spec that loadSpec accepts gets,
// from each target, either positioned problems (errors stop `gantry synth` before it renders) or a
// rendering; check() and render() never throw anything but a SpecError; two renders give the same
// bytes; and each environment's own values reach that environment's files (spec-property-expect.ts
// says where each target keeps them). test/targets-property.test.ts runs a few hundred seeds in
// `npm test`, bench/spec-property.ts thousands.
import { SpecError } from "../src/errors.js";
import { loadSpec } from "../src/model/load.js";
import { PLATFORMS, TARGETS } from "../src/targets/registry.js";
import type { FileTree, SynthContext, Target, TargetProblem } from "../src/targets/target.js";
import { generateSpec, type GeneratedSpec } from "./spec-generator.js";
import { LOCATORS, excused, expectations, type Expected } from "./spec-property-expect.js";

/** Seeds run by `npm test` (about 30 s on a 2-core machine); bench/spec-property.ts runs the next ones. */
export const SUITE_SEEDS = 250;

export interface Failure {
  seed: number;
  /** The target and, for github, the platform it deploys to (github/aws). */
  target: string;
  kind: "crash" | "nondeterministic" | "lost value";
  message: string;
}

/**
 * Defects the property finds in code this branch does not own (issue 15 gives AWS and the translation
 * of schedules to others): counted and printed by the test, not failed on. Remove an entry once its
 * owner has fixed it; the test then fails again if the defect comes back.
 */
export const KNOWN_DEFECTS: { target: string; what: Expected["what"]; why: string }[] = [];

export interface Outcome {
  seed: number;
  /** Why loadSpec refused the spec (one line per kind of problem), or empty when it accepted it. */
  rejections: string[];
  /** Targets that rendered the spec, and those whose check() refused it with positioned errors. */
  rendered: string[];
  refused: string[];
  /** The kinds of the errors each refusing target gave, as `<target> <reason>`. */
  refusals: string[];
  /** Values looked for in the environments' files. */
  checked: number;
  /** Failures of KNOWN_DEFECTS, as `<target> <what>`. */
  known: string[];
  failures: Failure[];
}

const OUTPUTS = {
  kubernetes: "deploy/kubernetes",
  azure: "infrastructure/azure",
  aws: "infrastructure/aws",
  digitalocean: "infrastructure/digitalocean",
  github: ".github/workflows",
} as const;

/** Every target once; GitHub deploys to one platform per seed, so a few seeds cover them all. */
export function targetRuns(seed: number): { label: string; target: Target; ctx: SynthContext }[] {
  const ctx: SynthContext = { specPath: "gantry.yaml", specDir: ".", outputs: { ...OUTPUTS } };
  return TARGETS.map((target) => {
    if (target.name !== "github") return { label: target.name, target, ctx };
    const platform = PLATFORMS[seed % PLATFORMS.length]!.name;
    return { label: `github/${platform}`, target, ctx: { ...ctx, deployTarget: platform } };
  });
}

/** A problem's kind without the names and numbers of one spec: `services.*.port: port N is also used`. */
export function reasonOf(path: string, message: string): string {
  const where = path
    .replace(
      /\b(services|postgres|redis|topics|buckets|channels|alerts|lifecycle|env|environments)\.[^.[]+/g,
      "$1.*",
    )
    .replace(/\[\d+\]/g, "[]");
  const what = message
    .replace(/ \(in [^)]*\)$/, "")
    .replace(/`[^`]*`(, `[^`]*`)*/g, "`…`")
    .replace(/\d+/g, "N");
  return `${where}: ${what}`;
}

export function runSpec(seed: number): { generated: GeneratedSpec; outcome: Outcome } {
  const generated = generateSpec(seed);
  const outcome: Outcome = {
    seed,
    rejections: [],
    rendered: [],
    refused: [],
    refusals: [],
    checked: 0,
    known: [],
    failures: [],
  };
  let project;
  try {
    project = loadSpec("gantry.yaml", generated.text).project;
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    outcome.rejections = [
      ...new Set(e.problems.filter((p) => p.severity === "error").map((p) => reasonOf(p.path, p.message))),
    ];
    return { generated, outcome };
  }
  const expected = expectations(generated.spec, generated.environments);
  for (const { label, target, ctx } of targetRuns(seed)) {
    const fail = (kind: Failure["kind"], message: string) =>
      outcome.failures.push({ seed, target: label, kind, message });
    let problems: TargetProblem[];
    let trees: [FileTree, FileTree];
    try {
      problems = target.check(project, ctx);
      const errors = problems.filter((p) => (p.severity ?? "error") === "error");
      if (errors.length) {
        outcome.refused.push(label);
        outcome.refusals.push(...new Set(errors.map((p) => `${label} ${reasonOf(p.path, p.message)}`)));
        continue;
      }
      trees = [target.render(project, ctx), target.render(project, ctx)];
    } catch (e) {
      if (e instanceof SpecError) outcome.refused.push(label);
      else fail("crash", e instanceof Error ? (e.stack ?? e.message) : String(e));
      continue;
    }
    outcome.rendered.push(label);
    const [tree, again] = trees;
    if (JSON.stringify(Object.entries(tree)) !== JSON.stringify(Object.entries(again))) {
      const differ = Object.keys({ ...tree, ...again }).filter((f) => tree[f] !== again[f]);
      fail("nondeterministic", `two renders differ in ${differ.join(", ") || "the order of the files"}`);
    }
    for (const e of expected) {
      const app = project.environments.find((m) => m.environment.name === e.env)!;
      if (excused(e, problems)) continue;
      const found = LOCATORS[target.name]!.find(e, { tree, app, target, problems });
      if (found === undefined) continue;
      outcome.checked++;
      if (found) continue;
      const known = KNOWN_DEFECTS.find((k) => k.target === target.name && k.what === e.what);
      if (known) outcome.known.push(`${target.name} ${e.what}`);
      else fail("lost value", describe(e));
    }
  }
  return { generated, outcome };
}

function describe(e: Expected): string {
  const value = typeof e.value === "string" ? e.value : JSON.stringify(e.value);
  return `${e.env}: ${e.what} ${e.path} (${value}) is not in ${e.env}'s files`;
}

/** A failure with what reproduces it: the seed and the spec. */
export function formatFailure(f: Failure, g: GeneratedSpec): string {
  return `seed ${f.seed}, ${f.target}: ${f.kind}: ${f.message}\n--- gantry.yaml of seed ${f.seed} ---\n${g.text}`;
}
