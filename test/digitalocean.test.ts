// The DigitalOcean target: golden trees, determinism, the provider-schema check (an early-2024
// provider), HCL parsing, what the tree must contain, and the README's route to the Helm chart.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "@cdktf/hcl2json";
import { buildDigitalOcean, digitaloceanTarget } from "../src/targets/digitalocean/index.js";
import { checkTerraform, formatSchemaProblems } from "../src/validate/terraform-schema.js";
import { EXAMPLES, exampleContext, expectGoldenTree, loadExample, runCli } from "./helpers.js";
import type { FileTree } from "../src/targets/target.js";
import { workloadVariables } from "../src/model/bindings.js";
import type { ServiceModel } from "../src/model/types.js";
import { secretKeys } from "../src/targets/kubernetes/readme-secrets.js";
import { buildValues } from "../src/targets/kubernetes/values-environment.js";

const render = (ex: string): FileTree =>
  digitaloceanTarget.render(loadExample(ex).project, exampleContext(ex));

describe("digitalocean target", () => {
  for (const ex of EXAMPLES) {
    it(`${ex}: matches the golden tree`, () => {
      expectGoldenTree(digitaloceanTarget, ex, render(ex));
    });

    it(`${ex}: renders byte-identical output twice`, () => {
      assert.deepEqual(render(ex), render(ex));
    });

    it(`${ex}: every block matches the DigitalOcean provider schema`, () => {
      const p = buildDigitalOcean(loadExample(ex).project, exampleContext(ex));
      assert.equal(formatSchemaProblems(checkTerraform(p.hcl)), "");
    });

    it(`${ex}: every .tf and .tfvars file parses as HCL`, async () => {
      const tree = render(ex);
      const files = Object.keys(tree).filter((f) => /\.(tf|tfvars|tfbackend)$/.test(f));
      assert.ok(files.length > 15);
      for (const f of files) assert.equal(typeof (await parse(f, tree[f]!)), "object", f);
    });
  }

  it("todo: a DOKS cluster with autoscaling per environment, DOCR, managed databases behind cluster-only firewalls", () => {
    const tree = render("todo");
    for (const f of [
      "versions.tf",
      "backend.tf",
      "main.tf",
      "variables.tf",
      "outputs.tf",
      "README.md",
      "environments/staging.tfvars",
      "environments/production.tfvars",
    ])
      assert.ok(f in tree, f);
    assert.match(tree["versions.tf"]!, /source {2}= "digitalocean\/digitalocean"/);
    const cluster = tree["modules/cluster/main.tf"]!;
    assert.match(cluster, /auto_scale = true/);
    assert.match(cluster, /min_nodes\s+= var\.min_nodes/);
    assert.match(cluster, /registry_integration = true/);
    const production = tree["environments/production.tfvars"]!;
    assert.match(production, /min_nodes\s+= 3\n/);
    assert.match(production, /max_nodes\s+= 5\n/);
    assert.match(production, /kubernetes_version\s+= "1\.33"/);
    assert.match(production, /ha_control_plane\s+= true/);
    const db = tree["modules/database/main.tf"]!;
    assert.match(
      db,
      /resource "digitalocean_database_firewall" "this" \{[\s\S]*?rule \{\n\s+type {2}= "k8s"\n\s+value = var\.cluster_id/,
    );
    assert.match(tree["modules/registry/main.tf"]!, /resource "digitalocean_container_registry" "this"/);
    assert.match(tree["modules/project/main.tf"]!, /resource "digitalocean_project" "this"/);
    assert.match(tree["modules/dns/main.tf"]!, /resource "digitalocean_record" "ingress"/);
  });

  it("todo: PostgreSQL that runs in the cluster in staging is managed only in production", () => {
    const tree = render("todo");
    assert.match(tree["environments/staging.tfvars"]!, /^postgres\s+= \{\}$/m);
    assert.match(tree["environments/production.tfvars"]!, /postgres = \{\n\s+db = \{\n\s+version\s+= "16"/);
  });

  it("todo: the README deploys the Kubernetes chart and cluster bootstrap onto the cluster", () => {
    const readme = render("todo")["README.md"]!;
    assert.match(readme, /bash examples\/todo\/deploy\/kubernetes\/cluster-bootstrap\/install\.sh/);
    assert.match(
      readme,
      /helm upgrade --install todo examples\/todo\/deploy\/kubernetes\/chart -f examples\/todo\/deploy\/kubernetes\/chart\/values-production\.yaml --namespace production/,
    );
    // Staging runs PostgreSQL in the cluster: its password comes from the operator; production's
    // managed PostgreSQL from this stack's output, read with production's state.
    const staging = readme.slice(readme.indexOf("kubectl -n staging create secret generic app-secrets"));
    assert.match(staging, /^ {2}--from-literal=BETTER_AUTH_SECRET="\$BETTER_AUTH_SECRET" \\$/m);
    assert.match(staging, /^ {2}--from-literal=postgres-db-password="\$POSTGRES_DB_PASSWORD" \\$/m);
    const production = readme.slice(
      readme.indexOf("init -backend-config=environments/production.s3.tfbackend"),
    );
    assert.match(production, /^kubectl -n production create secret generic app-secrets \\$/m);
    assert.match(production, /^ {2}--from-literal=postgres-db-url="\$\(secret postgres-db-url\)" \\$/m);
  });

  it("augeo: every key of the chart's Secret for a database or bucket this stack manages comes from its output app_secret", () => {
    const { project } = loadExample("augeo");
    const tree = render("augeo");
    assert.match(tree["outputs.tf"]!, /output "app_secret" \{[^}]*sensitive {3}= true/);
    // The keys the locals of main.tf make, for each managed resource's name.
    const templates = [...tree["main.tf"]!.matchAll(/"((?:postgres|redis|bucket)-\$\{k\}-[a-z]+)" =/g)].map(
      (m) => m[1]!,
    );
    for (const app of project.environments) {
      const names = [...Object.keys(app.postgres), ...Object.keys(app.redis), ...Object.keys(app.buckets)];
      const made = new Set(names.flatMap((n) => templates.map((t) => t.replace("${k}", n))));
      const read = secretKeys(buildValues(app))
        .map((k) => k.key)
        .filter((k) => /^(postgres|redis|bucket)-/.test(k));
      assert.ok(read.length >= 5, app.environment.name);
      for (const key of read) {
        assert.ok(made.has(key), `${app.environment.name}: app_secret has no ${key}`);
        assert.match(tree["README.md"]!, new RegExp(`--from-literal=${key}="\\$\\(secret ${key}\\)"`));
      }
    }
  });

  it("says where each key comes from in gantry env, and warns when the chart is not rendered for DOKS", () => {
    const { project } = loadExample("augeo");
    const app = project.environments[0]!;
    const api = app.services.api as ServiceModel;
    const url = workloadVariables(app, api).find((v) => v.name === "DATABASE_URL")!;
    assert.equal(
      digitaloceanTarget.contract!.origin(app, api, url),
      "Secret app-secrets, key postgres-db-url (from tofu output app_secret)",
    );
    const warnings = (ex: string) =>
      digitaloceanTarget.check(loadExample(ex).project, exampleContext(ex)).map((p) => p.path);
    // Production's tier asks 30 days of geo-redundant backups, which DigitalOcean does not keep, and
    // augeo's production cache persists, which Valkey cannot back up (test/recovery-targets.test.ts).
    const backups = ["postgres.db.backups.retention_days", "postgres.db.backups.geo_redundant"];
    assert.deepEqual(warnings("augeo"), [
      "targets.kubernetes.provider",
      "redis.cache.persistence",
      ...backups,
    ]);
    assert.deepEqual(warnings("todo"), backups);
  });

  it("todo: uptime checks request the public health URLs", () => {
    const production = render("todo")["environments/production.tfvars"]!;
    assert.match(production, /backend\s+= "https:\/\/todo\.example\.com\/api\/ready"/);
    assert.match(render("todo")["modules/uptime/main.tf"]!, /resource "digitalocean_uptime_alert" "down"/);
  });

  it("writes no secret value", () => {
    for (const ex of EXAMPLES) {
      const all = Object.values(render(ex)).join("\n");
      assert.doesNotMatch(all, /\b(password|token|secret|access_key|spaces_secret_key)\s+=/);
    }
  });

  it("gantry synth digitalocean --check passes on the committed tree", async () => {
    const r = await runCli(["synth", "digitalocean", "examples/todo", "--check"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /up to date/);
  });
});
