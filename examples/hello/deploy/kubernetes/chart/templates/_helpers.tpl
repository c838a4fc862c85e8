{{/* Labels every object carries; call with (dict "app" ... "name" ... "component" ...). */}}
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

{{/* Secrets only by reference to the app's Secret, never values; then what Kubernetes composes from them. */}}
{{- define "gantry.env" -}}
{{- range .w.secretEnv }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ $.root.Values.global.secretName }}
      key: {{ .key }}
{{- end }}
{{- range .w.composedEnv }}
- name: {{ .name }}
  value: {{ .value | quote }}
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
  {{- if or .w.secretEnv .w.composedEnv }}
  env:
    {{- include "gantry.env" . | nindent 4 }}
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
