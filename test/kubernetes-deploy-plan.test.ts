// `gantry deploy --target kubernetes` offline: the plan is the list of steps the deploy runs, made from
// the tree the target renders in memory (no cluster, no `helm template`), and the deploy runs exactly
// those steps. The cluster is a fake that records each kubectl and helm call; the same commands against
// a real control plane: test/kubernetes-deploy.test.ts.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Kube } from "../src/engine/kubernetes/client.js";
import { deploy } from "../src/engine/kubernetes/deploy.js";
import { planDeploy, type KubePlan, type SmokeStep } from "../src/engine/kubernetes/plan.js";
import { formatKubePlan } from "../src/engine/kubernetes/plan-format.js";
import type { Revision } from "../src/engine/kubernetes/rollback.js";
import { UserError } from "../src/errors.js";
import { kubernetesTarget } from "../src/targets/kubernetes/index.js";
import { exampleContext, loadExample } from "./helpers.js";

const loaded = loadExample("todo");
const files = kubernetesTarget.render(loaded.project, exampleContext("todo"));
const staging = loaded.project.environments.find((e) => e.environment.name === "staging")!;
const release = kubernetesTarget.clusterRelease!(staging, files);

const ok = (stdout = "") => ({ code: 0, stdout, stderr: "", timedOut: false });

/** A cluster that serves everything, holds every Secret with its keys, and keeps Helm's revisions. */
function fakeCluster(plan: KubePlan, revisions: Revision[] = []) {
  const calls: string[] = [];
  const served = plan.steps.flatMap((s) => (s.kind === "platform" ? s.apiVersions : []));
  const secrets = plan.steps.flatMap((s) => (s.kind === "secrets" ? s.secrets : []));
  const revision = (status: string, description: string): Revision => ({
    revision: (revisions.at(-1)?.revision ?? 0) + 1,
    updated: "2026-12-07T12:00:00Z",
    status,
    chart: "todo-0.1.0",
    app_version: "0.1.0",
    description,
  });
  const kubectl = (args: readonly string[]) => {
    calls.push(`kubectl ${args.slice(0, 3).join(" ")}`);
    if (args[0] === "version") return Promise.resolve(ok('{"serverVersion":{"gitVersion":"v1.35.4"}}'));
    if (args[0] === "api-versions") return Promise.resolve(ok(served.join("\n")));
    if (args[0] === "get" && args[1] === "secret")
      return Promise.resolve(ok(secrets.find((s) => s.name === args[2])!.keys.join("\n")));
    if (args[0] === "get" && args[1] === "resourcequota")
      return Promise.resolve({ code: 1, stdout: "", stderr: "NotFound", timedOut: false });
    return Promise.resolve(ok(args[0] === "get" ? '{"items":[]}' : ""));
  };
  const k: Kube = {
    tools: { kubectl: "kubectl", helm: "helm", env: {} },
    kubectl,
    helm: (args) => {
      calls.push(`helm ${args[0] ?? ""}${args[0] === "rollback" ? ` ${args[2] ?? ""}` : ""}`);
      if (args[0] === "history") return Promise.resolve(ok(JSON.stringify(revisions)));
      if (args[0] === "upgrade") {
        revisions.forEach((r) => r.status === "deployed" && (r.status = "superseded"));
        revisions.push(revision("deployed", "Upgrade complete"));
      }
      if (args[0] === "rollback") {
        revisions.forEach((r) => r.status === "deployed" && (r.status = "superseded"));
        revisions.push(revision("deployed", `Rollback to ${args[2] ?? ""}`));
      }
      return Promise.resolve(ok());
    },
    script: () => Promise.resolve(ok()),
    must: async (args) => (await kubectl(args)).stdout,
  };
  return { k, calls };
}

describe("the plan of gantry deploy --target kubernetes", () => {
  it("lists the steps the deploy runs, from the rendered tree in memory", () => {
    const plan = planDeploy(release, files, { smoke: true, imageTag: "2.0.0" });
    assert.deepEqual(
      plan.steps.map((s) => s.kind),
      ["cluster", "platform", "namespace", "secrets", "upgrade", "quota", "smoke"],
    );
    const upgrade = plan.steps.find((s) => s.kind === "upgrade")!;
    assert.deepEqual(upgrade.hooks, [{ name: "backend-migrations", phases: ["pre-install", "pre-upgrade"] }]);
    const text = formatKubePlan(plan);
    assert.match(text, /^deploy todo to staging \(environment staging\)$/m);
    assert.match(
      text,
      /^ {2}upgrade {4}helm upgrade --install todo chart --namespace staging --values chart\/values-staging\.yaml --set-string global\.imageTag=2\.0\.0 --atomic --wait --wait-for-jobs /m,
    );
    assert.match(text, /^ {13}first job backend-migrations, the pre-install\/pre-upgrade hook/m);
    assert.match(text, /^ {2}secrets {4}app-secrets exists in staging with keys BETTER_AUTH_SECRET, /m);
  });

  it("leaves the smoke checks out with --no-smoke, and says so", () => {
    const plan = planDeploy(release, files, { smoke: false });
    assert.ok(!plan.steps.some((s) => s.kind === "smoke"));
    assert.deepEqual(plan.skipped, ["smoke checks (--no-smoke)"]);
    assert.match(formatKubePlan(plan), /^ {2}skip {7}smoke checks \(--no-smoke\)$/m);
  });

  it("is run step by step, nothing else", async () => {
    const plan = planDeploy(release, files, { smoke: false });
    const { k, calls } = fakeCluster(plan);
    const lines: string[] = [];
    const done = await deploy(k, plan, { files, dir: "/nowhere", progress: (l) => lines.push(l) });
    assert.equal(done, "deployed todo revision 1 to staging");
    const secrets = plan.steps.flatMap((s) => (s.kind === "secrets" ? s.secrets : []));
    // Without the polls of the rollout watch, which runs beside the upgrade.
    assert.deepEqual(
      calls.filter((c) => !c.startsWith("kubectl get jobs,deployments,statefulsets")),
      [
        "kubectl version --output json",
        "kubectl api-versions",
        // The bootstrap before the upgrade: the quota only grows, so the namespace's is read first.
        "kubectl get resourcequota staging-quota",
        "kubectl apply --filename -",
        ...secrets.map((s) => `kubectl get secret ${s.name}`),
        "helm upgrade",
        // The spec's quota as is, after the upgrade; then the revision it made.
        "kubectl apply --filename -",
        "helm history",
      ],
    );
    assert.ok(lines.includes("migrations run first: job backend-migrations"), lines.join("\n"));
  });
});

describe("a smoke check that fails after a deploy", () => {
  let server: Server;
  let url = "";
  before(async () => {
    server = createServer((_req, res) => res.writeHead(503).end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  });
  after(() => server.close());

  it("rolls back as `gantry rollback` does: past a failed revision, to the last good one", async () => {
    const plan = planDeploy(release, files, { smoke: true });
    const smoke = plan.steps.find((s): s is SmokeStep => s.kind === "smoke")!;
    Object.assign(smoke, { urls: [url], attempts: 1, pauseMs: 0 });
    // Revision 2 failed (an upgrade without --atomic, from elsewhere): the release serving is 1.
    const revisions: Revision[] = [
      {
        revision: 1,
        updated: "",
        status: "superseded",
        chart: "",
        app_version: "",
        description: "Install complete",
      },
      {
        revision: 2,
        updated: "",
        status: "failed",
        chart: "",
        app_version: "",
        description: "Upgrade failed",
      },
    ];
    const { k, calls } = fakeCluster(plan, revisions);
    await assert.rejects(
      deploy(k, plan, { files, dir: "/nowhere", progress: () => undefined }),
      (e: unknown) => {
        assert.ok(e instanceof UserError);
        assert.match(
          e.message,
          /^smoke check failed: .*answered 503; rolled back todo in staging to revision 1 /,
        );
        return true;
      },
    );
    assert.ok(calls.includes("helm rollback 1"), calls.join("\n"));
    assert.equal(revisions.at(-1)!.description, "Rollback to 1");
  });

  it("on the first revision, says there is nothing to roll back to", async () => {
    const plan = planDeploy(release, files, { smoke: true });
    const smoke = plan.steps.find((s): s is SmokeStep => s.kind === "smoke")!;
    Object.assign(smoke, { urls: [url], attempts: 1, pauseMs: 0 });
    const { k, calls } = fakeCluster(plan);
    await assert.rejects(
      deploy(k, plan, { files, dir: "/nowhere", progress: () => undefined }),
      /smoke check failed: .*; there is no earlier revision of todo to roll back to/,
    );
    assert.ok(!calls.some((c) => c.startsWith("helm rollback")));
  });
});
