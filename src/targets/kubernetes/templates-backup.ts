// The templates of an in-cluster PostgreSQL's backups (objects-backup.ts gives the same objects for
// rendered/): the backup volume, the backup CronJob, the suspended restore CronJob and the policy
// that lets their pods reach the server.
import {
  AWS_CLI_IMAGE,
  BACKUP_POLICY as P,
  BACKUP_SCRIPT,
  OFFSITE_KEYS,
  RESTORE_SCRIPT,
} from "./objects-backup.js";
import { head } from "./templates.js";

/** Indents a script block under a YAML `|-` key. */
export const indent = (text: string, n: number) =>
  text
    .split("\n")
    .map((l) => `${" ".repeat(n)}${l}`)
    .join("\n");

/** The copy to `recovery.offsite`, the Job's container when there is one (the dump its init container). */
const UPLOAD = `          {{- with .backup.offsite }}
          containers:
            - name: upload
              image: ${AWS_CLI_IMAGE}
              imagePullPolicy: Always
              args:
                - s3
                - sync
                - /backups
                - {{ .url }}
                - --endpoint-url
                - {{ .endpoint }}
                - --region
                - {{ .region }}
                - --exclude
                - "*.partial"
                - --only-show-errors
              env:
                - name: AWS_ACCESS_KEY_ID
                  valueFrom:
                    secretKeyRef:
                      name: {{ $.Values.global.secretName }}
                      key: ${OFFSITE_KEYS.id}
                - name: AWS_SECRET_ACCESS_KEY
                  valueFrom:
                    secretKeyRef:
                      name: {{ $.Values.global.secretName }}
                      key: ${OFFSITE_KEYS.secret}
                - name: HOME
                  value: /tmp
              resources:
                {{- toYaml $d.resources | nindent 16 }}
              securityContext:
                {{- include "gantry.containerSecurityContext" (dict "root" $ "readOnly" true) | nindent 16 }}
              volumeMounts:
                - name: backups
                  mountPath: /backups
                  readOnly: true
                - name: tmp
                  mountPath: /tmp
          {{- end }}
`;

function cronJob(role: "backup" | "restore"): string {
  const script = role === "backup" ? BACKUP_SCRIPT : RESTORE_SCRIPT;
  return `---
apiVersion: batch/v1
kind: CronJob
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" (printf "%s-${role}" $name) "component" "${role}") | nindent 2 }}
spec:
  schedule: {{ .backup.schedule | quote }}
  timeZone: ${P.timeZone}
  suspend: ${role === "restore"}
  concurrencyPolicy: ${P.concurrencyPolicy}
  startingDeadlineSeconds: ${P.startingDeadlineSeconds}
  successfulJobsHistoryLimit: ${P.successfulJobsHistoryLimit}
  failedJobsHistoryLimit: ${P.failedJobsHistoryLimit}
  jobTemplate:
    spec:
      backoffLimit: ${P.backoffLimit[role]}
      activeDeadlineSeconds: ${P.activeDeadlineSeconds}
      template:
        metadata:
          labels:
            {{- include "gantry.labels" (dict "app" $.Values.global.app "name" (printf "%s-${role}" $name) "component" "${role}") | nindent 12 }}
        spec:
          restartPolicy: Never
          automountServiceAccountToken: false
          securityContext:
            {{- include "gantry.podSecurityContext" $ | nindent 12 }}
${role === "backup" ? "          {{- if .backup.offsite }}\n          initContainers:\n          {{- else }}\n          containers:\n          {{- end }}" : "          containers:"}
            - name: ${role}
              image: {{ .image }}
              imagePullPolicy: Always
              command:
                - /bin/sh
                - -c
                - |-
${indent(script, 18)}
              env:
                - name: PGHOST
                  value: {{ $name }}
                - name: PGPORT
                  value: {{ .port | quote }}
                - name: PGUSER
                  value: {{ .user }}
                - name: PGPASSWORD
                  valueFrom:
                    secretKeyRef:
                      name: {{ $.Values.global.secretName }}
                      key: {{ .passwordKey }}
                - name: DATABASES
                  value: {{ join " " .backup.databases | quote }}
                - name: KEEP_DAYS
                  value: {{ .backup.keepDays | quote }}
              resources:
                {{- toYaml .resources | nindent 16 }}
              securityContext:
                {{- include "gantry.containerSecurityContext" (dict "root" $ "readOnly" true) | nindent 16 }}
              volumeMounts:
                - name: backups
                  mountPath: /backups
                - name: tmp
                  mountPath: /tmp
${role === "backup" ? UPLOAD : ""}          volumes:
            - name: backups
              persistentVolumeClaim:
                claimName: {{ $name }}-backups
            - name: tmp
              emptyDir: {}
`;
}

export function backupTemplate(name: string): string {
  return `${head("Backups (in-cluster PostgreSQL)", "datastores", name)}
{{- if and .enabled .backup }}
{{- $d := . }}
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" (printf "%s-backups" $name) "component" "backup") | nindent 2 }}
  annotations:
    helm.sh/resource-policy: keep
spec:
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: {{ .backup.storage }}
${cronJob("backup")}${cronJob("restore")}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" (printf "%s-backup" $name) "component" "backup") | nindent 2 }}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/part-of: {{ $.Values.global.app }}
    matchExpressions:
      - key: app.kubernetes.io/name
        operator: In
        values:
          - {{ $name }}-backup
          - {{ $name }}-restore
  policyTypes:
    - Ingress
    - Egress
  egress:
    {{- include "gantry.dnsEgress" $ | nindent 4 }}
    {{- if .backup.offsite }}
    - ports:
        - port: 443
          protocol: TCP
    {{- end }}
    - to:
        - podSelector:
            matchLabels:
              {{- include "gantry.selectorLabels" (dict "app" $.Values.global.app "name" $name) | nindent 14 }}
      ports:
        - port: {{ .port }}
          protocol: TCP
{{- end }}
{{- end }}
`;
}
