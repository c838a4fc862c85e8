// Releases: immutable copies of the built app under `.gantry/<env>/releases/<id>/app`, with the
// resolved model they were built from and the secret versions they run with. A record's status moves
// building → built → deploying → active → superseded, or to failed with the reason.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  copyFileSync,
  chmodSync,
  statSync,
  realpathSync,
} from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { AppModel } from "../../model/types.js";
import { UserError } from "../../errors.js";
import { isDirectory, readJson, writeJsonAtomic } from "./fsutil.js";
import { KEEP_RELEASES, type DeployPlan } from "./plan.js";
import { releaseDir, type EnvPaths } from "./paths.js";

export type ReleaseStatus = "building" | "built" | "deploying" | "active" | "failed" | "superseded";

export interface ReleaseRecord {
  id: string;
  createdAt: string;
  status: ReleaseStatus;
  reason?: string;
  /** When the record last changed status. */
  updatedAt: string;
  /** Times this release became the serving one (a rollback to it adds one). */
  activations: string[];
  secrets: Record<string, number>;
  model: AppModel;
  /** The plan of its last rollout, as the supervisor ran it (a rollback's, after one). */
  plan?: DeployPlan;
  /** The backup taken just before its migrations ran: the data the release before it served with. */
  restorePoint?: string;
}

export function releaseFile(p: EnvPaths, id: string): string {
  return join(releaseDir(p, id), "release.json");
}

export function readRelease(p: EnvPaths, id: string): ReleaseRecord | undefined {
  return readJson<ReleaseRecord>(releaseFile(p, id));
}

export function writeRelease(p: EnvPaths, r: ReleaseRecord): void {
  writeJsonAtomic(releaseFile(p, r.id), r);
}

export function updateRelease(
  p: EnvPaths,
  id: string,
  change: Partial<ReleaseRecord>,
): ReleaseRecord | undefined {
  const r = readRelease(p, id);
  if (!r) return undefined;
  const next: ReleaseRecord = { ...r, ...change, updatedAt: new Date().toISOString() };
  writeRelease(p, next);
  return next;
}

function releaseNumber(id: string): number {
  const m = /^v(\d+)$/.exec(id);
  return m ? Number(m[1]) : 0;
}

/** The ids of the releases' directories, oldest first. */
export function releaseIds(p: EnvPaths): string[] {
  if (!existsSync(p.releases)) return [];
  return readdirSync(p.releases)
    .filter((d) => /^v\d+$/.test(d))
    .sort((a, b) => releaseNumber(a) - releaseNumber(b));
}

/** Every release whose record can be read, oldest first (`gantry releases` also names the others). */
export function listReleases(p: EnvPaths): ReleaseRecord[] {
  return releaseIds(p)
    .map((id) => readRelease(p, id))
    .filter((r): r is ReleaseRecord => r !== undefined);
}

/**
 * Deletes the copies of the app of releases older than the newest `keep`, except those in use (the
 * serving release, instances still running, a job run going on); their records stay, so `gantry
 * releases` keeps the history and a rollback to one says its copy is gone. Without this every deploy
 * adds a copy of the app, forever. Returns the releases pruned.
 */
export async function pruneReleases(
  p: EnvPaths,
  inUse: ReadonlySet<string>,
  keep = KEEP_RELEASES,
): Promise<string[]> {
  const pruned: string[] = [];
  for (const r of listReleases(p).slice(0, -keep)) {
    const app = join(releaseDir(p, r.id), "app");
    if (inUse.has(r.id) || !existsSync(app)) continue;
    // Off the event loop: the supervisor runs the proxy.
    await rm(app, { recursive: true, force: true });
    pruned.push(r.id);
  }
  return pruned;
}

export function nextReleaseId(p: EnvPaths): string {
  const ids = existsSync(p.releases) ? readdirSync(p.releases).map(releaseNumber) : [];
  return `v${Math.max(0, ...ids) + 1}`;
}

const SKIP = new Set([".gantry", ".git"]);

/** Whether dir is a Python virtual environment (.venv, venv, ...): it holds a pyvenv.cfg. */
export function isVirtualEnv(dir: string): boolean {
  return existsSync(join(dir, "pyvenv.cfg"));
}

/**
 * Copies the app directory into a release. `node_modules` folders and Python virtual environments are
 * linked, not copied: they are large and installed, not built. A symlink to something inside the app points at the release's own
 * copy of it (an absolute link would otherwise reach into the live app, and the release would change
 * with it); a link that leaves the app is made absolute, so it resolves from the release as it did
 * from the app.
 */
export function copyApp(from: string, to: string): number {
  let files = 0;
  const walk = (src: string, dst: string) => {
    mkdirSync(dst, { recursive: true });
    for (const name of readdirSync(src)) {
      if (SKIP.has(name)) continue;
      const s = join(src, name);
      const d = join(dst, name);
      const st = lstatSync(s);
      if (
        (name === "node_modules" && (st.isDirectory() || st.isSymbolicLink())) ||
        // A Python virtual environment (.venv, venv, ...): installed, large, and its scripts run the
        // interpreter at its original path anyway.
        (st.isDirectory() && isVirtualEnv(s))
      ) {
        symlinkSync(realpathSync(s), d);
      } else if (st.isSymbolicLink()) {
        const target = resolve(dirname(s), readlinkSync(s));
        const inApp = relative(from, target);
        const inside = inApp !== ".." && !inApp.startsWith(`..${sep}`) && !isAbsolute(inApp);
        symlinkSync(inside ? relative(dirname(d), join(to, inApp)) || "." : target, d);
      } else if (st.isDirectory()) {
        walk(s, d);
      } else if (st.isFile()) {
        copyFileSync(s, d);
        chmodSync(d, statSync(s).mode & 0o777);
        files++;
      }
    }
  };
  walk(from, to);
  return files;
}

/** Marks releases that a killed command left half-done as failed. */
export function recoverReleases(p: EnvPaths, serving: string | undefined): string[] {
  const fixed: string[] = [];
  for (const r of listReleases(p)) {
    if ((r.status === "building" || r.status === "deploying") && r.id !== serving) {
      updateRelease(p, r.id, { status: "failed", reason: `interrupted while ${r.status}` });
      fixed.push(r.id);
    }
  }
  return fixed;
}

/**
 * The release that served when the app last ran (`gantry up` resumes it): the state's, else the one
 * recorded active; undefined when none did, or its copy of the app is gone.
 */
export function lastServing(p: EnvPaths, recorded: string | undefined): ReleaseRecord | undefined {
  const all = listReleases(p);
  const r =
    all.find((x) => x.id === recorded && x.status === "active") ?? all.findLast((x) => x.status === "active");
  return r && !cannotRollBackTo(p, r) ? r : undefined;
}

export function releaseById(p: EnvPaths, id: string): ReleaseRecord {
  const r = readRelease(p, id);
  if (!r) throw new UserError(`there is no release ${id}`, "run `gantry releases` to list them");
  return r;
}

/**
 * Why a rollback cannot go to a release, else undefined. Only a release that has served can: one that
 * failed to build or was never activated may have no copy of the app, and a rollout to it would fail
 * with a confusing error and overwrite the reason it failed with.
 */
export function cannotRollBackTo(p: EnvPaths, r: ReleaseRecord): string | undefined {
  if (r.activations.length === 0)
    return `it never served (status ${r.status}${r.reason ? `: ${r.reason}` : ""})`;
  const app = join(releaseDir(p, r.id), "app");
  if (!isDirectory(app))
    return `its copy of the app, ${join(".gantry", p.env, "releases", r.id, "app")}/, is missing`;
  return undefined;
}

/** The release `gantry rollback <id>` goes to; a UserError when it is not one that can serve again. */
export function rollbackTarget(p: EnvPaths, id: string, serving: string | undefined): ReleaseRecord {
  const r = releaseById(p, id);
  if (r.id === serving) throw new UserError(`${id} is already serving`);
  const why = cannotRollBackTo(p, r);
  if (!why) return r;
  const candidates = listReleases(p)
    .filter((x) => x.id !== serving && !cannotRollBackTo(p, x))
    .map((x) => x.id);
  throw new UserError(
    `cannot roll back to ${id}: ${why}`,
    candidates.length > 0
      ? `releases that served and can be rolled back to: ${candidates.join(", ")} (see \`gantry releases\`)`
      : "no other release has served yet; see `gantry releases`",
  );
}
