// What a deploy platform gives the GitHub pipelines: every step, job and setting that depends on
// where the app runs. Each platform's folder exports one (src/targets/<name>/pipeline.ts), the
// registry lists it, and src/targets/github composes the workflows from these pieces without ever
// looking at a platform's name. Platforms that share a piece compose it: DigitalOcean and Azure
// with AKS deploy with the Kubernetes Helm rollout, given their own Cluster.
import type { AppModel, PostgresModel, ProjectModel } from "../model/types.js";
import type { Pipeline } from "./github/pipeline.js";
import type { Job, Permissions, Step } from "./github/workflow.js";
import type { ReadJob } from "./github/read-workflows.js";
import type { LoadRun } from "./github/load-test.js";
import type { RenderedTrees, SynthContext, TargetProblem } from "./target.js";

/** The GitHub variables (`vars.NAME`) and secrets (`secrets.NAME`) a piece of the workflows reads. */
export interface CiSettings {
  variables: string[];
  secrets: string[];
}

/** An image registry service, recognised by the image names it holds. */
export interface RegistryService {
  /** Whether images named `<prefix>/<service>` live in this registry (prefix: host/path or a `${{ }}` expression). */
  serves(prefix: string): boolean;
  /** Steps that log the runner in, and the job permissions they need; `env` is absent in build.yml. */
  login(p: Pipeline, env?: AppModel): { steps: Step[]; permissions: Permissions };
  /** Tags cannot be pushed twice: build.yml pushes only `sha-<short>`, no moving `<branch>-latest`. */
  immutableTags: boolean;
  settings(p: Pipeline): CiSettings;
  /**
   * For `gantry check` (github/registry): why the image repository `<host>/<path>` that `job` pushes
   * to is not created by the trees rendered with the workflows, or why the job's identity may not
   * push there; undefined when it is and may. Absent where the registry is the spec's to provide.
   */
  provides?(repository: string, job: ReadJob, trees: RenderedTrees): string | undefined;
}

/** What rollback.yml takes as the revision to return to. */
export interface Revision {
  /** Bash regular expression a non-empty revision must match (dispatch inputs are untrusted). */
  pattern: string;
  /** Completes "revision must be ..." in the error. */
  what: string;
  /** The dispatch input's description. */
  description: string;
}

/** The deploy job of one environment, after checkout, in the order the phases run. */
export interface DeploySteps {
  /** Log in, reach the cluster, read the infrastructure's outputs: what the later phases use. */
  prepare: Step[];
  /** Database migrations in the new image before any traffic moves; empty when the rollout runs them. */
  migrate: Step[];
  /** The rollout, its smoke tests (step id `smoke`) and the automatic rollback when they fail. */
  rollout: Step[];
}

/**
 * The infrastructure stack infrastructure.yml plans on pull requests and applies on merge. Job
 * permissions follow the steps: `id-token: write` only where a step logs in with OIDC.
 */
export interface Infrastructure {
  /** The stack's directory, relative to the repository root. */
  dir: string;
  /** Cloud login, the first steps of both the plan and the apply job. */
  login(p: Pipeline, env: AppModel): Step[];
  /** Plans one environment into `$RUNNER_TEMP/plan` (saved as an artifact) and summarises the plan. */
  plan(p: Pipeline, env: AppModel): Step[];
  /** Applies what the plan job saved in `$RUNNER_TEMP/plan`. */
  apply(p: Pipeline, env: AppModel): Step[];
  /** GitHub secrets the plan and apply jobs read beyond the platform's own. */
  secrets?: string[];
}

/** How the Helm rollout reaches the Kubernetes cluster of an environment. */
export interface Cluster {
  /** Steps after helm and kubectl are installed that give them the environment's cluster. */
  access(p: Pipeline, env: AppModel): Step[];
  /** The Kubernetes version (major.minor) kubeconform checks the manifests against. */
  version: string;
  settings(p: Pipeline): CiSettings;
}

/**
 * What the checks after a deploy need from the platform (src/targets/github/verify.ts and
 * load-test.ts): each knows which of its public hosts redirect http:// and how its certificates
 * are issued. A platform without one gets only the TLS checks that need no access.
 */
export interface Verification {
  /** Steps, after the deploy's own access, that wait until the platform has issued the hosts' certificates. */
  certificates(p: Pipeline, env: AppModel): Step[];
  /** Whether the CA of the environment's certificates is in the runner's trust store. */
  trusted(env: AppModel): boolean;
  /** The public hosts whose http:// the platform answers with 301 or 308 to https://<same host>. */
  redirects(env: AppModel): string[];
  /**
   * The load-test job's steps after checkout and Node.js: the load, and where the platform
   * autoscales, the access to the environment and the autoscaler checks around it.
   */
  loadSteps?(p: Pipeline, env: AppModel, load: LoadRun): Step[];
}

/**
 * The recovery drill of production (dr-drill.yml): its managed PostgreSQL servers restored into
 * temporary ones in a non-production scope, reachable from the runner for the shared checks.
 */
export interface Drill {
  /** Log in, and whatever the restores read; job permissions follow the steps. */
  prepare: Step[];
  /**
   * Restores production's server of `store` as of `$STARTED_AT` (or the latest restorable time) into
   * a temporary one, and appends to $GITHUB_ENV the URL of each database on it under its `variable`
   * (masked first); with `check`, whatever `check` needs instead.
   */
  restore(store: PostgresModel, urls: { database: string; variable: string }[]): Step[];
  /**
   * Where the runner cannot reach the temporary servers: steps that run the shared probe
   * (github/drill.ts PROBE_FUNCTION) where they are and write each database's probe file under
   * PROBE_DIR. Absent: the runner probes the URLs `restore` exported.
   */
  check?(stores: readonly { store: PostgresModel; urls: { database: string; variable: string }[] }[]): Step[];
  /** Removes what `restore` created, whatever happened before (the job runs it under `always()`). */
  teardown(store: PostgresModel): Step[];
  /** Where the temporary servers go, for the workflow's README: "the resource group rg-shop-staging". */
  scope: string;
  /** What the README adds about this platform's drill: how it reaches the servers, what it needs first. */
  detail?: string;
  settings: CiSettings;
}

/** A platform's pieces of the pipelines of one project. */
export interface PlatformPipeline {
  /** Where images go: a registry host and path, or a `${{ }}` expression of trusted values. */
  registry: string;
  /** Static frontends are built into web server images (a pod serves them), not uploaded by the deploy. */
  staticImages: boolean;
  deploy(p: Pipeline, env: AppModel): DeploySteps;
  revision: Revision;
  /** The rollback job of one environment, after checkout and the revision check; ends with smoke tests. */
  rollback(p: Pipeline, env: AppModel): Step[];
  /** Absent when the platform has no stack of its own to plan and apply. */
  infrastructure?: Infrastructure;
  /** The infrastructure-as-code jobs of pr-checks.yml, by job id. */
  prChecks(p: Pipeline): Record<string, Job>;
  /** Targets whose generated files the workflows deploy: pr-checks runs `gantry synth <name> --check`. */
  synthTargets: string[];
  /** Everything the platform's steps read from GitHub, its registry's login aside. */
  settings(p: Pipeline): CiSettings;
  /** What `synth github` warns about or refuses for this project on this platform. */
  problems: TargetProblem[];
  /** The checks after a deploy; absent: no redirect is checked (the README says so). */
  verification?: Verification;
  /** Production's recovery drill; absent where the platform runs none from GitHub (the README says why). */
  drill?(p: Pipeline, production: AppModel): Drill | undefined;
}

export interface Platform {
  /** The target name: `synth github --target <name>`. */
  name: string;
  /** Whether the spec configures this platform under `targets`. */
  configured(base: AppModel): boolean;
  /** The registry services the platform runs; any platform's images may live in one (found by `serves`). */
  registries: readonly RegistryService[];
  pipeline(project: ProjectModel, ctx: SynthContext): PlatformPipeline;
}

/** The settings of several pieces as one, each name once, sorted. */
export function joinSettings(...parts: CiSettings[]): CiSettings {
  const sorted = (names: string[]) => [...new Set(names)].sort();
  return {
    variables: sorted(parts.flatMap((s) => s.variables)),
    secrets: sorted(parts.flatMap((s) => s.secrets)),
  };
}
