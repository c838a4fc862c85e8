// The keys of the app's Secret (targets.kubernetes.secret_name, default app-secrets). Each name in a
// service's `secrets` is a key of its own (upper case, as the spec requires); everything else is one
// lower-case key per resource and part that the chart cannot know (`postgres-db-url`,
// `redis-cache-password`, `bucket-uploads-name`), plus the Kafka credentials Dapr reads and the SMTP
// relay. The two styles never collide. Each container maps the contract's names (DATABASE_URL, PGHOST,
// <NAME>_DATABASE_URL...) to these keys, so one key serves every workload whatever it calls the value.
import { envName } from "../../model/queries.js";
import type { ResourceRef } from "../../model/bindings.js";

/** The key of one part of a PostgreSQL, Redis or bucket: `postgres-db-url`. */
export const resourceKey = (kind: ResourceRef["kind"], name: string, part: string): string =>
  `${kind}-${name}-${part}`;

/** Redis as `host:port` in one value, as Dapr's state.redis reads it (`redisHost`). */
export const REDIS_ADDRESS = "address";

/** The broker Dapr's Kafka pub/sub reaches (SASL over TLS). */
export const KAFKA_KEYS = {
  brokers: "kafka-brokers",
  username: "kafka-username",
  password: "kafka-password",
} as const;

/** The SMTP relay of a workload that sends e-mail: a cluster runs no mail service of its own. */
export const SMTP_KEY = "smtp-url";
export const SMTP_VARIABLE = "SMTP_URL";

/**
 * The variable that carries a key into a container only so that Kubernetes can compose another value
 * from it (`$(GANTRY_REDIS_CACHE_PASSWORD)` in a Redis URL); GANTRY_ names are reserved in the spec.
 */
export const carrierName = (key: string): string => `GANTRY_${envName(key)}`;

/** A key as the operator's shell variable in the README's commands: postgres-db-url → $POSTGRES_DB_URL. */
export const shellVariable = (key: string): string => envName(key);
