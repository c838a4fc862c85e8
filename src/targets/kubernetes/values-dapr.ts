// The Dapr components of one environment: the Kafka pub/sub that every topic goes through, and a
// state store for each store a topic's idempotency names. Credentials only by reference to the app's
// Secret, never values.
import type { AppModel, TopicModel } from "../../model/types.js";
import { redisAddress } from "./container-env.js";
import { KAFKA_KEYS, resourceKey } from "./secret-keys.js";
import { PUBSUB_COMPONENT } from "../../model/bindings.js";
import type { ChartValues, DaprComponentValues } from "./values.js";

type SecretRef = (key: string) => { secretKeyRef: { name: string; key: string } };

export function daprComponents(app: AppModel, secretName: string): ChartValues["dapr"] {
  const out: ChartValues["dapr"] = {};
  const topics = Object.values(app.topics);
  if (topics.length === 0) return out;
  const ref: SecretRef = (key) => ({ secretKeyRef: { name: secretName, key } });
  out[PUBSUB_COMPONENT] = pubsubComponent(topics, ref);
  for (const [store, scopes] of idempotencyStores(topics)) {
    const component = stateStore(app, store, scopes, ref);
    if (component) out[component.name] = component;
  }
  return out;
}

function pubsubComponent(topics: TopicModel[], ref: SecretRef): DaprComponentValues {
  const scopes = [...new Set(topics.flatMap((t) => [...t.subscribers, ...t.publishers]))].sort();
  return {
    enabled: true,
    name: PUBSUB_COMPONENT,
    type: "pubsub.kafka",
    metadata: [
      { name: "brokers", ...ref(KAFKA_KEYS.brokers) },
      { name: "authType", value: "password" },
      { name: "saslUsername", ...ref(KAFKA_KEYS.username) },
      { name: "saslPassword", ...ref(KAFKA_KEYS.password) },
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

/**
 * The state store on a PostgreSQL or Redis entry; undefined when `store` names neither. Dapr takes a
 * component's settings whole, a value or one key, so PostgreSQL's URL is read from its key even where
 * the server runs in the cluster.
 */
function stateStore(
  app: AppModel,
  store: string,
  scopes: string[],
  ref: SecretRef,
): DaprComponentValues | undefined {
  const name = `idempotency-${store}`;
  if (app.postgres[store]) {
    return {
      enabled: true,
      name,
      type: "state.postgresql",
      metadata: [
        { name: "connectionString", ...ref(resourceKey("postgres", store, "url")) },
        { name: "tableName", value: "dapr_idempotency" },
      ],
      scopes,
    };
  }
  if (app.redis[store]) {
    const address = redisAddress(app, store);
    return {
      enabled: true,
      name,
      type: "state.redis",
      metadata: [
        typeof address === "string"
          ? { name: "redisHost", value: address }
          : { name: "redisHost", ...ref(address.key) },
        { name: "redisPassword", ...ref(resourceKey("redis", store, "password")) },
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
