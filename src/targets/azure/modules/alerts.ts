// Modules of alerting: the action group, metric and log alerts over every (rule, service) pair, and the
// availability tests of the health endpoints.
import {
  binary,
  lambda,
  call,
  dynObject,
  forEach,
  index,
  member,
  ref,
  str,
  ternary,
  type BicepFile,
  type BicepValue,
} from "../../../format/bicep.js";
import { LOCATION, TAGS, file, location, out, p, res, tags } from "./kit.js";

/**
 * One action group per notification channel, so that each rule notifies only the channels it names
 * (a rule's actions list the groups of its channels). E-mail channels get e-mail receivers; Slack,
 * Teams and webhook channels a webhook receiver whose URL is a secure parameter read at deployment.
 */
export function actionGroupModule(): BicepFile {
  const ch = ref("ch");
  const url = index(ref("webhookUrls"), member(ch, "name"));
  return file("Action groups: who is told when an alert fires, one group per channel of the spec.", {
    params: [
      p("namePrefix", "string", "Name of each group: <namePrefix>-<channel>."),
      TAGS,
      p(
        "channels",
        "array",
        "Channels: {name, emails: [{name, address}]}; a channel with a webhook has its URL in webhookUrls.",
      ),
      p(
        "webhookUrls",
        "object",
        "Webhook URL of every channel by name ('' for none); the URLs are secrets.",
        { secure: true },
      ),
    ],
    vars: [],
    resources: [
      res(
        "group",
        "actionGroup",
        {
          name: str`${ref("namePrefix")}-${member(ch, "name")}`,
          location: "global",
          tags,
          properties: {
            // Shown in SMS and e-mail; 12 characters at most.
            groupShortName: call("take", member(ch, "name"), 12),
            enabled: true,
            // Bicep loops over one level of properties in a resource loop; deeper ones use map().
            emailReceivers: call(
              "map",
              member(ch, "emails"),
              lambda(["e"], {
                name: member(ref("e"), "name"),
                emailAddress: member(ref("e"), "address"),
                useCommonAlertSchema: true,
              }),
            ),
            webhookReceivers: ternary(
              call("empty", url),
              [],
              [{ name: member(ch, "name"), serviceUri: url, useCommonAlertSchema: true }],
            ),
          },
        },
        { loop: { item: "ch", over: ref("channels") } },
      ),
    ],
    modules: [],
    outputs: [
      out(
        "ids",
        "Resource ids of the groups, in the order of channels.",
        forEach("c", ref("channels"), member(index(ref("group"), ref("i")), "id"), { index: "i" }),
        "array",
      ),
    ],
  });
}

/** The action groups of a list of channel names (a rule's `channels`), each as `shape` writes it. */
const groupsOf = (channels: BicepValue, shape: (id: BicepValue) => BicepValue = (id) => id) =>
  call(
    "map",
    channels,
    lambda(["c"], shape(index(ref("actionGroupIds"), call("indexOf", ref("channelNames"), ref("c"))))),
  );
const ACTION_PARAMS = [
  p("actionGroupIds", "array", "Action groups of the channels, in the order of channelNames."),
  p("channelNames", "array", "Channel names, in the order of actionGroupIds."),
];

/** A loop over every (rule, target) pair: rule i / n, target i % n, skipped when the rule names other services. */
const pairs = () => ({
  over: call("range", 0, binary("*", call("length", ref("rules")), call("length", ref("targets")))),
  rule: index(ref("rules"), binary("/", ref("i"), call("length", ref("targets")))),
  target: index(ref("targets"), binary("%", ref("i"), call("length", ref("targets")))),
});
const appliesTo = (rule: BicepValue, target: BicepValue) =>
  binary(
    "||",
    call("empty", member(rule, "services")),
    call("contains", member(rule, "services"), member(target, "service")),
  );

export function metricAlertsModule(): BicepFile {
  const { over, rule, target } = pairs();
  return file(
    "Metric alerts (CPU, memory) for every rule and every target resource, sent to the action group.",
    {
      params: [
        p(
          "rules",
          "array",
          "Rules: {name, metric (cpu or memory), threshold, severity, windowSize, frequency, description, services ([] = all), channels}.",
        ),
        p("targets", "array", "Resources watched: {service, scope}."),
        p("metricNamespace", "string", "Metric namespace of the targets."),
        p("cpuMetric", "string", "Name of the CPU percentage metric."),
        p("memoryMetric", "string", "Name of the memory percentage metric."),
        ...ACTION_PARAMS,
        TAGS,
      ],
      vars: [],
      resources: [
        res(
          "alert",
          "metricAlert",
          {
            name: str`${member(rule, "name")}-${member(target, "service")}`,
            location: "global",
            tags,
            properties: {
              description: str`${member(target, "service")}: ${member(rule, "description")}`,
              severity: member(rule, "severity"),
              enabled: true,
              scopes: [member(target, "scope")],
              evaluationFrequency: member(rule, "frequency"),
              windowSize: member(rule, "windowSize"),
              autoMitigate: true,
              criteria: {
                "odata.type": "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                allOf: [
                  {
                    criterionType: "StaticThresholdCriterion",
                    name: "threshold",
                    metricNamespace: ref("metricNamespace"),
                    metricName: ternary(
                      binary("==", member(rule, "metric"), "cpu"),
                      ref("cpuMetric"),
                      ref("memoryMetric"),
                    ),
                    operator: "GreaterThan",
                    threshold: member(rule, "threshold"),
                    timeAggregation: "Average",
                  },
                ],
              },
              actions: groupsOf(member(rule, "channels"), (id) => ({ actionGroupId: id })),
            },
          },
          { loop: { item: "pair", index: "i", over }, condition: appliesTo(rule, target) },
        ),
      ],
      modules: [],
      outputs: [],
    },
  );
}

/**
 * Error-rate and p95-latency alerts of the App Services from their HTTP logs (AppServiceHTTPLogs:
 * status ScStatus, duration TimeTaken in ms; learn.microsoft.com/azure/azure-monitor/reference/tables/appservicehttplogs),
 * which App Service writes for every request whatever the app runs: containers are not
 * auto-instrumented, so Application Insights' requests would be empty for an app without its SDK.
 */
export function logAlertsModule(): BicepFile {
  const { over, rule, target } = pairs();
  const site = member(target, "resourceId");
  const logs = (summary: string) =>
    str`AppServiceHTTPLogs | where _ResourceId =~ '${site}' | summarize value = ${summary}`;
  return file("Log alerts on the App Services' HTTP logs (error rate, p95 latency) for every rule and app.", {
    params: [
      p(
        "rules",
        "array",
        "Rules: {name, metric (error_rate or latency_p95), threshold, severity, windowSize, frequency, description, services ([] = all), channels}.",
      ),
      p("targets", "array", "Apps watched: {service, resourceId} (the site's resource id)."),
      p("workspaceId", "string", "Log Analytics workspace the sites' HTTP logs go to."),
      ...ACTION_PARAMS,
      LOCATION,
      TAGS,
    ],
    vars: [],
    resources: [
      res(
        "alert",
        "logAlert",
        {
          name: str`${member(rule, "name")}-${member(target, "service")}`,
          location,
          tags,
          kind: "LogAlert",
          properties: {
            displayName: str`${member(rule, "name")}-${member(target, "service")}`,
            description: str`${member(target, "service")}: ${member(rule, "description")}`,
            severity: member(rule, "severity"),
            enabled: true,
            scopes: [ref("workspaceId")],
            evaluationFrequency: member(rule, "frequency"),
            windowSize: member(rule, "windowSize"),
            autoMitigate: true,
            criteria: {
              allOf: [
                {
                  query: ternary(
                    binary("==", member(rule, "metric"), "error_rate"),
                    logs("iff(count() == 0, 0.0, 100.0 * countif(ScStatus >= 500) / count())"),
                    logs("percentile(TimeTaken, 95)"),
                  ),
                  timeAggregation: "Maximum",
                  metricMeasureColumn: "value",
                  operator: "GreaterThan",
                  threshold: member(rule, "threshold"),
                  failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
                },
              ],
            },
            actions: { actionGroups: groupsOf(member(rule, "channels")) },
          },
        },
        { loop: { item: "pair", index: "i", over }, condition: appliesTo(rule, target) },
      ),
    ],
    modules: [],
    outputs: [],
  });
}

/**
 * Failed deployments of the environment: an Azure Resource Manager deployment into its resource group
 * (the infrastructure pipeline's) or a slot swap (the App Service release) that ended Failed, from the
 * Activity Log (operation names as Azure's resource provider operations list them).
 */
export function deploymentAlertsModule(): BicepFile {
  const leaf = (field: string, equals: string) => ({ field, equals });
  return file("Activity Log alert on failed deployments and slot swaps in the resource group.", {
    params: [
      p("name", "string", "Name of the alert."),
      p("notify", "array", "Channels told when a deployment fails."),
      ...ACTION_PARAMS,
      TAGS,
    ],
    vars: [],
    resources: [
      res("alert", "activityLogAlert", {
        name: ref("name"),
        location: "global",
        tags,
        properties: {
          description: "A deployment or a slot swap in this environment's resource group failed.",
          enabled: true,
          scopes: [member(call("resourceGroup"), "id")],
          condition: {
            allOf: [
              leaf("category", "Administrative"),
              leaf("status", "Failed"),
              {
                field: "operationName",
                containsAny: [
                  "Microsoft.Resources/deployments/write",
                  "Microsoft.Web/sites/slots/slotsswap/action",
                ],
              },
            ],
          },
          actions: { actionGroups: groupsOf(ref("notify"), (id) => ({ actionGroupId: id })) },
        },
      }),
    ],
    modules: [],
    outputs: [],
  });
}

export function webTestsModule(): BicepFile {
  const t = ref("t");
  return file(
    "Availability tests of the health endpoints from several regions, with an alert when they fail.",
    {
      params: [
        p("tests", "array", "Tests: {name, url}."),
        p("appInsightsId", "string", "Application Insights component that stores the results."),
        p("frequency", "int", "Seconds between tests.", { allowed: [300, 600, 900] }),
        p("testLocations", "array", "Test location ids (us-va-ash-azr...)."),
        p("failedLocations", "int", "Locations that must fail before the alert fires.", { minValue: 1 }),
        p("notify", "array", "Channels notified when a test fails."),
        ...ACTION_PARAMS,
        LOCATION,
        TAGS,
      ],
      vars: [],
      resources: [
        res(
          "test",
          "webTest",
          {
            name: member(t, "name"),
            location,
            // Application Insights lists a test only when it carries this hidden-link tag.
            tags: call("union", tags, dynObject([[str`hidden-link:${ref("appInsightsId")}`, "Resource"]])),
            kind: "standard",
            properties: {
              SyntheticMonitorId: member(t, "name"),
              Name: member(t, "name"),
              Enabled: true,
              Frequency: ref("frequency"),
              Timeout: 30,
              Kind: "standard",
              RetryEnabled: true,
              Locations: forEach("l", ref("testLocations"), { Id: ref("l") }),
              Request: { RequestUrl: member(t, "url"), HttpVerb: "GET", ParseDependentRequests: false },
              ValidationRules: {
                ExpectedHttpStatusCode: 200,
                SSLCheck: true,
                SSLCertRemainingLifetimeCheck: 7,
              },
            },
          },
          { loop: { item: "t", over: ref("tests") } },
        ),
        res(
          "availability",
          "metricAlert",
          {
            name: str`${member(t, "name")}-availability`,
            location: "global",
            tags,
            properties: {
              description: str`${member(t, "url")} failed from ${ref("failedLocations")} or more locations.`,
              severity: 1,
              enabled: true,
              scopes: [member(index(ref("test"), ref("i")), "id"), ref("appInsightsId")],
              evaluationFrequency: "PT1M",
              windowSize: "PT5M",
              criteria: {
                "odata.type": "Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria",
                webTestId: member(index(ref("test"), ref("i")), "id"),
                componentId: ref("appInsightsId"),
                failedLocationCount: ref("failedLocations"),
              },
              actions: groupsOf(ref("notify"), (id) => ({ actionGroupId: id })),
            },
          },
          { loop: { item: "t", index: "i", over: ref("tests") } },
        ),
      ],
      modules: [],
      outputs: [],
    },
  );
}
