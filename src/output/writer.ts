// The one writer. A target's tree is written completely or not at all: an owned directory is built
// next to the old one and swapped in with renames; files in a shared directory (.github/workflows)
// are each written to a temporary file and renamed over the old one. A manifest lists what Gantry
// wrote, so files it no longer generates are removed and --check can name them.
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { UserError } from "../errors.js";
import type { FileTree } from "../targets/target.js";

export const MANIFEST = ".gantry-manifest.json";

export interface Drift {
  changed: string[];
  missing: string[];
  extra: string[];
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join("/"));
    }
  };
  walk(dir);
  return out.sort();
}

function readManifest(dir: string): string[] | undefined {
  const p = join(dir, MANIFEST);
  if (!existsSync(p)) return undefined;
  try {
    const m = JSON.parse(readFileSync(p, "utf8")) as { files?: unknown };
    return Array.isArray(m.files) ? m.files.filter((f): f is string => typeof f === "string") : [];
  } catch {
    return [];
  }
}

function manifestText(tree: FileTree): string {
  return `${JSON.stringify({ generator: "gantry", note: "Files written by `gantry synth`; regenerate instead of editing.", files: Object.keys(tree).sort() }, null, 2)}\n`;
}

/** What differs between `tree` and the directory on disk. */
export function drift(dir: string, tree: FileTree, owned: boolean): Drift {
  const changed: string[] = [];
  const missing: string[] = [];
  for (const f of Object.keys(tree).sort()) {
    const p = join(dir, f);
    if (!existsSync(p)) missing.push(f);
    else if (readFileSync(p, "utf8") !== tree[f]) changed.push(f);
  }
  const previous = owned ? listFiles(dir).filter((f) => f !== MANIFEST) : (readManifest(dir) ?? []);
  const extra = previous.filter((f) => !(f in tree) && existsSync(join(dir, f)));
  return { changed, missing, extra };
}

export function writeTree(dir: string, tree: FileTree, owned: boolean): void {
  const full: FileTree = { ...tree, [MANIFEST]: manifestText(tree) };
  if (owned) {
    if (existsSync(dir) && readManifest(dir) === undefined && listFiles(dir).length > 0) {
      throw new UserError(
        `${dir} holds files Gantry did not write`,
        "choose another folder with --out, or move those files away first",
      );
    }
    const tmp = `${dir}.gantry-tmp-${process.pid}`;
    const old = `${dir}.gantry-old-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    for (const [f, content] of Object.entries(full)) {
      const p = join(tmp, f);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
    }
    mkdirSync(dirname(dir), { recursive: true });
    if (existsSync(dir)) renameSync(dir, old);
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
    return;
  }
  // Shared directory: stage every file first, then rename each into place, then remove stale ones.
  const previous = readManifest(dir) ?? [];
  const staged: [string, string][] = [];
  for (const [f, content] of Object.entries(full)) {
    const p = join(dir, f);
    mkdirSync(dirname(p), { recursive: true });
    const t = `${p}.gantry-tmp-${process.pid}`;
    writeFileSync(t, content);
    staged.push([t, p]);
  }
  for (const [t, p] of staged) renameSync(t, p);
  for (const f of previous) {
    const p = join(dir, f);
    if (!(f in full) && existsSync(p) && statSync(p).isFile()) rmSync(p);
  }
}

/**
 * What `writeTree` wrote in `dir` last time (the files its manifest lists), for comparing a new render
 * with it; empty when nothing was written there.
 */
export function readTree(dir: string): FileTree {
  const tree: FileTree = {};
  for (const f of readManifest(dir) ?? []) {
    const p = join(dir, f);
    if (existsSync(p) && statSync(p).isFile()) tree[f] = readFileSync(p, "utf8");
  }
  return tree;
}
