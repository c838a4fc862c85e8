// The Dapr components of one environment: the Kafka pub/sub that every topic goes through, and a
// state store for each store a topic's idempotency names. Credentials only by reference to the app's
// Secret, never values.
import type { AppModel, TopicModel } from "../../model/types.js";
import type { ConnectionKeys } from "./settings.js";
import { PUBSUB_NAME, type ChartValues, type DaprComponentValues } from "./values.js";

type SecretRef = (key: string) => { secretKeyRef: { name: string; key: string } };

export function daprComponents(app: AppModel, secretName: string, keys: ConnectionKeys): ChartValues["dapr"] {
  const out: ChartValues["dapr"] = {};
  const topics = Object.values(app.topics);
  if (topics.length === 0) return out;
  const ref: SecretRef = (key) => ({ secretKeyRef: { name: secretName, key } });
  out[PUBSUB_NAME] = pubsubComponent(topics, ref, keys);
  for (const [store, scopes] of idempotencyStores(topics)) {
    const component = stateStore(app, store, scopes, ref, keys);
    if (component) out[component.name] = component;
  }
  return out;
}

function pubsubComponent(topics: TopicModel[], ref: SecretRef, keys: ConnectionKeys): DaprComponentValues {
  const scopes = [...new Set(topics.flatMap((t) => [...t.subscribers, ...t.publishers]))].sort();
  return {
    enabled: true,
    name: PUBSUB_NAME,
    type: "pubsub.kafka",
    metadata: [
      { name: "brokers", ...ref(keys.kafka.brokers) },
      { name: "authType", value: "password" },
      { name: "saslUsername", ...ref(keys.kafka.username) },
      { name: "saslPassword", ...ref(keys.kafka.password) },
      { name: "saslMechanism", value: "SHA-256" },
      { name: "disableTls", value: "false" },
      { name: "consumerGroup", value: "{appID}" },
      { name: "initialOffset", value: "oldest" },
    ],
    scopes,
  };
}

/** Each store named by a topic's idempotency (sorted), with the subscribers of those topics (sorted). */
function idempotencyStores(topics: TopicModel[]): [string, string[]][] {
  const stores = new Map<string, Set<string>>();
  for (const t of topics) {
    if (!t.idempotency) continue;
    const set = stores.get(t.idempotency.store) ?? new Set<string>();
    for (const s of t.subscribers) set.add(s);
    stores.set(t.idempotency.store, set);
  }
  return [...stores.keys()].sort().map((store) => [store, [...stores.get(store)!].sort()]);
}

/** The state store on a PostgreSQL or Redis entry; undefined when `store` names neither. */
function stateStore(
  app: AppModel,
  store: string,
  scopes: string[],
  ref: SecretRef,
  keys: ConnectionKeys,
): DaprComponentValues | undefined {
  const name = `idempotency-${store}`;
  if (app.postgres[store]) {
    return {
      enabled: true,
      name,
      type: "state.postgresql",
      metadata: [
        { name: "connectionString", ...ref(keys.byStore[store]!) },
        { name: "tableName", value: "dapr_idempotency" },
      ],
      scopes,
    };
  }
  if (app.redis[store]) {
    return {
      enabled: true,
      name,
      type: "state.redis",
      metadata: [
        { name: "redisHost", ...ref(keys.redisHost[store]!) },
        { name: "redisPassword", ...ref(keys.passwords[store]!) },
        {
          name: "enableTLS",
          value: String(app.redis[store].tls && app.redis[store].hosting !== "cluster"),
        },
      ],
      scopes,
    };
  }
  return undefined;
}
