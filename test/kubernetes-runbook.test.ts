// deploy/kubernetes/operations/: the runbooks name the generated objects (every Deployment, namespace,
// release and Secret key they mention exists in the rendered manifests) and cover every alert rule.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { kubernetesTarget } from "../src/targets/kubernetes/index.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadSpec } from "../src/model/load.js";
import { EXAMPLES, REPO_ROOT, RUNBOOK_TOPICS, exampleContext, loadExample, runCli } from "./helpers.js";

const TOPICS = RUNBOOK_TOPICS;

describe("kubernetes: runbooks", () => {
  for (const ex of EXAMPLES) {
    it(`${ex}: every topic, linked from the index and the README, naming only objects that exist`, () => {
      const loaded = loadExample(ex);
      const tree = kubernetesTarget.render(loaded.project, exampleContext(ex));
      const index = tree["operations/README.md"]!;
      for (const t of TOPICS) {
        assert.ok(tree[`operations/${t}`], t);
        assert.ok(index.includes(`](${t})`), `index links ${t}`);
      }
      assert.match(tree["README.md"]!, /\| `operations\/` \|/);
      const all = TOPICS.map((t) => tree[`operations/${t}`]!).join("\n");
      assert.doesNotMatch(all, /\bTODO\b|\bTBD\b|not implemented|placeholder/);
      // Every deployment/<name> a command names is a Deployment rendered in that namespace.
      for (const app of loaded.project.environments) {
        const ns = app.environment.namespace;
        const named = [
          ...all.matchAll(new RegExp(`kubectl -n ${ns} [a-z ]+deployment/([a-z0-9-]+)`, "g")),
        ].map((m) => m[1]!);
        assert.ok(
          named.length > 0 || !Object.values(app.services).some((s) => s.type !== "job"),
          `${ex} ${ns}`,
        );
        for (const d of named)
          assert.match(
            tree[`rendered/${app.environment.name}/${d}-deployment.yaml`] ?? "",
            new RegExp(`kind: Deployment\\n(?:.*\\n)*?  name: ${d}\\n  namespace: ${ns}`),
            `${ex}: deployment/${d} in ${ns}`,
          );
        // The alert table has a row for each enabled rule of the environment.
        const section = tree["operations/monitoring.md"]!.split(`## ${app.environment.name}\n`)[1]!.split(
          "\n## ",
        )[0]!;
        for (const rule of Object.keys(app.monitoring.alerts))
          assert.ok(section.includes(`| \`${rule}\` |`), `${ex} ${rule}`);
      }
      assert.match(tree["operations/architecture.md"]!, /```mermaid\nflowchart LR\n/);
    });
  }

  it("cost.md gives each environment the total gantry cost gives it, and its budget", async () => {
    const tree = kubernetesTarget.render(loadExample("augeo").project, exampleContext("augeo"));
    const cost = tree["operations/cost.md"]!;
    const out = await runCli(["cost", "examples/augeo", "--target", "kubernetes", "--format", "json"]);
    const estimates = JSON.parse(out.out) as {
      environment: string;
      total_monthly_usd: number;
      max_scale_monthly_usd: number;
      budget_monthly_usd: number | null;
    }[];
    assert.equal(estimates.length, 3);
    for (const e of estimates) {
      const budget = e.budget_monthly_usd === null ? "none" : `$${e.budget_monthly_usd.toFixed(2)}`;
      assert.ok(
        cost.includes(
          `| ${e.environment} | $${e.total_monthly_usd.toFixed(2)} | $${e.max_scale_monthly_usd.toFixed(2)} | ${budget}`,
        ),
        e.environment,
      );
      assert.ok(cost.includes(`### ${e.environment} on kubernetes`), e.environment);
    }
    assert.match(cost, /\| production \| \$300\.00 \| [^|]+ \| /, "the budgets table");
  });

  it("says when an alert reaches no one, instead of listing a channel that cannot deliver", () => {
    const text = readFileSync(join(REPO_ROOT, "examples", "storefront", "gantry.yaml"), "utf8");
    const loaded = loadSpec("gantry.yaml", text.replace(/ {2}smtp: .*\n/, ""));
    const tree = kubernetesTarget.render(loaded.project, exampleContext("storefront"));
    assert.match(
      tree["operations/monitoring.md"]!,
      /\*\*not delivered\*\*: e-mail oncall@example\.com needs `monitoring\.smtp`/,
    );
  });
});
