import { join } from "node:path";
import type { Command } from "commander";
import { REGISTERED } from "../targets/registry.js";
import { runTools } from "../validate/run-tools.js";
import { repoRootOf, synthContext } from "./synth.js";
import { formatProblem } from "../errors.js";
import { printYaml, printYamlDocuments } from "../format/yaml.js";
import type { Io } from "./main.js";
import type { AnyServiceModel, AppModel } from "../model/types.js";
import { locateSpec, readSpec } from "./spec-file.js";

export function registerValidate(program: Command, io: Io): void {
  program
    .command("validate")
    .description("Check a spec and report every problem with its file, line and column.")
    .argument("[path]", "gantry.yaml, or the directory that holds it", ".")
    .option("-e, --env <name>", "only this environment")
    .option("-p, --print", "print the resolved model (defaults applied, overrides merged) as YAML")
    .option(
      "--tools",
      "also run the real validators (helm, kubeconform, bicep, tofu, actionlint) on the generated files",
    )
    .action(async (path: string, opts: { env?: string; print?: boolean; tools?: boolean }, cmd: Command) => {
      const loc = locateSpec(path, io.cwd);
      const { project, warnings } = readSpec(loc, opts.env);
      for (const w of warnings) io.err(`${formatProblem(w)}\n`);
      if (opts.print) {
        const models = project.environments;
        io.out(models.length === 1 ? printYaml(models[0]) : printYamlDocuments(models));
        return;
      }
      const parts = environmentSummary(project.environments);
      io.out(
        `${loc.display}: valid: ${parts}${warnings.length ? `; ${warnings.length} warning${warnings.length === 1 ? "" : "s"}` : ""}\n`,
      );
      if (!opts.tools) return;
      const ctx = await synthContext(loc);
      const root = repoRootOf(loc, ctx);
      const checks = await runTools(
        REGISTERED.map((r) => ({
          target: r.target.name,
          dir: join(root, ctx.outputs[r.target.name]),
          tools: r.tools,
        })),
      );
      if (checks.length === 0) io.out("no generated files found: run `gantry synth <target>` first\n");
      for (const c of checks) {
        const mark = c.status === "ok" ? "ok     " : c.status === "failed" ? "FAILED " : "skipped";
        io.out(`${mark} ${c.target}: ${c.tool}${c.detail ? ` (${c.detail})` : ""}\n`);
      }
      if (checks.some((c) => c.status === "failed")) cmd.parent?.setOptionValue("exitCode", 1);
    });
}

const KIND_NAMES: Record<AnyServiceModel["type"], [string, string]> = {
  http: ["HTTP service", "HTTP services"],
  static: ["static frontend", "static frontends"],
  job: ["scheduled job", "scheduled jobs"],
  worker: ["worker", "workers"],
};

/** "1 HTTP service, 2 workers": the services of one environment by kind, in the order they come. */
function serviceCounts(model: AppModel): string {
  const counts = new Map<AnyServiceModel["type"], number>();
  for (const s of Object.values(model.services)) counts.set(s.type, (counts.get(s.type) ?? 0) + 1);
  return [...counts].map(([t, n]) => `${n} ${KIND_NAMES[t][n === 1 ? 0 : 1]}`).join(", ");
}

/** The environments and their services; per environment when their services differ. */
function environmentSummary(models: AppModel[]): string {
  const names = models.map((m) => m.environment.name);
  const counts = models.map(serviceCounts);
  const head = `${models.length} environment${models.length === 1 ? "" : "s"}`;
  if (counts.every((c) => c === counts[0]))
    return `${head} (${names.join(", ")})${counts[0] ? `, ${counts[0]}` : ""}`;
  return `${head}: ${names.map((n, i) => `${n} (${counts[i] || "no services"})`).join(", ")}`;
}
