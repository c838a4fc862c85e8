// The Kubernetes target's system checks, over the tree it rendered (and the workflows rendered in the
// same run): each environment's values file carries that environment's values, every smoke test can
// trust the certificates of its environment's issuer, and every public route is one the spec exposes.
import { isDeepStrictEqual } from "node:util";
import { isMap, isSeq } from "yaml";
import { parseFile } from "./parsed-yaml.js";
import type { AppModel, ProjectModel } from "../../model/types.js";
import type { FileTree, RenderedTrees, RuleDoc, SystemFinding } from "../target.js";
import type { Plain } from "../../model/merge.js";
import { mergeValues } from "./chart.js";
import { issuerTrusted } from "./settings.js";
import { buildValues } from "./values-environment.js";
import { publicRouteFindings } from "./system-routes.js";
import { ALERT_ROUTE_RULE, alertRouteFindings } from "./system-alerts.js";
import { IMMUTABLE_RULE } from "./upgrade-checks.js";

export const KUBERNETES_RULES: readonly RuleDoc[] = [
  {
    id: "kubernetes/per-env-values",
    title:
      "An environment's values file carries another environment's command, schedule, env, domains or size",
    severity: "error",
    why: "Helm installs each environment with values.yaml and its own values-<env>.yaml: a value that only reached the first environment's file (or the shared one) runs every environment with it, such as production on dev's domain or schedule.",
    fix: "Regenerate with `gantry synth kubernetes`; if it persists, the spec's environment override does not reach the chart: report it as a Gantry bug.",
  },
  {
    id: "kubernetes/smoke-trust",
    title: "A smoke test cannot trust the certificate of its environment's issuer",
    severity: "error",
    why: "Ingresses of an environment whose ClusterIssuer is Let's Encrypt staging get certificates no trust store holds: a smoke test that checks trust fails every deploy and rolls it back.",
    fix: "Use `letsencrypt-prod` (targets.kubernetes.tls_issuer) for that environment, or regenerate the workflows so that its smoke tests do not check the certificate chain.",
  },
  {
    id: "kubernetes/public-routes",
    title: "A publicly routed path is not one the spec exposes",
    severity: "error",
    why: "The ingress passes paths through unchanged: a route the spec does not expose (a subscriber's event-delivery route under its path prefix, a service on a domain or path it does not name) lets anyone on the internet call it, such as posting forged events.",
    fix: "Regenerate with `gantry synth kubernetes` (delivery routes under a public prefix are denied at the ingress), or move the route or the service's `path` so that they do not overlap.",
  },
  ALERT_ROUTE_RULE,
  IMMUTABLE_RULE,
];

/** Where a values path is set for an environment: its own file, else values.yaml. */
function placeOf(tree: FileTree, env: string, path: readonly string[]): { file: string; line?: number } {
  for (const file of [`chart/values-${env}.yaml`, "chart/values.yaml"]) {
    const p = parseFile(tree, file);
    const node = p?.doc.getIn(path, true);
    if (p && node !== undefined) return { file, ...(p.line(node) ? { line: p.line(node)! } : {}) };
  }
  return { file: `chart/values-${env}.yaml` };
}

/** The values Helm installs an environment with: values.yaml, then values-<env>.yaml over it. */
export function effectiveValues(tree: FileTree, env: string): Plain | undefined {
  const base = parseFile(tree, "chart/values.yaml")?.doc.toJS() as Plain | undefined;
  const own = parseFile(tree, `chart/values-${env}.yaml`)?.doc.toJS() as Plain | undefined;
  if (!base || !own) return undefined;
  return mergeValues(base, own);
}

const PER_ENV_FIELDS = [
  "image",
  "command",
  "schedule",
  "config",
  "ingress",
  "resources",
  "replicas",
] as const;

function perEnvValues(project: ProjectModel, tree: FileTree): SystemFinding[] {
  const out: SystemFinding[] = [];
  for (const app of project.environments) {
    const env = app.environment.name;
    const values = effectiveValues(tree, env);
    if (!values) continue;
    const files = values.services as Record<string, Plain | undefined>;
    for (const [name, want] of Object.entries(buildValues(app).services)) {
      const have = files[name];
      for (const field of PER_ENV_FIELDS) {
        const expected = (want as unknown as Plain)[field];
        if (expected === undefined || isDeepStrictEqual(have?.[field], expected)) continue;
        out.push({
          rule: "kubernetes/per-env-values",
          env,
          path: `services.${name}`,
          message: `Helm installs ${env} with services.${name}.${field} ${JSON.stringify(have?.[field])}, but the spec gives ${env} ${JSON.stringify(expected)}`,
          hint: `regenerate with \`gantry synth kubernetes\`; values-${env}.yaml must carry ${env}'s own ${field}`,
          ...placeOf(tree, env, ["services", name, field]),
        });
      }
    }
  }
  return out;
}

const text = (v: unknown): string => (typeof v === "string" ? v : "");

/** The environment a workflow job deploys to (`environment: name` or `environment: { name }`). */
function jobEnvironment(job: unknown): string | undefined {
  if (!isMap(job)) return undefined;
  const e = job.get("environment", true);
  if (isMap(e)) return String(e.get("name"));
  return e === undefined ? undefined : String((e as { value?: unknown }).value);
}

/** Smoke steps of chart deploys (a job that runs helm) in environments whose issuer no client trusts. */
function smokeTrust(project: ProjectModel, tree: FileTree, trees: RenderedTrees): SystemFinding[] {
  const untrusted = new Map<string, string>();
  for (const app of project.environments) {
    const issuer = (effectiveValues(tree, app.environment.name)?.global as Plain | undefined)?.ingress as
      Plain | undefined;
    const name = typeof issuer?.clusterIssuer === "string" ? issuer.clusterIssuer : "";
    if (name && !issuerTrusted(name)) untrusted.set(app.environment.name, name);
  }
  const out: SystemFinding[] = [];
  const workflows = trees.github ?? {};
  for (const file of Object.keys(workflows).filter((f) => f.endsWith(".yml"))) {
    const parsed = parseFile(workflows, file);
    const jobs = parsed?.doc.get("jobs", true);
    if (!parsed || !isMap(jobs)) continue;
    for (const pair of jobs.items) {
      const env = jobEnvironment(pair.value);
      const issuer = env && untrusted.get(env);
      const steps = isMap(pair.value) ? pair.value.get("steps", true) : undefined;
      if (!issuer || !isSeq(steps)) continue;
      const runs = steps.items.map((s) => (isMap(s) ? text(s.get("run")) : ""));
      if (!runs.some((r) => /\bhelm (upgrade|rollback)\b/.test(r))) continue;
      steps.items.forEach((s, i) => {
        if (!isMap(s) || s.get("id") !== "smoke" || !/\bcurl\b/.test(runs[i]!)) return;
        if (/--insecure|--cacert/.test(runs[i]!)) return;
        out.push({
          rule: "kubernetes/smoke-trust",
          env,
          path: "targets.kubernetes.tls_issuer",
          message: `the smoke tests of ${env} (${file}) check the certificate chain, but ${env}'s ingresses get certificates from ${issuer}, which no trust store holds`,
          hint: `set targets.kubernetes.tls_issuer: letsencrypt-prod for ${env}, or regenerate the workflows`,
          ...placeOf(tree, env, ["global", "ingress", "clusterIssuer"]),
        });
      });
    }
  }
  return out;
}

export function kubernetesSystemChecks(
  project: ProjectModel,
  tree: FileTree,
  trees: RenderedTrees,
): SystemFinding[] {
  return [
    ...perEnvValues(project, tree),
    ...smokeTrust(project, tree, trees),
    ...project.environments.flatMap((app: AppModel) => publicRouteFindings(app, tree)),
    ...alertRouteFindings(project, tree),
  ];
}
