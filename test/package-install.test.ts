// Gantry on someone else's app: the package `npm pack` makes installs into an empty prefix without
// the registry (its dependencies are bundled), and its `gantry` command works in a directory outside
// this repository. Also the clone itself installed with `npm install -g <clone>` (a link to it).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./helpers.js";

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  name: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  bundleDependencies: string[];
};

/** Runs a command with a cache of its own, so nothing comes from this machine's npm cache. */
function run(cmd: string, args: string[], cwd: string, cache: string): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, npm_config_cache: cache, npm_config_update_notifier: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 180_000,
  });
}

describe("the packed CLI, installed outside the repository", () => {
  let tmp = "";
  let tarball = "";
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), "gantry-pack-"));
    // `npm pack` runs the prepare script, which compiles dist/ as `npm install` does.
    run("npm", ["pack", "--pack-destination", tmp], REPO_ROOT, join(tmp, "cache"));
    tarball = join(
      tmp,
      readdirSync(tmp).find((f) => f.endsWith(".tgz"))!,
    );
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("has a name the project can publish, keeps the `gantry` command and bundles its dependencies", () => {
    assert.match(
      pkg.name,
      /^@[a-z0-9-]+\/[a-z0-9-]+$/,
      "a scoped name: `gantry` on the registry is not ours",
    );
    assert.deepEqual(Object.keys(pkg.bin), ["gantry"]);
    assert.deepEqual([...pkg.bundleDependencies].sort(), Object.keys(pkg.dependencies).sort());
    const listed = run("tar", ["tzf", tarball], tmp, join(tmp, "cache")).split("\n");
    assert.ok(listed.includes("package/dist/cli/main.js"), "the compiled CLI is in the package");
    assert.ok(listed.includes("package/schema/gantry.schema.json"));
    assert.ok(listed.includes("package/node_modules/yaml/package.json"), "dependencies are bundled");
    assert.deepEqual(
      // Sources, tests and our own source maps stay out (the bundled dependencies keep theirs).
      listed.filter((f) => /^package\/(src|test|bench|examples)\/|^package\/dist\/.*\.map$/.test(f)),
      [],
    );
  });

  it("installs offline into an empty prefix and runs init and validate in another directory", () => {
    const prefix = join(tmp, "prefix");
    run(
      "npm",
      ["install", "--global", "--offline", "--no-audit", "--no-fund", "--prefix", prefix, tarball],
      tmp,
      join(tmp, "cache"),
    );
    const gantry = join(prefix, "bin", "gantry");
    const app = join(tmp, "shop");
    mkdirSync(app);
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify({ name: "shop", version: "1.0.0", scripts: { start: "node server.js" } }),
    );
    writeFileSync(
      join(app, "server.js"),
      'require("node:http").createServer((q, s) => s.end("ok")).listen(process.env.PORT);\n',
    );
    assert.match(run(gantry, ["init"], app, join(tmp, "cache")), /^wrote gantry\.yaml: shop \(http, \.\)/);
    assert.match(
      run(gantry, ["validate"], app, join(tmp, "cache")),
      /^gantry\.yaml: valid: .*1 HTTP service/,
    );
    assert.equal(run(gantry, ["--version"], app, join(tmp, "cache")).trim(), "0.1.0");
  });

  it("installs from the clone itself, as a link to it", () => {
    const prefix = join(tmp, "linked");
    run("npm", ["install", "--global", "--offline", "--prefix", prefix, REPO_ROOT], tmp, join(tmp, "cache"));
    assert.equal(run(join(prefix, "bin", "gantry"), ["--version"], tmp, join(tmp, "cache")).trim(), "0.1.0");
  });
});
