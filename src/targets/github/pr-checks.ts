// pr-checks.yml: what every pull request must pass before it can merge.
import type { CiModel } from "../../model/types.js";
import { iacValidation } from "./iac.js";
import { imageStrategy, isStatic, repoPath, type Pipeline } from "./pipeline.js";
import { RUNNER } from "./platform.js";
import { action, checkout, run, type Job, type Step, type Workflow } from "./workflow.js";

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
  for (const s of Object.values(p.base.services)) {
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

/**
 * The toolchain of a stack, with the package cache only where the install command proves the lock
 * file exists (`npm ci` needs package-lock.json; `pip install -r` names its requirements).
 */
export function setupStack(ci: CiModel, dir: string): Step[] {
  const install = ci.install ?? "";
  switch (ci.stack) {
    case "node":
      return [
        action(
          "Set up Node.js",
          "actions/setup-node",
          /^npm ci\b/.test(install)
            ? {
                "node-version": ci.version ?? "20",
                cache: "npm",
                "cache-dependency-path": `${dir}/package-lock.json`,
              }
            : { "node-version": ci.version ?? "20", "package-manager-cache": false },
        ),
      ];
    case "python": {
      const reqs = [...install.matchAll(/(?:^|\s)-r\s+(\S+)/g)].map((m) => `${dir}/${m[1]!}`);
      return [
        action(
          "Set up Python",
          "actions/setup-python",
          reqs.length
            ? {
                "python-version": ci.version ?? "3.12",
                cache: "pip",
                "cache-dependency-path": reqs.join("\n"),
              }
            : { "python-version": ci.version ?? "3.12" },
        ),
      ];
    }
    case "go":
      return [
        action("Set up Go", "actions/setup-go", {
          "go-version": ci.version ?? "stable",
          "cache-dependency-path": `${dir}/go.sum`,
        }),
      ];
    default:
      // Java, .NET and Ruby come preinstalled on GitHub's Ubuntu runners.
      return [];
  }
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
  const targets = [p.target as string];
  if (p.helm && p.target !== "kubernetes") targets.push("kubernetes");
  const lines = [
    ...targets.map((t) => `npx gantry synth ${t} "$SPEC_DIR" --check`),
    `npx gantry synth github "$SPEC_DIR" --target ${p.target} --check`,
  ];
  return {
    name: "Generated files are up to date",
    "runs-on": RUNNER,
    permissions: { contents: "read" },
    "timeout-minutes": 10,
    steps: [
      checkout(),
      action("Set up Node.js", "actions/setup-node", {
        "node-version": "20",
        "package-manager-cache": false,
      }),
      run("Compare with gantry synth", lines, { env: { SPEC_DIR: p.specDir } }),
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
  jobs["secret-scan"] = secretScanJob();
  if (p.images.length) jobs["image-scan"] = imageScanJob(p);
  Object.assign(jobs, iacValidation(p));
  return {
    name: "PR checks",
    on: { pull_request: { branches: [p.defaultBranch] } },
    permissions: { contents: "read" },
    concurrency: { group: "pr-checks-${{ github.event.pull_request.number }}", "cancel-in-progress": true },
    defaults: { run: { shell: "bash" } },
    jobs,
  };
}
