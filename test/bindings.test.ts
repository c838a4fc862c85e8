// What an app receives (src/model/bindings.ts): the variable names, what each is bound to, references
// in env values, what `command` means, and the positioned problems when a spec gets them wrong.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { loadSpec } from "../src/model/load.js";
import { SpecError, formatProblem } from "../src/errors.js";
import { workloadContract, describeBinding } from "../src/model/bindings.js";
import { parseCommand, renderCommand, commandVariables } from "../src/model/command-line.js";
import { parseEnvValue } from "../src/spec/env-references.js";
import type { JobModel, ServiceModel } from "../src/model/types.js";

function load(spec: string) {
  return loadSpec("gantry.yaml", spec).project.environments[0]!;
}
function problems(spec: string): string[] {
  try {
    loadSpec("gantry.yaml", spec);
    return [];
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    return e.problems.filter((p) => p.severity === "error").map(formatProblem);
  }
}
const contract = (spec: string, service: string) => {
  const app = load(spec);
  return workloadContract(app, app.services[service] as ServiceModel | JobModel);
};
const names = (spec: string, service: string) => contract(spec, service).variables.map((v) => v.name);

const TWO_DBS = `name: shop
postgres: { main: {}, analytics: {} }
redis: { cache: {}, sessions: {} }
buckets: { uploads: {} }
topics: { orders: {} }
email: { domain: shop.example, senders: [noreply] }
services:
  api: { image: api, port: 8000, uses: [main, cache, uploads, orders, email], secrets: [JWT_SECRET], env: { LOG_LEVEL: info } }
  reports: { image: reports, uses: [main, analytics, cache, sessions] }
  nightly: { image: nightly, schedule: "0 3 * * *", uses: [analytics] }
`;

describe("the variables a workload receives", () => {
  it("names the primary database and cache as every driver expects, with libpq's parts, and each by its name", () => {
    assert.deepEqual(names(TWO_DBS, "api"), [
      "BUCKET_NAME",
      "BUCKET_URL",
      "CACHE_REDIS_URL",
      "DAPR_HTTP_PORT",
      "DATABASE_URL",
      "EMAIL_SENDER_DOMAIN",
      "GANTRY_ENV",
      "GANTRY_SERVICE",
      "HOST",
      "JWT_SECRET",
      "LOG_LEVEL",
      "MAIN_DATABASE_URL",
      "PGDATABASE",
      "PGHOST",
      "PGPASSWORD",
      "PGPORT",
      "PGSSLMODE",
      "PGUSER",
      "PORT",
      "PUBSUB_NAME",
      "REDIS_URL",
      "UPLOADS_BUCKET_NAME",
      "UPLOADS_BUCKET_URL",
    ]);
  });
  it("makes the first of each kind in `uses` the primary, so adding one at the end renames nothing", () => {
    const bound = (spec: string, service: string) =>
      Object.fromEntries(
        contract(spec, service).variables.map((v) => [
          v.name,
          "resource" in v.binding ? `${v.binding.resource}.${v.binding.part}` : v.binding.kind,
        ]),
      );
    const reports = bound(TWO_DBS, "reports");
    assert.equal(reports.DATABASE_URL, "main.url");
    assert.equal(reports.PGHOST, "main.host");
    assert.equal(reports.ANALYTICS_DATABASE_URL, "analytics.url");
    assert.equal(reports.REDIS_URL, "cache.url");
    assert.equal(reports.SESSIONS_REDIS_URL, "sessions.url");
    // The same service before `analytics` and `sessions` were added: the primary names are the same.
    const before = bound(
      TWO_DBS.replace("uses: [main, analytics, cache, sessions]", "uses: [main, cache]"),
      "reports",
    );
    for (const name of Object.keys(before)) assert.equal(reports[name], before[name], name);
    // A job has no port; what it uses alone decides its names.
    assert.deepEqual(names(TWO_DBS, "nightly"), [
      "ANALYTICS_DATABASE_URL",
      "DATABASE_URL",
      "GANTRY_ENV",
      "GANTRY_SERVICE",
      "PGDATABASE",
      "PGHOST",
      "PGPASSWORD",
      "PGPORT",
      "PGSSLMODE",
      "PGUSER",
    ]);
  });
  it("marks credentials as secrets and says what each variable is bound to", () => {
    const vars = Object.fromEntries(contract(TWO_DBS, "api").variables.map((v) => [v.name, v]));
    assert.equal(vars.DATABASE_URL!.secret, true);
    assert.equal(vars.PGPASSWORD!.secret, true);
    assert.equal(vars.PGHOST!.secret, false);
    assert.equal(vars.JWT_SECRET!.secret, true);
    assert.equal(describeBinding(vars.DATABASE_URL!.binding), "postgres main: url");
    assert.equal(describeBinding(vars.JWT_SECRET!.binding), "secret JWT_SECRET");
    assert.equal(describeBinding(vars.PORT!.binding), "the service's port");
  });
  it("binds env values that refer to parts of what the service uses", () => {
    const spec = TWO_DBS.replace(
      "env: { LOG_LEVEL: info }",
      () =>
        'env: { DB_HOST: "${main.host}", DSN: "host=${main.host} port=${main.port}", DB_PASS: "${main.password}", LITERAL: "$${main.host} and ${HOME}" }',
    );
    const vars = Object.fromEntries(contract(spec, "api").variables.map((v) => [v.name, v]));
    assert.deepEqual(vars.DB_HOST!.binding, { kind: "postgres", resource: "main", part: "host" });
    assert.equal(vars.DB_HOST!.secret, false);
    assert.equal(vars.DB_PASS!.secret, true);
    assert.equal(describeBinding(vars.DSN!.binding), "env: host=${main.host} port=${main.port}");
    assert.deepEqual(vars.LITERAL!.binding, { kind: "literal", value: "${main.host} and ${HOME}" });
  });
});

describe("references in env values", () => {
  it("splits text and references, with $${ for a literal ${", () => {
    assert.deepEqual(parseEnvValue("a${db.host}:${db.port}/x"), [
      "a",
      { resource: "db", part: "host", offset: 1 },
      ":",
      { resource: "db", part: "port", offset: 12 },
      "/x",
    ]);
    assert.deepEqual(parseEnvValue("$${db.host} ${HOME}"), ["${db.host} ${HOME}"]);
  });
  it("reports each wrong reference at its value, all at once", () => {
    const spec = TWO_DBS.replace(
      "env: { LOG_LEVEL: info }",
      'env: { A: "${mian.host}", B: "${main.hots}", C: "${analytics.url}", D: "${orders.url}" }',
    );
    assert.deepEqual(problems(spec), [
      "gantry.yaml:8:112 services.api.env.A: ${mian.host}: no PostgreSQL, Redis or bucket is named `mian`\n  hint: did you mean `${main.host}`?",
      "gantry.yaml:8:131 services.api.env.B: ${main.hots}: a PostgreSQL has no part `hots`\n  hint: did you mean `${main.host}`?",
      "gantry.yaml:8:150 services.api.env.C: ${analytics.url}: api does not use analytics\n  hint: add analytics to services.api.uses",
      "gantry.yaml:8:173 services.api.env.D: ${orders.url}: orders has no parts to refer to\n  hint: references name one of: analytics, cache, main, sessions, uploads (write $${ for a literal ${)",
    ]);
  });
  it("refuses a value for a variable Gantry sets", () => {
    const spec = TWO_DBS.replace("env: { LOG_LEVEL: info }", "env: { PGHOST: db.internal, HOST: 0.0.0.0 }");
    assert.deepEqual(problems(spec), [
      "gantry.yaml:8:109 services.api.env.PGHOST: `PGHOST` is set by Gantry for each instance; a value here would override it\n  hint: remove it; the connection settings come from `uses:` (or name it differently and set it to `${main.host}`)",
      "gantry.yaml:8:130 services.api.env.HOST: `HOST` is set by Gantry for each instance; a value here would override it\n  hint: name it differently",
    ]);
  });
});

describe("what command means", () => {
  it("splits words as a shell does and keeps variable references", () => {
    const c = parseCommand(`uvicorn app:app --port $PORT --root-path "/a b" '$X' \${HOST}:1`);
    assert.equal(c.shell, false);
    assert.deepEqual(commandVariables(c), ["PORT", "HOST"]);
    assert.deepEqual(
      renderCommand(c, (v) => `$(${v})`),
      ["uvicorn", "app:app", "--port", "$(PORT)", "--root-path", "/a b", "$X", "$(HOST):1"],
    );
  });
  it("runs a line with shell syntax through /bin/sh", () => {
    const c = parseCommand("npm run migrate && node server.js");
    assert.equal(c.shell, true);
    assert.deepEqual(
      renderCommand(c, (v) => v),
      ["/bin/sh", "-c", "npm run migrate && node server.js"],
    );
  });
  it("refuses a command that refers to a variable the service does not receive", () => {
    const spec = TWO_DBS.replace(
      "image: api, port: 8000,",
      "image: api, port: 8000, command: 'serve --port $PROT --db $DATABASE_URL',",
    );
    assert.deepEqual(problems(spec), [
      "gantry.yaml:8:43 services.api.command: the command uses $PROT, which api does not receive\n  hint: did you mean `$PORT`?",
    ]);
  });
});
