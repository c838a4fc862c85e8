// The Helm chart: Chart.yaml, values.yaml (what every environment shares, every item switched off),
// values-<env>.yaml (what the environment adds), values.schema.json, the templates and NOTES.txt.
import { isPlainObject, type Plain } from "../../model/merge.js";
import type { AppModel } from "../../model/types.js";
import type { FileTree } from "../target.js";
import { valuesSchema } from "./chart-schema.js";
import { printK8sYaml } from "./print.js";
import { HELPERS } from "./templates.js";
import { DEFAULT_IMAGE_TAG, ITEM_GROUPS, chartItems, type ChartItems, type ChartValues } from "./values.js";
import { dataStoreServiceTemplate, statefulSetTemplate } from "./templates-datastores.js";
import { backupTemplate } from "./templates-backup.js";
import { daprComponentTemplate, resiliencyTemplate, subscriptionsTemplate } from "./templates-events.js";
import { cronJobTemplate, migrationsJobTemplate } from "./templates-jobs.js";
import {
  PROMETHEUS_RULE_TEMPLATE,
  podMonitorTemplate,
  serviceMonitorTemplate,
} from "./templates-monitoring.js";
import {
  DEFAULT_DENY_TEMPLATE,
  dataStoreNetworkPolicyTemplate,
  networkPolicyTemplate,
} from "./templates-network.js";
import {
  configMapTemplate,
  deploymentTemplate,
  hpaTemplate,
  ingressTemplate,
  pdbTemplate,
  serviceTemplate,
} from "./templates-services.js";

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/** What all the given values share: maps are intersected key by key, anything else kept only when equal everywhere. */
export function commonValues(all: readonly Plain[]): Plain {
  const [first, ...rest] = all;
  if (!first) return {};
  const out: Plain = {};
  for (const [k, v] of Object.entries(first)) {
    const others = rest.map((r) => r[k]);
    if (others.some((o) => o === undefined)) continue;
    if (isPlainObject(v) && others.every(isPlainObject)) out[k] = commonValues([v, ...others]);
    else if (others.every((o) => deepEqual(o, v))) out[k] = v;
  }
  return out;
}

/** What `values` adds to `base` under Helm's merge (maps merged key by key, everything else replaced). */
export function valuesDiff(values: Plain, base: Plain): Plain {
  const out: Plain = {};
  for (const [k, v] of Object.entries(values)) {
    const b = base[k];
    if (isPlainObject(v) && isPlainObject(b)) {
      const d = valuesDiff(v, b);
      if (Object.keys(d).length) out[k] = d;
    } else if (!deepEqual(v, b)) out[k] = v;
  }
  return out;
}

/** Helm's merge of an environment file over values.yaml, as `helm -f` does it (for the tests and the docs). */
export function mergeValues(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(v) && isPlainObject(b) ? mergeValues(b, v) : v;
  }
  return out;
}

/**
 * The values of one environment as its values file carries them: a data store that does not run in
 * the cluster there is only `enabled: false` (its size and image would only confuse a reader), and so
 * is an item of the chart this environment does not have.
 */
export function fileValues(v: ChartValues, items: ChartItems = chartItems([v])): Plain {
  const out = structuredClone(v) as unknown as Plain;
  const stores = out.datastores as Record<string, Plain>;
  for (const [k, d] of Object.entries(stores)) if (d.enabled === false) stores[k] = { enabled: false };
  for (const group of ITEM_GROUPS) {
    const own = out[group] as Record<string, Plain>;
    out[group] = Object.fromEntries(items[group].map((k) => [k, own[k] ?? { enabled: false }]));
  }
  return out;
}

/** values.yaml: the shared part, with every service, data store, component and the alerts switched off. */
export function baseValues(perEnv: readonly Plain[]): Plain {
  const base = structuredClone(commonValues(perEnv));
  for (const group of ITEM_GROUPS) {
    const g = base[group];
    if (!isPlainObject(g)) continue;
    for (const item of Object.values(g)) if (isPlainObject(item)) item.enabled = false;
  }
  if (isPlainObject(base.alerts)) base.alerts.enabled = false;
  return base;
}

/** Template file names (without .yaml) → template text, for every template any environment renders. */
export function chartTemplates(names: readonly string[], items: ChartItems): Record<string, string> {
  const out: Record<string, string> = {};
  const want = new Set(names);
  const add = (file: string, text: string) => {
    if (want.has(file)) out[file] = text;
  };
  for (const name of items.services) {
    add(`${name}-configmap`, configMapTemplate(name));
    add(`${name}-cronjob`, cronJobTemplate(name));
    add(`${name}-deployment`, deploymentTemplate(name));
    add(`${name}-service`, serviceTemplate(name));
    add(`${name}-ingress`, ingressTemplate(name));
    add(`${name}-hpa`, hpaTemplate(name));
    add(`${name}-pdb`, pdbTemplate(name));
    add(`${name}-servicemonitor`, serviceMonitorTemplate(name));
    add(`${name}-podmonitor`, podMonitorTemplate(name));
    add(`${name}-migrations-job`, migrationsJobTemplate(name));
    add(`${name}-subscriptions`, subscriptionsTemplate(name));
    add(`${name}-resiliency`, resiliencyTemplate(name));
    add(`${name}-networkpolicy`, networkPolicyTemplate(name));
  }
  for (const name of items.datastores) {
    add(`${name}-statefulset`, statefulSetTemplate(name));
    add(`${name}-service`, dataStoreServiceTemplate(name));
    add(`${name}-networkpolicy`, dataStoreNetworkPolicyTemplate(name));
    add(`${name}-backup`, backupTemplate(name));
  }
  for (const key of items.dapr) add(`dapr-${key}`, daprComponentTemplate(key));
  add("networkpolicy-default-deny", DEFAULT_DENY_TEMPLATE);
  add("prometheusrule", PROMETHEUS_RULE_TEMPLATE);
  return out;
}

export function chartYaml(app: AppModel): string {
  return printK8sYaml({
    apiVersion: "v2",
    name: app.name,
    description: app.description ?? `${app.name}, deployed by Gantry.`,
    type: "application",
    version: DEFAULT_IMAGE_TAG,
    appVersion: DEFAULT_IMAGE_TAG,
    keywords: ["gantry"],
    annotations: { "gantry.dev/generated": "true" },
  });
}

export function notes(app: AppModel): string {
  // NOTES.txt is a Go template shown after install; it reads the values like the templates do.
  return [
    `{{ .Chart.Name }} is deployed to namespace {{ .Release.Namespace }} ({{ .Values.global.environment }}), images tagged {{ .Values.global.imageTag }}.`,
    "",
    "Public endpoints:",
    "{{- range $name, $s := .Values.services }}",
    '{{- if and $s.enabled (hasKey $s "ingress") }}',
    "{{- range $s.ingress.hosts }}",
    "  https://{{ . }}{{ $s.ingress.path }}  ({{ $name }})",
    "{{- end }}",
    "{{- end }}",
    "{{- end }}",
    "",
    "Watch the rollout:",
    "  kubectl -n {{ .Release.Namespace }} get deployments,pods",
    "Roll back:",
    "  helm -n {{ .Release.Namespace }} history {{ .Release.Name }}",
    "  helm -n {{ .Release.Namespace }} rollback {{ .Release.Name }} <REVISION>",
    `The Secret {{ .Values.global.secretName }} must exist in the namespace: deploy/kubernetes/README.md of ${app.name} lists its keys.`,
    "",
  ].join("\n");
}

export function jsonText(v: unknown): string {
  return `${JSON.stringify(v, null, 2)}\n`;
}

function header(lines: string[]): string {
  return lines.map((l) => `# ${l}`.trimEnd()).join("\n") + "\n";
}

/** values.yaml and values-<environment>.yaml: the shared part, and what each environment adds to it. */
function valuesFiles(apps: readonly AppModel[], values: readonly ChartValues[], items: ChartItems): FileTree {
  const first = apps[0]!;
  const valueFiles = values.map((v) => fileValues(v, items));
  const base = baseValues(valueFiles);
  const tree: FileTree = {};
  tree["chart/values.yaml"] =
    header([
      `Values every environment of ${first.name} shares. Each service, data store and component is off here`,
      "and switched on by values-<environment>.yaml, so always install with one of those:",
      "  helm upgrade --install <release> ./chart -f ./chart/values-<environment>.yaml --namespace <namespace>",
      "Generated by `gantry synth kubernetes`: change gantry.yaml and regenerate instead of editing.",
    ]) + printK8sYaml(base);
  apps.forEach((app, i) => {
    const diff = valuesDiff(valueFiles[i]!, base);
    tree[`chart/values-${app.environment.name}.yaml`] =
      header([
        `What the ${app.environment.name} environment (namespace ${app.environment.namespace}) adds to values.yaml.`,
        "Generated by `gantry synth kubernetes`.",
      ]) + printK8sYaml(diff);
  });
  return tree;
}

/** Every file of chart/, with the templates of `files` (template file names without .yaml). */
export function chartTree(
  apps: readonly AppModel[],
  values: readonly ChartValues[],
  files: readonly string[],
): FileTree {
  const first = apps[0]!;
  const items = chartItems(values);
  const tree: FileTree = {
    "chart/Chart.yaml": chartYaml(first),
    ...valuesFiles(apps, values, items),
    "chart/values.schema.json": jsonText(valuesSchema(values)),
    "chart/.helmignore": ["# Files helm package leaves out.", ".git/", "*.swp", "*.bak", "*.tmp", ""].join(
      "\n",
    ),
    "chart/templates/_helpers.tpl": HELPERS,
    "chart/templates/NOTES.txt": notes(first),
  };
  for (const [file, text] of Object.entries(chartTemplates(files, items)))
    tree[`chart/templates/${file}.yaml`] = text;
  return tree;
}
