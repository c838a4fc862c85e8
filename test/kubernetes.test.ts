// The Kubernetes target: golden trees of every example, determinism, --check, the target's own spec
// problems (asserted word for word) and the rules the docs promise (images, Secret keys, commands).
// Parsed manifests are read loosely (any) here: the objects are checked field by field.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { printYaml, printYamlDocuments } from "../src/format/yaml.js";
import { loadSpec } from "../src/model/load.js";
import { kubernetesTarget } from "../src/targets/kubernetes/index.js";
import { baseValues, fileValues, mergeValues, valuesDiff } from "../src/targets/kubernetes/chart.js";
import { chartItems, type ChartValues, type ServiceValues } from "../src/targets/kubernetes/values.js";
import type { JobModel, ServiceModel } from "../src/model/types.js";
import { workloadVariables } from "../src/model/bindings.js";
import { printK8sDocuments } from "../src/targets/kubernetes/print.js";
import { buildValues } from "../src/targets/kubernetes/values-environment.js";
import { kubernetesCommand } from "../src/targets/kubernetes/values-workloads.js";
import { goJson } from "../src/targets/kubernetes/objects.js";
import { objectsByTemplate } from "../src/targets/kubernetes/manifests.js";
import { CREATE_DATABASES_SCRIPT } from "../src/targets/kubernetes/objects-datastores.js";
import type { K8sObject } from "../src/targets/kubernetes/objects.js";
import { EXAMPLES, REPO_ROOT, exampleContext, expectGoldenTree, loadExample, runCli } from "./helpers.js";

const render = (name: string) => kubernetesTarget.render(loadExample(name).project, exampleContext(name));
const specOf = (text: string) => loadSpec("gantry.yaml", text);
const objectsIn = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as K8sObject);

/**
 * A temporary directory inside the repository's work tree (under the ignored node_modules/.cache), so
 * that `gantry synth` finds its git root there as it does for real specs.
 */
function gitTempDir(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const parent = join(REPO_ROOT, "node_modules", ".cache");
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, "gantry-k8s-test-"));
  for (const [f, content] of Object.entries(files)) writeFileSync(join(dir, f), content);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const MINIMAL = (extra = "") => `name: shop
services:
  api:
    build: ./api
    port: 8000
    health: /health
    uses: [db]
postgres:
  db: { version: 16 }
${extra}`;

describe("kubernetes target: examples", () => {
  for (const name of EXAMPLES) {
    it(`${name}: synthesizes without errors and matches the golden tree`, () => {
      const { project } = loadExample(name);
      const problems = kubernetesTarget
        .check(project, exampleContext(name))
        .filter((p) => (p.severity ?? "error") === "error");
      assert.deepEqual(problems, []);
      expectGoldenTree(kubernetesTarget, name, render(name));
    });
    it(`${name}: byte-identical across runs`, () => {
      assert.deepEqual(render(name), render(name));
    });
  }

  it("todo: one chart, a values file and rendered manifests per environment, the bootstrap", () => {
    const tree = render("todo");
    for (const f of [
      "chart/Chart.yaml",
      "chart/values.yaml",
      "chart/values-staging.yaml",
      "chart/values-production.yaml",
      "chart/values.schema.json",
      "chart/templates/_helpers.tpl",
      "chart/templates/NOTES.txt",
      "chart/templates/backend-deployment.yaml",
      "cluster-bootstrap/install.sh",
      "cluster-bootstrap/README.md",
      "cluster-bootstrap/cert-manager/cluster-issuers.yaml",
      "cluster-bootstrap/namespaces/staging.yaml",
      "cluster-bootstrap/dapr/configuration-production.yaml",
    ]) {
      assert.ok(tree[f] !== undefined, `missing ${f}`);
    }
    // In-cluster PostgreSQL only where the spec says so (staging).
    assert.ok(tree["rendered/staging/postgres-db-statefulset.yaml"]);
    assert.equal(tree["rendered/production/postgres-db-statefulset.yaml"], undefined);
    // No template hard-codes a namespace.
    for (const [f, text] of Object.entries(tree))
      if (f.startsWith("chart/templates/")) assert.doesNotMatch(text, /namespace: (staging|production)/, f);
  });

  it("todo production: the Deployment of backend is what the issue asks for", () => {
    const [d] = objectsIn(render("todo")["rendered/production/backend-deployment.yaml"]!);
    const spec = d!.spec as Record<string, any>;
    assert.equal(d!.metadata.namespace, "production");
    assert.deepEqual(spec.strategy, {
      type: "RollingUpdate",
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    assert.equal(spec.replicas, undefined, "the HPA owns the replica count");
    const pod = spec.template.spec;
    assert.equal(pod.automountServiceAccountToken, false);
    assert.ok(pod.terminationGracePeriodSeconds > pod.containers[0].lifecycle.preStop.sleep.seconds);
    assert.equal(pod.topologySpreadConstraints.length, 2);
    const c = pod.containers[0];
    assert.equal(c.image, "ghcr.io/hackathon/todo/backend:0.1.0");
    assert.deepEqual(c.securityContext.capabilities, { drop: ["ALL"] });
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(c.command, ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "$(PORT)"]);
    assert.ok(c.livenessProbe && c.readinessProbe && c.startupProbe);
    assert.deepEqual(
      c.env.map((e: any) => [e.name, e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key]),
      [
        ["BETTER_AUTH_SECRET", "app-secrets", "BETTER_AUTH_SECRET"],
        ["DATABASE_URL", "app-secrets", "DATABASE_URL"],
        ["OPENAI_API_KEY", "app-secrets", "OPENAI_API_KEY"],
      ],
    );
    assert.deepEqual(c.envFrom, [{ configMapRef: { name: "backend-config" } }]);
    const [config] = objectsIn(render("todo")["rendered/production/backend-configmap.yaml"]!);
    assert.deepEqual((config as any).data, {
      GANTRY_ENV: "production",
      GANTRY_SERVICE: "backend",
      HOST: "0.0.0.0",
      PORT: "8000",
      PUBSUB_NAME: "pubsub",
    });
    assert.equal(pod.imagePullSecrets[0].name, "ghcr-pull-secret");
    assert.equal(spec.template.metadata.annotations["dapr.io/app-id"], "backend");
    assert.match(spec.template.metadata.annotations["checksum/config"], /^[0-9a-f]{64}$/);
  });

  it("todo production: HPA behaviour, PDB, Ingress with TLS and the issuer, CronJob-free", () => {
    const tree = render("todo");
    const [h] = objectsIn(tree["rendered/production/backend-hpa.yaml"]!);
    assert.deepEqual((h!.spec as any).behavior, {
      scaleUp: { stabilizationWindowSeconds: 60, policies: [{ type: "Pods", value: 2, periodSeconds: 60 }] },
      scaleDown: {
        stabilizationWindowSeconds: 300,
        policies: [{ type: "Pods", value: 1, periodSeconds: 120 }],
      },
    });
    assert.ok(tree["rendered/production/backend-pdb.yaml"]);
    assert.equal(tree["rendered/staging/backend-pdb.yaml"], undefined, "one replica in staging: no PDB");
    const [ing] = objectsIn(tree["rendered/production/backend-ingress.yaml"]!);
    assert.equal(ing!.metadata.annotations!["cert-manager.io/cluster-issuer"], "letsencrypt-prod");
    assert.deepEqual((ing!.spec as any).tls, [
      { hosts: ["todo.example.com"], secretName: "backend-todo-example-com-tls" },
    ]);
    const [stagingIng] = objectsIn(tree["rendered/staging/backend-ingress.yaml"]!);
    // No tier picks the staging issuer on its own: its certificates fail every smoke test that checks trust.
    assert.equal(stagingIng!.metadata.annotations!["cert-manager.io/cluster-issuer"], "letsencrypt-prod");
    const [pubsub] = objectsIn(tree["rendered/production/dapr-pubsub.yaml"]!);
    assert.equal((pubsub!.spec as any).type, "pubsub.kafka");
    const meta = (pubsub!.spec as any).metadata as {
      name: string;
      value?: string;
      secretKeyRef?: { key: string };
    }[];
    for (const n of ["brokers", "saslUsername", "saslPassword"]) {
      const m = meta.find((x) => x.name === n)!;
      assert.equal(m.value, undefined, `${n} must come from the Secret`);
      assert.ok(m.secretKeyRef?.key);
    }
  });

  it("augeo: the cleanup job is a CronJob that never overlaps", () => {
    const [cj] = objectsIn(render("augeo")["rendered/production/cleanup-cronjob.yaml"]!);
    assert.equal((cj!.spec as any).concurrencyPolicy, "Forbid");
    assert.equal((cj!.spec as any).schedule, "0 3 * * *");
  });

  it("values.yaml plus values-<env>.yaml merge back to values that give each environment's objects", () => {
    for (const name of ["augeo", "todo"]) {
      const { project } = loadExample(name);
      const all = project.environments.map(buildValues);
      const files = all.map((v) => fileValues(v, chartItems(all)));
      const base = baseValues(files);
      all.forEach((v, i) => {
        const merged = mergeValues(base, valuesDiff(files[i]!, base));
        assert.deepEqual(merged, files[i]);
        const ns = project.environments[i]!.environment.namespace;
        assert.deepEqual(objectsByTemplate(merged as unknown as ChartValues, ns), objectsByTemplate(v, ns));
      });
    }
  });
});

describe("kubernetes target: rules", () => {
  it("composes images as <registry>/<service> when the registry ends with the app name, else <registry>/<app>/<service>", () => {
    const withRegistry = (registry: string) =>
      buildValues(
        specOf(MINIMAL(`targets:\n  kubernetes: { registry: ${registry} }\n`)).project.environments[0]!,
      );
    assert.equal(withRegistry("ghcr.io/acme/shop").services.api!.image, "ghcr.io/acme/shop/api");
    assert.equal(withRegistry("ghcr.io/acme").services.api!.image, "ghcr.io/acme/shop/api");
    const fromRepo = buildValues(specOf(MINIMAL("ci: { repository: Acme/Shop }\n")).project.environments[0]!);
    assert.equal(fromRepo.services.api!.image, "ghcr.io/acme/shop/api");
  });

  it("maps the contract's names to one Secret key per resource part: DATABASE_URL and PG* for the primary PostgreSQL, <NAME>_DATABASE_URL for each", () => {
    const one = buildValues(specOf(MINIMAL()).project.environments[0]!).services.api!;
    assert.deepEqual(one.secretEnv, [
      { name: "DATABASE_URL", key: "postgres-db-url" },
      { name: "DB_DATABASE_URL", key: "postgres-db-url" },
      { name: "PGHOST", key: "postgres-db-host" },
      { name: "PGPASSWORD", key: "postgres-db-password" },
      { name: "PGUSER", key: "postgres-db-user" },
    ]);
    assert.deepEqual(one.config, {
      GANTRY_ENV: "production",
      GANTRY_SERVICE: "api",
      HOST: "0.0.0.0",
      PGDATABASE: "db",
      PGPORT: "5432",
      PGSSLMODE: "require",
      PORT: "8000",
    });
    const two = buildValues(
      specOf(`name: shop
services:
  api: { build: ./api, port: 8000, health: /health, uses: [main, audit-log, cache] }
postgres:
  main: { version: 16 }
  audit-log: { version: 16 }
redis:
  cache: {}
`).project.environments[0]!,
    ).services.api!;
    assert.deepEqual(
      two.secretEnv.map((e) => [e.name, e.key]),
      [
        ["AUDIT_LOG_DATABASE_URL", "postgres-audit-log-url"],
        ["CACHE_REDIS_URL", "redis-cache-url"],
        // The first PostgreSQL in `uses` is the primary.
        ["DATABASE_URL", "postgres-main-url"],
        ["MAIN_DATABASE_URL", "postgres-main-url"],
        ["PGHOST", "postgres-main-host"],
        ["PGPASSWORD", "postgres-main-password"],
        ["PGUSER", "postgres-main-user"],
        ["REDIS_URL", "redis-cache-url"],
      ],
    );
  });

  it("composes what joins the chart's values and the Secret in the container, from variables before it", () => {
    const app = specOf(`name: shop
services:
  api:
    build: ./api
    port: 8000
    health: /health
    uses: [db, cache]
    env: { DSN: "postgresql+psycopg://\${db.user}:\${db.password}@\${db.host}/\${db.database}", COST: "$5" }
postgres:
  db: { version: 16, hosting: cluster }
redis:
  cache: { hosting: cluster }
`).project.environments[0]!;
    const api = buildValues(app).services.api!;
    assert.deepEqual(api.secretEnv, [
      { name: "GANTRY_REDIS_CACHE_PASSWORD", key: "redis-cache-password" },
      { name: "PGPASSWORD", key: "postgres-db-password" },
    ]);
    assert.deepEqual(api.composedEnv, [
      { name: "CACHE_REDIS_URL", value: "redis://:$(GANTRY_REDIS_CACHE_PASSWORD)@redis-cache:6379" },
      { name: "DATABASE_URL", value: "postgresql://shop:$(PGPASSWORD)@postgres-db:5432/db" },
      { name: "DB_DATABASE_URL", value: "postgresql://shop:$(PGPASSWORD)@postgres-db:5432/db" },
      { name: "DSN", value: "postgresql+psycopg://shop:$(PGPASSWORD)@postgres-db/db" },
      { name: "REDIS_URL", value: "redis://:$(GANTRY_REDIS_CACHE_PASSWORD)@redis-cache:6379" },
    ]);
    assert.equal(api.config.PGHOST, "postgres-db");
    assert.equal(api.config.COST, "$5", "a ConfigMap's values are not expanded");
    // The helper variable is a platform variable of `gantry env`, with the key it carries.
    assert.deepEqual(kubernetesTarget.contract!.platformVariables(app, app.services.api as ServiceModel), [
      {
        name: "GANTRY_REDIS_CACHE_PASSWORD",
        source:
          "Secret app-secrets, key redis-cache-password: Kubernetes composes CACHE_REDIS_URL, REDIS_URL from it",
      },
    ]);
    const [deployment] = objectsIn(
      printK8sDocuments(objectsByTemplate(buildValues(app), "default")["api-deployment"]!),
    );
    const env = (deployment!.spec as any).template.spec.containers[0].env.map((e: any) => e.name);
    assert.deepEqual(env, [
      "GANTRY_REDIS_CACHE_PASSWORD",
      "PGPASSWORD",
      "CACHE_REDIS_URL",
      "DATABASE_URL",
      "DB_DATABASE_URL",
      "DSN",
      "REDIS_URL",
    ]);
  });

  it("creates every database of an in-cluster PostgreSQL that its backup dumps, in the chart and the manifests", () => {
    // The image creates only POSTGRES_DB: a second database never existed, and the nightly dump failed.
    const spec = `name: shop
services:
  api: { build: ./api, port: 8000, health: /health, uses: [db] }
postgres:
  db: { hosting: cluster, databases: [shop, shop_reports] }
targets: { kubernetes: { registry: ghcr.io/acme } }
`;
    const app = specOf(spec).project.environments[0]!;
    const byTemplate = objectsByTemplate(buildValues(app), "default");
    const [sts] = objectsIn(printK8sDocuments(byTemplate["postgres-db-statefulset"]!));
    const backup = objectsIn(printK8sDocuments(byTemplate["postgres-db-backup"]!)).find(
      (o) => o.kind === "CronJob" && o.metadata.name === "postgres-db-backup",
    );
    const pg = (sts!.spec as any).template.spec.containers[0];
    const dumped = (backup!.spec as any).jobTemplate.spec.template.spec.containers[0].env.find(
      (e: any) => e.name === "DATABASES",
    ).value;
    assert.equal(dumped, "shop shop_reports");
    assert.equal(pg.env.find((e: any) => e.name === "DATABASES").value, dumped);
    assert.deepEqual(pg.lifecycle.postStart.exec.command, ["/bin/sh", "-c", CREATE_DATABASES_SCRIPT]);
    // The chart's template says the same.
    const template = kubernetesTarget.render(specOf(spec).project, exampleContext("todo"))[
      "chart/templates/postgres-db-statefulset.yaml"
    ]!;
    assert.ok(template.includes("- name: DATABASES"), template);
    assert.ok(template.includes(CREATE_DATABASES_SCRIPT.split("\n")[4]!.trim()), template);

    // The script itself, with psql and createdb faked: it creates what is missing and exits 0.
    const dir = mkdtempSync(join(tmpdir(), "gantry-createdb-"));
    try {
      writeFileSync(join(dir, "have"), "shop\n");
      const fake = (body: string) => `#!/bin/sh\n${body}\n`;
      writeFileSync(
        join(dir, "psql"),
        fake(
          `db=$(echo "$6" | sed "s/.*datname = '\\(.*\\)'.*/\\1/"); grep -qx "$db" ${dir}/have && echo 1; true`,
        ),
        { mode: 0o755 },
      );
      writeFileSync(join(dir, "createdb"), fake(`echo "$3" >> ${dir}/have`), { mode: 0o755 });
      execFileSync("/bin/sh", ["-c", CREATE_DATABASES_SCRIPT], {
        env: {
          PATH: `${dir}:${process.env.PATH}`,
          DATABASES: dumped,
          POSTGRES_USER: "shop",
          POSTGRES_DB: "shop",
        },
      });
      assert.deepEqual(readFileSync(join(dir, "have"), "utf8").split("\n").filter(Boolean), [
        "shop",
        "shop_reports",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves DAPR_HTTP_PORT to the sidecar injector, and says a job's CronJob has none", () => {
    const { project } = specOf(`name: shop
services:
  api: { build: ./api, port: 8000, health: /health, uses: [orders] }
  nightly: { build: ./api, command: node nightly.js, schedule: "0 3 * * *", uses: [orders] }
topics:
  orders: {}
ci: { repository: acme/shop }
`);
    const app = project.environments[0]!;
    const [api, nightly] = [app.services.api as ServiceModel, app.services.nightly as JobModel];
    const contract = kubernetesTarget.contract!;
    const port = (w: ServiceModel | JobModel) =>
      workloadVariables(app, w).find((v) => v.name === "DAPR_HTTP_PORT")!;
    assert.equal(contract.atRuntime!(app, api, "DAPR_HTTP_PORT"), true);
    assert.equal(contract.missing!(app, api, port(api)), undefined);
    assert.equal(contract.atRuntime!(app, nightly, "DAPR_HTTP_PORT"), false);
    assert.match(contract.missing!(app, nightly, port(nightly))!, /runs no Dapr sidecar/);
    const v = buildValues(app);
    assert.equal(v.services.nightly!.config.PUBSUB_NAME, "pubsub");
    assert.equal(v.services.api!.config.DAPR_HTTP_PORT, undefined);
    assert.deepEqual(
      kubernetesTarget.check(project, exampleContext("todo")).map((p) => `${p.path}: ${p.message}`),
      [
        "services.nightly.uses: a CronJob runs without the Dapr sidecar, so DAPR_HTTP_PORT is not set and nightly cannot publish to `orders`",
      ],
    );
  });

  it("turns a spec command into Kubernetes command words, as command-line.ts means it", () => {
    assert.deepEqual(kubernetesCommand("uvicorn app:app --port $PORT"), [
      "uvicorn",
      "app:app",
      "--port",
      "$(PORT)",
    ]);
    assert.deepEqual(kubernetesCommand(`python -c "print('a b')"`), ["python", "-c", "print('a b')"]);
    assert.deepEqual(kubernetesCommand("npm run migrate && node server.js --port $PORT"), [
      "/bin/sh",
      "-c",
      "npm run migrate && node server.js --port $$PORT",
    ]);
    // Kubernetes reads `$$` as `$`, so a literal `$` is doubled, and `$(` in a shell line stays `$(`.
    assert.deepEqual(kubernetesCommand("echo 'cost: $5' ${PORT}"), ["echo", "cost: $$5", "$(PORT)"]);
    assert.deepEqual(kubernetesCommand("echo $(date)"), ["/bin/sh", "-c", "echo $$(date)"]);
  });

  it("prints the checksum input as Helm's toJson does", () => {
    assert.equal(goJson({ b: "2", a: "<x&y>" }), '{"a":"\\u003cx\\u0026y\\u003e","b":"2"}');
  });

  it("requires a registry when targets.kubernetes is set and services are built from source", () => {
    const { project } = specOf(MINIMAL("targets:\n  kubernetes: { provider: eks }\n"));
    assert.deepEqual(kubernetesTarget.check(project, exampleContext("todo")), [
      {
        path: "targets.kubernetes.registry",
        message:
          "services `api` are built from source, but nothing says which registry their images are pushed to",
        hint: "set targets.kubernetes.registry (such as ghcr.io/acme), or ci.repository to use its GitHub Container Registry, or give each service an `image`",
      },
    ]);
  });

  it("warns, and uses a local registry, when no kubernetes target settings exist at all", () => {
    const { project } = specOf(MINIMAL());
    assert.deepEqual(kubernetesTarget.check(project, exampleContext("todo")), [
      {
        severity: "warning",
        path: "services.api.build",
        message:
          "no registry is set, so images are pulled from localhost:5000 (a local registry, as kind and k3d use)",
        hint: "set targets.kubernetes.registry, or ci.repository, for a real cluster",
      },
    ]);
    assert.equal(buildValues(project.environments[0]!).services.api!.image, "localhost:5000/shop/api");
  });

  it("reports a missing registry as a positioned spec error through the CLI", async () => {
    const { dir, cleanup } = gitTempDir({
      "gantry.yaml": MINIMAL("targets:\n  kubernetes: { provider: eks }\n"),
    });
    try {
      const r = await runCli(["synth", "kubernetes", dir]);
      assert.equal(r.code, 1);
      assert.match(
        r.err,
        /gantry\.yaml:11:3 targets\.kubernetes\.registry: services `api` are built from source, but nothing says which registry their images are pushed to \(kubernetes target\)/,
      );
      assert.match(r.err, /hint: set targets\.kubernetes\.registry \(such as ghcr\.io\/acme\)/);
    } finally {
      cleanup();
    }
  });

  it("rejects names whose objects would collide with generated ones", () => {
    const spec = MINIMAL("ci: { repository: acme/shop }\n")
      .replace(
        "services:\n",
        "services:\n  postgres-db: { image: nginx:1.27.3, port: 8080, health: /, scale: 2 }\n",
      )
      .replace("  db: { version: 16 }", "  db: { version: 16, hosting: cluster }");
    assert.deepEqual(
      kubernetesTarget
        .check(specOf(spec).project, exampleContext("todo"))
        .map((p) => `${p.path}: ${p.message}`),
      [
        "services.postgres-db: two objects would be the Service postgres-db (chart template postgres-db-service.yaml)",
        "services.postgres-db: two objects would be the NetworkPolicy postgres-db (chart template postgres-db-networkpolicy.yaml)",
      ],
    );
  });

  it("docs/targets/kubernetes.md shows todo's Secrets exactly as its generated README lists them", () => {
    const readme = render("todo")["README.md"]!;
    const fromReadme = readme
      .slice(readme.indexOf("### staging (namespace"), readme.search(/^(Kafka is not run|## 3\. Deploy)/m))
      .trimEnd();
    const docs = readFileSync(join(REPO_ROOT, "docs", "targets", "kubernetes.md"), "utf8");
    const inDocs = docs
      .slice(docs.indexOf("<!-- todo-secrets:begin -->\n") + 28, docs.indexOf("<!-- todo-secrets:end -->"))
      .trimEnd();
    assert.equal(inDocs, fromReadme.replace(/^### /gm, "#### "));
  });

  it("--check exits 1 and names the files that differ, then 0 once written", async () => {
    const { dir, cleanup } = gitTempDir({ "gantry.yaml": MINIMAL("ci: { repository: acme/shop }\n") });
    try {
      const out = join(dir, "out");
      assert.equal((await runCli(["synth", "kubernetes", dir, "--out", out])).code, 0);
      const ok = await runCli(["synth", "kubernetes", dir, "--out", out, "--check"]);
      assert.equal(ok.code, 0, ok.err);
      const f = join(out, "chart/values.yaml");
      writeFileSync(f, `${readFileSync(f, "utf8")}# edited\n`);
      const bad = await runCli(["synth", "kubernetes", dir, "--out", out, "--check"]);
      assert.equal(bad.code, 1);
      assert.match(bad.err, /changed: chart\/values\.yaml/);
    } finally {
      cleanup();
    }
  });

  it("gives services with domains an ingress-controller rule and everything a default deny", () => {
    const v = buildValues(loadExample("todo", "production").project.environments[0]!);
    const frontend = v.services.frontend as ServiceValues;
    assert.equal(frontend.network.fromIngressController, true);
    assert.equal((v.services.mcp as ServiceValues).network.fromIngressController, false);
    const tree = render("todo");
    const [deny] = objectsIn(tree["rendered/production/networkpolicy-default-deny.yaml"]!);
    assert.deepEqual(deny!.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  });
});

describe("kubernetes target: YAML 1.1-safe printing", () => {
  const tricky = [
    "yes",
    "on",
    "Off",
    "y",
    "~",
    "null",
    "0755",
    "12:30",
    "1e3",
    "0.1.0",
    ".inf",
    "-.Inf",
    ".nan",
    "250m",
    "1Gi",
    "30s",
    "1e",
    "-x",
    "- x",
    "-",
    "---",
    "a: b",
    "a:",
    "a #b",
    "",
    " x",
    "x ",
    "{{ .Release.Namespace }}",
    "--port",
    "$(PORT)",
    "a\nb",
    "ünï",
    "*a",
    "&a",
    "!x",
    "%x",
    "@x",
    "`x",
    "|",
    ">",
    "'",
    '"',
    "=",
    "<<",
    "[a]",
    "{a}",
    "a,b",
    "0x1F",
    "+1",
    "1_000",
    "2024-04-01",
    "true",
    "x: y",
  ];
  it("reads every tricky string back as itself in YAML 1.1 and 1.2", () => {
    const value = {
      list: tricky,
      map: Object.fromEntries(
        tricky.map((s, i) => [s || "empty", i % 2 ? s : { nested: [s, { [s || "k"]: s }] }]),
      ),
      n: [0, -1, 2.5, true, false, null],
      e: {},
      a: [],
      aa: [[1, [2]], []],
    };
    const text = printYaml(value, { yaml11: true });
    for (const version of ["1.1", "1.2"] as const)
      assert.deepEqual(parse(text, { version }), value, `YAML ${version}`);
  });
  it("prints the same data as the library printer", () => {
    for (const f of Object.values(render("todo")).slice(0, 40)) {
      if (!f.startsWith("---")) continue;
      const docs = parseAllDocuments(f).map((d) => d.toJS() as unknown);
      assert.deepEqual(
        parseAllDocuments(printYamlDocuments(docs)).map((d) => d.toJS() as unknown),
        docs,
      );
    }
  });
});
