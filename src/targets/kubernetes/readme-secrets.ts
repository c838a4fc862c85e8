// The README's section on the app's Secret: how its keys are named, what each key of a namespace holds
// and reads it, and the `kubectl create secret` command that creates it (names only: the values come
// from the operator's shell). DigitalOcean's README prints the same keys, filled from its Terraform.
import { appDatabase } from "../../model/queries.js";
import type { AppModel } from "../../model/types.js";
import { REDIS_ADDRESS, KAFKA_KEYS, resourceKey, shellVariable, SMTP_KEY } from "./secret-keys.js";
import type { KubernetesSettings } from "./settings.js";
import { clusterPostgresUser, managedPorts, pgServiceName, POSTGRES_PORT } from "./values-datastores.js";
import { OFFSITE_KEYS } from "./objects-backup.js";
import type { ChartValues } from "./values.js";

export interface SecretKeyUse {
  key: string;
  /** Who reads it: services, data stores, Dapr components. */
  users: string[];
}

/** Every key of the app's Secret that the objects of one environment reference, sorted. */
export function secretKeys(v: ChartValues): SecretKeyUse[] {
  const uses = new Map<string, Set<string>>();
  const add = (key: string, user: string) => {
    const set = uses.get(key) ?? new Set<string>();
    set.add(user);
    uses.set(key, set);
  };
  for (const [name, w] of Object.entries(v.services))
    if (w.enabled) for (const e of w.secretEnv) add(e.key, name);
  for (const [name, d] of Object.entries(v.datastores)) {
    if (d.enabled) add(d.passwordKey, `${name} (in-cluster ${d.engine})`);
    if (d.enabled && d.backup?.offsite)
      for (const key of Object.values(OFFSITE_KEYS)) add(key, `${name}-backup (copy to recovery.offsite)`);
  }
  for (const c of Object.values(v.dapr)) {
    if (!c.enabled) continue;
    for (const m of c.metadata) if ("secretKeyRef" in m) add(m.secretKeyRef.key, `Dapr component ${c.name}`);
  }
  return [...uses.keys()].sort().map((key) => ({ key, users: [...uses.get(key)!].sort() }));
}

/** What the chart's own keys hold in one environment; a spec secret holds what the app expects. */
export function keyMeanings(app: AppModel, k8s: KubernetesSettings): Map<string, string> {
  const out = new Map<string, string>();
  const set = (kind: "postgres" | "redis" | "bucket", name: string, part: string, text: string) =>
    out.set(resourceKey(kind, name, part), text);
  for (const pg of Object.values(app.postgres)) {
    const db = appDatabase(pg);
    if (pg.hosting === "cluster") {
      const url = `postgresql://${clusterPostgresUser(app)}:PASSWORD@${pgServiceName(pg.name)}:${POSTGRES_PORT}/${db}`;
      set(
        "postgres",
        pg.name,
        "password",
        `the password the in-cluster PostgreSQL \`${pg.name}\` is created with: letters and digits only, as the chart puts it into URLs (\`openssl rand -hex 24\`)`,
      );
      set("postgres", pg.name, "url", `\`${url}\` with that password`);
      continue;
    }
    const port = managedPorts(k8s.provider, "postgres", true)[0]!;
    set(
      "postgres",
      pg.name,
      "url",
      `\`postgresql://USER:PASSWORD@HOST:${port}/${db}?sslmode=require\` of PostgreSQL \`${pg.name}\``,
    );
    set("postgres", pg.name, "host", `the host name of PostgreSQL \`${pg.name}\``);
    set("postgres", pg.name, "user", `the user the app connects to PostgreSQL \`${pg.name}\` as`);
    set("postgres", pg.name, "password", `the password of \`${resourceKey("postgres", pg.name, "user")}\``);
  }
  for (const r of Object.values(app.redis)) {
    if (r.hosting === "cluster") {
      set(
        "redis",
        r.name,
        "password",
        `the password the in-cluster Redis \`${r.name}\` is created with: letters and digits only, as the chart puts it into URLs (\`openssl rand -hex 24\`)`,
      );
      continue;
    }
    const port = managedPorts(k8s.provider, "redis", r.tls)[0]!;
    const scheme = r.tls ? "rediss" : "redis";
    set("redis", r.name, "url", `\`${scheme}://USER:PASSWORD@HOST:${port}\` of Redis \`${r.name}\``);
    set("redis", r.name, "host", `the host name of Redis \`${r.name}\``);
    set("redis", r.name, REDIS_ADDRESS, `\`HOST:${port}\` of Redis \`${r.name}\``);
    set("redis", r.name, "password", `the password of Redis \`${r.name}\``);
  }
  for (const b of Object.keys(app.buckets)) {
    set("bucket", b, "name", `the name of bucket \`${b}\``);
    set(
      "bucket",
      b,
      "url",
      `the URL of bucket \`${b}\` (\`https://NAME.REGION.digitaloceanspaces.com\`, \`s3://NAME\`...)`,
    );
  }
  out.set(KAFKA_KEYS.brokers, "the Kafka brokers, `HOST:PORT` separated by commas");
  out.set(KAFKA_KEYS.username, "the Kafka SASL user");
  out.set(KAFKA_KEYS.password, "the password of the Kafka SASL user");
  out.set(SMTP_KEY, "the SMTP relay the app sends e-mail through, `smtp://USER:PASSWORD@HOST:587`");
  return out;
}

/** How the keys are named, before the keys of each namespace. */
export const SECRET_SCHEME = [
  "Keys in upper case are the `secrets` of the spec. The lower-case keys are the chart's own, one per resource and part it cannot know: `postgres-<name>-url`, `-host`, `-user` and `-password` for a managed PostgreSQL, `redis-<name>-url`, `-host`, `-password` (and `-address`, `HOST:PORT`, for a Dapr state store) for a managed Redis, `bucket-<name>-name` and `-url`, `kafka-brokers`, `kafka-username` and `kafka-password` for Dapr's pub/sub, `smtp-url` for e-mail. A PostgreSQL or Redis that runs in the cluster (`hosting: cluster`) needs only its password (and PostgreSQL's URL where a Dapr state store reads it).",
  "",
  "Each container maps the names the app reads (`DATABASE_URL`, `PGHOST`, `<NAME>_DATABASE_URL`, `REDIS_URL`...) to these keys; what the chart knows (ports, database names, in-cluster hosts) it sets itself, and a URL that joins both is composed in the container. `gantry env <service> --target kubernetes` lists where each variable comes from.",
  "",
];

/** The keys of one namespace's Secret, and the commands that create it and the registry credentials. */
export function namespaceSecrets(a: AppModel, v: ChartValues, k8s: KubernetesSettings): string[] {
  const ns = a.environment.namespace;
  const keys = secretKeys(v);
  const meanings = keyMeanings(a, k8s);
  const lines = [`### ${a.environment.name} (namespace \`${ns}\`)`, ""];
  if (keys.length) {
    lines.push(
      "| key | holds | read by |",
      "| --- | --- | --- |",
      ...keys.map(
        (k) =>
          `| \`${k.key}\` | ${meanings.get(k.key) ?? "your secret of that name"} | ${k.users.join(", ")} |`,
      ),
      "",
    );
  }
  lines.push("```sh");
  if (keys.length) {
    lines.push(`kubectl -n ${ns} create secret generic ${k8s.secret_name} \\`);
    for (const k of keys) lines.push(`  --from-literal=${k.key}="$${shellVariable(k.key)}" \\`);
    lines.push("  --dry-run=client -o yaml | kubectl apply -f -");
  }
  lines.push(
    `kubectl -n ${ns} create secret docker-registry ${k8s.image_pull_secret} \\`,
    `  --docker-server=${k8s.registry.split("/")[0]} --docker-username="$REGISTRY_USERNAME" --docker-password="$REGISTRY_PASSWORD" \\`,
    "  --dry-run=client -o yaml | kubectl apply -f -",
    "```",
    "",
  );
  return lines;
}
