// The templates of a long-running service (HTTP, worker, static): its Deployment, Service, Ingress,
// autoscaler and disruption budget, and the ConfigMap every workload (jobs too) reads its settings from.
import { head } from "./templates.js";
import { DENY_ALL, DENYLIST } from "./objects-services.js";
import { DAPR_SIDECAR } from "./values.js";

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

/** The pod annotations: the config checksum (restarts pods on changes) and the Dapr sidecar's. */
const POD_ANNOTATIONS = `      {{- if or (ne .type "static") .dapr.enabled }}
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
`;

/** The service's container: the common container with its ports, probes and the preStop drain. */
const SERVICE_CONTAINER = `      containers:
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
`;

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
${POD_ANNOTATIONS}    spec:
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
${SERVICE_CONTAINER}      volumes:
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
{{- if .ingress.deniedPaths }}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  {{- include "gantry.metadata" (dict "root" $ "name" (printf "%s-deliveries" $name) "component" .type) | nindent 2 }}
  annotations:
    ${DENYLIST}: ${JSON.stringify(DENY_ALL)}
spec:
  ingressClassName: {{ $.Values.global.ingress.className }}
  rules:
    {{- $denied := .ingress.deniedPaths }}
    {{- range .ingress.hosts }}
    - host: {{ . }}
      http:
        paths:
          {{- range $denied }}
          - path: {{ . }}
            pathType: Prefix
            backend:
              service:
                name: {{ $name }}
                port:
                  name: http
          {{- end }}
    {{- end }}
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
