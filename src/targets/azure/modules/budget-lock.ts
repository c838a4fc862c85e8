// Modules that guard the environment: the monthly budget and the CanNotDelete lock of production.
import { binary, call, index, ref, ternary, type BicepFile } from "../../../format/bicep.js";
import { file, p, res } from "./kit.js";

export function budgetModule(): BicepFile {
  return file("Monthly cost budget of the resource group with notifications at each threshold.", {
    params: [
      p("name", "string", "Name of the budget."),
      p("amount", "int", "Monthly amount in the billing currency.", { minValue: 1 }),
      p("thresholds", "array", "Percentages of the amount that notify (80, 100); five at most.", {
        maxLength: 5,
      }),
      p("contactEmails", "array", "Addresses notified."),
      p("actionGroupIds", "array", "Action groups also notified (every channel of the environment)."),
      p("startDate", "string", "First day of the budget (first of a month, yyyy-MM-dd)."),
    ],
    vars: [],
    resources: [
      res("budget", "budget", {
        name: ref("name"),
        properties: {
          category: "Cost",
          amount: ref("amount"),
          timeGrain: "Monthly",
          timePeriod: { startDate: ref("startDate") },
          // A budget holds at most five notifications: one slot per threshold, unused slots disabled.
          notifications: Object.fromEntries(
            [0, 1, 2, 3, 4].map((k) => [
              `threshold${k + 1}`,
              {
                enabled: binary(">", call("length", ref("thresholds")), k),
                operator: "GreaterThanOrEqualTo",
                threshold: ternary(
                  binary(">", call("length", ref("thresholds")), k),
                  index(ref("thresholds"), k),
                  100,
                ),
                thresholdType: "Actual",
                contactEmails: ref("contactEmails"),
                contactGroups: ref("actionGroupIds"),
              },
            ]),
          ),
        },
      }),
    ],
    modules: [],
    outputs: [],
  });
}

export function resourceLockModule(): BicepFile {
  return file(
    "CanNotDelete lock on the resource group: nothing in it can be deleted until the lock is removed.",
    {
      params: [p("notes", "string", "Why the lock is there.")],
      vars: [],
      resources: [
        res("lock", "lock", {
          name: "do-not-delete",
          properties: { level: "CanNotDelete", notes: ref("notes") },
        }),
      ],
      modules: [],
      outputs: [],
    },
  );
}
