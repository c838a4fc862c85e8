// The spec means what the user wrote: values that are text keep their text, environment names give the
// tier people expect, common YAML habits work, and structural slips get a hint that shows the fix.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadSpec } from "../src/model/load.js";
import { tierFromName } from "../src/model/defaults.js";
import { SpecError, formatProblem } from "../src/errors.js";
import { specDocs } from "../src/docs/spec-reference.js";
import type { AppModel, ServiceModel } from "../src/model/types.js";
import { stringify } from "yaml";
import { mergedSpec } from "../src/model/resolve.js";
import { SpecSchema } from "../src/spec/schema.js";
import { SourceMap, parseSource } from "../src/spec/source.js";
import { TARGETS } from "../src/targets/registry.js";
import { exampleContext, runCli, tempDir } from "./helpers.js";
import { fields, withValue } from "./spec-truth-cases.js";
import { getAt } from "./spec-truth-schema.js";

const model = (text: string, env?: string): AppModel =>
  loadSpec("gantry.yaml", text, env).project.environments[0]!;
const service = (text: string, name = "api", env?: string) => model(text, env).services[name] as ServiceModel;

/** Every problem (errors and warnings) printed as the CLI prints it, hints included. */
function problems(text: string): string[] {
  try {
    return loadSpec("gantry.yaml", text).warnings.map(formatProblem);
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    return e.problems.map(formatProblem);
  }
}
const errors = (text: string) => problems(text).filter((p) => !p.includes(": warning: "));

const API = "name: shop\nservices:\n  api:\n    image: nginx\n    port: 80\n";

describe("values that are text keep what the user wrote", () => {
  it("keeps env values as written: numbers, octal, hex, exponents and booleans", () => {
    const env = service(
      `${API}    env:\n      A: 1.10\n      B: 0755\n      C: 0x10\n      D: 1e3\n      E: .5\n      F: true\n      G: yes\n      H: +12\n      I: 12345678901234567890\n      J: "quoted"\n`,
    ).env;
    assert.deepEqual(env, {
      A: "1.10",
      B: "0755",
      C: "0x10",
      D: "1e3",
      E: ".5",
      F: "true",
      G: "yes",
      H: "+12",
      I: "12345678901234567890",
      J: "quoted",
    });
  });

  it("keeps the text through anchors, merge keys and environment overrides", () => {
    const text = `name: shop
x-env: &env
  VERSION: 1.10
  MODE: 0755
services:
  api:
    image: nginx
    port: 80
    env:
      <<: *env
      ALIAS: *env
environments:
  staging:
    services:
      api:
        env: { VERSION: 2.50 }
  production: {}
`;
    assert.equal(errors(text).length, 1, "an alias of a map is not a value");
    const fixed = text.replace("      ALIAS: *env\n", "");
    assert.deepEqual(service(fixed, "api", "production").env, { MODE: "0755", VERSION: "1.10" });
    assert.deepEqual(service(fixed, "api", "staging").env, { MODE: "0755", VERSION: "2.50" });
  });

  it("keeps the text of every text field of the schema, as written unquoted", () => {
    const textFields = fields(SpecSchema, [], []).filter((f) => f.schema["x-text"]?.includes("number"));
    assert.ok(textFields.length >= 7, `${textFields.length} text fields`);
    for (const f of textFields) {
      const text = stringify(withValue(f.path, "WRITTEN")).replace(/\bWRITTEN\b/, "0755");
      const map = new SourceMap();
      const raw = parseSource("gantry.yaml", text, map).value as Record<string, unknown>;
      const { merged } = mergedSpec({ file: "gantry.yaml", raw, map }, "production", {
        map,
        problems: [],
        fallback: { file: "gantry.yaml", line: 1, col: 1 },
      });
      assert.equal(getAt(merged, f.path), "0755", f.path.join("."));
    }
  });

  it("keeps build arguments, tags and versions as written", () => {
    const m = model(`name: shop
services:
  api:
    build: { context: ., args: { NODE_VERSION: 20.10, DEBUG: false } }
    port: 80
    ci: { version: 3.10 }
tags: { CostCenter: 0042 }
targets:
  digitalocean: { kubernetes_version: 1.30 }
`);
    const api = m.services.api as ServiceModel;
    assert.deepEqual(api.build?.args, { NODE_VERSION: "20.10", DEBUG: "false" });
    assert.equal(api.ci?.version, "3.10");
    assert.equal(m.tags.CostCenter, "0042");
    assert.equal(m.targets.digitalocean?.kubernetes_version, "1.30");
  });

  it("reads an unquoted CPU amount as cores, and a memory number as bytes, refusing too little", () => {
    const api = service(
      `${API}    resources: { requests: { cpu: 0.25 }, limits: { cpu: 1, memory: 536870912 } }\n`,
    );
    assert.deepEqual(api.resources.requests.cpu, "0.25");
    assert.deepEqual(api.resources.limits, { cpu: "1", memory: "536870912" });
    assert.deepEqual(errors(`${API}    resources: { limits: { memory: 512 } }\n`), [
      'gantry.yaml:6:36 services.api.resources.limits.memory: expected a memory amount such as 256Mi or 1Gi, got "512": 512 is 512 bytes (a number without a unit counts bytes); a container needs 6Mi at the least\n  hint: did you mean `512Mi`?',
    ]);
  });

  it("checks a number in env as the text it is: a secret written as digits is a secret", () => {
    const found = errors(`${API}    env: { DB_PASSWORD: 12345678, PIN: 0042 }\n`);
    assert.deepEqual(found, [
      "gantry.yaml:6:25 services.api.env.DB_PASSWORD: this value looks like a secret (the value of a setting named like a secret); secret values are never accepted in the spec\n  hint: remove it from env, add DB_PASSWORD to the service's `secrets`, and store the value with `gantry secrets set DB_PASSWORD` (or in your vault)",
    ]);
  });

  it("keeps the meaning of numbers everywhere else", () => {
    const m = model(`${API.replace("port: 80", "port: 0x1F90")}    scale: { min: 2, max: 0o12 }\n`);
    const api = m.services.api as ServiceModel;
    assert.equal(api.port, 8080);
    assert.equal(api.scale.max, 10);
  });

  it("shows a number in a message as it was written", () => {
    assert.deepEqual(errors(API.replace("port: 80", "port: 070000")), [
      "gantry.yaml:5:11 services.api.port: expected a port from 1 to 65535, got 070000",
    ]);
  });
});

describe("environment names and tiers", () => {
  it("gives the common short and long names the tier people expect", () => {
    const cases: [string, string][] = [
      ["prod", "production"],
      ["prd", "production"],
      ["production", "production"],
      ["live", "production"],
      ["prod-eu", "production"],
      ["eu-prod-2", "production"],
      ["production2", "production"],
      ["staging", "staging"],
      ["stage", "staging"],
      ["stg", "staging"],
      ["preprod", "staging"],
      ["pre-prod", "staging"],
      ["uat", "staging"],
      ["qa", "staging"],
      ["test", "staging"],
      ["dev", "development"],
      ["development", "development"],
      ["local", "development"],
      ["feature-x", "development"],
      ["products", "development"],
    ];
    assert.deepEqual(
      cases.map(([n]) => [n, tierFromName(n)]),
      cases,
    );
  });

  it("keeps `tier:` as the override, and accepts an environment with nothing under it", () => {
    const text = `${API}environments:\n  stg:\n  prd: ~\n  live: { tier: staging }\n`;
    const tiers = loadSpec("gantry.yaml", text).project.environments.map((e) => [
      e.environment.name,
      e.environment.tier,
    ]);
    assert.deepEqual(tiers, [
      ["stg", "staging"],
      ["prd", "production"],
      ["live", "staging"],
    ]);
  });

  it("accepts a database, cache, topic or bucket with nothing under it", () => {
    const m = model(
      "name: shop\npostgres:\n  db:\nredis:\n  cache: ~\ntopics:\n  events:\nbuckets:\n  files:\n",
    );
    assert.deepEqual(Object.keys(m.postgres), ["db"]);
    assert.deepEqual(Object.keys(m.redis), ["cache"]);
    assert.deepEqual(Object.keys(m.topics), ["events"]);
    assert.deepEqual(Object.keys(m.buckets), ["files"]);
  });

  it("says the rule in the docs", () => {
    const docs = specDocs();
    assert.match(docs, /`prd`/);
    assert.match(docs, /`stg`/);
    assert.match(docs, /Set `tier` when the name says otherwise/);
  });
});

describe("YAML habits", () => {
  const MERGED = `name: shop
x-defaults: &defaults
  image: nginx
  port: 80
  env: { A: "1" }
x-more: &more
  port: 81
  command: serve
services:
  api:
    <<: *defaults
    port: 8000
  worker:
    <<: [*more, *defaults]
    type: http
`;

  it("applies merge keys as YAML 1.1 does: explicit keys win, earlier maps win", () => {
    const m = model(MERGED);
    const api = m.services.api as ServiceModel;
    const worker = m.services.worker as ServiceModel;
    assert.equal(api.port, 8000);
    assert.equal(api.image, "nginx");
    assert.deepEqual(api.env, { A: "1" });
    assert.equal(worker.port, 81);
    assert.equal(worker.command, "serve");
    assert.equal(worker.image, "nginx");
  });

  it("points a problem in merged settings at the line that wrote it", () => {
    assert.deepEqual(errors(MERGED.replace("  image: nginx\n", "  image: Nginx\n")), [
      'gantry.yaml:3:10 services.api.image: expected an image reference such as nginx:1.27, got "Nginx"\n  hint: did you mean `nginx`?',
      'gantry.yaml:3:10 services.worker.image: expected an image reference such as nginx:1.27, got "Nginx"\n  hint: did you mean `nginx`?',
    ]);
  });

  it("refuses a merge key that does not merge a map", () => {
    assert.deepEqual(errors(`${API}    <<: 5\n`), [
      "gantry.yaml:6:9 services.api: a merge key (<<) takes a map, got a number\n  hint: write `<<: *name` with an anchor (&name) on a map, or `<<: [*a, *b]`",
    ]);
  });

  it("ignores x- keys wherever the keys are fixed, and only there", () => {
    const text = `name: shop
x-notes: anything
services:
  api:
    image: nginx
    port: 80
    x-owner: team-a
    health: { liveness: /live, x-why: kept short }
postgres:
  db: { x-note: main }
environments:
  production: { x-region-note: eu }
`;
    const m = model(text);
    assert.deepEqual(Object.keys(m.services), ["api"]);
    assert.equal(JSON.stringify(m).includes("x-"), false);
    // In a map of names, an x- key is a name: a service named x-api, and an invalid env variable.
    assert.deepEqual(Object.keys(model(`${API}  x-api: { image: nginx }\n`).services), ["api", "x-api"]);
    assert.match(
      errors(`${API}    env: { x-a: "1" }\n`)[0]!,
      /services\.api\.env\.x-a: `x-a` is not a valid name/,
    );
    assert.match(specDocs(), /`x-`/);
  });
});

describe("messages that are true", () => {
  it("tells a name that starts with a digit the rule it breaks", () => {
    assert.deepEqual(errors("name: shop\nservices:\n  8080: { image: nginx }\n  2fa: { image: nginx }\n"), [
      "gantry.yaml:3:3 services.8080: `8080` is not a valid name: it must start with a letter\n  hint: expected a lower-case name (a-z, 0-9 and '-', starting with a letter, not ending with '-'), at most 40 characters",
      "gantry.yaml:4:3 services.2fa: `2fa` is not a valid name: it must start with a letter\n  hint: expected a lower-case name (a-z, 0-9 and '-', starting with a letter, not ending with '-'), at most 40 characters",
    ]);
  });

  it("suggests a name that keeps the meaning of one with accents", () => {
    assert.deepEqual(errors("name: boutique-café\nservices:\n  Straße: { image: nginx }\n"), [
      "gantry.yaml:1:7 name: expected a lower-case name, got \"boutique-café\": 'é' is not allowed (only a-z, 0-9 and '-')\n  hint: did you mean `boutique-cafe`?",
      "gantry.yaml:3:3 services.Straße: `Straße` is not a valid name: capital letters and 'ß' are not allowed (only a-z, 0-9 and '-')\n  hint: did you mean `strasse`?",
    ]);
  });

  it("suggests `environments` for a misspelt `enviroments`", () => {
    assert.deepEqual(errors(`${API}enviroments:\n  staging: {}\n`), [
      "gantry.yaml:6:1 enviroments: unknown key `enviroments`\n  hint: did you mean `environments`?",
    ]);
  });

  it("accepts a query in a health path, and says a query is what other paths refuse", () => {
    const api = service(`${API}    health: /_health/?full=1&db=yes\n`);
    assert.equal(api.health?.readiness, "/_health/?full=1&db=yes");
    assert.deepEqual(errors(`${API}    metrics: /metrics?format=prometheus\n`), [
      'gantry.yaml:6:14 services.api.metrics: expected a URL path, got "/metrics?format=prometheus": a query (?...) is not allowed in this path',
    ]);
  });

  it("renders a health path with a query intact on every target", () => {
    const project = loadSpec(
      "gantry.yaml",
      `${API}    health: /_health/?full=1\n    domain: api.shop.dev\n    scale: { min: 2, max: 2 }\n`,
    ).project;
    for (const target of TARGETS) {
      const deploys =
        target.name === "github" ? (["kubernetes", "azure", "aws", "digitalocean"] as const) : [undefined];
      for (const deploy of deploys) {
        const tree = target.render(project, exampleContext("hello", deploy));
        const files = Object.values(tree).map(String).join("\n");
        assert.match(files, /\/_health\/\?full=1/, `${target.name}${deploy ? `/${deploy}` : ""}`);
        assert.doesNotMatch(files, /_health\/%3F|_health\/\\\?/, `${target.name}: the query is escaped`);
      }
    }
  });

  it("names the spec path and the key of a duplicate key", () => {
    assert.deepEqual(errors(`${API}    port: 81\n`), [
      "gantry.yaml:6:5 services.api.port: duplicate key: `port` appears twice in services.api (first on line 5)\n  hint: each key may appear once in a map; keep one of the two entries",
    ]);
  });

  it("counts the services of every environment in the summary of validate", async () => {
    const same = tempDir({ "gantry.yaml": `${API}environments: { staging: {}, production: {} }\n` });
    const differ = tempDir({
      "gantry.yaml": `${API}  worker: { image: nginx }\nenvironments:\n  staging: { services: { worker: null } }\n  production: {}\n`,
    });
    try {
      const a = await runCli(["validate", same.dir]);
      assert.match(a.out, /: valid: 2 environments \(staging, production\), 1 HTTP service(; 1 warning)?\n$/);
      const b = await runCli(["validate", differ.dir]);
      assert.match(
        b.out,
        /: valid: 2 environments: staging \(1 HTTP service\), production \(1 HTTP service, 1 worker\)(; \d warnings?)?\n$/,
      );
    } finally {
      same.cleanup();
      differ.cleanup();
    }
  });
});

describe("checks that were too strict", () => {
  it("allows two services on the same port", () => {
    const m = model(
      "name: shop\nservices:\n  a: { image: nginx, port: 8080 }\n  b: { image: nginx, port: 8080 }\n",
    );
    assert.deepEqual(
      Object.values(m.services).map((s) => (s as ServiceModel).port),
      [8080, 8080],
    );
  });

  it("keeps the clashes inside one pod: a service's ports and its Dapr sidecar's", () => {
    const topics = "topics:\n  events: {}\n";
    assert.deepEqual(
      errors(`name: shop\nservices:\n  a: { image: nginx, port: 3500, uses: [events] }\n${topics}`),
      [
        "gantry.yaml:3:28 services.a.port: port 3500 clashes with the Dapr HTTP API in the same pod\n  hint: this service uses topics, so it runs with a Dapr sidecar; pick another port",
      ],
    );
    // The metrics port may be the service's own port: the app serves both.
    const same = model(`name: shop\nservices:\n  a: { image: nginx, port: 9100, metrics: { port: 9100 } }\n`);
    assert.equal((same.services.a as ServiceModel).metrics?.port, 9100);
  });
});

describe("hints where users got none", () => {
  it("points a key that fell out of its parent back under it", () => {
    assert.deepEqual(errors("name: shop\nservices:\n  api:\n    image: nginx\n  port: 80\n"), [
      "gantry.yaml:5:9 services.port: expected a map with type, description, build, image, ..., got 80\n  hint: `port` is written at the level of `api`: indent it under `api`",
    ]);
    assert.deepEqual(errors("name: shop\nservices:\n  api:\n    image: nginx\nport: 80\n"), [
      "gantry.yaml:5:1 port: unknown key `port`\n  hint: `port` is written at the level of `services`: indent it under `services.api`",
    ]);
    assert.deepEqual(errors(`${API}    health:\n      liveness: /live\n    interval: 5s\n`), [
      "gantry.yaml:8:5 services.api.interval: unknown key `interval`\n  hint: `interval` is written at the level of `health`: indent it under `health`",
    ]);
  });

  it("shows the map form of a list of `- name:` items", () => {
    assert.deepEqual(
      errors("name: shop\nservices:\n  - name: api\n    image: nginx\n    port: 80\n  - name: web\n"),
      [
        "gantry.yaml:3:3 services: expected a map, got a list\n  hint: write a map with the names as keys instead of `- name:` items: `{ api: { image: …, port: … }, web: {} }`",
      ],
    );
    assert.deepEqual(errors(`${API}    env:\n      - name: A\n        value: "1"\n`), [
      "gantry.yaml:7:7 services.api.env: expected a map, got a list\n  hint: write a map with the names as keys instead of `- name:` items: `{ A: … }`",
    ]);
    assert.deepEqual(errors(`${API}    env: [A=1, B=2]\n`), [
      "gantry.yaml:6:10 services.api.env: expected a map, got a list\n  hint: write a map with the names as keys instead of `KEY=value` items: `{ A: …, B: … }`",
    ]);
  });

  it("says a domain is a host name only, with the path in `path`", () => {
    assert.deepEqual(errors(`${API}    domain: https://Api.Shop.dev:8443/v1/\n`), [
      'gantry.yaml:6:13 services.api.domain: expected a host name, got "https://Api.Shop.dev:8443/v1/": a host name is written without https:// and without a path\n  hint: did you mean `api.shop.dev`, with `path: /v1/` on the service?',
    ]);
    assert.deepEqual(errors("name: shop\ndns: { zone: https://shop.dev }\n"), [
      'gantry.yaml:2:14 dns.zone: expected a host name, got "https://shop.dev": a host name is written without https:// and without a path\n  hint: did you mean `shop.dev`?',
    ]);
  });

  it("says secrets are names when they are given as a map of values, never showing a value", () => {
    const found = errors(`${API}    secrets: { JWT_SECRET: abcdef123456, STRIPE_KEY: hunter2hunter2 }\n`);
    assert.deepEqual(found, [
      "gantry.yaml:6:14 services.api.secrets: expected a list, each an upper-case secret name such as JWT_SECRET, got a map\n  hint: secrets are names, and their values never go in the spec: write `[JWT_SECRET, STRIPE_KEY]`, remove the values from this file and store each one with `gantry secrets set JWT_SECRET` (on this machine) or in your platform's vault",
    ]);
    assert.doesNotMatch(found.join("\n"), /abcdef123456|hunter2hunter2/);
  });
});
