// Steps and helpers the generic workflows and the platforms' pieces share: the runner, the image
// reference of a workload, smoke tests, the static build of a frontend, the toolchain of a stack,
// and the least-privilege permissions of a job that follow from its steps. Every value from outside
// (outputs, inputs, image tags) reaches shell scripts through `env:`, never through `${{ }}` inside
// `run:`.
import type { CiModel, JobModel, ServiceModel, StaticModel } from "../../model/types.js";
import { repoPath, type Pipeline } from "./pipeline.js";
import { usesOidc } from "./pins.js";
import { action, run, type Permissions, type Step } from "./workflow.js";

export const RUNNER = "ubuntu-24.04";

/** The image tag a deploy rolls out, resolved by its `prepare` job. */
export const IMAGE_TAG = "${{ needs.prepare.outputs.image-tag }}";

/** Smoke test retries: about a minute of grace for a new release to answer. */
export const SMOKE_RETRIES = "--retry 10 --retry-delay 6 --retry-all-errors";

/** Shell lines that each print `NAME=value`, grouped into one append to a GitHub file ($GITHUB_ENV, $GITHUB_OUTPUT). */
export function appendTo(file: string, lines: string[]): string[] {
  if (lines.length === 0) return [];
  if (lines.length === 1) return [`${lines[0]!} >> "$${file}"`];
  return ["{", ...lines.map((l) => `  ${l}`), `} >> "$${file}"`];
}

/** The image reference of a workload at the tag being deployed. */
export function imageRef(p: Pipeline, s: ServiceModel | JobModel | StaticModel, tag = IMAGE_TAG): string {
  if (s.type !== "static" && s.image && !s.build) return s.image;
  return `${p.registry.prefix}/${s.name}:${tag}`;
}

/**
 * A shell loop that GETs every URL of a word list such as `$SMOKE_URLS`, with the smoke test retries.
 * `trusted: false` is for certificates of a CA no trust store holds (Let's Encrypt's staging roots,
 * letsencrypt.org/docs/staging-environment): the loop then checks that the app answers, not the chain.
 */
export function getEach(list: string, maxTime = 10, follow = true, trusted = true): string[] {
  return [
    `for url in ${list}; do`,
    '  echo "GET $url"',
    `  curl --fail --silent --show-error${follow ? " --location" : ""}${trusted ? "" : " --insecure"} --max-time ${maxTime} ${SMOKE_RETRIES} --output /dev/null "$url"`,
    "done",
  ];
}

export function smokeStep(urls: string[], name = "Smoke tests", trusted = true): Step {
  return run(name, getEach("$SMOKE_URLS", 10, true, trusted), {
    id: "smoke",
    env: { SMOKE_URLS: urls.join(" ") },
  });
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

/** Installs and builds a static frontend with its environment's settings. */
export function staticBuildSteps(p: Pipeline, s: StaticModel): Step[] {
  const dir = repoPath(p.specDir, s.static);
  const install = s.install ?? s.ci.install;
  const steps: Step[] = setupStack({ ...s.ci, stack: "node", ...(install ? { install } : {}) }, dir);
  if (install) steps.push(run(`Install ${s.name}`, install, { "working-directory": dir }));
  if (s.build) steps.push(run(`Build ${s.name}`, s.build, { "working-directory": dir, env: s.env }));
  return steps;
}

/** The built site of a static frontend, relative to the repository root. */
export const siteDir = (p: Pipeline, s: StaticModel): string =>
  repoPath(repoPath(p.specDir, s.static), s.output);

/** Drops shell steps left without a command (an app with no service of some kind). */
export function compact(steps: Step[]): Step[] {
  return steps.filter((s) => s.run === undefined || s.run.trim() !== "");
}

/**
 * Whether a job's steps need its GitHub environment: they read the environment's secrets or
 * variables (only a job that names the environment can), or log in through OIDC, whose trust
 * policies name the environment in the token's subject.
 */
export function readsEnvironment(steps: Step[]): boolean {
  const text = JSON.stringify(steps);
  return (
    /\$\{\{\s*(secrets\.(?!GITHUB_TOKEN\b)|vars\.)/.test(text) || steps.some((s) => usesOidc(s.uses ?? ""))
  );
}

/** Least privilege for a job: OIDC only when a step logs in with it, packages only to pull from GHCR. */
export function jobPermissions(steps: Step[]): Permissions {
  const oidc = steps.some((s) => usesOidc(s.uses ?? ""));
  const ghcr = steps.some(
    (s) => s.uses?.startsWith("docker/login-action@") && s.with?.registry === "ghcr.io",
  );
  return {
    contents: "read",
    ...(oidc ? { "id-token": "write" as const } : {}),
    ...(ghcr ? { packages: "read" as const } : {}),
  };
}
