// values.schema.json: the JSON Schema Helm checks the merged values with on install, upgrade, lint and
// template. It follows what values.ts says the values hold; values.yaml holds only the shared part,
// so each service, data store and component must be complete only once it is enabled.
import { isPlainObject } from "../../model/merge.js";
import { chartItems, type ChartValues } from "./values.js";

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
  if (!isPlainObject(schema)) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([k]) => k !== "required")
      .map(([k, v]) => [
        k,
        k === "properties" && isPlainObject(v)
          ? Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, loose(ps)]))
          : loose(v),
      ]),
  );
}

/**
 * An item that must be complete once it is enabled (values.yaml has only the shared part, switched
 * off): every property is then required, except the `optional` ones.
 */
const item = (properties: Record<string, unknown>, optional: readonly string[] = []) => ({
  ...(loose(obj(properties)) as Record<string, unknown>),
  required: ["enabled"],
  if: { properties: { enabled: { const: true } } },
  then: { required: Object.keys(properties).filter((k) => !optional.includes(k)), properties },
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
  composedEnv: { type: "array", items: obj({ name: str, value: str }, ["name", "value"]) },
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
  ingress: obj({
    hosts: strList,
    path: { type: "string", pattern: "^/" },
    deniedPaths: { type: "array", items: { type: "string", pattern: "^/" } },
  }),
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

const dataStore = item(
  {
    enabled: bool,
    engine: { enum: ["postgres", "redis"] },
    image: str,
    port: int,
    storage: { type: "string", pattern: "^[0-9]+(Mi|Gi|Ti)$" },
    resources,
    passwordKey: str,
    database: str,
    databases: strList,
    user: str,
    args: strList,
    clients: strList,
    backup: obj(
      {
        schedule: str,
        keepDays: int,
        storage: { type: "string", pattern: "^[0-9]+(Mi|Gi|Ti)$" },
        databases: strList,
        offsite: obj({ endpoint: str, region: str, url: str }, ["endpoint", "region", "url"]),
      },
      ["schedule", "keepDays", "storage", "databases"],
    ),
  },
  // A cache has no backup: only PostgreSQL's is required.
  ["backup"],
);
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

const globalSchema = obj(
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
);

const alertsSchema = obj(
  {
    enabled: bool,
    rules: {
      type: "array",
      items: obj({ alert: str, expr: str, for: str, severity: str, metric: str, summary: str }, [
        "alert",
        "expr",
        "for",
        "severity",
        "metric",
      ]),
    },
  },
  ["enabled"],
);

/** values.schema.json: Helm checks the merged values with it on install, upgrade, lint and template. */
export function valuesSchema(all: readonly ChartValues[]): unknown {
  // Each item refers to a definition, so the schema stays small for hundreds of services.
  const ref = (name: string) => ({ $ref: `#/definitions/${name}` });
  const items = chartItems(all);
  const services: Record<string, unknown> = {};
  for (const name of items.services) {
    const kinds = [
      ...new Set(
        all.flatMap((v) => (v.services[name] ? [v.services[name].type === "job" ? "job" : "service"] : [])),
      ),
    ];
    services[name] = kinds.length === 1 ? ref(kinds[0]!) : { anyOf: kinds.map(ref) };
  }
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title:
      "Values of the chart Gantry generates; regenerate with `gantry synth kubernetes` instead of editing.",
    type: "object",
    additionalProperties: false,
    required: ["global", "services", "datastores", "dapr", "alerts"],
    definitions: { service: serviceItem, job: jobItem, dataStore, component },
    properties: {
      global: globalSchema,
      services: obj(services),
      datastores: obj(Object.fromEntries(items.datastores.map((k) => [k, ref("dataStore")]))),
      dapr: obj(Object.fromEntries(items.dapr.map((k) => [k, ref("component")]))),
      alerts: alertsSchema,
    },
  };
}
