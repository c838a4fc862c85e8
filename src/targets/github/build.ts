// build.yml: on every push to the default branch, build each service's image once and push it,
// tagged sha-<short> (what the deploy workflows roll out) and <branch>-latest.
import type { StaticImage } from "./images.js";
import { imageStrategy, repoPath, type Pipeline } from "./pipeline.js";
import { RUNNER, setupStack } from "./steps.js";
import { action, checkout, run, type Job, type Step, type With, type Workflow } from "./workflow.js";

export const BUILD_WORKFLOW = "Build";
const COSIGN = "v2.4.1";

/** nginx-unprivileged listens on 8080, the port the chart's static pods use. */
const STATIC_BASE = "nginxinc/nginx-unprivileged:1.27-alpine";

/** Tags, build and push, SBOM, keyless signature and attestation of one image. */
function pushSteps(p: Pipeline, image: string, build: With, cacheScope: string): Step[] {
  return [
    action(
      "Image tags and labels",
      "docker/metadata-action",
      {
        images: image,
        // A moving <branch>-latest tag cannot be pushed twice to a tag-immutable registry.
        tags: [
          "type=sha,prefix=sha-,format=short",
          ...(p.registry.service.immutableTags ? [] : ["type=ref,event=branch,suffix=-latest"]),
        ].join("\n"),
      },
      { id: "meta" },
    ),
    action(
      "Build and push",
      "docker/build-push-action",
      {
        ...build,
        push: true,
        tags: "${{ steps.meta.outputs.tags }}",
        labels: "${{ steps.meta.outputs.labels }}",
        "cache-from": `type=gha,scope=${cacheScope}`,
        "cache-to": `type=gha,mode=max,scope=${cacheScope}`,
        provenance: "mode=max",
        sbom: true,
      },
      { id: "build" },
    ),
    action("Software bill of materials (Trivy)", "aquasecurity/trivy-action", {
      "scan-type": "image",
      "image-ref": `\${{ fromJSON(steps.meta.outputs.json).tags[0] }}`,
      format: "spdx-json",
      output: "${{ runner.temp }}/sbom.spdx.json",
    }),
    action("Set up Go (for cosign)", "actions/setup-go", { "go-version": "stable", cache: false }),
    run("Install cosign", `go install github.com/sigstore/cosign/v2/cmd/cosign@${COSIGN}`),
    run(
      "Sign the image and attest its SBOM (keyless, OIDC)",
      [
        'cosign="$(go env GOPATH)/bin/cosign"',
        'ref="${IMAGE%:*}@$DIGEST"',
        '"$cosign" sign --yes "$ref"',
        '"$cosign" attest --yes --type spdxjson --predicate "$RUNNER_TEMP/sbom.spdx.json" "$ref"',
      ],
      {
        env: {
          IMAGE: "${{ fromJSON(steps.meta.outputs.json).tags[0] }}",
          DIGEST: "${{ steps.build.outputs.digest }}",
        },
      },
    ),
  ];
}

/**
 * A static frontend's image: the site built on the runner (with the env of the environment the image
 * is for; one image per environment when the site has env), copied into nginx-unprivileged, unknown
 * paths answered with index.html for single-page apps.
 */
function staticJob(p: Pipeline, { image, service: s }: StaticImage): Job {
  const login = p.registry.service.login(p);
  const dir = repoPath(p.specDir, s.static);
  const site = repoPath(dir, s.output);
  const install = s.install ?? s.ci.install;
  const nginx = [
    "server {",
    "  listen 8080;",
    "  root /usr/share/nginx/html;",
    `  location / { try_files $uri $uri/ ${s.spa ? "/index.html" : "=404"}; }`,
    "}",
  ];
  return {
    name: `Build ${image} (static)`,
    "runs-on": RUNNER,
    permissions: { contents: "read", ...login.permissions, "id-token": "write" },
    "timeout-minutes": 30,
    steps: [
      checkout(),
      ...setupStack({ ...s.ci, stack: "node", ...(install ? { install } : {}) }, dir),
      ...(install ? [run(`Install ${s.name}`, install, { "working-directory": dir })] : []),
      ...(s.build ? [run(`Build ${s.name}`, s.build, { "working-directory": dir, env: s.env })] : []),
      run(
        "Write the web server image's Dockerfile",
        [
          "cat > \"$RUNNER_TEMP/default.conf\" <<'NGINX'",
          ...nginx,
          "NGINX",
          'cat > "$RUNNER_TEMP/static.Dockerfile" <<DOCKERFILE',
          "FROM $BASE_IMAGE",
          "COPY --from=config default.conf /etc/nginx/conf.d/default.conf",
          "COPY . /usr/share/nginx/html/",
          "DOCKERFILE",
        ],
        { env: { BASE_IMAGE: STATIC_BASE } },
      ),
      action("Set up Docker Buildx", "docker/setup-buildx-action"),
      ...login.steps,
      ...pushSteps(
        p,
        `${p.registry.prefix}/${image}`,
        {
          context: site,
          file: "${{ runner.temp }}/static.Dockerfile",
          "build-contexts": "config=${{ runner.temp }}",
        },
        image,
      ),
    ],
  };
}

export function build(p: Pipeline): Workflow {
  const login = p.registry.service.login(p);
  const jobs: Record<string, Job> = {};
  if (p.images.length) {
    jobs["build"] = {
      name: "Build ${{ matrix.service }}",
      "runs-on": RUNNER,
      permissions: { contents: "read", ...login.permissions, "id-token": "write" },
      "timeout-minutes": 30,
      strategy: imageStrategy(p),
      steps: [
        checkout(),
        action("Set up Docker Buildx", "docker/setup-buildx-action"),
        ...login.steps,
        ...pushSteps(
          p,
          `${p.registry.prefix}/\${{ matrix.service }}`,
          {
            context: "${{ matrix.context }}",
            file: "${{ matrix.dockerfile }}",
            ...(p.images.some((i) => i.target) ? { target: "${{ matrix.target }}" } : {}),
          },
          "${{ matrix.service }}",
        ),
      ],
    };
  }
  for (const s of p.staticImages) jobs[`build-${s.image}`] = staticJob(p, s);
  return {
    name: BUILD_WORKFLOW,
    // The default branch, and every branch an environment deploys from on push.
    on: {
      push: {
        branches: [
          ...new Set([
            p.defaultBranch,
            ...p.envs
              .filter((e) => e.environment.deploy.on === "push")
              .map((e) => e.environment.deploy.branch),
          ]),
        ],
      },
      workflow_dispatch: {},
    },
    permissions: { contents: "read" },
    concurrency: { group: "build-${{ github.ref }}", "cancel-in-progress": false },
    defaults: { run: { shell: "bash" } },
    jobs,
  };
}
