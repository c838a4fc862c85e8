import { join, relative, resolve, sep } from "node:path";
import type { Command } from "commander";
import { drift, readTree, writeTree } from "../output/writer.js";
import { upgradeFindings } from "../check/run.js";
import { SpecError, UserError, formatProblem, sortProblems, type Problem } from "../errors.js";
import { TARGETS, findTarget, outputsFor } from "../targets/registry.js";
import type { FileTree, RenderedTrees, SynthContext, Target } from "../targets/target.js";
import type { LoadResult } from "../model/load.js";
import { exec } from "../util/exec.js";
import type { Io } from "./main.js";
import { locateSpec, readSpec, type SpecLocation } from "./spec-file.js";

const posix = (p: string) => p.split(sep).join("/") || ".";

/** The repository root: the enclosing git work tree, else the spec's directory. */
async function repoRoot(dir: string): Promise<string> {
  try {
    const r = await exec("git", ["rev-parse", "--show-toplevel"], { cwd: dir, timeoutMs: 10_000 });
    return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : dir;
  } catch {
    return dir;
  }
}

/**
 * The repository root of a synth context. ctx.outputs are relative to it: `<spec dir>/<defaultOut>`
 * for the infrastructure targets, and the root's .github/workflows for github.
 */
export function repoRootOf(loc: SpecLocation, ctx: SynthContext): string {
  return ctx.specDir === "." ? loc.dir : resolve(loc.dir, ...ctx.specDir.split("/").map(() => ".."));
}

export async function synthContext(loc: SpecLocation, deployTarget?: string): Promise<SynthContext> {
  const root = await repoRoot(loc.dir);
  const specDir = posix(relative(root, loc.dir));
  return {
    specPath: posix(relative(root, loc.path)),
    specDir,
    outputs: outputsFor(specDir),
    ...(deployTarget ? { deployTarget } : {}),
  };
}

export function registerSynth(program: Command, io: Io): void {
  if (TARGETS.length === 0) return;
  program
    .command("synth")
    .description("Write the native files of a target from the spec.")
    .argument("<target>", `one of: ${TARGETS.map((t) => t.name).join(", ")}`)
    .argument("[path]", "gantry.yaml, or the directory that holds it", ".")
    .option("-o, --out <dir>", "output directory (default: the target's folder next to the spec)")
    .option("--check", "write nothing; exit 1 and name the files that differ from what the spec gives")
    .option("--target <name>", "for `synth github`: kubernetes, azure, aws or digitalocean")
    .action(
      async (
        targetName: string,
        path: string,
        opts: { out?: string; check?: boolean; target?: string },
        cmd: Command,
      ) => {
        const target = findTarget(targetName);
        if (!target)
          throw new UserError(
            `unknown target \`${targetName}\``,
            `targets: ${TARGETS.map((t) => t.name).join(", ")}`,
          );
        const loc = locateSpec(path, io.cwd);
        const { loaded, ctx, warnings, tree } = await synthesize(target, loc, opts.target);
        for (const w of warnings) io.err(`${formatProblem(w)}\n`);
        const outDir = opts.out
          ? resolve(io.cwd, opts.out)
          : join(repoRootOf(loc, ctx), ctx.outputs[target.name]);
        const shown = posix(relative(io.cwd, outDir));
        if (opts.check) {
          const d = drift(outDir, tree, target.ownsOutput);
          const lines = [
            ...d.changed.map((f) => `changed: ${f}`),
            ...d.missing.map((f) => `missing: ${f}`),
            ...d.extra.map((f) => `not generated: ${f}`),
          ];
          if (lines.length) {
            io.err(
              `${shown} differs from what ${loc.display} gives:\n${lines.map((l) => `  ${l}`).join("\n")}\n  hint: run \`gantry synth ${target.name} ${path}${opts.target ? ` --target ${opts.target}` : ""}\` and commit the result\n`,
            );
            cmd.parent?.setOptionValue("exitCode", 1);
            return;
          }
          io.out(`${shown}: up to date (${Object.keys(tree).length} files)\n`);
          return;
        }
        // A change the cluster would refuse on upgrade is said now, at its spec line; the files are
        // still written (the fix may be to replace the object on purpose, as the hint says).
        const previous = target.upgradeChecks ? readTree(outDir) : undefined;
        for (const f of upgradeFindings(target, loaded, ctx, previous, tree))
          io.err(
            `${formatProblem({ severity: "warning", pos: f.pos ?? { file: loc.display, line: 1, col: 1 }, path: f.path ?? "", message: f.message, ...(f.hint ? { hint: f.hint } : {}) })}\n`,
          );
        writeTree(outDir, tree, target.ownsOutput);
        io.out(`wrote ${Object.keys(tree).length} files to ${shown}\n`);
      },
    );
}

/**
 * A target's tree from the spec: the spec loaded, checked for the target (errors throw, all of them at
 * once) and rendered. What `synth` writes and the cluster commands deploy; the warnings are the caller's
 * to print.
 */
export async function synthesize(
  target: Target,
  loc: SpecLocation,
  deployTarget?: string,
): Promise<{ loaded: LoadResult; ctx: SynthContext; warnings: Problem[]; tree: FileTree }> {
  const loaded = readSpec(loc);
  const ctx = await synthContext(loc, deployTarget);
  const problems = sortProblems([...loaded.warnings, ...targetProblems(target, loaded, ctx)]);
  if (problems.some((p) => p.severity === "error")) throw new SpecError(problems);
  return { loaded, ctx, warnings: problems, tree: target.render(loaded.project, ctx) };
}

/** What a target cannot do with the spec, as positioned problems. */
export function targetProblems(target: Target, loaded: LoadResult, ctx: SynthContext): Problem[] {
  return target.check(loaded.project, ctx).map((p) => ({
    severity: p.severity ?? "error",
    pos: loaded.locate(p.path, p.env),
    path: p.path,
    message: `${p.env ? `in ${p.env}: ` : ""}${p.message} (${target.name} target)`,
    ...(p.hint ? { hint: p.hint } : {}),
  }));
}

/**
 * The trees the last synth wrote at each target's default output, for the targets that compare them
 * (of `only`, when given: no other target's tree is read).
 */
export function writtenTrees(loc: SpecLocation, ctx: SynthContext, only?: readonly string[]): RenderedTrees {
  const root = repoRootOf(loc, ctx);
  const wanted = TARGETS.filter((t) => t.upgradeChecks && (!only || only.includes(t.name)));
  return Object.fromEntries(wanted.map((t) => [t.name, readTree(join(root, ctx.outputs[t.name]))]));
}
