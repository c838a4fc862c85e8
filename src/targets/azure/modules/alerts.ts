// Modules of alerting: the action group, metric and log alerts over every (rule, service) pair, and the
// availability tests of the health endpoints.
import {
  binary,
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

export function actionGroupModule(): BicepFile {
  return file("Action group: who is told when an alert fires (email, Teams or other webhooks).", {
    params: [
      p("name", "string", "Name of the action group."),
      p("shortName", "string", "Short name shown in SMS and email (12 characters at most).", {
        maxLength: 12,
      }),
      TAGS,
      p("emailReceivers", "array", "Email receivers: {name, address}."),
      p(
        "webhooks",
        "object",
        "Webhook receivers ({receivers: [{name, serviceUri}]}); the URLs are secrets.",
        { secure: true },
      ),
    ],
    vars: [],
    resources: [
      res("group", "actionGroup", {
        name: ref("name"),
        location: "global",
        tags,
        properties: {
          groupShortName: ref("shortName"),
          enabled: true,
          emailReceivers: forEach("e", ref("emailReceivers"), {
            name: member(ref("e"), "name"),
            emailAddress: member(ref("e"), "address"),
            useCommonAlertSchema: true,
          }),
          webhookReceivers: forEach("w", member(ref("webhooks"), "receivers"), {
            name: member(ref("w"), "name"),
            serviceUri: member(ref("w"), "serviceUri"),
            useCommonAlertSchema: true,
          }),
        },
      }),
    ],
    modules: [],
    outputs: [out("id", "Resource id of the action group.", member(ref("group"), "id"))],
  });
}

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
          "Rules: {name, metric (cpu or memory), threshold, severity, windowSize, frequency, description, services ([] = all)}.",
        ),
        p("targets", "array", "Resources watched: {service, scope}."),
        p("metricNamespace", "string", "Metric namespace of the targets."),
        p("cpuMetric", "string", "Name of the CPU percentage metric."),
        p("memoryMetric", "string", "Name of the memory percentage metric."),
        p("actionGroupId", "string", "Action group notified."),
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
              actions: [{ actionGroupId: ref("actionGroupId") }],
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

export function logAlertsModule(): BicepFile {
  const { over, rule, target } = pairs();
  const role = member(target, "role");
  return file(
    "Log alerts on Application Insights requests (error rate, p95 latency) for every rule and service.",
    {
      params: [
        p(
          "rules",
          "array",
          "Rules: {name, metric (error_rate or latency_p95), threshold, severity, windowSize, frequency, description, services ([] = all)}.",
        ),
        p(
          "targets",
          "array",
          "Services watched: {service, role} (role: the cloud_RoleName of its telemetry).",
        ),
        p("appInsightsId", "string", "Application Insights component queried."),
        p("actionGroupId", "string", "Action group notified."),
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
              scopes: [ref("appInsightsId")],
              evaluationFrequency: member(rule, "frequency"),
              windowSize: member(rule, "windowSize"),
              autoMitigate: true,
              criteria: {
                allOf: [
                  {
                    query: ternary(
                      binary("==", member(rule, "metric"), "error_rate"),
                      str`requests | where cloud_RoleName == '${role}' | summarize value = iff(count() == 0, 0.0, 100.0 * countif(success == false) / count())`,
                      str`requests | where cloud_RoleName == '${role}' | summarize value = percentile(duration, 95)`,
                    ),
                    timeAggregation: "Maximum",
                    metricMeasureColumn: "value",
                    operator: "GreaterThan",
                    threshold: member(rule, "threshold"),
                    failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
                  },
                ],
              },
              actions: { actionGroups: [ref("actionGroupId")] },
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
        p("actionGroupId", "string", "Action group notified."),
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
              actions: [{ actionGroupId: ref("actionGroupId") }],
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
