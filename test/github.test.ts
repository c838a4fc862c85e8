// The github target: golden workflow trees for every example x deploy target, and the properties
// every generated workflow must have (pinned actions with real inputs, least privilege, no
// untrusted `${{ }}` in scripts, timeouts), plus the deploy behaviour each spec setting selects.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { loadSpec } from "../src/model/load.js";
import { renderWorkflows } from "../src/targets/github/index.js";
import { smokeUrls } from "../src/targets/github/pipeline.js";
import { DEFAULT_OUTPUTS, PLATFORMS, githubTarget } from "../src/targets/registry.js";
import { PINS } from "../src/targets/github/pins.js";
import { printWorkflow, type Job, type Step, type Workflow } from "../src/targets/github/workflow.js";
import { SHARED_SCHEMAS } from "../src/validate/tools.js";
import {
  EXAMPLES,
  REPO_ROOT,
  exampleContext,
  expectGoldenTree,
  loadExample,
  runCli,
  tempDir,
} from "./helpers.js";

interface PinEntry {
  sha: string;
  tag: string;
  inputs: string[];
  required_inputs: string[];
  sub_actions?: Record<string, { inputs: string[]; required_inputs: string[] }>;
}
const DEPLOY_TARGETS = PLATFORMS.map((p) => p.name);

const pinFile = JSON.parse(
  readFileSync(join(SHARED_SCHEMAS, "..", "data", "github-action-pins.json"), "utf8"),
) as { actions: Record<string, PinEntry> };

function render(example: string, target: string) {
  return githubTarget.render(loadExample(example).project, exampleContext(example, target));
}

function workflowsOf(example: string, target: string): Record<string, Workflow> {
  return renderWorkflows(loadExample(example).project, exampleContext(example, target), PLATFORMS);
}

function allJobs(): { where: string; job: Job; wf: Workflow }[] {
  const out: { where: string; job: Job; wf: Workflow }[] = [];
  for (const ex of EXAMPLES)
    for (const t of DEPLOY_TARGETS)
      for (const [file, wf] of Object.entries(workflowsOf(ex, t)))
        for (const [id, job] of Object.entries(wf.jobs))
          out.push({ where: `${ex}/${t}/${file}#${id}`, job, wf });
  return out;
}

const SPEC = `name: shop
services:
  api:
    build: ./api
    command: node server.js
    port: 8080
    health: { liveness: /health, readiness: /ready }
    migrations: npm run migrate
    domain: api.shop.test
ci:
  image_scan: { severity: [CRITICAL], ignore_unfixed: false }
environments:
  staging:
    deploy: { on: push, branch: main }
    services: { api: { domain: api.staging.shop.test } }
  production:
    deploy: { on: manual, approval: required }
`;

function specWorkflows(text: string, target: string): Record<string, Workflow> {
  const r = loadSpec("gantry.yaml", text);
  const ctx = { specPath: "gantry.yaml", specDir: ".", outputs: DEFAULT_OUTPUTS, deployTarget: target };
  return renderWorkflows(r.project, ctx, PLATFORMS);
}

describe("github target: golden trees", () => {
  for (const ex of EXAMPLES) {
    for (const t of DEPLOY_TARGETS) {
      it(`${ex} with --target ${t}`, () => {
        expectGoldenTree(
          githubTarget,
          ex,
          render(ex, t),
          join(REPO_ROOT, "examples", ex, ".github", `workflows-${t}`),
        );
      });
    }
  }

  it("renders the same bytes every time", () => {
    for (const ex of EXAMPLES) for (const t of DEPLOY_TARGETS) assert.deepEqual(render(ex, t), render(ex, t));
  });

  it("chooses the first target the spec configures when --target is absent", () => {
    const files = (ex: string) => githubTarget.render(loadExample(ex).project, exampleContext(ex));
    assert.deepEqual(files("todo"), render("todo", "kubernetes"));
    // augeo configures azure and kubernetes: kubernetes comes first in the order of preference.
    assert.deepEqual(files("augeo"), render("augeo", "kubernetes"));
    assert.deepEqual(files("storefront"), render("storefront", "aws"));
    assert.deepEqual(files("hello"), render("hello", "kubernetes"));
  });

  it("writes the expected files", () => {
    assert.deepEqual(Object.keys(render("todo", "kubernetes")).sort(), [
      "README.md",
      "alert-drill.yml",
      "build.yml",
      "deploy-production.yml",
      "deploy-staging.yml",
      "load-test.mjs",
      "pr-checks.yml",
      "rollback.yml",
    ]);
    assert.deepEqual(Object.keys(render("augeo", "azure")).sort(), [
      "README.md",
      "alert-drill.yml",
      "build.yml",
      "deploy-dev.yml",
      "deploy-production.yml",
      "deploy-staging.yml",
      "dr-drill.yml",
      "infrastructure.yml",
      "load-test.mjs",
      "pr-checks.yml",
      "rollback.yml",
    ]);
  });
});

describe("github target: pinned actions", () => {
  it("the pin table matches the shared pin data", () => {
    for (const [name, pin] of Object.entries(PINS)) {
      const data = pinFile.actions[name];
      assert.ok(data, `${name} is not in github-action-pins.json`);
      assert.equal(pin.sha, data.sha, `${name} sha`);
      assert.equal(pin.tag, data.tag, `${name} tag`);
    }
  });

  it("every uses: is a full commit SHA with its tag as a comment, and every with: key is a real input", () => {
    let checked = 0;
    for (const ex of EXAMPLES) {
      for (const t of DEPLOY_TARGETS) {
        for (const [file, text] of Object.entries(render(ex, t)).filter(([f]) => f.endsWith(".yml"))) {
          for (const line of text.split("\n").filter((l) => /^\s*(- )?uses:/.test(l))) {
            const m = /uses: ([\w.-]+\/[\w.-]+)((?:\/[\w.-]+)*)@([0-9a-f]{40}) # (\S+)$/.exec(line);
            assert.ok(m, `${ex}/${t}/${file}: not pinned by SHA: ${line.trim()}`);
            const data = pinFile.actions[m[1]!];
            assert.ok(data, `${m[1]} is not in the pin data`);
            assert.equal(m[3], data.sha);
            assert.equal(m[4], data.tag);
            checked++;
          }
          const wf = parse(text) as Workflow;
          for (const [id, job] of Object.entries(wf.jobs)) {
            for (const step of job.steps.filter((s) => s.uses)) {
              const ref = step.uses!.split("@")[0]!;
              const [owner, repo, ...sub] = ref.split("/");
              const data = pinFile.actions[`${owner}/${repo}`]!;
              const spec = sub.length ? data.sub_actions?.[sub.join("/")] : data;
              assert.ok(spec, `${ref}: unknown sub-action`);
              for (const key of Object.keys(step.with ?? {}))
                assert.ok(spec.inputs.includes(key), `${ex}/${t}/${file}#${id}: ${ref} has no input ${key}`);
              for (const key of spec.required_inputs)
                assert.ok(key in (step.with ?? {}), `${ex}/${t}/${file}#${id}: ${ref} needs input ${key}`);
            }
          }
        }
      }
    }
    assert.ok(checked > 500, `only ${checked} uses: lines checked`);
  });
});

describe("github target: security properties", () => {
  const jobs = allJobs();

  it("every job has a timeout and explicit permissions; workflows default to read-only", () => {
    for (const { where, job, wf } of jobs) {
      assert.ok(job["timeout-minutes"] > 0 && job["timeout-minutes"] <= 360, `${where}: timeout-minutes`);
      assert.ok(job.permissions && typeof job.permissions === "object", `${where}: permissions`);
      assert.deepEqual(wf.permissions, { contents: "read" });
    }
  });

  it("id-token: write only in jobs that log in with OIDC or sign keylessly", () => {
    const oidc = (s: Step) =>
      /^(azure\/login|aws-actions\/configure-aws-credentials)@/.test(s.uses ?? "") ||
      /cosign" sign/.test(s.run ?? "");
    for (const { where, job } of jobs) {
      if (job.permissions["id-token"] === "write")
        assert.ok(job.steps.some(oidc), `${where}: id-token without an OIDC login`);
      if (job.steps.some((s) => /^(azure\/login|aws-actions\/configure-aws-credentials)@/.test(s.uses ?? "")))
        assert.equal(job.permissions["id-token"], "write", `${where}: OIDC login without id-token`);
    }
  });

  it("no ${{ }} inside run: scripts, no pull_request_target, checkout never keeps credentials", () => {
    for (const { where, job, wf } of jobs) {
      assert.equal((wf.on as Record<string, unknown>)["pull_request_target"], undefined);
      for (const s of job.steps) {
        if (s.run) assert.ok(!s.run.includes("${{"), `${where}: ${s.name} interpolates into its script`);
        if (s.uses?.startsWith("actions/checkout@"))
          assert.equal(s.with?.["persist-credentials"], false, `${where}: checkout`);
      }
    }
  });

  it("cloud logins use OIDC, not stored keys", () => {
    for (const { where, job } of jobs) {
      for (const s of job.steps) {
        if (s.uses?.startsWith("azure/login@"))
          assert.deepEqual(
            Object.keys(s.with ?? {}).sort(),
            ["client-id", "subscription-id", "tenant-id"],
            where,
          );
        if (s.uses?.startsWith("aws-actions/configure-aws-credentials@")) {
          assert.match(
            String(s.with?.["role-to-assume"]),
            /^\$\{\{ vars\.AWS_((INFRA|DRILL)_)?ROLE_ARN \}\}$/,
            where,
          );
          assert.equal(s.with?.["aws-access-key-id"], undefined, where);
        }
      }
    }
  });
});

describe("github target: pipelines", () => {
  it("pr-checks runs each service's commands, the drift check, gitleaks and Trivy with the spec's severities", () => {
    const wf = specWorkflows(SPEC, "kubernetes")["pr-checks.yml"]!;
    assert.deepEqual(wf.on, { pull_request: { branches: ["main"] } });
    const test = wf.jobs["test-api"]!;
    assert.equal(test.defaults?.run["working-directory"], "api");
    assert.deepEqual(
      test.steps.filter((s) => s.run).map((s) => s.run!.trim()),
      ["npm ci", "npm run lint --if-present", "npm run typecheck --if-present", "npm test --if-present"],
    );
    assert.match(
      wf.jobs["generated-files"]!.steps.at(-1)!.run!,
      /"\$RUNNER_TEMP\/gantry\/node_modules\/\.bin\/gantry" synth kubernetes "\$SPEC_DIR" --check\n"\$RUNNER_TEMP\/gantry\/node_modules\/\.bin\/gantry" synth github "\$SPEC_DIR" --target kubernetes --check/,
    );
    assert.ok(wf.jobs["secret-scan"]!.steps.some((s) => s.uses?.startsWith("gitleaks/gitleaks-action@")));
    const trivy = wf.jobs["image-scan"]!.steps.find((s) => s.uses?.startsWith("aquasecurity/trivy-action@"))!;
    assert.equal(trivy.with?.severity, "CRITICAL");
    assert.equal(trivy.with?.["ignore-unfixed"], false);
    assert.equal(trivy.with?.["exit-code"], "1");
    const build = wf.jobs["image-scan"]!.steps.find((s) => s.uses?.startsWith("docker/build-push-action@"))!;
    assert.equal(build.with?.push, false);
    assert.ok(wf.jobs["helm-chart"]!.steps.some((s) => s.run?.includes("kubeconform")));
  });

  it("pr-checks runs gantry check, uploads its SARIF to code scanning, and fails on its errors after the upload", () => {
    for (const target of DEPLOY_TARGETS) {
      const job = specWorkflows(SPEC, target)["pr-checks.yml"]!.jobs["gantry-check"]!;
      assert.equal(job.permissions?.["security-events"], "write", target);
      const [check, upload, fail] = job.steps.slice(-3);
      assert.match(
        check!.run!,
        /\/\.bin\/gantry" check "\$SPEC_DIR" --no-tools --format sarif > "\$SARIF" \|\| status=\$\?/,
      );
      // Gantry comes from the package the repository names, never a bare `npx gantry` (another npm package).
      const install = job.steps.find((s) => s.name === "Install Gantry")!;
      assert.match(
        install.run!,
        /npm install --prefix "\$RUNNER_TEMP\/gantry" --no-audit --no-fund "\$GANTRY_PACKAGE"/,
      );
      assert.equal(install.env?.GANTRY_PACKAGE, "${{ vars.GANTRY_PACKAGE }}");
      assert.doesNotMatch(JSON.stringify(specWorkflows(SPEC, target)), /npx gantry/);
      assert.ok(upload!.uses?.startsWith("github/codeql-action/upload-sarif@"), upload!.uses);
      assert.equal(upload!.with?.sarif_file, check!.env?.SARIF);
      assert.match(upload!.if!, /^always\(\) && /, "the findings are uploaded also when check fails");
      assert.equal(fail!.env?.STATUS, "${{ steps.check.outputs.status }}");
    }
  });

  it("IaC checks follow the target: what-if and plans are posted on the pull request", () => {
    const azure = specWorkflows(SPEC, "azure")["pr-checks.yml"]!.jobs["bicep"]!;
    assert.ok(azure.steps.some((s) => s.run?.includes("az bicep build")));
    assert.ok(azure.steps.some((s) => s.run?.includes("az deployment sub what-if")));
    const comment = azure.steps.find((s) => s.uses?.startsWith("actions/github-script@"))!;
    assert.match(String(comment.with?.script), /updateComment/);
    assert.equal(comment.env?.REPORT, "${{ runner.temp }}/iac-report.md");
    const aws = specWorkflows(SPEC, "aws")["pr-checks.yml"]!.jobs["opentofu"]!;
    for (const cmd of ["fmt -check", " validate", " plan "])
      assert.ok(
        aws.steps.some((s) => s.run?.includes(cmd)),
        cmd,
      );
    assert.equal(aws.permissions["pull-requests"], "write");
  });

  it("image repositories follow the chart's rule: <registry>/<service> when the registry ends with the app's name", () => {
    const image = (ex: string, t: string) =>
      workflowsOf(ex, t)["build.yml"]!.jobs["build"]!.steps.find((s) => s.id === "meta")!.with?.images;
    assert.equal(image("todo", "kubernetes"), "ghcr.io/hackathon/todo/${{ matrix.service }}");
    assert.equal(image("augeo", "kubernetes"), "augeoacr.azurecr.io/augeo/${{ matrix.service }}");
    assert.equal(
      image("storefront", "aws"),
      "${{ steps.login-ecr.outputs.registry }}/storefront/${{ matrix.service }}",
    );
    assert.equal(image("hello", "digitalocean"), "registry.digitalocean.com/hello/${{ matrix.service }}");
  });

  it("on Kubernetes targets a static frontend becomes an nginx image of its built site; elsewhere it is deployed as files", () => {
    const k8s = workflowsOf("hello", "kubernetes")["build.yml"]!.jobs["build-web"]!;
    assert.ok(k8s.steps.some((s) => s.run?.trim() === "node build.mjs"));
    const push = k8s.steps.find((s) => s.id === "build")!;
    assert.equal(push.with?.context, "examples/hello/web/dist");
    assert.match(
      k8s.steps.find((s) => s.name.startsWith("Write the web server"))!.run!,
      /try_files \$uri \$uri\/ \/index.html;/,
    );
    assert.equal(workflowsOf("hello", "aws")["build.yml"]!.jobs["build-web"], undefined);
  });

  it("build pushes sha-<short> and <branch>-latest tags with a registry cache", () => {
    const wf = specWorkflows(SPEC, "kubernetes")["build.yml"]!;
    assert.deepEqual(wf.on, { push: { branches: ["main"] }, workflow_dispatch: {} });
    const steps = wf.jobs["build"]!.steps;
    const meta = steps.find((s) => s.uses?.startsWith("docker/metadata-action@"))!;
    assert.equal(meta.with?.tags, "type=sha,prefix=sha-,format=short\ntype=ref,event=branch,suffix=-latest");
    const push = steps.find((s) => s.uses?.startsWith("docker/build-push-action@"))!;
    assert.equal(push.with?.push, true);
    assert.equal(push.with?.["cache-to"], "type=gha,mode=max,scope=${{ matrix.service }}");
    assert.equal(wf.jobs["build"]!.permissions.packages, "write");
    const aws = specWorkflows(SPEC, "aws")["build.yml"]!.jobs["build"]!;
    assert.ok(aws.steps.some((s) => s.uses?.startsWith("aws-actions/amazon-ecr-login@")));
    // ECR tags are immutable in the AWS stack: no moving <branch>-latest tag there.
    assert.equal(aws.steps.find((s) => s.id === "meta")!.with?.tags, "type=sha,prefix=sha-,format=short");
  });

  it("staging deploys after a successful Build; manual environments only on dispatch; one deploy per environment at a time", () => {
    const w = specWorkflows(SPEC, "kubernetes");
    const staging = w["deploy-staging.yml"]!;
    assert.deepEqual(staging.on, {
      workflow_run: { workflows: ["Build"], types: ["completed"], branches: ["main"] },
      workflow_dispatch: {},
    });
    assert.match(staging.jobs["prepare"]!.if!, /workflow_run.conclusion == 'success'/);
    assert.deepEqual(staging.concurrency, { group: "deploy-staging", "cancel-in-progress": false });
    assert.deepEqual(staging.jobs["deploy"]!.environment, {
      name: "staging",
      url: "https://api.staging.shop.test",
    });
    assert.deepEqual(w["deploy-production.yml"]!.on, { workflow_dispatch: {} });
  });

  it("release environments deploy published releases whose tag matches tag_pattern", () => {
    const wf = workflowsOf("todo", "kubernetes")["deploy-production.yml"]!;
    assert.deepEqual(wf.on, { release: { types: ["published"] }, workflow_dispatch: {} });
    const resolve = wf.jobs["prepare"]!.steps[0]!;
    assert.equal(resolve.env?.TAG_PATTERN, "v*.*.*");
    assert.match(resolve.run!, /\[\[ \$TAG != \$TAG_PATTERN \]\]/);
  });

  it("Kubernetes: helm upgrade --atomic (migrations in its pre-upgrade hook), rollout status, smoke tests, rollback", () => {
    const steps = specWorkflows(SPEC, "kubernetes")["deploy-staging.yml"]!.jobs["deploy"]!.steps;
    // Migrations run as the chart's pre-upgrade hook Job, inside `helm upgrade`, not as a step.
    assert.ok(!steps.some((s) => s.run?.includes("kubectl run")));
    const rollout = steps.find((s) => s.id === "rollout")!;
    assert.match(
      rollout.run!,
      /helm upgrade --install "\$RELEASE" "\$CHART" .*\n.*--values "\$CHART\/values-\$ENVIRONMENT.yaml" --set global.imageTag="\$IMAGE_TAG" \\\n\s*--atomic --wait --timeout "\$TIMEOUT" --history-max 10\nkubectl rollout status deployment\/api/,
    );
    assert.equal(rollout.env?.CHART, "deploy/kubernetes/chart");
    const smoke = steps.find((s) => s.id === "smoke")!;
    assert.equal(smoke.env?.SMOKE_URLS, "https://api.staging.shop.test/ready");
    assert.match(smoke.run!, /--retry 10/);
    const rollback = steps.find((s) => s.name.startsWith("Roll back"))!;
    assert.equal(rollback.if, "failure() && steps.smoke.outcome == 'failure'");
    assert.match(rollback.run!, /helm rollback/);
  });

  it("Azure App Service: staging slot, warm-up, swap, swap back on failure", () => {
    const steps = specWorkflows(SPEC, "azure")["deploy-production.yml"]!.jobs["deploy"]!.steps;
    const deploy = steps.find((s) => s.uses?.startsWith("azure/webapps-deploy@"))!;
    assert.equal(deploy.with?.["slot-name"], "staging");
    assert.equal(deploy.with?.["app-name"], "${{ env.API_APP }}");
    assert.ok(steps.some((s) => s.name === "Warm up the staging slot"));
    assert.equal(
      steps.find((s) => s.id === "swap")!.run,
      'az webapp deployment slot swap --resource-group "$RESOURCE_GROUP" --name "$API_APP" --slot staging --target-slot production\n',
    );
    assert.equal(
      steps.find((s) => s.name === "Swap back after a failed deploy")!.if,
      "failure() && steps.swap.outcome == 'success'",
    );
    assert.match(
      steps.find((s) => s.name === "Read the infrastructure outputs")!.run!,
      /\.apiAppName\.value/,
    );
  });

  it("AWS: new task definition, update-service, wait for stability, S3 + CloudFront, previous task definition on failure", () => {
    const steps = workflowsOf("storefront", "aws")["deploy-production.yml"]!.jobs["deploy"]!.steps;
    const run = steps.map((s) => s.run ?? "").join("\n");
    for (const cmd of [
      "aws ecs register-task-definition",
      "aws ecs run-task",
      "aws ecs update-service",
      "aws ecs wait services-stable",
      "aws s3 sync",
      "aws cloudfront create-invalidation",
    ])
      assert.ok(run.includes(cmd), cmd);
    assert.ok(
      run.indexOf("aws ecs run-task") < run.indexOf("aws ecs update-service"),
      "migrations run before the rollout",
    );
    const rollback = steps.find((s) => s.name === "Roll back to the previous task definitions")!;
    assert.match(rollback.run!, /--task-definition "\$PREVIOUS_API"/);
  });

  it("notifies Slack or Teams when the webhook secret is set", () => {
    const notify = workflowsOf("augeo", "azure")["deploy-production.yml"]!.jobs["notify"]!;
    assert.equal(notify.env?.TEAMS_WEBHOOK_URL, "${{ secrets.TEAMS_WEBHOOK_URL }}");
    assert.equal(notify.steps[0]!.if, "env.TEAMS_WEBHOOK_URL != ''");
    const slack = workflowsOf("todo", "kubernetes")["deploy-staging.yml"]!.jobs["notify"]!;
    assert.ok(slack.steps[0]!.uses?.startsWith("slackapi/slack-github-action@"));
  });

  it("rollback is dispatched with an environment and a revision, under the deploy lock", () => {
    const wf = workflowsOf("todo", "kubernetes")["rollback.yml"]!;
    const inputs = wf.on.workflow_dispatch?.inputs ?? {};
    assert.deepEqual(inputs["environment"]?.options, ["staging", "production"]);
    assert.equal(inputs["revision"]?.type, "string");
    const prod = wf.jobs["rollback-production"]!;
    assert.equal(prod.if, "inputs.environment == 'production'");
    assert.deepEqual(prod.concurrency, { group: "deploy-production", "cancel-in-progress": false });
    assert.equal(prod.environment?.name, "production");
  });

  it("infrastructure plans on pull requests and applies saved plans in environment order", () => {
    const wf = workflowsOf("storefront", "aws")["infrastructure.yml"]!;
    assert.deepEqual(wf.on.pull_request?.paths, [
      "examples/storefront/infrastructure/aws/**",
      ".github/workflows/infrastructure.yml",
    ]);
    assert.ok(wf.jobs["plan-production"]!.steps.some((s) => s.uses?.startsWith("actions/upload-artifact@")));
    const apply = wf.jobs["apply-production"]!;
    assert.deepEqual(apply.needs, ["plan-production", "apply-staging"]);
    assert.equal(apply.environment?.name, "production");
    assert.ok(
      apply.steps.some((s) => s.run?.includes('apply -input=false -no-color "$RUNNER_TEMP/plan/tfplan"')),
    );
    assert.ok(!("infrastructure.yml" in workflowsOf("todo", "kubernetes")));
  });

  it("smoke tests only hit health endpoints that route back to their own service", () => {
    const env = loadExample("todo").project.environments[1]!;
    // frontend's /api/health is routed to backend (path /api); sse-gateway's /health to frontend.
    assert.deepEqual(smokeUrls(env), ["https://todo.example.com/api/ready"]);
  });
});

describe("github target: printing", () => {
  it("refuses to print an action that is not in the pin table", () => {
    const wf = workflowsOf("todo", "kubernetes")["pr-checks.yml"]!;
    const broken = structuredClone(wf);
    broken.jobs["secret-scan"]!.steps[0]!.uses = "actions/checkout@v4";
    assert.throws(() => printWorkflow(broken, []), /not pinned|unpinned/);
    const forged = structuredClone(wf);
    forged.jobs["secret-scan"]!.steps[0]!.uses = `actions/checkout@${"0".repeat(40)}`;
    assert.throws(() => printWorkflow(forged, []), /unpinned action/);
  });

  it("says in each deploy workflow when it runs and whether it needs reviewers", () => {
    const tree = render("todo", "kubernetes");
    assert.match(
      tree["deploy-staging.yml"]!,
      /^# Deploys staging after each successful Build of a push to main\.$/m,
    );
    assert.match(
      tree["deploy-production.yml"]!,
      /^# Deploys production when a release whose tag matches v\*\.\*\.\* is published\.\n# deploy\.approval is required: give the GitHub environment "production" required reviewers\.$/m,
    );
  });
});

describe("github target: check", () => {
  it("rejects a tag pattern that is not a plain glob", () => {
    const r = loadSpec(
      "gantry.yaml",
      SPEC.replace(
        "deploy: { on: manual, approval: required }",
        'deploy: { on: release, tag_pattern: "v*; rm -rf /" }',
      ),
    );
    const problems = githubTarget.check(r.project, exampleContext("todo", "kubernetes"));
    assert.ok(
      problems.some(
        (p) => p.path === "environments.production.deploy.tag_pattern" && p.severity !== "warning",
      ),
    );
  });

  it("warns when the chosen target is not configured in the spec", () => {
    const problems = githubTarget.check(loadExample("hello").project, exampleContext("hello", "aws"));
    assert.deepEqual(
      problems.map((p) => [p.path, p.severity]),
      [["targets", "warning"]],
    );
    const k8s = githubTarget.check(loadExample("hello").project, exampleContext("hello", "kubernetes"));
    assert.deepEqual(
      k8s.map((p) => [p.path, p.severity]),
      [
        ["targets", "warning"],
        ["ci", "warning"],
      ],
    );
    assert.deepEqual(
      githubTarget.check(loadExample("todo").project, exampleContext("todo", "kubernetes")),
      [],
    );
  });
});

describe("gantry synth github", () => {
  it("in this repository, --check against the committed tree of an example is clean", async () => {
    for (const t of ["kubernetes", "aws"] as const) {
      const r = await runCli([
        "synth",
        "github",
        "examples/todo",
        "--target",
        t,
        "--out",
        `examples/todo/.github/workflows-${t}`,
        "--check",
      ]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`examples/todo/\\.github/workflows-${t}: up to date`));
    }
  });

  it("writes .github/workflows at the repository root and --check finds no drift", async () => {
    const { dir, cleanup } = tempDir({ "gantry.yaml": SPEC });
    try {
      const w = await runCli(["synth", "github", dir, "--target", "aws"], dir);
      assert.equal(w.code, 0, w.err);
      // The six workflows, their README and the load test's script.
      assert.match(w.out, /wrote 8 files to \.github\/workflows/);
      assert.match(
        readFileSync(join(dir, ".github", "workflows", "deploy-staging.yml"), "utf8"),
        /^# Generated by Gantry/,
      );
      const c = await runCli(["synth", "github", dir, "--target", "aws", "--check"], dir);
      assert.equal(c.code, 0, c.err);
      const k = await runCli(["synth", "github", dir, "--target", "kubernetes", "--check"], dir);
      assert.equal(k.code, 1);
      assert.match(k.err, /not generated: infrastructure.yml/);
    } finally {
      cleanup();
    }
  });
});
