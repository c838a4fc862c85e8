// The runbooks of running the app on Azure: monitoring (the workbook, Application Insights, logs and
// the alert table with each rule's action groups), secrets (each secret's vault, rotation and what
// must restart), troubleshooting commands, and incident response with access and URLs.
import { isService, isStatic, publicUrls } from "../../model/queries.js";
import type { AlertModel, AppModel } from "../../model/types.js";
import { INCIDENT_SEVERITIES, alertTable, sh } from "../runbook.js";
import type { AzureFacts } from "./main.js";
import { KAFKA_KEYS } from "../kubernetes/secret-keys.js";
import { kubernetesSettings } from "../kubernetes/settings.js";
import { relayMonitoring, relayRotation } from "./runbook-relay.js";
import { appNameLines, appVar, appsIn, byPrefix, fromOutput, type Env } from "./runbook-names.js";

const vault = (e: Env) => fromOutput(e.n, "VAULT", "keyVaultName");
const workspaceId = (e: Env) =>
  `WORKSPACE=$(az monitor log-analytics workspace show --resource-group ${e.n.resourceGroup} --workspace-name ${e.n.workspace} --query customerId --output tsv)`;

/** Who a channel's alerts reach on Azure: its action group, and the receiver in it. */
const notified = (e: Env) => (c: string) => {
  const ch = e.app.monitoring.channels[c];
  if (!ch) return c;
  const group = `action group \`${e.n.actionGroup(c)}\``;
  if (ch.type === "email") return `e-mail ${ch.to.join(", ")} (${group})`;
  const url = `webhook URL from \`${ch.webhook_secret ?? ""}\` at deployment`;
  return ch.type === "webhook"
    ? `webhook (${group}, ${url})`
    : `${ch.type} (${group}, through the alert relay \`${e.n.relayPrefix}…\`; ${url})`;
};

/** What evaluates the rules Azure Monitor does not (./findings-alerts.ts says why). */
const elsewhere =
  (facts: AzureFacts) =>
  (a: AlertModel): string | undefined => {
    const cluster = "the cluster's Prometheus and Alertmanager (deploy/kubernetes/operations/monitoring.md)";
    if (a.metric === "availability") return "the availability tests' alert (`availabilityChannels`)";
    if (facts.compute === "aks" && ["crash_loop", "error_rate", "latency_p95"].includes(a.metric))
      return cluster;
    if (a.metric === "crash_loop") return "**not an Azure alert**: App Service reports no restarts";
    return undefined;
  };

export function monitoring(facts: AzureFacts, envs: Env[]): string[] {
  return [
    "# Monitoring",
    "",
    "Each environment has a workbook in Azure Monitor (portal → Monitor → Workbooks, in its resource group): requests, 5xx ratio and p95 latency, CPU and memory, PostgreSQL and Redis, availability tests, deployments, and the month's spend against the budget. Its resource id is the deployment's output `workbookId`.",
    "",
    ...(facts.compute === "aks"
      ? [
          "On AKS the pods send Azure Monitor no request telemetry: error-rate and latency rules are evaluated by the cluster's Prometheus and sent by its Alertmanager (deploy/kubernetes/operations/monitoring.md); Azure Monitor alerts on the nodes' CPU and memory, the availability tests and failed deployments.",
          "",
        ]
      : []),
    ...envs.flatMap((e) => [
      `## ${e.app.environment.name}`,
      "",
      `Workbook "${e.n.workbook}", Application Insights \`${e.n.appInsights}\` (availability tests), Log Analytics \`${e.n.workspace}\` (logs).`,
      "",
      ...sh([
        fromOutput(e.n, "WORKBOOK", "workbookId"),
        'az resource show --ids "$WORKBOOK" --query properties.name --output tsv',
        workspaceId(e),
        ...(facts.compute === "aks"
          ? [
              `az monitor log-analytics query --workspace "$WORKSPACE" --analytics-query "KubePodInventory | where Namespace == '${e.app.environment.namespace}' | summarize restarts = max(ContainerRestartCount) by ControllerName" --timespan PT1H`,
            ]
          : [
              `az monitor log-analytics query --workspace "$WORKSPACE" --analytics-query "AppServiceHTTPLogs | summarize requests = count(), failed = countif(ScStatus >= 500), p95 = percentile(TimeTaken, 95) by CsHost" --timespan PT1H`,
            ]),
        `az monitor metrics alert list --resource-group ${e.n.resourceGroup} --output table`,
        `az monitor scheduled-query list --resource-group ${e.n.resourceGroup} --output table`,
      ]),
      "Alerts (each notifies the action groups of its channels; a failed deployment or slot swap notifies `" +
        e.n.deploymentAlert +
        "`'s channels):",
      "",
      ...alertTable(e.app, notified(e), elsewhere(facts)),
      "",
      ...relayMonitoring(e),
    ]),
  ];
}

export function secrets(facts: AzureFacts, envs: Env[]): string[] {
  const aks = facts.compute === "aks";
  return [
    "# Secrets",
    "",
    "Every secret lives in the environment's Key Vault (output `keyVaultName`); nothing is written into these files. Setting a secret needs **Key Vault Secrets Officer** on the vault.",
    "",
    aks
      ? "Pods read them from the namespace's Kubernetes Secret, which the Secrets Store CSI driver syncs from the vault (or you set): after a rotation, update the Secret's key and restart the Deployments that read it."
      : "Apps read them through Key Vault references, resolved when the app starts (and about every 24 hours): after a rotation, restart each app that reads the secret.",
    "",
    ...envs.flatMap((e) => [
      `## ${e.app.environment.name}`,
      "",
      "| secret | variable | read by |",
      "| --- | --- | --- |",
      ...facts.operatorSecrets.map((s) => `| \`${s.secret}\` | \`${s.envVar}\` | ${s.services.join(", ")} |`),
      ...facts.managedSecrets.map((s) => `| \`${s.secret}\` | (written by the deployment) | ${s.what} |`),
      "",
      ...(facts.operatorSecrets.length
        ? [
            "Rotate one (the new value in your shell, never in a file), then restart its readers:",
            "",
            ...sh([
              vault(e),
              ...(aks ? [] : appNameLines(facts, e)),
              ...facts.operatorSecrets.flatMap((s) => [
                `az keyvault secret set --vault-name "$VAULT" --name ${s.secret} --value "$${s.envVar}"`,
                ...(aks ? [secretPatch(e, s.envVar)] : []),
                ...restarts(facts, e, s.services),
              ]),
            ]),
          ]
        : []),
      "The deployment writes the connection secrets itself: rotating a database password is setting its deployment variable (below) and redeploying the infrastructure, which rewrites the secret; then restart the readers as above.",
      "",
    ]),
    ...relayRotation(envs),
    "Variables the deployment reads (pipeline secrets; never in a file):",
    "",
    ...facts.deployVariables.map(
      (v) => `- \`${v.name}\`${v.required ? "" : " (optional)"}: ${v.description}`,
    ),
    "",
  ];
}

/** The key of the chart's Secret that carries a variable (../kubernetes/secret-keys.ts): its own name, or the broker's keys. */
const KAFKA_KEY: Record<string, string> = {
  KAFKA_BROKERS: KAFKA_KEYS.brokers,
  KAFKA_USERNAME: KAFKA_KEYS.username,
  KAFKA_PASSWORD: KAFKA_KEYS.password,
};
const secretPatch = (e: Env, envVar: string) =>
  `kubectl --namespace ${e.app.environment.namespace} patch secret ${kubernetesSettings(e.app).secret_name} --type merge --patch "{\\"stringData\\":{\\"${KAFKA_KEY[envVar] ?? envVar}\\":\\"$${envVar}\\"}}"`;

/** The restart of each reader of a secret in an environment (apps that run there). */
function restarts(facts: AzureFacts, e: Env, services: string[]): string[] {
  if (facts.compute === "aks")
    return services
      .filter((s) => e.app.services[s] && e.app.services[s].type !== "job" && !isStatic(e.app.services[s]))
      .map((s) => `kubectl --namespace ${e.app.environment.namespace} rollout restart deployment/${s}`);
  const apps = new Set(appsIn(facts, e.app).map((s) => s.name));
  return services
    .filter((s) => apps.has(s))
    .map((s) => `az webapp restart --resource-group ${e.n.resourceGroup} --name "$${appVar(s)}"`);
}

export function troubleshooting(facts: AzureFacts, envs: Env[]): string[] {
  return [
    "# Troubleshooting",
    "",
    ...envs.flatMap((e) => {
      const rg = e.n.resourceGroup;
      const pg = Object.keys(e.app.postgres).filter(
        (p) => facts.compute !== "aks" || e.app.postgres[p]!.hosting !== "cluster",
      );
      const redis = Object.keys(e.app.redis).filter(
        (r) => facts.compute !== "aks" || e.app.redis[r]!.hosting !== "cluster",
      );
      return [
        `## ${e.app.environment.name}`,
        "",
        ...sh([
          `az resource list --resource-group ${rg} --output table`,
          `az monitor activity-log list --resource-group ${rg} --status Failed --offset 1d --output table`,
          ...(facts.compute === "aks" ? clusterCommands(e) : appCommands(facts, e)),
          ...pg.flatMap((p) => [
            byPrefix(e.n, "PG", "postgres flexible-server", e.n.postgresPrefix(p)),
            `az postgres flexible-server show --resource-group ${rg} --name "$PG" --query "{state: state, version: version, sku: sku.name}"`,
            `az postgres flexible-server restart --resource-group ${rg} --name "$PG"   # last resort: drops connections`,
          ]),
          ...redis.flatMap((r) => [
            byPrefix(e.n, "REDIS", "redis", e.n.redisPrefix(r)),
            `az redis show --resource-group ${rg} --name "$REDIS" --query "{state: provisioningState, sku: sku.name}"`,
          ]),
        ]),
        "| symptom | look at |",
        "| --- | --- |",
        ...(facts.compute === "aks"
          ? [
              "| pods in `CrashLoopBackOff` | `kubectl logs --previous`; a secret the CSI driver cannot read shows in `kubectl describe pod` |",
              "| `ImagePullBackOff` | the kubelet identity's AcrPull on the registry (`az aks check-acr`) |",
            ]
          : [
              "| 503 after a deploy | the container did not start: `az webapp log tail`, then the health check path |",
              "| a setting shows `@Microsoft.KeyVault(...)` | the secret is missing or the app's identity lacks Key Vault Secrets User; set it, then restart |",
              "| image pull failures | the app's identity needs AcrPull on the registry (the deployment grants it) |",
            ]),
        "| alerts fire but nobody hears | the action group's receivers: `az monitor action-group show` (a webhook channel whose secret was unset at deployment has none) |",
        "| slow queries | PostgreSQL `cpu_percent` and `active_connections` in the workbook |",
        "",
      ];
    }),
  ];
}

function appCommands(facts: AzureFacts, e: Env): string[] {
  const rg = e.n.resourceGroup;
  return [
    ...appNameLines(facts, e),
    ...appsIn(facts, e.app).flatMap((s) => [
      `az webapp show --resource-group ${rg} --name "$${appVar(s.name)}" --query "{state: state, image: siteConfig.linuxFxVersion, host: defaultHostName}"`,
      `az webapp log tail --resource-group ${rg} --name "$${appVar(s.name)}"`,
      `az monitor metrics list --resource "$(az appservice plan show --resource-group ${rg} --name ${e.n.plan(s.name)} --query id --output tsv)" --metric CpuPercentage MemoryPercentage --interval PT5M --output table`,
      `az webapp restart --resource-group ${rg} --name "$${appVar(s.name)}"`,
    ]),
  ];
}

function clusterCommands(e: Env): string[] {
  const ns = e.app.environment.namespace;
  return [
    `az aks get-credentials --resource-group ${e.n.resourceGroup} --name ${e.n.aks}`,
    `az aks show --resource-group ${e.n.resourceGroup} --name ${e.n.aks} --query "{state: provisioningState, power: powerState.code, version: kubernetesVersion}"`,
    `kubectl --namespace ${ns} get pods,deployments,hpa,ingress`,
    `kubectl --namespace ${ns} get events --sort-by=.lastTimestamp`,
    `kubectl top nodes`,
  ];
}

/** The public URLs of an environment's services: their domains, else App Service's default host name. */
function urls(facts: AzureFacts, app: AppModel): string[] {
  return Object.values(app.services).flatMap((s) => {
    if (!(isService(s) || isStatic(s))) return [];
    if (s.domains.length) return [`${s.name}: ${publicUrls(s.domains, s.path).join(", ")}`];
    return facts.appServices.includes(s.name)
      ? [`${s.name}: the App Service's default host name (\`az webapp show --query defaultHostName\`)`]
      : [];
  });
}

export function incidentResponse(facts: AzureFacts, envs: Env[]): string[] {
  return [
    "# Incident response",
    "",
    ...INCIDENT_SEVERITIES,
    "",
    "1. Acknowledge in the channel the alert came to.",
    "2. Roll back when the last deploy is a suspect (deploy-and-rollback.md): a slot swap back or `helm rollback` restores service before anyone finds the cause.",
    "3. Check the workbook and the logs (monitoring.md), then troubleshooting.md for the environment.",
    "4. After: a short write-up with the timeline, the cause and the follow-ups.",
    "",
    "Access: the Azure portal (or `az login`) with at least **Reader** on the resource group to look, **Contributor** to restart or roll back, **Key Vault Secrets Officer** on the vault to rotate secrets" +
      (facts.compute === "aks"
        ? ", and **Azure Kubernetes Service RBAC Writer** on the cluster for kubectl."
        : "."),
    "",
    ...envs.flatMap((e) => [
      `## ${e.app.environment.name} (resource group \`${e.n.resourceGroup}\`)`,
      "",
      ...urls(facts, e.app).map((u) => `- ${u}`),
      "",
    ]),
  ];
}
