// Modules of Static Web Apps: the site of a static frontend and its custom domain.
import { member, ref, type BicepFile } from "../../../format/bicep.js";
import { TAGS, existing, file, location, out, p, res, tags } from "./kit.js";

export function staticWebAppModule(): BicepFile {
  return file("Static Web App for a static frontend (built and uploaded by the pipeline).", {
    params: [
      p("name", "string", "Name of the static web app.", { minLength: 1, maxLength: 40 }),
      p("location", "string", "Region (Static Web Apps run in a few regions only)."),
      TAGS,
      p("skuName", "string", "Free, or Standard (SLA, custom domains with more options).", {
        allowed: ["Free", "Standard"],
      }),
    ],
    vars: [],
    resources: [
      res("site", "staticSite", {
        name: ref("name"),
        location,
        tags,
        sku: { name: ref("skuName"), tier: ref("skuName") },
        properties: { allowConfigFileUpdates: true, stagingEnvironmentPolicy: "Enabled", provider: "None" },
      }),
    ],
    modules: [],
    outputs: [
      out("name", "Name of the static web app.", member(ref("site"), "name")),
      out("defaultHostname", "Default host name.", member(ref("site"), "properties", "defaultHostname")),
    ],
  });
}

export function staticWebAppDomainModule(): BicepFile {
  return file("Custom domain of a Static Web App, validated through its CNAME record.", {
    params: [
      p("siteName", "string", "Name of the static web app."),
      p("hostName", "string", "Custom host name (CNAME to the default host name)."),
    ],
    vars: [],
    resources: [
      existing("site", "staticSite", ref("siteName")),
      res(
        "domain",
        "staticSiteDomain",
        { name: ref("hostName"), properties: { validationMethod: "cname-delegation" } },
        { parent: "site" },
      ),
    ],
    modules: [],
    outputs: [],
  });
}
