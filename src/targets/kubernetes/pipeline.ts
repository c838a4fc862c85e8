// The Kubernetes platform's pieces of the GitHub pipelines, and the Helm rollout every platform
// that runs the chart shares (this one, DigitalOcean, Azure with AKS): each gives it a Cluster, the
// way its workflows reach an environment's cluster.
import type { AppModel, ProjectModel } from "../../model/types.js";
import { type Pipeline, smokeUrls } from "../github/pipeline.js";
import { REVISION } from "../github/rollback.js";
import { RUNNER, IMAGE_TAG, smokeStep } from "../github/steps.js";
import { action, checkout, run, type Job, type Step } from "../github/workflow.js";
import type { Cluster, DeploySteps, Platform, PlatformPipeline, Revision } from "../platform.js";
import type { SynthContext, TargetProblem } from "../target.js";
import { issuerTrusted, kubernetesSettings } from "./settings.js";
import { helmVerification } from "./verify.js";

const KUBECONFORM = "v0.8.0";

/** The Kubernetes version the manifests are checked against when the platform does not choose one. */
export const KUBERNETES_VERSION = "1.33";

const HELM_REVISION: Revision = {
  pattern: "^[0-9]+$",
  what: "a Helm revision number (see helm history)",
  description: "Helm revision to return to (empty: the previous release)",
};

/** The deployments the chart runs, one per service, worker and static frontend. */
export function deploymentNames(env: AppModel): string[] {
  return Object.values(env.services)
    .filter((s) => s.type !== "job")
    .map((s) => s.name);
}

/** The pieces of a platform's pipelines that the Helm rollout supplies. */
export type HelmRollout = Omit<PlatformPipeline, "registry" | "infrastructure">;

/**
 * The Helm rollout. Migrations need no step of their own: the chart runs them as a pre-install /
 * pre-upgrade hook Job in the new image, before any Deployment changes, and a failed migration
 * fails the upgrade (`--atomic` undoes a failed rollout; failed smoke tests roll back).
 */
export function helmRollout(project: ProjectModel, ctx: SynthContext, cluster: Cluster): HelmRollout {
  const chart = `${ctx.outputs.kubernetes}/chart`;
  const access = (p: Pipeline, env: AppModel): Step[] => [
    action("Set up Helm", "azure/setup-helm", { version: "v3.22.0" }),
    action("Set up kubectl", "azure/setup-kubectl", { version: "v1.33.4" }),
    ...cluster.access(p, env),
  ];
  return {
    staticImages: true,
    deploy: (p, env): DeploySteps => ({
      prepare: access(p, env),
      migrate: [],
      rollout: [
        upgrade(p, env, chart),
        smoke(env),
        run(
          "Roll back after failed smoke tests",
          'helm rollback "$RELEASE" --namespace "$NAMESPACE" --wait --timeout "$TIMEOUT"',
          {
            if: "failure() && steps.smoke.outcome == 'failure'",
            env: { RELEASE: p.app, NAMESPACE: env.environment.namespace, TIMEOUT: p.deployTimeout },
          },
        ),
      ],
    }),
    revision: HELM_REVISION,
    rollback: (p, env) => [...access(p, env), helmRollback(p, env), smoke(env)],
    prChecks: (p) => ({ "helm-chart": chartJob(p, chart, cluster.version) }),
    synthTargets: ["kubernetes"],
    settings: (p) => cluster.settings(p),
    problems: registryProblems(project),
    verification: helmVerification(access),
  };
}

/** The smoke tests of an environment, trusting its certificates only when its issuer's CA is trusted. */
function smoke(env: AppModel): Step {
  return smokeStep(smokeUrls(env), "Smoke tests", issuerTrusted(kubernetesSettings(env).tls_issuer));
}

function upgrade(p: Pipeline, env: AppModel, chart: string): Step {
  const lines = [
    'helm upgrade --install "$RELEASE" "$CHART" --namespace "$NAMESPACE" \\',
    '  --values "$CHART/values-$ENVIRONMENT.yaml" --set global.imageTag="$IMAGE_TAG" \\',
    '  --atomic --wait --timeout "$TIMEOUT" --history-max 10',
    ...deploymentNames(env).map(
      (d) => `kubectl rollout status deployment/${d} --namespace "$NAMESPACE" --timeout "$TIMEOUT"`,
    ),
  ];
  return run("Roll out with Helm", lines, {
    id: "rollout",
    env: {
      RELEASE: p.app,
      CHART: chart,
      NAMESPACE: env.environment.namespace,
      ENVIRONMENT: env.environment.name,
      IMAGE_TAG,
      TIMEOUT: p.deployTimeout,
    },
  });
}

function helmRollback(p: Pipeline, env: AppModel): Step {
  return run(
    "Roll back with Helm",
    [
      'helm history "$RELEASE" --namespace "$NAMESPACE" --max 10',
      "# An empty revision rolls back to the previous release.",
      "# shellcheck disable=SC2086 # REVISION is empty or a number",
      'helm rollback "$RELEASE" $REVISION --namespace "$NAMESPACE" --wait --timeout "$TIMEOUT"',
    ],
    {
      id: "rollout",
      env: { RELEASE: p.app, NAMESPACE: env.environment.namespace, TIMEOUT: p.deployTimeout, REVISION },
    },
  );
}

/** The pull request check of the chart: helm lint and kubeconform per environment, and the cluster bootstrap. */
function chartJob(p: Pipeline, chart: string, version: string): Job {
  const kubernetesVersion = /^\d+\.\d+$/.test(version) ? `${version}.0` : version;
  const kubeconform = `"$(go env GOPATH)/bin/kubeconform" -strict -summary -ignore-missing-schemas -kubernetes-version "$KUBERNETES_VERSION"`;
  const steps: Step[] = [
    checkout(),
    action("Set up Helm", "azure/setup-helm", { version: "v3.22.0" }),
    action("Set up Go (for kubeconform)", "actions/setup-go", { "go-version": "stable", cache: false }),
    run("Install kubeconform", `go install github.com/yannh/kubeconform/cmd/kubeconform@${KUBECONFORM}`),
    run(
      "Fetch chart dependencies",
      ['if [ -f "$CHART/Chart.lock" ]; then', '  helm dependency build "$CHART"', "fi"],
      { env: { CHART: chart } },
    ),
  ];
  for (const env of p.envs) {
    steps.push(
      run(
        `Lint and validate the chart for ${env.environment.name}`,
        [
          'helm lint "$CHART" --strict --values "$CHART/values-$ENVIRONMENT.yaml"',
          'helm template "$RELEASE" "$CHART" --namespace "$NAMESPACE" --values "$CHART/values-$ENVIRONMENT.yaml" \\',
          `  | ${kubeconform}`,
        ],
        {
          env: {
            CHART: chart,
            RELEASE: p.app,
            ENVIRONMENT: env.environment.name,
            NAMESPACE: env.environment.namespace,
            KUBERNETES_VERSION: kubernetesVersion,
          },
        },
      ),
    );
  }
  steps.push(
    run(
      "Validate the cluster bootstrap manifests",
      [
        'if [ -d "$BOOTSTRAP" ]; then',
        "  # values/ holds Helm values of the add-ons, not manifests.",
        '  find "$BOOTSTRAP" -name "*.yaml" -not -path "*/values/*" -print0 \\',
        `    | xargs -0 --no-run-if-empty ${kubeconform}`,
        "fi",
      ],
      {
        env: {
          BOOTSTRAP: chart.replace(/\/chart$/, "/cluster-bootstrap"),
          KUBERNETES_VERSION: kubernetesVersion,
        },
      },
    ),
  );
  return {
    name: "Helm chart: lint and kubeconform",
    "runs-on": RUNNER,
    permissions: { contents: "read" },
    "timeout-minutes": 15,
    steps,
  };
}

/** Without a registry the workflows push to GHCR, but the chart pulls from a local registry. */
function registryProblems(project: ProjectModel): TargetProblem[] {
  const first = project.environments[0];
  if (!first || first.targets.kubernetes?.registry || first.ci.repository) return [];
  return [
    {
      path: "ci",
      severity: "warning",
      message:
        "no image registry is set: the workflows push to ghcr.io/<owner>/<repo>, but the Helm chart pulls from a local registry",
      hint: "set ci.repository (owner/name) or targets.kubernetes.registry",
    },
  ];
}

/** Any cluster, reached with a kubeconfig kept as an environment secret. */
const KUBECONFIG_CLUSTER: Cluster = {
  access: () => [
    action("Set the Kubernetes context", "azure/k8s-set-context", {
      method: "kubeconfig",
      kubeconfig: "${{ secrets.KUBE_CONFIG }}",
    }),
  ],
  version: KUBERNETES_VERSION,
  settings: () => ({ variables: [], secrets: ["KUBE_CONFIG"] }),
};

export const kubernetesPlatform: Platform = {
  name: "kubernetes",
  configured: (base) => base.targets.kubernetes !== undefined,
  registries: [],
  pipeline(project, ctx) {
    const base = project.environments[0]!;
    const repository = base.ci.repository;
    return {
      ...helmRollout(project, ctx, KUBECONFIG_CLUSTER),
      registry:
        base.targets.kubernetes?.registry ??
        (repository ? `ghcr.io/${repository.toLowerCase()}` : "ghcr.io/${{ github.repository }}"),
    };
  },
};
