// The environment's workbook (../modules/workbook.ts) with the resources it charts: the plans, the
// cluster, the servers and caches Azure runs in the environment, its workspace and its budget.
import {
  binary,
  call,
  member,
  ref,
  str,
  ternary,
  type BicepExprNode,
  type BicepValue,
} from "../../../format/bicep.js";
import { camel } from "../names.js";
import { appCondition, storeCondition, storeNames, type Ctx } from "./context.js";
import { callModule, output, outputOf, type Part } from "./part.js";

/** The workbook's title in the portal: `<app> (<environment>)`, how the runbooks find it. */
const workbookTitle = (c: Ctx) => str`${c.project.name} (${c.environmentName})`;

/** Values some environments do not have, as one array (`on`: where the value exists; none: everywhere). */
function listOf(items: { on: BicepExprNode | undefined; value: BicepValue }[]): BicepValue {
  if (items.every((i) => !i.on)) return items.map((i) => i.value);
  return call("concat", ...items.map((i) => (i.on ? ternary(i.on, [i.value], []) : [i.value])));
}

export function workbookPart(c: Ctx): Partial<Part> {
  const aks = c.compute === "aks";
  const plans = c.apps.map((n) => ({ on: appCondition(c, n), value: outputOf(`${camel(n)}Plan`, "id") }));
  const ids = (kind: "postgres" | "redis", type: string) =>
    listOf(
      storeNames(c, kind).map((n) => ({
        on: storeCondition(c, kind, n),
        value: call(
          "resourceId",
          member(call("subscription"), "subscriptionId"),
          c.resourceGroupName,
          type,
          outputOf(`${camel(n)}${kind === "postgres" ? "Postgres" : "Redis"}`, "name"),
        ),
      })),
    );
  return {
    modules: [
      callModule("workbook", "workbook", "Azure Monitor workbook of the environment.", {
        displayName: workbookTitle(c),
        location: c.location,
        tags: c.tags,
        workspaceId: outputOf("logAnalytics", "id"),
        planIds: listOf(plans),
        clusterId: aks ? outputOf("aks", "id") : "",
        postgresIds: ids("postgres", "Microsoft.DBforPostgreSQL/flexibleServers"),
        redisIds: ids("redis", "Microsoft.Cache/redis"),
        // The budget module's own condition (./budget-lock.ts): an environment without one has none.
        budgetName: c.envs.some((m) => m.budget)
          ? ternary(binary(">", ref("budgetAmount"), 0), str`budget-${c.appSlug}-${c.code}`, "")
          : "",
      }),
    ],
    outputs: [
      output(
        "workbookId",
        "string",
        "Resource id of the environment's workbook.",
        outputOf("workbook", "id"),
      ),
    ],
  };
}
