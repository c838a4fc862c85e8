// The NetworkPolicy templates: default-deny for the release, a policy per workload (DNS, the data stores
// it uses, managed services outside, the Dapr control plane) and one per in-cluster data store.
import { head } from "./templates.js";

/** Who may reach a workload: the ingress controller on its port, Prometheus on its metrics port. */
const WORKLOAD_INGRESS = `  {{- if or .network.fromIngressController .network.fromMonitoring }}
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
`;

/** Where a workload may connect: DNS, the in-cluster stores it uses, ports outside, the Dapr control plane. */
const WORKLOAD_EGRESS = `  egress:
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
`;

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
${WORKLOAD_INGRESS}${WORKLOAD_EGRESS}{{- end }}
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
  {{- if or .clients .backup }}
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
                  {{- if .backup }}
                  - {{ $name }}-backup
                  - {{ $name }}-restore
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
