// The App Service deploy of the Azure platform. Migrations run in the new image on the runner, with
// the variables the app has (./supply.ts); each service's container is deployed to its staging slot,
// warmed up and swapped in (swapped back when the smoke tests fail), or without a slot deployed in
// place (the previous image restored on failure); static frontends go to Static Web Apps. A rollback
// swaps the slots back or deploys an earlier image tag through the same path.
import { envName, isService, isStatic } from "../../model/queries.js";
import { parseCommand } from "../../model/command-line.js";
import type { AppModel, ServiceModel } from "../../model/types.js";
import { smokeUrls, type Pipeline } from "../github/pipeline.js";
import { IMAGE_TAG_REVISION, REVISION } from "../github/rollback.js";
import { SMOKE_RETRIES, appendTo, getEach, imageRef, siteDir, staticBuildSteps } from "../github/steps.js";
import { staticConfigPath } from "./static-config.js";
import { action, run, type Step } from "../github/workflow.js";
import { joinSettings, type CiSettings, type DeploySteps, type PlatformPipeline } from "../platform.js";
import { migrationRun } from "./command.js";
import { azureLogin, readOutputs } from "./pipeline-steps.js";
import { suppliedSettings } from "./supply.js";
import { appServiceVerification } from "./verify.js";

/** camelCase for Bicep output names: sse-gateway → sseGateway. */
const camel = (s: string): string => s.replace(/[-_]+([a-z0-9])/g, (_, c: string) => c.toUpperCase());

const services = (env: AppModel): ServiceModel[] => Object.values(env.services).filter(isService);
const app = (s: { name: string }) => `"$${envName(s.name)}_APP"`;
const healthPath = (s: ServiceModel) =>
  s.type === "http" ? (s.health?.readiness ?? s.health?.liveness) : undefined;

const migrating = (env: AppModel): ServiceModel[] => services(env).filter((s) => s.migrations);

/**
 * Logs in, to the registry too, and reads each App Service's name from the deployment's outputs,
 * and the vault's where migrations read the apps' secrets.
 */
function prepare(p: Pipeline, env: AppModel, migrate = false): Step[] {
  return [
    azureLogin(),
    ...p.registry.service.login(p, env).steps.filter((s) => !s.uses?.startsWith("azure/login@")),
    readOutputs(p, env, [
      ...services(env).map((s): [string, string] => [`${envName(s.name)}_APP`, `${camel(s.name)}AppName`]),
      ...(migrate && migrating(env).length ? [["KEY_VAULT", "keyVaultName"] as [string, string]] : []),
    ]),
  ];
}

/** Lines that add each health endpoint's URL on the apps' (or their staging slots') default host names to `$urls`. */
function hostLines(env: AppModel, slotArg = ""): string[] {
  return services(env).flatMap((s) => {
    const path = healthPath(s);
    if (!path) return [];
    return [
      `host=$(az webapp show --resource-group "$RESOURCE_GROUP" --name ${app(s)}${slotArg} --query defaultHostName --output tsv)`,
      `urls="$urls https://$host${path}"`,
    ];
  });
}

/** The smoke tests: the public health URLs and each app's default host name. */
function smoke(env: AppModel): Step {
  return run("Smoke tests", ['urls="$SMOKE_URLS"', ...hostLines(env), ...getEach("$urls")], {
    id: "smoke",
    env: { SMOKE_URLS: smokeUrls(env).join(" ") },
  });
}

const swapLine = (s: ServiceModel): string =>
  `az webapp deployment slot swap --resource-group "$RESOURCE_GROUP" --name ${app(s)} --slot staging --target-slot production`;
const swap = (env: AppModel): string[] => services(env).map(swapLine);

/**
 * Migrations run in the new image on the runner with the app's own variables: the names and values
 * of its app settings, each Key Vault reference read from the vault as the app reads it (one place
 * to rotate a secret). The vault's firewall admits every network, access is RBAC only (see
 * ./sections/identity.ts).
 */
function migrations(p: Pipeline, env: AppModel): Step[] {
  return migrating(env).map((s) => migrate(p, env, s));
}

/** The variables a service's migration gets: every app setting of the service, as App Service has it. */
export const migrationVariables = (env: AppModel, s: ServiceModel): string[] =>
  suppliedSettings(env, s).map((x) => x.name);

function migrate(p: Pipeline, env: AppModel, s: ServiceModel): Step {
  const migration = s.migrations!;
  return run(
    `Migrate ${s.name}`,
    [
      `settings=$(az webapp config appsettings list --resource-group "$RESOURCE_GROUP" --name ${app(s)} --output json)`,
      "declare -A vars",
      `for name in ${migrationVariables(env, s).join(" ")}; do`,
      `  value=$(jq --exit-status --raw-output --arg name "$name" 'map(select(.name == $name))[0].value' <<<"$settings") ||`,
      `    { echo "::error::\${name} is not an app setting of ${app(s).slice(1, -1)}: deploy the infrastructure first"; exit 1; }`,
      "  if [[ $value == @Microsoft.KeyVault\\(* ]]; then",
      "    secret=${value##*SecretName=}",
      '    value=$(az keyvault secret show --vault-name "$KEY_VAULT" --name "${secret%)}" --query value --output tsv) ||',
      '      { echo "::error::Key Vault secret ${secret%)} (${name}) is not set: see the runbook of the infrastructure"; exit 1; }',
      '    echo "::add-mask::$value"',
      "  fi",
      "  vars[$name]=$value",
      "done",
      "args=()",
      'for name in "${!vars[@]}"; do args+=(--env "$name=${vars[$name]}"); done',
      `timeout "$TIMEOUT" docker run --rm "\${args[@]}" ${migrationRun(migration.command, '"${IMAGE,,}"', "MIGRATION")}`,
    ],
    {
      env: {
        IMAGE: imageRef(p, s),
        // A line with shell syntax reaches /bin/sh through the environment, never inside the script.
        ...(parseCommand(migration.command).shell ? { MIGRATION: migration.command } : {}),
        TIMEOUT: migration.timeout,
      },
    },
  );
}

/** `azureDir`: the Azure target's output folder, which holds the single-page apps' routing files. */
function rollout(p: Pipeline, env: AppModel, azureDir: string): Step[] {
  const slot = env.environment.deploy.slot;
  const steps: Step[] = [];
  if (!slot) {
    const record = services(env).map(
      (s) =>
        `echo "PREVIOUS_${envName(s.name)}=$(az webapp config show --resource-group "$RESOURCE_GROUP" --name ${app(s)} --query linuxFxVersion --output tsv)"`,
    );
    steps.push(run("Record the running images", appendTo("GITHUB_ENV", record)));
  }
  for (const s of services(env)) {
    steps.push(
      action(`Deploy ${s.name}${slot ? " to the staging slot" : ""}`, "azure/webapps-deploy", {
        "app-name": `\${{ env.${envName(s.name)}_APP }}`,
        "resource-group-name": "${{ env.RESOURCE_GROUP }}",
        ...(slot ? { "slot-name": "staging" } : {}),
        images: imageRef(p, s),
      }),
    );
  }
  if (slot) {
    steps.push(
      run("Warm up the staging slot", [
        'urls=""',
        ...hostLines(env, " --slot staging"),
        ...getEach("$urls", 30, false),
      ]),
      run("Swap the staging slot into production", swap(env), { id: "swap" }),
    );
  }
  for (const s of Object.values(env.services).filter(isStatic)) {
    steps.push(
      ...staticBuildSteps(p, s),
      ...(s.spa
        ? [
            run(
              `Add the routing of ${s.name} (single-page app)`,
              'cp "$CONFIG" "$SITE/staticwebapp.config.json"',
              {
                env: { CONFIG: `${azureDir}/${staticConfigPath(s.name)}`, SITE: siteDir(p, s) },
              },
            ),
          ]
        : []),
      action(`Deploy ${s.name} to Static Web Apps`, "Azure/static-web-apps-deploy", {
        action: "upload",
        app_location: siteDir(p, s),
        output_location: "",
        azure_static_web_apps_api_token: `\${{ secrets.${staticWebAppToken(s)} }}`,
      }),
    );
  }
  steps.push(smoke(env));
  if (slot) {
    steps.push(
      run("Swap back after a failed deploy", swap(env), {
        if: "failure() && steps.swap.outcome == 'success'",
      }),
    );
  } else {
    const restore = services(env).map(
      (s) =>
        `az webapp config set --resource-group "$RESOURCE_GROUP" --name ${app(s)} --linux-fx-version "$PREVIOUS_${envName(s.name)}" --output none`,
    );
    steps.push(
      run("Restore the previous images after a failed deploy", restore, {
        if: "failure() && steps.smoke.outcome == 'failure'",
      }),
    );
  }
  return steps;
}

const staticWebAppToken = (s: { name: string }) => `AZURE_STATIC_WEB_APPS_API_TOKEN_${envName(s.name)}`;

/** Swaps the slots back (empty revision), or deploys the given image tag through the slot and swap. */
function rollback(p: Pipeline, env: AppModel): Step[] {
  const slot = env.environment.deploy.slot;
  const lines: string[] = [];
  if (!slot)
    lines.push('if [ -z "$REVISION" ]; then echo "::error::give the image tag to roll back to"; exit 1; fi');
  for (const s of services(env)) {
    const health = healthPath(s);
    // Services that run a prebuilt image have no sha-<short> tags to return to: only the swap applies.
    const setImage = (slotArg: string) =>
      `az webapp config container set --resource-group "$RESOURCE_GROUP" --name ${app(s)}${slotArg} --container-image-name "\${${envName(s.name)}_IMAGE,,}$REVISION" --output none`;
    if (slot) {
      if (s.build) {
        lines.push('if [ -n "$REVISION" ]; then', `  ${setImage(" --slot staging")}`);
        if (health) {
          lines.push(
            `  host=$(az webapp show --resource-group "$RESOURCE_GROUP" --name ${app(s)} --slot staging --query defaultHostName --output tsv)`,
            `  curl --fail --silent --show-error --max-time 30 ${SMOKE_RETRIES} --output /dev/null "https://$host${health}"`,
          );
        }
        lines.push("fi");
      }
      lines.push(swapLine(s));
    } else if (s.build) {
      lines.push(setImage(""));
    }
  }
  const imageEnv = Object.fromEntries(
    services(env)
      .filter((s) => s.build)
      .map((s) => [`${envName(s.name)}_IMAGE`, imageRef(p, s, "")]),
  );
  return [
    ...prepare(p, env),
    run(
      slot
        ? "Swap back (or deploy the given tag to the staging slot and swap)"
        : "Deploy the given image tag",
      lines,
      { id: "rollout", env: { REVISION, ...imageEnv } },
    ),
    smoke(env),
  ];
}

/** What the App Service deploy reads: the registry login and the Static Web Apps tokens. */
function settings(p: Pipeline): CiSettings {
  const secrets = p.envs.flatMap((env) =>
    Object.values(env.services).filter(isStatic).map(staticWebAppToken),
  );
  return joinSettings(p.registry.service.settings(p), { variables: [], secrets });
}

export function appServicePipeline(
  azureDir: string,
): Omit<PlatformPipeline, "registry" | "infrastructure" | "prChecks" | "synthTargets"> {
  return {
    staticImages: false,
    deploy: (p, env): DeploySteps => ({
      prepare: prepare(p, env, true),
      migrate: migrations(p, env),
      rollout: rollout(p, env, azureDir),
    }),
    revision: IMAGE_TAG_REVISION,
    rollback,
    settings,
    problems: [],
    verification: appServiceVerification,
  };
}
