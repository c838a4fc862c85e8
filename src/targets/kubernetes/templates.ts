// The chart's Go templates. They are generic: every per-environment fact comes from the values
// (values.ts), and each template does what the builder of the same name in objects.ts does. A
// per-service file only names its service (`$name`), so `templates/api-deployment.yaml` reads as a
// plain Deployment of `api`.
import { DAPR_SIDECAR } from "./values.js";

/** The first lines of a per-item template: bind `$name`, and render only when the item is enabled. */
function head(kind: string, collection: string, name: string): string {
  return [
    `{{- /* ${kind} of ${name}, from .Values.${collection}.${name}. */ -}}`,
    `{{- $name := ${JSON.stringify(name)} }}`,
    `{{- with index .Values.${collection} $name }}`,
  ].join("\n");
}

export const HELPERS = `{{/* Labels every object carries; call with (dict "app" ... "name" ... "component" ...). */}}
{{- define "gantry.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/part-of: {{ .app }}
{{- end }}

{{- define "gantry.labels" -}}
{{ include "gantry.selectorLabels" . }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/managed-by: gantry
{{- end }}

{{/* name, namespace and labels; call with (dict "root" $ "name" ... "component" ...). */}}
{{- define "gantry.metadata" -}}
name: {{ .name }}
namespace: {{ .root.Release.Namespace }}
labels:
  {{- include "gantry.labels" (dict "app" .root.Values.global.app "name" .name "component" .component) | nindent 2 }}
{{- end }}

{{/* Restricted pod security: non-root, RuntimeDefault seccomp. */}}
{{- define "gantry.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.global.runAsUser }}
runAsGroup: {{ .Values.global.runAsUser }}
fsGroup: {{ .Values.global.runAsUser }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* No privilege escalation, all capabilities dropped; call with (dict "root" $ "readOnly" bool). */}}
{{- define "gantry.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: {{ .readOnly }}
runAsNonRoot: true
runAsUser: {{ .root.Values.global.runAsUser }}
runAsGroup: {{ .root.Values.global.runAsUser }}
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* <repository>:<tag>, the tag from global.imageTag unless the service pins its own. */}}
{{- define "gantry.image" -}}
{{ .w.image }}:{{ .w.tag | default .root.Values.global.imageTag }}
{{- end }}

{{- define "gantry.imagePullSecrets" -}}
{{- range .Values.global.imagePullSecrets }}
- name: {{ . }}
{{- end }}
{{- end }}

{{/* Secrets only by reference to the app's Secret, never values. */}}
{{- define "gantry.secretEnv" -}}
{{- range .w.secretEnv }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ $.root.Values.global.secretName }}
      key: {{ .key }}
{{- end }}
{{- end }}

{{/* An HTTP GET of the health path, or a TCP check of the port when the service has none. */}}
{{- define "gantry.httpProbe" -}}
{{- if .path -}}
httpGet:
  path: {{ .path }}
  port: http
{{- else -}}
tcpSocket:
  port: http
{{- end }}
initialDelaySeconds: {{ .initialDelaySeconds }}
periodSeconds: {{ .periodSeconds }}
timeoutSeconds: {{ .timeoutSeconds }}
failureThreshold: {{ .failureThreshold }}
{{- end }}

{{/* The workload container's common part; call with (dict "root" $ "name" $name "w" .). */}}
{{- define "gantry.container" -}}
- name: {{ .name }}
  image: {{ include "gantry.image" . }}
  imagePullPolicy: Always
  {{- with .w.command }}
  command:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if ne .w.type "static" }}
  envFrom:
    - configMapRef:
        name: {{ .name }}-config
  {{- end }}
  {{- if .w.secretEnv }}
  env:
    {{- include "gantry.secretEnv" . | nindent 4 }}
  {{- end }}
  resources:
    {{- toYaml .w.resources | nindent 4 }}
  securityContext:
    {{- include "gantry.containerSecurityContext" (dict "root" .root "readOnly" .w.readOnlyRootFilesystem) | nindent 4 }}
  volumeMounts:
    - name: tmp
      mountPath: /tmp
{{- end }}

{{/* checkov's per-object skips, each with its reason; call with (dict "noProbes" bool "writable" bool). */}}
{{- define "gantry.checkovSkips" -}}
{{- if .noProbes }}
checkov.io/skip1: "CKV_K8S_8=a worker that listens on no port has no endpoint to probe; Kubernetes restarts it when its process exits"
checkov.io/skip2: "CKV_K8S_9=a worker that listens on no port receives no traffic, so it has nothing to be ready for"
{{- end }}
{{- if .writable }}
checkov.io/skip3: "CKV_K8S_22=the spec gives this service a writable root file system (read_only_root is false)"
{{- end }}
{{- end }}

{{- define "gantry.dnsEgress" -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end }}
`;

export function configMapTemplate(name: string): string {
  return `${head("ConfigMap", "services", name)}
{{- if and .enabled (ne .type "static") }}
apiVersion: v1
kind: ConfigMap
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" (printf "%s-config" $name) "component" .type) | nindent 2 }}
data:
  {{- toYaml .config | nindent 2 }}
{{- end }}
{{- end }}
`;
}

export function deploymentTemplate(name: string): string {
  return `${head("Deployment", "services", name)}
{{- if .enabled }}
apiVersion: apps/v1
kind: Deployment
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" $name "component" .type) | nindent 2 }}
  {{- with include "gantry.checkovSkips" (dict "noProbes" (not .port) "writable" (not .readOnlyRootFilesystem)) | trim }}
  annotations:
    {{- . | nindent 4 }}
  {{- end }}
spec:
  {{- if not .autoscaling.enabled }}
  replicas: {{ .replicas }}
  {{- end }}
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      {{- include "gantry.selectorLabels" (dict "app" $.Values.global.app "name" $name) | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: {{ .strategy.maxSurge }}
      maxUnavailable: {{ .strategy.maxUnavailable }}
  template:
    metadata:
      labels:
        {{- include "gantry.labels" (dict "app" $.Values.global.app "name" $name "component" .type) | nindent 8 }}
      {{- if or (ne .type "static") .dapr.enabled }}
      annotations:
        {{- if ne .type "static" }}
        checksum/config: {{ .config | toJson | sha256sum }}
        {{- end }}
        {{- if .dapr.enabled }}
        dapr.io/enabled: "true"
        dapr.io/app-id: {{ .dapr.appId | quote }}
        {{- if .dapr.appPort }}
        dapr.io/app-port: {{ .dapr.appPort | quote }}
        {{- end }}
        dapr.io/config: {{ .dapr.config | quote }}
        dapr.io/sidecar-cpu-request: ${DAPR_SIDECAR.requests.cpu}
        dapr.io/sidecar-memory-request: ${DAPR_SIDECAR.requests.memory}
        dapr.io/sidecar-cpu-limit: ${DAPR_SIDECAR.limits.cpu}
        dapr.io/sidecar-memory-limit: ${DAPR_SIDECAR.limits.memory}
        {{- end }}
      {{- end }}
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: {{ .terminationGracePeriodSeconds }}
      imagePullSecrets:
        {{- include "gantry.imagePullSecrets" $ | nindent 8 }}
      securityContext:
        {{- include "gantry.podSecurityContext" $ | nindent 8 }}
      {{- if .topologySpread }}
      topologySpreadConstraints:
        {{- range list "kubernetes.io/hostname" "topology.kubernetes.io/zone" }}
        - maxSkew: 1
          topologyKey: {{ . }}
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "gantry.selectorLabels" (dict "app" $.Values.global.app "name" $name) | nindent 14 }}
        {{- end }}
      {{- end }}
      containers:
        {{- include "gantry.container" (dict "root" $ "name" $name "w" .) | nindent 8 }}
          {{- if or .port (and .metrics.enabled (ne .metrics.port .port)) }}
          ports:
            {{- if .port }}
            - name: http
              containerPort: {{ .port }}
              protocol: TCP
            {{- end }}
            {{- if and .metrics.enabled (ne .metrics.port .port) }}
            - name: metrics
              containerPort: {{ .metrics.port }}
              protocol: TCP
            {{- end }}
          {{- end }}
          {{- with .probes.liveness }}
          livenessProbe:
            {{- include "gantry.httpProbe" . | nindent 12 }}
          {{- end }}
          {{- with .probes.readiness }}
          readinessProbe:
            {{- include "gantry.httpProbe" . | nindent 12 }}
          {{- end }}
          {{- with .probes.startup }}
          startupProbe:
            {{- include "gantry.httpProbe" . | nindent 12 }}
          {{- end }}
          lifecycle:
            preStop:
              sleep:
                seconds: {{ .preStopSleepSeconds }}
      volumes:
        - name: tmp
          emptyDir: {}
{{- end }}
{{- end }}
`;
}

export function serviceTemplate(name: string): string {
  return `${head("Service", "services", name)}
{{- if and .enabled .port (ne .type "worker") }}
apiVersion: v1
kind: Service
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" $name "component" .type) | nindent 2 }}
spec:
  type: ClusterIP
  selector:
    {{- include "gantry.selectorLabels" (dict "app" $.Values.global.app "name" $name) | nindent 4 }}
  ports:
    - name: http
      port: {{ .port }}
      targetPort: http
      protocol: TCP
    {{- if and .metrics.enabled (ne .metrics.port .port) }}
    - name: metrics
      port: {{ .metrics.port }}
      targetPort: metrics
      protocol: TCP
    {{- end }}
{{- end }}
{{- end }}
`;
}

export function ingressTemplate(name: string): string {
  return `${head("Ingress", "services", name)}
{{- if and .enabled .ingress.hosts }}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" $name "component" .type) | nindent 2 }}
  annotations:
    cert-manager.io/cluster-issuer: {{ $.Values.global.ingress.clusterIssuer }}
    nginx.ingress.kubernetes.io/force-ssl-redirect: "true"
    nginx.ingress.kubernetes.io/ssl-redirect: "true"
spec:
  ingressClassName: {{ $.Values.global.ingress.className }}
  tls:
    {{- range .ingress.hosts }}
    - hosts:
        - {{ . }}
      secretName: {{ printf "%s-%s-tls" $name (replace "." "-" .) }}
    {{- end }}
  rules:
    {{- $path := .ingress.path }}
    {{- range .ingress.hosts }}
    - host: {{ . }}
      http:
        paths:
          - path: {{ $path }}
            pathType: Prefix
            backend:
              service:
                name: {{ $name }}
                port:
                  name: http
    {{- end }}
{{- end }}
{{- end }}
`;
}

export function hpaTemplate(name: string): string {
  return `${head("HorizontalPodAutoscaler", "services", name)}
{{- if and .enabled .autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" $name "component" .type) | nindent 2 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $name }}
  minReplicas: {{ .autoscaling.minReplicas }}
  maxReplicas: {{ .autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .autoscaling.cpu }}
    {{- if hasKey .autoscaling "memory" }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ .autoscaling.memory }}
    {{- end }}
  behavior:
    {{- toYaml .autoscaling.behavior | nindent 4 }}
{{- end }}
{{- end }}
`;
}

export function pdbTemplate(name: string): string {
  return `${head("PodDisruptionBudget", "services", name)}
{{- if and .enabled .podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" $name "component" .type) | nindent 2 }}
spec:
  minAvailable: {{ .podDisruptionBudget.minAvailable }}
  selector:
    matchLabels:
      {{- include "gantry.selectorLabels" (dict "app" $.Values.global.app "name" $name) | nindent 6 }}
{{- end }}
{{- end }}
`;
}

/** The template of a Prometheus Operator monitor (objects.ts metricsMonitor prints the same object). */
function monitorTemplate(
  title: string,
  condition: string,
  kind: "ServiceMonitor" | "PodMonitor",
  name: string,
): string {
  const endpoints = kind === "ServiceMonitor" ? "endpoints" : "podMetricsEndpoints";
  return `${head(title, "services", name)}
{{- if ${condition} }}
apiVersion: monitoring.coreos.com/v1
kind: ${kind}
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" $name "component" .type) | nindent 2 }}
spec:
  selector:
    matchLabels:
      {{- include "gantry.selectorLabels" (dict "app" $.Values.global.app "name" $name) | nindent 6 }}
  ${endpoints}:
    - port: {{ if eq .metrics.port .port }}http{{ else }}metrics{{ end }}
      path: {{ .metrics.path }}
      interval: {{ .metrics.interval }}
{{- end }}
{{- end }}
`;
}

export function serviceMonitorTemplate(name: string): string {
  return monitorTemplate(
    "ServiceMonitor",
    'and .enabled .metrics.enabled .port (ne .type "worker")',
    "ServiceMonitor",
    name,
  );
}

export function podMonitorTemplate(name: string): string {
  return monitorTemplate(
    "PodMonitor (a worker has no Service to monitor)",
    "and .enabled .metrics.enabled .metrics.port",
    "PodMonitor",
    name,
  );
}

export function networkPolicyTemplate(name: string): string {
  return `${head("NetworkPolicy", "services", name)}
{{- if .enabled }}
{{- $global := $.Values.global }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" $name "component" .type) | nindent 2 }}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/part-of: {{ $global.app }}
    matchExpressions:
      - key: app.kubernetes.io/name
        operator: In
        values:
          - {{ $name }}
          - {{ $name }}-migrations
  policyTypes:
    - Ingress
    - Egress
  {{- if or .network.fromIngressController .network.fromMonitoring }}
  ingress:
    {{- if .network.fromIngressController }}
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ $global.ingress.controllerNamespace }}
      ports:
        - port: {{ .port }}
          protocol: TCP
    {{- end }}
    {{- if .network.fromMonitoring }}
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ $global.monitoringNamespace }}
      ports:
        - port: {{ .metrics.port }}
          protocol: TCP
    {{- end }}
  {{- end }}
  egress:
    {{- include "gantry.dnsEgress" $ | nindent 4 }}
    {{- range .network.toInCluster }}
    - to:
        - podSelector:
            matchLabels:
              {{- include "gantry.selectorLabels" (dict "app" $global.app "name" .name) | nindent 14 }}
      ports:
        - port: {{ .port }}
          protocol: TCP
    {{- end }}
    {{- with .network.toExternalPorts }}
    - to:
        - ipBlock:
            cidr: 0.0.0.0/0
      ports:
        {{- range . }}
        - port: {{ . }}
          protocol: TCP
        {{- end }}
    {{- end }}
    {{- if .network.toDapr }}
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ $global.daprNamespace }}
    {{- end }}
{{- end }}
{{- end }}
`;
}

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
          {{- if or .config .secretEnv }}
          env:
            {{- range $key, $value := .config }}
            - name: {{ $key }}
              value: {{ $value | quote }}
            {{- end }}
            {{- include "gantry.secretEnv" (dict "root" $ "w" .) | nindent 12 }}
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

export function subscriptionsTemplate(name: string): string {
  return `${head("Dapr Subscriptions", "services", name)}
{{- if .enabled }}
{{- range .subscriptions }}
---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: {{ .name }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "gantry.labels" (dict "app" $.Values.global.app "name" $name "component" "events") | nindent 4 }}
spec:
  topic: {{ .topic }}
  routes:
    default: {{ .route }}
  pubsubname: pubsub
  {{- if .deadLetterTopic }}
  deadLetterTopic: {{ .deadLetterTopic }}
  {{- end }}
scopes:
  - {{ $name }}
{{- end }}
{{- end }}
{{- end }}
`;
}

export function resiliencyTemplate(name: string): string {
  return `${head("Dapr Resiliency: retries of failed deliveries, then the dead-letter topic", "services", name)}
{{- if and .enabled .eventRetries }}
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: {{ $name }}-events
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "gantry.labels" (dict "app" $.Values.global.app "name" $name "component" "events") | nindent 4 }}
spec:
  policies:
    retries:
      events:
        policy: exponential
        maxInterval: 60s
        maxRetries: {{ .eventRetries }}
  targets:
    components:
      pubsub:
        inbound:
          retry: events
scopes:
  - {{ $name }}
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

export function statefulSetTemplate(name: string): string {
  return `${head("StatefulSet (in-cluster data store)", "datastores", name)}
{{- if .enabled }}
{{- $password := dict "valueFrom" (dict "secretKeyRef" (dict "name" $.Values.global.secretName "key" .passwordKey)) }}
apiVersion: apps/v1
kind: StatefulSet
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" $name "component" "database") | nindent 2 }}
spec:
  serviceName: {{ $name }}
  replicas: 1
  selector:
    matchLabels:
      {{- include "gantry.selectorLabels" (dict "app" $.Values.global.app "name" $name) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "gantry.labels" (dict "app" $.Values.global.app "name" $name "component" "database") | nindent 8 }}
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 60
      securityContext:
        {{- include "gantry.podSecurityContext" $ | nindent 8 }}
      containers:
        {{- if eq .engine "postgres" }}
        - name: postgres
          image: {{ .image }}
          imagePullPolicy: Always
          ports:
            - name: postgres
              containerPort: {{ .port }}
              protocol: TCP
          env:
            - name: POSTGRES_USER
              value: {{ .user }}
            - name: POSTGRES_DB
              value: {{ .database }}
            - name: PGDATA
              value: /var/lib/postgresql/data/pgdata
            - name: POSTGRES_PASSWORD
              {{- toYaml $password | nindent 14 }}
          resources:
            {{- toYaml .resources | nindent 12 }}
          livenessProbe:
            exec:
              command: ["pg_isready", "-U", {{ .user | quote }}, "-d", {{ .database | quote }}]
            periodSeconds: 10
            timeoutSeconds: 5
            failureThreshold: 6
          readinessProbe:
            exec:
              command: ["pg_isready", "-U", {{ .user | quote }}, "-d", {{ .database | quote }}]
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 3
          securityContext:
            {{- include "gantry.containerSecurityContext" (dict "root" $ "readOnly" true) | nindent 12 }}
          volumeMounts:
            - name: data
              mountPath: /var/lib/postgresql/data
            - name: tmp
              mountPath: /tmp
            - name: run
              mountPath: /var/run/postgresql
        {{- else }}
        - name: redis
          image: {{ .image }}
          imagePullPolicy: Always
          args:
            - redis-server
            {{- range .args }}
            - {{ . | quote }}
            {{- end }}
          ports:
            - name: redis
              containerPort: {{ .port }}
              protocol: TCP
          env:
            - name: REDIS_PASSWORD
              {{- toYaml $password | nindent 14 }}
          resources:
            {{- toYaml .resources | nindent 12 }}
          livenessProbe:
            tcpSocket:
              port: redis
            periodSeconds: 10
            timeoutSeconds: 5
            failureThreshold: 6
          readinessProbe:
            tcpSocket:
              port: redis
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 3
          securityContext:
            {{- include "gantry.containerSecurityContext" (dict "root" $ "readOnly" true) | nindent 12 }}
          volumeMounts:
            - name: data
              mountPath: /data
            - name: tmp
              mountPath: /tmp
        {{- end }}
      volumes:
        - name: tmp
          emptyDir: {}
        {{- if eq .engine "postgres" }}
        - name: run
          emptyDir: {}
        {{- end }}
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes:
          - ReadWriteOnce
        resources:
          requests:
            storage: {{ .storage }}
{{- end }}
{{- end }}
`;
}

export function dataStoreServiceTemplate(name: string): string {
  return `${head("Service (in-cluster data store)", "datastores", name)}
{{- if .enabled }}
apiVersion: v1
kind: Service
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" $name "component" "database") | nindent 2 }}
spec:
  type: ClusterIP
  selector:
    {{- include "gantry.selectorLabels" (dict "app" $.Values.global.app "name" $name) | nindent 4 }}
  ports:
    - name: {{ .engine }}
      port: {{ .port }}
      targetPort: {{ .engine }}
      protocol: TCP
{{- end }}
{{- end }}
`;
}

export function dataStoreNetworkPolicyTemplate(name: string): string {
  return `${head("NetworkPolicy (in-cluster data store: only its clients may connect)", "datastores", name)}
{{- if .enabled }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" $name "component" "database") | nindent 2 }}
spec:
  podSelector:
    matchLabels:
      {{- include "gantry.selectorLabels" (dict "app" $.Values.global.app "name" $name) | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
  {{- if .clients }}
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app.kubernetes.io/part-of: {{ $.Values.global.app }}
            matchExpressions:
              - key: app.kubernetes.io/name
                operator: In
                values:
                  {{- range .clients }}
                  - {{ . }}
                  - {{ . }}-migrations
                  {{- end }}
      ports:
        - port: {{ .port }}
          protocol: TCP
  {{- end }}
  egress:
    {{- include "gantry.dnsEgress" $ | nindent 4 }}
{{- end }}
{{- end }}
`;
}

export function daprComponentTemplate(key: string): string {
  return `${head("Dapr Component", "dapr", key)}
{{- if .enabled }}
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" .name "component" "events") | nindent 2 }}
spec:
  type: {{ .type }}
  version: v1
  metadata:
    {{- toYaml .metadata | nindent 4 }}
auth:
  secretStore: kubernetes
scopes:
  {{- toYaml .scopes | nindent 2 }}
{{- end }}
{{- end }}
`;
}

export const DEFAULT_DENY_TEMPLATE = `{{- /* Nothing reaches a pod of this release and no pod reaches out, unless a policy of its own allows it. */ -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" "default-deny" "component" "network") | nindent 2 }}
spec:
  podSelector: {}
  policyTypes:
    - Ingress
    - Egress
`;

export const PROMETHEUS_RULE_TEMPLATE = `{{- /* Alert rules from the spec's monitoring.alerts; expressions name the release namespace. */ -}}
{{- if .Values.alerts.enabled }}
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" (printf "%s-alerts" .Values.global.app) "component" "monitoring") | nindent 2 }}
spec:
  groups:
    - name: {{ .Values.global.app }}.rules
      rules:
        {{- range .Values.alerts.rules }}
        - alert: {{ .alert }}
          expr: {{ tpl .expr $ | toJson }}
          for: {{ .for }}
          labels:
            severity: {{ .severity }}
          annotations:
            summary: {{ .summary | toJson }}
        {{- end }}
{{- end }}
`;
