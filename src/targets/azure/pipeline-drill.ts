// Production's recovery drill on Azure (dr-drill.yml, ../github/drill.ts): each Flexible Server of
// production restored as of the drill's start into a temporary server in a non-production resource
// group (`az postgres flexible-server restore` takes the source's resource ID across groups), given a
// fresh administrator password (the drill never reads production's secrets) and a firewall rule for
// the runner's address alone, then deleted. The deploying identity's Contributor role (README) covers
// reading the source server and creating and deleting the temporary one.
import type { AppModel, PostgresModel } from "../../model/types.js";
import type { Pipeline } from "../github/pipeline.js";
import { appendTo } from "../github/steps.js";
import { run } from "../github/workflow.js";
import type { Drill } from "../platform.js";
import { LOGIN_SETTINGS, azureLogin } from "./pipeline-steps.js";
import { slug } from "./names.js";
import { POSTGRES_PORT, postgresLogin } from "./supply.js";

/** The temporary servers' resource group: the first non-production environment's, else production's. */
const drillGroup = (p: Pipeline, prod: AppModel): string =>
  (p.envs.find((e) => e.environment.tier !== "production") ?? prod).environment.resource_group;

export function azureDrill(p: Pipeline, prod: AppModel): Drill {
  const group = drillGroup(p, prod);
  const server = (store: PostgresModel) => ({
    SOURCE_GROUP: prod.environment.resource_group,
    DRILL_GROUP: group,
    SOURCE_PREFIX: `psql-${slug(prod.name, 8)}-${slug(store.name, 20)}-`,
    DRILL_SERVER: `psql-${slug(prod.name, 8)}-${slug(store.name, 20)}-drill-\${{ github.run_id }}`,
  });
  return {
    prepare: [azureLogin()],
    scope: `the resource group ${group}`,
    restore: (store, urls) => [
      run(
        `Restore ${store.name} into ${group}`,
        [
          `source=$(az postgres flexible-server list --resource-group "$SOURCE_GROUP" --query "[?starts_with(name, '$SOURCE_PREFIX')].id | [0]" --output tsv)`,
          'az postgres flexible-server restore --resource-group "$DRILL_GROUP" --name "$DRILL_SERVER" --source-server "$source" --restore-time "$STARTED_AT" --output none',
          "password=$(openssl rand -hex 24)",
          'echo "::add-mask::$password"',
          'az postgres flexible-server update --resource-group "$DRILL_GROUP" --name "$DRILL_SERVER" --admin-password "$password" --output none',
          "ip=$(curl --fail --silent --show-error https://checkip.amazonaws.com)",
          'az postgres flexible-server firewall-rule create --resource-group "$DRILL_GROUP" --name "$DRILL_SERVER" --rule-name dr-drill-runner --start-ip-address "$ip" --end-ip-address "$ip" --output none',
          'host=$(az postgres flexible-server show --resource-group "$DRILL_GROUP" --name "$DRILL_SERVER" --query fullyQualifiedDomainName --output tsv)',
          ...urls.map(
            ({ database, variable }) =>
              `${variable}="postgresql://${postgresLogin(store.name)}:$password@$host:${POSTGRES_PORT}/${database}?sslmode=require"; echo "::add-mask::$${variable}"`,
          ),
          ...appendTo(
            "GITHUB_ENV",
            urls.map(({ variable }) => `echo "${variable}=$${variable}"`),
          ),
        ],
        { env: server(store) },
      ),
    ],
    teardown: (store) => [
      run(
        `Delete the restored ${store.name}`,
        [
          'if az postgres flexible-server show --resource-group "$DRILL_GROUP" --name "$DRILL_SERVER" --output none 2> /dev/null; then',
          '  az postgres flexible-server delete --resource-group "$DRILL_GROUP" --name "$DRILL_SERVER" --yes',
          "fi",
        ],
        { env: server(store) },
      ),
    ],
    settings: LOGIN_SETTINGS,
  };
}
