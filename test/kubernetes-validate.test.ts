// The ecosystem's own validators on the committed Kubernetes trees of every example, every
// environment: helm lint --strict, helm template == rendered/<env>/ (one model, two outputs),
// kubeconform -strict with the offline schemas (0 errors, 0 skipped), and checkov with only the
// allow-list of docs/targets/kubernetes.md skipped. In CI a missing tool fails; elsewhere it skips.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it, type TestContext } from "node:test";
import { isDeepStrictEqual } from "node:util";
import { parseAllDocuments } from "yaml";
import { allowListFromMarkdown, runCheckov } from "../src/validate/checkov.js";
import { helmLint, helmTemplate } from "../src/validate/helm.js";
import { kubeconform } from "../src/validate/kubeconform.js";
import { findTool } from "../src/validate/tools.js";
import { writeTree } from "../src/output/writer.js";
import { exec } from "../src/util/exec.js";
import { loadSpec } from "../src/model/load.js";
import { kubernetesTarget } from "../src/targets/kubernetes/index.js";
import { PARTIAL } from "./fixtures-environments.js";
import { EXAMPLES, REPO_ROOT, exampleContext, loadExample } from "./helpers.js";

const SINK = `name: sink
services:
  api:
    build: ./api
    command: node server.js --port $PORT
    port: 3000
    health: { liveness: /live, readiness: /ready }
    metrics: { path: /metrics, port: 9100 }
    env:
      FLAG: "yes"
      MODE: "on"
      PERMS: "0755"
      TIME: "12:30"
      PRICE: "$(5) and $5"
      MAIN_HOST: \${main.host}
      REPORTS_DSN: postgresql+psycopg://\${reports.user}:\${reports.password}@\${reports.host}:\${reports.port}/\${reports.database}
    secrets: [JWT_SECRET]
    scale: { min: 2, max: 5, cpu: 60, memory: 75 }
    domain: [api.sink.dev, www.sink.dev]
    path: /api
    uses: [main, reports, cache, orders, files, email]
    migrations: { command: "npm run migrate -- --port $PORT && npm run seed", timeout: 5m }
    read_only_root: false
  proxy:
    image: nginx:1.27.3
    port: 8080
    health: /healthz
    scale: 2
  indexer:
    type: worker
    build: ./indexer
    command: python -m indexer --redis "$REDIS_URL" --cost '$5'
    uses: [cache, orders]
  mailer:
    build: ./mailer
    command: node mailer.js
    metrics: /metrics
    subscribes:
      orders: { route: /orders, dead_letter: true, max_retries: 3 }
  nightly:
    build: ./api
    command: node jobs/nightly.js
    schedule: "30 2 * * *"
    timezone: Europe/Berlin
    uses: [main, reports]
    secrets: [JWT_SECRET]
  site:
    static: ./site
    build: npm run build
    output: dist
    domain: sink.dev
postgres:
  main: { version: 16 }
  reports: { version: 15, hosting: cluster }
redis:
  cache: { persistence: none, hosting: cluster }
# The in-cluster servers' dumps are also copied to a second repository (objects-backup.ts).
recovery:
  offsite: { endpoint: "https://fra1.digitaloceanspaces.com", bucket: sink-backups, region: fra1 }
topics:
  orders: { partitions: 2, idempotency: { store: cache } }
buckets:
  files: {}
email:
  domain: sink.dev
  senders: [noreply]
monitoring:
  alerts:
    down: { metric: availability, above: 10, for: 5m, severity: critical }
targets:
  kubernetes:
    provider: eks
    registry: registry.example.com:5000/team
    tls_email: ops@sink.dev
    ingress_class: internal-nginx
environments:
  dev:
    tier: development
    namespace: sink-dev
    postgres: { main: { hosting: cluster } }
  production:
    deploy: { on: release }
    services:
      api: { domain: [api.sink.io] }
`;

const CI = process.env.CI === "true" || process.env.CI === "1";

/** True when the tool is there; otherwise fails in CI and skips elsewhere. */
function haveTool(t: TestContext, name: string): boolean {
  if (findTool(name)) return true;
  if (CI) assert.fail(`${name} is missing in CI: scripts/install-tools.sh must install it`);
  t.skip(`${name} not installed (bash scripts/install-tools.sh)`);
  return false;
}

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
}
const parse = (text: string) =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((o): o is Manifest => o !== null);
const key = (o: Manifest) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;

export const ALLOWED_CHECKS = allowListFromMarkdown(
  readFileSync(join(REPO_ROOT, "docs", "targets", "kubernetes.md"), "utf8"),
);

describe("kubernetes target: validators", () => {
  it("the checkov allow-list gives a reason for every skipped check", () => {
    assert.ok(ALLOWED_CHECKS.length > 0);
    for (const c of ALLOWED_CHECKS) assert.ok(c.reason.length > 20, `${c.id} needs a reason`);
  });

  const cases: { name: string; dir: () => string; envs: { name: string; namespace: string }[] }[] =
    EXAMPLES.map((name) => ({
      name,
      dir: () => join(REPO_ROOT, "examples", name, "deploy", "kubernetes"),
      envs: loadExample(name).project.environments.map((a) => a.environment),
    }));
  // A spec no example has: an image service, a probeless worker, a writable root, two PostgreSQL
  // servers (one in-cluster, its dumps copied offsite), in-cluster Redis as an idempotency store, buckets, email, YAML 1.1 traps,
  // `${db.part}` references composed in the container and literal `$` in values and commands.
  const sink = loadSpec("gantry.yaml", SINK).project;
  let sinkDir: string | undefined;
  cases.push({
    name: "kitchen-sink spec",
    dir: () => {
      if (!sinkDir) {
        sinkDir = join(mkdtempSync(join(tmpdir(), "gantry-k8s-sink-")), "kubernetes");
        writeTree(sinkDir, kubernetesTarget.render(sink, exampleContext("todo")), true);
      }
      return sinkDir;
    },
    envs: sink.environments.map((a) => a.environment),
  });
  // Items that exist in some environments only: the chart has them all, each environment switches on its own.
  const partial = loadSpec("gantry.yaml", PARTIAL).project;
  let partialDir: string | undefined;
  cases.push({
    name: "spec whose environments remove items",
    dir: () => {
      if (!partialDir) {
        partialDir = join(mkdtempSync(join(tmpdir(), "gantry-k8s-partial-")), "kubernetes");
        writeTree(partialDir, kubernetesTarget.render(partial, exampleContext("todo")), true);
      }
      return partialDir;
    },
    envs: partial.environments.map((a) => a.environment),
  });
  after(() => {
    for (const dir of [sinkDir, partialDir])
      if (dir) rmSync(join(dir, ".."), { recursive: true, force: true });
  });

  it("the kitchen-sink spec has no problems the Kubernetes target cannot handle", () => {
    assert.deepEqual(kubernetesTarget.check(sink, exampleContext("todo")), []);
  });

  it("values.schema.json makes Helm reject wrong values", async (t) => {
    if (!haveTool(t, "helm")) return;
    const chart = join(REPO_ROOT, "examples", "todo", "deploy", "kubernetes", "chart");
    const values = [join(chart, "values-production.yaml")];
    const wrong: Record<string, string>[] = [
      { "services.backend.replicas": "two" },
      { "services.backend.replica": "2" },
      { "global.imageTag": "" },
    ];
    for (const set of wrong) {
      await assert.rejects(
        helmTemplate(chart, { namespace: "production", valuesFiles: values, set }),
        /schema/,
        JSON.stringify(set),
      );
    }
    await helmTemplate(chart, {
      namespace: "production",
      valuesFiles: values,
      set: { "global.imageTag": "sha-1a2b3c4" },
    });
  });

  it("cluster-bootstrap/install.sh is valid bash", async () => {
    for (const name of EXAMPLES) {
      const script = join(
        REPO_ROOT,
        "examples",
        name,
        "deploy",
        "kubernetes",
        "cluster-bootstrap",
        "install.sh",
      );
      const r = await exec("bash", ["-n", script]);
      assert.equal(r.code, 0, `${script}: ${r.stderr}`);
    }
  });

  for (const { name, dir: dirOf, envs } of cases) {
    it(`${name}: helm lint --strict passes with values.yaml alone and with each environment`, async (t) => {
      if (!haveTool(t, "helm")) return;
      const chart = join(dirOf(), "chart");
      for (const files of [[], ...envs.map((e) => [join(chart, `values-${e.name}.yaml`)])]) {
        const r = await helmLint(chart, files);
        assert.equal(r.code, 0, `${files.join(" ")}\n${r.stdout}${r.stderr}`);
      }
    });

    for (const env of envs) {
      it(`${name}/${env.name}: helm template gives the objects of rendered/${env.name}/, valid under kubeconform -strict`, async (t) => {
        if (!haveTool(t, "helm") || !haveTool(t, "kubeconform")) return;
        const dir = dirOf();
        const chart = join(dir, "chart");
        const text = await helmTemplate(chart, {
          namespace: env.namespace,
          valuesFiles: [join(chart, `values-${env.name}.yaml`)],
        });
        const fromHelm = new Map(parse(text).map((o) => [key(o), o]));
        const renderedDir = join(dir, "rendered", env.name);
        const rendered = new Map(
          readdirSync(renderedDir)
            .flatMap((f) => parse(readFileSync(join(renderedDir, f), "utf8")))
            .map((o) => [key(o), o]),
        );
        assert.deepEqual([...fromHelm.keys()].sort(), [...rendered.keys()].sort());
        for (const [k, o] of fromHelm)
          assert.ok(
            isDeepStrictEqual(o, rendered.get(k)),
            `${k} differs between helm template and rendered/`,
          );
        for (const o of fromHelm.values()) assert.equal(o.metadata.namespace, env.namespace, key(o));

        const r = await kubeconform({ text });
        assert.deepEqual(r.problems, []);
        assert.deepEqual(
          { invalid: r.invalid, errors: r.errors, skipped: r.skipped },
          { invalid: 0, errors: 0, skipped: 0 },
        );
        assert.equal(r.valid, fromHelm.size);
      });

      it(`${name}/${env.name}: checkov finds nothing outside the documented allow-list`, async (t) => {
        if (!haveTool(t, "checkov")) return;
        const r = await runCheckov({
          framework: "kubernetes",
          dir: join(dirOf(), "rendered", env.name),
          skip: ALLOWED_CHECKS.map((c) => c.id),
        });
        assert.deepEqual(
          r.failed.map((f) => `${f.checkId} ${f.resource} (${f.checkName})`),
          [],
        );
        assert.ok(r.passed > 0);
      });
    }

    it(`${name}: the cluster bootstrap manifests are valid under kubeconform -strict`, async (t) => {
      if (!haveTool(t, "kubeconform")) return;
      const boot = join(dirOf(), "cluster-bootstrap");
      const files = ["cert-manager", "namespaces", "dapr"].flatMap((d) =>
        readdirSync(join(boot, d)).map((f) => join(boot, d, f)),
      );
      const r = await kubeconform({ files });
      assert.deepEqual(r.problems, []);
      assert.deepEqual(
        { invalid: r.invalid, errors: r.errors, skipped: r.skipped },
        { invalid: 0, errors: 0, skipped: 0 },
      );
      assert.ok(r.valid >= 2 + envs.length * 4);
    });
  }
});
