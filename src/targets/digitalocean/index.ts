// `gantry synth digitalocean`: Terraform for a DOKS cluster, DOCR, managed databases with firewalls
// that admit only the cluster, DNS and a project. The app itself is deployed onto the cluster by
// the Kubernetes target's Helm chart; this tree's README says how.
import type { ProjectModel } from "../../model/types.js";
import type { FileTree, SynthContext, Target, TargetProblem } from "../target.js";
import { environmentRegionProblems } from "../region.js";
import { DIGITALOCEAN_RULES, digitaloceanSystemChecks } from "./system-checks.js";
import { doAlertRouteFindings } from "./system-alerts.js";
import { printProject, type TerraformProject } from "../terraform/blocks.js";
import type { ModuleSpec, ProviderSpec } from "../terraform/module.js";
import { buildStack } from "../terraform/stack.js";
import { inline } from "../../format/hcl.js";
import { doMain, doOutputs } from "./main.js";
import {
  doBucketModule,
  doClusterModule,
  doDatabaseModule,
  doDnsModule,
  doNetworkModule,
  doProjectModule,
  doRegistryModule,
} from "./modules.js";
import { doAlertsModule, doUptimeModule } from "./modules-alerts.js";
import { digitaloceanContract } from "./contract.js";
import { kubernetesSettings } from "../kubernetes/settings.js";
import { doReadme } from "./readme.js";
import { doOptions, doShape, stateBucket, stateEndpoint, type DoShape } from "./shape.js";
import { doTfvars } from "./tfvars.js";
import { doVariables } from "./variables.js";
import { recoveryProblems } from "../recovery.js";
import { backupSettingProblems, doRecovery } from "./recovery.js";
import { DO_SIZE_COLUMNS } from "./sizes.js";
import { doRunbooks } from "./runbook.js";

export const DO_PROVIDER: ProviderSpec = {
  name: "digitalocean",
  source: "digitalocean/digitalocean",
  version: "~> 2.34",
};

/** The modules an app of this shape needs. */
function doModules(shape: DoShape): ModuleSpec[] {
  const m = [
    doNetworkModule(),
    doClusterModule(),
    doRegistryModule(),
    doProjectModule(),
    doAlertsModule(),
    doUptimeModule(),
  ];
  if (shape.postgres.length || shape.redis.length || shape.hasTopics) m.push(doDatabaseModule());
  if (shape.hasDns) m.push(doDnsModule());
  if (shape.buckets.length) m.push(doBucketModule());
  return m;
}

export function buildDigitalOcean(project: ProjectModel, ctx: SynthContext): TerraformProject {
  const shape = doShape(project);
  const stack = buildStack(
    {
      target: "digitalocean",
      provider: DO_PROVIDER,
      backend: {
        store: "Spaces",
        summary: [
          "State in a DigitalOcean Spaces bucket through the S3 backend (region is a placeholder the backend requires).",
          "Endpoint, bucket and key come per environment: tofu init -backend-config=environments/<env>.s3.tfbackend",
          "Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY set to a Spaces access key. The bucket is created once, versioned (see the README).",
        ],
        // Spaces speaks S3 but is not AWS: skip every AWS-only check the backend makes.
        settings: {
          region: "us-east-1",
          skip_credentials_validation: true,
          skip_requesting_account_id: true,
          skip_metadata_api_check: true,
          skip_region_validation: true,
          skip_s3_checksum: true,
          use_path_style: false,
        },
      },
      variables: doVariables(shape),
      main: doMain(shape),
      outputs: doOutputs(shape),
      environments: shape.envs.map((e, i) => ({
        app: e,
        values: doTfvars(shape, e, i),
        state: {
          bucket: stateBucket(e),
          settings: {
            // One bucket holds every environment's state (a key each), where the README creates it:
            // in the first environment's region, whatever region an environment runs in.
            endpoints: inline({ s3: stateEndpoint(shape) }),
          },
        },
      })),
      modules: doModules(shape),
      readme: doReadme(shape, ctx),
    },
    ctx,
  );
  Object.assign(stack.text, doRunbooks(shape.envs, ctx));
  return stack;
}

function check(project: ProjectModel): TargetProblem[] {
  const problems: TargetProblem[] = [];
  for (const e of project.environments) {
    const o = doOptions(e);
    problems.push(...environmentRegionProblems(e, "do-region", "digitalocean.region"));
    if (o.nodes.max < o.nodes.min)
      problems.push({
        env: e.environment.name,
        path: "targets.digitalocean.nodes.max",
        message: `nodes.max (${o.nodes.max}) is below nodes.min (${o.nodes.min})`,
      });
    for (const p of Object.values(e.postgres)) {
      if (p.hosting === "managed" && p.public_access)
        problems.push({
          env: e.environment.name,
          path: `postgres.${p.name}.public_access`,
          severity: "warning",
          message: "managed databases here admit only the cluster; public_access is ignored",
        });
    }
  }
  return [
    ...problems,
    ...chartProviderProblems(project),
    ...recoveryProblems(project, doRecovery),
    ...backupSettingProblems(project),
  ];
}

/**
 * The chart deployed onto DOKS opens the ports of every provider it goes to, but gives the app one
 * database port (PGPORT), that of `targets.kubernetes.provider`: DigitalOcean's managed PostgreSQL
 * and Redis listen on 25060 and 25061, which only `provider: doks` gives.
 */
function chartProviderProblems(project: ProjectModel): TargetProblem[] {
  const app = project.environments.find(
    (e) =>
      Object.values(e.postgres).some((p) => p.hosting === "managed") ||
      Object.values(e.redis).some((r) => r.hosting === "managed"),
  );
  const provider = app && kubernetesSettings(app).provider;
  if (!provider || provider === "doks") return [];
  return [
    {
      severity: "warning",
      path: "targets.kubernetes.provider",
      message: `the Kubernetes chart is rendered for provider \`${provider}\`, so on DOKS the database ports it gives the app (PGPORT, the URLs' ports) are not those of DigitalOcean's managed databases (25060, 25061)`,
      hint: "set targets.kubernetes.provider: doks",
    },
  ];
}

export const digitaloceanTarget: Target = {
  sizeColumns: DO_SIZE_COLUMNS,
  name: "digitalocean",
  description:
    "Terraform for DigitalOcean: DOKS, DOCR, managed PostgreSQL/Redis/Kafka with cluster-only firewalls, DNS, project; the Helm chart deploys the app onto it.",
  defaultOut: "infrastructure/digitalocean",
  ownsOutput: true,
  check: (project) => check(project),
  rules: DIGITALOCEAN_RULES,
  systemChecks: (project, tree, ctx, trees) => [
    ...digitaloceanSystemChecks(tree, ctx, trees),
    ...doAlertRouteFindings(project, tree),
  ],
  contract: digitaloceanContract,
  render: (project, ctx): FileTree => printProject(buildDigitalOcean(project, ctx)),
};
