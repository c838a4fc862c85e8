// The Kubernetes target's deploy-time defects and its system checks: the certificate issuer is the
// spec's per environment and the smoke tests trust what it issues; the chart opens the database ports
// of every cluster it goes to; delivery routes are refused at the ingress; and each rule catches its
// defect in a damaged tree, with a file and a line.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-assignment */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { loadSpec } from "../src/model/load.js";
import type { ProjectModel } from "../src/model/types.js";
import { kubernetesTarget } from "../src/targets/kubernetes/index.js";
import { githubTarget } from "../src/targets/registry.js";
import type { FileTree, SystemFinding } from "../src/targets/target.js";
import { EXAMPLES, exampleContext, loadExample, runCli, tempDir } from "./helpers.js";

const SPEC = `name: shop
ci: { repository: acme/shop }
services:
  api:
    build: ./api
    port: 8080
    health: /health
    domain: shop.example.com
    path: /api
    subscribes: [orders]
topics:
  orders: {}
targets:
  kubernetes: { provider: doks, registry: ghcr.io/acme/shop }
environments:
  staging:
    services:
      api: { domain: staging.shop.example.com }
    targets:
      kubernetes: { tls_issuer: letsencrypt-staging }
  production: {}
`;

const ctx = exampleContext("shop", "kubernetes");
const projectOf = (text: string): ProjectModel => loadSpec("gantry.yaml", text).project;
const objects = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Record<string, any>);

function trees(project: ProjectModel) {
  return { kubernetes: kubernetesTarget.render(project, ctx), github: githubTarget.render(project, ctx) };
}

function findings(project: ProjectModel, k8s: FileTree, github: FileTree): SystemFinding[] {
  return kubernetesTarget.systemChecks!(project, k8s, ctx, { kubernetes: k8s, github });
}

describe("kubernetes: the issuer and the smoke tests", () => {
  it("every environment gets letsencrypt-prod unless the spec asks for another issuer there", () => {
    const t = trees(projectOf(SPEC));
    const issuer = (env: string) =>
      objects(t.kubernetes[`rendered/${env}/api-ingress.yaml`]!)[0]!.metadata.annotations[
        "cert-manager.io/cluster-issuer"
      ];
    assert.equal(issuer("production"), "letsencrypt-prod");
    assert.equal(issuer("staging"), "letsencrypt-staging");
    const todo = kubernetesTarget.render(loadExample("todo").project, exampleContext("todo"));
    assert.match(todo["rendered/staging/backend-ingress.yaml"]!, /cluster-issuer: letsencrypt-prod/);
  });

  it("a staging-issuer environment's smoke tests do not check the chain; the others do", () => {
    const t = trees(projectOf(SPEC));
    const smoke = (file: string) => {
      const wf = objects(t.github[file]!)[0]!;
      const steps = Object.values(wf.jobs as Record<string, any>).flatMap((j) => j.steps as any[]);
      return steps.filter((s) => s.id === "smoke").map((s) => s.run as string);
    };
    assert.ok(smoke("deploy-staging.yml").length > 0);
    for (const run of smoke("deploy-staging.yml")) assert.match(run, /curl .*--insecure/);
    for (const run of smoke("deploy-production.yml")) assert.doesNotMatch(run, /--insecure/);
    assert.deepEqual(findings(projectOf(SPEC), t.kubernetes, t.github), []);
  });

  it("kubernetes/smoke-trust: a smoke test that checks a staging certificate, at the issuer's line", () => {
    const project = projectOf(SPEC);
    const t = trees(project);
    const github = Object.fromEntries(
      Object.entries(t.github).map(([f, text]) => [f, text.replaceAll(" --insecure", "")]),
    );
    const found = findings(project, t.kubernetes, github);
    assert.deepEqual(
      found.map((f) => [f.rule, f.env, f.path, f.file]),
      [
        ["kubernetes/smoke-trust", "staging", "targets.kubernetes.tls_issuer", "chart/values-staging.yaml"],
        ["kubernetes/smoke-trust", "staging", "targets.kubernetes.tls_issuer", "chart/values-staging.yaml"],
      ],
      "the deploy workflow and the rollback job of staging",
    );
    const line = t.kubernetes["chart/values-staging.yaml"]!.split("\n")[found[0]!.line! - 1];
    assert.match(line!, /clusterIssuer: letsencrypt-staging/);
  });
});

describe("kubernetes: one chart for every cluster it goes to", () => {
  it("todo opens DigitalOcean's 25060 and AKS's 5432 to its managed PostgreSQL, and AKS's probe path is set", () => {
    const tree = kubernetesTarget.render(loadExample("todo").project, exampleContext("todo"));
    const [policy] = objects(tree["rendered/production/backend-networkpolicy.yaml"]!);
    const ports = (policy!.spec.egress as any[]).flatMap((e) => (e.ports ?? []).map((p: any) => p.port));
    assert.ok(ports.includes(25060) && ports.includes(5432), String(ports));
    assert.match(
      tree["cluster-bootstrap/values/ingress-nginx.yaml"]!,
      /service\.beta\.kubernetes\.io\/azure-load-balancer-health-probe-request-path: \/healthz/,
    );
  });

  it("a chart only for DOKS opens 25060 and not 5432", () => {
    const tree = kubernetesTarget.render(
      projectOf(SPEC.replace("build: ./api", "build: ./api\n    uses: [db]") + "postgres:\n  db: {}\n"),
      ctx,
    );
    const [policy] = objects(tree["rendered/production/api-networkpolicy.yaml"]!);
    const ports = (policy!.spec.egress as any[]).flatMap((e) => (e.ports ?? []).map((p: any) => p.port));
    assert.ok(ports.includes(25060) && !ports.includes(5432), String(ports));
  });
});

describe("kubernetes: public routes", () => {
  it("a subscriber's delivery route under its public prefix is refused at the ingress", () => {
    const tree = kubernetesTarget.render(loadExample("todo").project, exampleContext("todo"));
    const [, deny] = objects(tree["rendered/production/sse-gateway-ingress.yaml"]!);
    assert.equal(
      deny!.metadata.annotations["nginx.ingress.kubernetes.io/denylist-source-range"],
      "0.0.0.0/0,::/0",
    );
    assert.deepEqual(
      (deny!.spec.rules[0].http.paths as any[]).map((p) => [p.path, p.pathType, p.backend.service.name]),
      [["/events/processed-events", "Prefix", "sse-gateway"]],
    );
    // The backend's route /events/task-events goes to sse-gateway's longer prefix, not to the backend.
    assert.equal(objects(tree["rendered/production/backend-ingress.yaml"]!).length, 1);
  });

  it("kubernetes/public-routes: a delivery route the ingress serves, and a path the spec does not expose", () => {
    const project = loadExample("todo").project;
    const tree = kubernetesTarget.render(project, exampleContext("todo"));
    const file = "rendered/production/sse-gateway-ingress.yaml";
    const damaged: FileTree = {
      ...tree,
      [file]: tree[file]!.replace("denylist-source-range", "whitelist-source-range"),
      "rendered/staging/backend-ingress.yaml": tree["rendered/staging/backend-ingress.yaml"]!.replace(
        "path: /api",
        "path: /internal",
      ),
    };
    const found = findings(project, damaged, {});
    assert.deepEqual(
      found.map((f) => [f.rule, f.env, f.path, f.file]),
      [
        ["kubernetes/public-routes", "staging", "services.backend", "rendered/staging/backend-ingress.yaml"],
        ["kubernetes/public-routes", "production", "services.sse-gateway", file],
        ["kubernetes/public-routes", "production", "services.sse-gateway.subscribes.processed-events", file],
      ],
    );
    for (const f of found)
      assert.match(damaged[f.file ?? ""]?.split("\n")[(f.line ?? 0) - 1] ?? "", /- path: /);
  });
});

describe("kubernetes/per-env-values", () => {
  it("finds a values file that carries another environment's domain, at its line", () => {
    const project = loadExample("todo").project;
    const tree = kubernetesTarget.render(project, exampleContext("todo"));
    const damaged: FileTree = {
      ...tree,
      "chart/values-staging.yaml": tree["chart/values-staging.yaml"]!.replace(
        "- staging.todo.example.com",
        "- todo.example.com",
      ),
    };
    const found = findings(project, damaged, {}).filter((f) => f.rule === "kubernetes/per-env-values");
    assert.deepEqual(
      found.map((f) => [f.env, f.path, f.file]),
      [["staging", "services.backend", "chart/values-staging.yaml"]],
    );
    assert.match(
      damaged["chart/values-staging.yaml"]?.split("\n")[(found[0]?.line ?? 0) - 1] ?? "",
      /hosts:/,
    );
  });

  it("finds a job whose schedule is the first environment's", () => {
    const spec = `name: shop
services:
  report: { build: ./r, command: run, schedule: "0 3 * * *" }
targets: { kubernetes: {} }
environments:
  staging: {}
  production:
    services: { report: { schedule: "0 4 * * *" } }
`;
    const project = projectOf(spec);
    const tree = kubernetesTarget.render(project, ctx);
    assert.deepEqual(findings(project, tree, {}), []);
    const damaged: FileTree = {
      ...tree,
      "chart/values-production.yaml": tree["chart/values-production.yaml"]!.replace("0 4 * * *", "0 3 * * *"),
    };
    assert.deepEqual(
      findings(project, damaged, {}).map((f) => [f.rule, f.env, f.path]),
      [["kubernetes/per-env-values", "production", "services.report"]],
    );
  });
});

describe("kubernetes: a static site per environment", () => {
  it("augeo's admin is built per environment with that environment's VITE_API_URL, and each pulls its own", () => {
    const { project } = loadExample("augeo");
    const c = exampleContext("augeo", "kubernetes");
    const build = objects(githubTarget.render(project, c)["build.yml"]!)[0]!;
    const k8s = kubernetesTarget.render(project, c);
    for (const [env, api] of [
      ["dev", "https://api.dev.augeo.app"],
      ["staging", "https://api.staging.augeo.app"],
      ["production", "https://api.augeo.app"],
    ] as const) {
      const job = build.jobs[`build-admin-${env}`];
      const step = (job.steps as any[]).find((s) => s.name === "Build admin");
      assert.equal(step.env.VITE_API_URL, api, env);
      const pushed = (job.steps as any[]).find((s) => s.id === "meta").with.images as string;
      const [deployment] = objects(k8s[`rendered/${env}/admin-deployment.yaml`]!);
      const image = deployment!.spec.template.spec.containers[0].image as string;
      assert.equal(image.replace(/:[^:/]+$/, ""), pushed, env);
    }
    assert.equal(build.jobs["build-admin"], undefined);
  });
});

describe("gantry check with the Kubernetes rules", () => {
  it("a spec with a staging issuer in one environment checks clean", async () => {
    const { dir, cleanup } = tempDir({ "gantry.yaml": SPEC });
    try {
      const r = await runCli(["check", dir, "--no-tools", "--target", "kubernetes", "--target", "github"]);
      assert.doesNotMatch(r.out, /kubernetes\/(smoke-trust|public-routes|per-env-values)/, r.out);
    } finally {
      cleanup();
    }
  });

  for (const example of EXAMPLES)
    it(`examples/${example} has no Kubernetes system findings`, () => {
      const { project } = loadExample(example);
      const tree = kubernetesTarget.render(project, exampleContext(example));
      assert.deepEqual(findings(project, tree, {}), []);
    });
});
