// The Azure runbooks (infrastructure/azure/operations/): one file per topic, listed by the index and
// linked from the README; every resource the Bicep names in an environment is named in them, and
// every name their commands use is one the Bicep generates (resource groups, deployments, outputs,
// plans, workspaces, clusters, action groups).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { azureTarget, buildAzure } from "../src/targets/azure/index.js";
import { EXAMPLES, RUNBOOK_TOPICS, exampleContext, loadExample } from "./helpers.js";
import { SUFFIX, moduleNames } from "./azure-names.js";

const project = (name: string) => loadExample(name).project;
const render = (name: string) => azureTarget.render(project(name), exampleContext(name, "azure"));
const runbooks = (name: string) =>
  Object.entries(render(name))
    .filter(([path]) => path.startsWith("operations/"))
    .map(([, text]) => text)
    .join("\n");

/** The name parameters of the modules whose resources an operator acts on. */
const NAMED: Record<string, string[]> = {
  "modules/log-analytics.bicep": ["name"],
  "modules/app-insights.bicep": ["name"],
  "modules/app-service-plan.bicep": ["name"],
  "modules/app-service.bicep": ["name"],
  "modules/static-web-app.bicep": ["name"],
  "modules/postgres.bicep": ["name"],
  "modules/redis.bicep": ["name"],
  "modules/aks.bicep": ["name"],
  "modules/action-group.bicep": ["namePrefix"],
  "modules/budget.bicep": ["name"],
  "modules/deployment-alerts.bicep": ["name"],
  "modules/alert-relay.bicep": ["name"],
};

describe("azure runbooks", () => {
  for (const ex of EXAMPLES) {
    it(`${ex}: one file per topic, listed by the index, linked from the README`, () => {
      const tree = render(ex);
      const index = tree["operations/README.md"]!;
      for (const file of RUNBOOK_TOPICS) {
        assert.ok(tree[`operations/${file}`], file);
        assert.ok(index.includes(`](${file})`), file);
      }
      assert.match(tree["README.md"]!, /\]\(operations\/README\.md\)/);
    });

    it(`${ex}: names every resource the Bicep names in each environment`, () => {
      const text = runbooks(ex);
      const p = project(ex);
      const named0 = moduleNames(p, NAMED);
      assert.ok(named0.length >= 4 * p.environments.length);
      for (const [env, symbol, param, value] of named0) {
        // Names that end in the uniqueString() suffix are read at run time by their generated prefix.
        const named = value.endsWith(SUFFIX) ? value.slice(0, -SUFFIX.length) : value;
        if (param === "namePrefix")
          for (const ch of Object.keys(
            p.environments.find((m) => m.environment.name === env)!.monitoring.channels,
          ))
            assert.ok(text.includes(`${named}-${ch}`), `${ex} ${env}: action group ${named}-${ch}`);
        else assert.ok(text.includes(named), `${ex} ${env}: ${symbol} ${named}`);
      }
      for (const m of p.environments)
        assert.ok(text.includes(m.environment.resource_group), m.environment.resource_group);
    });

    it(`${ex}: every name a command uses is generated`, () => {
      const text = runbooks(ex);
      const p = project(ex);
      const groups = new Set(p.environments.map((m) => m.environment.resource_group));
      const deployments = new Set(p.environments.map((m) => `${p.name}-${m.environment.name}`));
      const outputs = new Set(buildAzure(p).bicep["main.bicep"]!.outputs.map((o) => o.name));
      const names = new Set(moduleNames(p, NAMED).map(([, , , v]) => v));
      for (const m of text.matchAll(/--resource-group (\S+)/g)) assert.ok(groups.has(m[1]!), m[0]);
      for (const m of text.matchAll(/az deployment sub \S+ --name (\S+)/g))
        assert.ok(deployments.has(m[1]!), m[0]);
      for (const m of text.matchAll(/properties\.outputs\.(\w+)\.value/g))
        assert.ok(outputs.has(m[1]!), m[0]);
      for (const m of text.matchAll(/--(?:workspace-name|name) ((?:log|asp|aks|stapp|func)-[\w-]+)/g))
        assert.ok(names.has(m[1]!), m[0]);
      for (const m of text.matchAll(/starts_with\(name, '([\w-]+)'\)/g))
        assert.ok(
          [...names].some((n) => n.startsWith(m[1]!) && n.endsWith(SUFFIX)),
          m[0],
        );
    });
  }

  it("App Service rollback swaps the staging slot back; AKS rolls back with helm and kubectl", () => {
    const augeo = render("augeo")["operations/deploy-and-rollback.md"]!;
    assert.match(
      augeo,
      /az webapp deployment slot swap --resource-group rg-augeo-production --name "\$APP_API" --slot staging --target-slot production/,
    );
    const todo = render("todo")["operations/deploy-and-rollback.md"]!;
    assert.match(todo, /helm rollback todo <REVISION> --namespace production --wait/);
    assert.match(todo, /kubectl --namespace production rollout undo deployment\/\w+/);
  });

  it("secrets: each operator secret is set in its environment's vault and its readers restart", () => {
    const secrets = render("augeo")["operations/secrets.md"]!;
    for (const s of buildAzure(project("augeo")).facts.operatorSecrets)
      assert.ok(
        secrets.includes(
          `az keyvault secret set --vault-name "$VAULT" --name ${s.secret} --value "$${s.envVar}"`,
        ),
        s.secret,
      );
    assert.match(secrets, /az webapp restart --resource-group rg-augeo-production --name "\$APP_API"/);
    // On AKS the chart's Secret carries the value: its key is updated before the restart.
    assert.ok(
      render("todo")["operations/secrets.md"]!.includes(
        String.raw`kubectl --namespace production patch secret app-secrets --type merge --patch "{\"stringData\":{\"kafka-brokers\":\"$KAFKA_BROKERS\"}}"`,
      ),
    );
    assert.match(
      render("todo")["operations/secrets.md"]!,
      /kubectl --namespace production rollout restart deployment\/backend/,
    );
  });

  it("the alert table says who each rule notifies, and which rules the cluster evaluates on AKS", () => {
    const augeo = render("augeo")["operations/monitoring.md"]!;
    assert.match(augeo, /\| `high-cpu` \|.*action group `ag-augeo-prod-ops`/);
    const todo = render("todo")["operations/monitoring.md"]!;
    assert.match(todo, /\| `high-error-rate` \|.*the cluster's Prometheus and Alertmanager/);
    assert.match(todo, /\| `high-cpu` \|.*action group `ag-todo-prod-slack`/);
  });
});
