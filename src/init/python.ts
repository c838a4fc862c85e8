// Python services: the framework (FastAPI, Django, Flask, Celery, or a server on the standard
// library), the module its server loads, found in the code (`app = FastAPI()` in src/shop/main.py is
// `shop.main:app`, with src/ as the directory to import from), the migration tool (Alembic, Django),
// and the virtual environment the commands run from on this machine.
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import type { DetectedService } from "./detect.js";
import { exposedPort, posix, read, slug, sourceFiles, withHealth } from "./files.js";

// The module a plain Python project starts from, first found wins.
const PY_ENTRIES = ["app/main.py", "main.py", "app.py", "server.py", "run.py"];
const VENVS = [".venv", "venv", "env"];

/** A module to load, and the directory it is imported from (relative to the service), if not its own. */
interface AppModule {
  module: string;
  dir?: string;
}

/** `src/shop/main.py` → `shop.main` imported from `src`; `app/main.py` → `app.main`. */
function moduleOf(path: string, attribute: string): AppModule {
  const dotted = path.replace(/\.py$/, "").split("/");
  if (dotted.at(-1) === "__init__") dotted.pop();
  const inSrc = dotted[0] === "src" && dotted.length > 1;
  return {
    module: `${(inSrc ? dotted.slice(1) : dotted).join(".")}:${attribute}`,
    ...(inSrc ? { dir: "src" } : {}),
  };
}

/** The module that creates the app object (`app = FastAPI(...)`, or Flask's `create_app()` factory). */
function appModule(dir: string, classes: string): AppModule | undefined {
  const made = new RegExp(`^(\\w+)\\s*(?::[^=]+)?=\\s*(?:${classes})\\(`, "m");
  const files = sourceFiles(dir).filter((f) => f.path.endsWith(".py"));
  for (const f of files) {
    const m = made.exec(f.text);
    if (m) return moduleOf(f.path, m[1]!);
  }
  const factory = files.find((f) => /^def create_app\(/m.test(f.text));
  return factory ? moduleOf(factory.path, "create_app()") : undefined;
}

/** Django's settings package: the directory of its wsgi.py. */
function djangoModule(dir: string): AppModule {
  const wsgi = sourceFiles(dir).find((f) => f.path.endsWith("/wsgi.py") || f.path === "wsgi.py");
  if (!wsgi) return { module: "project.wsgi" };
  const m = moduleOf(wsgi.path, "application");
  return { ...m, module: m.module.replace(/:application$/, "") };
}

/** The `bin/` of a virtual environment in the service's directory or the app's root, relative to the service. */
function venvBin(dir: string, root: string): string | undefined {
  for (const base of dir === root ? [dir] : [dir, root])
    for (const v of VENVS)
      if (existsSync(join(base, v, "bin", "python"))) return `${posix(dir, join(base, v, "bin")) || "."}/`;
  return undefined;
}

function server(reqs: string, fw: "fastapi" | "django" | "flask", app: AppModule, bin: string): string {
  if (fw === "fastapi")
    return `${bin}uvicorn ${app.module} --host 0.0.0.0 --port $PORT${app.dir ? ` --app-dir ${app.dir}` : ""}`;
  if (reqs.includes("gunicorn") || fw === "django")
    return `${bin}gunicorn ${app.module.includes("(") ? `'${app.module}'` : app.module} --bind 0.0.0.0:$PORT${app.dir ? ` --chdir ${app.dir}` : ""}`;
  return `${bin}flask --app ${app.dir ? `${app.dir}/` : ""}${app.module.split(":")[0]!.replace(/\./g, "/")} run --host 0.0.0.0 --port $PORT`;
}

function pythonMigrations(dir: string, reqs: string, bin: string): string | undefined {
  if (reqs.includes("alembic") && existsSync(join(dir, "alembic.ini"))) return `${bin}alembic upgrade head`;
  const manage = sourceFiles(dir).find((f) => basename(f.path) === "manage.py" && /django/i.test(f.text));
  if (manage) return `${bin}python ${manage.path} migrate`;
  return undefined;
}

export function python(dir: string, rel: string, root: string): DetectedService | undefined {
  const reqs =
    `${read(join(dir, "requirements.txt")) ?? ""}\n${read(join(dir, "pyproject.toml")) ?? ""}`.toLowerCase();
  if (reqs.trim() === "") return undefined;
  const dockerfile = existsSync(join(dir, "Dockerfile"));
  // Commands from the virtual environment, which `gantry up` does not activate; an image has its own.
  const bin = dockerfile ? "" : (venvBin(dir, root) ?? "");
  const base = {
    name: slug(basename(dir)),
    dir: rel,
    stack: "python" as const,
    dockerfile,
    install: existsSync(join(dir, "requirements.txt")) ? "pip install -r requirements.txt" : "pip install .",
    test: "pytest",
    lint: "ruff check .",
  };
  const migrate = pythonMigrations(dir, reqs, bin);
  const withMigrations = migrate ? { migrations: migrate } : {};
  const entry = PY_ENTRIES.find((f) => existsSync(join(dir, f)));
  const fallback: AppModule = {
    module: `${entry ? entry.replace(/\.py$/, "").replace("/", ".") : "app"}:app`,
  };
  const web = (["fastapi", "django", "flask"] as const).find((f) => reqs.includes(f));
  if (web) {
    const app =
      web === "django"
        ? djangoModule(dir)
        : (appModule(dir, web === "fastapi" ? "FastAPI|Starlette" : "Flask") ?? fallback);
    return {
      ...base,
      kind: "http",
      framework: web,
      port: exposedPort(dir) ?? (web === "flask" ? 5000 : 8000),
      command: server(reqs, web, app, bin),
      ...withMigrations,
      ...withHealth(dir),
    };
  }
  if (reqs.includes("celery")) {
    const celery = appModule(dir, "Celery") ?? { module: "app" };
    const workdir = celery.dir ? ` --workdir ${celery.dir}` : "";
    return {
      ...base,
      kind: "worker",
      framework: "celery",
      command: `${bin}celery${workdir} -A ${celery.module} worker --loglevel=info`,
      ...withMigrations,
    };
  }
  const module = fallback.module.replace(/:app$/, "");
  // A server on the standard library (http.server, wsgiref) or one that reads PORT is an HTTP service.
  const source = entry ? (read(join(dir, entry)) ?? "") : "";
  const kind = /\b(?:http\.server|HTTPServer|wsgiref|aiohttp|uvicorn\.run)\b|["']PORT["']/.test(source)
    ? "http"
    : "worker";
  return {
    ...base,
    kind,
    ...(kind === "http" ? { port: exposedPort(dir) ?? 8000, ...withHealth(dir) } : {}),
    command: `${bin}python -m ${module}`,
    ...withMigrations,
  };
}
