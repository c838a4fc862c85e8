// Finds the external validators: the repo's pinned copies in .tools/bin (scripts/install-tools.sh),
// else the PATH.
import { existsSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

export function findTool(name: string): string | undefined {
  const pinned = join(REPO_ROOT, ".tools", "bin", name);
  if (existsSync(pinned)) return pinned;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** ../shared/schemas beside the repository (read-only validation data). */
export const SHARED_SCHEMAS = resolve(REPO_ROOT, "..", "shared", "schemas");
