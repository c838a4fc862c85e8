// `gantry up` of a small app with no PostgreSQL or Redis, as a new user runs it after `gantry init`: real
// supervisor and instances, and what the commands print when the app is not as Gantry expects.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { envPaths } from "../src/engine/local/paths.js";
import { stepsOf, type DeployPlan } from "../src/engine/local/plan.js";
import { formatPlan } from "../src/engine/local/plan-format.js";
import { readRelease } from "../src/engine/local/release.js";
import { runCli, tempDir } from "./helpers.js";

/** An app whose one HTTP service runs `server` with node; `health` as the spec's health map. */
function nodeApp(server: string, health = "{ startup_timeout: 2s }") {
  return tempDir({
    "gantry.yaml": `name: tiny\nservices:\n  web:\n    build: .\n    command: node server.js\n    port: 8080\n    health: ${health}\n`,
    "server.js": server,
  });
}

/** Runs `up` and `status`, then destroys the environment whatever happened. */
async function upThenDestroy(dir: string) {
  try {
    const up = await runCli(["up", dir]);
    return { ...up, status: (await runCli(["status", dir])).out };
  } finally {
    const d = await runCli(["destroy", dir, "--yes"]);
    assert.equal(d.code, 0, d.err);
  }
}

describe("a first `gantry up` whose app never gets ready", () => {
  it("says the app must listen on $PORT when it listens on a port of its own", async () => {
    const { dir, cleanup } = nodeApp(
      "require('http').createServer((q, s) => s.end('hi')).listen(0, () => console.log('listening'));\n",
    );
    try {
      const r = await upThenDestroy(dir);
      assert.equal(r.code, 1, r.err);
      assert.match(
        r.err,
        /\nerror: instance web-v1-1 was not ready within 2s \(GET \/ on port \d+ \(any answer below 500\) was refused \(nothing listening yet\)\)\n {2}hint: nothing listened on 127\.0\.0\.1:\d+, given to it as HOST and PORT: the app must listen on \$PORT \(on 127\.0\.0\.1 or every address; ::1 alone is not reached\), not on a fixed port \(a process that serves no HTTP is a worker: `type: worker`, without `port`\)\n {2}then see `gantry logs` and `gantry releases`\n$/,
      );
      // The spec has no database, Redis or topic: the supervisor starts none.
      assert.match(r.err, /^\[ +\d+\.\ds\] starting the supervisor \(pid \d+\): proxy\n/);
      // Nothing served before: the hint does not speak of a previous release.
      assert.match(
        r.status,
        /^production: running, no release serving \(`gantry releases` says why\); supervisor pid/,
      );
      assert.doesNotMatch(r.err, /previous release|keeps serving/);
    } finally {
      cleanup();
    }
  });

  it("names the health path the app answers with 404 and the spec field to change", async () => {
    const { dir, cleanup } = nodeApp(
      "require('http').createServer((q, s) => { s.statusCode = q.url === '/' ? 200 : 404; s.end(); }).listen(process.env.PORT);\n",
      "{ liveness: /health, startup_timeout: 2s }",
    );
    try {
      const r = await upThenDestroy(dir);
      assert.equal(r.code, 1, r.err);
      assert.match(
        r.err,
        /\nerror: instance web-v1-1 was not ready within 2s \(GET \/health answered 404\)\n {2}hint: the app answers GET \/health with 404: add that route \(answering 2xx\), or set `services\.web\.health` in gantry\.yaml to a path it answers with 2xx\n/,
      );
    } finally {
      cleanup();
    }
  });
});

describe("a command that is not found", () => {
  it("is named, with where commands are looked for: npx for node_modules/.bin, the path in a virtualenv", async () => {
    for (const [command, files, hint] of [
      [
        "gunicorn-xb app:app",
        {},
        "install gunicorn-xb where the shell that ran gantry finds it (commands run without a shell, on its PATH), or change `services.web.command` in gantry.yaml",
      ],
      [
        "next-xb start",
        { "node_modules/.bin/next-xb": "#!/bin/sh\n" },
        "next-xb is in node_modules/.bin, which is not on the PATH: use `npx next-xb` or an npm script in `services.web.command` in gantry.yaml",
      ],
      [
        "uvicorn-xb main:app",
        { ".venv/pyvenv.cfg": "home = /usr/bin\n", ".venv/bin/uvicorn-xb": "#!/bin/sh\n" },
        "uvicorn-xb is in the virtual environment .venv/, which is not on the PATH: use `.venv/bin/uvicorn-xb` in `services.web.command` in gantry.yaml",
      ],
    ] as const) {
      const { dir, cleanup } = tempDir({
        "gantry.yaml": `name: tiny\nservices:\n  web: { build: ., command: ${command}, port: 8080 }\n`,
        ...files,
      });
      try {
        const r = await upThenDestroy(dir);
        assert.equal(r.code, 1, r.err);
        const cmd = command.split(" ")[0]!;
        assert.ok(
          r.err.endsWith(
            `\nerror: instance web-v1-1 could not start: ${cmd} was not found\n  hint: ${hint}\n  then see \`gantry logs\` and \`gantry releases\`\n`,
          ),
          r.err,
        );
      } finally {
        cleanup();
      }
    }
  });
});

describe("an app without a health path", () => {
  it("is ready once it answers HTTP below 500, even 404 at /", async () => {
    const { dir, cleanup } = nodeApp(
      "require('http').createServer((q, s) => { s.statusCode = q.url === '/items' ? 200 : 404; s.end('[]'); }).listen(process.env.PORT);\n",
    );
    try {
      const up = await runCli(["up", dir]);
      assert.equal(up.code, 0, up.err);
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(up.out)![0];
      assert.equal(await (await fetch(`${url}items`)).text(), "[]");
    } finally {
      await runCli(["destroy", dir, "--yes"]);
      cleanup();
    }
  });
});

describe("a bad release of an app without a health path", () => {
  it("whose port accepts connections but answers no HTTP never takes traffic: 0 failed requests", async () => {
    const { dir, cleanup } = nodeApp(
      "require('http').createServer((q, s) => s.end('good')).listen(process.env.PORT, '127.0.0.1');\n",
      "{ startup_timeout: 2s }",
    );
    try {
      const up = await runCli(["up", dir]);
      assert.equal(up.code, 0, up.err);
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(up.out)![0];
      // As gunicorn's master does before its workers have loaded the app: it accepts connections, answers
      // nothing, and exits when the app fails to load.
      writeFileSync(
        join(dir, "server.js"),
        "require('net').createServer((c) => setTimeout(() => c.destroy(), 200)).listen(process.env.PORT, '127.0.0.1');\nsetTimeout(() => process.exit(3), 1500);\n",
      );
      let failed = 0;
      let done = 0;
      let deploying = true;
      const load = (async () => {
        while (deploying) {
          const r = await fetch(url).catch(() => undefined);
          if (r?.status === 200 && (await r.text()) === "good") done++;
          else failed++;
        }
      })();
      const deploy = await runCli(["deploy", dir]);
      deploying = false;
      await load;
      assert.equal(deploy.code, 1, deploy.err);
      assert.match(
        deploy.err,
        /error: instance web-v2-1 exited with code 3 before it was ready; v1 keeps serving\n/,
      );
      assert.doesNotMatch(deploy.err, /switched the proxy/);
      assert.equal(failed, 0, `${failed} of ${failed + done} requests failed`);
      assert.ok(done > 10, `only ${done} requests`);
    } finally {
      await runCli(["destroy", dir, "--yes"]);
      cleanup();
    }
  });
});

describe("a directory the spec names but the app lacks", () => {
  it("fails the deploy naming it and the field, not as a command that is not found", async () => {
    const { dir, cleanup } = tempDir({
      "gantry.yaml": "name: tiny\nservices:\n  api: { build: ./backend, command: node s.js, port: 8080 }\n",
    });
    try {
      const r = await upThenDestroy(dir);
      assert.equal(r.code, 1, r.err);
      assert.ok(
        r.err.endsWith(
          "\nerror: api: its directory ./backend does not exist\n  hint: `services.api.build` is the directory of its code, relative to gantry.yaml\n",
        ),
        r.err,
      );
    } finally {
      cleanup();
    }
  });
});

describe("a command with shell syntax", () => {
  it("runs through /bin/sh, as on every target, with the service's variables", async () => {
    const { dir, cleanup } = tempDir({
      "gantry.yaml":
        'name: tiny\nservices:\n  web: { build: ., command: "echo shell saw port $PORT && exec node server.js", port: 8080 }\n',
      "server.js": "require('http').createServer((q, s) => s.end('hi')).listen(process.env.PORT);\n",
    });
    try {
      const up = await runCli(["up", dir]);
      assert.equal(up.code, 0, up.err);
      const logs = await runCli(["logs", "web", dir]);
      assert.match(logs.out, /shell saw port \d+\n/);
    } finally {
      assert.equal((await runCli(["destroy", dir, "--yes"])).code, 0);
      cleanup();
    }
  });
});

describe("a static site", () => {
  it("of plain files is up and served, with no line about starting 0 instances", async () => {
    const { dir, cleanup } = tempDir({
      "gantry.yaml": "name: site\nservices:\n  web: { static: ., output: . }\n",
      "index.html": "<h1>hi</h1>\n",
    });
    try {
      const up = await runCli(["up", dir]);
      assert.equal(up.code, 0, up.err);
      assert.doesNotMatch(up.err, /starting 0 instances/);
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(up.out)![0];
      assert.equal(await (await fetch(url)).text(), "<h1>hi</h1>\n");
      const status = await runCli(["status", dir]);
      assert.match(status.out, /^production: running release v1; supervisor pid/);
    } finally {
      await runCli(["destroy", dir, "--yes"]);
      cleanup();
    }
  });

  it("whose output directory does not exist fails the deploy, naming it and the field to set", async () => {
    const { dir, cleanup } = tempDir({
      "gantry.yaml": "name: site\nservices:\n  web: { static: ., build: node build.js }\n",
      "build.js": "require('fs').mkdirSync('public', { recursive: true });\n",
      "index.html": "<h1>hi</h1>\n",
    });
    try {
      const r = await upThenDestroy(dir);
      assert.equal(r.code, 1, r.err);
      assert.match(
        r.err,
        /\nerror: web: its output directory dist does not exist after its build\n {2}hint: set `services\.web\.output` to the directory, relative to `static`, that holds its index\.html \(`output: \.` serves the files as they are; the default is dist\)\n$/,
      );
    } finally {
      cleanup();
    }
  });
});

describe("deploy --plan of a running app", () => {
  it("prints the plan the supervisor then runs, from the same state", async () => {
    const { dir, cleanup } = nodeApp(
      "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT);\n",
    );
    try {
      const up = await runCli(["up", dir]);
      assert.equal(up.code, 0, up.err);
      const text = await runCli(["deploy", dir, "--plan"]);
      const json = await runCli(["deploy", dir, "--plan", "--json"]);
      assert.equal(json.code, 0, json.err);
      const planned = JSON.parse(json.out) as DeployPlan;
      assert.equal(text.out, formatPlan(planned));
      // Planned from what serves: v1's instance is drained and stopped once v2 serves.
      assert.deepEqual(
        [planned.release, planned.replaces, stepsOf(planned, "drain")[0]?.services[0]?.instances],
        ["v2", "v1", ["web-v1-1"]],
      );
      const deploy = await runCli(["deploy", dir]);
      assert.equal(deploy.code, 0, deploy.err);
      // The release records the plan its rollout ran.
      assert.deepEqual(readRelease(envPaths(dir, "production"), "v2")?.plan, planned);
    } finally {
      await runCli(["destroy", dir, "--yes"]);
      cleanup();
    }
  });
});
