import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { detect } from "../init/detect.js";
import { starterSpec } from "../init/starter.js";
import { loadSpec } from "../model/load.js";
import { UserError } from "../errors.js";
import { REPO_ROOT } from "../validate/tools.js";
import type { Io } from "./main.js";
import { specIn } from "./spec-file.js";

export function registerInit(program: Command, io: Io): void {
  program
    .command("init")
    .description("Detect the services of an application and write a commented starter gantry.yaml.")
    .argument("[dir]", "the application's directory", ".")
    .option("-f, --force", "overwrite an existing gantry.yaml")
    .action((dir: string, opts: { force?: boolean }) => {
      const root = resolve(io.cwd, dir);
      if (!existsSync(root)) throw new UserError(`${dir} does not exist`);
      // The other commands read gantry.yml too: a second spec next to it would shadow it unnoticed.
      const target = specIn(root) ?? join(root, "gantry.yaml");
      const shown = relative(io.cwd, target) || "gantry.yaml";
      if (existsSync(target) && !opts.force)
        throw new UserError(`${shown} already exists`, "pass --force to overwrite it");
      const detected = detect(root);
      const schemaRef = relative(root, join(REPO_ROOT, "schema", "gantry.schema.json"))
        .split("\\")
        .join("/");
      const text = starterSpec(detected, schemaRef);
      // The starter must validate; if it does not, that is a bug in init, reported as such.
      loadSpec(shown, text);
      mkdirSync(root, { recursive: true });
      writeFileSync(target, text);
      const ignored = ignoreGantryDir(root);
      const found =
        detected.services.map((s) => `${s.name} (${s.kind}, ${s.dir})`).join(", ") ||
        "no services (see the comment in the file)";
      io.out(
        `wrote ${shown}: ${found}\n${ignored ? `added .gantry/ to ${relative(io.cwd, join(root, ".gitignore")) || ".gitignore"}\n` : ""}next: review it, then run \`gantry validate ${dir}\`\n`,
      );
    });
}

/**
 * Adds `.gantry/` to the app's .gitignore (making one if there is none), unless a line ignores it
 * already: it holds `secrets.key`, the data of the local databases and the logs, none of which belongs
 * in a repository. True when the file changed.
 */
function ignoreGantryDir(root: string): boolean {
  const file = join(root, ".gitignore");
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines.some((l) => /^\/?\.gantry\/?(?:\*\*?)?$/.test(l))) return false;
  appendFileSync(
    file,
    `${text === "" || text.endsWith("\n") ? "" : "\n"}# gantry up: secrets key, local data, logs\n.gantry/\n`,
  );
  return true;
}
