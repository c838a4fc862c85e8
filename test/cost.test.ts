// `gantry cost`: price tables with sources, every SKU a target can emit priced, estimates itemised per
// generated resource at minimum and maximum scale, usage from the spec's assumptions, the budget
// compared, and the two rules of `gantry check`.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { estimate, estimateAll } from "../src/cost/estimate.js";
import { AWS_PRICES } from "../src/cost/prices/aws.js";
import { AZURE_PRICES } from "../src/cost/prices/azure.js";
import { DO_PRICES } from "../src/cost/prices/digitalocean.js";
import { CLUSTER_PRICING } from "../src/cost/prices/kubernetes.js";
import type { PriceTable } from "../src/cost/prices/types.js";
import { COST_TARGETS, monthlyOf, type CostItem, type Estimate } from "../src/cost/types.js";
import { loadSpec } from "../src/model/load.js";
import type { ServiceModel, Size } from "../src/model/types.js";
import { aksNodes, planSku, postgresSku, redisSku } from "../src/targets/azure/decisions.js";
import { AWS_SIZES } from "../src/targets/aws/sizes.js";
import { DO_SIZES } from "../src/targets/digitalocean/sizes.js";
import { calibrationOf } from "../src/cost/calibration.js";
import { costDocs } from "../src/docs/cost.js";
import { costSection } from "../src/cost/readme.js";
import { findTarget } from "../src/targets/registry.js";
import { EXAMPLES, REPO_ROOT, exampleContext, loadExample, runCli, tempDir } from "./helpers.js";

const TABLES: PriceTable[] = [AZURE_PRICES, AWS_PRICES, DO_PRICES];
const SIZES: Size[] = ["xs", "s", "m", "l", "xl"];

const spec = (yaml: string) => loadSpec("gantry.yaml", yaml).project;
const item = (e: Estimate, resource: string): CostItem => {
  const found = e.items.find((i) => i.resource === resource);
  assert.ok(found, `${resource} in ${e.items.map((i) => i.resource).join(", ")}`);
  return found;
};
const has = (table: PriceTable, key: string) =>
  assert.ok(table.prices[key], `${table.cloud}: no price for ${key}`);

const SMALL = `name: shop
services:
  api:
    image: ghcr.io/acme/api:1
    port: 8080
    health: /health
    domain: api.shop.example
    scale: { min: 2, max: 4 }
postgres:
  db: { version: 16 }
budget: { monthly_usd: BUDGET }
monitoring:
  channels: { ops: { type: email, to: [ops@shop.example] } }
ci: { repository: acme/shop }
targets:
  aws: { region: us-east-1 }
environments:
  production: {}
`;

describe("price tables", () => {
  it("give every price in US dollars with its source page, the date read and, when confirmed, where", () => {
    for (const t of TABLES) {
      assert.equal(t.currency, "USD");
      assert.match(t.read, /^\d{4}-\d{2}-\d{2}$/);
      assert.ok(t.regions.length > 0 && t.fallback.length > 20, t.cloud);
      for (const [key, p] of Object.entries(t.prices)) {
        assert.ok(Number.isFinite(p.usd) && p.usd >= 0, `${t.cloud} ${key}`);
        assert.match(p.source, /^https:\/\//, `${t.cloud} ${key}`);
        if (p.confirmed !== undefined) assert.match(p.confirmed, /^https:\/\//, `${t.cloud} ${key}`);
      }
    }
  });

  it("price every size class on every cloud (PostgreSQL, Redis, managed databases)", () => {
    for (const size of SIZES) {
      has(AZURE_PRICES, `postgres/${postgresSku(size).sku}`);
      for (const ha of [false, true]) {
        const r = redisSku({ size, ha } as Parameters<typeof redisSku>[0]);
        has(AZURE_PRICES, `redis/${r.name}_${r.family}${r.capacity}`);
      }
      has(AWS_PRICES, `rds/${AWS_SIZES[size].postgres}`);
      has(AWS_PRICES, `elasticache/${AWS_SIZES[size].redis}`);
      has(DO_PRICES, `database/${DO_SIZES[size].database}`);
    }
  });

  it("price every App Service plan and AKS node size the Azure target can choose", () => {
    const base = loadExample("augeo").project.environments[0]!;
    const skus = new Set<string>();
    const vms = new Set<string>();
    for (const tier of ["development", "staging", "production"] as const)
      for (const slot of [false, true])
        for (const max of [1, 3])
          for (const cpu of ["250m", "1", "2", "4", "8"])
            for (const memory of ["512Mi", "2Gi", "8Gi", "16Gi", "64Gi"]) {
              const m = {
                ...base,
                environment: { ...base.environment, tier, deploy: { ...base.environment.deploy, slot } },
              };
              const s = {
                ...base.services.api,
                scale: { ...(base.services.api as ServiceModel).scale, max },
                resources: { requests: { cpu, memory }, limits: { cpu, memory } },
              } as ServiceModel;
              skus.add(planSku(m, s));
              vms.add(aksNodes({ ...m, services: { api: s } }).vmSize);
            }
    assert.ok(skus.size >= 4, [...skus].join());
    for (const sku of skus) has(AZURE_PRICES, `appservice/${sku}`);
    for (const vm of vms) has(AZURE_PRICES, `vm/${vm}`);
  });

  it("price each Kubernetes provider's default node, control plane and load balancer", () => {
    for (const p of Object.values(CLUSTER_PRICING)) {
      has(p.table, p.nodeKey(p.defaultNode));
      has(p.table, p.loadBalancer);
      for (const key of [p.controlPlane.production, p.controlPlane.other]) if (key) has(p.table, key);
      if (p.volume) has(p.table, p.volume);
    }
  });

  it("leave nothing unpriced in any example, environment or target", () => {
    for (const example of EXAMPLES) {
      const { project } = loadExample(example);
      for (const m of project.environments)
        for (const target of COST_TARGETS) {
          const e = estimate(project, m, target);
          const unpriced = e.items.filter((i) => !i.priced).map((i) => i.sku);
          assert.deepEqual(unpriced, [], `${example} ${m.environment.name} ${target}`);
        }
    }
  });
});

describe("the estimate", () => {
  it("itemises augeo dev on Azure per generated resource, with the totals the items add up to", () => {
    const { project } = loadExample("augeo");
    const e = estimate(project, project.environments[0]!, "azure");
    assert.deepEqual(
      ["api App Service plan", "db PostgreSQL server", "cache Azure Cache for Redis"].map((r) => [
        item(e, r).sku,
        monthlyOf(item(e, r)),
      ]),
      [
        ["B1", 13.14],
        ["Standard_B1ms", 12.41],
        ["Basic C0", 16.06],
      ],
    );
    const sum = Math.round(e.items.reduce((n, i) => n + monthlyOf(i), 0) * 100) / 100;
    assert.equal(e.total_monthly_usd, sum);
    assert.equal(e.budget_monthly_usd, 50);
    assert.ok(!e.items.some((i) => i.resource.startsWith("DNS zone")), "the zone is production's");
  });

  it("prices the autoscaling range: minimum and maximum replicas, and HA standbys", () => {
    const { project } = loadExample("augeo");
    const prod = project.environments.find((m) => m.environment.name === "production")!;
    const e = estimate(project, prod, "azure");
    const plan = item(e, "api App Service plan");
    assert.deepEqual([plan.sku, plan.instances], ["P0v3", { min: 2, max: 6 }]);
    assert.deepEqual([monthlyOf(plan), monthlyOf(plan, "max")], [147.46, 442.38]);
    assert.equal(item(e, "db PostgreSQL server (with HA standby)").instances?.min, 2);
    assert.ok(e.max_scale_monthly_usd > e.total_monthly_usd);
  });

  it("takes usage from cost.assumptions, overridden per environment", () => {
    const project = spec(
      SMALL.replace("BUDGET", "500").replace(
        "  production: {}",
        "  dev: {}\n  production:\n    cost: { assumptions: { log_gb: 102, egress_gb: 300 } }",
      ),
    );
    const [dev, prod] = project.environments.map((m) => estimate(project, m, "aws"));
    assert.equal(item(dev!, "CloudWatch log ingestion").quantity, 2);
    assert.equal(monthlyOf(item(prod!, "CloudWatch log ingestion")), 51);
    assert.equal(monthlyOf(item(prod!, "internet egress")), 18, "300 GB less 100 free at $0.09");
    assert.equal(monthlyOf(item(dev!, "internet egress")), 0);
  });

  it("prices Kubernetes nodes and load balancer by the provider the spec names", () => {
    const at = (provider: string) => {
      const project = spec(`name: shop
services:
  api: { image: api, port: 8080, domain: api.shop.example, scale: { min: 2, max: 8 }, resources: { requests: { cpu: "1", memory: 1Gi } } }
targets:
  kubernetes: { provider: ${provider} }
`);
      return estimate(project, project.environments[0]!, "kubernetes");
    };
    const doks = at("doks");
    assert.deepEqual(
      doks.items.map((i) => [i.resource, i.sku]),
      [
        ["cluster nodes", "s-2vcpu-4gb"],
        ["cluster control plane", "ha-control-plane"],
        ["ingress load balancer", "1 node"],
      ],
    );
    assert.deepEqual(item(doks, "cluster nodes").instances, { min: 3, max: 6 });
    assert.equal(item(at("aks"), "cluster nodes").sku, "Standard_D4ds_v5");
    assert.equal(item(at("eks"), "cluster control plane").unit_usd, 0.1);
    const generic = at("generic");
    assert.deepEqual(generic.items, []);
    assert.match(
      generic.notes[0]!,
      /provider is generic, so nothing is priced: the pods request 2 to 8 CPU cores/,
    );
  });

  it("says when a region has no prices of its own, and prices an unknown node size at $0 with a note", () => {
    const project = spec(`name: shop
services:
  api: { image: api, port: 8080 }
targets:
  aws: { region: eu-west-1 }
  digitalocean: { region: nyc1, node_size: s-64vcpu-huge }
`);
    const m = project.environments[0]!;
    assert.match(estimate(project, m, "aws").notes[0]!, /^No aws prices for eu-west-1: Every other region/);
    const d = estimate(project, m, "digitalocean");
    assert.equal(item(d, "cluster nodes").priced, false);
    assert.ok(
      d.notes.includes("No digitalocean price for s-64vcpu-huge (cluster nodes); it is counted as $0."),
    );
  });

  it("prices what the targets write: the SKUs of the committed example files", () => {
    for (const example of EXAMPLES) {
      const { project } = loadExample(example);
      for (const m of project.environments) {
        const env = m.environment.name;
        const file = (target: string, path: string) =>
          readFileSync(join(REPO_ROOT, "examples", example, "infrastructure", target, path), "utf8");
        const skus = (target: (typeof COST_TARGETS)[number]) =>
          estimate(project, m, target)
            .items.filter((i) => i.instances)
            .map((i) => i.sku);
        const bicep = file("azure", `parameters/${env}.bicepparam`);
        for (const sku of skus("azure").filter((s) => /^(B1|P\dv3|Standard_[A-Z])/.test(s)))
          assert.ok(bicep.includes(`'${sku}'`), `${example} ${env} azure: ${sku}`);
        const tfvars = file("aws", `environments/${env}.tfvars`);
        for (const sku of skus("aws").filter((s) => /^(db|cache)\./.test(s)))
          assert.ok(tfvars.includes(`"${sku}"`), `${example} ${env} aws: ${sku}`);
        const doVars = file("digitalocean", `environments/${env}.tfvars`);
        for (const sku of skus("digitalocean").filter((s) => /^(s|db-s)-/.test(s)))
          assert.ok(doVars.includes(`"${sku}"`), `${example} ${env} digitalocean: ${sku}`);
      }
    }
  });

  it("every environment on every configured target, environments first", () => {
    const { project } = loadExample("todo");
    assert.deepEqual(
      estimateAll(project).map((e) => `${e.environment}/${e.target}`),
      [
        "staging/azure",
        "staging/digitalocean",
        "staging/kubernetes",
        "production/azure",
        "production/digitalocean",
        "production/kubernetes",
      ],
    );
  });
});

describe("calibration and docs", () => {
  const c = calibrationOf(loadExample("augeo").project, loadExample("todo").project);
  const sum = (e: Estimate, resources: string[]) =>
    Math.round(resources.reduce((n, r) => n + monthlyOf(item(e, r)), 0) * 100) / 100;

  it("matches the reference teams' figures within 10 % where the topology is theirs", () => {
    const compute = sum(c.augeoDev, [
      "api App Service plan",
      "db PostgreSQL server",
      "cache Azure Cache for Redis",
    ]);
    assert.equal(compute, 41.61);
    assert.ok(Math.abs(compute - 42) / 42 < 0.1);
    assert.equal(c.todoStaging.total_monthly_usd, 87.2);
    assert.ok(Math.abs(c.todoStaging.total_monthly_usd - 88.5) / 88.5 < 0.1);
  });

  it("docs/cost.md is made from the price tables and the examples' estimates (npm run gen)", () => {
    assert.equal(readFileSync(join(REPO_ROOT, "docs", "cost.md"), "utf8"), costDocs(c));
  });
});

describe("gantry cost", () => {
  it("prints one JSON object in the issue's shape for one environment and target", async () => {
    const r = await runCli([
      "cost",
      "examples/augeo",
      "--env",
      "dev",
      "--target",
      "azure",
      "--format",
      "json",
    ]);
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out) as Record<string, unknown> & { items: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(out), [
      "environment",
      "target",
      "total_monthly_usd",
      "max_scale_monthly_usd",
      "budget_monthly_usd",
      "items",
    ]);
    assert.deepEqual(Object.keys(out.items[0]!), [
      "resource",
      "sku",
      "quantity",
      "unit_usd",
      "unit",
      "monthly_usd",
    ]);
    assert.deepEqual(out.items[0], {
      resource: "api App Service plan",
      sku: "B1",
      quantity: 730,
      unit_usd: 0.018,
      unit: "hour",
      monthly_usd: 13.14,
    });
    assert.match(r.err, /^warning: dev on azure: \$\d+\.\d\d a month; budget \$50\.00, over budget by/m);
  });

  it("prints an array for several, Markdown tables, and exits 1 over budget with --fail-over-budget", async () => {
    const all = await runCli(["cost", "examples/todo", "--format", "json"]);
    assert.equal((JSON.parse(all.out) as unknown[]).length, 6);
    const md = await runCli([
      "cost",
      "examples/todo",
      "--env",
      "staging",
      "--target",
      "kubernetes",
      "--format",
      "markdown",
    ]);
    assert.match(md.out, /^### staging on kubernetes \(doks\), nyc1$/m);
    assert.match(
      md.out,
      /^\| cluster nodes \| s-2vcpu-4gb \| 3–5 \| \$24\.00\/month \| \$72\.00–\$120\.00 \|$/m,
    );
    const fail = await runCli(["cost", "examples/todo", "--target", "digitalocean", "--fail-over-budget"]);
    assert.equal(fail.code, 1);
    assert.match(fail.err, /^error: production on digitalocean: /m);
    const { dir, cleanup } = tempDir({ "gantry.yaml": SMALL.replace("BUDGET", "100000") });
    try {
      const ok = await runCli(["cost", dir, "--fail-over-budget"]);
      assert.equal(ok.code, 0, ok.err);
      assert.match(
        ok.out,
        /^production on aws, us-east-1: \$[\d.]+ a month at minimum scale, \$[\d.]+ at maximum; budget \$100000\.00, within budget$/m,
      );
    } finally {
      cleanup();
    }
  });

  it("names an unknown target or environment, with the closest", async () => {
    const t = await runCli(["cost", "examples/augeo", "--target", "azur"]);
    assert.equal(t.code, 1);
    assert.match(t.err, /unknown target `azur`/);
    assert.match(t.err, /did you mean `azure`\?/);
    const e = await runCli(["cost", "examples/augeo", "--env", "prod"]);
    assert.equal(e.code, 1);
    assert.match(e.err, /unknown environment `prod`/);
  });
});

describe("gantry check: cost rules", () => {
  const check = async (budget: string) => {
    const { dir, cleanup } = tempDir({ "gantry.yaml": SMALL.replace("BUDGET", budget) });
    try {
      const r = await runCli(["check", dir, "--no-tools", "--format", "json"]);
      const out = JSON.parse(r.out) as {
        findings: { rule: string; severity: string; path: string; message: string }[];
      };
      return { code: r.code, findings: out.findings.filter((f) => f.rule.startsWith("cost/")) };
    } finally {
      cleanup();
    }
  };
  const project = spec(SMALL.replace("BUDGET", "1"));
  const e = estimate(project, project.environments[0]!, "aws");

  it("cost/over-budget: an error when the estimate at minimum scale exceeds the budget", async () => {
    const r = await check("100");
    assert.equal(r.code, 1);
    assert.deepEqual(
      r.findings.map((f) => [f.rule, f.severity, f.path]),
      [["cost/over-budget", "error", "budget.monthly_usd"]],
    );
    assert.equal(
      r.findings[0]!.message,
      `in production: on aws the estimate at minimum scale is $${e.total_monthly_usd.toFixed(2)} a month, over the budget of $100.00`,
    );
  });

  it("cost/over-budget-at-max: a warning when only the maximum scale would exceed it", async () => {
    const between = Math.floor((e.total_monthly_usd + e.max_scale_monthly_usd) / 2);
    const r = await check(String(between));
    assert.equal(r.code, 0);
    assert.deepEqual(
      r.findings.map((f) => [f.rule, f.severity]),
      [["cost/over-budget-at-max", "warning"]],
    );
    assert.deepEqual((await check("100000")).findings, []);
  });
});

describe("the generated READMEs", () => {
  it("carry every environment's estimate, through one shared section, on every cloud target", () => {
    const { project } = loadExample("todo");
    const ctx = exampleContext("todo");
    for (const name of COST_TARGETS) {
      const readme = findTarget(name)!.render(project, ctx)["README.md"]!;
      const section = costSection(project.environments, name);
      assert.ok(readme.includes(`## ${section.heading}`), name);
      for (const block of section.blocks) assert.ok(readme.includes(block), `${name}: ${block}`);
    }
    const k8s = costSection(project.environments, "kubernetes").blocks[0]!;
    assert.match(k8s, /^\| staging \| \$87\.20 \| \$135\.20 \| \$100\.00 \(over at maximum\) \|$/m);
  });
});
