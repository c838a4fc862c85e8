// The OpenTofu stack in the GitHub pipelines, shared by the platforms whose infrastructure is
// Terraform (AWS, DigitalOcean): the plan and apply steps of infrastructure.yml and the pull request
// check (fmt, validate, a plan per environment posted as a comment). Each platform gives the stack's
// directory, the credentials OpenTofu reads from the environment, and its cloud login if it has one.
import type { AppModel } from "../../model/types.js";
import type { Pipeline } from "../github/pipeline.js";
import { IAC_REPORT, reportComment } from "../github/pr-checks.js";
import { SAME_REPO } from "../github/pr-comment.js";
import { RUNNER, jobPermissions } from "../github/steps.js";
import { action, checkout, run, type Job, type Step } from "../github/workflow.js";
import type { Infrastructure } from "../platform.js";

export interface TofuStack {
  /** The stack's directory, relative to the repository root. */
  dir: string;
  /** Environment variables OpenTofu reads for the provider and the state backend. */
  env: Record<string, string>;
  /** Logs in to the cloud before OpenTofu runs (`env` absent in pull request checks). */
  login(p: Pipeline, env?: AppModel): Step[];
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
export function tofuInit(env: AppModel, dir: string, extraEnv: Record<string, string> = {}): Step {
  return run(
    "Initialise OpenTofu",
    'tofu -chdir="$TF_DIR" init -input=false -reconfigure -backend-config="environments/$ENVIRONMENT.s3.tfbackend"',
    {
      env: { TF_DIR: dir, ENVIRONMENT: env.environment.name, ...extraEnv },
    },
  );
}

/** The GitHub secret whose passphrase encrypts the saved plans. */
const PLAN_PASSPHRASE = "TOFU_PLAN_PASSPHRASE";

/**
 * A saved plan holds the values it will write, secrets among them, and it travels between jobs as an
 * artifact anyone with read access to the repository can download: OpenTofu's own plan encryption
 * (https://opentofu.org/docs/language/state/encryption/, configured through TF_ENCRYPTION so that local
 * runs need no key) encrypts it with AES-GCM under a key derived from the passphrase secret, which
 * OpenTofu requires to be at least 16 characters. The configuration is written in HCL's JSON syntax
 * by jq, so any passphrase is quoted right; its `${` and `%{` are doubled because JSON strings are
 * templates to HCL, and the references are plain strings, which HCL's JSON syntax reads as references.
 */
const ENCRYPTION_JSON = [
  '{key_provider: {pbkdf2: {plan: {passphrase: ($p | gsub("\\\\$\\\\{"; "$${") | gsub("%\\\\{"; "%%{"))}}},',
  'method: {aes_gcm: {plan: {keys: "key_provider.pbkdf2.plan"}}}, plan: {method: "method.aes_gcm.plan"}}',
].join(" ");

function planEncryption(): Step {
  return run(
    "Encrypt saved plans",
    [
      'if [ "${#PASSPHRASE}" -lt 16 ]; then',
      `  echo "::error::set the secret ${PLAN_PASSPHRASE} to at least 16 characters (openssl rand -base64 32): it encrypts the saved plans, which hold the stack's secret values"`,
      "  exit 1",
      "fi",
      "{",
      "  echo 'TF_ENCRYPTION<<GANTRY_TF_ENCRYPTION'",
      `  jq -cn --arg p "$PASSPHRASE" '${ENCRYPTION_JSON}'`,
      "  echo 'GANTRY_TF_ENCRYPTION'",
      '} >> "$GITHUB_ENV"',
    ],
    { env: { PASSPHRASE: `\${{ secrets.${PLAN_PASSPHRASE} }}` } },
  );
}

/** Plans each environment into `$RUNNER_TEMP/plan/tfplan`, encrypted, and applies that saved plan. */
export function tofuInfrastructure(stack: TofuStack): Infrastructure {
  return {
    dir: stack.dir,
    login: (p, env) => stack.login(p, env),
    secrets: [PLAN_PASSPHRASE],
    plan: (_p, env) => [
      setupTofu(),
      planEncryption(),
      tofuInit(env, stack.dir, stack.env),
      run(
        `Plan ${env.environment.name}`,
        [
          'mkdir -p "$RUNNER_TEMP/plan"',
          'tofu -chdir="$TF_DIR" plan -input=false -no-color -var-file="environments/$ENVIRONMENT.tfvars" -out="$RUNNER_TEMP/plan/tfplan"',
          'tofu -chdir="$TF_DIR" show -no-color "$RUNNER_TEMP/plan/tfplan" > "$RUNNER_TEMP/plan/plan.txt"',
          '{ echo "### OpenTofu plan: $ENVIRONMENT"; echo; echo \'```\'; tail -c 60000 "$RUNNER_TEMP/plan/plan.txt"; echo \'```\'; } >> "$GITHUB_STEP_SUMMARY"',
        ],
        { env: { TF_DIR: stack.dir, ENVIRONMENT: env.environment.name, ...stack.env } },
      ),
    ],
    apply: (_p, env) => [
      setupTofu(),
      planEncryption(),
      tofuInit(env, stack.dir, stack.env),
      run(
        `Apply the saved plan to ${env.environment.name}`,
        'tofu -chdir="$TF_DIR" apply -input=false -no-color "$RUNNER_TEMP/plan/tfplan"',
        { env: { TF_DIR: stack.dir, ...stack.env } },
      ),
    ],
  };
}

/** The pull request check of the stack: fmt, validate, and a plan per environment in the report. */
export function tofuCheckJob(p: Pipeline, stack: TofuStack): Job {
  const dir = stack.dir;
  const steps: Step[] = [
    checkout(),
    setupTofu(),
    run("Check formatting", 'tofu -chdir="$TF_DIR" fmt -check -recursive -diff', { env: { TF_DIR: dir } }),
    run(
      "Validate",
      ['tofu -chdir="$TF_DIR" init -backend=false -input=false', 'tofu -chdir="$TF_DIR" validate -no-color'],
      { env: { TF_DIR: dir } },
    ),
    ...stack.login(p).map((s) => ({ ...s, if: SAME_REPO })),
  ];
  for (const env of p.envs) {
    steps.push({
      ...tofuInit(env, dir, stack.env),
      name: `Initialise OpenTofu for ${env.environment.name}`,
      if: SAME_REPO,
    });
    steps.push(
      run(
        `Plan ${env.environment.name}`,
        [
          "set +e",
          'tofu -chdir="$TF_DIR" plan -input=false -no-color -lock=false -var-file="environments/$ENVIRONMENT.tfvars" > "$RUNNER_TEMP/plan-$ENVIRONMENT.txt" 2>&1',
          "code=$?",
          "set -e",
          '{ echo "### OpenTofu plan: $ENVIRONMENT"; echo; echo \'```\'; tail -c 20000 "$RUNNER_TEMP/plan-$ENVIRONMENT.txt"; echo \'```\'; } >> "$REPORT"',
          'exit "$code"',
        ],
        {
          if: SAME_REPO,
          env: { TF_DIR: dir, ENVIRONMENT: env.environment.name, REPORT: IAC_REPORT, ...stack.env },
        },
      ),
    );
  }
  steps.push(reportComment());
  const idToken = jobPermissions(steps)["id-token"];
  return {
    name: "OpenTofu: fmt, validate and plan",
    "runs-on": RUNNER,
    permissions: { contents: "read", "pull-requests": "write", ...(idToken ? { "id-token": idToken } : {}) },
    "timeout-minutes": 30,
    steps,
  };
}
