// operations/disaster-recovery.md on DigitalOcean: a managed PostgreSQL is restored by forking it at a
// time of its last 7 days into a new cluster (`doctl databases fork --restore-from-cluster-id
// --restore-from-timestamp`, docs.digitalocean.com/reference/doctl/reference/databases/fork/), admitted
// to the DOKS cluster (`doctl databases firewalls append --rule k8s:<id>`), and the app is moved by
// the keys of the chart's Secret the README creates from this stack's `app_secret` output.
import type { AppModel, PostgresModel, RedisModel } from "../../model/types.js";
import { kubernetesSettings } from "../kubernetes/settings.js";
import { resourceKey } from "../kubernetes/secret-keys.js";
import { disasterRecoveryRunbook, type DrPlatform, type PostgresSteps } from "../runbook-dr.js";
import { sh } from "../runbook.js";
import { DO_BACKUP_DAYS, DO_POSTGRES } from "./recovery.js";
import { clusterName } from "./shape.js";

const dbName = (app: AppModel, store: string) => `${app.name}-${app.environment.name}-${store}`;
/** `NAME_ID=...`: a database cluster's ID from its name. */
const idOf = (variable: string, name: string) =>
  `${variable}=$(doctl databases list --format ID,Name --no-header | awk '$2 == "${name}" {print $1}')`;
const secretValue = (app: AppModel, key: string) =>
  `$(kubectl -n ${app.environment.namespace} get secret ${kubernetesSettings(app).secret_name} -o jsonpath='{.data.${key}}' | base64 -d)`;

/** Rewrites the host in the url and host keys of a store in the chart's Secret, then restarts the pods. */
function moveApp(
  app: AppModel,
  kind: "postgres" | "redis",
  store: string,
  from: string,
  to: string,
): string[] {
  const ns = app.environment.namespace;
  const url = resourceKey(kind, store, "url");
  const host = resourceKey(kind, store, "host");
  return [
    `OLD_HOST=$(doctl databases connection "${from}" --private --format Host --no-header)`,
    `NEW_HOST=$(doctl databases connection "${to}" --private --format Host --no-header)`,
    `OLD_URL=${secretValue(app, url)}`,
    `kubectl -n ${ns} patch secret ${kubernetesSettings(app).secret_name} --type merge -p "{\\"stringData\\":{\\"${url}\\":\\"\${OLD_URL/$OLD_HOST/$NEW_HOST}\\",\\"${host}\\":\\"$NEW_HOST\\"}}"`,
    `kubectl -n ${ns} rollout restart deployment`,
  ];
}

function postgres(app: AppModel, p: PostgresModel): PostgresSteps | undefined {
  if (p.hosting === "cluster") return undefined;
  const name = dbName(app, p.name);
  return {
    restore: [
      idOf("SOURCE_ID", name),
      `doctl databases fork ${name}-restored --restore-from-cluster-id "$SOURCE_ID" --restore-from-timestamp "$(date -u -d "$RESTORE_TIME" '+%Y-%m-%d %H:%M:%S +0000 UTC')" --wait`,
      idOf("RESTORED_ID", `${name}-restored`),
      `doctl databases firewalls append "$RESTORED_ID" --rule k8s:$(doctl kubernetes cluster get ${clusterName(app)} --format ID --no-header)`,
    ],
    urls: [
      "# Both clusters admit only the DOKS cluster: add your address to each for these checks, and remove it after (`doctl databases firewalls remove`).",
      `SOURCE_URL=$(doctl databases connection "$SOURCE_ID" --format URI --no-header)`,
      `RESTORED_URL=$(doctl databases connection "$RESTORED_ID" --format URI --no-header)`,
    ],
    repoint: [
      `The pods read the database from the keys \`${resourceKey("postgres", p.name, "url")}\` and \`${resourceKey("postgres", p.name, "host")}\` of the Secret \`${kubernetesSettings(app).secret_name}\`; a fork keeps the database's users and passwords. Move them to the restored cluster's private host and restart the pods:`,
      "",
      ...sh(moveApp(app, "postgres", p.name, "$SOURCE_ID", "$RESTORED_ID")),
    ],
    goBack: [
      "`tofu apply` keeps managing the original cluster, and the README's `kubectl create secret` command writes its values again. To keep the restored data under the generated names, stop the writers, copy it into the original cluster, point the app back and delete the restored cluster:",
      "",
      ...sh([
        'pg_dump --format=custom "$RESTORED_URL" > restored.dump',
        'pg_restore --clean --if-exists --no-owner --dbname "$SOURCE_URL" restored.dump',
        ...moveApp(app, "postgres", p.name, "$RESTORED_ID", "$SOURCE_ID"),
        'doctl databases delete "$RESTORED_ID" --force',
      ]),
    ],
  };
}

function redis(app: AppModel, r: RedisModel): string[] | undefined {
  if (r.hosting === "cluster") return undefined;
  const name = dbName(app, r.name);
  const head = `### Redis \`${r.name}\` (DigitalOcean Managed Valkey \`${name}\`)`;
  if (r.persistence === "none")
    return [
      head,
      "",
      "No persistence: after a loss the cache starts empty and the app fills it again from the database. Nothing to restore.",
      "",
    ];
  return [
    head,
    "",
    "Valkey clusters have no backups: a lost cluster's data is gone, and the app fills a new cache from the database. While the cluster still exists (a bad deploy filled it with wrong entries, a resize), a fork copies its latest data into a new cluster; move the app to it the same way:",
    "",
    ...sh([
      idOf("SOURCE_ID", name),
      `doctl databases fork ${name}-copy --restore-from-cluster-id "$SOURCE_ID" --wait`,
      idOf("COPY_ID", `${name}-copy`),
      `doctl databases firewalls append "$COPY_ID" --rule k8s:$(doctl kubernetes cluster get ${clusterName(app)} --format ID --no-header)`,
      ...moveApp(app, "redis", r.name, "$SOURCE_ID", "$COPY_ID"),
    ]),
  ];
}

const doDr: DrPlatform = {
  postgresService: DO_POSTGRES,
  intro: [
    `DigitalOcean backs up each PostgreSQL cluster by itself, daily with the write-ahead log, and keeps ${DO_BACKUP_DAYS} days in the cluster's region (no copy elsewhere: the loss of the region loses them). A fork restores them at any time of those days into a new cluster, with the same databases, users and passwords.`,
    "",
  ],
  retention: (_app, p) => (p.hosting === "managed" ? `${DO_BACKUP_DAYS} days` : undefined),
  noRetention: "none",
  postgres,
  redis,
};

/** operations/disaster-recovery.md's lines. */
export const doDisasterRecovery = (apps: readonly AppModel[]): string[] =>
  disasterRecoveryRunbook(apps, doDr);
