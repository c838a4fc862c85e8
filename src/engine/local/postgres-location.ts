// Where an environment's PostgreSQL cluster lives. Normally `.gantry/<env>/postgres/data`. But when
// Gantry runs as root, PostgreSQL runs as the `postgres` user (it refuses root), and that user cannot
// reach a cluster in an app directory it may not pass through (`mktemp -d` makes 0700 folders, /root
// is 0700): then the cluster is made under /var/lib/gantry/, which it can reach, and the environment
// records where, so that every command finds it and `gantry destroy` deletes it with the rest.
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { canTraverse, type RunAs } from "./infra.js";
import type { EnvPaths } from "./paths.js";

/** Where clusters go that the postgres user could not reach in their app. */
export const OUTSIDE_ROOT = "/var/lib/gantry";

/** The file that names a cluster made outside the app. */
const markerFile = (p: EnvPaths) => join(p.postgres, "location");

/** The cluster's directory made outside the app, if it was. */
export function postgresOutside(p: EnvPaths): string | undefined {
  try {
    return readFileSync(markerFile(p), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The data directory of PostgreSQL of an environment. */
export function postgresDataDir(p: EnvPaths): string {
  return postgresOutside(p) ?? join(p.postgres, "data");
}

/**
 * The data directory to run the cluster in as `owner` (undefined: as the current user). A new
 * cluster the owner could not reach in the app is placed under OUTSIDE_ROOT.
 */
export function placePostgresData(p: EnvPaths, owner: RunAs | undefined, root = OUTSIDE_ROOT): string {
  const current = postgresDataDir(p);
  if (!owner || postgresOutside(p) || existsSync(join(current, "PG_VERSION")) || canTraverse(current, owner))
    return current;
  let real = p.dir;
  try {
    real = realpathSync(p.dir);
  } catch {
    /* not made yet: its name is as good */
  }
  const dir = join(root, createHash("sha256").update(real).digest("hex").slice(0, 16), "data");
  // Reachable by the owner (0755 above it); the cluster's own directory is private (privateDir).
  mkdirSync(root, { recursive: true });
  chmodSync(root, 0o755);
  mkdirSync(p.postgres, { recursive: true });
  writeFileSync(markerFile(p), dir + "\n");
  return dir;
}

/** Deletes a cluster made outside the app (`gantry destroy`). */
export function removePostgresOutside(p: EnvPaths): void {
  const dir = postgresOutside(p);
  if (dir) rmSync(join(dir, ".."), { recursive: true, force: true });
}
