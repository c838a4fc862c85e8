// operations/disaster-recovery.md on Azure: point-in-time and geo restores of each Flexible Server
// (`az postgres flexible-server restore` / `geo-restore`, learn.microsoft.com/cli/azure/postgres/flexible-server),
// a Premium cache's export and import (`az redis export` / `import`), and moving the app by the Key
// Vault secrets the deployment wrote. Server and vault names end in a per-subscription suffix, so the
// commands look them up in the environment's resource group by their generated prefix.
import type { AppModel, PostgresModel, RedisModel } from "../../model/types.js";
import { disasterRecoveryRunbook, type PostgresSteps } from "../runbook-dr.js";
import { sh } from "../runbook.js";
import { locationOf, redisSku } from "./decisions.js";
import { FLEXIBLE_SERVER, flexibleRetentionDays } from "./recovery.js";
import { byPrefix, fromOutput, type Env, type EnvNames } from "./runbook-names.js";
import { resourceSecret } from "./supply.js";

/** Azure's documented region pairs, where geo-redundant backups are restored (learn.microsoft.com/azure/reliability/cross-region-replication-azure). */
const PAIRED: Record<string, string> = {
  eastus: "westus",
  westus: "eastus",
  eastus2: "centralus",
  centralus: "eastus2",
  westus2: "westcentralus",
  westcentralus: "westus2",
  northcentralus: "southcentralus",
  southcentralus: "northcentralus",
  northeurope: "westeurope",
  westeurope: "northeurope",
  uksouth: "ukwest",
  ukwest: "uksouth",
  francecentral: "francesouth",
  germanywestcentral: "germanynorth",
  japaneast: "japanwest",
  japanwest: "japaneast",
  australiaeast: "australiasoutheast",
  australiasoutheast: "australiaeast",
  canadacentral: "canadaeast",
  canadaeast: "canadacentral",
};

/** Sets $SERVER to the environment's server of that PostgreSQL (its name ends in a generated suffix). */
const findServer = (n: EnvNames, p: PostgresModel) =>
  byPrefix(n, "SERVER", "postgres flexible-server", n.postgresPrefix(p.name));

function postgres(n: EnvNames, app: AppModel, p: PostgresModel): PostgresSteps | undefined {
  if (p.hosting === "cluster" && app.targets.azure?.compute === "aks") return undefined;
  const group = n.resourceGroup;
  const secret = (part: "url" | "host") => resourceSecret(app, { kind: "postgres", resource: p.name, part });
  const host = (server: string) =>
    `$(az postgres flexible-server show --resource-group ${group} --name "${server}" --query fullyQualifiedDomainName --output tsv)`;
  const restart =
    app.targets.azure?.compute === "aks"
      ? [`kubectl -n ${app.environment.namespace} rollout restart deployment`]
      : [
          `az webapp list --resource-group ${group} --query "[].name" --output tsv | xargs -n1 az webapp restart --resource-group ${group} --name`,
        ];
  const setSecrets = (from: string, to: string) => [
    fromOutput(n, "VAULT", "keyVaultName"),
    `OLD_HOST=${host(from)}`,
    `NEW_HOST=${host(to)}`,
    `az keyvault secret set --vault-name "$VAULT" --name ${secret("url")} --output none --value "$(az keyvault secret show --vault-name "$VAULT" --name ${secret("url")} --query value --output tsv | sed "s/$OLD_HOST/$NEW_HOST/")"`,
    `az keyvault secret set --vault-name "$VAULT" --name ${secret("host")} --output none --value "$NEW_HOST"`,
    ...restart,
  ];
  const paired = PAIRED[locationOf(app)];
  return {
    restore: [
      findServer(n, p),
      `az postgres flexible-server restore --resource-group ${group} --name "$SERVER-restored" --source-server "$SERVER" --restore-time "$RESTORE_TIME"`,
    ],
    urls: [
      fromOutput(n, "VAULT", "keyVaultName"),
      `SOURCE_URL=$(az keyvault secret show --vault-name "$VAULT" --name ${secret("url")} --query value --output tsv)`,
      `SOURCE_HOST=${host("$SERVER")}`,
      `RESTORED_HOST=${host("$SERVER-restored")}`,
      'RESTORED_URL="${SOURCE_URL/$SOURCE_HOST/$RESTORED_HOST}"',
      "# The servers admit Azure services only: let your address in for the checks, and remove the rule after (firewall-rule delete).",
      "MY_IP=$(curl --fail --silent --show-error https://checkip.amazonaws.com)",
      ...["$SERVER", "$SERVER-restored"].map(
        (server) =>
          `az postgres flexible-server firewall-rule create --resource-group ${group} --name "${server}" --rule-name dr-operator --start-ip-address "$MY_IP" --end-ip-address "$MY_IP" --output none`,
      ),
    ],
    repoint: [
      `The apps read the server from the Key Vault secrets \`${secret("url")}\` and \`${secret("host")}\`; the restored server has the same administrator and password. Rewrite them to the restored host and restart the apps so they read them again:`,
      "",
      ...sh(setSecrets("$SERVER", "$SERVER-restored")),
    ],
    goBack: [
      "Before the next deployment: it writes the secrets of the original server again (the Bicep stack knows only that one). To keep the restored data under the generated names, stop the writers, copy it back into the original server, then point the app back and delete the restored server:",
      "",
      ...sh([
        'pg_dump --format=custom "$RESTORED_URL" > restored.dump',
        'pg_restore --clean --if-exists --no-owner --dbname "$SOURCE_URL" restored.dump',
        ...setSecrets("$SERVER-restored", "$SERVER"),
        `az postgres flexible-server delete --resource-group ${group} --name "$SERVER-restored" --yes`,
      ]),
    ],
    ...(p.backups.geo_redundant
      ? {
          geo: [
            `Geo-restore recovers to the newest backup copied to the paired region, documented as up to an hour behind; it needs no access to ${locationOf(app)}.`,
            "",
            ...sh([
              findServer(n, p),
              `az postgres flexible-server geo-restore --resource-group ${group} --name "$SERVER-geo" --source-server "$SERVER" --location ${paired ?? `<the region paired with ${locationOf(app)}>`}`,
            ]),
            "If the resource group's region is down too, create the group in the paired region first and pass the source server's full resource ID (`az postgres flexible-server show ... --query id`).",
            "",
          ],
        }
      : {}),
  };
}

function redis(n: EnvNames, app: AppModel, r: RedisModel): string[] | undefined {
  if (r.hosting === "cluster" && app.targets.azure?.compute === "aks") return undefined;
  const group = n.resourceGroup;
  const find = byPrefix(n, "CACHE", "redis", n.redisPrefix(r.name));
  const head = `### Redis \`${r.name}\` (Azure Cache for Redis ${redisSku(r).name})`;
  if (r.persistence === "none")
    return [
      head,
      "",
      "No persistence: after a loss the cache starts empty and the app fills it again from the database. Nothing to restore; flush it after a database restore so no entry outlives the data it came from:",
      "",
      ...sh([find, `az redis force-reboot --resource-group ${group} --name "$CACHE" --reboot-type AllNodes`]),
    ];
  return [
    head,
    "",
    `Persistence ${r.persistence}: Azure reloads the ${r.persistence === "aof" ? "append-only file" : "newest RDB snapshot"} itself when a node is lost. To go back to an earlier state, or to copy the data to another cache, export it to a blob container and import it (Premium only). \`$CONTAINER_SAS_URL\` is a SAS URL of a container with read, write and list permission; \`$BLOB_SAS_URL\` the exported blob's.`,
    "",
    ...sh([
      find,
      `az redis export --resource-group ${group} --name "$CACHE" --prefix ${r.name}-$(date -u +%Y%m%dT%H%M) --container "$CONTAINER_SAS_URL"`,
      `az redis import --resource-group ${group} --name "$CACHE" --files "$BLOB_SAS_URL"`,
    ]),
  ];
}

/** operations/disaster-recovery.md's lines, with each environment's generated names. */
export function azureDisasterRecovery(envs: readonly Env[]): string[] {
  const names = new Map(envs.map((e) => [e.app.environment.name, e.n]));
  const of = (app: AppModel) => names.get(app.environment.name)!;
  return disasterRecoveryRunbook(
    envs.map((e) => e.app),
    {
      postgresService: FLEXIBLE_SERVER,
      intro: [
        "Flexible Server backs up each server by itself: a daily snapshot and the write-ahead log, archived when a WAL file fills (up to 15 minutes behind), kept for the retention above. A restore creates a new server in the same resource group from them, with the same administrator and password.",
        "",
      ],
      retention: (_app, p) =>
        `${flexibleRetentionDays(p)} days${p.backups.geo_redundant ? ", geo-redundant" : ""}`,
      noRetention: "none",
      postgres: (app, p) => postgres(of(app), app, p),
      redis: (app, r) => redis(of(app), app, r),
    },
  );
}
