// The Azure target's system checks (azure/registry-pull, azure/scope-order, azure/role-id): silent on
// every example, and each reports exactly its rule, with a place, on a rendered tree damaged the way
// the generator used to write it (dev's DNS records in production's zone, the pipelines pushing to a
// registry no deployment creates, a role id that is not Azure's).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { azureTarget } from "../src/targets/azure/index.js";
import { DEFAULT_OUTPUTS, githubTarget } from "../src/targets/registry.js";
import { loadSpec } from "../src/model/load.js";
import { generateSpec } from "./spec-generator.js";
import type { FileTree, SystemFinding } from "../src/targets/target.js";
import { readBicep } from "../src/targets/azure/bicep-read.js";
import { EXAMPLES, exampleContext, loadExample, runCli } from "./helpers.js";

const project = (name: string) => loadExample(name).project;

function findings(name: string, damage: (tree: FileTree) => void = () => {}): SystemFinding[] {
  const p = project(name);
  const ctx = exampleContext(name, "azure");
  const tree = azureTarget.render(p, ctx);
  damage(tree);
  return azureTarget.systemChecks!(p, tree, ctx, { azure: tree, github: githubTarget.render(p, ctx) });
}

/** Replaces one text of a file, which must be there. */
function edit(tree: FileTree, file: string, from: string | RegExp, to: string): void {
  const before = tree[file]!;
  tree[file] = before.replace(from, to);
  assert.notEqual(tree[file], before, `${file}: ${String(from)} not found`);
}

/** The 1-based line of the first line of a file that contains `text`. */
const lineOf = (tree: FileTree, file: string, text: string) =>
  tree[file]!.split("\n").findIndex((l) => l.includes(text)) + 1;

const brief = (f: SystemFinding[]) =>
  f.map((x) => [x.rule, x.env ?? "", x.file ?? x.path ?? "", x.line ?? 0]);

describe("azure system checks", () => {
  for (const ex of EXAMPLES)
    it(`${ex}: no finding on the generated tree`, () => {
      assert.deepEqual(findings(ex), []);
    });

  it("every rule is declared on the target", () => {
    assert.deepEqual(
      azureTarget.rules!.map((r) => r.id),
      [
        "azure/registry-pull",
        "azure/scope-order",
        "azure/role-id",
        "azure/env-values",
        "azure/probe-domain",
        "azure/alert-route",
      ],
    );
  });

  it("scope-order: dev's records in a resource group only production creates (the old layout)", () => {
    let scope = 0;
    let zone = 0;
    const f = findings("augeo", (t) => {
      edit(
        t,
        "main.bicep",
        /(module dnsRecords [^\n]*\n[^\n]*\n) {2}scope: sharedRg/,
        "$1  scope: resourceGroup('rg-augeo-production')",
      );
      const records = readBicep(t["main.bicep"]!).find((d) => d.symbol === "dnsRecords")!;
      scope = records.body.get("scope")!.line;
      zone = records.params.get("zoneName")!.line;
    });
    // Dev and staging write before production created its group; and the zone is not in that group.
    assert.deepEqual(brief(f), [
      ["azure/scope-order", "dev", "main.bicep", scope],
      ["azure/scope-order", "dev", "main.bicep", zone],
      ["azure/scope-order", "staging", "main.bicep", scope],
      ["azure/scope-order", "staging", "main.bicep", zone],
      ["azure/scope-order", "production", "main.bicep", zone],
    ]);
    assert.match(f[0]!.message, /rg-augeo-production, which no deployment applied so far creates/);
  });

  it("scope-order: records written into a zone no deployment has created", () => {
    let line = 0;
    const f = findings("augeo", (t) => {
      // The zone module creates another zone: dns-records reads augeo.app, which nothing creates.
      edit(t, "main.bicep", /(module dnsZone [^]*?)zoneName: dnsZoneName/, "$1zoneName: 'other.app'");
      const records = readBicep(t["main.bicep"]!).find((d) => d.symbol === "dnsRecords")!;
      line = records.params.get("zoneName")!.line;
    });
    assert.deepEqual(
      brief(f),
      ["dev", "staging", "production"].map((env) => ["azure/scope-order", env, "main.bicep", line]),
    );
    assert.match(f[0]!.message, /dnsZones augeo\.app, which no deployment applied so far creates/);
  });

  it("scope-order: records that do not wait for the zone the same deployment creates", () => {
    const f = findings("augeo", (t) => edit(t, "main.bicep", /\n {2}dependsOn: \[\n {4}dnsZone\n {2}\]/, ""));
    assert.deepEqual(
      f.map((x) => [x.rule, x.env]),
      ["dev", "staging", "production"].map((env) => ["azure/scope-order", env]),
    );
    assert.match(f[0]!.message, /without waiting for dnsZone/);
  });

  it("registry-pull: an app that pulls with its identity but holds no AcrPull", () => {
    let line = 0;
    const f = findings("augeo", (t) => {
      edit(
        t,
        "main.bicep",
        /(principalIds: \[\n) {6}apiApp\.outputs\.principalId\n(?=[^]*module keyVault )/,
        "$1",
      );
      line = lineOf(t, "main.bicep", "module apiApp ");
    });
    assert.deepEqual(brief(f), [["azure/registry-pull", "", "main.bicep", line]]);
    assert.match(f[0]!.message, /apiApp pulls its image with its managed identity/);
  });

  it("registry-pull: the AKS kubelet pulls from the registry the Bicep creates", () => {
    const spec = loadExample("todo").project;
    // todo pulls from ghcr.io with a pull secret; without a registry in the spec, AKS pulls from ACR.
    for (const m of spec.environments) delete m.targets.kubernetes!.registry;
    const ctx = exampleContext("todo", "azure");
    const tree = azureTarget.render(spec, ctx);
    assert.deepEqual(azureTarget.systemChecks!(spec, tree, ctx, { azure: tree }), []);
    edit(tree, "main.bicep", /\n {6}aks\.outputs\.kubeletObjectId/, "");
    const f = azureTarget.systemChecks!(spec, tree, ctx, { azure: tree });
    assert.deepEqual(brief(f), [
      ["azure/registry-pull", "", "main.bicep", lineOf(tree, "main.bicep", "module aks ")],
    ]);
  });

  it("registry-pull: the pipelines push to a registry no deployment creates (the old per-environment registries)", () => {
    const f = findings("augeo", (t) =>
      edit(t, "main.bicep", "name: 'augeoacr'", "name: 'craugeo${environmentCode}${suffix}'"),
    );
    assert.deepEqual(brief(f), [["azure/registry-pull", "", "targets.kubernetes.registry", 0]]);
    assert.match(
      f[0]!.message,
      /augeoacr\.azurecr\.io \(build\.yml\), a registry no environment's deployment creates/,
    );
  });

  it("role-id and registry-pull: the registry grants a role id that is not Azure's AcrPull", () => {
    const wrong = "7f951dce-4ed3-4680-a7ca-43fe172d538d";
    let line = 0;
    const f = findings("augeo", (t) => {
      edit(t, "modules/container-registry.bicep", "7f951dda-4ed3-4680-a7ca-43fe172d538d", wrong);
      line = lineOf(t, "modules/container-registry.bicep", wrong);
    });
    assert.deepEqual(brief(f), [
      ["azure/registry-pull", "", "modules/container-registry.bicep", line],
      ["azure/role-id", "", "modules/container-registry.bicep", line],
    ]);
  });

  it("role-id: a role id in main.bicep is checked too", () => {
    const f = findings("hello", (t) =>
      edit(
        t,
        "main.bicep",
        /(module keyVaultAccess [^]*?principalIds)/,
        "roleDefinitionId: '00000000-0000-0000-0000-000000000001'\n    $1",
      ),
    );
    assert.deepEqual(
      f.map((x) => [x.rule, x.file]),
      [["azure/role-id", "main.bicep"]],
    );
  });

  it("env-values: an environment's parameter file carrying another environment's domain", () => {
    let line = 0;
    const f = findings("augeo", (t) => {
      edit(t, "parameters/production.bicepparam", "domain: 'api.augeo.app'", "domain: 'api.dev.augeo.app'");
      line = lineOf(t, "parameters/production.bicepparam", "domain: 'api.dev.augeo.app'");
    });
    assert.deepEqual(
      f.map((x) => [x.rule, x.env, x.path, x.file, x.line]),
      [["azure/env-values", "production", "services.api.domain", "parameters/production.bicepparam", line]],
    );
  });

  it("env-values: dev's records aimed at another zone, and another region", () => {
    const f = findings("augeo", (t) => {
      edit(
        t,
        "parameters/dev.bicepparam",
        "param dnsZoneName = 'augeo.app'",
        "param dnsZoneName = 'augeo.dev'",
      );
      edit(t, "parameters/dev.bicepparam", "param location = 'eastus'", "param location = 'westeurope'");
    });
    assert.deepEqual(
      f.filter((x) => x.rule === "azure/env-values").map((x) => [x.env, x.path]),
      [
        ["dev", "targets.azure.location"],
        ["dev", "dns.zone"],
      ],
    );
  });

  it("probe-domain: a web test of the default host name while the domain is bound (the old tests)", () => {
    let line = 0;
    const f = findings("augeo", (t) => {
      edit(
        t,
        "main.bicep",
        "url: 'https://${empty(apiConfig.domain) ? apiApp.outputs.defaultHostName : apiConfig.domain}/ready'",
        "url: 'https://${apiApp.outputs.defaultHostName}/ready'",
      );
      line = readBicep(t["main.bicep"]!)
        .find((d) => d.symbol === "webTests")!
        .params.get("tests")!.line;
    });
    assert.deepEqual(brief(f), [["azure/probe-domain", "", "main.bicep", line]]);
    assert.match(f[0]!.message, /apiDomain binds apiConfig\.domain, but no availability test probes it/);
  });

  it("alert-route: a metric alert without actions notifies no one", () => {
    let line = 0;
    const f = findings("augeo", (t) => {
      const file = "modules/metric-alerts.bicep";
      edit(t, file, /\n {4}actions: map\([^\n]*\n(?: {6}[^\n]*\n)* {4}\}\)\n/, "\n");
      line = lineOf(t, file, "resource alert ");
    });
    assert.deepEqual(brief(f), [["azure/alert-route", "", "modules/metric-alerts.bicep", line]]);
    assert.match(f[0]!.message, /alert \(Microsoft\.Insights\/metricAlerts\) names no action group/);
  });

  it("alert-route: a channel whose action group has no receiver, and a rule without the group ids", () => {
    let rules = 0;
    let ids = 0;
    const f = findings("augeo", (t) => {
      const file = "parameters/production.bicepparam";
      edit(t, file, /emails: \[\n(?: {6}[^\n]*\n)* {4}\]/, "emails: []");
      edit(t, "main.bicep", /teams: 'https:\/\/\$\{alertRelay\.outputs\.hostName\}[^\n]*/, "teams: ''");
      rules = lineOf(t, file, "param metricAlertRules = ");
      edit(
        t,
        "main.bicep",
        /(module logAlerts [\s\S]*?)actionGroupIds: actionGroups\.outputs\.ids/,
        "$1actionGroupIds: []",
      );
      ids = lineOf(t, "main.bicep", "actionGroupIds: []");
    });
    const production = brief(f).filter(([, env]) => env === "production");
    assert.deepEqual(production[0], [
      "azure/alert-route",
      "production",
      "parameters/production.bicepparam",
      rules,
    ]);
    assert.ok(
      f.some((x) => /high-cpu notifies channel ops, whose action group has no receiver/.test(x.message)),
    );
    assert.ok(
      f.some((x) => /high-cpu notifies channel teams, whose action group has no receiver/.test(x.message)),
    );
    assert.deepEqual(brief(f.filter((x) => x.file === "main.bicep")), [
      ["azure/alert-route", "", "main.bicep", ids],
    ]);
    // Dev and staging keep their e-mail receivers: only teams, whose URL is gone, lacks one there.
    assert.ok(f.filter((x) => x.env === "dev").every((x) => /channel teams/.test(x.message)));
  });

  it("alert-route: a Teams channel whose group posts the common alert schema straight to its webhook", () => {
    // The wiring before the alert relay: Teams does not show what Azure Monitor posts.
    const f = findings("augeo", (t) =>
      edit(
        t,
        "main.bicep",
        /teams: 'https:\/\/\$\{alertRelay\.outputs\.hostName\}[^\n]*/,
        "teams: teamsWebhookUrl",
      ),
    );
    assert.deepEqual([...new Set(f.map((x) => x.env))], ["dev", "staging", "production"]);
    assert.ok(f.every((x) => x.rule === "azure/alert-route"));
    assert.ok(
      f.every((x) =>
        /notifies channel teams, whose action group has no receiver that teams shows \(its webhook must go through the alert relay/.test(
          x.message,
        ),
      ),
      f.map((x) => x.message).join("\n"),
    );
  });

  it("alert-route: a chat channel the relay does not know", () => {
    const f = findings("todo", (t) =>
      edit(
        t,
        "main.bicep",
        /channels: \{\n {6}slack: \{\n {8}kind: 'slack'\n {8}url: slackWebhookUrl\n {6}\}\n {4}\}/,
        "channels: {}",
      ),
    );
    assert.ok(f.length > 0);
    assert.ok(
      f.every((x) =>
        /notifies channel slack, whose action group has no receiver that slack shows/.test(x.message),
      ),
    );
  });

  it("alert-route: a rule with channels that no alert evaluates", () => {
    let line = 0;
    const f = findings("augeo", (t) => {
      const file = "parameters/staging.bicepparam";
      // Drop high-latency, the last of the log rules.
      edit(t, file, /\n {2}\{\n {4}name: 'high-latency'\n(?: {4}[^\n]*\n| {6}[^\n]*\n)* {2}\}/, "");
      line = lineOf(t, file, "param logAlertRules = ");
    });
    assert.deepEqual(brief(f), [["azure/alert-route", "staging", "parameters/staging.bicepparam", line]]);
    assert.match(
      f[0]!.message,
      /high-latency \(latency_p95\) has channels, but no alert of logAlertRules evaluates it in staging/,
    );
  });

  it("no finding on generated specs (test/spec-generator.ts) that Azure accepts", () => {
    let ran = 0;
    for (let seed = 1; seed <= 60; seed++) {
      let p;
      try {
        p = loadSpec("gantry.yaml", generateSpec(seed).text).project;
      } catch {
        continue;
      }
      const ctx = { specPath: "gantry.yaml", specDir: ".", outputs: DEFAULT_OUTPUTS, deployTarget: "azure" };
      if (azureTarget.check(p, ctx).some((x) => x.severity === "error")) continue;
      const tree = azureTarget.render(p, ctx);
      const trees = { azure: tree, github: githubTarget.render(p, ctx) };
      assert.deepEqual(azureTarget.systemChecks!(p, tree, ctx, trees), [], `seed ${seed}`);
      ran++;
    }
    assert.ok(ran >= 40, `only ${ran} generated specs reached the checks`);
  });

  it("`gantry check --target azure github` exits 0 on every example", async () => {
    for (const ex of EXAMPLES) {
      const r = await runCli(["check", `examples/${ex}`, "--no-tools", "--target", "azure", "github"]);
      assert.equal(r.code, 0, ex + r.out + r.err);
    }
  });
});
