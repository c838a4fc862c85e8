// `gantry deploy --target kubernetes` (and rollback, releases, status) end to end against a real
// control plane (test/kube-control-plane.ts), with the kubeconfig a user would have: the todo example's
// staging environment, which runs a migrations hook and PostgreSQL in the cluster.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "./helpers.js";
import { controlPlaneSkip, KUBE_BIN, startControlPlane, type ControlPlane } from "./kube-control-plane.js";
import { exampleDoc } from "./kube-specs.js";

const skip = controlPlaneSkip();
const NAMESPACE = "e2e-staging";
/** A Secret value that must never appear in any output. */
const SECRET_VALUE = "s3cr3t-value-never-printed";

describe("gantry deploy --target kubernetes", { skip }, () => {
  let cp: ControlPlane;
  let dir: string;
  const saved = { KUBECONFIG: process.env.KUBECONFIG, PATH: process.env.PATH };
  const gantry = async (...args: string[]) => {
    const r = await runCli([...args, dir, "--target", "kubernetes", "--env", "staging"]);
    assert.doesNotMatch(r.out + r.err, new RegExp(SECRET_VALUE), "no secret value in the output");
    return r;
  };

  before(async () => {
    cp = await startControlPlane();
    // The user's environment: their kubeconfig, kubectl and helm on PATH.
    process.env.KUBECONFIG = cp.kubeconfig;
    process.env.PATH = [KUBE_BIN, process.env.PATH].join(delimiter);
    for (const k of ["HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"]) process.env[k] = cp.env[k];
    dir = mkdtempSync(join(tmpdir(), "gantry-deploy-test-"));
    const doc = exampleDoc("todo");
    doc.setIn(["environments", "staging", "namespace"], NAMESPACE);
    doc.setIn(["environments", "production", "namespace"], "e2e-production");
    writeFileSync(join(dir, "gantry.yaml"), doc.toString());
  });
  after(async () => {
    process.env.KUBECONFIG = saved.KUBECONFIG;
    process.env.PATH = saved.PATH;
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("prints the plan and changes nothing", async () => {
    const r = await gantry("deploy", "--plan", "--no-smoke");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^ {2}namespace {2}kubectl apply cluster-bootstrap\/namespaces\/staging\.yaml/m);
    assert.match(
      r.out,
      /^ {2}secrets {4}app-secrets exists in e2e-staging with keys BETTER_AUTH_SECRET, DATABASE_URL/m,
    );
    assert.match(r.out, /^ {2}upgrade {4}helm upgrade --install todo chart .* --atomic --wait/m);
    assert.match(r.out, /^ {13}first job backend-migrations, the pre-install\/pre-upgrade hook/m);
    assert.match(r.out, /^ {2}skip {7}smoke checks \(--no-smoke\)$/m);
    assert.notEqual((await cp.kubectl(["get", "namespace", NAMESPACE])).code, 0, "no namespace made");
  });

  it("applies the bootstrap, then names the missing Secrets and their keys, and installs nothing", async () => {
    const r = await gantry("deploy", "--no-smoke");
    assert.equal(r.code, 1);
    assert.match(r.err, /namespace e2e-staging lacks the Secrets the pods read:/);
    assert.match(
      r.err,
      /^ {2}app-secrets \(keys BETTER_AUTH_SECRET, DATABASE_URL, .*\), read by Deployment\/backend/m,
    );
    assert.match(r.err, /^ {2}ghcr-pull-secret, read by /m);
    assert.match(r.err, /operations\/secrets\.md says how/);
    await cp.must(["get", "resourcequota", "e2e-staging-quota", "-n", NAMESPACE]);
    await cp.must(["get", "limitrange", "e2e-staging-limits", "-n", NAMESPACE]);
    assert.equal((await cp.helm(["status", "todo", "-n", NAMESPACE])).code, 1, "no release");
  });

  it("names a key the Secret lacks", async () => {
    await cp.must([
      "create",
      "secret",
      "generic",
      "ghcr-pull-secret",
      "-n",
      NAMESPACE,
      "--from-literal=.dockerconfigjson={}",
    ]);
    await cp.must([
      "create",
      "secret",
      "generic",
      "app-secrets",
      "-n",
      NAMESPACE,
      `--from-literal=DATABASE_URL=${SECRET_VALUE}`,
    ]);
    const r = await gantry("deploy", "--no-smoke");
    assert.equal(r.code, 1);
    assert.match(r.err, /app-secrets has no key BETTER_AUTH_SECRET, /);
  });

  it("installs with the migrations hook first, watches the rollout, and lists the release", async () => {
    const keys = [
      "BETTER_AUTH_SECRET",
      "DATABASE_URL",
      "FRONTEND_DATABASE_URL",
      "OPENAI_API_KEY",
      "postgres-db-password",
    ];
    const yaml = await cp.must([
      "create",
      "secret",
      "generic",
      "app-secrets",
      "-n",
      NAMESPACE,
      ...keys.map((k) => `--from-literal=${k}=${SECRET_VALUE}`),
      "--dry-run=client",
      "-o",
      "yaml",
    ]);
    await cp.must(["apply", "-f", "-"], yaml);
    const r = await gantry("deploy", "--no-smoke");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^deployed todo revision 1 to e2e-staging$/m);
    assert.match(r.err, /cluster: Kubernetes v1\.35\.4/);
    assert.match(r.err, /migrations run first: job backend-migrations/);
    assert.match(r.err, /job backend-migrations: (running|created)\n[^]*job backend-migrations: completed\n/);
    assert.match(r.err, /backend: 1\/1 updated, 1\/1 ready/);
    const releases = await gantry("releases");
    assert.match(releases.out, /^1 \* +deployed /m);
    const status = await gantry("status");
    assert.match(status.out, /^todo \(staging, namespace e2e-staging\): revision 1, deployed$/m);
    assert.match(status.out, /^ {2}postgres-db: 1\/1 updated, 1\/1 ready$/m);
  });

  it("deploys a new image tag, and rolls back to the revision before", async () => {
    const r = await gantry("deploy", "--no-smoke", "--image-tag", "2.0.0");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /deployed todo revision 2/);
    const image = await cp.must([
      "get",
      "deployment",
      "backend",
      "-n",
      NAMESPACE,
      "-o",
      "jsonpath={.spec.template.spec.containers[0].image}",
    ]);
    assert.match(image, /:2\.0\.0$/);
    const back = await gantry("rollback", "--no-smoke");
    assert.equal(back.code, 0, back.err);
    assert.match(back.out, /rolled back todo in e2e-staging to revision 1 \(now revision 3\)/);
    const again = await cp.must([
      "get",
      "deployment",
      "backend",
      "-n",
      NAMESPACE,
      "-o",
      "jsonpath={.spec.template.spec.containers[0].image}",
    ]);
    assert.match(again, /:0\.1\.0$/);
  });

  it("rolls back a rollout that cannot complete and says why with the pods' events", async () => {
    // A cluster with no room: every node cordoned, so the new pods stay Pending.
    const doc = exampleDoc("todo");
    doc.setIn(["environments", "staging", "namespace"], NAMESPACE);
    doc.setIn(["environments", "production", "namespace"], "e2e-production");
    doc.setIn(["ci", "deploy_timeout"], "15s");
    writeFileSync(join(dir, "gantry.yaml"), doc.toString());
    const nodes = (await cp.must(["get", "nodes", "-o", "name"])).split("\n").filter(Boolean);
    await cp.must(["cordon", ...nodes]);
    try {
      const r = await gantry("deploy", "--no-smoke", "--image-tag", "3.0.0");
      assert.equal(r.code, 1);
      assert.match(r.err, /the deploy of todo to e2e-staging failed and was rolled back: /);
      assert.match(
        r.err,
        /Pod\/backend-migrations-\S+: FailedScheduling: 0\/6 nodes are available: .*unschedulable/,
      );
      const releases = await gantry("releases");
      assert.match(releases.out, /^4 +failed /m);
      assert.match(releases.out, /^5 \* +deployed .*Rollback to 3/m);
    } finally {
      await cp.must(["uncordon", ...nodes]);
    }
  });
});
