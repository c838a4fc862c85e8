// Looks at an application's directory and guesses its services: package.json scripts and
// frameworks (node.ts), Python projects (python.ts), Go modules, Dockerfiles, frontends with a build
// step, sites of plain files; and which of them use a database or a cache.
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { SKIP, exposedPort, forgetSources, posix, read, slug, withHealth } from "./files.js";
import { node } from "./node.js";
import { python } from "./python.js";

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
  /** The command that migrates its database (Alembic, Django, Prisma, Drizzle, Knex). */
  migrations?: string;
  /** Its own dependencies name a PostgreSQL or Redis client: it `uses` them. */
  postgres?: boolean;
  redis?: boolean;
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

/** Web servers and reverse proxies: an image of one serves HTTP, and never uses the app's database. */
const WEB_SERVERS =
  /^(?:[\w.-]+\/)*(nginx|nginx-unprivileged|openresty|caddy|traefik|haproxy|httpd|envoy)(?:[:@]|$)/;

function docker(dir: string, rel: string): DetectedService | undefined {
  const text = read(join(dir, "Dockerfile"));
  if (text === undefined) return undefined;
  // The image the container runs: the last stage's.
  const from = [...text.matchAll(/^\s*FROM\s+(?:--\S+\s+)*(\S+)/gim)].at(-1)?.[1]?.toLowerCase() ?? "";
  const server = WEB_SERVERS.exec(from)?.[1];
  const port = exposedPort(dir) ?? (server ? 80 : undefined);
  return {
    name: slug(basename(dir)),
    kind: port ? "http" : "worker",
    dir: rel,
    stack: "other",
    ...(server ? { framework: server } : {}),
    dockerfile: true,
    ...(port ? { port, ...withHealth(dir) } : {}),
  };
}

const POSTGRES_CLIENTS =
  /\b(pg|postgres|psycopg2?|psycopg|asyncpg|prisma|sqlalchemy|typeorm|sequelize|knex|drizzle-orm|pgx|lib\/pq|dj-database-url)\b/;
const REDIS_CLIENTS = /\b(redis|ioredis|bullmq|go-redis)\b/;

/** What the dependency files in `dir` name, lower case. */
function dependencies(dir: string): string {
  return ["package.json", "requirements.txt", "pyproject.toml", "go.mod"]
    .map((f) => read(join(dir, f)) ?? "")
    .join("\n")
    .toLowerCase();
}

export function detect(root: string): Detected {
  forgetSources();
  const services: DetectedService[] = [];
  const visit = (dir: string, depth: number) => {
    const rel = posix(root, dir) || ".";
    const found = node(dir, rel, root) ?? python(dir, rel, root) ?? golang(dir, rel) ?? docker(dir, rel);
    if (found) {
      // A service uses a database or cache when its own dependencies name a client for it (or it
      // migrates one): a web server in front, or a frontend, does not.
      const deps = dependencies(dir);
      found.postgres =
        found.kind !== "static" && (POSTGRES_CLIENTS.test(deps) || found.migrations !== undefined);
      found.redis = found.kind !== "static" && REDIS_CLIENTS.test(deps);
      services.push(found);
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
  return {
    name: slug(basename(root)),
    services: list,
    postgres: list.some((s) => s.postgres),
    redis: list.some((s) => s.redis),
  };
}
