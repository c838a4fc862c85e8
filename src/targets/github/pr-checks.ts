// pr-checks.yml: what every pull request must pass before it can merge: each service's tests, the
// drift check of the generated files, a secret scan, the image scan, and the deploy platform's
// infrastructure-as-code jobs, whose previews are posted as one pull request comment.
import type { CiModel } from "../../model/types.js";
import { imageStrategy, repoPath, type Pipeline } from "./pipeline.js";
import { isStatic } from "../../model/queries.js";
import { RUNNER, setupStack } from "./steps.js";
import { action, checkout, run, type Job, type Step, type Workflow } from "./workflow.js";
import { pullRequestComment, SAME_REPO } from "./pr-comment.js";
import { GANTRY, installGantry } from "./gantry-install.js";
import { costDiffJob } from "./cost-diff.js";

/** The Markdown report the IaC jobs append their previews to, posted as one pull request comment. */
export const IAC_REPORT = "${{ runner.temp }}/iac-report.md";

/** The last step of an IaC job: the report as the pull request's comment. */
export function reportComment(): Step {
  return pullRequestComment("gantry-iac-report", IAC_REPORT);
}

interface TestGroup {
  id: string;
  services: string[];
  dir: string;
  ci: CiModel;
  build?: string;
}

/** Services with the same folder and commands are tested once. */
function testGroups(p: Pipeline): TestGroup[] {
  const groups: TestGroup[] = [];
  for (const s of p.services) {
    const dir = repoPath(p.specDir, s.ci.working_directory);
    const build = isStatic(s) ? s.build : undefined;
    // A static frontend's own `install` wins over its stack's default.
    const ci = isStatic(s) && s.install ? { ...s.ci, install: s.install } : s.ci;
    const key = JSON.stringify([dir, ci, build]);
    const same = groups.find((g) => JSON.stringify([g.dir, g.ci, g.build]) === key);
    if (same) same.services.push(s.name);
    else groups.push({ id: `test-${s.name}`, services: [s.name], dir, ci, ...(build ? { build } : {}) });
  }
  return groups.filter((g) => g.ci.install || g.ci.lint || g.ci.typecheck || g.ci.test || g.build);
}

function testJob(g: TestGroup): Job {
  const steps: Step[] = [checkout(), ...setupStack(g.ci, g.dir)];
  if (g.ci.install) steps.push(run("Install dependencies", g.ci.install));
  if (g.ci.lint) steps.push(run("Lint", g.ci.lint));
  if (g.ci.typecheck) steps.push(run("Type-check", g.ci.typecheck));
  if (g.ci.test) steps.push(run("Test", g.ci.test));
  if (g.build) steps.push(run("Build", g.build));
  return {
    name: `Test ${g.services.join(", ")}`,
    "runs-on": RUNNER,
    permissions: { contents: "read" },
    "timeout-minutes": 20,
    defaults: { run: { "working-directory": g.dir } },
    steps,
  };
}

function driftJob(p: Pipeline): Job {
  const lines = [
    ...p.platform.synthTargets.map((t) => `${GANTRY} synth ${t} "$SPEC_DIR" --check`),
    `${GANTRY} synth github "$SPEC_DIR" --target ${p.target} --check`,
  ];
  return {
    name: "Generated files are up to date",
    "runs-on": RUNNER,
    permissions: { contents: "read" },
    "timeout-minutes": 10,
    steps: [
      checkout(),
      ...installGantry(),
      run("Compare with gantry synth", lines, { env: { SPEC_DIR: p.specDir } }),
    ],
  };
}

/** Where `gantry check` writes its SARIF on the runner. */
const SARIF = "${{ runner.temp }}/gantry-check.sarif";

/**
 * `gantry check` (docs/checks.md) over the spec and what it generates: its findings go to code scanning
 * as SARIF (annotated on the pull request), and an error fails the job after the upload. The
 * validators run in the IaC jobs, so not here. A fork's token cannot write security events: its
 * pull request gets the job's log only.
 */
function gantryCheckJob(p: Pipeline): Job {
  return {
    name: "gantry check",
    "runs-on": RUNNER,
    // actions: read lets upload-sarif attach the analysis to the run in a private repository.
    permissions: { contents: "read", "security-events": "write", actions: "read" },
    "timeout-minutes": 10,
    steps: [
      checkout(),
      ...installGantry(),
      run(
        "Check the spec and the generated system",
        [
          "status=0",
          `${GANTRY} check "$SPEC_DIR" --no-tools --format sarif > "$SARIF" || status=$?`,
          `${GANTRY} check "$SPEC_DIR" --no-tools || true`,
          'echo "status=$status" >> "$GITHUB_OUTPUT"',
        ],
        { id: "check", env: { SPEC_DIR: p.specDir, SARIF } },
      ),
      action(
        "Upload the findings to code scanning",
        "github/codeql-action/upload-sarif",
        { sarif_file: SARIF, category: "gantry-check" },
        { if: `always() && ${SAME_REPO}` },
      ),
      run("Fail on errors", 'exit "$STATUS"', { env: { STATUS: "${{ steps.check.outputs.status }}" } }),
    ],
  };
}

function secretScanJob(): Job {
  return {
    name: "Secret scan",
    "runs-on": RUNNER,
    permissions: { contents: "read", "pull-requests": "read" },
    "timeout-minutes": 10,
    steps: [
      checkout({ "fetch-depth": 0 }),
      action("Scan for secrets (gitleaks)", "gitleaks/gitleaks-action", undefined, {
        env: {
          GITHUB_TOKEN: "${{ secrets.GITHUB_TOKEN }}",
          GITLEAKS_LICENSE: "${{ secrets.GITLEAKS_LICENSE }}",
          GITLEAKS_ENABLE_COMMENTS: "false",
        },
      }),
    ],
  };
}

function imageScanJob(p: Pipeline): Job {
  const scan = p.base.ci.image_scan;
  return {
    name: "Image ${{ matrix.service }}: build and scan",
    "runs-on": RUNNER,
    permissions: { contents: "read" },
    "timeout-minutes": 30,
    strategy: imageStrategy(p),
    steps: [
      checkout(),
      action("Set up Docker Buildx", "docker/setup-buildx-action"),
      action("Build the image (not pushed)", "docker/build-push-action", {
        context: "${{ matrix.context }}",
        file: "${{ matrix.dockerfile }}",
        ...(p.images.some((i) => i.target) ? { target: "${{ matrix.target }}" } : {}),
        push: false,
        load: true,
        tags: `${p.app}-\${{ matrix.service }}:pr-\${{ github.event.pull_request.number }}`,
        "cache-from": "type=gha,scope=${{ matrix.service }}",
      }),
      action("Scan the image for vulnerabilities (Trivy)", "aquasecurity/trivy-action", {
        "scan-type": "image",
        "image-ref": `${p.app}-\${{ matrix.service }}:pr-\${{ github.event.pull_request.number }}`,
        severity: scan.severity.join(","),
        "ignore-unfixed": scan.ignore_unfixed,
        "exit-code": "1",
        format: "table",
      }),
    ],
  };
}

export function prChecks(p: Pipeline): Workflow {
  const jobs: Record<string, Job> = {};
  for (const g of testGroups(p)) jobs[g.id] = testJob(g);
  jobs["generated-files"] = driftJob(p);
  jobs["gantry-check"] = gantryCheckJob(p);
  jobs["secret-scan"] = secretScanJob();
  if (p.images.length) jobs["image-scan"] = imageScanJob(p);
  const cost = costDiffJob(p);
  if (cost) jobs.cost = cost;
  Object.assign(jobs, p.platform.prChecks(p));
  return {
    name: "PR checks",
    on: { pull_request: { branches: [p.defaultBranch] } },
    permissions: { contents: "read" },
    concurrency: { group: "pr-checks-${{ github.event.pull_request.number }}", "cancel-in-progress": true },
    defaults: { run: { shell: "bash" } },
    jobs,
  };
}
