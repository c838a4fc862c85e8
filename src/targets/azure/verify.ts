// The checks after an App Service deploy: App Service and Static Web Apps issue the managed
// certificates themselves, so nothing waits for them. Only the App Service hosts are checked for the
// http:// redirect: each site has httpsOnly (modules/app-service.ts), which answers http:// with 301
// (learn.microsoft.com, Microsoft.Web/sites: "httpsOnly ... Issues redirect for http requests").
// Static Web Apps has no such setting in the generated files, so the README names its hosts as
// not checked.
import type { AppModel } from "../../model/types.js";
import type { Verification } from "../platform.js";

export const appServiceVerification: Verification = {
  certificates: () => [],
  trusted: () => true,
  redirects: (env: AppModel) =>
    [...new Set(Object.values(env.services).flatMap((s) => (s.type === "http" ? s.domains : [])))].sort(),
};
