// Environment resolution: examples validate everywhere, --print is deterministic, and the merge
// rules (maps merge, lists replace, null removes) and defaults behave as documented.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { loadSpec } from "../src/model/load.js";
import { filled, given } from "../src/model/defaults.js";
import { SpecError, formatProblem } from "../src/errors.js";
import { publishedSchemaText } from "../src/spec/publish.js";
import { specDocs } from "../src/docs/spec-reference.js";
import type { AppModel, ServiceModel } from "../src/model/types.js";
import { EXAMPLES, REPO_ROOT, examplePath, loadExample, runCli } from "./helpers.js";

const envOf = (text: string, env: string): AppModel =>
  loadSpec("gantry.yaml", text, env).project.environments[0]!;

describe("examples", () => {
  for (const name of EXAMPLES) {
    it(`${name} validates in every environment and prints byte-identical models`, async () => {
      const { project } = loadExample(name);
      assert.ok(project.environments.length >= 2);
      for (const env of project.environments) {
        const a = await runCli(["validate", `examples/${name}`, "--env", env.environment.name, "--print"]);
        const b = await runCli(["validate", `examples/${name}`, "--env", env.environment.name, "--print"]);
        assert.equal(a.code, 0, a.err);
        assert.equal(a.out, b.out);
        assert.equal((parse(a.out) as AppModel).environment.name, env.environment.name);
      }
    });
    it(`${name} starts with the yaml-language-server schema line`, () => {
      assert.match(
        readFileSync(examplePath(name), "utf8"),
        /^# yaml-language-server: \$schema=\.\.\/\.\.\/schema\/gantry\.schema\.json\n/,
      );
    });
  }

  it("augeo resolves the reference's per-environment differences", () => {
    const prod = loadExample("augeo", "production").project.environments[0]!;
    const dev = loadExample("augeo", "dev").project.environments[0]!;
    assert.equal(prod.postgres.db!.backups.retention_days, 30);
    assert.equal(prod.postgres.db!.backups.geo_redundant, true);
    assert.equal(dev.postgres.db!.backups.retention_days, 7);
    assert.equal(prod.monitoring.sampling_percent, 10);
    assert.equal(dev.monitoring.sampling_percent, 100);
    assert.equal(prod.environment.deploy.approval, "required");
    assert.deepEqual((dev.services.api as ServiceModel).domains, ["api.dev.augeo.app"]);
    assert.deepEqual((prod.services.api as ServiceModel).scale.min, 2);
    assert.deepEqual((dev.services.api as ServiceModel).scale, {
      ...(prod.services.api as ServiceModel).scale,
      min: 1,
      max: 1,
    });
    assert.equal(prod.budget!.monthly_usd, 300);
  });
});

const BASE = `name: app
services:
  api:
    image: nginx
    port: 80
    domain: [a.app.dev, b.app.dev]
    env: { A: "1", B: "2" }
    scale: { min: 2, max: 5 }
postgres:
  db: { backups: { retention_days: 14 } }
  analytics: {}
environments:
  staging:
    services:
      api:
        domain: [s.app.dev]
        env: { B: "3", C: "4" }
        scale: { max: 3 }
    postgres:
      analytics: null
  production: {}
`;

describe("merge rules", () => {
  it("maps merge, lists replace, null removes", () => {
    const staging = envOf(BASE, "staging");
    const api = staging.services.api as ServiceModel;
    assert.deepEqual(api.domains, ["s.app.dev"]);
    assert.deepEqual(api.env, { A: "1", B: "3", C: "4" });
    assert.equal(api.scale.min, 2);
    assert.equal(api.scale.max, 3);
    assert.deepEqual(Object.keys(staging.postgres), ["db"]);
    const prod = envOf(BASE, "production");
    assert.deepEqual(Object.keys(prod.postgres), ["analytics", "db"]);
    assert.deepEqual((prod.services.api as ServiceModel).domains, ["a.app.dev", "b.app.dev"]);
  });

  it("applies schema defaults and tier defaults, keeping what the spec sets", () => {
    const prod = envOf(BASE, "production");
    const api = prod.services.api as ServiceModel;
    assert.deepEqual(api.rollout, { max_surge: 1, max_unavailable: 0 });
    assert.deepEqual(api.scale.up, { window_seconds: 60, pods: 2, period_seconds: 60 });
    assert.deepEqual(api.scale.down, { window_seconds: 300, pods: 1, period_seconds: 120 });
    assert.equal(prod.postgres.db!.backups.retention_days, 14);
    assert.equal(prod.postgres.analytics!.backups.retention_days, 30);
    assert.equal(prod.postgres.db!.size, "m");
    assert.equal(envOf(BASE, "staging").postgres.db!.size, "s");
    assert.deepEqual(prod.postgres.analytics!.databases, ["analytics"]);
    assert.equal(prod.environment.tier, "production");
    assert.equal(prod.environment.deploy.on, "release");
    assert.ok(Object.keys(prod.monitoring.alerts).includes("crash-loop"));
  });

  it("expands the sketch's shorthands", () => {
    const m = envOf(
      `name: s
services:
  api: { build: ./backend, port: 8000, health: /health, scale: 3, domain: api.s.dev, metrics: /metrics, migrations: alembic upgrade head }
  w: { build: ./backend, command: python -m w, subscribes: [ev] }
topics: { ev: {} }
`,
      "production",
    );
    const api = m.services.api as ServiceModel;
    assert.deepEqual(
      [api.health?.liveness, api.health?.readiness, api.health?.startup],
      ["/health", "/health", "/health"],
    );
    assert.deepEqual([api.scale.min, api.scale.max], [3, 3]);
    assert.deepEqual(api.build, { context: "./backend", dockerfile: "Dockerfile", args: {} });
    assert.equal(api.migrations?.command, "alembic upgrade head");
    const w = m.services.w as ServiceModel;
    assert.equal(w.type, "worker");
    assert.equal(w.port, 8080);
    assert.deepEqual(w.subscribes, {
      ev: { route: "/events/ev", group: "w", max_retries: 5, dead_letter: true },
    });
    assert.deepEqual(m.topics.ev!.subscribers, ["w"]);
  });

  it("warns (exit 0) for production with a single instance or no backups", async () => {
    const r = loadSpec(
      "gantry.yaml",
      "name: a\nservices:\n  api: { image: nginx, port: 80 }\npostgres:\n  db: { backups: { enabled: false } }\n",
    );
    assert.deepEqual(
      r.warnings.map((w) => w.message),
      ["only one instance of this service runs", "this database has no backups"],
    );
    const ok = await runCli(["validate", "examples/todo"]);
    assert.equal(ok.code, 0);
    assert.match(
      ok.err,
      /services\.mcp\.scale: warning: only one instance of this service runs \(in production\)/,
    );
  });
});

describe("generated reference", () => {
  it("schema/gantry.schema.json matches the schema source (run npm run gen)", () => {
    assert.equal(
      readFileSync(join(REPO_ROOT, "schema", "gantry.schema.json"), "utf8"),
      publishedSchemaText(),
    );
  });
  it("docs/spec.md matches the schema source (run npm run gen)", () => {
    assert.equal(readFileSync(join(REPO_ROOT, "docs", "spec.md"), "utf8"), specDocs());
  });
  it("gantry schema prints the committed schema", async () => {
    const r = await runCli(["schema"]);
    assert.equal(r.out, readFileSync(join(REPO_ROOT, "schema", "gantry.schema.json"), "utf8"));
  });
  it("the published schema accepts every example (Ajv, draft-07)", async () => {
    const { default: Ajv } = await import("ajv");
    const ajv = new Ajv.default({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(publishedSchemaText()) as object);
    for (const name of EXAMPLES) {
      const ok = validate(parse(readFileSync(examplePath(name), "utf8")));
      assert.ok(ok, `${name}: ${JSON.stringify(validate.errors)}`);
    }
  });
});

describe("alert rules", () => {
  const spec = (alerts: string) =>
    `name: a\nservices:\n  api: { image: nginx, port: 80, scale: 2 }\nmonitoring:\n  alerts:\n${alerts}`;
  it("a partial override of a built-in rule keeps its other fields", () => {
    const m = loadSpec(
      "gantry.yaml",
      spec("    high-cpu: { above: 90 }\n    crash-loop: { enabled: false }\n"),
    ).project.environments[0]!;
    assert.deepEqual(m.monitoring.alerts["high-cpu"], {
      metric: "cpu",
      above: 90,
      for: "10m",
      severity: "warning",
      services: [],
      channels: [],
    });
    assert.equal(m.monitoring.alerts["crash-loop"], undefined);
    assert.equal(m.monitoring.alerts["high-latency"]?.above, 500);
  });
  it("a new rule needs metric and above; the rest defaults", () => {
    assert.throws(
      () => loadSpec("gantry.yaml", spec("    disk: { for: 5m }\n")),
      (e: unknown) =>
        e instanceof SpecError &&
        e.problems.map((p) => p.message).join("|") === "`above` is required|`metric` is required",
    );
    const m = loadSpec("gantry.yaml", spec("    slow: { metric: latency_p95, above: 2000 }\n")).project
      .environments[0]!;
    assert.deepEqual(m.monitoring.alerts.slow, {
      metric: "latency_p95",
      above: 2000,
      for: "5m",
      severity: "warning",
      services: [],
      channels: [],
    });
  });
});

/** The first line of each error of a spec that does not load (warnings left out). */
const errorsOf = (text: string): string[] => {
  try {
    loadSpec("gantry.yaml", text);
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    return e.problems.filter((p) => p.severity === "error").map((p) => formatProblem(p).split("\n")[0]!);
  }
  return [];
};

describe("what the model needs", () => {
  // Each of these loaded before and gave a model without a field its type requires.
  const cases: [string, string, string][] = [
    [
      "an image build without its context",
      "services:\n  api: { build: { dockerfile: Dockerfile.api }, port: 80 }\n",
      "gantry.yaml:3:17 services.api.build: `context` is required: a non-empty string",
    ],
    [
      "migrations without their command",
      "services:\n  api: { image: nginx, port: 80, migrations: { timeout: 5m } }\n",
      "gantry.yaml:3:46 services.api.migrations: `command` is required: a non-empty string",
    ],
    [
      "idempotency without its store",
      "redis:\n  cache: {}\ntopics:\n  events: { idempotency: { ttl: 1h } }\n",
      "gantry.yaml:5:26 topics.events.idempotency: `store` is required: a lower-case name (a-z, 0-9 and '-', starting with a letter, not ending with '-'), at most 40 characters",
    ],
    [
      "a static frontend without its source",
      "services:\n  web: { type: static, build: npm run build }\n",
      "gantry.yaml:3:3 services.web: a static frontend needs `static`",
    ],
    [
      "a static frontend with an image build",
      "services:\n  web: { static: ./web, build: { context: ./web } }\n",
      "gantry.yaml:3:25 services.web.build: a static frontend's `build` is the command that builds it",
    ],
  ];
  for (const [name, services, expected] of cases) {
    it(`reports ${name}`, () => assert.deepEqual(errorsOf(`name: a\n${services}`), [expected]));
  }

  it("checks what an environment's override makes of a short form", () => {
    const spec = `name: a
services:
  api: { build: ./api, port: 80 }
environments:
  staging:
    services:
      api: { build: { dockerfile: Dockerfile.dev } }
  production: {}
`;
    assert.deepEqual(errorsOf(spec), [
      "gantry.yaml:7:21 services.api.build: `context` is required: a non-empty string (in staging)",
    ]);
  });

  it("still checks the model of an environment whose own settings are wrong", () => {
    const spec = `name: a
services:
  api: { image: nginx, port: 80, env: { DB: "\${db.host}" } }
environments:
  staging: { deploy: { on: sometimes } }
`;
    assert.deepEqual(errorsOf(spec), [
      "gantry.yaml:3:45 services.api.env.DB: ${db.host}: no PostgreSQL, Redis or bucket is named `db`",
      'gantry.yaml:5:28 environments.staging.deploy.on: expected one of push, release, manual, got "sometimes"',
    ]);
  });

  it("a field left unset after the checks and defaults is a bug that names the field", () => {
    const scale: { min?: number; max?: number } = { min: 1 };
    assert.throws(() => filled(scale, ["min", "max"], "services.api.scale"), {
      message: "services.api.scale.max not set after the spec's checks and defaults",
    });
    assert.equal(filled(scale, ["min"], "services.api.scale").min, 1);
    assert.throws(() => given(undefined, "services.job.schedule"), {
      message: "services.job.schedule not set after the spec's checks and defaults",
    });
    assert.equal(given(0, "x"), 0);
  });
});

describe("--print", () => {
  it("keeps the order the spec writes fields in, defaults after them", () => {
    const m = envOf(
      `name: a
services:
  api:
    image: nginx
    port: 80
    health: { interval: 5s, readiness: /ready }
    scale: { memory: 60, min: 2, up: { pods: 4 } }
postgres:
  db: { ha: true, backups: { pitr: false } }
targets:
  aws: {}
  kubernetes: { registry: ghcr.io/acme }
`,
      "production",
    );
    const api = m.services.api as ServiceModel;
    assert.deepEqual(Object.keys(api.health!), [
      "interval",
      "readiness",
      "timeout",
      "failure_threshold",
      "initial_delay",
      "startup_timeout",
    ]);
    assert.deepEqual(Object.keys(api.scale), ["memory", "min", "up", "max", "cpu", "down"]);
    assert.deepEqual(Object.keys(api.scale.up), ["pods", "window_seconds", "period_seconds"]);
    const db = m.postgres.db!;
    assert.deepEqual(Object.keys(db), [
      "name",
      "ha",
      "backups",
      "size",
      "version",
      "storage_gb",
      "hosting",
      "public_access",
      "databases",
    ]);
    assert.deepEqual(Object.keys(db.backups), ["pitr", "retention_days", "geo_redundant", "enabled"]);
    assert.deepEqual(Object.keys(m.targets), ["aws", "kubernetes"]);
  });
});
