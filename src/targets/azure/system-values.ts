// System checks of what each environment's files say: the values the spec gives an environment reach
// that environment's parameter file (its region, its DNS zone, each site's custom domain), and the
// availability tests probe the custom domains the deployment binds, so a broken record, binding or
// certificate alerts.
import { isService, isStatic } from "../../model/queries.js";
import type { ProjectModel } from "../../model/types.js";
import type { FileTree, RuleDoc, SystemFinding } from "../target.js";
import { readParamEntries, type Decl, type Known } from "./bicep-read.js";
import { deployed, type Deployment } from "./system-deployments.js";
import { boundDomain, computeOf, locationOf, zoneIn } from "./decisions.js";
import { camel } from "./names.js";

export const VALUE_RULES: readonly RuleDoc[] = [
  {
    id: "azure/env-values",
    title: "Each environment's region, DNS zone and custom domains reach its parameter file",
    severity: "error",
    why: "main.bicep is the same for every environment: a value the spec sets for one environment that its parameter file does not carry deploys another environment's value there (dev's domain bound in production, records written into the wrong zone, resources in the wrong region).",
    fix: "Regenerate with `gantry synth azure`; when the value is what Gantry wrote, report the spec that produced it.",
  },
  {
    id: "azure/probe-domain",
    title: "Availability tests probe the custom domain each environment binds",
    severity: "warning",
    why: "A test of the default host name (*.azurewebsites.net) stays green while the custom domain's record, binding or certificate is broken: users see the outage and no alert fires.",
    fix: "Regenerate with `gantry synth azure`: each site's test probes its custom domain where the environment has one.",
  },
];

export function valueChecks(
  project: ProjectModel,
  tree: FileTree,
  decls: Decl[],
  deployments: Deployment[],
): SystemFinding[] {
  return [...envValues(project, tree), ...probeDomains(decls, deployments)];
}

function envValues(project: ProjectModel, tree: FileTree): SystemFinding[] {
  const appservice = computeOf(project) === "appservice";
  return project.environments.flatMap((m) => {
    const env = m.environment.name;
    const file = `parameters/${env}.bicepparam`;
    const entries = readParamEntries(tree[file] ?? "");
    const expect = (key: string, value: Known, path: string): SystemFinding[] => {
      const e = entries.get(key);
      if (!e || e.value === value) return [];
      const has = JSON.stringify(e.value ?? null);
      return [
        {
          rule: "azure/env-values",
          env,
          message: `${key} is ${has} in ${file}, but the spec gives ${env} ${JSON.stringify(value)}`,
          hint: "regenerate with `gantry synth azure`",
          path,
          file,
          line: e.line,
        },
      ];
    };
    const sites = appservice ? Object.values(m.services).filter((s) => isService(s) || isStatic(s)) : [];
    return [
      ...expect(
        "location",
        locationOf(m),
        m.environment.region ? `environments.${env}.region` : "targets.azure.location",
      ),
      ...expect("dnsZoneName", zoneIn(m) ?? "", "dns.zone"),
      ...sites.flatMap((s) =>
        isService(s) || isStatic(s)
          ? expect(
              `${camel(s.name)}Config.domain`,
              boundDomain(m, s)?.domain ?? "",
              `services.${s.name}.domain`,
            )
          : [],
      ),
    ];
  });
}

const DOMAIN_MODULES = ["modules/app-service-domain.bicep", "modules/static-web-app-domain.bicep"];

/** Whether a bound site has something to probe: a static site's page, an app's health path. */
function probed(domain: Decl, decls: Decl[]): boolean {
  const site = /^(\w+)\.outputs\.name$/.exec(domain.params.get("siteName")?.text.trim() ?? "")?.[1];
  const app = decls.find((d) => d.symbol === site);
  return (
    app?.target !== "modules/app-service.bicep" || app.params.get("healthCheckPath")?.text.trim() !== "''"
  );
}

/** Every host name main.bicep binds, where there is something to probe, is the host of a test's URL. */
function probeDomains(decls: Decl[], deployments: Deployment[]): SystemFinding[] {
  const tests = decls.find((d) => d.kind === "module" && d.target === "modules/web-tests.bicep");
  if (!tests) return [];
  const urls = tests.params.get("tests")?.text ?? "";
  return (
    decls
      .filter((d) => d.kind === "module" && DOMAIN_MODULES.includes(d.target))
      // Bound in some environment (a domain module whose every environment has no domain binds nothing).
      .filter((d) => probed(d, decls) && deployments.some((dep) => deployed(d, dep) !== false))
      .flatMap((d): SystemFinding[] => {
        const host = d.params.get("hostName")?.text.trim();
        if (!host || new RegExp(`url: '[^']*\\$\\{[^}]*\\b${host.replace(/\./g, "\\.")}\\b`).test(urls))
          return [];
        return [
          {
            rule: "azure/probe-domain",
            message: `${d.symbol} binds ${host}, but no availability test probes it`,
            hint: "probe the custom domain where the environment has one",
            file: "main.bicep",
            line: tests.params.get("tests")?.line ?? tests.line,
          },
        ];
      })
  );
}
