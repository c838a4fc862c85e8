// build.yml: on every push to the default branch, build each service's image once and push it,
// tagged sha-<short> (what the deploy workflows roll out) and <branch>-latest.
import type { Pipeline } from "./pipeline.js";
import { RUNNER, registryLogin } from "./platform.js";
import { action, checkout, run, type Job, type Workflow } from "./workflow.js";

export const BUILD_WORKFLOW = "Build";
const COSIGN = "v2.4.1";

export function build(p: Pipeline): Workflow {
  const login = registryLogin(p);
  const image = `${p.registry.prefix}/\${{ matrix.service }}`;
  const job: Job = {
    name: "Build ${{ matrix.service }}",
    "runs-on": RUNNER,
    permissions: { contents: "read", ...login.permissions, "id-token": "write" },
    "timeout-minutes": 30,
    strategy: {
      "fail-fast": false,
      matrix: {
        include: p.images.map((i) => ({
          service: i.service,
          context: i.context,
          dockerfile: i.dockerfile,
          ...(i.target ? { target: i.target } : {}),
        })),
      },
    },
    steps: [
      checkout(),
      action("Set up Docker Buildx", "docker/setup-buildx-action"),
      ...login.steps,
      action(
        "Image tags and labels",
        "docker/metadata-action",
        {
          images: image,
          // ECR repositories are tag-immutable (the AWS stack sets IMMUTABLE), so a moving
          // <branch>-latest tag cannot be pushed there twice: only sha-<short> on ECR.
          tags: [
            "type=sha,prefix=sha-,format=short",
            ...(p.registry.kind === "ecr" ? [] : ["type=ref,event=branch,suffix=-latest"]),
          ].join("\n"),
        },
        { id: "meta" },
      ),
      action(
        "Build and push",
        "docker/build-push-action",
        {
          context: "${{ matrix.context }}",
          file: "${{ matrix.dockerfile }}",
          ...(p.images.some((i) => i.target) ? { target: "${{ matrix.target }}" } : {}),
          push: true,
          tags: "${{ steps.meta.outputs.tags }}",
          labels: "${{ steps.meta.outputs.labels }}",
          "cache-from": "type=gha,scope=${{ matrix.service }}",
          "cache-to": "type=gha,mode=max,scope=${{ matrix.service }}",
          provenance: "mode=max",
          sbom: true,
        },
        { id: "build" },
      ),
      action("Software bill of materials (Trivy)", "aquasecurity/trivy-action", {
        "scan-type": "image",
        "image-ref": `\${{ fromJSON(steps.meta.outputs.json).tags[0] }}`,
        format: "spdx-json",
        output: "sbom.spdx.json",
      }),
      action("Set up Go (for cosign)", "actions/setup-go", { "go-version": "stable", cache: false }),
      run("Install cosign", `go install github.com/sigstore/cosign/v2/cmd/cosign@${COSIGN}`),
      run(
        "Sign the image and attest its SBOM (keyless, OIDC)",
        [
          'cosign="$(go env GOPATH)/bin/cosign"',
          'ref="${IMAGE%:*}@$DIGEST"',
          '"$cosign" sign --yes "$ref"',
          '"$cosign" attest --yes --type spdxjson --predicate sbom.spdx.json "$ref"',
        ],
        {
          env: {
            IMAGE: "${{ fromJSON(steps.meta.outputs.json).tags[0] }}",
            DIGEST: "${{ steps.build.outputs.digest }}",
          },
        },
      ),
    ],
  };
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
    jobs: { build: job },
  };
}
