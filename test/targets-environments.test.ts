// Services, data stores, topics and buckets that exist in some environments only (`null` removes
// them in one, as docs/spec.md documents): every target renders each where it exists and nowhere
// else, or says with a positioned problem why it cannot.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { loadSpec } from "../src/model/load.js";
import { azureTarget } from "../src/targets/azure/index.js";
import { mergeValues } from "../src/targets/kubernetes/chart.js";
import { bicepParamSyntaxProblems, bicepSyntaxProblems } from "../src/validate/bicep-grammar.js";
import { checkAzureProject } from "../src/validate/bicep-types.js";
import { kubernetesTarget } from "../src/targets/kubernetes/index.js";
import { PLATFORMS, TARGETS, githubTarget } from "../src/targets/registry.js";
import type { FileTree } from "../src/targets/target.js";
import { PARTIAL } from "./fixtures-environments.js";
import { exampleContext, runCli, tempDir } from "./helpers.js";

const ctx = (deployTarget?: string) => exampleContext("todo", deployTarget);
const project = () => loadSpec("gantry.yaml", PARTIAL).project;
type Values = {
  services: Record<string, { enabled: boolean }>;
  datastores: Record<string, { enabled: boolean }>;
};

/** The values Helm installs in one environment: values.yaml with values-<env>.yaml over it. */
function helmValues(tree: FileTree, env: string): Values {
  const base = parse(tree["chart/values.yaml"]!) as Record<string, unknown>;
  return mergeValues(base, parse(tree[`chart/values-${env}.yaml`]!) as Record<string, unknown>) as Values;
}

const enabled = (items: Record<string, { enabled: boolean }>) =>
  Object.keys(items)
    .filter((k) => items[k]!.enabled)
    .sort();

describe("items that exist in some environments only", () => {
  it("every target checks and renders the spec without an exception", () => {
    const p = project();
    for (const t of TARGETS) {
      for (const deployTarget of t.name === "github" ? PLATFORMS.map((x) => x.name) : [undefined]) {
        const c = ctx(deployTarget);
        assert.doesNotThrow(() => t.check(p, c), `${t.name} check`);
        const errors = t.check(p, c).filter((x) => (x.severity ?? "error") === "error");
        if (errors.length) continue; // a positioned problem is an answer; the CLI stops before render
        assert.doesNotThrow(() => t.render(p, c), `${t.name} ${deployTarget ?? ""} render`);
      }
    }
  });

  it("kubernetes: each environment's values switch on what it has, and the chart has a template for everything", () => {
    const tree = kubernetesTarget.render(project(), ctx());
    const dev = helmValues(tree, "dev");
    const prd = helmValues(tree, "prd");
    assert.deepEqual(enabled(dev.services), ["api", "nightly"]);
    assert.deepEqual(enabled(prd.services), ["api", "indexer", "web"]);
    assert.deepEqual(enabled(dev.datastores), ["postgres-reports"]);
    assert.deepEqual(enabled(prd.datastores), []);
    for (const f of [
      "nightly-cronjob",
      "indexer-deployment",
      "web-deployment",
      "postgres-reports-statefulset",
    ])
      assert.ok(`chart/templates/${f}.yaml` in tree, f);
    assert.ok("rendered/dev/nightly-cronjob.yaml" in tree);
    assert.ok(!("rendered/prd/nightly-cronjob.yaml" in tree));
    assert.ok("rendered/prd/indexer-deployment.yaml" in tree);
    assert.ok(!("rendered/dev/indexer-deployment.yaml" in tree));
    const schema = JSON.parse(tree["chart/values.schema.json"]!) as {
      properties: { services: { properties: Record<string, unknown> } };
    };
    assert.deepEqual(Object.keys(schema.properties.services.properties).sort(), [
      "api",
      "indexer",
      "nightly",
      "web",
    ]);
  });

  it("kubernetes: synth and synth --check succeed", async () => {
    const { dir, cleanup } = tempDir({ "gantry.yaml": PARTIAL });
    try {
      const out = `${dir}/out`;
      const w = await runCli(["synth", "kubernetes", dir, "--out", out]);
      assert.equal(w.code, 0, w.err);
      const c = await runCli(["synth", "kubernetes", dir, "--out", out, "--check"]);
      assert.equal(c.code, 0, c.err);
      assert.doesNotMatch(w.err + c.err, /Cannot read properties|\n\s+at /);
    } finally {
      cleanup();
    }
  });

  it("azure: an app, a site and a server exist only where the environment has them; main.bicep stays valid", async () => {
    const tree = azureTarget.render(project(), ctx());
    const dev = tree["parameters/dev.bicepparam"]!;
    const prd = tree["parameters/prd.bicepparam"]!;
    for (const [file, name, on] of [
      [dev, "indexer", false],
      [prd, "indexer", true],
      [dev, "web", false],
      [prd, "web", true],
      [dev, "cache", false],
      [prd, "cache", true],
      [dev, "reports", true],
      [prd, "reports", false],
    ] as const)
      assert.match(
        file,
        new RegExp(`\\nparam ${name}Enabled = ${String(on)}\\n`),
        `${name} in ${file.slice(0, 60)}`,
      );
    // The bucket of dev's removed `files` is no container there.
    assert.match(dev, /param storageContainers = \[\]\n/);
    assert.match(prd, /param storageContainers = \[\n {2}'files'\n\]/);
    assert.match(tree["main.bicep"]!, /module indexerApp '.*' = if \(indexerEnabled\)/);
    assert.deepEqual(checkAzureProject(project()), []);
    for (const [f, text] of Object.entries(tree)) {
      if (f.endsWith(".bicepparam")) assert.deepEqual(await bicepParamSyntaxProblems(text), [], f);
      else if (f.endsWith(".bicep")) assert.deepEqual(await bicepSyntaxProblems(text), [], f);
    }
  });

  it("azure: compute cannot differ between environments (one main.bicep); the managed zone can", () => {
    const spec = `${PARTIAL}    targets: { azure: { compute: aks } }\n    dns: { zone: other.example.com }\ndns: { zone: shop.example.com }\n`;
    const problems = azureTarget.check(loadSpec("gantry.yaml", spec).project, ctx());
    const errors = problems.filter((p) => p.severity === "error").map((p) => `${p.env ?? ""} ${p.path}`);
    // Each environment's deployment creates its own zone in the shared group (issue 16).
    assert.deepEqual(errors, ["prd targets.azure.compute"]);
  });

  it("azure: a cache the first environment has and a later one removes (seed 9 of the property crashed check)", () => {
    const spec = `name: shop
services:
  api: { build: ./api, port: 8000, uses: [cache] }
redis:
  cache: {}
environments:
  staging: {}
  prd:
    redis: { cache: null }
    services: { api: { uses: [] } }
`;
    const p = loadSpec("gantry.yaml", spec).project;
    assert.deepEqual(
      azureTarget.check(p, ctx()).filter((x) => x.severity === "error"),
      [],
    );
    const tree = azureTarget.render(p, ctx());
    assert.match(tree["parameters/staging.bicepparam"]!, /\nparam cacheEnabled = true\n/);
    assert.match(tree["parameters/prd.bicepparam"]!, /\nparam cacheEnabled = false\n/);
  });

  it("github: build.yml builds the image of a service the first environment removes", () => {
    const tree = githubTarget.render(project(), ctx("kubernetes"));
    assert.match(tree["build.yml"]!, /- service: indexer\n/);
    assert.match(tree["build.yml"]!, /\n {2}build-web:\n/);
    assert.ok("deploy-dev.yml" in tree && "deploy-prd.yml" in tree);
  });

  it("github: a static site built once into an image says where an environment's build settings are not used (its env is: an image per environment)", () => {
    const spec = PARTIAL.replace(
      "    build: npm run build\n",
      "    build: npm run build\n    env: { API_URL: https://api.shop.example.com }\n",
    ).concat(
      "  qa:\n    services:\n      web: { build: npm run build:qa, env: { API_URL: https://api.qa.shop.example.com } }\n",
    );
    const p = loadSpec("gantry.yaml", spec).project;
    const warnings = (target: string) =>
      githubTarget
        .check(p, ctx(target))
        .filter((x) => x.path.startsWith("services.web"))
        .map((x) => `${x.env ?? ""} ${x.path} ${x.severity ?? ""}`);
    assert.deepEqual(warnings("kubernetes"), [], "qa builds its own image, web-qa");
    assert.match(
      githubTarget.render(p, ctx("kubernetes"))["build.yml"]!,
      /\n {2}build-web-qa:\n[^]*npm run build:qa/,
    );
    const shared = loadSpec(
      "gantry.yaml",
      PARTIAL.concat("  qa:\n    services:\n      web: { build: npm run build:qa }\n"),
    ).project;
    assert.deepEqual(
      githubTarget
        .check(shared, ctx("kubernetes"))
        .filter((x) => x.path.startsWith("services.web"))
        .map((x) => `${x.env ?? ""} ${x.path} ${x.severity ?? ""}`),
      ["qa services.web.build warning"],
      "one image without env: qa's build is not used",
    );
    // Azure builds each environment's site in its own deploy: nothing to say.
    assert.deepEqual(warnings("azure"), []);
  });

  it("kubernetes: two entries whose objects collide in a later environment only are a problem", () => {
    const spec = `name: shop
services:
  postgres-db: { build: ./w, command: ./run }
postgres:
  db: { hosting: managed }
targets:
  kubernetes: { registry: ghcr.io/acme }
environments:
  dev: {}
  prd:
    postgres: { db: { hosting: cluster } }
`;
    const problems = kubernetesTarget.check(loadSpec("gantry.yaml", spec).project, ctx());
    assert.deepEqual(
      problems.map((p) => `${p.path}: ${p.message}`),
      [
        "services.postgres-db: two objects would be the NetworkPolicy postgres-db (chart template postgres-db-networkpolicy.yaml)",
      ],
    );
  });

  it("kubernetes: the README lists the topics of every environment, with where each row applies", () => {
    const spec = PARTIAL.replace("  events: {}\n", "  events: { partitions: 3 }\n").replace(
      "    postgres: { reports: null }\n",
      "    postgres: { reports: null }\n    topics: { events: { partitions: 12 } }\n",
    );
    const readme = kubernetesTarget.render(loadSpec("gantry.yaml", spec).project, ctx())["README.md"]!;
    // dev removes the topic; prd has 12 partitions.
    assert.match(
      readme,
      /\| topic \| partitions \| retention \| replication \| subscribers \| environments \|/,
    );
    assert.match(readme, /\| `events` \| 12 \| 7d \| 3 \| indexer \| prd \|/);
  });
});
