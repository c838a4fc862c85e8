// The reference system's shape: staging and production in one DOKS cluster with an external Kafka.
// The first environment that names the cluster creates it and its VPC, the other looks it up by name
// and runs in it; no Managed Kafka is made; the workflows reach the shared cluster by its name.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it, type TestContext } from "node:test";
import { loadSpec } from "../src/model/load.js";
import { buildDigitalOcean, digitaloceanTarget } from "../src/targets/digitalocean/index.js";
import { githubTarget } from "../src/targets/registry.js";
import { tofuFmtCheck } from "../src/validate/tofu.js";
import { checkTerraform, formatSchemaProblems } from "../src/validate/terraform-schema.js";
import { findTool } from "../src/validate/tools.js";
import { examplePath, exampleContext, tempDir } from "./helpers.js";

const text = readFileSync(examplePath("todo"), "utf8").replace(
  "    nodes: { min: 3, max: 5 }\n",
  "    nodes: { min: 3, max: 5 }\n    cluster: todo\n    kafka: external\n",
);
const { project } = loadSpec("examples/todo/gantry.yaml", text);
const ctx = exampleContext("todo", "digitalocean");

describe("digitalocean: one cluster for staging and production, an external broker", () => {
  const tree = digitaloceanTarget.render(project, ctx);

  it("staging creates the cluster todo and its VPC; production looks it up and runs in it", () => {
    assert.match(tree["environments/staging.tfvars"]!, /^cluster_name += "todo"$/m);
    assert.match(tree["environments/staging.tfvars"]!, /^create_cluster += true$/m);
    assert.match(tree["environments/production.tfvars"]!, /^create_cluster += false$/m);
    assert.match(tree["main.tf"]!, /data "digitalocean_kubernetes_cluster" "shared" \{/);
    assert.match(tree["main.tf"]!, /vpc_id += local\.vpc_id/);
    for (const env of ["staging", "production"])
      assert.match(tree[`environments/${env}.tfvars`]!, /^kafka += null$/m);
  });

  it("matches the provider schemas, and tofu fmt accepts it", async (t: TestContext) => {
    assert.equal(formatSchemaProblems(checkTerraform(buildDigitalOcean(project, ctx).hcl)), "");
    if (!findTool("tofu")) return t.skip("tofu not installed");
    const { dir, cleanup } = tempDir(tree);
    try {
      const r = await tofuFmtCheck(dir);
      assert.ok(r.ok, r.message);
    } finally {
      cleanup();
    }
  });

  it("the deploy workflows of both environments reach the cluster todo", () => {
    const wf = githubTarget.render(project, ctx);
    for (const env of ["staging", "production"])
      assert.match(wf[`deploy-${env}.yml`]!, /\n {10}CLUSTER: todo\n/, env);
  });
});

describe("digitalocean: environments in different regions", () => {
  it("keep their state in the one bucket the README creates, at its endpoint", () => {
    const spread = text.replace(
      /(\n {2}production:\n)/,
      "$1    targets: { digitalocean: { region: fra1 } }\n",
    );
    assert.notEqual(spread, text, "the example's production environment moved");
    const tree = digitaloceanTarget.render(loadSpec("examples/todo/gantry.yaml", spread).project, ctx);
    const created = /aws s3api create-bucket --bucket (\S+) --endpoint-url (\S+)/.exec(tree["README.md"]!)!;
    assert.ok(created, "the README creates the state bucket");
    assert.match(tree["environments/production.tfvars"]!, /^region += "fra1"$/m);
    for (const env of ["staging", "production"]) {
      const backend = tree[`environments/${env}.s3.tfbackend`]!;
      assert.match(backend, new RegExp(`^bucket += "${created[1]}"$`, "m"), env);
      assert.ok(backend.includes(`s3 = "${created[2]}"`), `${env}: ${backend}`);
    }
  });
});
