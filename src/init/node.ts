// Node.js services: the package manager (from the lock file or package.json's packageManager), the
// kind of service (a server framework, a frontend with a build, a worker whose code never listens),
// the commands, and the migration tool (Prisma, Drizzle, Knex).
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { DetectedService } from "./detect.js";
import { exposedPort, findUp, read, slug, sourceTexts, withHealth } from "./files.js";

interface PackageJson {
  name?: string;
  main?: string;
  packageManager?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** How a package manager installs, runs a script and runs a dependency's command. */
export interface PackageManager {
  name: "npm" | "pnpm" | "yarn";
  install: string;
  run: (script: string) => string;
  exec: string;
}

const NPM_RUN = (script: string) =>
  script === "start" || script === "test" ? `npm ${script}` : `npm run ${script}`;

function manager(name: PackageManager["name"], locked: boolean, berry: boolean): PackageManager {
  if (name === "pnpm")
    return {
      name,
      install: locked ? "pnpm install --frozen-lockfile" : "pnpm install",
      run: (s) => (s === "start" || s === "test" ? `pnpm ${s}` : `pnpm run ${s}`),
      exec: "pnpm exec",
    };
  if (name === "yarn")
    return {
      name,
      install: locked
        ? berry
          ? "yarn install --immutable"
          : "yarn install --frozen-lockfile"
        : "yarn install",
      run: (s) => (s === "start" || s === "test" ? `yarn ${s}` : `yarn run ${s}`),
      exec: "yarn",
    };
  return { name, install: locked ? "npm ci" : "npm install", run: NPM_RUN, exec: "npx" };
}

const LOCKS: [string, PackageManager["name"]][] = [
  ["pnpm-lock.yaml", "pnpm"],
  ["yarn.lock", "yarn"],
  ["package-lock.json", "npm"],
  ["npm-shrinkwrap.json", "npm"],
];

/**
 * The package manager of the package in `dir`: its lock file, here or in a workspace root above it
 * (up to `root`), else package.json's `packageManager`, else npm.
 */
export function packageManager(dir: string, root: string, pkg: PackageJson): PackageManager {
  const lock = findUp(
    dir,
    root,
    LOCKS.map(([f]) => f),
  );
  const declared = (pkg.packageManager ?? rootPackage(root).packageManager ?? "").split("@");
  const name = lock
    ? LOCKS.find(([f]) => basename(lock) === f)![1]
    : ((["pnpm", "yarn"] as const).find((n) => n === declared[0]) ?? "npm");
  // Yarn 2 and later (berry) spell a frozen install differently.
  const berry =
    name === "yarn" &&
    (Number(declared[1]?.split(".")[0] ?? 1) >= 2 || findUp(dir, root, [".yarnrc.yml"]) !== undefined);
  return manager(name, lock !== undefined, berry);
}

function rootPackage(root: string): PackageJson {
  try {
    return JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as PackageJson;
  } catch {
    return {};
  }
}

/** The migration command of the package's ORM or query builder, run with the package manager. */
function migrations(dir: string, has: (d: string) => boolean, pm: PackageManager): string | undefined {
  const any = (files: string[]) => files.some((f) => existsSync(join(dir, f)));
  if (has("prisma") && any(["prisma/schema.prisma", "schema.prisma"]))
    return `${pm.exec} prisma migrate deploy`;
  if (has("drizzle-kit") && any(["drizzle.config.ts", "drizzle.config.js", "drizzle.config.mjs"]))
    return `${pm.exec} drizzle-kit migrate`;
  if (has("knex") && any(["knexfile.js", "knexfile.ts", "knexfile.cjs", "knexfile.mjs"]))
    return `${pm.exec} knex migrate:latest`;
  return undefined;
}

/** The file a Node server without a start script runs: package.json's main, else a usual name. */
function nodeEntry(dir: string, main: string | undefined): string {
  if (main && existsSync(join(dir, main))) return main;
  return (
    ["index.js", "server.js", "app.js", "main.js", "src/index.js", "src/server.js"].find((f) =>
      existsSync(join(dir, f)),
    ) ?? "index.js"
  );
}

const SERVERS = [
  "express",
  "fastify",
  "koa",
  "@nestjs/core",
  "hono",
  "@hapi/hapi",
  "next",
  "@remix-run/node",
  "nuxt",
];
const FRONTENDS = ["vite", "react-scripts", "@angular/core", "vue", "svelte", "astro", "parcel"];

export function node(dir: string, rel: string, root: string): DetectedService | undefined {
  const text = read(join(dir, "package.json"));
  if (!text) return undefined;
  let pkg: PackageJson;
  try {
    pkg = JSON.parse(text) as PackageJson;
  } catch {
    return undefined;
  }
  const deps = { ...(pkg.dependencies ?? {}), ...(pkg.devDependencies ?? {}) };
  const scripts = pkg.scripts ?? {};
  const has = (d: string) => d in deps;
  const pm = packageManager(dir, root, pkg);
  const base: Omit<DetectedService, "kind"> = {
    name: slug(rel === "." ? (pkg.name ?? basename(dir)) : basename(dir)),
    dir: rel,
    stack: "node",
    dockerfile: existsSync(join(dir, "Dockerfile")),
    install: pm.install,
    ...(scripts.test ? { test: pm.run("test") } : {}),
    ...(scripts.lint ? { lint: pm.run("lint") } : {}),
    ...(scripts.typecheck
      ? { typecheck: pm.run("typecheck") }
      : has("typescript")
        ? { typecheck: `${pm.exec} tsc --noEmit` }
        : {}),
  };
  const build = scripts.build ? { buildCommand: pm.run("build") } : {};
  const isServer = SERVERS.find(has);
  const isStatic = !isServer ? FRONTENDS.find(has) : undefined;
  if (isStatic && scripts.build) {
    return {
      ...base,
      kind: "static",
      spa: true,
      framework: isStatic,
      ...build,
      output: isStatic === "react-scripts" ? "build" : "dist",
    };
  }
  const migrate = migrations(dir, has, pm);
  const running = { command: pm.run("start"), ...build, ...(migrate ? { migrations: migrate } : {}) };
  // A start script that runs the app's own code, which never listens, is a worker (a queue consumer).
  if (
    !isServer &&
    scripts.start &&
    /^(?:node|tsx|ts-node|nodemon)\s/.test(scripts.start) &&
    !sourceTexts(dir).some((t) => /\.listen\(|createServer\(/.test(t))
  )
    return { ...base, kind: "worker", ...running };
  if (!isServer && !scripts.start) return undefined;
  const port =
    exposedPort(dir) ??
    (isServer === "next" || isServer === "@nestjs/core" || isServer === "express" ? 3000 : 8080);
  return {
    ...base,
    kind: "http",
    ...(isServer ? { framework: isServer } : {}),
    port,
    ...running,
    ...(scripts.start ? {} : { command: `node ${nodeEntry(dir, pkg.main)}` }),
    ...withHealth(dir),
  };
}
