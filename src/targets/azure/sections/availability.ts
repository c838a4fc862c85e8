// Availability tests of the health endpoints from several regions, with an alert when they fail: the
// default host names of App Services and static sites, or on AKS the public URL of each http service
// with a domain and a health path.
import { seconds } from "../../../util/duration.js";
import { call, str, ternary, type BicepValue } from "../../../format/bicep.js";
import type { AppModel, ServiceModel } from "../../../model/types.js";
import { camel, slug } from "../names.js";
import { serviceNames, TEST_LOCATIONS } from "../decisions.js";
import { joinItems, type Ctx } from "./context.js";
import { ACTION_ARGS, ruleChannels } from "./alerts.js";
import { callModule, outputOf, param, type EnvParam, type Part } from "./part.js";

export function availabilityPart(c: Ctx, webTests: BicepValue[]): Partial<Part> {
  const cluster = c.compute === "aks" ? clusterHealthUrls(c) : [];
  const tests = [...webTests, ...cluster.map((t) => t.test)];
  if (!tests.length) return { params: cluster.map((t) => t.url) };
  const { envs } = c;
  const enabled = param(
    envs,
    "availabilityTests",
    "bool",
    "Run availability tests on the health endpoints.",
    (m) => m.monitoring.availability.enabled,
  );
  const frequency = param(envs, "availabilityFrequency", "int", "Seconds between availability tests.", (m) =>
    testFrequency(m.monitoring.availability.interval),
  );
  const locations = param(envs, "availabilityLocations", "array", "Regions the tests run from.", (m) =>
    TEST_LOCATIONS.slice(
      0,
      Math.min(TEST_LOCATIONS.length, Math.max(1, m.monitoring.availability.locations)),
    ),
  );
  const failures = param(
    envs,
    "availabilityFailures",
    "int",
    "Failing locations that raise the alert.",
    (m) => Math.min(m.monitoring.availability.failures, Math.max(1, m.monitoring.availability.locations)),
  );
  const notify = param(
    envs,
    "availabilityChannels",
    "array",
    "Channels told when a test fails: those of the spec's availability rules, else every channel.",
    availabilityChannels,
  );
  return {
    params: [...cluster.map((t) => t.url), enabled, frequency, locations, failures, notify],
    modules: [
      callModule(
        "webTests",
        "web-tests",
        "Availability tests of the health endpoints.",
        {
          tests: joinItems(tests),
          appInsightsId: outputOf("appInsights", "id"),
          frequency: frequency.ref,
          testLocations: locations.ref,
          failedLocations: failures.ref,
          notify: notify.ref,
          ...ACTION_ARGS,
          location: c.location,
          tags: c.tags,
        },
        { condition: enabled.ref },
      ),
    ],
  };
}

function availabilityChannels(m: AppModel): string[] {
  const rules = Object.values(m.monitoring.alerts).filter((a) => a.metric === "availability");
  return rules.length
    ? [...new Set(rules.flatMap((a) => ruleChannels(m, a)))].sort()
    : Object.keys(m.monitoring.channels).sort();
}

/** The test frequencies Application Insights offers (5, 10 or 15 minutes): the nearest at least as long. */
/** Application Insights runs a standard test every 300, 600 or 900 seconds: the nearest at or above. */
function testFrequency(interval: string): number {
  const n = seconds(interval);
  return !(n > 300) ? 300 : n <= 600 ? 600 : 900;
}

/**
 * The public URL of a service's health path on AKS, when the ingress routes it to that service. The
 * ingress passes the path on unchanged (no rewrite), so the URL's path is the health path itself, and
 * of the services on the host, the one with the longest path prefix that matches it gets the request:
 * a frontend at / whose health path is /api/health would be answered by the backend at /api.
 */
export function publicHealthUrl(m: AppModel, n: string, hp: string): string | undefined {
  const s = m.services[n];
  const host = s?.type === "http" ? s.domains[0] : undefined;
  if (!host) return undefined;
  const prefix = (p: string) => p.replace(/\/+$/, "");
  const routes = (x: ServiceModel) =>
    prefix(x.path) === "" || hp === prefix(x.path) || hp.startsWith(`${prefix(x.path)}/`);
  const onHost = Object.values(m.services).filter(
    (x): x is ServiceModel => x.type === "http" && x.domains.includes(host) && routes(x),
  );
  const routed = onHost.sort((a, b) => prefix(b.path).length - prefix(a.path).length)[0];
  return routed?.name === n ? `https://${host}${hp}` : undefined;
}

/** On AKS, a parameter per http service with a health path: its public health URL, '' without a domain. */
function clusterHealthUrls(c: Ctx): { url: EnvParam; test: BicepValue }[] {
  return serviceNames(c.project, (s) => s.type === "http").flatMap((n) => {
    const s0 = c.envs.map((m) => m.services[n]).find(Boolean) as ServiceModel;
    const hp = s0.health?.readiness ?? s0.health?.liveness;
    if (!hp) return [];
    const url = param(
      c.envs,
      `${camel(n)}HealthUrl`,
      "string",
      `Public health URL of ${n} ('' when it has no domain).`,
      (m: AppModel) => publicHealthUrl(m, n, hp) ?? "",
    );
    const test = ternary(
      call("empty", url.ref),
      [],
      [{ name: str`webtest-${c.appSlug}-${slug(n, 30)}-${c.code}`, url: url.ref }],
    );
    return [{ url, test }];
  });
}
