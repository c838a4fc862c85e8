// `gantry check`: the spec's rules (problems of the spec that carry a rule id), what each target cannot
// do as the spec asks, each target's system checks over the tree it renders, and the real validators
// over those trees when they are installed. Findings, never exceptions, for anything about the spec.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Problem } from "../errors.js";
import type { LoadResult } from "../model/load.js";
import { REGISTERED } from "../targets/registry.js";
import { choosePlatform } from "../targets/github/pipeline.js";
import type { FileTree, RenderedTrees, SynthContext, SystemFinding, Target } from "../targets/target.js";
import { writeTree } from "../output/writer.js";
import { runTools, type ToolCheck } from "../validate/run-tools.js";
import type { Finding } from "./finding.js";
import { SPEC_RULES, allRules } from "./rules.js";
import { costFindings } from "./cost-rules.js";
import { applySuppressions } from "./suppress.js";
import { specRuleFindings } from "./spec-rules.js";

export interface CheckOptions {
  /** Only these targets (default: every target the spec configures, and the GitHub workflows). */
  targets?: string[];
  /** Also run the external validators over the rendered trees. */
  tools: boolean;
  /** The one environment asked for, when one was. */
  env?: string;
  /** The trees the last synth wrote, by target (compared with the new ones by upgradeChecks). */
  previous?: RenderedTrees;
}

export interface CheckResult {
  findings: Finding[];
  /** Validators that could not run here, with why (not findings: nothing is known to be wrong). */
  skipped: ToolCheck[];
  /** The targets that were checked. */
  targets: string[];
}

/**
 * A problem of the spec as a finding; a problem without a rule is the spec being invalid. A rule's
 * severity is check's: `validate` warns of a public database, `check` (the gate) refuses it.
 */
export function problemFinding(p: Problem, rule = p.rule ?? "spec/invalid"): Finding {
  return {
    rule,
    severity: SPEC_RULES.find((r) => r.id === rule)?.severity ?? p.severity,
    ...(p.environments ? { env: p.environments.join(", ") } : {}),
    message: p.message,
    ...(p.hint ? { hint: p.hint } : {}),
    pos: p.pos,
    ...(p.path ? { path: p.path } : {}),
  };
}

/** The targets asked for; else those the spec configures (the default platform when none), and GitHub. */
function chosenTargets(loaded: LoadResult, only: string[] | undefined): Target[] {
  if (only) return REGISTERED.filter((r) => only.includes(r.target.name)).map((r) => r.target);
  const base = loaded.project.environments[0];
  const platforms = REGISTERED.filter((r) => r.platform);
  const configured = platforms.filter((r) => base && r.platform!.configured(base));
  const deploy = configured.length ? configured : platforms.slice(0, 1);
  return [...deploy, ...REGISTERED.filter((r) => !r.platform)].map((r) => r.target);
}

/** What a target cannot do as the spec asks; its tree when it can render. */
function targetFindings(
  t: Target,
  loaded: LoadResult,
  ctx: SynthContext,
): { findings: Finding[]; tree?: FileTree } {
  const findings: Finding[] = t.check(loaded.project, ctx).map((p) => ({
    rule: "target/unsupported",
    severity: p.severity ?? "error",
    message: `${p.env ? `in ${p.env}: ` : ""}${p.message}`,
    ...(p.hint ? { hint: p.hint } : {}),
    pos: loaded.locate(p.path, p.env),
    path: p.path,
    target: t.name,
    ...(p.env ? { env: p.env } : {}),
  }));
  if (findings.some((f) => f.severity === "error")) return { findings };
  return { findings, tree: t.render(loaded.project, ctx) };
}

/** A target's system checks over its tree (and the other trees of the run), as findings. */
function systemFindings(t: Target, loaded: LoadResult, ctx: SynthContext, trees: RenderedTrees): Finding[] {
  const tree = trees[t.name];
  if (!tree || !t.systemChecks) return [];
  return asFindings(t, loaded, ctx, t.systemChecks(loaded.project, tree, ctx, trees));
}

/** What a target's new tree changes that the platform refuses on upgrade, against the tree written last. */
export function upgradeFindings(
  t: Target,
  loaded: LoadResult,
  ctx: SynthContext,
  previous: FileTree | undefined,
  tree: FileTree | undefined,
): Finding[] {
  if (!t.upgradeChecks || !previous || !tree || !Object.keys(previous).length) return [];
  return asFindings(t, loaded, ctx, t.upgradeChecks(loaded.project, previous, tree));
}

function asFindings(t: Target, loaded: LoadResult, ctx: SynthContext, found: SystemFinding[]): Finding[] {
  const rules = new Map((t.rules ?? []).map((r) => [r.id, r]));
  return found.map((f): Finding => {
    const rule = rules.get(f.rule);
    if (!rule) throw new Error(`${t.name} reports rule ${f.rule}, which it does not declare`);
    return {
      rule: f.rule,
      severity: rule.severity,
      message: `${f.env ? `in ${f.env}: ` : ""}${f.message}`,
      ...(f.hint ? { hint: f.hint } : {}),
      ...(f.path ? { path: f.path, pos: loaded.locate(f.path, f.env) } : {}),
      ...(f.file ? { file: `${outputOf(ctx, t.name)}/${f.file}`, ...(f.line ? { line: f.line } : {}) } : {}),
      target: t.name,
      ...(f.env ? { env: f.env } : {}),
    };
  });
}

/**
 * The tree of the platform the GitHub workflows deploy to, when it was not asked for: their checks read
 * the infrastructure they deploy (`--target github` alone still checks the registry it pushes to).
 * Only rendered where that target refuses nothing; its own findings are not reported.
 */
function deployedTrees(
  targets: Target[],
  trees: RenderedTrees,
  loaded: LoadResult,
  ctx: SynthContext,
): RenderedTrees {
  // Only a target that deploys through a platform (the workflows) reads another target's tree.
  const pipelines = REGISTERED.filter((r) => !r.platform).map((r) => r.target);
  if (!targets.some((t) => pipelines.includes(t))) return {};
  const platforms = REGISTERED.flatMap((r) => (r.platform ? [r.platform] : []));
  const name = choosePlatform(loaded.project, ctx, platforms)?.name;
  const target = REGISTERED.find((r) => r.target.name === name)?.target;
  if (!target || trees[target.name]) return {};
  if (target.check(loaded.project, ctx).some((p) => (p.severity ?? "error") === "error")) return {};
  return { [target.name]: target.render(loaded.project, ctx) };
}

const outputOf = (ctx: SynthContext, target: string): string =>
  (ctx.outputs as Record<string, string | undefined>)[target] ?? target;

/** The validators over the rendered trees, written to a scratch folder that is removed afterwards. */
export async function toolFindings(trees: [Target, FileTree][], ctx: SynthContext) {
  const scratch = mkdtempSync(join(tmpdir(), "gantry-check-"));
  try {
    const dirs = trees.map(([t, tree]) => {
      const dir = join(scratch, t.name);
      writeTree(dir, tree, true);
      return { target: t.name, dir, tools: REGISTERED.find((r) => r.target === t)?.tools ?? [] };
    });
    // Say the target's own output folder, not the scratch copy the tools ran on.
    const checks = (await runTools(dirs)).map((c) => ({
      ...c,
      detail: c.detail.replaceAll(join(scratch, c.target), outputOf(ctx, c.target)),
    }));
    const findings: Finding[] = checks
      .filter((c) => c.status === "failed")
      .map((c) => ({
        rule: `tools/${c.tool.split(" ")[0]!}`,
        severity: "error",
        message: `${c.tool} failed on the ${c.target} files: ${c.detail}`,
        hint: `run \`gantry synth ${c.target}\` and \`gantry validate --tools\` to see the files it names`,
        file: outputOf(ctx, c.target),
        target: c.target,
      }));
    return { findings, skipped: checks.filter((c) => c.status === "skipped") };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export async function runChecks(
  loaded: LoadResult,
  ctx: SynthContext,
  o: CheckOptions,
): Promise<CheckResult> {
  const findings: Finding[] = [...loaded.warnings.map((p) => problemFinding(p)), ...specRuleFindings(loaded)];
  const targets = chosenTargets(loaded, o.targets);
  const trees: RenderedTrees = {};
  for (const t of targets) {
    const r = targetFindings(t, loaded, ctx);
    findings.push(...r.findings);
    if (r.tree) trees[t.name] = r.tree;
  }
  Object.assign(trees, deployedTrees(targets, trees, loaded, ctx));
  for (const t of targets)
    findings.push(
      ...systemFindings(t, loaded, ctx, trees),
      ...upgradeFindings(t, loaded, ctx, o.previous?.[t.name], trees[t.name]),
    );
  findings.push(
    ...costFindings(
      loaded,
      targets.map((t) => t.name),
    ),
  );
  const rendered = targets.filter((t) => trees[t.name]).map((t): [Target, FileTree] => [t, trees[t.name]!]);
  const tools = o.tools ? await toolFindings(rendered, ctx) : { findings: [], skipped: [] };
  const complete = o.targets === undefined && !o.env;
  return {
    findings: applySuppressions(
      [...findings, ...tools.findings],
      loaded,
      allRules().map((r) => r.id),
      complete,
    ),
    skipped: tools.skipped,
    targets: targets.map((t) => t.name),
  };
}
