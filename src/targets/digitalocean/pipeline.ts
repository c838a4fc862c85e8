// The DigitalOcean platform's pieces of the GitHub pipelines: the Kubernetes Helm rollout on the
// environment's DOKS cluster (reached with doctl), DigitalOcean Container Registry, and the OpenTofu
// stack with its state in Spaces.
import { KUBERNETES_VERSION, helmRollout } from "../kubernetes/pipeline.js";
import type { AppModel } from "../../model/types.js";
import type { Pipeline } from "../github/pipeline.js";
import { action, run, type Step } from "../github/workflow.js";
import { clusterName, doShape } from "./shape.js";
import type { Cluster, Platform, RegistryService } from "../platform.js";
import { joinSettings } from "../platform.js";
import { docrProvides } from "./registry-check.js";
import { doDrill } from "./pipeline-drill.js";
import { tofuCheckJob, tofuInfrastructure, type TofuStack } from "../terraform/pipeline.js";
import { channelInputs, type ChannelInputs } from "../terraform/values.js";

const TOKEN = "${{ secrets.DIGITALOCEAN_ACCESS_TOKEN }}";

const DOCR: RegistryService = {
  serves: (prefix) => prefix.split("/")[0] === "registry.digitalocean.com",
  login: () => ({
    steps: [
      action("Log in to DigitalOcean Container Registry", "docker/login-action", {
        registry: "registry.digitalocean.com",
        username: TOKEN,
        password: TOKEN,
      }),
    ],
    permissions: {},
  }),
  immutableTags: false,
  settings: () => ({ variables: [], secrets: ["DIGITALOCEAN_ACCESS_TOKEN"] }),
  provides: docrProvides,
};

/** The environment's DOKS cluster (`<app>-<env>` unless the spec names a shared one), with a short-lived kubeconfig from doctl. */
function doksCluster(version: string): Cluster {
  return {
    access: (p, env) => [
      action("Set up doctl", "digitalocean/action-doctl", { token: TOKEN }),
      run(
        "Get the cluster credentials",
        'doctl kubernetes cluster kubeconfig save --expiry-seconds 3600 "$CLUSTER"',
        { env: { CLUSTER: clusterName(env) } },
      ),
    ],
    version,
    settings: () => ({ variables: [], secrets: ["DIGITALOCEAN_ACCESS_TOKEN"] }),
  };
}

/**
 * The ingress load balancer's address as the stack's `ingress_ip` input, read from the environment's
 * cluster before each plan: the DNS records then follow the address without anyone editing a
 * generated tfvars file (which the drift check would reject, and an apply without the edit would
 * delete the records). Before the cluster or its ingress controller exists the input stays unset and
 * no record is planned.
 */
function ingressAddress(p: Pipeline, env: AppModel): Step[] {
  return [
    action("Set up doctl", "digitalocean/action-doctl", { token: TOKEN }),
    action("Set up kubectl", "azure/setup-kubectl", { version: "v1.33.4" }),
    run(
      "Read the ingress address",
      [
        'if doctl kubernetes cluster get "$CLUSTER" > /dev/null 2>&1; then',
        '  doctl kubernetes cluster kubeconfig save --expiry-seconds 600 "$CLUSTER"',
        "  ip=\"$(kubectl -n ingress-nginx get service ingress-nginx-controller --ignore-not-found -o jsonpath='{.status.loadBalancer.ingress[0].ip}')\"",
        '  if [ -n "$ip" ]; then echo "TF_VAR_ingress_ip=$ip" >> "$GITHUB_ENV"; fi',
        "fi",
      ],
      { env: { CLUSTER: clusterName(env) } },
    ),
  ];
}

/**
 * What DigitalOcean's Slack notifications need and no file holds: each Slack channel's webhook URL
 * (TF_VAR_alert_slack_urls) and the channel names from the variable ALERT_SLACK_CHANNELS.
 */
export const slackInputs = (envs: readonly AppModel[]): ChannelInputs =>
  channelInputs(
    envs,
    { types: ["slack"], input: "TF_VAR_alert_slack_urls" },
    { types: ["slack"], input: "TF_VAR_alert_slack_channels", variable: "ALERT_SLACK_CHANNELS" },
  );

export const digitaloceanPlatform: Platform = {
  name: "digitalocean",
  configured: (base) => base.targets.digitalocean !== undefined,
  registries: [DOCR],
  pipeline(project, ctx) {
    const base = project.environments[0]!;
    const version = base.targets.digitalocean?.kubernetes_version ?? KUBERNETES_VERSION;
    const helm = helmRollout(project, ctx, doksCluster(version));
    const slack = slackInputs(project.environments);
    // OpenTofu reads the API token and the Spaces keys of the state bucket from the environment.
    const stack: TofuStack = {
      dir: ctx.outputs.digitalocean,
      env: {
        DIGITALOCEAN_TOKEN: TOKEN,
        AWS_ACCESS_KEY_ID: "${{ secrets.SPACES_ACCESS_KEY_ID }}",
        AWS_SECRET_ACCESS_KEY: "${{ secrets.SPACES_SECRET_ACCESS_KEY }}",
        ...slack.env,
      },
      login: (p, env) => (env && doShape(project).hasDns ? ingressAddress(p, env) : []),
    };
    return {
      ...helm,
      registry: base.targets.kubernetes?.registry ?? `registry.digitalocean.com/${base.name}`,
      infrastructure: tofuInfrastructure(stack),
      prChecks: (p) => ({ ...helm.prChecks(p), opentofu: tofuCheckJob(p, stack) }),
      synthTargets: ["digitalocean", ...helm.synthTargets],
      drill: (_p, prod) => doDrill(prod),
      settings: (p) =>
        joinSettings(helm.settings(p), {
          variables: slack.variables,
          secrets: [
            "DIGITALOCEAN_ACCESS_TOKEN",
            "SPACES_ACCESS_KEY_ID",
            "SPACES_SECRET_ACCESS_KEY",
            ...slack.secrets,
          ],
        }),
    };
  },
};
