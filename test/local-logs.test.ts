// The services' logs: rotated by size, free of Gantry's own health checks, and the arguments of
// `gantry logs` and `gantry secrets set` given in the wrong order.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LogStore } from "../src/engine/local/log-store.js";
import { runCli, tempDir } from "./helpers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a service's log", () => {
  it("is rotated once it passes its size, keeping a few old ones", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const store = new LogStore({ dir, redact: (s) => s, note: () => undefined, maxBytes: 1000, keep: 2 });
      for (let batch = 0; batch < 8; batch++) {
        for (let i = 0; i < 6; i++)
          store.write("api", "api-v1-1", `batch ${batch} line ${i} ${"x".repeat(40)}`);
        await sleep(150); // each batch is one write
      }
      await store.close();
      const file = join(dir, "api.log");
      for (const f of [file, `${file}.1`, `${file}.2`]) assert.ok(statSync(f).size <= 1000, f);
      assert.equal(existsSync(`${file}.3`), false, "only 2 rotated logs are kept");
      assert.match(readFileSync(file, "utf8"), /batch 7 line 5 x+\n$/);
      assert.match(readFileSync(`${file}.1`, "utf8"), /^\S+ api-v1-1 \| batch \d line 0 /);
    } finally {
      cleanup();
    }
  });

  it("holds the app's lines, not one line per health check", async () => {
    const { dir, cleanup } = tempDir({
      "gantry.yaml": `name: quiet\nservices:\n  web:\n    build: .\n    command: node server.js\n    port: 8080\n    health: { readiness: /ready, liveness: /live, startup_timeout: 5s }\n`,
      // An access log line for every request, as gunicorn, uvicorn or morgan write one; /live fails
      // once the file "sick" exists.
      "server.js": `require("http").createServer((q, s) => { console.log(\`127.0.0.1 - "\${q.method} \${q.url} HTTP/1.1" 200\`); s.statusCode = q.url === "/live" && require("fs").existsSync("sick") ? 500 : 200; s.end("ok"); }).listen(process.env.PORT, "127.0.0.1");\n`,
    });
    try {
      const up = await runCli(["up", dir]);
      assert.equal(up.code, 0, up.err);
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(up.out)![0];
      await sleep(3000);
      assert.equal((await fetch(`${url}hello`)).status, 200);
      assert.equal((await fetch(`${url}ready`)).status, 200);
      await sleep(300);
      const log = readFileSync(join(dir, ".gantry", "production", "logs", "web.log"), "utf8");
      assert.match(log, /"GET \/hello HTTP\/1\.1" 200\n/);
      assert.ok(
        (log.match(/GET \/(ready|live) /g) ?? []).length <= 1,
        `health checks are in the log:\n${log}`,
      );
      // What changes is logged, though it names a check.
      writeFileSync(join(dir, ".gantry", "production", "releases", "v1", "app", "sick"), "");
      const logFile = join(dir, ".gantry", "production", "logs", "web.log");
      for (let i = 0; i < 100 && !readFileSync(logFile, "utf8").includes("failed 3 liveness checks"); i++)
        await sleep(100);
      assert.match(
        readFileSync(logFile, "utf8"),
        /web-v1-1 \| gantry: web-v1-1 failed 3 liveness checks \(GET \/live answered 500\); restarting it\n/,
      );
    } finally {
      await runCli(["destroy", dir, "--yes"]);
      cleanup();
    }
  });
});

describe("arguments in the wrong order", () => {
  it("`logs PATH SERVICE` says the service comes first", async () => {
    const { dir, cleanup } = tempDir({
      "gantry.yaml": "name: x\nservices:\n  api:\n    command: node a.js\n",
    });
    try {
      const r = await runCli(["logs", dir, "api"]);
      assert.equal(r.code, 1);
      assert.equal(
        r.err,
        `error: there is no api here: \`gantry logs\` takes the service first, then the app's path\n  hint: \`gantry logs api ${dir}\`\n`,
      );
    } finally {
      cleanup();
    }
  });

  it("`secrets set NAME VALUE` refuses the value without repeating it", async () => {
    const { dir, cleanup } = tempDir({
      "gantry.yaml": "name: x\nservices:\n  api:\n    command: node a.js\n",
    });
    try {
      const r = await runCli(["secrets", "set", "API_KEY", "sk_live_value_0123456789"], dir);
      assert.equal(r.code, 1);
      assert.doesNotMatch(r.err + r.out, /sk_live_value/);
      assert.match(
        r.err,
        /^error: the second argument of `gantry secrets set API_KEY` is the app's path, and there is no such file or directory; a value is never taken from the command line\n/,
      );
    } finally {
      cleanup();
    }
  });
});
