// The Azure platform's pieces of the GitHub pipelines: the OIDC login, Azure Container Registry,
// the Bicep stack (what-if on pull requests and as the plan, `az deployment sub create` as the
// apply, with the parameter files' environment variables), and the deploy: the Kubernetes Helm
// rollout on AKS with `compute: aks`, else App Service (pipeline-appservice.ts).
import type { AppModel } from "../../model/types.js";
import { registryPlan } from "./decisions.js";
import { buildAzure } from "./main.js";
import type { DeployVariable } from "./sections/part.js";
import { helmRollout, KUBERNETES_VERSION } from "../kubernetes/pipeline.js";
import type { Pipeline } from "../github/pipeline.js";
import { IAC_REPORT, reportComment } from "../github/pr-checks.js";
import { SAME_REPO } from "../github/pr-comment.js";
import { RUNNER } from "../github/steps.js";
import { checkout, run, type Job, type Step } from "../github/workflow.js";
import type { CiSettings, Cluster, Infrastructure, Platform, RegistryService } from "../platform.js";
import { joinSettings } from "../platform.js";
import { appServicePipeline } from "./pipeline-appservice.js";
import {
  LOCATION_VARIABLE,
  LOGIN_SETTINGS,
  azureLocation,
  azureLogin,
  deploymentName,
  readOutputs,
} from "./pipeline-steps.js";
import { acrProvides } from "./registry-check.js";
import { azureDrill } from "./pipeline-drill.js";

const ACR_VARIABLE = "${{ vars.ACR_LOGIN_SERVER }}";

const ACR: RegistryService = {
  serves: (prefix) => {
    const host = prefix.split("/")[0] ?? "";
    return host === ACR_VARIABLE || host.endsWith(".azurecr.io");
  },
  login: (p) => ({
    steps: [
      azureLogin(),
      run(
        "Log in to Azure Container Registry",
        ['acr="${REGISTRY%%/*}"', 'az acr login --name "${acr%%.*}"'],
        { env: { REGISTRY: p.registry.prefix } },
      ),
    ],
    permissions: { "id-token": "write" },
  }),
  immutableTags: false,
  settings: (p) =>
    joinSettings(LOGIN_SETTINGS, {
      variables: p.registry.prefix.startsWith(ACR_VARIABLE) ? ["ACR_LOGIN_SERVER"] : [],
      secrets: [],
    }),
  provides: acrProvides,
};

/**
 * Environment variables the parameter files read (readEnvironmentVariable), mapped to the GitHub
 * secret or variable that holds them. `<SERVICE>_IMAGE` is left out: an infrastructure deployment
 * keeps the image each app is running.
 */
function parameterEnv(vars: readonly DeployVariable[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of vars) {
    if (v.name.endsWith("_IMAGE")) continue;
    // Passwords and webhook URLs are secrets; switches such as EMAIL_DOMAIN_VERIFIED are variables.
    out[v.name] = /PASSWORD|WEBHOOK|SECRET|TOKEN|KEY/.test(v.name)
      ? `\${{ secrets.${v.name} }}`
      : `\${{ vars.${v.name} }}`;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The secrets each environment's deployment must have (a channel's webhook URL), by environment. */
function requiredSecrets(vars: readonly DeployVariable[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of vars) for (const e of v.envs ?? []) (out[e] ??= []).push(v.name);
  return out;
}

/** The Bicep stack of one project: where it lives and what its parameter files read. */
interface BicepStack {
  dir: string;
  parameterEnv: Record<string, string>;
  required: Record<string, string[]>;
}

/**
 * Stops before deploying when a secret the environment needs is empty (an unset GitHub secret reads
 * as ''), naming it, so that no action group deploys without its receiver.
 */
const requireSecrets = (names: string[]): string[] =>
  names.length
    ? [
        `for name in ${names.join(" ")}; do`,
        '  if [ -z "${!name}" ]; then echo "::error::the secret $name is not set: the alert channel that reads it would receive nothing (see the README of the infrastructure)"; exit 1; fi',
        "done",
      ]
    : [];

/** `az deployment sub what-if` for one environment, appended to a Markdown report. */
function whatIfStep(
  p: Pipeline,
  stack: BicepStack,
  env: AppModel,
  report: string,
  extra: Partial<Step> = {},
): Step {
  return run(
    `What-if for ${env.environment.name}`,
    [
      "set +e",
      'az deployment sub what-if --name "$DEPLOYMENT" --location "$LOCATION" \\',
      '  --template-file "$AZURE_DIR/main.bicep" --parameters "$AZURE_DIR/parameters/$ENVIRONMENT.bicepparam" \\',
      '  > "$RUNNER_TEMP/what-if-$ENVIRONMENT.txt" 2>&1',
      "code=$?",
      "set -e",
      '{ echo "### What-if: $ENVIRONMENT"; echo; echo \'```\'; tail -c 20000 "$RUNNER_TEMP/what-if-$ENVIRONMENT.txt"; echo \'```\'; } >> "$REPORT"',
      'exit "$code"',
    ],
    {
      if: SAME_REPO,
      ...extra,
      env: {
        DEPLOYMENT: deploymentName(p, env),
        LOCATION: azureLocation(p, env),
        AZURE_DIR: stack.dir,
        ENVIRONMENT: env.environment.name,
        REPORT: report,
        ...stack.parameterEnv,
      },
    },
  );
}

/** ARM has no saved plans: the plan is the what-if the reviewer approves, the apply re-runs the template. */
function bicepInfrastructure(stack: BicepStack): Infrastructure {
  return {
    dir: stack.dir,
    login: () => [azureLogin()],
    plan: (p, env) => [whatIfStep(p, stack, env, "${{ runner.temp }}/plan/what-if.md", { if: "always()" })],
    apply: (p, env) => [
      run(
        `Deploy the Bicep templates to ${env.environment.name}`,
        [
          ...requireSecrets(stack.required[env.environment.name] ?? []),
          'cat "$RUNNER_TEMP/plan/what-if.md" >> "$GITHUB_STEP_SUMMARY"',
          'az deployment sub create --name "$DEPLOYMENT" --location "$LOCATION" \\',
          '  --template-file "$AZURE_DIR/main.bicep" --parameters "$AZURE_DIR/parameters/$ENVIRONMENT.bicepparam" --output none',
        ],
        {
          env: {
            DEPLOYMENT: deploymentName(p, env),
            LOCATION: azureLocation(p, env),
            AZURE_DIR: stack.dir,
            ENVIRONMENT: env.environment.name,
            ...stack.parameterEnv,
          },
        },
      ),
    ],
  };
}

/** The pull request check of the Bicep stack: build, and a what-if per environment in the report. */
function bicepJob(p: Pipeline, stack: BicepStack): Job {
  return {
    name: "Bicep: build and what-if",
    "runs-on": RUNNER,
    permissions: { contents: "read", "id-token": "write", "pull-requests": "write" },
    "timeout-minutes": 20,
    steps: [
      checkout(),
      run("Build the Bicep templates", 'az bicep build --file "$AZURE_DIR/main.bicep" --stdout > /dev/null', {
        env: { AZURE_DIR: stack.dir },
      }),
      { ...azureLogin(), if: SAME_REPO },
      ...p.envs.map((env) => whatIfStep(p, stack, env, IAC_REPORT)),
      reportComment(),
    ],
  };
}

/** Everything the Bicep stack and the deploys read: the login, the location, the parameter files' variables. */
function stackSettings(p: Pipeline, stack: BicepStack): CiSettings {
  const names = (kind: "vars" | "secrets") =>
    Object.entries(stack.parameterEnv)
      .filter(([, v]) => v.startsWith(`\${{ ${kind}.`))
      .map(([k]) => k);
  const location = p.envs.some((env) => azureLocation(p, env) === LOCATION_VARIABLE)
    ? ["AZURE_LOCATION"]
    : [];
  return joinSettings(LOGIN_SETTINGS, {
    variables: [...names("vars"), ...location],
    secrets: names("secrets"),
  });
}

/**
 * The AKS cluster of the environment's deployment. It uses Entra ID with Azure RBAC and no local
 * accounts: kubectl signs in through kubelogin with the workflow's Azure CLI login.
 */
const AKS: Cluster = {
  access: (p, env) => [
    azureLogin(),
    readOutputs(p, env, [["AKS_CLUSTER", "aksClusterName"]]),
    run("Get the cluster credentials", [
      'az aks install-cli --install-location "$RUNNER_TEMP/bin/kubectl" --kubelogin-install-location "$RUNNER_TEMP/bin/kubelogin" --only-show-errors',
      'echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"',
      'az aks get-credentials --resource-group "$RESOURCE_GROUP" --name "$AKS_CLUSTER" --overwrite-existing',
      '"$RUNNER_TEMP/bin/kubelogin" convert-kubeconfig --login azurecli',
    ]),
  ],
  version: KUBERNETES_VERSION,
  settings: () => LOGIN_SETTINGS,
};

export const azurePlatform: Platform = {
  name: "azure",
  configured: (base) => base.targets.azure !== undefined,
  registries: [ACR],
  pipeline(project, ctx) {
    const base = project.environments[0]!;
    const aks = base.targets.azure?.compute === "aks";
    const vars = buildAzure(project).facts.deployVariables;
    const stack: BicepStack = {
      dir: ctx.outputs.azure,
      parameterEnv: parameterEnv(vars),
      required: requiredSecrets(vars),
    };
    // Where the Bicep's registry is (./decisions.ts): the spec's ACR, Gantry's (its login server in a
    // variable), or on AKS another registry the spec names.
    const plan = registryPlan(project);
    const shared = {
      registry: plan && !plan.acr ? ACR_VARIABLE : base.targets.kubernetes!.registry!,
      infrastructure: bicepInfrastructure(stack),
      drill: azureDrill,
    };
    if (aks) {
      const helm = helmRollout(project, ctx, AKS);
      return {
        ...helm,
        ...shared,
        prChecks: (p) => ({ ...helm.prChecks(p), bicep: bicepJob(p, stack) }),
        synthTargets: ["azure", ...helm.synthTargets],
        settings: (p) => joinSettings(helm.settings(p), stackSettings(p, stack)),
      };
    }
    const appService = appServicePipeline(stack.dir);
    return {
      ...appService,
      ...shared,
      prChecks: (p) => ({ bicep: bicepJob(p, stack) }),
      synthTargets: ["azure"],
      settings: (p) => joinSettings(appService.settings(p), stackSettings(p, stack)),
    };
  },
};
