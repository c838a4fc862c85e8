// The objects of a data store that runs in the cluster (hosting: cluster): its StatefulSet (PostgreSQL
// or Redis with a persistent volume) and the Service its clients connect to.
import {
  containerSecurityContext,
  labels,
  meta,
  podSecurityContext,
  selectorLabels,
  tmpVolume,
  type K8sObject,
  type Plain,
} from "./objects.js";
import type { ChartValues, DataStoreValues } from "./values.js";

type SecretValue = { valueFrom: { secretKeyRef: { name: string; key: string } } };

/**
 * Creates each database of DATABASES that does not exist yet. The image creates only POSTGRES_DB, and
 * only on an empty volume (hub.docker.com/_/postgres, "Environment Variables"), so a server with several
 * `databases`, or one added later, would lack the others, and its backup CronJob (which dumps every one
 * with `set -e`) would fail each night. It runs as the container's postStart hook, through the local
 * socket the image trusts; during the first start the image runs a temporary server that stops again,
 * so it retries until every database exists (a hook that fails restarts the container).
 */
export const CREATE_DATABASES_SCRIPT = [
  "set -u",
  "for attempt in $(seq 1 120); do",
  '  missing=""',
  "  for db in $DATABASES; do",
  '    psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc "SELECT 1 FROM pg_database WHERE datname = \'$db\'" 2>/dev/null | grep -q 1 || missing="$missing $db"',
  "  done",
  '  [ -z "$missing" ] && exit 0',
  '  for db in $missing; do createdb -U "$POSTGRES_USER" "$db" 2>/dev/null || true; done',
  "  sleep 2",
  "done",
  'echo "could not create the databases:$missing" >&2',
  "exit 1",
].join("\n");

/** PostgreSQL with its data on the volume; pg_isready tells when it is alive and ready. */
function postgresContainer(v: ChartValues, d: DataStoreValues, password: SecretValue): Plain {
  return {
    name: "postgres",
    image: d.image,
    imagePullPolicy: "Always",
    ports: [{ name: "postgres", containerPort: d.port, protocol: "TCP" }],
    env: [
      { name: "POSTGRES_USER", value: d.user },
      { name: "POSTGRES_DB", value: d.database },
      { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
      { name: "POSTGRES_PASSWORD", ...password },
      { name: "DATABASES", value: d.databases.join(" ") },
    ],
    resources: d.resources,
    lifecycle: { postStart: { exec: { command: ["/bin/sh", "-c", CREATE_DATABASES_SCRIPT] } } },
    livenessProbe: {
      exec: { command: ["pg_isready", "-U", d.user, "-d", d.database] },
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 6,
    },
    readinessProbe: {
      exec: { command: ["pg_isready", "-U", d.user, "-d", d.database] },
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 3,
    },
    securityContext: containerSecurityContext(v, true),
    volumeMounts: [
      { name: "data", mountPath: "/var/lib/postgresql/data" },
      { name: "tmp", mountPath: "/tmp" },
      { name: "run", mountPath: "/var/run/postgresql" },
    ],
  };
}

/** Redis with its password from the Secret and its persistence flags; ready when the port is open. */
function redisContainer(v: ChartValues, d: DataStoreValues, password: SecretValue): Plain {
  return {
    name: "redis",
    image: d.image,
    imagePullPolicy: "Always",
    args: ["redis-server", ...d.args],
    ports: [{ name: "redis", containerPort: d.port, protocol: "TCP" }],
    env: [{ name: "REDIS_PASSWORD", ...password }],
    resources: d.resources,
    livenessProbe: {
      tcpSocket: { port: "redis" },
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 6,
    },
    readinessProbe: {
      tcpSocket: { port: "redis" },
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 3,
    },
    securityContext: containerSecurityContext(v, true),
    volumeMounts: [
      { name: "data", mountPath: "/data" },
      { name: "tmp", mountPath: "/tmp" },
    ],
  };
}

export function statefulSet(v: ChartValues, ns: string, name: string, d: DataStoreValues): K8sObject[] {
  if (!d.enabled) return [];
  const password = { valueFrom: { secretKeyRef: { name: v.global.secretName, key: d.passwordKey } } };
  const pg = d.engine === "postgres";
  const container = pg ? postgresContainer(v, d, password) : redisContainer(v, d, password);
  return [
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: meta(v, ns, name, "database"),
      spec: {
        serviceName: name,
        replicas: 1,
        selector: { matchLabels: selectorLabels(v.global.app, name) },
        template: {
          metadata: { labels: labels(v.global.app, name, "database") },
          spec: {
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 60,
            securityContext: podSecurityContext(v),
            containers: [container],
            volumes: pg ? [...tmpVolume, { name: "run", emptyDir: {} }] : tmpVolume,
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: "data" },
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: d.storage } } },
          },
        ],
      },
    },
  ];
}

export function dataStoreService(v: ChartValues, ns: string, name: string, d: DataStoreValues): K8sObject[] {
  if (!d.enabled) return [];
  return [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(v, ns, name, "database"),
      spec: {
        type: "ClusterIP",
        selector: selectorLabels(v.global.app, name),
        ports: [{ name: d.engine, port: d.port, targetPort: d.engine, protocol: "TCP" }],
      },
    },
  ];
}
