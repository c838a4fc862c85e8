// `gantry cost`: what each environment will cost a month on each cloud target, item by item, before
// anything is deployed (docs/cost.md). Over budget is a warning, and an error with --fail-over-budget.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { estimateAll, overBudget } from "../cost/estimate.js";
import { estimateJson, headline, printJson, printMarkdown, printText } from "../cost/print.js";
import { compareCosts, costSide, parseEstimates, type CostSide } from "../cost/compare.js";
import { printCompareJson, printCompareMarkdown, printCompareText } from "../cost/print-compare.js";
import type { Estimate } from "../cost/types.js";
import { COST_TARGETS, type CostTarget } from "../cost/types.js";
import { formatProblem, UserError } from "../errors.js";
import { didYouMean } from "../spec/check-schema.js";
import type { Io } from "./main.js";
import { locateSpec, readSpec } from "./spec-file.js";

const FORMATS = ["text", "json", "markdown"] as const;

interface Options {
  env?: string;
  target?: string;
  format: string;
  failOverBudget?: boolean;
  compare?: string;
}

/** `value` if it is one of `known`, else a user error naming the closest. */
function oneOf<T extends string>(value: string, known: readonly T[], what: string): T {
  const found = known.find((k) => k === value);
  if (found) return found;
  const guess = didYouMean(value, [...known]);
  throw new UserError(
    `unknown ${what} \`${value}\``,
    guess ? `did you mean \`${guess}\`?` : `${what}s: ${known.join(", ")}`,
  );
}

function printEstimates(estimates: readonly Estimate[], form: (typeof FORMATS)[number]): string {
  if (form === "json") return printJson(estimates);
  return form === "markdown" ? printMarkdown(estimates) : printText(estimates);
}

function printComparison(base: CostSide[], estimates: readonly Estimate[], form: (typeof FORMATS)[number]) {
  const changes = compareCosts(
    base,
    estimates.map((e) => costSide(estimateJson(e))),
  );
  if (form === "json") return printCompareJson(changes);
  return form === "markdown" ? printCompareMarkdown(changes) : printCompareText(changes);
}

/** The estimates `--compare` names; an empty file is no estimates (a base branch without the spec). */
function readEstimates(file: string, cwd: string): CostSide[] {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UserError(
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      "write it with `gantry cost --format json > FILE`",
    );
  }
  try {
    return parseEstimates(text);
  } catch (e) {
    throw new UserError(
      `${file} is not the output of \`gantry cost --format json\`: ${(e as Error).message}`,
      "write it with `gantry cost --format json > FILE`",
    );
  }
}

export function registerCost(program: Command, io: Io): void {
  program
    .command("cost")
    .description(
      "Estimate each environment's monthly bill on each cloud target, item by item, and compare it with its budget (docs/cost.md).",
    )
    .argument("[path]", "gantry.yaml, or the directory that holds it", ".")
    .option("-e, --env <name>", "only this environment")
    .option("-t, --target <name>", `only this target: ${COST_TARGETS.join(", ")}`)
    .option("-f, --format <format>", `output: ${FORMATS.join(", ")}`, "text")
    .option("--fail-over-budget", "exit 1 when an estimate at minimum scale exceeds its budget")
    .option(
      "--compare <file>",
      "print the difference from earlier estimates (a file of `gantry cost --format json`, e.g. the base branch's)",
    )
    .action((path: string, opts: Options, cmd: Command) => {
      const form = oneOf(opts.format, FORMATS, "format");
      const target: CostTarget | undefined = opts.target
        ? oneOf(opts.target, COST_TARGETS, "target")
        : undefined;
      // The whole project is loaded even for one environment: some resources (the DNS zone, the
      // registry) belong to one environment of several.
      const loaded = readSpec(locateSpec(path, io.cwd));
      for (const w of loaded.warnings) io.err(`${formatProblem(w)}\n`);
      const names = loaded.project.environments.map((m) => m.environment.name);
      if (opts.env) oneOf(opts.env, names, "environment");
      const estimates = estimateAll(loaded.project, {
        ...(opts.env ? { env: opts.env } : {}),
        ...(target ? { target } : {}),
      });
      const base = opts.compare === undefined ? undefined : readEstimates(opts.compare, io.cwd);
      io.out(base ? printComparison(base, estimates, form) : printEstimates(estimates, form));
      let over = false;
      for (const e of estimates) {
        const scale = overBudget(e);
        if (!scale) continue;
        over ||= scale === "min";
        const level = scale === "min" && opts.failOverBudget ? "error" : "warning";
        io.err(`${level}: ${e.environment} on ${e.target}: ${headline(e)}\n`);
      }
      if (over && opts.failOverBudget) cmd.parent?.setOptionValue("exitCode", 1);
    });
}
