// Infrastructure-as-code checks on pull requests: the Helm chart (helm lint + kubeconform), Bicep
// (build + what-if) and OpenTofu (fmt, validate, plan), with the what-if / plan posted as a comment.
import type { AppModel } from "../../model/types.js";
import type { Pipeline } from "./pipeline.js";
import {
  RUNNER,
  awsLogin,
  azureDeploymentName,
  azureLocation,
  azureLogin,
  doTofuEnv,
  setupTofu,
  tofuInit,
} from "./platform.js";
import { action, checkout, run, type Job, type Step } from "./workflow.js";

const KUBECONFORM = "v0.8.0";
const REPORT = "${{ runner.temp }}/iac-report.md";
const SAME_REPO = "github.event.pull_request.head.repo.full_name == github.repository";

export function kubernetesVersion(p: Pipeline): string {
  const v = p.base.targets.digitalocean?.kubernetes_version ?? "1.33";
  return /^\d+\.\d+$/.test(v) ? `${v}.0` : v;
}

function helmJob(p: Pipeline): Job {
  const steps: Step[] = [
    checkout(),
    action("Set up Helm", "azure/setup-helm", { version: "v3.22.0" }),
    action("Set up Go (for kubeconform)", "actions/setup-go", { "go-version": "stable", cache: false }),
    run("Install kubeconform", `go install github.com/yannh/kubeconform/cmd/kubeconform@${KUBECONFORM}`),
    run(
      "Fetch chart dependencies",
      ['if [ -f "$CHART/Chart.lock" ]; then', '  helm dependency build "$CHART"', "fi"],
      { env: { CHART: p.chart } },
    ),
  ];
  for (const env of p.envs) {
    steps.push(
      run(
        `Lint and validate the chart for ${env.environment.name}`,
        [
          'helm lint "$CHART" --strict --values "$CHART/values-$ENVIRONMENT.yaml"',
          'helm template "$RELEASE" "$CHART" --namespace "$NAMESPACE" --values "$CHART/values-$ENVIRONMENT.yaml" \\',
          '  | "$(go env GOPATH)/bin/kubeconform" -strict -summary -ignore-missing-schemas -kubernetes-version "$KUBERNETES_VERSION"',
        ],
        {
          env: {
            CHART: p.chart,
            RELEASE: p.app,
            ENVIRONMENT: env.environment.name,
            NAMESPACE: env.environment.namespace,
            KUBERNETES_VERSION: kubernetesVersion(p),
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
        '    | xargs -0 --no-run-if-empty "$(go env GOPATH)/bin/kubeconform" -strict -summary -ignore-missing-schemas -kubernetes-version "$KUBERNETES_VERSION"',
        "fi",
      ],
      {
        env: {
          BOOTSTRAP: p.chart.replace(/\/chart$/, "/cluster-bootstrap"),
          KUBERNETES_VERSION: kubernetesVersion(p),
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

/**
 * Posts the report as one pull request comment, updated in place on every push (found by a hidden
 * marker) instead of a new comment each time. The script reads the report path from env.
 */
const COMMENT_SCRIPT = [
  'const fs = require("fs");',
  'const marker = "<!-- gantry-iac-report -->";',
  'const report = fs.existsSync(process.env.REPORT) ? fs.readFileSync(process.env.REPORT, "utf8") : "No report: an earlier step failed, see the job log.";',
  "const body = `${marker}\\n${report}`;",
  "const { owner, repo } = context.repo;",
  "const issue_number = context.issue.number;",
  "const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number });",
  'const previous = comments.find((c) => c.user?.type === "Bot" && c.body?.includes(marker));',
  "if (previous) await github.rest.issues.updateComment({ owner, repo, comment_id: previous.id, body });",
  "else await github.rest.issues.createComment({ owner, repo, issue_number, body });",
].join("\n");

function commentStep(): Step {
  return action(
    "Post the report on the pull request",
    "actions/github-script",
    { script: COMMENT_SCRIPT },
    { if: `always() && ${SAME_REPO}`, env: { REPORT } },
  );
}

function bicepJob(p: Pipeline): Job {
  const steps: Step[] = [
    checkout(),
    run("Build the Bicep templates", 'az bicep build --file "$AZURE_DIR/main.bicep" --stdout > /dev/null', {
      env: { AZURE_DIR: p.azureDir },
    }),
    { ...azureLogin(), if: SAME_REPO },
  ];
  for (const env of p.envs) steps.push(whatIfStep(p, env, REPORT));
  steps.push(commentStep());
  return {
    name: "Bicep: build and what-if",
    "runs-on": RUNNER,
    permissions: { contents: "read", "id-token": "write", "pull-requests": "write" },
    "timeout-minutes": 20,
    steps,
  };
}

/** `az deployment sub what-if` for one environment, appended to a Markdown report. */
export function whatIfStep(p: Pipeline, env: AppModel, report: string, extra: Partial<Step> = {}): Step {
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
        DEPLOYMENT: azureDeploymentName(p, env),
        LOCATION: azureLocation(p, env),
        AZURE_DIR: p.azureDir,
        ENVIRONMENT: env.environment.name,
        REPORT: report,
        ...p.azureParameterEnv,
      },
    },
  );
}

function tofuJob(p: Pipeline, dir: string, title: string): Job {
  const cloudEnv = p.target === "digitalocean" ? doTofuEnv() : {};
  const steps: Step[] = [
    checkout(),
    setupTofu(),
    run("Check formatting", 'tofu -chdir="$TF_DIR" fmt -check -recursive -diff', { env: { TF_DIR: dir } }),
    run(
      "Validate",
      ['tofu -chdir="$TF_DIR" init -backend=false -input=false', 'tofu -chdir="$TF_DIR" validate -no-color'],
      { env: { TF_DIR: dir } },
    ),
  ];
  if (p.target === "aws") steps.push({ ...awsLogin(p, undefined, "AWS_INFRA_ROLE_ARN"), if: SAME_REPO });
  for (const env of p.envs) {
    steps.push({
      ...tofuInit(env, dir),
      name: `Initialise OpenTofu for ${env.environment.name}`,
      if: SAME_REPO,
      env: { ...tofuInit(env, dir).env, ...cloudEnv },
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
        { if: SAME_REPO, env: { TF_DIR: dir, ENVIRONMENT: env.environment.name, REPORT, ...cloudEnv } },
      ),
    );
  }
  steps.push(commentStep());
  return {
    name: title,
    "runs-on": RUNNER,
    permissions: {
      contents: "read",
      "pull-requests": "write",
      ...(p.target === "aws" ? { "id-token": "write" as const } : {}),
    },
    "timeout-minutes": 30,
    steps,
  };
}

/** The IaC jobs of pr-checks.yml for the deploy target. */
export function iacValidation(p: Pipeline): Record<string, Job> {
  const jobs: Record<string, Job> = {};
  if (p.helm) jobs["helm-chart"] = helmJob(p);
  if (p.target === "azure") jobs["bicep"] = bicepJob(p);
  if (p.target === "aws") jobs["opentofu"] = tofuJob(p, p.awsDir, "OpenTofu: fmt, validate and plan");
  if (p.target === "digitalocean") jobs["opentofu"] = tofuJob(p, p.doDir, "OpenTofu: fmt, validate and plan");
  return jobs;
}
