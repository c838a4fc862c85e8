// Builds the static site: copies src/ to dist/ and writes dist/build.json listing every file with its size and
// SHA-256. Plain Node, no dependencies, deterministic output (sorted, no timestamps).
import { createHash } from "node:crypto";
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, posix, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = join(here, "src");
const distDir = join(here, "dist");

async function listFiles(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = [];
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(full)));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}

await rm(distDir, { recursive: true, force: true });
const sources = (await listFiles(srcDir))
  .map((full) => relative(srcDir, full).split(sep).join(posix.sep))
  .sort();

const files = [];
for (const rel of sources) {
  const from = join(srcDir, ...rel.split(posix.sep));
  const to = join(distDir, ...rel.split(posix.sep));
  await mkdir(dirname(to), { recursive: true });
  await copyFile(from, to);
  const bytes = await readFile(to);
  files.push({ path: rel, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
}

await writeFile(join(distDir, "build.json"), JSON.stringify({ name: "hello-web", files }, null, 2) + "\n");
process.stdout.write(`hello-web: built ${files.length} files into ${relative(process.cwd(), distDir) || "."}\n`);
