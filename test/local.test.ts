// Unit tests of the local runtime's pure parts: command splitting, the proxy's routing table, secrets
// encryption, the deploy plan, the environment lock and the pub/sub CloudEvent envelope.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { splitCommand } from "../src/engine/local/command.js";
import { buildRoutes, matchRoute, publicUrls, shadowedPaths } from "../src/engine/local/routing.js";
import { loadSpec } from "../src/model/load.js";
import {
  loadKey,
  openStore,
  parseKey,
  redactor,
  SecretStore,
  seal,
  unseal,
} from "../src/engine/local/secrets.js";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { isCommandStep, planDeploy, stepsOf, type DeployStep } from "../src/engine/local/plan.js";
import { formatPlan } from "../src/engine/local/plan-format.js";
import { acquireLock, removeStale } from "../src/engine/local/lock.js";
import { cloudEvent } from "../src/engine/local/pubsub.js";
import { serviceEnv } from "../src/engine/local/env.js";
import { durationMs, humanMs } from "../src/util/duration.js";
import { redisArgs } from "../src/engine/local/redis.js";
import { copyApp } from "../src/engine/local/release.js";
import { loadExample, REPO_ROOT, tempDir } from "./helpers.js";

const hello = () => loadExample("hello", "dev").project.environments[0]!;

describe("splitCommand", () => {
  it("splits on whitespace and substitutes $PORT", () => {
    assert.deepEqual(splitCommand("uvicorn app.main:app --port $PORT", { PORT: "8123" }), [
      "uvicorn",
      "app.main:app",
      "--port",
      "8123",
    ]);
    assert.deepEqual(splitCommand("serve --listen=127.0.0.1:${PORT}", { PORT: "9" }), [
      "serve",
      "--listen=127.0.0.1:9",
    ]);
  });
  it("keeps quoted words together", () => {
    assert.deepEqual(splitCommand(`node -e 'console.log("a b")' "x y" a\\ b ""`), [
      "node",
      "-e",
      'console.log("a b")',
      "x y",
      "a b",
      "",
    ]);
    assert.deepEqual(splitCommand(`echo "port $PORT \\"q\\""`, { PORT: "1" }), ["echo", 'port 1 "q"']);
    assert.deepEqual(splitCommand("echo '$PORT'", { PORT: "1" }), ["echo", "$PORT"]);
  });
  it("runs a line with shell syntax through /bin/sh, as every target does", () => {
    assert.deepEqual(splitCommand("npm run build && npm start"), [
      "/bin/sh",
      "-c",
      "npm run build && npm start",
    ]);
    assert.deepEqual(splitCommand("node a.js | tee log"), ["/bin/sh", "-c", "node a.js | tee log"]);
  });
  it("rejects unknown variables and unterminated quotes", () => {
    assert.throws(
      () => splitCommand("node $SECRET", { PORT: "1" }),
      /uses \$SECRET, which the process does not receive/,
    );
    assert.throws(() => splitCommand("node 'a"), /unterminated single quote/);
    assert.throws(() => splitCommand("   "), /empty command/);
  });
});

describe("routing table", () => {
  const routes = buildRoutes(hello());
  it("routes by longest path prefix on any host", () => {
    assert.equal(matchRoute(routes, "127.0.0.1:8080", "/api/notes")?.service, "api");
    assert.equal(matchRoute(routes, "localhost", "/api")?.service, "api");
    assert.equal(matchRoute(routes, "localhost", "/apix")?.service, "web");
    assert.equal(matchRoute(routes, "localhost", "/")?.service, "web");
    assert.equal(matchRoute(routes, "localhost", "/notes/42")?.kind, "static");
  });
  it("routes the spec's domains and <service>.localhost", () => {
    assert.equal(matchRoute(routes, "hello.localhost:8080", "/api/notes")?.service, "api");
    assert.equal(matchRoute(routes, "HELLO.localhost", "/index.html")?.service, "web");
    assert.equal(matchRoute(routes, "api.localhost:1", "/health")?.service, "api");
    assert.equal(matchRoute(routes, "web.localhost:1", "/api/notes")?.service, "web");
  });
  it("keeps workers out of the proxy", () => {
    assert.equal(matchRoute(routes, "worker.localhost", "/health")?.service, "web");
    assert.ok(!routes.some((r) => r.service === "worker"));
  });
  it("lists the URLs to open", () => {
    assert.deepEqual(
      publicUrls(hello(), 7000).map((u) => u.url),
      [
        "http://127.0.0.1:7000/api",
        "http://hello.localhost:7000/api",
        "http://api.localhost:7000/",
        "http://127.0.0.1:7000/",
        "http://hello.localhost:7000/",
        "http://web.localhost:7000/",
      ],
    );
  });
});

describe("two public services on one path", () => {
  const model = loadSpec(
    "gantry.yaml",
    "name: mono\nservices:\n  web: { static: ./web }\n  api: { build: ./api, command: npm start, port: 8080 }\n",
  ).project.environments[0]!;
  it("go to the first by name, and only its URL is listed for that path", () => {
    assert.equal(matchRoute(buildRoutes(model), "127.0.0.1", "/")?.service, "api");
    assert.deepEqual(shadowedPaths(model), [{ service: "web", by: "api", prefix: "/" }]);
    assert.deepEqual(
      publicUrls(model, 7000).map((u) => `${u.service} ${u.url}`),
      ["api http://127.0.0.1:7000/", "api http://api.localhost:7000/", "web http://web.localhost:7000/"],
    );
  });
});

describe("a service with an image and no command", () => {
  it("is not run by `gantry up`, so no URL of it is listed", () => {
    const model = loadSpec(
      "gantry.yaml",
      "name: shop\nservices:\n  web: { build: ., port: 80 }\n  api: { build: ., command: npm start, port: 3000, path: /api }\n",
    ).project.environments[0]!;
    assert.deepEqual(
      publicUrls(model, 7000).map((u) => u.service),
      ["api", "api"],
    );
  });
});

describe("secrets", () => {
  it("round-trips a value with AES-256-GCM and binds it to its name", () => {
    const key = parseKey("11".repeat(32));
    const sealed = seal(key, "API_KEY", 1, "s3cr3t-value");
    assert.ok(!JSON.stringify(sealed).includes("s3cr3t-value"));
    assert.equal(unseal(key, "API_KEY", sealed), "s3cr3t-value");
    assert.throws(() => unseal(key, "OTHER", sealed), /cannot decrypt secret OTHER/);
    assert.throws(() => unseal(parseKey("22".repeat(32)), "API_KEY", sealed), /the key does not match/);
  });
  it("stores versions in a 0600 file without the clear value, and creates a 0600 key", () => {
    const { dir, cleanup } = tempDir();
    try {
      const key = loadKey(join(dir, "secrets.key"), undefined)!;
      assert.equal(readFileSync(join(dir, "secrets.key"), "utf8").trim().length, 64);
      const store = new SecretStore(join(dir, "secrets.json"), key);
      assert.equal(store.set("TOKEN", "first-value"), 1);
      assert.equal(store.set("TOKEN", "second-value"), 2);
      assert.equal(store.get("TOKEN"), "second-value");
      assert.equal(store.get("TOKEN", 1), "first-value");
      assert.deepEqual(store.versions(), { TOKEN: 2 });
      const raw = readFileSync(join(dir, "secrets.json"), "utf8");
      assert.ok(!raw.includes("first-value") && !raw.includes("second-value"));
      assert.ok(store.remove("TOKEN"));
      assert.deepEqual(store.names(), []);
    } finally {
      cleanup();
    }
  });
  it("refuses a damaged store and a second key, and never makes a key for secrets that exist", () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, "secrets.json");
      const k1 = parseKey("11".repeat(32));
      new SecretStore(file, k1).set("API_ONE", "value-one");
      // Another key: refused, nothing changed.
      assert.throws(
        () => new SecretStore(file, parseKey("22".repeat(32))).set("API_TWO", "value-two"),
        /this key is not the one the secrets store was sealed with/,
      );
      assert.deepEqual(new SecretStore(file, k1).names(), ["API_ONE"]);
      // No key file and no GANTRY_SECRETS_KEY for an existing store: refused, and no key file made.
      assert.throws(
        () => openStore({ secrets: file, keyFile: join(dir, "secrets.key") }, undefined),
        /holds secrets but there is no key for them/,
      );
      assert.equal(existsSync(join(dir, "secrets.key")), false);
      // A damaged file is not read as an empty store (the next write would drop every secret).
      writeFileSync(file, '{"format":1,"secrets":{"API_ONE":');
      assert.throws(() => new SecretStore(file, k1).set("NEW_ONE", "value-new"), /secrets\.json is damaged/);
      assert.equal(readFileSync(file, "utf8"), '{"format":1,"secrets":{"API_ONE":');
    } finally {
      cleanup();
    }
  });

  it("keeps every secret when several commands set them at once", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const names = ["S_ONE", "S_TWO", "S_THREE", "S_FOUR"];
      const script = `import { openStore } from ${JSON.stringify(join(REPO_ROOT, "src/engine/local/secrets.ts"))};
        openStore({ secrets: process.argv[1] + "/secrets.json", keyFile: process.argv[1] + "/secrets.key" }, undefined).set(process.argv[2], "value-" + process.argv[2]);`;
      const runs = names.map((n) =>
        spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, dir, n], {
          cwd: REPO_ROOT,
          stdio: "inherit",
        }),
      );
      const codes = await Promise.all(runs.map(async (r) => (await once(r, "exit"))[0] as number));
      assert.deepEqual(codes, [0, 0, 0, 0]);
      const store = openStore(
        { secrets: join(dir, "secrets.json"), keyFile: join(dir, "secrets.key") },
        undefined,
      );
      assert.deepEqual(store.names(), [...names].sort());
      for (const n of names) assert.equal(store.get(n), `value-${n}`);
    } finally {
      cleanup();
    }
  });

  it("reads the key from GANTRY_SECRETS_KEY in hex or base64", () => {
    assert.equal(loadKey("/nonexistent/key", Buffer.alloc(32, 7).toString("base64"))!.length, 32);
    assert.throws(() => parseKey("abcd"), /must be 32 bytes/);
  });
  it("redacts values from log lines, longest first", () => {
    const r = redactor({ A: "password123", B: "password123-extended", SHORT: "abc" });
    assert.equal(r("x password123-extended y password123 abc"), "x [redacted:B] y [redacted:A] abc");
  });
  it("redacts each line of a multi-line value, as logs are redacted a line or a read at a time", () => {
    // Shaped like a PEM block (armour lines, base64 lines, a short line), and not a key.
    const pem =
      "-----BEGIN EXAMPLE-----\nZXhhbXBsZSBsaW5lIG9uZQ\nZXhhbXBsZSBsaW5lIHR3bw\n}\n-----END EXAMPLE-----";
    const r = redactor({ TLS_KEY: pem });
    const logged = pem.split("\n").map((l) => r(`out | ${l}`));
    assert.deepEqual(logged, [
      "out | [redacted:TLS_KEY]",
      "out | [redacted:TLS_KEY]",
      "out | [redacted:TLS_KEY]",
      // A line shorter than 4 characters is left, like a short value.
      "out | }",
      "out | [redacted:TLS_KEY]",
    ]);
    // Whole, it is one marker rather than one per line; with CRLF line ends too.
    assert.equal(r(`key: ${pem}.`), "key: [redacted:TLS_KEY].");
    assert.equal(r(pem.replaceAll("\n", "\r\n")).includes("ZXhh"), false);
  });
  it("redacts a value printed JSON-escaped", () => {
    const value = 'pa"ss\\wo\nrd-42';
    const r = redactor({ DB_PASSWORD: value });
    assert.equal(r(JSON.stringify({ password: value })), '{"password":"[redacted:DB_PASSWORD]"}');
    assert.equal(r(`raw ${value}`), "raw [redacted:DB_PASSWORD]");
  });
});

describe("deploy plan", () => {
  const current = {
    release: "v1",
    instances: [
      { id: "api-v1-2", service: "api" },
      { id: "api-v1-1", service: "api" },
      { id: "worker-v1-1", service: "worker" },
    ],
  };
  const plan = (model = hello(), kind: "deploy" | "rollback" = "deploy") =>
    planDeploy({ model, release: "v2", kind, current, crashWatchMs: 1000 });

  it("is every step of the deploy, in the order they run", () => {
    assert.deepEqual(
      plan().steps.map((s) => s.kind),
      [
        ...["sources", "build", "build", "build", "release"],
        ...[
          "provision",
          "databases",
          "migrate",
          "start",
          "wait",
          "switch",
          "drain",
          "stop",
          "record",
          "prune",
        ],
      ],
    );
  });

  it("plans builds, migrations, instances and the retirement of the serving release", () => {
    const p = plan();
    assert.deepEqual(stepsOf(p, "build"), [
      { kind: "build", service: "api", command: "npm run build:api", cwd: "." },
      { kind: "build", service: "web", command: "node build.mjs", cwd: "web" },
      { kind: "build", service: "worker", command: "npm run build:worker", cwd: "." },
    ]);
    assert.deepEqual(stepsOf(p, "migrate"), [
      { kind: "migrate", service: "api", command: "node api/dist/migrate.js", cwd: ".", timeoutMs: 600_000 },
    ]);
    assert.deepEqual(
      stepsOf(p, "start").flatMap((s) =>
        s.services.map((x) => [x.service, x.instances, x.readiness, x.liveness, x.drainMs, x.graceMs]),
      ),
      [
        ["api", ["api-v2-1", "api-v2-2"], "/ready", "/health", 10_000, 30_000],
        ["worker", ["worker-v2-1"], "/health", "/health", 10_000, 30_000],
      ],
    );
    assert.deepEqual(
      stepsOf(p, "switch").map((s) => s.statics),
      [[{ service: "web", root: "web/dist", spa: true, prefix: "/" }]],
    );
    assert.deepEqual(stepsOf(p, "drain"), [
      {
        kind: "drain",
        services: [
          { service: "api", instances: ["api-v1-1", "api-v1-2"], drainMs: 10_000 },
          { service: "worker", instances: ["worker-v1-1"], drainMs: 10_000 },
        ],
      },
    ]);
    assert.deepEqual(
      stepsOf(p, "stop").flatMap((s) => s.services.map((x) => [x.service, x.graceMs])),
      [
        ["api", 30_000],
        ["worker", 30_000],
      ],
    );
    assert.deepEqual(stepsOf(p, "record"), [{ kind: "record", release: "v2", replaces: "v1" }]);
    assert.equal(p.replaces, "v1");
  });

  it("runs a build shared by services once", () => {
    const m = hello();
    const shared = { ...m.services.worker!, build_command: "npm run build:api" } as typeof m.services.worker;
    const p = plan({ ...m, services: { ...m.services, worker: shared! } });
    assert.deepEqual(
      stepsOf(p, "build").map((b) => b.service),
      ["api", "web"],
    );
  });

  it("neither builds nor migrates for a rollback, and prints a line per step, named by its kind", () => {
    const p = plan(hello(), "rollback");
    assert.deepEqual(
      p.steps.filter((s) => isCommandStep(s) || s.kind === "migrate"),
      [],
    );
    const text = formatPlan(p);
    assert.match(text, /^rollback v2 \(replacing v1\)\n {2}provision PostgreSQL 16, Redis cache \(aof\)/);
    assert.match(text, /\n {2}start {5}api: 2 × node api\/dist\/server\.js on fresh ports\n/);
    assert.match(text, /\n {2}wait {6}api: GET \/ready answers 2xx \(at most 60s\)\n/);
    assert.match(text, /\n {2}drain {5}api: api-v1-1, api-v1-2 \(≤ 10s\)\n/);
    assert.match(text, /\n {2}record {4}v2 serving, v1 superseded\n {2}prune {5}/);
    // Each line starts with the kind of its step, in the order of the steps.
    const runs = (kinds: string[]) => kinds.filter((k, n) => k !== kinds[n - 1]);
    assert.deepEqual(
      runs(text.split("\n").flatMap((l) => (l.startsWith("  ") ? [l.trim().split(" ")[0]!] : []))),
      runs(p.steps.map((x) => x.kind)),
    );
  });

  // Each kind of step against the steps it must follow; augeo's deploy, replacing a release, has every kind.
  const augeo = () => loadExample("augeo").project.environments[0]!;
  const full = () =>
    planDeploy({ model: augeo(), release: "v2", kind: "deploy", current, crashWatchMs: 1000 });
  const after: [DeployStep["kind"], DeployStep["kind"][]][] = [
    ["sources", ["secrets"]],
    ["build", ["secrets", "sources"]],
    ["release", ["build"]],
    ["unseal", ["release"]],
    ["provision", ["unseal"]],
    ["jobs", ["provision"]],
    ["databases", ["provision"]],
    ["migrate", ["databases", "unseal", "jobs"]],
    ["start", ["migrate"]],
    ["wait", ["start"]],
    ["switch", ["wait"]],
    ["drain", ["switch"]],
    ["stop", ["drain"]],
    ["record", ["stop"]],
    ["prune", ["record"]],
  ];
  it("has every kind of step for a full deploy", () => {
    assert.deepEqual(
      [...new Set(full().steps.map((s) => s.kind))].sort(),
      after
        .map(([k]) => k)
        .concat("secrets")
        .sort(),
    );
  });
  for (const [kind, before] of after)
    it(`${kind} comes after ${before.join(", ")}`, () => {
      const kinds = full().steps.map((s) => s.kind);
      for (const b of before)
        assert.ok(kinds.lastIndexOf(b) < kinds.indexOf(kind), `${b} before ${kind}: ${kinds.join(" ")}`);
    });
});

describe("deploy plan of scheduled jobs and of services the local runtime does not run", () => {
  it("makes the jobs ready before the migrations, and prints a line per job", () => {
    const augeo = loadExample("augeo").project.environments[0]!;
    const plan = planDeploy({
      model: augeo,
      release: "v1",
      kind: "deploy",
      current: { instances: [] },
      crashWatchMs: 1000,
    });
    assert.deepEqual(plan.skipped, []);
    assert.deepEqual(stepsOf(plan, "jobs"), [
      {
        kind: "jobs",
        jobs: [
          {
            service: "cleanup",
            schedule: "0 3 * * *",
            timezone: "Etc/UTC",
            command: "python -m app.jobs.cleanup",
            cwd: "backend",
            timeoutMs: 3_600_000,
            retries: 2,
          },
        ],
      },
    ]);
    assert.ok(
      !stepsOf(plan, "start").some((s) => s.services.some((x) => x.service === "cleanup")),
      "a job is not a long-running instance",
    );
    assert.match(
      formatPlan(plan),
      /\n {2}jobs {6}cleanup: 0 3 \* \* \* \(Etc\/UTC\): python -m app\.jobs\.cleanup {2}\(timeout 1h, 2 retries\)\n/,
    );
    assert.match(
      formatPlan(plan),
      /\n {2}switch {4}the proxy, topic deliveries and job schedules to v1, then watch 1000 ms for crashes\n/,
    );
  });

  it("names services it cannot run, with the reason", () => {
    const imageOnly = {
      ...hello(),
      services: { api: { ...hello().services.api!, command: undefined } },
    } as ReturnType<typeof hello>;
    const plan = planDeploy({
      model: imageOnly,
      release: "v1",
      kind: "deploy",
      current: { instances: [] },
      crashWatchMs: 1000,
    });
    assert.deepEqual(
      plan.skipped.map((x) => x.service),
      ["api"],
    );
    assert.deepEqual(stepsOf(plan, "start"), []);
    assert.match(formatPlan(plan), /\n {2}skip {6}api: it has no `command`/);
  });
});

describe("environment", () => {
  it("injects connection URLs for what a service uses, its port, env and secrets", () => {
    const m = hello();
    const api = m.services.api!;
    assert.ok(api.type === "http");
    const env = serviceEnv({
      model: m,
      service: { ...api, secrets: ["TOKEN"] },
      infra: {
        postgres: { port: 5433, user: "gantry", password: "pw" },
        redis: { cache: { port: 6380, password: "r/pw" } },
        daprPort: 3500,
      },
      release: "v3",
      instance: "api-v3-1",
      port: 4000,
      secrets: { TOKEN: "t0k3n", OTHER: "not-for-api" },
      base: { PATH: "/bin" },
    });
    // SQLAlchemy 1.4+ refuses the postgres:// scheme; every driver reads postgresql://.
    assert.equal(env.DATABASE_URL, "postgresql://gantry:pw@127.0.0.1:5433/hello");
    assert.deepEqual(
      [env.PGHOST, env.PGPORT, env.PGDATABASE, env.PGUSER, env.PGPASSWORD, env.PGSSLMODE],
      ["127.0.0.1", "5433", "hello", "gantry", "pw", "disable"],
    );
    assert.equal(env.REDIS_URL, "redis://:r%2Fpw@127.0.0.1:6380");
    assert.equal(env.DAPR_HTTP_PORT, "3500");
    assert.equal(env.PUBSUB_NAME, "pubsub");
    assert.equal(env.PORT, "4000");
    assert.equal(env.HOST, "127.0.0.1");
    assert.equal(env.GANTRY_ENV, "dev");
    assert.equal(env.GANTRY_SERVICE, "api");
    assert.equal(env.LOG_LEVEL, "info");
    assert.equal(env.TOKEN, "t0k3n");
    assert.equal(env.OTHER, undefined);
    assert.equal(env.GANTRY_RELEASE, "v3");
    assert.equal(env.PATH, "/bin");
  });
  it("makes Python write its output at once, unless the inherited environment says otherwise", () => {
    const m = hello();
    const worker = m.services.worker!;
    assert.ok(worker.type === "worker");
    const env = (base: Record<string, string>) =>
      serviceEnv({ model: m, service: worker, infra: { redis: {} }, release: "v1", secrets: {}, base });
    // A `print` of a Python process reaches the log when it is made, not when a buffer fills.
    assert.equal(env({ PATH: "/bin" }).PYTHONUNBUFFERED, "1");
    assert.equal(env({ PYTHONUNBUFFERED: "" }).PYTHONUNBUFFERED, "");
  });
  it("parses durations and redis persistence flags", () => {
    assert.equal(durationMs("10s", 0), 10_000);
    assert.equal(durationMs("1.5m", 0), 90_000);
    assert.equal(durationMs("bad", 7), 7);
    assert.deepEqual([1500, 30_000, 90_000, 3_600_000, 10_740_000].map(humanMs), [
      "1.5s",
      "30s",
      "1m30s",
      "1h",
      "2h59m",
    ]);
    assert.deepEqual(redisArgs({ dir: "/d", port: 1, persistence: "none" }).slice(-4), [
      "--appendonly",
      "no",
      "--save",
      "",
    ]);
    assert.deepEqual(redisArgs({ dir: "/d", port: 1, persistence: "aof" }).slice(-4, -2), [
      "--appendonly",
      "yes",
    ]);
  });
});

describe("copyApp", () => {
  it("freezes links into the app in the release, and keeps links out of it working", () => {
    const { dir, cleanup } = tempDir();
    try {
      const app = join(dir, "app");
      mkdirSync(join(app, "conf"), { recursive: true });
      writeFileSync(join(app, "conf", "settings.json"), '{"v":1}');
      writeFileSync(join(dir, "outside.json"), '{"shared":true}');
      symlinkSync(join(app, "conf", "settings.json"), join(app, "abs-link.json"));
      symlinkSync("conf/settings.json", join(app, "rel-link.json"));
      symlinkSync("../outside.json", join(app, "rel-outside.json"));
      const v1 = join(dir, "releases", "v1", "app");
      copyApp(app, v1);
      writeFileSync(join(app, "conf", "settings.json"), '{"v":2}'); // the live app moves on
      assert.equal(readFileSync(join(v1, "abs-link.json"), "utf8"), '{"v":1}');
      assert.equal(readFileSync(join(v1, "rel-link.json"), "utf8"), '{"v":1}');
      assert.equal(readFileSync(join(v1, "rel-outside.json"), "utf8"), '{"shared":true}');
    } finally {
      cleanup();
    }
  });
  it("links node_modules and Python virtual environments instead of copying them", () => {
    const { dir, cleanup } = tempDir({
      "app/node_modules/x/index.js": "",
      "app/.venv/pyvenv.cfg": "home = /usr/bin\n",
      "app/.venv/bin/gunicorn": "#!/app/.venv/bin/python3\n",
      "app/vendor/lib.py": "",
    });
    try {
      const v1 = join(dir, "v1");
      assert.equal(copyApp(join(dir, "app"), v1), 1);
      assert.equal(readlinkSync(join(v1, "node_modules")), join(dir, "app", "node_modules"));
      assert.equal(readlinkSync(join(v1, ".venv")), join(dir, "app", ".venv"));
      assert.ok(lstatSync(join(v1, "vendor")).isDirectory());
    } finally {
      cleanup();
    }
  });
});

describe("lock", () => {
  it("is exclusive while its owner lives and taken over when the owner is dead or its pid reused", () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, "lock");
      const a = acquireLock(path, "deploy");
      assert.throws(
        () => acquireLock(path, "deploy", process.pid + 1),
        /another Gantry command holds the lock for this environment: `gantry deploy`/,
      );
      a.release();
      // A lock left by a process that no longer exists (pid far above pid_max).
      writeFileSync(path, JSON.stringify({ pid: 99_999_999, command: "deploy", startedAt: "then" }));
      const b = acquireLock(path, "up");
      assert.deepEqual(b.recovered, { pid: 99_999_999, command: "deploy", startedAt: "then" });
      b.release();
      // A lock whose pid now belongs to another process (pid 1 did not start at tick 1): taken over.
      const reused = { pid: 1, command: "deploy", startedAt: "before the reboot", startTicks: 1 };
      writeFileSync(path, JSON.stringify(reused));
      const c = acquireLock(path, "up");
      assert.deepEqual(c.recovered, reused);
      // The lock records its owner's start time, which keeps it held against others.
      const held = JSON.parse(readFileSync(path, "utf8")) as { pid: number; startTicks?: number };
      assert.equal(held.pid, process.pid);
      assert.ok(Number.isInteger(held.startTicks) && held.startTicks! > 1);
      assert.throws(() => acquireLock(path, "deploy", process.pid + 1), /holds the lock/);
      c.release();
      assert.deepEqual(readdirSync(dir), [], "a lock file or its draft was left behind");
    } finally {
      cleanup();
    }
  });

  it("is taken over by one command only when several find it stale", () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, "lock");
      const draft = join(dir, "draft");
      writeFileSync(draft, JSON.stringify({ pid: process.pid + 1, command: "deploy", startedAt: "now" }));
      const stale = { pid: 99_999_999, command: "deploy", startedAt: "then" };
      // Command A took over the stale lock first; B, which read the same stale lock before A's
      // takeover, must not remove A's.
      writeFileSync(path, JSON.stringify(stale));
      const judged = { info: stale, ino: statSync(path).ino };
      const a = acquireLock(path, "up");
      removeStale(path, draft, judged);
      assert.equal((JSON.parse(readFileSync(path, "utf8")) as { pid: number }).pid, process.pid);
      a.release();
      // An unreadable lock judged stale: a new lock in its place is not removed either.
      writeFileSync(path, "{");
      const unreadable = { info: undefined, ino: statSync(path).ino };
      const b = acquireLock(path, "up");
      removeStale(path, draft, unreadable);
      assert.equal((JSON.parse(readFileSync(path, "utf8")) as { pid: number }).pid, process.pid);
      b.release();
      // Still the stale one: removed. A takeover lock left by a dead process does not block it.
      writeFileSync(path, JSON.stringify(stale));
      writeFileSync(`${path}.takeover`, JSON.stringify(stale));
      removeStale(path, draft, { info: stale, ino: statSync(path).ino });
      assert.deepEqual(readdirSync(dir), ["draft"]);
    } finally {
      cleanup();
    }
  });
});

describe("cloud events", () => {
  it("wraps a published JSON body in a CloudEvents envelope with a stable id", () => {
    const ev = cloudEvent(
      { id: "e-1", ct: "application/json", time: "t", data: '{"id":1}' },
      "note-events",
      "pubsub",
      "hello",
    );
    assert.deepEqual(ev, {
      specversion: "1.0",
      id: "e-1",
      source: "hello",
      type: "com.dapr.event.sent",
      datacontenttype: "application/json",
      time: "t",
      topic: "note-events",
      pubsubname: "pubsub",
      data: { id: 1 },
    });
  });
  it("passes a published CloudEvent through", () => {
    const ev = cloudEvent(
      { id: "e-2", ct: "application/cloudevents+json", data: '{"id":"mine","type":"x.y","data":{"a":1}}' },
      "t",
      "pubsub",
      "hello",
    );
    assert.equal(ev.id, "mine");
    assert.equal(ev.type, "x.y");
    assert.deepEqual(ev.data, { a: 1 });
  });
});
