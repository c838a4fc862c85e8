// Objects that run to completion: a service's migrations Job (a Helm hook before install and
// upgrade) and a scheduled job's CronJob.
import {
  configChecksum,
  containerSecurityContext,
  imageRef,
  labels,
  meta,
  podSecurityContext,
  pullSecrets,
  containerEnvList,
  checkovSkips,
  tmpMount,
  tmpVolume,
  workloadContainer,
  WRITABLE_ROOT,
  type K8sObject,
} from "./objects.js";
import { escapeDollars } from "./container-env.js";
import type { ChartValues, JobValues, ServiceValues } from "./values.js";

export function migrationsJob(v: ChartValues, ns: string, name: string, s: ServiceValues): K8sObject[] {
  if (!s.enabled || !s.migrations.enabled) return [];
  const jobName = `${name}-migrations`;
  // Inline, the settings are expanded as no ConfigMap's are: a literal `$` is doubled. Sorted, as
  // Helm's `range` gives a map's keys.
  const env = [
    ...Object.keys(s.config)
      .sort()
      .map((k) => ({ name: k, value: escapeDollars(s.config[k]!) })),
    ...containerEnvList(v, s),
  ];
  return [
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: meta(v, ns, jobName, "migrations", {
        // A hook runs before the release's other objects exist: so no ConfigMap here, the settings inline.
        "helm.sh/hook": "pre-install,pre-upgrade",
        "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
        "helm.sh/hook-weight": "0",
        ...(s.readOnlyRootFilesystem ? {} : WRITABLE_ROOT),
      }),
      spec: {
        backoffLimit: 1,
        activeDeadlineSeconds: s.migrations.activeDeadlineSeconds,
        template: {
          metadata: { labels: labels(v.global.app, jobName, "migrations") },
          spec: {
            restartPolicy: "Never",
            automountServiceAccountToken: false,
            imagePullSecrets: pullSecrets(v),
            securityContext: podSecurityContext(v),
            containers: [
              {
                name: "migrations",
                image: imageRef(v, s),
                imagePullPolicy: "Always",
                command: s.migrations.command,
                ...(env.length ? { env } : {}),
                resources: s.resources,
                securityContext: containerSecurityContext(v, s.readOnlyRootFilesystem),
                volumeMounts: tmpMount,
              },
            ],
            volumes: tmpVolume,
          },
        },
      },
    },
  ];
}

export function cronJob(v: ChartValues, ns: string, name: string, j: JobValues): K8sObject[] {
  if (!j.enabled) return [];
  return [
    {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: meta(v, ns, name, "job", checkovSkips(!j.readOnlyRootFilesystem && WRITABLE_ROOT)),
      spec: {
        schedule: j.schedule,
        timeZone: j.timeZone,
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: 300,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            backoffLimit: j.backoffLimit,
            activeDeadlineSeconds: j.activeDeadlineSeconds,
            template: {
              metadata: {
                labels: labels(v.global.app, name, "job"),
                annotations: { "checksum/config": configChecksum(j.config) },
              },
              spec: {
                restartPolicy: "Never",
                automountServiceAccountToken: false,
                imagePullSecrets: pullSecrets(v),
                securityContext: podSecurityContext(v),
                containers: [workloadContainer(v, name, j)],
                volumes: tmpVolume,
              },
            },
          },
        },
      },
    },
  ];
}
