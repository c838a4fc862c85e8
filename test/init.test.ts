// gantry init detects services and writes a commented starter spec that validates.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadSpec } from "../src/model/load.js";
import type { AnyServiceModel } from "../src/model/types.js";
import { runCli, tempDir } from "./helpers.js";

/** Runs `gantry init` on `files` and reads back the services of the spec it wrote (production). */
async function initServices(
  files: Record<string, string>,
): Promise<{ services: Record<string, AnyServiceModel>; text: string }> {
  const { dir, cleanup } = tempDir(files);
  try {
    const r = await runCli(["init", dir]);
    assert.equal(r.code, 0, r.err);
    const text = readFileSync(join(dir, "gantry.yaml"), "utf8");
    return { services: loadSpec("gantry.yaml", text, "production").project.environments[0]!.services, text };
  } finally {
    cleanup();
  }
}

/** A service's command, migration command, CI install command and `uses`, to compare at a glance. */
function summary(s: AnyServiceModel | undefined) {
  assert.ok(s && s.type !== "static" && s.type !== "job", `${s?.name ?? "?"} runs`);
  return { command: s.command, migrations: s.migrations?.command, install: s.ci.install, uses: s.uses };
}

describe("gantry init", () => {
  it("detects a FastAPI backend, a Vite frontend and a Celery worker", async () => {
    const { dir, cleanup } = tempDir({
      "backend/requirements.txt": "fastapi==0.115\nuvicorn\npsycopg[binary]\nredis\n",
      "backend/app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
      "frontend/package.json": JSON.stringify({
        name: "fe",
        scripts: { build: "vite build", lint: "eslint ." },
        devDependencies: { vite: "5", typescript: "5" },
      }),
      "frontend/package-lock.json": "{}",
      "jobs/requirements.txt": "celery\n",
    });
    try {
      const r = await runCli(["init", dir]);
      assert.equal(r.code, 0, r.err);
      const text = readFileSync(join(dir, "gantry.yaml"), "utf8");
      assert.match(text, /^# yaml-language-server: \$schema=/);
      const model = loadSpec("gantry.yaml", text, "production").project.environments[0]!;
      assert.deepEqual(Object.fromEntries(Object.values(model.services).map((s) => [s.name, s.type])), {
        backend: "http",
        frontend: "static",
        jobs: "worker",
      });
      const backend = model.services.backend!;
      assert.ok(backend.type === "http");
      assert.equal(backend.port, 8000);
      assert.equal(backend.command, "uvicorn app.main:app --host 0.0.0.0 --port $PORT");
      // As written: the first PostgreSQL and Redis in `uses` are the primary ones.
      assert.deepEqual(backend.uses, ["db", "cache"]);
      assert.equal(backend.scale.min, 2);
      const fe = model.services.frontend!;
      assert.ok(fe.type === "static");
      assert.equal(fe.install, "npm ci");
      assert.equal(fe.output, "dist");
    } finally {
      cleanup();
    }
  });

  it("never overwrites without --force", async () => {
    const { dir, cleanup } = tempDir({
      "gantry.yaml": "name: mine\n",
      "package.json": JSON.stringify({
        name: "x",
        scripts: { start: "node s.js" },
        dependencies: { express: "4" },
      }),
    });
    try {
      const r = await runCli(["init", dir]);
      assert.equal(r.code, 1);
      assert.match(r.err, /already exists\n {2}hint: pass --force to overwrite it/);
      assert.equal(readFileSync(join(dir, "gantry.yaml"), "utf8"), "name: mine\n");
      const forced = await runCli(["init", dir, "--force"]);
      assert.equal(forced.code, 0, forced.err);
      assert.match(readFileSync(join(dir, "gantry.yaml"), "utf8"), /command: npm start\n\s+port: 3000/);
    } finally {
      cleanup();
    }
  });

  it("gives two services that would share a default port ports of their own", async () => {
    const { dir, cleanup } = tempDir({
      "api/package.json": JSON.stringify({ name: "api", scripts: { start: "node index.js" } }),
      "api/index.js": "server.listen(process.env.PORT);\n",
      "admin/package.json": JSON.stringify({ name: "admin", scripts: { start: "node index.js" } }),
      "admin/index.js": "server.listen(process.env.PORT);\n",
    });
    try {
      const r = await runCli(["init", dir]);
      assert.equal(r.code, 0, r.err);
      const model = loadSpec("gantry.yaml", readFileSync(join(dir, "gantry.yaml"), "utf8")).project
        .environments[0]!;
      const ports = ["admin", "api"].map((n) => {
        const s = model.services[n]!;
        return s.type === "http" ? s.port : s.type;
      });
      assert.deepEqual(ports, [8080, 8081]);
    } finally {
      cleanup();
    }
  });

  it("writes a health check only for a route the app's source defines", async () => {
    const { dir, cleanup } = tempDir({
      "shop/package.json": JSON.stringify({
        name: "shop",
        scripts: { start: "node index.js" },
        dependencies: { express: "4" },
      }),
      "shop/index.js": 'app.get("/items", list);\n',
      "api/package.json": JSON.stringify({ name: "api", scripts: { start: "node src/server.js" } }),
      "api/src/server.js":
        "app.get('/healthz', (req, res) => res.send('ok'));\napp.listen(process.env.PORT);\n",
    });
    try {
      assert.equal((await runCli(["init", dir])).code, 0);
      const text = readFileSync(join(dir, "gantry.yaml"), "utf8");
      const model = loadSpec("gantry.yaml", text, "production").project.environments[0]!;
      const { api, shop } = model.services;
      assert.ok(api?.type === "http" && shop?.type === "http");
      assert.equal(api.health?.readiness, "/healthz");
      // A guessed /health the app does not answer would fail its first `gantry up` after a minute.
      assert.equal(shop.health, undefined);
      assert.match(
        text,
        /# No health route was found in its source: an instance counts as ready once it answers HTTP on its port \(any status below 500\)\.\n.*\n {2}shop:/,
      );
    } finally {
      cleanup();
    }
  });

  it("detects a site of plain files, served as they are without the SPA fallback", async () => {
    for (const [files, output] of [
      [{ "index.html": "<h1>hi</h1>", "css/site.css": "h1{}" }, "."],
      [{ "public/index.html": "<h1>hi</h1>", "README.md": "site" }, "public"],
    ] as const) {
      const { dir, cleanup } = tempDir(files);
      try {
        assert.equal((await runCli(["init", dir])).code, 0);
        const model = loadSpec("gantry.yaml", readFileSync(join(dir, "gantry.yaml"), "utf8")).project
          .environments[0]!;
        const web = model.services.web;
        assert.ok(web?.type === "static");
        assert.deepEqual([web.static, web.output, web.spa, web.build], [".", output, false, undefined]);
      } finally {
        cleanup();
      }
    }
  });

  it("detects a Python server on the standard library as an HTTP service run from its file", async () => {
    const { dir, cleanup } = tempDir({
      "requirements.txt": "requests\n",
      "server.py":
        "import os\nfrom http.server import HTTPServer, SimpleHTTPRequestHandler\n" +
        "HTTPServer(('127.0.0.1', int(os.environ['PORT'])), SimpleHTTPRequestHandler).serve_forever()\n",
    });
    try {
      assert.equal((await runCli(["init", dir])).code, 0);
      const model = loadSpec("gantry.yaml", readFileSync(join(dir, "gantry.yaml"), "utf8")).project
        .environments[0]!;
      const [svc] = Object.values(model.services);
      assert.ok(svc?.type === "http");
      assert.deepEqual([svc.command, svc.port], ["python -m server", 8000]);
    } finally {
      cleanup();
    }
  });

  it("runs the file a server without a start script has: package.json's main, else server.js", async () => {
    for (const [files, command] of [
      [
        {
          "package.json": JSON.stringify({ main: "lib/app.js", dependencies: { express: "4" } }),
          "lib/app.js": "",
        },
        "node lib/app.js",
      ],
      [{ "package.json": JSON.stringify({ dependencies: { koa: "2" } }), "server.js": "" }, "node server.js"],
    ] as const) {
      const { dir, cleanup } = tempDir(files);
      try {
        assert.equal((await runCli(["init", dir])).code, 0);
        assert.match(
          readFileSync(join(dir, "gantry.yaml"), "utf8"),
          new RegExp(`\n {4}command: ${command}\n`),
        );
      } finally {
        cleanup();
      }
    }
  });

  it("says that a service found only by its Dockerfile needs a command to run with `gantry up`", async () => {
    const { dir, cleanup } = tempDir({ Dockerfile: "FROM nginx:1.27\nEXPOSE 80\n" });
    try {
      assert.equal((await runCli(["init", dir])).code, 0);
      const text = readFileSync(join(dir, "gantry.yaml"), "utf8");
      assert.match(
        text,
        /# containers\. Set `command` \(and `build_command`\) to run it on this machine\.\n {2}\S+:\n/,
      );
      assert.doesNotMatch(text, /No health route/);
    } finally {
      cleanup();
    }
  });

  it("never writes a gantry.yaml next to a gantry.yml, and --force overwrites that one", async () => {
    const { dir, cleanup } = tempDir({ "gantry.yml": "name: mine\n" });
    try {
      const r = await runCli(["init", dir]);
      assert.equal(r.code, 1);
      assert.match(r.err, /gantry\.yml already exists\n {2}hint: pass --force to overwrite it/);
      assert.equal((await runCli(["init", dir, "--force"])).code, 0);
      assert.deepEqual(readdirSync(dir).sort(), [".gitignore", "gantry.yml"]);
      assert.match(readFileSync(join(dir, "gantry.yml"), "utf8"), /Written by `gantry init`/);
    } finally {
      cleanup();
    }
  });

  it("detects a Node app whose own code never listens as a worker", async () => {
    const { dir, cleanup } = tempDir({
      "consumer/package.json": JSON.stringify({
        name: "consumer",
        scripts: { start: "node worker.js" },
        dependencies: { bullmq: "5" },
      }),
      "consumer/worker.js": "new Worker('emails', async (job) => send(job.data));\n",
      "api/package.json": JSON.stringify({ name: "api", scripts: { start: "node server.js" } }),
      "api/server.js": "require('http').createServer(handle).listen(process.env.PORT);\n",
    });
    try {
      assert.equal((await runCli(["init", dir])).code, 0);
      const model = loadSpec("gantry.yaml", readFileSync(join(dir, "gantry.yaml"), "utf8")).project
        .environments[0]!;
      assert.deepEqual(
        Object.values(model.services).map((s) => [s.name, s.type, "command" in s ? s.command : ""]),
        [
          ["api", "http", "npm start"],
          ["consumer", "worker", "npm start"],
        ],
      );
    } finally {
      cleanup();
    }
  });

  it("writes a valid spec with a guiding comment when nothing is detected", async () => {
    const { dir, cleanup } = tempDir({ "README.md": "hi" });
    try {
      assert.equal((await runCli(["init", dir])).code, 0);
      const text = readFileSync(join(dir, "gantry.yaml"), "utf8");
      assert.match(text, /No services were detected/);
      loadSpec("gantry.yaml", text);
    } finally {
      cleanup();
    }
  });
  it("uses the package manager of the lock file, here or at a workspace's root", async () => {
    const pkg = (name: string, extra: object = {}) =>
      JSON.stringify({
        name,
        scripts: { start: "node server.js", build: "tsc" },
        dependencies: { express: "4" },
        ...extra,
      });
    const { services } = await initServices({
      "apps/p/package.json": pkg("p"),
      "apps/p/pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
      "apps/y/package.json": pkg("y"),
      "apps/y/yarn.lock": "# yarn lockfile v1\n",
      "apps/b/package.json": pkg("b", { packageManager: "yarn@4.5.0" }),
      "apps/b/yarn.lock": "__metadata:\n",
      "apps/n/package.json": pkg("n"),
      "apps/n/package-lock.json": "{}",
      "apps/none/package.json": pkg("none"),
    });
    const got = Object.fromEntries(
      ["p", "y", "b", "n", "none"].map((n) => {
        const s = services[n]!;
        assert.ok(s.type === "http");
        return [n, [s.command, s.build_command, s.ci.install]];
      }),
    );
    assert.deepEqual(got, {
      p: ["pnpm start", "pnpm run build", "pnpm install --frozen-lockfile"],
      y: ["yarn start", "yarn run build", "yarn install --frozen-lockfile"],
      b: ["yarn start", "yarn run build", "yarn install --immutable"],
      n: ["npm start", "npm run build", "npm ci"],
      none: ["npm start", "npm run build", "npm install"],
    });
    // A workspace: one lock file at the root serves the packages below it.
    const ws = await initServices({
      "package.json": JSON.stringify({ name: "mono", private: true, workspaces: ["packages/*"] }),
      "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
      "packages/api/package.json": pkg("api"),
    });
    assert.deepEqual(Object.keys(ws.services), ["api"]);
    assert.equal(summary(ws.services.api).install, "pnpm install --frozen-lockfile");
  });

  it("finds the module gunicorn or uvicorn loads in the code, and the migrations", async () => {
    const { services } = await initServices({
      // FastAPI in a src layout, an app object not named `app`, Alembic.
      "shop/pyproject.toml":
        '[project]\nname = "shop"\ndependencies = ["fastapi", "uvicorn", "sqlalchemy", "alembic"]\n',
      "shop/alembic.ini": "[alembic]\nscript_location = migrations\n",
      "shop/src/shop/main.py": "from fastapi import FastAPI\n\napi: FastAPI = FastAPI(title='shop')\n",
      // Flask with an application factory, served by gunicorn.
      "blog/requirements.txt": "flask\ngunicorn\n",
      "blog/blog/__init__.py": "from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n",
      // Django: the settings package's wsgi.py and manage.py.
      "cms/requirements.txt": "Django>=5\npsycopg[binary]\ngunicorn\n",
      "cms/manage.py":
        "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\nfrom django.core.management import execute_from_command_line\n",
      "cms/mysite/wsgi.py":
        "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n",
      // Celery, its app in tasks.py.
      "jobs/requirements.txt": "celery[redis]\n",
      "jobs/tasks.py": "from celery import Celery\nqueue = Celery('jobs')\n",
    });
    assert.deepEqual(summary(services.shop), {
      command: "uvicorn shop.main:api --host 0.0.0.0 --port $PORT --app-dir src",
      migrations: "alembic upgrade head",
      install: "pip install .",
      uses: ["db"],
    });
    assert.equal(summary(services.blog).command, "gunicorn 'blog:create_app()' --bind 0.0.0.0:$PORT");
    assert.deepEqual(summary(services.cms), {
      command: "gunicorn mysite.wsgi --bind 0.0.0.0:$PORT",
      migrations: "python manage.py migrate",
      install: "pip install -r requirements.txt",
      uses: ["db"],
    });
    assert.deepEqual(summary(services.jobs), {
      command: "celery -A tasks:queue worker --loglevel=info",
      migrations: undefined,
      install: "pip install -r requirements.txt",
      uses: ["cache"],
    });
  });

  it("runs Python commands from the app's virtual environment, which `gantry up` does not activate", async () => {
    const { services } = await initServices({
      ".venv/bin/python": "",
      "api/requirements.txt": "fastapi\nuvicorn\nalembic\n",
      "api/alembic.ini": "[alembic]\n",
      "api/app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
      "worker/requirements.txt": "requests\n",
      "worker/venv/bin/python": "",
      "worker/main.py": "print('working')\n",
    });
    assert.deepEqual(
      [summary(services.api).command, summary(services.api).migrations, summary(services.worker).command],
      [
        "../.venv/bin/uvicorn app.main:app --host 0.0.0.0 --port $PORT",
        "../.venv/bin/alembic upgrade head",
        "venv/bin/python -m main",
      ],
    );
  });

  it("migrates with Prisma, Drizzle or Knex, through the package manager", async () => {
    const app = (deps: object) =>
      JSON.stringify({ scripts: { start: "node server.js" }, dependencies: { express: "4", ...deps } });
    const { services } = await initServices({
      "prisma-app/package.json": app({ "@prisma/client": "5", prisma: "5" }),
      "prisma-app/prisma/schema.prisma": 'datasource db { provider = "postgresql" }\n',
      "drizzle-app/package.json": app({ "drizzle-orm": "0.36", "drizzle-kit": "0.28" }),
      "drizzle-app/drizzle.config.ts": "export default {};\n",
      "drizzle-app/pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
      "knex-app/package.json": app({ knex: "3", pg: "8" }),
      "knex-app/knexfile.js": "module.exports = {};\n",
    });
    assert.deepEqual(
      ["prisma-app", "drizzle-app", "knex-app"].map((n) => [
        summary(services[n]).migrations,
        summary(services[n]).uses,
      ]),
      [
        ["npx prisma migrate deploy", ["db"]],
        ["pnpm exec drizzle-kit migrate", ["db"]],
        ["npx knex migrate:latest", ["db"]],
      ],
    );
  });

  it("never makes a reverse proxy a worker that uses the database", async () => {
    const { services, text } = await initServices({
      "nginx/Dockerfile":
        "FROM node:20 AS build\nRUN true\nFROM nginx:1.27-alpine\nCOPY nginx.conf /etc/nginx/nginx.conf\n",
      "api/requirements.txt": "fastapi\nuvicorn\npsycopg\n",
      "api/app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
    });
    const proxy = services.nginx;
    assert.ok(proxy?.type === "http", text);
    assert.deepEqual([proxy.port, proxy.uses], [80, []]);
    assert.deepEqual(summary(services.api).uses, ["db"]);
  });

  it("adds .gantry/ to .gitignore, once", async () => {
    for (const [before, after] of [
      [undefined, "# gantry up: secrets key, local data, logs\n.gantry/\n"],
      ["node_modules", "node_modules\n# gantry up: secrets key, local data, logs\n.gantry/\n"],
      ["dist/\n/.gantry\n", "dist/\n/.gantry\n"],
    ] as const) {
      const { dir, cleanup } = tempDir({
        "README.md": "hi",
        ...(before !== undefined ? { ".gitignore": before } : {}),
      });
      try {
        const r = await runCli(["init", dir]);
        assert.equal(r.code, 0, r.err);
        assert.equal(r.out.includes("added .gantry/ to"), before !== "dist/\n/.gantry\n", r.out);
        assert.equal(readFileSync(join(dir, ".gitignore"), "utf8"), after);
      } finally {
        cleanup();
      }
    }
  });
});
