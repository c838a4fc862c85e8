// gantry init detects services and writes a commented starter spec that validates.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadSpec } from "../src/model/load.js";
import { runCli, tempDir } from "./helpers.js";

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
        /# No health route was found in its source: an instance counts as ready once it accepts connections\.\n.*\n {2}shop:/,
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
      assert.deepEqual(readdirSync(dir), ["gantry.yml"]);
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
});
