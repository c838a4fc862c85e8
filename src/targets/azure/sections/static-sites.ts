// Each static frontend as a Static Web App (in one of the few regions they run in), with its custom
// domain when Gantry manages the zone.
import { call, not, str, type BicepValue } from "../../../format/bicep.js";
import { camel, slug } from "../names.js";
import { boundIn, locationOf, staticWebAppLocation } from "../decisions.js";
import { itemWhere, managedZone, onlyWhere, presenceParam, staticOf, where, type Ctx } from "./context.js";
import { domainFields, domainRecords, publicHost } from "./domains.js";
import { callModule, field, joinParts, output, outputOf, param, paramGroup, type Part } from "./part.js";

export function staticSitesPart(c: Ctx): Partial<Part> {
  if (!c.statics.length) return {};
  const region = param(
    c.envs,
    "staticWebAppLocation",
    "string",
    "Region of the Static Web Apps (they run in a few regions only).",
    (m) => staticWebAppLocation(locationOf(m)),
  );
  return joinParts({ params: [region] }, ...c.statics.map((n) => staticSitePart(c, n, region.ref)));
}

function staticSitePart(c: Ctx, n: string, region: BicepValue): Partial<Part> {
  const id = camel(n);
  const enabled = presenceParam(c, n, "the Static Web App");
  const on = enabled?.ref;
  const config = paramGroup(
    c.envs,
    `${id}Config`,
    { name: "staticSiteConfig", description: "Per-environment settings of a Static Web App." },
    `Settings of ${n} in this environment.`,
    {
      staticSku: field("string", `Static Web Apps plan of ${n}.`, (m) =>
        m.environment.tier === "development" ? "Free" : "Standard",
      ),
      ...(managedZone(c) ? domainFields(n, (m) => boundIn(m, staticOf(m, n))) : {}),
    },
  );
  const webTest = {
    name: str`webtest-${c.appSlug}-${slug(n, 30)}-${c.code}`,
    url: str`https://${publicHost(outputOf(`${id}Site`, "defaultHostname"), config.fields.domain)}/`,
  };
  const site: Partial<Part> = {
    params: [config.param, ...(enabled ? [enabled] : [])],
    types: [config.type],
    modules: [
      callModule(
        `${id}Site`,
        "static-web-app",
        `Static Web App of ${n}.`,
        {
          name: str`stapp-${c.appSlug}-${slug(n, 18)}-${c.code}`,
          location: region,
          tags: c.tags,
          skuName: config.fields.staticSku,
        },
        onlyWhere(on),
      ),
    ],
    outputs: [
      output(
        `${id}StaticWebAppName`,
        "string",
        `Name of the Static Web App of ${n}.`,
        where(on, outputOf(`${id}Site`, "name"), ""),
      ),
    ],
    staticSites: [n],
    webTests: [itemWhere(on, webTest)],
  };
  const { domain, dnsRecord } = config.fields;
  return domain && dnsRecord ? joinParts(site, staticDomain(n, domain, dnsRecord)) : site;
}

function staticDomain(n: string, domain: BicepValue, record: BicepValue): Partial<Part> {
  const id = camel(n);
  return {
    ...domainRecords(record, outputOf(`${id}Site`, "defaultHostname")),
    domainModules: [
      callModule(
        `${id}Domain`,
        "static-web-app-domain",
        `Custom domain of ${n}.`,
        { siteName: outputOf(`${id}Site`, "name"), hostName: domain },
        { condition: not(call("empty", domain)), dependsOn: ["dnsRecords"] },
      ),
    ],
  };
}
