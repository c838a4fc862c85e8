import { join } from "node:path";
import type { Command } from "commander";
import { REGISTERED } from "../targets/registry.js";
import { runTools } from "../validate/run-tools.js";
import { repoRootOf, synthContext } from "./synth.js";
import { formatProblem } from "../errors.js";
import { printYaml, printYamlDocuments } from "../format/yaml.js";
import type { Io } from "./main.js";
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
      const first = project.environments[0]!;
      const counts = Object.values(first.services).reduce<Record<string, number>>((acc, s) => {
        acc[s.type] = (acc[s.type] ?? 0) + 1;
        return acc;
      }, {});
      const parts = [
        `${project.environments.length} environment${project.environments.length === 1 ? "" : "s"} (${project.environments.map((e) => e.environment.name).join(", ")})`,
        ...Object.entries(counts).map(
          ([t, n]) =>
            `${n} ${t === "http" ? "HTTP service" : t === "static" ? "static frontend" : t === "job" ? "scheduled job" : "worker"}${n === 1 ? "" : "s"}`,
        ),
      ];
      io.out(
        `${loc.display}: valid: ${parts.join(", ")}${warnings.length ? `; ${warnings.length} warning${warnings.length === 1 ? "" : "s"}` : ""}\n`,
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
