// Dapr objects: a service's topic Subscriptions and the Resiliency policy for their redeliveries,
// and the components (the Kafka pub/sub, idempotency state stores).
import { labels, meta, type K8sObject } from "./objects.js";
import type { ChartValues, DaprComponentValues, ServiceValues } from "./values.js";

export function subscriptions(v: ChartValues, ns: string, name: string, s: ServiceValues): K8sObject[] {
  if (!s.enabled) return [];
  return s.subscriptions.map((sub) => ({
    apiVersion: "dapr.io/v2alpha1",
    kind: "Subscription",
    // Labelled with the service: `<service>-<topic>` can be longer than a label value may be.
    metadata: { name: sub.name, namespace: ns, labels: labels(v.global.app, name, "events") },
    spec: {
      topic: sub.topic,
      routes: { default: sub.route },
      pubsubname: "pubsub",
      ...(sub.deadLetterTopic ? { deadLetterTopic: sub.deadLetterTopic } : {}),
    },
    scopes: [name],
  }));
}

/** Dapr retries a failed delivery this often (exponential back-off) before the dead-letter topic. */
export function resiliency(v: ChartValues, ns: string, name: string, s: ServiceValues): K8sObject[] {
  if (!s.enabled || !s.eventRetries) return [];
  return [
    {
      apiVersion: "dapr.io/v1alpha1",
      kind: "Resiliency",
      metadata: { name: `${name}-events`, namespace: ns, labels: labels(v.global.app, name, "events") },
      spec: {
        policies: {
          retries: { events: { policy: "exponential", maxInterval: "60s", maxRetries: s.eventRetries } },
        },
        targets: { components: { pubsub: { inbound: { retry: "events" } } } },
      },
      scopes: [name],
    },
  ];
}

export function daprComponent(v: ChartValues, ns: string, _key: string, c: DaprComponentValues): K8sObject[] {
  if (!c.enabled) return [];
  return [
    {
      apiVersion: "dapr.io/v1alpha1",
      kind: "Component",
      metadata: meta(v, ns, c.name, "events"),
      spec: { type: c.type, version: "v1", metadata: c.metadata },
      auth: { secretStore: "kubernetes" },
      scopes: c.scopes,
    },
  ];
}
