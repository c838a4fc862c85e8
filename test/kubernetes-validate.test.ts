// The ecosystem's own validators on the committed Kubernetes trees of every example, every
// environment: helm lint --strict, helm template == rendered/<env>/ (one model, two outputs),
// kubeconform -strict with the offline schemas (0 errors, 0 skipped), and checkov with only the
// allow-list of docs/targets/kubernetes.md skipped. In CI a missing tool fails; elsewhere it skips.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { isDeepStrictEqual } from "node:util";
import { parseAllDocuments } from "yaml";
import { allowListFromMarkdown, runCheckov } from "../src/validate/checkov.js";
import { helmLint, helmTemplate } from "../src/validate/helm.js";
import { kubeconform } from "../src/validate/kubeconform.js";
import { findTool } from "../src/validate/tools.js";
import { EXAMPLES, REPO_ROOT, loadExample } from "./helpers.js";

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

  for (const name of EXAMPLES) {
    const dir = join(REPO_ROOT, "examples", name, "deploy", "kubernetes");
    const chart = join(dir, "chart");
    const envs = loadExample(name).project.environments.map((a) => a.environment);

    it(`${name}: helm lint --strict passes with values.yaml alone and with each environment`, async (t) => {
      if (!haveTool(t, "helm")) return;
      for (const files of [[], ...envs.map((e) => [join(chart, `values-${e.name}.yaml`)])]) {
        const r = await helmLint(chart, files);
        assert.equal(r.code, 0, `${files.join(" ")}\n${r.stdout}${r.stderr}`);
      }
    });

    for (const env of envs) {
      it(`${name}/${env.name}: helm template gives the objects of rendered/${env.name}/, valid under kubeconform -strict`, async (t) => {
        if (!haveTool(t, "helm") || !haveTool(t, "kubeconform")) return;
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
          dir: join(dir, "rendered", env.name),
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
      const boot = join(dir, "cluster-bootstrap");
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
