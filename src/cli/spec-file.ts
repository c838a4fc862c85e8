// Finds and reads the spec file a command names (a file, or a directory holding gantry.yaml).
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, dirname } from "node:path";
import { SpecError, UserError } from "../errors.js";
import { sizeProblem } from "../spec/source.js";
import { loadSpec, type LoadResult } from "../model/load.js";

export interface SpecLocation {
  /** Absolute path of the spec file. */
  path: string;
  /** The spec's directory: relative paths in the spec and default output folders are relative to it. */
  dir: string;
  /** The path as shown in messages (relative to the working directory). */
  display: string;
}

export function locateSpec(arg: string | undefined, cwd = process.cwd()): SpecLocation {
  const target = resolve(cwd, arg ?? ".");
  if (!existsSync(target))
    throw new UserError(
      `${arg ?? "."} does not exist`,
      "give a gantry.yaml file or the directory that holds it",
    );
  let path = target;
  if (statSync(target).isDirectory()) {
    let found = specIn(target);
    if (!found) {
      let above: string | undefined;
      for (let d = dirname(target); !above && d !== dirname(d); d = dirname(d)) above = specIn(d);
      // Without a path, from a sub-directory of the app (api/, web/src/): the nearest spec above, as
      // git finds its repository. A directory named without a spec gets a hint at that spec rather
      // than at `init`, which would write a second spec for one service of a monorepo.
      if ((arg ?? ".") === ".") found = above;
      if (!found)
        throw new UserError(
          `no gantry.yaml in ${relative(cwd, target) || "."}`,
          above
            ? `the app's spec is ${relative(cwd, above)}: pass that path, or run the command in its directory`
            : "run `gantry init` there to write a starter spec",
        );
    }
    path = found;
  }
  const display = relative(cwd, path) || path;
  return { path, dir: dirname(path), display: display.startsWith("..") ? path : display };
}

/** The spec in dir: gantry.yaml, else gantry.yml. */
export function specIn(dir: string): string | undefined {
  return ["gantry.yaml", "gantry.yml"].map((n) => join(dir, n)).find((p) => existsSync(p));
}

export function readSpec(loc: SpecLocation, env?: string): LoadResult {
  let text: string;
  try {
    // Checked before reading, so a huge file is never loaded.
    const tooLarge = sizeProblem(loc.display, statSync(loc.path).size);
    if (tooLarge) throw new SpecError([tooLarge]);
    text = readFileSync(loc.path, "utf8");
  } catch (e) {
    if (e instanceof SpecError) throw e;
    throw new UserError(`cannot read ${loc.display}: ${(e as Error).message}`);
  }
  return loadSpec(loc.display, text, env);
}
