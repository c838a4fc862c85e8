// The README of the generated DigitalOcean tree: the state bucket, the infrastructure, the cluster
// bootstrap and the app on the cluster, in that order.
import type { PostgresModel, RedisModel } from "../../model/types.js";
import type { SynthContext } from "../target.js";
import { mdTable, sh, type ReadmeSection, type StackReadme } from "../terraform/readme.js";
import { secretKeys } from "../kubernetes/readme-secrets.js";
import { shellVariable } from "../kubernetes/secret-keys.js";
import { kubernetesSettings } from "../kubernetes/settings.js";
import { buildValues } from "../kubernetes/values-environment.js";
import { APP_SECRET, terraformKeys } from "./app-secret.js";
import { doOptions, stateBucket, stateEndpoint, type DoShape } from "./shape.js";
import { DO_SIZES } from "./sizes.js";
import { DR_LINK } from "../runbook-dr.js";
import { costSection } from "../../cost/readme.js";
import { doAlertsSection } from "./readme-alerts.js";

export function doReadme(shape: DoShape, ctx: SynthContext): StackReadme {
  return {
    title: `${shape.app.name} on DigitalOcean`,
    intro: [
      "This tree creates the platform: a DOKS cluster, the container registry, managed databases that admit only the cluster, DNS and a project. The app runs on the cluster from the Kubernetes target's Helm chart (`gantry synth kubernetes`).",
    ],
    layout: [
      "- `versions.tf`, `backend.tf` (state in Spaces), `main.tf`, `variables.tf`, `outputs.tf`.",
      `- \`environments/<env>.tfvars\` and \`environments/<env>.s3.tfbackend\` for ${shape.envs.map((e) => e.environment.name).join(", ")}.`,
      `- ${DR_LINK}.`,
    ],
    sections: [
      { heading: "Per environment", blocks: [environmentTable(shape)] },
      costSection(shape.envs, "digitalocean"),
      stateBucketSection(shape),
      {
        heading: "2. The infrastructure",
        blocks: [
          sh([
            `cd ${ctx.outputs.digitalocean}`,
            "export DIGITALOCEAN_TOKEN=...   # a token with write scope, never committed",
            "tofu init -backend-config=environments/<env>.s3.tfbackend -reconfigure",
            "tofu plan -var-file=environments/<env>.tfvars -out=tfplan && tofu apply tfplan",
            'doctl kubernetes cluster kubeconfig save "$(tofu output -raw cluster_name)"',
          ]),
        ],
      },
      bootstrapSection(shape, ctx),
      appSection(shape, ctx),
      doAlertsSection(shape),
      {
        heading: "Operations",
        blocks: [
          "Runbooks, generated with this tree from the same spec: [operations/README.md](operations/README.md) (architecture, deploy and roll back, monitoring and the alert table, secrets and their rotation, troubleshooting, incident response).",
        ],
      },
    ],
    choices: [
      "- Database firewalls admit only the DOKS cluster (`k8s` rule); the databases have no public rule, and the cluster reaches them over the VPC.",
      "- Only one container registry exists per DigitalOcean account: the first environment creates it (`create_registry`), the others use it. The same holds for the DNS zone (`create_dns_zone`).",
      "- PostgreSQL that runs in the cluster in an environment (`hosting: cluster`) is left out of that environment's tfvars.",
      ...(shape.hasTopics
        ? [
            "- Topics: DigitalOcean Managed Kafka with the spec's partitions and retention, dead-letter topics included; `targets.digitalocean.kafka: external` (per environment) creates no Kafka there, and the topics are created at that broker with the commands of the chart's README.",
          ]
        : []),
      "- Budgets: DigitalOcean has no budget API; set the billing alert in the control panel (Billing, Billing alerts) to the spec's monthly budget.",
      "- Request-level alerts (5xx rate, p95 latency, crash loops) are Prometheus rules in the chart; the node CPU and memory alerts, the database alerts and the uptime checks are DigitalOcean's, e-mailed and posted to Slack.",
    ],
  };
}

function environmentTable(shape: DoShape): string {
  return mdTable(
    ["environment", "nodes", "control plane", "managed PostgreSQL", "managed Redis"],
    shape.envs.map((e) => {
      const o = doOptions(e);
      const managed = (stores: Record<string, PostgresModel | RedisModel>) =>
        Object.values(stores)
          .filter((s) => s.hosting === "managed")
          .map((s) => `${s.name} (${DO_SIZES[s.size].database})`)
          .join(", ");
      return [
        e.environment.name,
        `${o.node_size}, ${o.nodes.min} to ${Math.max(o.nodes.min, o.nodes.max)} (autoscaling)`,
        e.environment.tier === "production" ? "HA" : "standard",
        managed(e.postgres) || "none (in the cluster)",
        managed(e.redis) || "none",
      ];
    }),
  );
}

function stateBucketSection(shape: DoShape): ReadmeSection {
  const bucket = stateBucket(shape.app);
  const endpoint = stateEndpoint(shape);
  return {
    heading: "1. Once: the state bucket",
    blocks: [
      "Create a Spaces bucket for the state with versioning on (Spaces keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY):",
      sh([
        `aws s3api create-bucket --bucket ${bucket} --endpoint-url ${endpoint}`,
        `aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled --endpoint-url ${endpoint}`,
      ]),
    ],
  };
}

function bootstrapSection(shape: DoShape, ctx: SynthContext): ReadmeSection {
  const ingress = shape.hasDns
    ? [
        "Plan and apply again: the infrastructure workflow reads that address from the cluster before each plan and passes it as `ingress_ip` (`TF_VAR_ingress_ip`), so the DNS records point the app's domains at the ingress and stay there. By hand, `export TF_VAR_ingress_ip=<address>` before `tofu plan`; never write it into the generated tfvars (the drift check rejects the edit, and an apply without it would delete the records).",
      ]
    : [];
  return {
    heading: "3. The cluster bootstrap (once per cluster)",
    blocks: [
      sh([
        `bash ${ctx.outputs.kubernetes}/cluster-bootstrap/install.sh`,
        "kubectl -n ingress-nginx get service ingress-nginx-controller -o jsonpath='{.status.loadBalancer.ingress[0].ip}'",
      ]),
      ...ingress,
    ],
  };
}

/**
 * The chart's Secret in each namespace, with the keys of what this stack manages read from its output
 * (after `tofu init` of that environment's state) and the others from the operator's shell; then the
 * chart itself.
 */
function appSection(shape: DoShape, ctx: SynthContext): ReadmeSection {
  const app = shape.app;
  const [k8s, dir] = [ctx.outputs.kubernetes, ctx.outputs.digitalocean];
  const secretName = kubernetesSettings(app).secret_name;
  const filled = shape.envs.some((e) => terraformKeys(e).size > 0);
  const lines = filled
    ? [`secret() { tofu -chdir=${dir} output -json ${APP_SECRET} | jq -r --arg key "$1" '.[$key]'; }`]
    : [];
  for (const e of shape.envs) {
    const keys = secretKeys(buildValues(e)).map((k) => k.key);
    const fromTofu = terraformKeys(e);
    if (keys.some((k) => fromTofu.has(k)))
      lines.push(
        `tofu -chdir=${dir} init -backend-config=environments/${e.environment.name}.s3.tfbackend -reconfigure`,
      );
    if (keys.length)
      lines.push(
        `kubectl -n ${e.environment.namespace} create secret generic ${secretName} \\`,
        ...keys.map(
          (k) => `  --from-literal=${k}="${fromTofu.has(k) ? `$(secret ${k})` : `$${shellVariable(k)}`}" \\`,
        ),
        "  --dry-run=client -o yaml | kubectl apply -f -",
      );
    lines.push(
      `helm upgrade --install ${app.name} ${k8s}/chart -f ${k8s}/chart/values-${e.environment.name}.yaml --namespace ${e.environment.namespace} --atomic --timeout 10m`,
    );
  }
  return {
    heading: "4. The app",
    blocks: [
      `Create the Secret the chart reads (\`${secretName}\`) in each namespace; \`${k8s}/README.md\` says what each key holds. The keys of the databases and buckets this stack manages come from its sensitive output \`${APP_SECRET}\` (read with \`jq\`), the others from your secret store, never from files in the repository:`,
      sh(lines),
      ...(shape.hasTopics
        ? [
            "The `kafka-brokers`, `kafka-username` and `kafka-password` keys are the connection details of the Kafka cluster (`tofu output kafka_host`, the user and password in the control panel), or of the broker you use instead.",
          ]
        : []),
      "Images are pushed to the registry (`tofu output -raw registry_endpoint`); the cluster pulls from it through registry integration.",
    ],
  };
}
