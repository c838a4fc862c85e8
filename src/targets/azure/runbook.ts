// infrastructure/azure/operations/: the runbooks of this app on Azure, from the model and the facts
// of the Bicep build, so that every command names the real resource group, deployment, app, plan,
// vault, server, cache, cluster, workspace and action group (./runbook-names.ts). One file per topic;
// the index lists them (runbookTree: add an entry to add a runbook).
import { isService } from "../../model/queries.js";
import type { AppModel, ProjectModel } from "../../model/types.js";
import type { FileTree, SynthContext } from "../target.js";
import { architectureDiagram, sh } from "../runbook.js";
import { INCIDENT_RESPONSE, TROUBLESHOOTING, costTopic, operationsTree } from "../runbook-files.js";
import { DR_TOPIC } from "../runbook-dr.js";
import { azureDisasterRecovery } from "./runbook-dr.js";
import { hasSlot, locationOf } from "./decisions.js";
import type { AzureFacts } from "./main.js";
import { imageRepository } from "../kubernetes/settings.js";
import { camel } from "./names.js";
import {
  appNameLines,
  appVar,
  appsIn,
  envNames,
  fromOutput,
  type Env,
  type EnvNames,
} from "./runbook-names.js";
import { incidentResponse, monitoring, secrets, troubleshooting } from "./runbook-operate.js";

function architecture(project: ProjectModel, facts: AzureFacts, envs: Env[]): string[] {
  return [
    "# Architecture",
    "",
    facts.compute === "aks"
      ? "The services run on AKS with the Helm chart of `gantry synth kubernetes`; Azure holds the cluster, the data stores, Key Vault and monitoring."
      : "Each http service and worker is an App Service (Linux container) on its own plan; static sites are Static Web Apps.",
    "",
    ...envs.flatMap(({ app, n }) => [
      `## ${app.environment.name} (resource group \`${n.resourceGroup}\`, ${locationOf(app)}, tier ${app.environment.tier})`,
      "",
      ...architectureDiagram(app),
      "",
      "| resource | name |",
      "| --- | --- |",
      ...resourceRows(facts, app, n),
      "",
    ]),
  ];
}

function resourceRows(facts: AzureFacts, app: AppModel, n: EnvNames): string[] {
  const rows: [string, string][] = [
    ["Log Analytics workspace", n.workspace],
    ["Application Insights", n.appInsights],
    ["Key Vault", "output `keyVaultName`"],
    ["workbook", `"${n.workbook}"`],
  ];
  if (facts.compute === "aks") rows.push(["AKS cluster", n.aks], ["namespace", app.environment.namespace]);
  for (const s of appsIn(facts, app))
    rows.push(
      [`App Service plan of ${s.name}`, n.plan(s.name)],
      [
        `App Service ${s.name}`,
        `${n.appPrefix(s.name)}… (output \`${camel(s.name)}AppName\`)${hasSlot(app, s) ? ", slot `staging`" : ""}`,
      ],
    );
  for (const s of facts.staticSites.filter((x) => app.services[x]))
    rows.push([`Static Web App ${s}`, n.staticSite(s)]);
  for (const p of Object.keys(app.postgres)) rows.push([`PostgreSQL ${p}`, `${n.postgresPrefix(p)}…`]);
  for (const r of Object.keys(app.redis)) rows.push([`Redis ${r}`, `${n.redisPrefix(r)}…`]);
  for (const c of Object.keys(app.monitoring.channels).sort())
    rows.push([`action group of channel ${c}`, n.actionGroup(c)]);
  if (facts.alertRelay)
    rows.push(["alert relay of the Slack and Teams channels (Function App)", `${n.relayPrefix}…`]);
  if (app.budget) rows.push(["budget", n.budget]);
  return rows.map(
    ([what, name]) =>
      `| ${what} | ${name.startsWith("output") || name.includes("…") || name.startsWith('"') ? name : `\`${name}\``} |`,
  );
}

function deployAndRollback(project: ProjectModel, facts: AzureFacts, envs: Env[], chart: string): string[] {
  return [
    "# Deploy, promote and roll back",
    "",
    "The pipelines run these; by hand, from this folder, signed in with `az login`. An image is built once and promoted by deploying the same `sha-<commit>` tag to the next environment.",
    "",
    ...envs.flatMap((e) => [
      `## ${e.app.environment.name}`,
      "",
      "Infrastructure (preview, then apply):",
      "",
      ...sh([
        `az deployment sub what-if --name ${e.n.deployment} --location ${locationOf(e.app)} --template-file main.bicep --parameters parameters/${e.app.environment.name}.bicepparam`,
        `az deployment sub create --name ${e.n.deployment} --location ${locationOf(e.app)} --template-file main.bicep --parameters parameters/${e.app.environment.name}.bicepparam`,
      ]),
      ...(facts.compute === "aks" ? clusterRollout(project, e, chart) : appServiceRollout(project, facts, e)),
    ]),
  ];
}

function appServiceRollout(project: ProjectModel, facts: AzureFacts, e: Env): string[] {
  const apps = appsIn(facts, e.app);
  if (!apps.length) return [];
  // The registry the pipelines push to (./decisions.ts registryPlan): the spec's ACR, or Gantry's.
  const registry = facts.registry?.acr
    ? `REGISTRY=${facts.registry.acr}.azurecr.io`
    : fromOutput(e.n, "REGISTRY", "acrLoginServer");
  const rg = e.n.resourceGroup;
  return [
    "Release an image (with a slot: into `staging`, then swap; without: in place):",
    "",
    ...sh([
      ...appNameLines(facts, e),
      registry,
      ...apps.flatMap((s) => {
        const slot = hasSlot(e.app, s) ? " --slot staging" : "";
        return [
          `az webapp config container set --resource-group ${rg} --name "$${appVar(s.name)}"${slot} --container-image-name "${imageRepository(project.name, "$REGISTRY", s)}:sha-<commit>"`,
          ...(slot
            ? [
                `az webapp deployment slot swap --resource-group ${rg} --name "$${appVar(s.name)}" --slot staging --target-slot production`,
              ]
            : []),
        ];
      }),
    ]),
    apps.every((s) => hasSlot(e.app, s))
      ? "Roll back: after a swap the previous release is still in `staging`, so swapping again puts it back in seconds (the emergency path, no build):"
      : apps.some((s) => hasSlot(e.app, s))
        ? "Roll back: with a slot the previous release is still in `staging` after a swap, so swapping again puts it back in seconds (the emergency path, no build); without one, point the app at the last good image:"
        : "Roll back: point each app at the last good image (no slot here, so no swap back):",
    "",
    ...sh([
      ...appNameLines(facts, e),
      ...(apps.some((s) => !hasSlot(e.app, s)) ? [registry] : []),
      ...apps.flatMap((s) =>
        hasSlot(e.app, s)
          ? [
              `az webapp config show --resource-group ${rg} --name "$${appVar(s.name)}" --slot staging --query linuxFxVersion --output tsv   # the release a swap back restores`,
              `az webapp deployment slot swap --resource-group ${rg} --name "$${appVar(s.name)}" --slot staging --target-slot production`,
            ]
          : [
              `az webapp config set --resource-group ${rg} --name "$${appVar(s.name)}" --linux-fx-version "DOCKER|${imageRepository(project.name, "$REGISTRY", s)}:sha-<last-good-commit>"`,
            ],
      ),
    ]),
    "A failed pipeline deploy swaps back (or restores the previous image) itself; the `Rollback` workflow redeploys an earlier commit through the same path.",
    "",
  ];
}

function clusterRollout(project: ProjectModel, e: Env, chart: string): string[] {
  const ns = e.app.environment.namespace;
  const first = Object.values(e.app.services).find((s) => isService(s))?.name ?? project.name;
  return [
    "The services (Helm chart of `gantry synth kubernetes`, from the repository root):",
    "",
    ...sh([
      `az aks get-credentials --resource-group ${e.n.resourceGroup} --name ${e.n.aks}`,
      `helm upgrade --install ${project.name} ${chart} --namespace ${ns} --values ${chart}/values-${e.app.environment.name}.yaml --set global.imageTag=sha-<commit> --atomic --wait --timeout 10m --history-max 10`,
      `helm history ${project.name} --namespace ${ns}`,
      `helm rollback ${project.name} <REVISION> --namespace ${ns} --wait`,
    ]),
    "Emergency path when Helm is stuck or cannot roll back: act on the Deployment directly (the next `helm upgrade` takes it back):",
    "",
    ...sh([
      `kubectl --namespace ${ns} rollout undo deployment/${first}`,
      `kubectl --namespace ${ns} rollout status deployment/${first} --timeout=5m`,
    ]),
  ];
}

/** The runbooks, one file per topic, and their index (add an entry to add a runbook). */
export function runbookTree(project: ProjectModel, facts: AzureFacts, ctx: SynthContext): FileTree {
  const envs: Env[] = project.environments.map((app) => ({ app, n: envNames(project, app) }));
  return operationsTree(`Operating ${project.name} on Azure`, "gantry synth azure", [
    {
      file: "architecture.md",
      what: "the services, data stores, topics and public routes, and the Azure resources of each environment",
      lines: architecture(project, facts, envs),
    },
    {
      file: "deploy-and-rollback.md",
      what: "deploy, promote, roll back, and the emergency paths",
      lines: deployAndRollback(project, facts, envs, `${ctx.outputs.kubernetes}/chart`),
    },
    {
      file: "monitoring.md",
      what: "the workbook, Application Insights, logs, and every alert with who it notifies",
      lines: monitoring(facts, envs),
    },
    {
      file: "secrets.md",
      what: "every secret, its Key Vault, how to rotate it and what must restart",
      lines: secrets(facts, envs),
    },
    { ...TROUBLESHOOTING, lines: troubleshooting(facts, envs) },
    { ...INCIDENT_RESPONSE, lines: incidentResponse(facts, envs) },
    { ...DR_TOPIC, lines: azureDisasterRecovery(envs) },
    costTopic(project.environments, "azure", "Azure"),
  ]);
}
