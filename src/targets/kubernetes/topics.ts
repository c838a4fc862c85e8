// The Kafka topics an environment needs at its broker: the spec's topics and the dead-letter topic of
// each one a subscriber sends failed events to, under the one name the Dapr Subscriptions use.
import type { AppModel } from "../../model/types.js";

/** The dead-letter topic of a topic, as Dapr Subscriptions, the broker and the docs name it. */
export const deadLetterTopic = (topic: string): string => `${topic}-dead-letter`;

export interface BrokerTopic {
  name: string;
  partitions: number;
  replication: number;
  retention: string;
  /** The topic whose failed events this one keeps, for a dead-letter topic. */
  deadLetterOf?: string;
}

/** Every topic to create for one environment, sorted by name. */
export function brokerTopics(app: AppModel): BrokerTopic[] {
  const out = new Map<string, BrokerTopic>();
  for (const t of Object.values(app.topics)) {
    const { name, partitions, replication, retention } = t;
    out.set(name, { name, partitions, replication, retention });
    const deadLettered = Object.values(app.services).some(
      (s) => s.type !== "job" && s.type !== "static" && s.subscribes[name]?.dead_letter,
    );
    const dlq = deadLetterTopic(name);
    if (deadLettered) out.set(dlq, { name: dlq, partitions, replication, retention, deadLetterOf: name });
  }
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}
