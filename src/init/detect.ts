// Looks at an application's directory and guesses its services: package.json scripts and
// frameworks, Python projects, Go modules, Dockerfiles, frontends with a build step, sites of plain files.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { basename, join, relative, sep } from "node:path";

export interface DetectedService {
  name: string;
  kind: "http" | "worker" | "static";
  /** Directory relative to the app root, POSIX style ("." for the root). */
  dir: string;
  stack: "node" | "python" | "go" | "other";
  framework?: string;
  port?: number;
  command?: string;
  buildCommand?: string;
  install?: string;
  output?: string;
  /** A single-page app: unknown paths get its index.html. */
  spa?: boolean;
  dockerfile: boolean;
  health?: string;
  test?: string;
  lint?: string;
  typecheck?: string;
}

export interface Detected {
  name: string;
  services: DetectedService[];
  postgres: boolean;
  redis: boolean;
}

const SKIP = new Set([
  "node_modules",
  ".git",
  "dist",
  "build",
  ".venv",
  "venv",
  "__pycache__",
  ".gantry",
  "vendor",
  "target",
  ".next",
  "coverage",
]);

function read(path: string): string | undefined {
  try {
    return statSync(path).size < 512 * 1024 ? readFileSync(path, "utf8") : undefined;
  } catch {
    return undefined;
  }
}

function slug(s: string): string {
  const n = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .replace(/^[^a-z]+/, "");
  return (n || "app").slice(0, 40).replace(/-+$/, "");
}

// Health routes an app may define, most specific first. Only a path found in the app's own source is
// written: a guessed /health that the app does not answer fails its first `gantry up` after a minute.
const HEALTH_PATHS = ["/health", "/healthz", "/healthcheck", "/ready", "/readyz", "/livez", "/ping"];
const SOURCE = /\.(?:[cm]?[jt]sx?|py|go)$/;

/** The source files under dir (a few levels deep, at most 300 files), read once per directory. */
const sources = new Map<string, string[]>();
function sourceTexts(dir: string): string[] {
  const cached = sources.get(dir);
  if (cached) return cached;
  const texts: string[] = [];
  const walk = (d: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const e of entries) {
      if (texts.length >= 300 || SKIP.has(e) || e.startsWith(".")) continue;
      const p = join(d, e);
      if (SOURCE.test(e)) texts.push(read(p) ?? "");
      else if (depth < 3 && !e.includes(".")) walk(p, depth + 1);
    }
  };
  walk(dir, 0);
  sources.set(dir, texts);
  return texts;
}

/** The first health route quoted in the app's source. */
function healthPath(dir: string): string | undefined {
  const found = new Set<string>();
  for (const text of sourceTexts(dir))
    for (const m of text.matchAll(/["'`](\/[a-z-]+)["'`]/g)) found.add(m[1]!);
  return HEALTH_PATHS.find((h) => found.has(h));
}

function withHealth(dir: string): { health?: string } {
  const health = healthPath(dir);
  return health ? { health } : {};
}

function exposedPort(dir: string): number | undefined {
  const m = /^\s*EXPOSE\s+(\d+)/im.exec(read(join(dir, "Dockerfile")) ?? "");
  return m ? Number(m[1]) : undefined;
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

function node(dir: string, rel: string): DetectedService | undefined {
  const text = read(join(dir, "package.json"));
  if (!text) return undefined;
  let pkg: {
    name?: string;
    main?: string;
    scripts?: Record<string, string>;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  try {
    pkg = JSON.parse(text) as typeof pkg;
  } catch {
    return undefined;
  }
  const deps = { ...(pkg.dependencies ?? {}), ...(pkg.devDependencies ?? {}) };
  const scripts = pkg.scripts ?? {};
  const has = (d: string) => d in deps;
  const base: Omit<DetectedService, "kind"> = {
    name: slug(rel === "." ? (pkg.name ?? basename(dir)) : basename(dir)),
    dir: rel,
    stack: "node",
    dockerfile: existsSync(join(dir, "Dockerfile")),
    install: existsSync(join(dir, "package-lock.json")) ? "npm ci" : "npm install",
    ...(scripts.test ? { test: "npm test" } : {}),
    ...(scripts.lint ? { lint: "npm run lint" } : {}),
    ...(scripts.typecheck
      ? { typecheck: "npm run typecheck" }
      : has("typescript")
        ? { typecheck: "npx tsc --noEmit" }
        : {}),
  };
  const isServer = [
    "express",
    "fastify",
    "koa",
    "@nestjs/core",
    "hono",
    "@hapi/hapi",
    "next",
    "@remix-run/node",
    "nuxt",
  ].find(has);
  const isStatic = !isServer
    ? ["vite", "react-scripts", "@angular/core", "vue", "svelte", "astro", "parcel"].find(has)
    : undefined;
  if (isStatic && scripts.build) {
    return {
      ...base,
      kind: "static",
      spa: true,
      framework: isStatic,
      buildCommand: "npm run build",
      output: isStatic === "react-scripts" ? "build" : "dist",
    };
  }
  // A start script that runs the app's own code, which never listens, is a worker (a queue consumer).
  if (
    !isServer &&
    scripts.start &&
    /^(?:node|tsx|ts-node|nodemon)\s/.test(scripts.start) &&
    !sourceTexts(dir).some((text) => /\.listen\(|createServer\(/.test(text))
  ) {
    return {
      ...base,
      kind: "worker",
      command: "npm start",
      ...(scripts.build ? { buildCommand: "npm run build" } : {}),
    };
  }
  if (isServer || scripts.start) {
    const port =
      exposedPort(dir) ??
      (isServer === "next" || isServer === "@nestjs/core" || isServer === "express" ? 3000 : 8080);
    return {
      ...base,
      kind: "http",
      ...(isServer ? { framework: isServer } : {}),
      port,
      command: scripts.start ? "npm start" : `node ${nodeEntry(dir, pkg.main)}`,
      ...(scripts.build ? { buildCommand: "npm run build" } : {}),
      ...withHealth(dir),
    };
  }
  return undefined;
}

// The module a plain Python project starts from, first found wins.
const PY_ENTRIES = ["app/main.py", "main.py", "app.py", "server.py", "run.py"];

function python(dir: string, rel: string): DetectedService | undefined {
  const reqs =
    `${read(join(dir, "requirements.txt")) ?? ""}\n${read(join(dir, "pyproject.toml")) ?? ""}`.toLowerCase();
  if (reqs.trim() === "") return undefined;
  const base = {
    name: slug(basename(dir)),
    dir: rel,
    stack: "python" as const,
    dockerfile: existsSync(join(dir, "Dockerfile")),
    install: existsSync(join(dir, "requirements.txt")) ? "pip install -r requirements.txt" : "pip install .",
    test: "pytest",
    lint: "ruff check .",
  };
  const entry = PY_ENTRIES.find((f) => existsSync(join(dir, f)));
  const module = entry ? entry.replace(/\.py$/, "").replace("/", ".") : "app";
  if (reqs.includes("fastapi")) {
    return {
      ...base,
      kind: "http",
      framework: "fastapi",
      port: exposedPort(dir) ?? 8000,
      command: `uvicorn ${module}:app --host 0.0.0.0 --port $PORT`,
      ...withHealth(dir),
    };
  }
  if (reqs.includes("django")) {
    const project = readdirSync(dir).find((d) => existsSync(join(dir, d, "wsgi.py"))) ?? "project";
    return {
      ...base,
      kind: "http",
      framework: "django",
      port: exposedPort(dir) ?? 8000,
      command: `gunicorn ${project}.wsgi --bind 0.0.0.0:$PORT`,
      ...withHealth(dir),
    };
  }
  if (reqs.includes("flask")) {
    return {
      ...base,
      kind: "http",
      framework: "flask",
      port: exposedPort(dir) ?? 5000,
      command: "gunicorn app:app --bind 0.0.0.0:$PORT",
      ...withHealth(dir),
    };
  }
  if (reqs.includes("celery"))
    return { ...base, kind: "worker", framework: "celery", command: "celery -A app worker --loglevel=info" };
  // A server on the standard library (http.server, wsgiref) or one that reads PORT is an HTTP service.
  const source = entry ? (read(join(dir, entry)) ?? "") : "";
  if (/\b(?:http\.server|HTTPServer|wsgiref|aiohttp|uvicorn\.run)\b|["']PORT["']/.test(source))
    return {
      ...base,
      kind: "http",
      port: exposedPort(dir) ?? 8000,
      command: `python -m ${module}`,
      ...withHealth(dir),
    };
  return { ...base, kind: "worker", command: `python -m ${module}` };
}

function golang(dir: string, rel: string): DetectedService | undefined {
  if (!existsSync(join(dir, "go.mod"))) return undefined;
  return {
    name: slug(basename(dir)),
    kind: "http",
    dir: rel,
    stack: "go",
    dockerfile: existsSync(join(dir, "Dockerfile")),
    port: exposedPort(dir) ?? 8080,
    command: "./server",
    buildCommand: "go build -o server .",
    install: "go mod download",
    test: "go test ./...",
    lint: "go vet ./...",
    ...withHealth(dir),
  };
}

function docker(dir: string, rel: string): DetectedService | undefined {
  if (!existsSync(join(dir, "Dockerfile"))) return undefined;
  const port = exposedPort(dir);
  return {
    name: slug(basename(dir)),
    kind: port ? "http" : "worker",
    dir: rel,
    stack: "other",
    dockerfile: true,
    ...(port ? { port, ...withHealth(dir) } : {}),
  };
}

export function detect(root: string): Detected {
  sources.clear(); // the files may have changed since the last call
  const services: DetectedService[] = [];
  const deps: string[] = [];
  const visit = (dir: string, depth: number) => {
    const rel = relative(root, dir).split(sep).join("/") || ".";
    const found = node(dir, rel) ?? python(dir, rel) ?? golang(dir, rel) ?? docker(dir, rel);
    if (found) {
      services.push(found);
      deps.push(
        read(join(dir, "package.json")) ?? "",
        read(join(dir, "requirements.txt")) ?? "",
        read(join(dir, "pyproject.toml")) ?? "",
        read(join(dir, "go.mod")) ?? "",
      );
    }
    if (depth >= 2) return;
    let entries: string[] = [];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const e of entries) {
      if (SKIP.has(e) || e.startsWith(".")) continue;
      const p = join(dir, e);
      try {
        if (statSync(p).isDirectory()) visit(p, depth + 1);
      } catch {
        // unreadable entries are not services
      }
    }
  };
  visit(root, 0);
  // A site of plain files: an index.html at the root or in public/, when nothing else runs.
  if (services.length === 0) {
    const output = ["index.html", "public/index.html"].find((f) => existsSync(join(root, f)));
    if (output)
      services.push({
        name: "web",
        kind: "static",
        dir: ".",
        stack: "other",
        framework: "html",
        dockerfile: false,
        output: output === "index.html" ? "." : "public",
        // Pages of their own: an unknown path is a 404, not the home page.
        spa: false,
      });
  }
  // A root package.json of a monorepo is not a service when services were found below it.
  const below = services.filter((s) => s.dir !== ".");
  const list = below.length > 0 ? below : services;
  const seen = new Set<string>();
  // Ports must differ too (a spec with two services on one port does not validate): two Node services
  // without an EXPOSE both default to 8080, so the second gets 8081.
  const ports = new Set<number>();
  for (const s of list) {
    let n = s.name;
    for (let i = 2; seen.has(n); i++) n = `${s.name}-${i}`;
    s.name = n;
    seen.add(n);
    if (s.port === undefined) continue;
    while (ports.has(s.port)) s.port++;
    ports.add(s.port);
  }
  const all = deps.join("\n").toLowerCase();
  return {
    name: slug(basename(root)),
    services: list,
    postgres:
      /\b(pg|postgres|psycopg2?|psycopg|asyncpg|prisma|sqlalchemy|typeorm|sequelize|knex|pgx|lib\/pq)\b/.test(
        all,
      ),
    redis: /\b(redis|ioredis|bullmq|go-redis)\b/.test(all),
  };
}
