// The backups of an in-cluster PostgreSQL (hosting: cluster): a CronJob dumps every database with
// pg_dump (custom format, restorable table by table) onto a volume of their own, as often as the RPO
// asks (./recovery.ts), and deletes the dumps older than the retention; a suspended CronJob holds
// the restore, run by `kubectl create job --from=cronjob/<name>-restore` (operations/disaster-recovery.md).
// A dump is written under a temporary name and renamed when complete, so the newest `.dump` is whole.
import { dnsEgress } from "./objects-network.js";
import {
  containerSecurityContext,
  labels,
  meta,
  podSecurityContext,
  selectorLabels,
  tmpMount,
  tmpVolume,
  type K8sObject,
  type Plain,
} from "./objects.js";
import type { ChartValues, DataStoreValues } from "./values.js";

export const BACKUP_SCRIPT = [
  "set -eu",
  'stamp="$(date -u +%Y%m%dT%H%M%SZ)"',
  "for db in $DATABASES; do",
  '  pg_dump --format=custom --file="/backups/$db-$stamp.dump.partial" --dbname="$db"',
  '  mv "/backups/$db-$stamp.dump.partial" "/backups/$db-$stamp.dump"',
  '  echo "dumped $db to $db-$stamp.dump"',
  "done",
  'find /backups -name "*.dump*" -mmin "+$((KEEP_DAYS * 1440))" -print -delete',
].join("\n");

/** Restores the newest dump of each database, or that of BACKUP_STAMP (20300131T095500Z) when set. */
export const RESTORE_SCRIPT = [
  "set -eu",
  "for db in $DATABASES; do",
  '  if [ -n "${BACKUP_STAMP:-}" ]; then file="/backups/$db-$BACKUP_STAMP.dump"; else file="$(ls -1 /backups/"$db"-*.dump | sort | tail -n 1)"; fi',
  '  echo "restoring $db from $file"',
  '  pg_restore --clean --if-exists --no-owner --exit-on-error --dbname="$db" "$file"',
  "done",
].join("\n");

const backupVolume = (name: string) => `${name}-backups`;

/**
 * How the backup and restore CronJobs run, written once for the objects and the chart's template
 * (templates-backup.ts): one run at a time, a restore never retried (it runs `pg_restore --clean`).
 */
export const BACKUP_POLICY = {
  timeZone: "Etc/UTC",
  concurrencyPolicy: "Forbid",
  startingDeadlineSeconds: 300,
  successfulJobsHistoryLimit: 3,
  failedJobsHistoryLimit: 3,
  activeDeadlineSeconds: 3600,
  backoffLimit: { backup: 2, restore: 0 },
} as const;

/**
 * The official AWS CLI image (hub.docker.com/r/amazon/aws-cli; docs.aws.amazon.com/cli/latest/userguide/
 * getting-started-docker.html), which copies the dumps to the second repository with `aws s3 sync`.
 */
export const AWS_CLI_IMAGE = "amazon/aws-cli:2.15.55";
/** The spec's secrets with the second repository's key pair (schema-recovery.ts). */
export const OFFSITE_KEYS = { id: "GANTRY_BACKUP_S3_KEY", secret: "GANTRY_BACKUP_S3_SECRET" } as const;

/** Copies every complete dump to `recovery.offsite` after the dump step (its init container). */
function uploadContainer(v: ChartValues, d: DataStoreValues): Plain {
  const o = d.backup!.offsite!;
  const key = (k: string) => ({ valueFrom: { secretKeyRef: { name: v.global.secretName, key: k } } });
  return {
    name: "upload",
    image: AWS_CLI_IMAGE,
    imagePullPolicy: "Always",
    args: [
      "s3",
      "sync",
      "/backups",
      o.url,
      "--endpoint-url",
      o.endpoint,
      "--region",
      o.region,
      "--exclude",
      "*.partial",
      "--only-show-errors",
    ],
    env: [
      { name: "AWS_ACCESS_KEY_ID", ...key(OFFSITE_KEYS.id) },
      { name: "AWS_SECRET_ACCESS_KEY", ...key(OFFSITE_KEYS.secret) },
      { name: "HOME", value: "/tmp" },
    ],
    resources: d.resources,
    securityContext: containerSecurityContext(v, true),
    volumeMounts: [{ name: "backups", mountPath: "/backups", readOnly: true }, ...tmpMount],
  };
}

function container(v: ChartValues, name: string, d: DataStoreValues, role: "backup" | "restore"): Plain {
  return {
    name: role,
    image: d.image,
    imagePullPolicy: "Always",
    command: ["/bin/sh", "-c", role === "backup" ? BACKUP_SCRIPT : RESTORE_SCRIPT],
    env: [
      { name: "PGHOST", value: name },
      { name: "PGPORT", value: String(d.port) },
      { name: "PGUSER", value: d.user },
      { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: v.global.secretName, key: d.passwordKey } } },
      { name: "DATABASES", value: d.backup!.databases.join(" ") },
      { name: "KEEP_DAYS", value: String(d.backup!.keepDays) },
    ],
    resources: d.resources,
    securityContext: containerSecurityContext(v, true),
    volumeMounts: [{ name: "backups", mountPath: "/backups" }, ...tmpMount],
  };
}

function cronJob(
  v: ChartValues,
  ns: string,
  name: string,
  d: DataStoreValues,
  role: "backup" | "restore",
): K8sObject {
  const job = `${name}-${role}`;
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: meta(v, ns, job, role),
    spec: {
      schedule: d.backup!.schedule,
      timeZone: BACKUP_POLICY.timeZone,
      // The restore runs only when created from it by hand.
      suspend: role === "restore",
      concurrencyPolicy: BACKUP_POLICY.concurrencyPolicy,
      startingDeadlineSeconds: BACKUP_POLICY.startingDeadlineSeconds,
      successfulJobsHistoryLimit: BACKUP_POLICY.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: BACKUP_POLICY.failedJobsHistoryLimit,
      jobTemplate: {
        spec: {
          backoffLimit: BACKUP_POLICY.backoffLimit[role],
          activeDeadlineSeconds: BACKUP_POLICY.activeDeadlineSeconds,
          template: {
            metadata: { labels: labels(v.global.app, job, role) },
            spec: {
              restartPolicy: "Never",
              automountServiceAccountToken: false,
              securityContext: podSecurityContext(v),
              ...(role === "backup" && d.backup!.offsite
                ? { initContainers: [container(v, name, d, role)], containers: [uploadContainer(v, d)] }
                : { containers: [container(v, name, d, role)] }),
              volumes: [
                { name: "backups", persistentVolumeClaim: { claimName: backupVolume(name) } },
                ...tmpVolume,
              ],
            },
          },
        },
      },
    },
  };
}

export function backupObjects(v: ChartValues, ns: string, name: string, d: DataStoreValues): K8sObject[] {
  if (!d.enabled || !d.backup) return [];
  return [
    {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      // Kept when the release is uninstalled: the backups outlive what they back up.
      metadata: meta(v, ns, backupVolume(name), "backup", { "helm.sh/resource-policy": "keep" }),
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: d.backup.storage } } },
    },
    cronJob(v, ns, name, d, "backup"),
    cronJob(v, ns, name, d, "restore"),
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta(v, ns, `${name}-backup`, "backup"),
      spec: {
        podSelector: {
          matchLabels: { "app.kubernetes.io/part-of": v.global.app },
          matchExpressions: [
            { key: "app.kubernetes.io/name", operator: "In", values: [`${name}-backup`, `${name}-restore`] },
          ],
        },
        policyTypes: ["Ingress", "Egress"],
        egress: [
          dnsEgress(),
          // The second repository: an S3 endpoint on the internet, over HTTPS.
          ...(d.backup.offsite ? [{ ports: [{ port: 443, protocol: "TCP" }] }] : []),
          {
            to: [{ podSelector: { matchLabels: selectorLabels(v.global.app, name) } }],
            ports: [{ port: d.port, protocol: "TCP" }],
          },
        ],
      },
    },
  ];
}
