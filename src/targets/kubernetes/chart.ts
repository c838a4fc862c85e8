// The Helm chart: Chart.yaml, values.yaml (what every environment shares, every item switched off),
// values-<env>.yaml (what the environment adds), values.schema.json, the templates and NOTES.txt.
import { printK8sYaml } from "./print.js";
import type { AppModel } from "../../model/types.js";
import { DEFAULT_IMAGE_TAG, type ChartValues } from "./values.js";
import { dataStoreServiceTemplate, statefulSetTemplate } from "./templates-datastores.js";
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

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === "object" && v !== null && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlain(a) && isPlain(b)) {
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
    if (isPlain(v) && others.every(isPlain)) out[k] = commonValues([v, ...others]);
    else if (others.every((o) => deepEqual(o, v))) out[k] = v;
  }
  return out;
}

/** What `values` adds to `base` under Helm's merge (maps merged key by key, everything else replaced). */
export function valuesDiff(values: Plain, base: Plain): Plain {
  const out: Plain = {};
  for (const [k, v] of Object.entries(values)) {
    const b = base[k];
    if (isPlain(v) && isPlain(b)) {
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
    out[k] = isPlain(v) && isPlain(b) ? mergeValues(b, v) : v;
  }
  return out;
}

/**
 * The values of one environment as its values file carries them: a data store that does not run in
 * the cluster there is only `enabled: false` (its size and image would only confuse a reader).
 */
export function fileValues(v: ChartValues): Plain {
  const out = structuredClone(v) as unknown as Plain;
  const stores = out.datastores as Record<string, Plain>;
  for (const [k, d] of Object.entries(stores)) if (d.enabled === false) stores[k] = { enabled: false };
  return out;
}

/** values.yaml: the shared part, with every service, data store, component and the alerts switched off. */
export function baseValues(perEnv: readonly Plain[]): Plain {
  const base = structuredClone(commonValues(perEnv));
  for (const group of ["services", "datastores", "dapr"]) {
    const g = base[group];
    if (!isPlain(g)) continue;
    for (const item of Object.values(g)) if (isPlain(item)) item.enabled = false;
  }
  if (isPlain(base.alerts)) base.alerts.enabled = false;
  return base;
}

/** Template file names (without .yaml) → template text, for every template any environment renders. */
export function chartTemplates(names: readonly string[], values: ChartValues): Record<string, string> {
  const out: Record<string, string> = {};
  const want = new Set(names);
  const add = (file: string, text: string) => {
    if (want.has(file)) out[file] = text;
  };
  for (const name of Object.keys(values.services)) {
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
  for (const name of Object.keys(values.datastores)) {
    add(`${name}-statefulset`, statefulSetTemplate(name));
    add(`${name}-service`, dataStoreServiceTemplate(name));
    add(`${name}-networkpolicy`, dataStoreNetworkPolicyTemplate(name));
  }
  for (const key of Object.keys(values.dapr)) add(`dapr-${key}`, daprComponentTemplate(key));
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

const str = { type: "string" };
const int = { type: "integer" };
const bool = { type: "boolean" };
const strList = { type: "array", items: str };
const strMap = { type: "object", additionalProperties: str };
const obj = (properties: Record<string, unknown>, required?: string[]) => ({
  type: "object",
  additionalProperties: false,
  properties,
  ...(required ? { required } : {}),
});
/** The schema without its `required` lists: values.yaml holds only what environments share. */
function loose(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(loose);
  if (!isPlain(schema)) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([k]) => k !== "required")
      .map(([k, v]) => [
        k,
        k === "properties" && isPlain(v)
          ? Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, loose(ps)]))
          : loose(v),
      ]),
  );
}

/** An item that must be complete once it is enabled (values.yaml has only the shared part, switched off). */
const item = (properties: Record<string, unknown>) => ({
  ...(loose(obj(properties)) as Record<string, unknown>),
  required: ["enabled"],
  if: { properties: { enabled: { const: true } } },
  then: { required: Object.keys(properties), properties },
});

const probe = obj(
  { path: str, periodSeconds: int, timeoutSeconds: int, failureThreshold: int, initialDelaySeconds: int },
  ["path"],
);
const resources = obj(
  {
    requests: obj({ cpu: { type: ["string", "number"] }, memory: str }, ["cpu", "memory"]),
    limits: obj({ cpu: { type: ["string", "number"] }, memory: str }, ["cpu", "memory"]),
  },
  ["requests", "limits"],
);
const policy = obj({ type: { enum: ["Pods", "Percent"] }, value: int, periodSeconds: int }, [
  "type",
  "value",
  "periodSeconds",
]);
const behaviorSide = obj({ stabilizationWindowSeconds: int, policies: { type: "array", items: policy } });

const workload = {
  enabled: bool,
  type: { enum: ["http", "worker", "static", "job"] },
  image: { type: "string", minLength: 1 },
  tag: str,
  command: strList,
  port: { type: "integer", minimum: 0, maximum: 65535 },
  replicas: { type: "integer", minimum: 0 },
  resources,
  readOnlyRootFilesystem: bool,
  config: strMap,
  secretEnv: { type: "array", items: obj({ name: str, key: str }, ["name", "key"]) },
  network: obj({
    fromIngressController: bool,
    fromMonitoring: bool,
    toInCluster: { type: "array", items: obj({ name: str, port: int }, ["name", "port"]) },
    toExternalPorts: { type: "array", items: int },
    toDapr: bool,
  }),
};

const serviceItem = item({
  ...workload,
  strategy: obj({ maxSurge: int, maxUnavailable: int }, ["maxSurge", "maxUnavailable"]),
  probes: obj({ liveness: probe, readiness: probe, startup: probe }),
  terminationGracePeriodSeconds: int,
  preStopSleepSeconds: int,
  topologySpread: bool,
  dapr: obj({ enabled: bool, appId: str, appPort: int, config: str }),
  autoscaling: obj({
    enabled: bool,
    minReplicas: { type: "integer", minimum: 1 },
    maxReplicas: { type: "integer", minimum: 1 },
    cpu: { type: "integer", minimum: 1, maximum: 100 },
    memory: { type: "integer", minimum: 1, maximum: 100 },
    behavior: obj({ scaleUp: behaviorSide, scaleDown: behaviorSide }),
  }),
  podDisruptionBudget: obj({ enabled: bool, minAvailable: int }),
  ingress: obj({ hosts: strList, path: { type: "string", pattern: "^/" } }),
  metrics: obj({ enabled: bool, path: str, port: int, interval: str }),
  migrations: obj({ enabled: bool, command: strList, activeDeadlineSeconds: int }),
  subscriptions: {
    type: "array",
    items: obj({ name: str, topic: str, route: str, deadLetterTopic: str }, ["name", "topic", "route"]),
  },
  eventRetries: { type: "integer", minimum: 0 },
});

const jobItem = item({
  ...workload,
  schedule: str,
  timeZone: str,
  activeDeadlineSeconds: int,
  backoffLimit: int,
});

/** values.schema.json: Helm checks the merged values with it on install, upgrade, lint and template. */
export function valuesSchema(values: ChartValues): unknown {
  // Each item refers to a definition, so the schema stays small for hundreds of services.
  const ref = (name: string) => ({ $ref: `#/definitions/${name}` });
  const services: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(values.services))
    services[name] = ref(s.type === "job" ? "job" : "service");
  const dataStore = item({
    enabled: bool,
    engine: { enum: ["postgres", "redis"] },
    image: str,
    port: int,
    storage: { type: "string", pattern: "^[0-9]+(Mi|Gi|Ti)$" },
    resources,
    passwordKey: str,
    database: str,
    user: str,
    args: strList,
    clients: strList,
  });
  const metadataItem = {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: { name: str, value: str, secretKeyRef: obj({ name: str, key: str }, ["name", "key"]) },
  };
  const component = item({
    enabled: bool,
    name: str,
    type: str,
    metadata: { type: "array", items: metadataItem },
    scopes: strList,
  });
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title:
      "Values of the chart Gantry generates; regenerate with `gantry synth kubernetes` instead of editing.",
    type: "object",
    additionalProperties: false,
    required: ["global", "services", "datastores", "dapr", "alerts"],
    definitions: { service: serviceItem, job: jobItem, dataStore, component },
    properties: {
      global: obj(
        {
          app: str,
          environment: str,
          imageTag: {
            type: "string",
            minLength: 1,
            description: "Image tag of every service built from source, e.g. sha-1a2b3c4.",
          },
          imagePullSecrets: strList,
          secretName: { type: "string", minLength: 1 },
          runAsUser: { type: "integer", minimum: 1 },
          ingress: obj({ className: str, clusterIssuer: str, controllerNamespace: str }, [
            "className",
            "controllerNamespace",
          ]),
          monitoringNamespace: str,
          daprNamespace: str,
        },
        [
          "app",
          "imageTag",
          "imagePullSecrets",
          "secretName",
          "runAsUser",
          "ingress",
          "monitoringNamespace",
          "daprNamespace",
        ],
      ),
      services: obj(services),
      datastores: obj(Object.fromEntries(Object.keys(values.datastores).map((k) => [k, ref("dataStore")]))),
      dapr: obj(Object.fromEntries(Object.keys(values.dapr).map((k) => [k, ref("component")]))),
      alerts: obj(
        {
          enabled: bool,
          rules: {
            type: "array",
            items: obj({ alert: str, expr: str, for: str, severity: str, summary: str }, [
              "alert",
              "expr",
              "for",
              "severity",
            ]),
          },
        },
        ["enabled"],
      ),
    },
  };
}

export function jsonText(v: unknown): string {
  return `${JSON.stringify(v, null, 2)}\n`;
}
