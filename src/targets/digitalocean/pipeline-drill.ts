// Production's recovery drill on DigitalOcean (dr-drill.yml, ../github/drill.ts): each managed
// PostgreSQL of production forked as of the drill's start (`doctl databases fork
// --restore-from-timestamp`) into a temporary cluster named after the run, opened to the runner's
// address alone (`doctl databases firewalls append --rule ip_addr:`), checked over its admin
// connection, then deleted. Clusters have no scope below the account: the name marks the drill's.
import type { AppModel, PostgresModel } from "../../model/types.js";
import { appendTo } from "../github/steps.js";
import { action, run } from "../github/workflow.js";
import type { Drill } from "../platform.js";

const TOKEN = "${{ secrets.DIGITALOCEAN_ACCESS_TOKEN }}";

export function doDrill(prod: AppModel): Drill {
  const names = (store: PostgresModel) => ({
    SOURCE: `${prod.name}-${prod.environment.name}-${store.name}`,
    DRILL: `${prod.name}-${prod.environment.name}-${store.name}-drill-\${{ github.run_id }}`,
  });
  const idOf = (variable: string) =>
    `$(doctl databases list --format ID,Name --no-header | awk -v name="$${variable}" '$2 == name {print $1}')`;
  return {
    prepare: [action("Set up doctl", "digitalocean/action-doctl", { token: TOKEN })],
    scope: `a temporary cluster named ${prod.name}-${prod.environment.name}-<database>-drill-<run>`,
    restore: (store, urls) => [
      run(
        `Fork ${store.name} as of the drill's start`,
        [
          `source_id=${idOf("SOURCE")}`,
          `doctl databases fork "$DRILL" --restore-from-cluster-id "$source_id" --restore-from-timestamp "$(date -u -d "$STARTED_AT" '+%Y-%m-%d %H:%M:%S +0000 UTC')" --wait`,
          `drill_id=${idOf("DRILL")}`,
          "ip=$(curl --fail --silent --show-error https://checkip.amazonaws.com)",
          'doctl databases firewalls append "$drill_id" --rule "ip_addr:$ip"',
          'base=$(doctl databases connection "$drill_id" --format URI --no-header)',
          'echo "::add-mask::$base"',
          ...urls.map(
            ({ database, variable }) =>
              `${variable}=$(sed -E 's#/[^/?]*([?]|$)#/${database}\\1#' <<< "$base"); echo "::add-mask::$${variable}"`,
          ),
          ...appendTo(
            "GITHUB_ENV",
            urls.map(({ variable }) => `echo "${variable}=$${variable}"`),
          ),
        ],
        { env: names(store) },
      ),
    ],
    teardown: (store) => [
      run(
        `Delete the fork of ${store.name}`,
        [
          `drill_id=${idOf("DRILL")}`,
          'if [ -n "$drill_id" ]; then doctl databases delete "$drill_id" --force; fi',
        ],
        { env: names(store) },
      ),
    ],
    settings: { variables: [], secrets: ["DIGITALOCEAN_ACCESS_TOKEN"] },
  };
}
