// Templates of objects that run to completion: a service's migrations Job (a Helm hook before install
// and upgrade) and a scheduled job's CronJob.
import { head } from "./templates.js";

export function migrationsJobTemplate(name: string): string {
  return `${head("Migrations Job (a Helm hook: runs before install and upgrade)", "services", name)}
{{- if and .enabled .migrations.enabled }}
{{- $job := printf "%s-migrations" $name }}
apiVersion: batch/v1
kind: Job
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" $job "component" "migrations") | nindent 2 }}
  annotations:
    {{- /* A hook runs before the release's other objects exist: the settings are inline, not the ConfigMap. */}}
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
    helm.sh/hook-weight: "0"
    {{- with include "gantry.checkovSkips" (dict "noProbes" false "writable" (not .readOnlyRootFilesystem)) | trim }}
    {{- . | nindent 4 }}
    {{- end }}
spec:
  backoffLimit: 1
  activeDeadlineSeconds: {{ .migrations.activeDeadlineSeconds }}
  template:
    metadata:
      labels:
        {{- include "gantry.labels" (dict "app" $.Values.global.app "name" $job "component" "migrations") | nindent 8 }}
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      imagePullSecrets:
        {{- include "gantry.imagePullSecrets" $ | nindent 8 }}
      securityContext:
        {{- include "gantry.podSecurityContext" $ | nindent 8 }}
      containers:
        - name: migrations
          image: {{ include "gantry.image" (dict "root" $ "w" .) }}
          imagePullPolicy: Always
          command:
            {{- toYaml .migrations.command | nindent 12 }}
          {{- if or .config .secretEnv .composedEnv }}
          env:
            {{- /* Inline, the settings are expanded as no ConfigMap's are: a literal $ is doubled. */}}
            {{- range $key, $value := .config }}
            - name: {{ $key }}
              value: {{ $value | replace "$" "$$" | quote }}
            {{- end }}
            {{- include "gantry.env" (dict "root" $ "w" .) | nindent 12 }}
          {{- end }}
          resources:
            {{- toYaml .resources | nindent 12 }}
          securityContext:
            {{- include "gantry.containerSecurityContext" (dict "root" $ "readOnly" .readOnlyRootFilesystem) | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir: {}
{{- end }}
{{- end }}
`;
}

export function cronJobTemplate(name: string): string {
  return `${head("CronJob", "services", name)}
{{- if .enabled }}
apiVersion: batch/v1
kind: CronJob
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" $name "component" "job") | nindent 2 }}
  {{- with include "gantry.checkovSkips" (dict "noProbes" false "writable" (not .readOnlyRootFilesystem)) | trim }}
  annotations:
    {{- . | nindent 4 }}
  {{- end }}
spec:
  schedule: {{ .schedule | quote }}
  timeZone: {{ .timeZone }}
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: 300
  successfulJobsHistoryLimit: 3
  failedJobsHistoryLimit: 3
  jobTemplate:
    spec:
      backoffLimit: {{ .backoffLimit }}
      activeDeadlineSeconds: {{ .activeDeadlineSeconds }}
      template:
        metadata:
          labels:
            {{- include "gantry.labels" (dict "app" $.Values.global.app "name" $name "component" "job") | nindent 12 }}
          annotations:
            checksum/config: {{ .config | toJson | sha256sum }}
        spec:
          restartPolicy: Never
          automountServiceAccountToken: false
          imagePullSecrets:
            {{- include "gantry.imagePullSecrets" $ | nindent 12 }}
          securityContext:
            {{- include "gantry.podSecurityContext" $ | nindent 12 }}
          containers:
            {{- include "gantry.container" (dict "root" $ "name" $name "w" .) | nindent 12 }}
          volumes:
            - name: tmp
              emptyDir: {}
{{- end }}
{{- end }}
`;
}
