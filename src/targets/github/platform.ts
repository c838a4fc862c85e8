// Steps that depend on the deploy target: cloud login by OIDC, registry login, cluster access and
// reading the infrastructure's outputs. Every value from outside (outputs, inputs, image tags)
// reaches shell scripts through `env:`, never through `${{ }}` inside `run:`.
import type { AppModel } from "../../model/types.js";
import { camel, envName, isService, isStatic, snake, type Pipeline } from "./pipeline.js";
import { action, run, type Permissions, type Step } from "./workflow.js";

export const RUNNER = "ubuntu-24.04";

/** Shell lines that each print `NAME=value`, grouped into one append to a GitHub file ($GITHUB_ENV, $GITHUB_OUTPUT). */
export function appendTo(file: string, lines: string[]): string[] {
  if (lines.length === 0) return [];
  if (lines.length === 1) return [`${lines[0]!} >> "$${file}"`];
  return ["{", ...lines.map((l) => `  ${l}`), `} >> "$${file}"`];
}

export function azureLocation(p: Pipeline, env: AppModel): string {
  return env.environment.region ?? p.base.targets.azure?.location ?? "${{ vars.AZURE_LOCATION }}";
}
export function awsRegion(p: Pipeline, env?: AppModel): string {
  return env?.environment.region ?? p.base.targets.aws?.region ?? "${{ vars.AWS_REGION }}";
}

export function azureLogin(): Step {
  return action("Log in to Azure (OIDC)", "azure/login", {
    "client-id": "${{ vars.AZURE_CLIENT_ID }}",
    "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
    "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}",
  });
}

/** AWS login by OIDC; deploys assume AWS_ROLE_ARN, infrastructure plans and applies AWS_INFRA_ROLE_ARN. */
export function awsLogin(
  p: Pipeline,
  env?: AppModel,
  role: "AWS_ROLE_ARN" | "AWS_INFRA_ROLE_ARN" = "AWS_ROLE_ARN",
): Step {
  return action("Configure AWS credentials (OIDC)", "aws-actions/configure-aws-credentials", {
    "role-to-assume": `\${{ vars.${role} }}`,
    "aws-region": awsRegion(p, env),
    "role-session-name": `gantry-${p.app}`,
  });
}

/** Steps that log the runner in to the image registry, and the permissions they need. */
export function registryLogin(p: Pipeline, env?: AppModel): { steps: Step[]; permissions: Permissions } {
  const r = p.registry;
  switch (r.kind) {
    case "ghcr":
      return {
        steps: [
          action("Log in to GitHub Container Registry", "docker/login-action", {
            registry: "ghcr.io",
            username: "${{ github.actor }}",
            password: "${{ secrets.GITHUB_TOKEN }}",
          }),
        ],
        permissions: { packages: "write" },
      };
    case "acr":
      return {
        steps: [
          azureLogin(),
          run(
            "Log in to Azure Container Registry",
            ['acr="${REGISTRY%%/*}"', 'az acr login --name "${acr%%.*}"'],
            { env: { REGISTRY: r.prefix } },
          ),
        ],
        permissions: { "id-token": "write" },
      };
    case "ecr":
      return {
        steps: [
          awsLogin(p, env),
          action(
            "Log in to Amazon ECR",
            "aws-actions/amazon-ecr-login",
            { "mask-password": "true" },
            { id: "login-ecr" },
          ),
        ],
        permissions: { "id-token": "write" },
      };
    case "docr":
      return {
        steps: [
          action("Log in to DigitalOcean Container Registry", "docker/login-action", {
            registry: "registry.digitalocean.com",
            username: "${{ secrets.DIGITALOCEAN_ACCESS_TOKEN }}",
            password: "${{ secrets.DIGITALOCEAN_ACCESS_TOKEN }}",
          }),
        ],
        permissions: {},
      };
    case "other":
      return {
        steps: [
          action("Log in to the image registry", "docker/login-action", {
            registry: r.prefix.split("/")[0] ?? r.prefix,
            username: "${{ vars.REGISTRY_USERNAME }}",
            password: "${{ secrets.REGISTRY_PASSWORD }}",
          }),
        ],
        permissions: {},
      };
  }
}

/** Azure subscription deployments are named `<app>-<env>`, so their outputs can be read back. */
export const azureDeploymentName = (p: Pipeline, env: AppModel): string => `${p.app}-${env.environment.name}`;

/** Reads the Bicep deployment's outputs into the job's environment (App Service names, resource group). */
export function readAzureOutputs(p: Pipeline, env: AppModel): Step {
  const lines: string[] = [
    'echo "RESOURCE_GROUP=$(jq -r \'.resourceGroupName.value\' "$RUNNER_TEMP/outputs.json")"',
  ];
  if (p.helm) lines.push('echo "AKS_CLUSTER=$(jq -r \'.aksClusterName.value\' "$RUNNER_TEMP/outputs.json")"');
  else {
    for (const s of Object.values(env.services).filter(isService)) {
      lines.push(
        `echo "${envName(s.name)}_APP=$(jq -r '.${camel(s.name)}AppName.value' "$RUNNER_TEMP/outputs.json")"`,
      );
    }
  }
  const script = [
    'az deployment sub show --name "$DEPLOYMENT" --query properties.outputs --output json > "$RUNNER_TEMP/outputs.json"',
    ...appendTo("GITHUB_ENV", lines),
  ];
  return run("Read the infrastructure outputs", script, { env: { DEPLOYMENT: azureDeploymentName(p, env) } });
}

export function setupTofu(): Step {
  return action("Set up OpenTofu", "opentofu/setup-opentofu", {
    tofu_version: "1.12.6",
    tofu_wrapper: false,
  });
}

/**
 * `tofu init` against the environment's state: the backend settings (bucket, key, region) are in
 * `environments/<env>.s3.tfbackend` next to the stack, as the infrastructure targets write them.
 */
export function tofuInit(env: AppModel, dir: string): Step {
  return run(
    "Initialise OpenTofu",
    'tofu -chdir="$TF_DIR" init -input=false -reconfigure -backend-config="environments/$ENVIRONMENT.s3.tfbackend"',
    {
      env: { TF_DIR: dir, ENVIRONMENT: env.environment.name },
    },
  );
}

/** Credentials OpenTofu needs on DigitalOcean: the API token and the Spaces keys of the state bucket. */
export function doTofuEnv(): Record<string, string> {
  return {
    DIGITALOCEAN_TOKEN: "${{ secrets.DIGITALOCEAN_ACCESS_TOKEN }}",
    AWS_ACCESS_KEY_ID: "${{ secrets.SPACES_ACCESS_KEY_ID }}",
    AWS_SECRET_ACCESS_KEY: "${{ secrets.SPACES_SECRET_ACCESS_KEY }}",
  };
}

/** Reads the Terraform outputs of the AWS stack into the job's environment. */
export function readAwsOutputs(p: Pipeline, env: AppModel): Step[] {
  const lines = ['echo "ECS_CLUSTER=$(jq -r \'.ecs_cluster_name.value\' "$RUNNER_TEMP/outputs.json")"'];
  for (const s of Object.values(env.services)) {
    const n = snake(s.name);
    const e = envName(s.name);
    if (isService(s)) {
      lines.push(`echo "${e}_SERVICE=$(jq -r '.${n}_service_name.value' "$RUNNER_TEMP/outputs.json")"`);
      lines.push(`echo "${e}_FAMILY=$(jq -r '.${n}_task_family.value' "$RUNNER_TEMP/outputs.json")"`);
    } else if (s.type === "job" && s.build) {
      lines.push(`echo "${e}_FAMILY=$(jq -r '.${n}_task_family.value' "$RUNNER_TEMP/outputs.json")"`);
    } else if (isStatic(s)) {
      lines.push(`echo "${e}_BUCKET=$(jq -r '.${n}_bucket.value' "$RUNNER_TEMP/outputs.json")"`);
      lines.push(
        `echo "${e}_DISTRIBUTION=$(jq -r '.${n}_distribution_id.value' "$RUNNER_TEMP/outputs.json")"`,
      );
    }
  }
  const script = [
    'tofu -chdir="$TF_DIR" output -json > "$RUNNER_TEMP/outputs.json"',
    ...appendTo("GITHUB_ENV", lines),
  ];
  return [
    setupTofu(),
    tofuInit(env, p.awsDir),
    run("Read the infrastructure outputs", script, { env: { TF_DIR: p.awsDir } }),
  ];
}

/** Steps that give kubectl and helm access to the environment's cluster. */
export function clusterAccess(p: Pipeline, env: AppModel): Step[] {
  const tools = [
    action("Set up Helm", "azure/setup-helm", { version: "v3.22.0" }),
    action("Set up kubectl", "azure/setup-kubectl", { version: "v1.33.4" }),
  ];
  if (p.target === "digitalocean") {
    return [
      ...tools,
      action("Set up doctl", "digitalocean/action-doctl", {
        token: "${{ secrets.DIGITALOCEAN_ACCESS_TOKEN }}",
      }),
      run(
        "Get the cluster credentials",
        'doctl kubernetes cluster kubeconfig save --expiry-seconds 3600 "$CLUSTER"',
        { env: { CLUSTER: `${p.app}-${env.environment.name}` } },
      ),
    ];
  }
  if (p.target === "azure") {
    return [
      ...tools,
      azureLogin(),
      readAzureOutputs(p, env),
      // The cluster uses Entra ID with Azure RBAC and no local accounts: kubectl signs in through
      // kubelogin with the workflow's Azure CLI login.
      run("Get the cluster credentials", [
        'az aks install-cli --install-location "$RUNNER_TEMP/bin/kubectl" --kubelogin-install-location "$RUNNER_TEMP/bin/kubelogin" --only-show-errors',
        'echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"',
        'az aks get-credentials --resource-group "$RESOURCE_GROUP" --name "$AKS_CLUSTER" --overwrite-existing',
        '"$RUNNER_TEMP/bin/kubelogin" convert-kubeconfig --login azurecli',
      ]),
    ];
  }
  return [
    ...tools,
    action("Set the Kubernetes context", "azure/k8s-set-context", {
      method: "kubeconfig",
      kubeconfig: "${{ secrets.KUBE_CONFIG }}",
    }),
  ];
}
