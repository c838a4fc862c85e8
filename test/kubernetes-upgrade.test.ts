// What is known offline about a Kubernetes deploy: the objects a release installs (the Secrets its pods
// read, its hooks and workloads, from the rendered manifests), and the spec changes Kubernetes refuses on
// upgrade, which `gantry check` reports at the spec line and `gantry synth` warns of. The same changes
// in a real control plane: test/kubernetes-cluster.test.ts.
import assert from "node:assert/strict";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseManifests, releaseObjects } from "../src/engine/kubernetes/manifests.js";
import { loadSpec } from "../src/model/load.js";
import { readTree } from "../src/output/writer.js";
import { kubernetesTarget } from "../src/targets/kubernetes/index.js";
import { REPO_ROOT, exampleContext, runCli, tempDir } from "./helpers.js";
import { changedSpec, clusterExamples, exampleDoc } from "./kube-specs.js";
import { EXAMPLES } from "./helpers.js";

const rendered = (example: string, env: string) => {
  const dir = join(REPO_ROOT, "examples", example, "deploy/kubernetes/rendered", env);
  return readdirSync(dir)
    .sort()
    .map((f) => readFileSync(join(dir, f), "utf8"))
    .join("\n");
};

describe("the objects a Kubernetes release installs", () => {
  it("names the Secrets its pods read and the keys, without those it creates or marks optional", () => {
    const objects = releaseObjects(
      parseManifests(
        `${rendered("todo", "staging")}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: made-here}\n---\n` +
          "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: extra}\nspec:\n  template:\n    spec:\n      containers:\n" +
          "        - name: x\n          env:\n            - {name: A, valueFrom: {secretKeyRef: {name: maybe, key: A, optional: true}}}\n" +
          "            - {name: B, valueFrom: {secretKeyRef: {name: made-here, key: B}}}\n",
      ),
    );
    assert.deepEqual(
      objects.secrets.map((s) => [s.name, s.keys]),
      [
        [
          "app-secrets",
          [
            "BETTER_AUTH_SECRET",
            "DATABASE_URL",
            "FRONTEND_DATABASE_URL",
            "OPENAI_API_KEY",
            "postgres-db-password",
          ],
        ],
        ["ghcr-pull-secret", []],
      ],
    );
    assert.deepEqual(objects.hooks, [{ name: "backend-migrations", phases: ["pre-install", "pre-upgrade"] }]);
    assert.ok(objects.workloads.some((w) => w.kind === "StatefulSet" && w.name === "postgres-db"));
    assert.ok(objects.apiVersions.includes("dapr.io/v2alpha1"));
  });
});

describe("kubernetes/immutable-change", () => {
  const previous = readTree(join(REPO_ROOT, "examples/todo/deploy/kubernetes"));
  const render = (doc = exampleDoc("todo")) => {
    const loaded = loadSpec("examples/todo/gantry.yaml", doc.toString());
    return { loaded, tree: kubernetesTarget.render(loaded.project, exampleContext("todo")) };
  };

  it("finds nothing in the spec changes an upgrade takes (image, replicas, resources, port, services added and removed)", () => {
    for (const { example, env } of clusterExamples(EXAMPLES)) {
      const change = changedSpec(example, env);
      const loaded = loadSpec(`examples/${example}/gantry.yaml`, change.doc.toString());
      const tree = kubernetesTarget.render(loaded.project, exampleContext(example));
      const before = readTree(join(REPO_ROOT, "examples", example, "deploy/kubernetes"));
      assert.deepEqual(
        kubernetesTarget.upgradeChecks!(loaded.project, before, tree),
        [],
        `${example} ${env}`,
      );
    }
  });

  it("finds a changed volume claim template at postgres.<name>.storage_gb, in the environment that runs it", () => {
    const doc = exampleDoc("todo");
    doc.setIn(["postgres", "db", "storage_gb"], 64);
    const { loaded, tree } = render(doc);
    const found = kubernetesTarget.upgradeChecks!(loaded.project, previous, tree);
    assert.deepEqual(
      found.map((f) => [f.env, f.path, f.file]),
      [["staging", "postgres.db.storage_gb", "rendered/staging/postgres-db-statefulset.yaml"]],
    );
    assert.match(
      found[0]!.message,
      /StatefulSet\/postgres-db's spec.volumeClaimTemplates changes from the last synth/,
    );
    assert.match(
      found[0]!.hint!,
      /kubectl delete statefulset postgres-db --namespace staging --cascade=orphan/,
    );
  });

  it("finds a renamed app once per environment: its name is in every selector", () => {
    const doc = exampleDoc("todo");
    doc.set("name", "todo-next");
    const { loaded, tree } = render(doc);
    const found = kubernetesTarget.upgradeChecks!(loaded.project, previous, tree);
    assert.deepEqual(
      found.map((f) => [f.env, f.path]),
      [
        ["staging", "name"],
        ["production", "name"],
      ],
    );
    assert.match(
      found[0]!.message,
      /^the app was todo at the last synth: .* todo-next's objects would collide/,
    );
  });

  it("is an error of gantry check at the spec's line, and a warning of gantry synth, which still writes", async () => {
    const spec = readFileSync(join(REPO_ROOT, "examples/todo/gantry.yaml"), "utf8");
    const t = tempDir({ "gantry.yaml": spec });
    try {
      assert.equal((await runCli(["synth", "kubernetes", t.dir], t.dir)).code, 0);
      const changed = spec.replace(/^( {4}hosting: managed\n)/m, "$1    storage_gb: 64\n");
      assert.notEqual(changed, spec);
      writeFileSync(join(t.dir, "gantry.yaml"), changed);
      const line = changed.split("\n").findIndex((l) => l.includes("storage_gb: 64")) + 1;
      const check = await runCli(["check", t.dir, "--target", "kubernetes", "--no-tools"], t.dir);
      assert.equal(check.code, 1);
      assert.match(check.out, new RegExp(`gantry\\.yaml:${line}:\\d+ .*kubernetes/immutable-change`));
      const synth = await runCli(["synth", "kubernetes", t.dir], t.dir);
      assert.equal(synth.code, 0);
      assert.match(
        synth.err,
        new RegExp(
          `gantry\\.yaml:${line}:\\d+ postgres\\.db\\.storage_gb: warning: in staging: StatefulSet/postgres-db's spec\\.volumeClaimTemplates changes`,
        ),
      );
      // Written: the next check compares with the new tree, and finds nothing.
      const again = await runCli(["check", t.dir, "--target", "kubernetes", "--no-tools"], t.dir);
      assert.doesNotMatch(again.out, /immutable-change/);
    } finally {
      t.cleanup();
    }
  });
});

describe("gantry deploy --target", () => {
  it("names the targets it deploys to", async () => {
    const r = await runCli(["deploy", "examples/todo", "--target", "azure"]);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /`--target azure` is not a target these commands deploy to\n {2}hint: targets: local, kubernetes/,
    );
  });
});

describe("gantry rollback --target kubernetes --data", () => {
  it("is refused before touching the cluster, saying where a cluster's databases are restored", async () => {
    const r = await runCli(["rollback", "examples/todo", "--target", "kubernetes", "--data"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /--data returns the local runtime's database; .*operations\/disaster-recovery\.md/);
  });
});
