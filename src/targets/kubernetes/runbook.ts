// deploy/kubernetes/operations/: the runbooks of this app on a cluster, from the model and the chart's
// values, so that every command names a real namespace, release, Deployment, container and Secret.
// kube-prometheus-stack's objects are named after its release (kube-prometheus-stack-grafana, ...).
import { INCIDENT_RESPONSE, TROUBLESHOOTING, costTopic, operationsTree } from "../runbook-files.js";
import type { AppModel } from "../../model/types.js";
import { publicUrls } from "../../model/queries.js";
import type { FileTree } from "../target.js";
import { INCIDENT_SEVERITIES, alertTable, architectureDiagram, sh } from "../runbook.js";
import { ALERT_SECRET } from "./bootstrap-alertmanager.js";
import { secretKeys } from "./readme-secrets.js";
import type { KubernetesSettings } from "./settings.js";
import type { ChartValues } from "./values.js";
import { kubernetesDisasterRecovery } from "./runbook-dr.js";

interface Env {
  app: AppModel;
  v: ChartValues;
}

const STACK = "kube-prometheus-stack";
const deployments = (v: ChartValues) =>
  Object.entries(v.services)
    .filter(([, s]) => s.enabled && s.type !== "job")
    .map(([name]) => name);
const jobs = (v: ChartValues) =>
  Object.entries(v.services)
    .filter(([, s]) => s.enabled && s.type === "job")
    .map(([name]) => name);

function architecture(envs: Env[]): string[] {
  return [
    "# Architecture",
    "",
    ...envs.flatMap(({ app }) => [
      `## ${app.environment.name} (namespace \`${app.environment.namespace}\`, tier ${app.environment.tier})`,
      "",
      ...architectureDiagram(app),
      "",
    ]),
  ];
}

function deployAndRollback(envs: Env[]): string[] {
  const release = envs[0]!.app.name;
  return [
    "# Deploy, promote and roll back",
    "",
    "The pipelines run these; by hand, from this folder. An image is promoted by deploying the same `sha-<commit>` tag to the next environment.",
    "",
    ...envs.flatMap(({ app, v }) => {
      const ns = app.environment.namespace;
      const first = deployments(v)[0] ?? "SERVICE";
      return [
        `## ${app.environment.name}`,
        "",
        ...sh([
          `helm upgrade --install ${release} ./chart -f ./chart/values-${app.environment.name}.yaml --namespace ${ns} --set global.imageTag=sha-<commit> --atomic --timeout 10m --history-max 10`,
          `helm history ${release} --namespace ${ns}`,
          `helm rollback ${release} <REVISION> --namespace ${ns} --wait`,
        ]),
        "When Helm itself is stuck (`another operation is in progress`) or a release cannot be rolled back, the emergency paths act on the Deployments directly; the next `helm upgrade` puts them back under Helm:",
        "",
        ...sh([
          `kubectl -n ${ns} rollout undo deployment/${first}`,
          `kubectl -n ${ns} set image deployment/${first} ${first}=<image>:sha-<last-good-commit>`,
          `kubectl -n ${ns} rollout status deployment/${first} --timeout=5m`,
        ]),
        `Deployments here: ${
          deployments(v)
            .map((d) => `\`${d}\``)
            .join(", ") || "none"
        }${
          jobs(v).length
            ? `; CronJobs: ${jobs(v)
                .map((j) => `\`${j}\``)
                .join(", ")}`
            : ""
        }. A migration that failed leaves its hook Job: \`kubectl -n ${ns} logs job/<service>-migrations\`.`,
        "",
      ];
    }),
  ];
}

function monitoring(envs: Env[]): string[] {
  const notified = (app: AppModel) => (c: string) => {
    const ch = app.monitoring.channels[c];
    if (!ch) return c;
    if (ch.type === "email")
      return app.monitoring.smtp
        ? `e-mail ${ch.to.join(", ")}`
        : `**not delivered**: e-mail ${ch.to.join(", ")} needs \`monitoring.smtp\``;
    return `${ch.type} (\`${ch.webhook_secret ?? ""}\` in the Secret \`${ALERT_SECRET}\`)`;
  };
  return [
    "# Monitoring",
    "",
    "Grafana (dashboards, and Loki's logs under Explore), Prometheus and Alertmanager run in the `monitoring` namespace:",
    "",
    ...sh([
      `kubectl -n monitoring port-forward svc/${STACK}-grafana 3000:80        # http://localhost:3000`,
      `kubectl -n monitoring get secret ${STACK}-grafana -o jsonpath='{.data.admin-password}' | base64 -d`,
      `kubectl -n monitoring port-forward svc/${STACK}-prometheus 9090:9090   # alerts: http://localhost:9090/alerts`,
      `kubectl -n monitoring port-forward svc/${STACK}-alertmanager 9093:9093 # silences: http://localhost:9093`,
    ]),
    ...envs.flatMap(({ app, v }) => [
      `## ${app.environment.name}`,
      "",
      ...alertTable(app, notified(app)),
      "",
      `Logs in Grafana → Explore → Loki: \`{namespace="${app.environment.namespace}", container="${deployments(v)[0] ?? "SERVICE"}"}\`.`,
      "",
    ]),
  ];
}

function secrets(envs: Env[], k8s: KubernetesSettings): string[] {
  return [
    "# Secrets",
    "",
    `Each namespace's secrets are keys of the Secret \`${k8s.secret_name}\` (the README says what each holds and how it is created). Pods read them when they start: after a rotation, restart what reads the key.`,
    "",
    ...envs.flatMap(({ app, v }) => {
      const ns = app.environment.namespace;
      return [
        `## ${app.environment.name}`,
        "",
        "| key | read by |",
        "| --- | --- |",
        ...secretKeys(v).map((k) => `| \`${k.key}\` | ${k.users.join(", ")} |`),
        "",
        "Rotate one key (the new value in your shell, never in a file):",
        "",
        ...sh([
          `kubectl -n ${ns} patch secret ${k8s.secret_name} --type merge -p "{\\"stringData\\":{\\"KEY\\":\\"$NEW_VALUE\\"}}"`,
          ...deployments(v).map((d) => `kubectl -n ${ns} rollout restart deployment/${d}`),
        ]),
      ];
    }),
  ];
}

function troubleshooting(envs: Env[]): string[] {
  return [
    "# Troubleshooting",
    "",
    ...envs.flatMap(({ app, v }) => {
      const ns = app.environment.namespace;
      const d = deployments(v)[0] ?? "SERVICE";
      return [
        `## ${app.environment.name}`,
        "",
        ...sh([
          `kubectl -n ${ns} get pods,deployments,hpa,ingress`,
          `kubectl -n ${ns} get events --sort-by=.lastTimestamp | tail -30`,
          `kubectl -n ${ns} describe pod -l app.kubernetes.io/name=${d}`,
          `kubectl -n ${ns} logs deployment/${d} --all-containers --since=15m`,
          `kubectl -n ${ns} logs -l app.kubernetes.io/name=${d} --previous   # the crashed container's last run`,
          `kubectl -n ${ns} top pods`,
          `kubectl -n ${ns} get certificate,certificaterequest   # cert-manager: a host without a certificate`,
        ]),
        "| symptom | look at |",
        "| --- | --- |",
        "| `CrashLoopBackOff` | `logs --previous`; a missing Secret key shows as `CreateContainerConfigError` in `describe` |",
        "| `Pending` pods | `describe pod` (quota, requests, no node fits); `kubectl describe resourcequota -n " +
          ns +
          "` |",
        "| `ImagePullBackOff` | the registry credentials Secret and the image tag |",
        "| 502/503 at the ingress | readiness probes failing: `describe pod`, then the service's health path |",
        "| Helm `--atomic` rolled back | `helm history`, the hook Job's logs, `get events` |",
        "",
      ];
    }),
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
    "3. Check the dashboards and logs (monitoring.md), then troubleshooting.md for the environment.",
    "4. After: a short write-up with the timeline, the cause and the follow-ups.",
    "",
    "Access and URLs:",
    "",
    ...envs.flatMap(({ app, v }) =>
      Object.entries(v.services).flatMap(([name, s]) =>
        s.enabled && s.type !== "job" && s.ingress.hosts.length
          ? [`- ${app.environment.name} ${name}: ${publicUrls(s.ingress.hosts, s.ingress.path).join(", ")}`]
          : [],
      ),
    ),
    "",
  ];
}

/** The runbooks, one file per topic, and their index. */
export function runbookTree(
  apps: readonly AppModel[],
  values: readonly ChartValues[],
  k8s: KubernetesSettings,
): FileTree {
  const envs = apps.map((app, i) => ({ app, v: values[i]! }));
  return operationsTree(`Operating ${apps[0]?.name ?? "the app"} on Kubernetes`, "gantry synth kubernetes", [
    {
      file: "architecture.md",
      what: "the services, data stores, topics and public routes of each environment",
      lines: architecture(envs),
    },
    {
      file: "deploy-and-rollback.md",
      what: "deploy, promote, roll back, and the emergency paths",
      lines: deployAndRollback(envs),
    },
    {
      file: "monitoring.md",
      what: "Grafana, Prometheus, Alertmanager, logs, and every alert with who it notifies",
      lines: monitoring(envs),
    },
    {
      file: "secrets.md",
      what: "every Secret key, who reads it, and how to rotate it",
      lines: secrets(envs, k8s),
    },
    { ...TROUBLESHOOTING, lines: troubleshooting(envs) },
    { ...INCIDENT_RESPONSE, lines: incidentResponse(envs) },
    costTopic(apps, "kubernetes", "Kubernetes"),
    {
      file: "disaster-recovery.md",
      what: "the backups of each in-cluster database, restoring one, checking it and going back",
      lines: kubernetesDisasterRecovery(apps, values),
    },
  ]);
}
