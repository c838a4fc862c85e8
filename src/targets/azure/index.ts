// The Azure target: Bicep modules, a subscription-scope main.bicep and one .bicepparam per
// environment, plus a runbook. Pure: the resolved models in, a file tree out. The typed Bicep files
// are built by ./main.ts from ./sections and ./modules; `buildAzure` is exported so that tests and
// the validator (src/validate/bicep-types.ts) check them before they are printed. What Azure cannot
// do as the spec asks is in ./findings.ts; what each app receives there, in ./supply.ts.
import { printBicep, printBicepParams } from "../../format/bicep.js";
import type { ProjectModel } from "../../model/types.js";
import type { FileTree, SynthContext, Target, TargetProblem } from "../target.js";
import { RELAY_CODE_PATH, RELAY_SOURCE } from "./alert-relay-code.js";
import { azureContract } from "./contract.js";
import { findings, limitProblems, notesOf } from "./findings.js";
import { buildAzure } from "./main.js";
import { renderReadme } from "./readme.js";
import { runbookTree } from "./runbook.js";
import { azureRecovery } from "./recovery.js";
import { environmentRegionProblems } from "../region.js";
import { recoveryProblems } from "../recovery.js";
import { AZURE_SIZE_COLUMNS } from "./sizes.js";
import { spaSites, staticConfigPath, staticWebAppConfig } from "./static-config.js";
import { AZURE_RULES, azureSystemChecks } from "./system-checks.js";

export { buildAzure };

export const azureTarget: Target = {
  sizeColumns: AZURE_SIZE_COLUMNS,
  name: "azure",
  description: "Bicep modules, main.bicep at subscription scope and a .bicepparam per environment",
  defaultOut: "infrastructure/azure",
  ownsOutput: true,
  contract: azureContract,
  rules: AZURE_RULES,
  systemChecks: azureSystemChecks,
  check(project: ProjectModel): TargetProblem[] {
    return [
      ...findings(project),
      ...limitProblems(project),
      ...recoveryProblems(project, azureRecovery),
      ...project.environments.flatMap((e) =>
        environmentRegionProblems(e, "azure-location", "azure.location"),
      ),
    ].map((f) => {
      const p: TargetProblem = { path: f.path, message: f.message };
      if (f.env) p.env = f.env;
      if (f.hint) p.hint = f.hint;
      if (f.severity) p.severity = f.severity;
      return p;
    });
  },
  render(project: ProjectModel, ctx: SynthContext): FileTree {
    const build = buildAzure(project);
    const tree: FileTree = {};
    for (const [path, f] of Object.entries(build.bicep)) tree[path] = printBicep(f);
    for (const [path, f] of Object.entries(build.params)) tree[path] = printBicepParams(f);
    for (const site of spaSites(project)) tree[staticConfigPath(site)] = staticWebAppConfig();
    // modules/alert-relay.bicep loads the relay's code from here (loadTextContent).
    if (build.facts.alertRelay) tree[RELAY_CODE_PATH] = RELAY_SOURCE;
    tree["README.md"] = renderReadme(project, build.facts, notesOf(project));
    Object.assign(tree, runbookTree(project, build.facts, ctx));
    return Object.fromEntries(Object.entries(tree).sort(([a], [b]) => a.localeCompare(b)));
  },
};
