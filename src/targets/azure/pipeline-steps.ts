// Steps every Azure deploy shares, App Service or AKS: the OIDC login, the location, and reading
// the outputs of the environment's Bicep deployment.
import type { AppModel } from "../../model/types.js";
import type { Pipeline } from "../github/pipeline.js";
import { appendTo } from "../github/steps.js";
import { action, run, type Step } from "../github/workflow.js";
import type { CiSettings } from "../platform.js";

export const LOCATION_VARIABLE = "${{ vars.AZURE_LOCATION }}";

export function azureLogin(): Step {
  return action("Log in to Azure (OIDC)", "azure/login", {
    "client-id": "${{ vars.AZURE_CLIENT_ID }}",
    "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
    "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}",
  });
}

export const LOGIN_SETTINGS: CiSettings = {
  variables: ["AZURE_CLIENT_ID", "AZURE_SUBSCRIPTION_ID", "AZURE_TENANT_ID"],
  secrets: [],
};

export function azureLocation(p: Pipeline, env: AppModel): string {
  return env.environment.region ?? p.base.targets.azure?.location ?? LOCATION_VARIABLE;
}

/** Azure subscription deployments are named `<app>-<env>`, so their outputs can be read back. */
export const deploymentName = (p: Pipeline, env: AppModel): string => `${p.app}-${env.environment.name}`;

/** Reads outputs of the environment's Bicep deployment into the job's environment: `[variable, output]`. */
export function readOutputs(p: Pipeline, env: AppModel, outputs: [string, string][]): Step {
  const lines = [["RESOURCE_GROUP", "resourceGroupName"], ...outputs].map(
    ([name, output]) => `echo "${name}=$(jq -r '.${output}.value' "$RUNNER_TEMP/outputs.json")"`,
  );
  const script = [
    'az deployment sub show --name "$DEPLOYMENT" --query properties.outputs --output json > "$RUNNER_TEMP/outputs.json"',
    ...appendTo("GITHUB_ENV", lines),
  ];
  return run("Read the infrastructure outputs", script, { env: { DEPLOYMENT: deploymentName(p, env) } });
}
