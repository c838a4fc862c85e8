// The GitHub workflows' system checks (`gantry check`): over the printed workflows, read back with
// yaml, and the infrastructure trees rendered in the same run. Each image build.yml pushes lives in
// a registry the infrastructure creates (or the spec names) and the pushing identity may push there;
// every variable and secret the workflows read is documented for the user to set; every
// environment's jobs run after the scopes they use exist.
import type { AppModel, ProjectModel } from "../../model/types.js";
import type { Platform } from "../platform.js";
import type { FileTree, RenderedTrees, RuleDoc, SystemFinding } from "../target.js";
import { documentedSettings, PROVIDED_BY_GITHUB } from "./readme.js";
import { readWorkflows, upstream, type ReadJob, type ReadWorkflow } from "./read-workflows.js";
import { registryFor } from "./registries.js";

export const GITHUB_RULES: readonly RuleDoc[] = [
  {
    id: "github/registry",
    title: "A workflow pushes an image to a registry nothing creates, or its identity may not push there",
    severity: "error",
    why: "The build fails on its first push (the repository does not exist, or the role is denied), and every deploy after it waits for an image that never comes.",
    fix: "Regenerate the infrastructure and the workflows together (`gantry synth`), apply the stack that creates the registry (on AWS, `bootstrap/`), or name a registry you provide in the spec.",
  },
  {
    id: "github/secrets-defined",
    title: "A workflow reads a variable or secret nobody is told to set",
    severity: "error",
    why: "An unset `vars.X` or `secrets.X` is an empty string: the login, deploy or notification that reads it fails, often with a message that does not name it.",
    fix: "Regenerate the workflows (`gantry synth github`): their README lists every variable and secret they read; set each one it lists.",
  },
  {
    id: "github/env-order",
    title: "An environment's job runs before a scope it uses exists",
    severity: "error",
    why: "A deploy into an environment whose infrastructure is not applied yet, or an apply before its plan or the shared scope it builds on, fails on a fresh account and leaves the pipeline half done.",
    fix: "Regenerate the workflows (`gantry synth github`); apply jobs need their plan and the shared scopes, deploys run after Build and into an environment the infrastructure workflow applies.",
  },
];

const at = (wf: ReadWorkflow, line: number) => ({ file: wf.file, line });

/** The images a job pushes: each docker/metadata-action `images`, per matrix service. */
function pushedImages(job: ReadJob): { image: string; line: number }[] {
  return job.steps
    .filter((s) => s.uses?.startsWith("docker/metadata-action@"))
    .flatMap((s) => {
      const images = (s.with.images ?? "").split("\n").filter(Boolean);
      return images.flatMap((image) =>
        image.includes("${{ matrix.service }}")
          ? job.services.map((svc) => ({
              image: image.replaceAll("${{ matrix.service }}", svc),
              line: s.line,
            }))
          : [{ image, line: s.line }],
      );
    });
}

function registryFindings(
  workflows: ReadWorkflow[],
  trees: RenderedTrees,
  platforms: readonly Platform[],
): SystemFinding[] {
  const out: SystemFinding[] = [];
  for (const wf of workflows)
    for (const job of wf.jobs)
      for (const { image, line } of pushedImages(job)) {
        const prefix = image.slice(0, image.lastIndexOf("/"));
        const why = registryFor(prefix, platforms).provides?.(image, job, trees);
        if (why)
          out.push({
            rule: "github/registry",
            message: `${wf.file} pushes ${image}: ${why}`,
            hint: "regenerate the infrastructure with the workflows and apply the stack that creates the registry",
            ...at(wf, line),
          });
      }
  return out;
}

function secretFindings(workflows: ReadWorkflow[], tree: FileTree): SystemFinding[] {
  const documented = documentedSettings(tree["README.md"] ?? "");
  const out: SystemFinding[] = [];
  const seen = new Set<string>();
  for (const wf of workflows)
    for (const r of wf.reads) {
      const key = `${wf.file} ${r.kind}.${r.name}`;
      if (PROVIDED_BY_GITHUB.has(r.name) || documented.has(r.name) || seen.has(key)) continue;
      seen.add(key);
      out.push({
        rule: "github/secrets-defined",
        message: `${wf.file} reads ${r.kind}.${r.name}, which the workflows' README.md does not list for you to set`,
        hint: "regenerate the workflows with `gantry synth github`, then set what their README lists",
        ...at(wf, r.line),
      });
    }
  return out;
}

/** infrastructure.yml: each apply needs its plan and every shared scope's apply; each env is applied. */
function infrastructureOrder(infra: ReadWorkflow, envs: readonly AppModel[]): SystemFinding[] {
  const out: SystemFinding[] = [];
  const names = new Set(envs.map((e) => e.environment.name));
  const applies = infra.jobs.filter((j) => j.id.startsWith("apply-"));
  const shared = applies.filter((j) => !names.has(j.id.slice("apply-".length)));
  for (const job of applies.filter((j) => names.has(j.id.slice("apply-".length)))) {
    const env = job.id.slice("apply-".length);
    const before = upstream(infra, job);
    for (const need of [`plan-${env}`, ...shared.map((s) => s.id)])
      if (!before.has(need))
        out.push({
          rule: "github/env-order",
          env,
          message: `${infra.file}: ${job.id} can run before ${need}, whose ${need.startsWith("plan-") ? "plan it applies" : "shared scope it builds on"} may not exist yet`,
          hint: `regenerate the workflows: ${job.id} needs ${need}`,
          ...at(infra, job.line),
        });
  }
  return out;
}

/** A deploy runs after Build (its images exist) and into an environment the infrastructure applies. */
function deployOrder(
  wf: ReadWorkflow,
  env: string,
  infra: ReadWorkflow | undefined,
  built: boolean,
): SystemFinding[] {
  const out: SystemFinding[] = [];
  const job = wf.jobs.find((j) => j.environment === env);
  const line = job?.line ?? 1;
  if (built && wf.events.includes("push"))
    out.push({
      rule: "github/env-order",
      env,
      message: `${wf.file} deploys on push, before build.yml has pushed the images it deploys`,
      hint: "deploy after each successful Build (workflow_run), on a release, or by hand",
      ...at(wf, line),
    });
  if (infra && job && !infra.jobs.some((j) => j.environment === env && j.id.startsWith("apply-")))
    out.push({
      rule: "github/env-order",
      env,
      message: `${wf.file} deploys into ${env}, which ${infra.file} never applies: its infrastructure may not exist`,
      hint: `regenerate the workflows: ${infra.file} applies every environment it deploys to`,
      ...at(wf, line),
    });
  return out;
}

export function githubSystemChecks(
  project: ProjectModel,
  tree: FileTree,
  trees: RenderedTrees,
  platforms: readonly Platform[],
): SystemFinding[] {
  const workflows = readWorkflows(tree);
  const infra = workflows.find((w) => w.file === "infrastructure.yml");
  const build = workflows.find((w) => w.file === "build.yml");
  const findings = [
    ...registryFindings(workflows, trees, platforms),
    ...secretFindings(workflows, tree),
    ...(infra ? infrastructureOrder(infra, project.environments) : []),
  ];
  for (const e of project.environments) {
    const wf = workflows.find((w) => w.file === `deploy-${e.environment.name}.yml`);
    if (wf) findings.push(...deployOrder(wf, e.environment.name, infra, build !== undefined));
  }
  return findings;
}
