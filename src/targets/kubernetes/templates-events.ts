// Dapr templates: a service's topic Subscriptions, the Resiliency policy for their redeliveries, and
// the components (the Kafka pub/sub, idempotency state stores).
import { head } from "./templates.js";

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
