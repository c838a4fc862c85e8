// What guards the environment: a monthly budget with notifications (where the spec sets one), and the
// CanNotDelete lock on production resource groups.
import { binary, call, ref, str } from "../../../format/bicep.js";
import type { Ctx } from "./context.js";
import { hasShared, sharedScope } from "./shared.js";
import { callModule, outputOf, param, type Part } from "./part.js";

export function budgetPart(c: Ctx): Partial<Part> {
  const { envs } = c;
  if (!envs.some((m) => m.budget)) return {};
  const amount = param(
    envs,
    "budgetAmount",
    "int",
    "Monthly budget in the billing currency (0: none).",
    (m) => Math.round(m.budget?.monthly_usd ?? 0),
  );
  const thresholds = param(envs, "budgetThresholds", "array", "Percentages of the budget that notify.", (m) =>
    [...(m.budget?.thresholds ?? [80, 100])].sort((a, b) => a - b),
  );
  const contacts = param(envs, "budgetContactEmails", "array", "Addresses told about the budget.", (m) => [
    ...(m.budget?.notify ?? []),
  ]);
  const startDate = {
    name: "budgetStartDate",
    type: "string",
    description: "First day of the budget; defaults to the first of this month.",
    default: call("utcNow", "yyyy-MM-01"),
  };
  return {
    params: [amount, thresholds, contacts],
    fixedParams: [startDate],
    modules: [
      callModule(
        "budget",
        "budget",
        "Monthly budget with notifications.",
        {
          name: str`budget-${c.appSlug}-${c.code}`,
          amount: amount.ref,
          thresholds: thresholds.ref,
          contactEmails: contacts.ref,
          actionGroupIds: outputOf("actionGroups", "ids"),
          startDate: ref(startDate.name),
        },
        { condition: binary(">", amount.ref, 0) },
      ),
    ],
  };
}

export function lockPart(c: Ctx): Partial<Part> {
  const enabled = param(
    c.envs,
    "enableLocks",
    "bool",
    "Lock the resource group against deletion (production).",
    (m) => m.environment.tier === "production" && (m.targets.azure?.locks ?? true),
  );
  return {
    params: [enabled],
    modules: [
      callModule(
        "lock",
        "resource-lock",
        "CanNotDelete lock on the production resource group.",
        {
          notes: str`Production resources of ${c.project.name}: remove this lock on purpose before deleting anything.`,
        },
        { condition: enabled.ref },
      ),
      // The shared group holds every environment's registry and zones: production's deployment locks it too.
      ...(hasShared(c)
        ? [
            callModule(
              "sharedLock",
              "resource-lock",
              "CanNotDelete lock on the shared resource group (registry, DNS zones).",
              {
                notes: `Resources every environment of ${c.project.name} uses: remove this lock on purpose before deleting anything.`,
              },
              { condition: enabled.ref, name: "lock-shared", scope: sharedScope },
            ),
          ]
        : []),
    ],
  };
}
