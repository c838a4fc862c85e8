// What `gantry init` reads of an app's directory: files (small ones only), the source files under a
// directory, the health route and the port they name, and files found upwards towards the app's root.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";

/** Directories that hold no service of the app's own: dependencies, builds, virtual environments. */
export const SKIP = new Set([
  "node_modules",
  ".git",
  "dist",
  "build",
  ".venv",
  "venv",
  "env",
  "__pycache__",
  ".gantry",
  "vendor",
  "target",
  ".next",
  "coverage",
]);

export function read(path: string): string | undefined {
  try {
    return statSync(path).size < 512 * 1024 ? readFileSync(path, "utf8") : undefined;
  } catch {
    return undefined;
  }
}

export function slug(s: string): string {
  const n = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .replace(/^[^a-z]+/, "");
  return (n || "app").slice(0, 40).replace(/-+$/, "");
}

/** POSIX-style path of `path` relative to `from`. */
export function posix(from: string, path: string): string {
  return relative(from, path).split(sep).join("/");
}

// Health routes an app may define, most specific first. Only a path found in the app's own source is
// written: a guessed /health that the app does not answer fails its first `gantry up` after a minute.
const HEALTH_PATHS = ["/health", "/healthz", "/healthcheck", "/ready", "/readyz", "/livez", "/ping"];
const SOURCE = /\.(?:[cm]?[jt]sx?|py|go)$/;

export interface SourceFile {
  /** POSIX path relative to the directory searched. */
  path: string;
  text: string;
}

/** The source files under dir (a few levels deep, at most 300 files), read once per directory. */
const sources = new Map<string, SourceFile[]>();
export function sourceFiles(dir: string): SourceFile[] {
  const cached = sources.get(dir);
  if (cached) return cached;
  const files: SourceFile[] = [];
  const walk = (d: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const e of entries) {
      if (files.length >= 300 || SKIP.has(e) || e.startsWith(".")) continue;
      const p = join(d, e);
      if (SOURCE.test(e)) files.push({ path: posix(dir, p), text: read(p) ?? "" });
      else if (depth < 3 && !e.includes(".")) walk(p, depth + 1);
    }
  };
  walk(dir, 0);
  sources.set(dir, files);
  return files;
}

export function sourceTexts(dir: string): string[] {
  return sourceFiles(dir).map((f) => f.text);
}

/** Forgets what was read: the files may have changed since the last `detect`. */
export function forgetSources(): void {
  sources.clear();
}

/** The first health route quoted in the app's source. */
function healthPath(dir: string): string | undefined {
  const found = new Set<string>();
  for (const text of sourceTexts(dir))
    for (const m of text.matchAll(/["'`](\/[a-z-]+)["'`]/g)) found.add(m[1]!);
  return HEALTH_PATHS.find((h) => found.has(h));
}

export function withHealth(dir: string): { health?: string } {
  const health = healthPath(dir);
  return health ? { health } : {};
}

export function exposedPort(dir: string): number | undefined {
  const m = /^\s*EXPOSE\s+(\d+)/im.exec(read(join(dir, "Dockerfile")) ?? "");
  return m ? Number(m[1]) : undefined;
}

/** The first of `names` in `dir` or a directory above it, up to `root`: its full path. */
export function findUp(dir: string, root: string, names: readonly string[]): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const found = names.map((n) => join(d, n)).find((p) => existsSync(p));
    if (found) return found;
    if (d === root || dirname(d) === d || !d.startsWith(root)) return undefined;
  }
}
