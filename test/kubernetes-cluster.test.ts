// The generated chart in a real control plane (test/kube-control-plane.ts: etcd, kube-apiserver,
// controller manager, scheduler, KWOK nodes in three zones): for every example with a Kubernetes target
// and each of its environments, the cluster bootstrap's namespace, quota and limit range; `helm install
// --atomic --wait` with that environment's values, every hook completing; each service scaled to its
// maximum inside the quota, its pods spread as its topology rules say; an upgrade to a changed spec
// (image tag, replicas, resources, a port, a new service, a removed one) with no immutable-field error;
// and `helm rollback` to the first revision. Then what Kubernetes refuses on upgrade, which `gantry
// check` must say first. One control plane for the file, a namespace per case.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access -- kubectl's JSON, read field by field */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { upgradeFindings } from "../src/check/run.js";
import { applyBootstrap } from "../src/engine/kubernetes/bootstrap.js";
import type { ReleaseObjects } from "../src/engine/kubernetes/manifests.js";
import { helmUpgradeArgs } from "../src/engine/kubernetes/plan.js";
import { kubernetesTarget } from "../src/targets/kubernetes/index.js";
import { EXAMPLES, exampleContext } from "./helpers.js";
import { controlPlaneSkip, startControlPlane, type ControlPlane } from "./kube-control-plane.js";
import {
  bootstrap,
  changedSpec,
  clusterCase,
  clusterExamples,
  exampleDoc,
  installed,
  type ClusterCase,
} from "./kube-specs.js";

const skip = controlPlaneSkip();
const TIMEOUT = "180s";

type Json = Record<string, any>;

async function getJson(cp: ControlPlane, args: string[]): Promise<Json> {
  return JSON.parse(await cp.must([...args, "-o", "json"])) as Json;
}

/** The deploy's `helm upgrade --install --atomic --wait`, with a timeout for a loaded test machine. */
const upgradeArgs = (c: ClusterCase, imageTag?: string) =>
  helmUpgradeArgs({ ...c.release, timeout: TIMEOUT }, c.dir, imageTag);

async function helmOk(cp: ControlPlane, args: string[]): Promise<string> {
  const r = await cp.helm(args);
  if (r.code !== 0) {
    // What the cluster said: the Warning events and the workloads' state of the namespace.
    const ns = args[args.indexOf("--namespace") + 1]!;
    const events = await cp.kubectl(["get", "events", "-n", ns, "--field-selector", "type=Warning"]);
    const state = await cp.kubectl([
      "get",
      "deployments,statefulsets,jobs,pods,resourcequota",
      "-n",
      ns,
      "-o",
      "wide",
    ]);
    assert.fail(`helm ${args[0]} failed:\n${r.stderr}${r.stdout}\n${events.stdout}\n${state.stdout}`);
  }
  assert.doesNotMatch(r.stderr, /field is immutable|Forbidden/);
  return r.stdout;
}

/** The bootstrap's quota and limit range are in the namespace, with the spec's numbers. */
async function assertBootstrap(cp: ControlPlane, c: ClusterCase) {
  const file = c.tree[`cluster-bootstrap/namespaces/${c.env}.yaml`]!;
  const quota = await getJson(cp, ["get", "resourcequota", "-n", c.namespace]);
  const limits = await getJson(cp, ["get", "limitrange", "-n", c.namespace]);
  assert.equal((quota.items as Json[]).length, 1, "one ResourceQuota");
  assert.equal((limits.items as Json[]).length, 1, "one LimitRange");
  const hard = (quota.items as Json[])[0]!.spec.hard as Record<string, string>;
  for (const [k, v] of Object.entries(hard)) assert.match(file, new RegExp(`${k}: "?${v}"?`), `quota ${k}`);
}

/** Each hook Job of the release completed (the Job controller's Completed event), none failed. */
async function assertHooks(cp: ControlPlane, c: ClusterCase, objects: ReleaseObjects) {
  const events = (await getJson(cp, ["get", "events", "-n", c.namespace])).items as Json[];
  for (const h of objects.hooks) {
    const of = events.filter((e) => e.involvedObject?.kind === "Job" && e.involvedObject?.name === h.name);
    assert.ok(
      of.some((e) => e.reason === "Completed"),
      `hook ${h.name} completed (events: ${of.map((e) => e.reason as string).join(", ")})`,
    );
    assert.ok(!of.some((e) => e.reason === "BackoffLimitExceeded"), `hook ${h.name} did not fail`);
  }
}

/** Replicas of each Deployment at the most its autoscaler allows (or its fixed count). */
function maxReplicas(objects: ReleaseObjects): Map<string, number> {
  const max = new Map<string, number>();
  for (const o of objects.objects) {
    const spec = (o.spec ?? {}) as Json;
    if (o.kind === "Deployment")
      max.set(
        o.metadata.name,
        Math.max(max.get(o.metadata.name) ?? 0, (spec.replicas as number | undefined) ?? 1),
      );
    if (o.kind === "HorizontalPodAutoscaler")
      max.set(spec.scaleTargetRef.name as string, spec.maxReplicas as number);
  }
  return max;
}

async function waitReady(cp: ControlPlane, c: ClusterCase, want: Map<string, number>): Promise<Json[]> {
  const until = Date.now() + 90_000;
  for (;;) {
    const deps = (await getJson(cp, ["get", "deployments", "-n", c.namespace])).items as Json[];
    const short = deps.filter(
      (d) => (d.status.readyReplicas ?? 0) < (want.get(d.metadata.name as string) ?? 0),
    );
    if (!short.length) return deps;
    if (Date.now() > until) {
      const events = (
        await getJson(cp, ["get", "events", "-n", c.namespace, "--field-selector", "type=Warning"])
      ).items as Json[];
      assert.fail(
        `not all pods at maximum scale: ${short.map((d) => `${d.metadata.name as string} ${d.status.readyReplicas ?? 0}/${want.get(d.metadata.name as string)}`).join(", ")}\n${events.map((e) => `${e.reason as string}: ${e.message as string}`).join("\n")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Every topology spread constraint of a Deployment holds for its pods (skew at most maxSkew). */
async function assertSpread(cp: ControlPlane, c: ClusterCase, deps: Json[]) {
  const nodes = new Map(
    ((await getJson(cp, ["get", "nodes"])).items as Json[]).map((n) => [
      n.metadata.name as string,
      n.metadata.labels as Record<string, string>,
    ]),
  );
  const domainsOf = (key: string) => new Set([...nodes.values()].map((l) => l[key]).filter(Boolean));
  for (const d of deps) {
    const constraints = (d.spec.template.spec.topologySpreadConstraints ?? []) as Json[];
    if (!constraints.length) continue;
    const selector = Object.entries(d.spec.selector.matchLabels as Record<string, string>)
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    const pods = (
      (await getJson(cp, ["get", "pods", "-n", c.namespace, "-l", selector])).items as Json[]
    ).filter((p) => !p.metadata.deletionTimestamp);
    for (const t of constraints) {
      const key = t.topologyKey as string;
      const counts = new Map([...domainsOf(key)].map((k) => [k, 0]));
      for (const p of pods) {
        const domain = nodes.get(p.spec.nodeName as string)?.[key];
        if (domain) counts.set(domain, (counts.get(domain) ?? 0) + 1);
      }
      const values = [...counts.values()];
      const skew = Math.max(...values) - Math.min(...values);
      assert.ok(
        skew <= (t.maxSkew as number),
        `${d.metadata.name as string}: ${pods.length} pods over ${key} ${JSON.stringify(Object.fromEntries(counts))}, skew ${skew} > ${t.maxSkew as number}`,
      );
    }
  }
}

async function scaleToMax(cp: ControlPlane, c: ClusterCase, objects: ReleaseObjects) {
  const max = maxReplicas(objects);
  for (const [name, n] of max)
    await cp.must(["scale", "deployment", name, "-n", c.namespace, `--replicas=${n}`]);
  const deps = await waitReady(cp, c, max);
  const warnings = (
    await getJson(cp, ["get", "events", "-n", c.namespace, "--field-selector", "reason=FailedCreate"])
  ).items as Json[];
  assert.deepEqual(
    warnings.map((e) => e.message as string),
    [],
    "the quota and limit range admit every pod",
  );
  await assertSpread(cp, c, deps);
}

/** The Deployments, CronJobs and StatefulSets of one spec entry, by name. */
async function workloadsOf(cp: ControlPlane, c: ClusterCase, name: string): Promise<string> {
  const r = await cp.must([
    "get",
    "deployments,cronjobs,statefulsets",
    "-n",
    c.namespace,
    "-l",
    `app.kubernetes.io/name=${name}`,
    "-o",
    "name",
  ]);
  return r.trim();
}

async function upgradeAndRollBack(cp: ControlPlane, c: ClusterCase) {
  const change = changedSpec(c.example, c.env);
  const next = clusterCase(c.example, c.env, change.doc);
  try {
    const objects = installed(next);
    await bootstrap(cp, next, objects);
    await helmOk(cp, upgradeArgs(next, "upgrade-2"));
    await applyBootstrap(cp.kube, next.release, next.tree, "after");
    const svc = await getJson(cp, ["get", "service", change.changed, "-n", c.namespace]);
    assert.deepEqual(
      (svc.spec.ports as Json[]).map((p) => [p.port as number, p.targetPort as string]),
      [[change.port, "http"]],
      "the Service's port follows the spec",
    );
    const dep = await getJson(cp, ["get", "deployment", change.changed, "-n", c.namespace]);
    const container = (dep.spec.template.spec.containers as Json[])[0]!;
    assert.equal((container.ports as Json[])[0]!.containerPort, change.port, "the new port");
    assert.match(container.image as string, /:upgrade-2$/, "the new image tag");
    assert.equal(container.resources.requests.cpu, "150m", "the new resources");
    await cp.must(["get", "deployment", change.added, "-n", c.namespace]);
    if (change.removed)
      assert.equal(await workloadsOf(cp, c, change.removed), "", `${change.removed} removed`);

    await helmOk(cp, [
      "rollback",
      c.release.app,
      "1",
      "--namespace",
      c.namespace,
      "--wait",
      "--timeout",
      TIMEOUT,
    ]);
    const back = await getJson(cp, ["get", "deployment", change.changed, "-n", c.namespace]);
    const first = (back.spec.template.spec.containers as Json[])[0]!;
    assert.notEqual((first.ports as Json[])[0]!.containerPort, change.port, "the port of revision 1");
    assert.doesNotMatch(first.image as string, /:upgrade-2$/, "the image of revision 1");
    assert.notEqual(
      (await cp.kubectl(["get", "deployment", change.added, "-n", c.namespace])).code,
      0,
      `${change.added} gone again`,
    );
    if (change.removed)
      assert.notEqual(await workloadsOf(cp, c, change.removed), "", `${change.removed} back`);
    const history = JSON.parse(
      (await cp.helm(["history", c.release.app, "-n", c.namespace, "-o", "json"])).stdout,
    ) as Json[];
    assert.deepEqual(
      history.map((h) => h.status as string),
      ["superseded", "superseded", "deployed"],
    );
  } finally {
    next.cleanup();
  }
}

describe("the generated chart in a real control plane", { skip }, () => {
  let cp: ControlPlane;
  before(async () => {
    cp = await startControlPlane();
  });
  after(async () => {
    await cp?.stop();
  });

  for (const { example, env } of clusterExamples(EXAMPLES)) {
    it(`${example} (${env}): bootstrap, install, maximum scale, upgrade to a changed spec, rollback`, async () => {
      const c = clusterCase(example, env);
      try {
        const objects = installed(c);
        await bootstrap(cp, c, objects);
        await assertBootstrap(cp, c);
        await helmOk(cp, upgradeArgs(c));
        await assertHooks(cp, c, objects);
        await scaleToMax(cp, c, objects);
        await upgradeAndRollBack(cp, c);
      } finally {
        await cp.kubectl(["delete", "namespace", c.namespace, "--wait=false"]);
        c.cleanup();
      }
    });
  }

  it("refuses a changed volume claim template on upgrade, which gantry check and synth say first", async () => {
    const c = clusterCase("todo", "staging", exampleDoc("todo"), "-claims");
    const doc = exampleDoc("todo");
    doc.setIn(["postgres", "db", "storage_gb"], 64);
    const next = clusterCase("todo", "staging", doc, "-claims");
    try {
      const objects = installed(c);
      assert.ok(
        objects.workloads.some((w) => w.kind === "StatefulSet"),
        "todo staging runs PostgreSQL in the cluster",
      );
      await bootstrap(cp, c, objects);
      await helmOk(cp, upgradeArgs(c));
      // What the cluster says: the upgrade fails, and --atomic leaves revision 1 serving.
      const r = await cp.helm(upgradeArgs(next));
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /StatefulSet.*Forbidden: updates to statefulset spec for fields other than/s);
      // What gantry check says offline, from the tree written before: the spec line of storage_gb.
      const findings = upgradeFindings(
        kubernetesTarget,
        next.loaded,
        exampleContext("todo"),
        c.tree,
        next.tree,
      );
      const staging = findings.filter((f) => f.env === "staging");
      assert.equal(staging.length, 1, JSON.stringify(findings));
      assert.equal(staging[0]!.rule, "kubernetes/immutable-change");
      assert.equal(staging[0]!.path, "postgres.db.storage_gb");
      assert.equal(staging[0]!.severity, "error");
      assert.ok(staging[0]!.pos && staging[0]!.pos.line > 1, "placed at the spec's line");
      assert.match(staging[0]!.message, /StatefulSet\/postgres-db's spec.volumeClaimTemplates changes/);
    } finally {
      await cp.kubectl(["delete", "namespace", c.namespace, "--wait=false"]);
      c.cleanup();
      next.cleanup();
    }
  });
});
