// NetworkPolicies: nothing reaches a pod of the release and no pod reaches out (default-deny) unless
// its own policy allows it: a workload reaches DNS, the data stores it uses, the ports of the managed
// services outside and the Dapr control plane; a data store is reached only by its clients.
import { meta, selectorLabels, type K8sObject, type Plain } from "./objects.js";
import type { ChartValues, DataStoreValues, ServiceValues, WorkloadValues } from "./values.js";

const nsSelector = (namespace: string) => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
});
const tcp = (port: number) => ({ port, protocol: "TCP" });

/** Pods of a workload, and of its migrations Job, which reaches the same databases. */
function workloadPods(v: ChartValues, name: string): Plain {
  return {
    matchLabels: { "app.kubernetes.io/part-of": v.global.app },
    matchExpressions: [
      { key: "app.kubernetes.io/name", operator: "In", values: [name, `${name}-migrations`] },
    ],
  };
}

export const dnsEgress = () => ({
  to: [{ ...nsSelector("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
  ports: [
    { port: 53, protocol: "UDP" },
    { port: 53, protocol: "TCP" },
  ],
});

export function networkPolicy(v: ChartValues, ns: string, name: string, w: WorkloadValues): K8sObject[] {
  if (!w.enabled) return [];
  const n = w.network;
  const ingressRules: Plain[] = [];
  if (n.fromIngressController)
    ingressRules.push({ from: [nsSelector(v.global.ingress.controllerNamespace)], ports: [tcp(w.port)] });
  if (n.fromMonitoring)
    ingressRules.push({
      from: [nsSelector(v.global.monitoringNamespace)],
      ports: [tcp((w as ServiceValues).metrics.port)],
    });
  const egress: Plain[] = [dnsEgress()];
  for (const t of n.toInCluster)
    egress.push({
      to: [{ podSelector: { matchLabels: selectorLabels(v.global.app, t.name) } }],
      ports: [tcp(t.port)],
    });
  if (n.toExternalPorts.length)
    egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: n.toExternalPorts.map(tcp) });
  if (n.toDapr) egress.push({ to: [nsSelector(v.global.daprNamespace)] });
  return [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta(v, ns, name, w.type),
      spec: {
        podSelector: workloadPods(v, name),
        policyTypes: ["Ingress", "Egress"],
        ...(ingressRules.length ? { ingress: ingressRules } : {}),
        egress,
      },
    },
  ];
}

export function defaultDeny(v: ChartValues, ns: string): K8sObject[] {
  return [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta(v, ns, "default-deny", "network"),
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    },
  ];
}

export function dataStoreNetworkPolicy(
  v: ChartValues,
  ns: string,
  name: string,
  d: DataStoreValues,
): K8sObject[] {
  if (!d.enabled) return [];
  // The backup and restore Jobs of a PostgreSQL (objects-backup.ts) connect like its clients.
  const clients = [
    ...d.clients.flatMap((c) => [c, `${c}-migrations`]),
    ...(d.backup ? [`${name}-backup`, `${name}-restore`] : []),
  ];
  return [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta(v, ns, name, "database"),
      spec: {
        podSelector: { matchLabels: selectorLabels(v.global.app, name) },
        policyTypes: ["Ingress", "Egress"],
        ...(clients.length
          ? {
              ingress: [
                {
                  from: [
                    {
                      podSelector: {
                        matchLabels: { "app.kubernetes.io/part-of": v.global.app },
                        matchExpressions: [
                          { key: "app.kubernetes.io/name", operator: "In", values: clients },
                        ],
                      },
                    },
                  ],
                  ports: [tcp(d.port)],
                },
              ],
            }
          : {}),
        egress: [dnsEgress()],
      },
    },
  ];
}
