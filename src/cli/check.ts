// `gantry check`: holds the spec and the files Gantry generates from it to the rules of docs/checks.md,
// and runs the installed validators over those files. Exit 1 when any finding is an error.
import type { Command } from "commander";
import { SpecError } from "../errors.js";
import { printJson, printSarif, printText } from "../check/print.js";
import { allRules } from "../check/rules.js";
import { problemFinding, runChecks, type CheckResult } from "../check/run.js";
import { didYouMean } from "../spec/check-schema.js";
import { UserError } from "../errors.js";
import { TARGETS } from "../targets/registry.js";
import type { Io } from "./main.js";
import { locateSpec, readSpec } from "./spec-file.js";
import { synthContext, writtenTrees } from "./synth.js";
import { VERSION } from "./version.js";

const FORMATS = ["text", "json", "sarif"] as const;
type Format = (typeof FORMATS)[number];

interface Options {
  env?: string;
  target?: string[];
  format: string;
  tools: boolean;
}

function format(f: string): Format {
  const found = FORMATS.find((x) => x === f);
  if (found) return found;
  throw new UserError(`unknown format \`${f}\``, `formats: ${FORMATS.join(", ")}`);
}

function targetNames(names: string[] | undefined): string[] | undefined {
  if (!names) return undefined;
  const known = TARGETS.map((t) => t.name);
  for (const n of names)
    if (!known.includes(n as (typeof known)[number])) {
      const guess = didYouMean(n, known);
      throw new UserError(
        `unknown target \`${n}\``,
        guess ? `did you mean \`${guess}\`?` : `targets: ${known.join(", ")}`,
      );
    }
  return names;
}

export function registerCheck(program: Command, io: Io): void {
  program
    .command("check")
    .description(
      "Check the spec and the files generated from it against security, reliability and wiring rules (docs/checks.md), and run the installed validators.",
    )
    .argument("[path]", "gantry.yaml, or the directory that holds it", ".")
    .option("-e, --env <name>", "only this environment")
    .option("-t, --target <name...>", "only these targets (default: those the spec configures, and github)")
    .option("-f, --format <format>", `output: ${FORMATS.join(", ")}`, "text")
    .option("--no-tools", "do not run the external validators")
    .action(async (path: string, opts: Options, cmd: Command) => {
      const form = format(opts.format);
      const only = targetNames(opts.target);
      const loc = locateSpec(path, io.cwd);
      const ctx = await synthContext(loc);
      let result: CheckResult;
      try {
        result = await runChecks(readSpec(loc, opts.env), ctx, {
          ...(only ? { targets: only } : {}),
          ...(opts.env ? { env: opts.env } : {}),
          tools: opts.tools,
          previous: writtenTrees(loc, ctx, only),
        });
      } catch (e) {
        // A spec that does not load is a finding too: check says so in its own format.
        if (!(e instanceof SpecError)) throw e;
        result = { findings: e.problems.map((p) => problemFinding(p)), skipped: [], targets: [] };
      }
      const print = { specPath: ctx.specPath, version: VERSION };
      io.out(
        form === "text"
          ? printText(result)
          : form === "json"
            ? printJson(result)
            : printSarif(result, allRules(), print),
      );
      if (result.findings.some((f) => f.severity === "error" && !f.suppressed))
        cmd.parent?.setOptionValue("exitCode", 1);
    });
}
