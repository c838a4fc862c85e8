// infrastructure/digitalocean/operations/: the runbooks of this app on DigitalOcean, from the model:
// the DOKS cluster and namespace of each environment, the Helm release and Deployments on it, the
// managed databases (`<app>-<env>-<name>`, modules/database), the Secret the chart reads and the
// alert policies. Commands and flags as the doctl reference gives them (kubernetes cluster
// kubeconfig save, kubernetes cluster get, kubernetes cluster node-pool list, databases list,
// monitoring alert list, monitoring uptime list) and as Helm's and kubectl's.
import { doDisasterRecovery } from "./runbook-dr.js";
import type { AppModel } from "../../model/types.js";
import type { FileTree, SynthContext } from "../target.js";
import { INCIDENT_SEVERITIES, alertTable, sh } from "../runbook.js";
import {
  INCIDENT_RESPONSE,
  TROUBLESHOOTING,
  accessUrls,
  architectureLines,
  costTopic,
  operationsTree,
  type RunbookFile,
} from "../runbook-files.js";
import { DR_TOPIC } from "../runbook-dr.js";
import { secretKeys } from "../kubernetes/readme-secrets.js";
import { kubernetesSettings } from "../kubernetes/settings.js";
import { buildValues } from "../kubernetes/values-environment.js";
import { terraformKeys } from "./app-secret.js";
import { doDelivery } from "./readme-alerts.js";
import { clusterName, doOptions } from "./shape.js";

interface Env {
  app: AppModel;
  name: string;
  cluster: string;
  ns: string;
  deployments: string[];
}

const envOf = (app: AppModel): Env => ({
  app,
  name: `${app.name}-${app.environment.name}`,
  cluster: clusterName(app),
  ns: app.environment.namespace,
  deployments: Object.values(app.services)
    .filter((s) => s.type === "http" || s.type === "worker")
    .map((s) => s.name),
});

const first = (e: Env) => e.deployments[0] ?? "SERVICE";
const kubeconfig = (e: Env) => `doctl kubernetes cluster kubeconfig save ${e.cluster}`;

function deployAndRollback(envs: Env[], chartDir: string): string[] {
  return [
    "# Deploy, promote and roll back",
    "",
    "The pipelines deploy the Kubernetes target's chart onto each environment's DOKS cluster with Helm. An image is promoted by deploying the same `sha-<commit>` tag to the next environment. Infrastructure changes (cluster, databases, alerts) go through `tofu plan -var-file=environments/<env>.tfvars` (README.md).",
    "",
    ...envs.flatMap((e) => {
      const release = e.app.name;
      return [
        `## ${e.app.environment.name} (cluster \`${e.cluster}\`, namespace \`${e.ns}\`)`,
        "",
        ...sh([
          kubeconfig(e),
          `helm upgrade --install ${release} ${chartDir}/chart -f ${chartDir}/chart/values-${e.app.environment.name}.yaml --namespace ${e.ns} --set global.imageTag=sha-<commit> --atomic --timeout 10m`,
          `helm history ${release} --namespace ${e.ns}`,
          `helm rollback ${release} <REVISION> --namespace ${e.ns} --wait`,
        ]),
        "Emergency paths, when Helm is stuck or the pipeline unavailable (the next `helm upgrade` takes the Deployments back):",
        "",
        ...sh([
          `kubectl -n ${e.ns} rollout undo deployment/${first(e)}`,
          `kubectl -n ${e.ns} set image deployment/${first(e)} ${first(e)}=<image>:sha-<last-good-commit>`,
          `kubectl -n ${e.ns} rollout status deployment/${first(e)} --timeout=5m`,
        ]),
        `Deployments here: ${e.deployments.map((d) => `\`${d}\``).join(", ") || "none"}. More nodes than the autoscaler may add: raise the spec's \`targets.digitalocean.nodes.max\`, regenerate and apply.`,
        "",
      ];
    }),
  ];
}

/** How a channel is reached: DigitalOcean's own alerts, or the cluster's Alertmanager for the rest. */
const notified = (app: AppModel) => (c: string) => {
  const ch = app.monitoring.channels[c];
  if (!ch) return c;
  if (ch.type === "email" || ch.type === "slack") return doDelivery(app, c);
  return `${ch.type} through the cluster's Alertmanager (\`${ch.webhook_secret ?? ""}\`)`;
};

function monitoring(envs: Env[]): string[] {
  return [
    "# Monitoring",
    "",
    "Every rule below is a Prometheus rule in the cluster, routed by its Alertmanager to the rule's channels (the Kubernetes tree's operations/monitoring.md: Grafana, Prometheus, Alertmanager). DigitalOcean watches what runs beneath: the cpu and memory rules also alert on the nodes (the control panel's Insights graphs), each managed database alerts on its CPU (80 %), memory (90 %) and disk (85 %), and uptime checks request each public URL from four regions; these go to the e-mail and Slack channels.",
    "",
    ...envs.flatMap((e) => [
      `## ${e.app.environment.name}`,
      "",
      ...alertTable(e.app, notified(e.app)),
      "",
      "DigitalOcean's alert policies and uptime checks of the environment (named after it):",
      "",
      ...sh([
        `doctl monitoring alert list | grep ${e.name}`,
        `doctl monitoring uptime list --format ID,Name,Target | grep ${e.name}`,
      ]),
    ]),
  ];
}

function secrets(envs: Env[]): string[] {
  return [
    "# Secrets",
    "",
    "The app reads its secrets from the Secret the chart names, one per namespace (the Kubernetes tree's README says what each key holds). Pods read it when they start: after a rotation, restart what reads the key. The connection keys of the managed databases and buckets come from this stack's sensitive output `app_secret` (README.md, step 4); run that step again after a database's credentials change.",
    "",
    ...envs.flatMap((e) => {
      const secretName = kubernetesSettings(e.app).secret_name;
      const keys = secretKeys(buildValues(e.app));
      const fromTofu = terraformKeys(e.app);
      return [
        `## ${e.app.environment.name} (Secret \`${secretName}\` in \`${e.ns}\`)`,
        "",
        ...(keys.length
          ? [
              "| key | read by | value from |",
              "| --- | --- | --- |",
              ...keys.map(
                (k) =>
                  `| \`${k.key}\` | ${k.users.join(", ")} | ${fromTofu.has(k.key) ? "`app_secret` of this stack" : "your secret store"} |`,
              ),
              "",
            ]
          : []),
        "Rotate one key (the new value typed into your shell, never into a file):",
        "",
        ...sh([
          kubeconfig(e),
          "read -rs NEW_VALUE",
          `kubectl -n ${e.ns} patch secret ${secretName} --type merge -p "{\\"stringData\\":{\\"KEY\\":\\"$NEW_VALUE\\"}}"`,
          ...e.deployments.map((d) => `kubectl -n ${e.ns} rollout restart deployment/${d}`),
        ]),
      ];
    }),
  ];
}

function troubleshooting(envs: Env[]): string[] {
  return [
    "# Troubleshooting",
    "",
    ...envs.flatMap((e) => [
      `## ${e.app.environment.name} (${doOptions(e.app).region})`,
      "",
      ...sh([
        `doctl kubernetes cluster get ${e.cluster}`,
        `doctl kubernetes cluster node-pool list ${e.cluster}`,
        kubeconfig(e),
        `kubectl -n ${e.ns} get pods,deployments,hpa,ingress`,
        `kubectl -n ${e.ns} get events --sort-by=.lastTimestamp | tail -30`,
        `kubectl -n ${e.ns} logs deployment/${first(e)} --all-containers --since=15m`,
        `kubectl top nodes`,
        `doctl databases list --format ID,Name,Engine,Status | grep ${e.name}`,
      ]),
      "| symptom | look at |",
      "| --- | --- |",
      "| `Pending` pods | `kubectl describe pod`; the node pool at `max_nodes` (`node-pool list`) |",
      "| the app cannot reach a database | `doctl databases list` (status `online`), the database firewall admits the cluster (`doctl databases firewalls list <id>`), the Secret's connection keys |",
      "| `ImagePullBackOff` | the registry integration of the cluster and the image tag |",
      "| a database alert | the database's Insights graphs in the control panel; its size in `environments/<env>.tfvars` |",
      "",
    ]),
  ];
}

function incidentResponse(envs: Env[]): string[] {
  return [
    "# Incident response",
    "",
    ...INCIDENT_SEVERITIES,
    "",
    "1. Acknowledge in the channel the alert came to; silence duplicates in Alertmanager, never the alert itself.",
    "2. Roll back when the last deploy is a suspect (deploy-and-rollback.md): restoring service comes before finding the cause.",
    "3. Check the graphs and logs (monitoring.md), then troubleshooting.md for the environment.",
    "4. After: a short write-up with the timeline, the cause and the follow-ups.",
    "",
    "Access: the DigitalOcean control panel (the project of the environment) and `doctl auth init` with a token of the team; the cluster through `doctl kubernetes cluster kubeconfig save`. URLs:",
    "",
    ...accessUrls(envs.map((e) => e.app)),
    "",
  ];
}

/** The runbook topics of the DigitalOcean tree, in the index's order. */
function doRunbookTopics(apps: readonly AppModel[], ctx: SynthContext): RunbookFile[] {
  const envs = apps.map(envOf);
  return [
    {
      file: "architecture.md",
      what: "the services, data stores, topics and public routes of each environment",
      lines: architectureLines(
        apps,
        (app) =>
          `cluster ${clusterName(app)}, ${doOptions(app).region}, namespace ${app.environment.namespace}`,
      ),
    },
    {
      file: "deploy-and-rollback.md",
      what: "deploy, promote, roll back with Helm, and the emergency paths",
      lines: deployAndRollback(envs, ctx.outputs.kubernetes),
    },
    {
      file: "monitoring.md",
      what: "DigitalOcean's alert policies and uptime checks, and every alert with who it notifies",
      lines: monitoring(envs),
    },
    { file: "secrets.md", what: "every secret, who reads it, and how to rotate it", lines: secrets(envs) },
    { ...TROUBLESHOOTING, lines: troubleshooting(envs) },
    { ...INCIDENT_RESPONSE, lines: incidentResponse(envs) },
    { ...DR_TOPIC, lines: doDisasterRecovery(apps) },
    costTopic(apps, "digitalocean", "DigitalOcean"),
  ];
}

export function doRunbooks(apps: readonly AppModel[], ctx: SynthContext): FileTree {
  return operationsTree(
    `Operating ${apps[0]?.name ?? "the app"} on DigitalOcean`,
    "gantry synth digitalocean",
    doRunbookTopics(apps, ctx),
  );
}
