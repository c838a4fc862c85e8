// The AWS target's system checks (`gantry check`), over the tree it printed, read back: each
// environment's tfvars carry that environment's own values, and every role the workflows assume is
// one the tree creates and trusts the repository's jobs that assume it.
import { printExpression, type HclValue } from "../../format/hcl.js";
import type { AppModel, ProjectModel } from "../../model/types.js";
import { fargateSize } from "../terraform/units.js";
import { attr, findBlocks, literal, readHcl, type HclBlockRead } from "../terraform/read-hcl.js";
import type { FileTree, RenderedTrees, RuleDoc, SynthContext, SystemFinding } from "../target.js";
import { obj, readWorkflows, type ReadJob, type ReadWorkflow } from "../github/read-workflows.js";
import { moduleName } from "./names.js";
import { alertRouteFindings, AWS_ALERT_ROUTE } from "./system-alerts.js";
import { assumedVariable, roleOf } from "./read-tree.js";
import { settingsOf } from "./settings.js";
import { wiringOf } from "./wiring.js";
import { awsOptions, awsShape } from "./shape.js";

export const AWS_RULES: readonly RuleDoc[] = [
  {
    id: "aws/per-env-values",
    title: "An environment's tfvars do not carry that environment's own values",
    severity: "error",
    why: "One main.tf serves every environment: a command, schedule, region, domain or size that is not in the environment's own tfvars (or is another environment's) deploys the wrong thing there, silently.",
    fix: "Regenerate the AWS tree (`gantry synth aws`) and do not edit environments/<env>.tfvars by hand: change the spec's environment instead.",
  },
  {
    id: "aws/iam-role",
    title: "A workflow assumes a role the AWS tree does not create, or that does not trust the job",
    severity: "error",
    why: "configure-aws-credentials fails with 'Not authorized to perform sts:AssumeRoleWithWebIdentity': the plan, apply, build or deploy stops before it starts.",
    fix: "Set ci.repository, regenerate the AWS tree and the workflows together, apply bootstrap/ and each environment, and copy the role ARNs into the GitHub variables the README lists.",
  },
  AWS_ALERT_ROUTE,
];

type Plain = Record<string, unknown>;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const flat = (s: string) => s.replace(/\s+/g, " ").replace(/,\s*\]/g, "]");

/** One environment's tfvars, read back, with the line of each top-level value. */
function tfvarsOf(tree: FileTree, env: string) {
  const file = `environments/${env}.tfvars`;
  const read = readHcl(tree[file] ?? "");
  const value = (name: string) => {
    const a = attr(read, name);
    return a ? literal(a.text) : undefined;
  };
  const line = (name: string) => attr(read, name)?.line ?? 1;
  return { file, value, line };
}

/** What the spec says each environment's entries hold, against its tfvars. */
function envFindings(
  e: AppModel,
  tree: FileTree,
  main: HclBlockRead,
  project: ProjectModel,
): SystemFinding[] {
  const env = e.environment.name;
  const tf = tfvarsOf(tree, env);
  const out: SystemFinding[] = [];
  const wrong = (what: string, at: string, path: string, expected: unknown, actual: unknown) =>
    out.push({
      rule: "aws/per-env-values",
      env,
      path,
      message: `${tf.file}: ${what} is ${JSON.stringify(actual) ?? "missing"}, but ${env} gives ${JSON.stringify(expected)}`,
      hint: "regenerate with `gantry synth aws`; change the environment in the spec, not its tfvars",
      file: tf.file,
      line: tf.line(at),
    });
  if (tf.value("environment") !== env)
    wrong("environment", "environment", `environments.${env}`, env, tf.value("environment"));
  const region = awsOptions(e).region;
  if (tf.value("region") !== region)
    wrong("region", "region", `environments.${env}.region`, region, tf.value("region"));
  for (const s of Object.values(e.services)) {
    const path = `services.${s.name}`;
    if (s.type === "http" || s.type === "worker") {
      const got = obj(obj(tf.value("services"))[s.name]);
      const size = fargateSize(s.resources.limits.cpu, s.resources.limits.memory);
      const expected: Plain = {
        cpu: size.cpu,
        memory: size.memory,
        desired_count: s.scale.min,
        min_count: s.scale.min,
        max_count: Math.max(s.scale.max, s.scale.min),
        domains: s.domains,
      };
      for (const [k, v] of Object.entries(expected))
        if (!same(got[k], v)) wrong(`services.${s.name}.${k}`, "services", path, v, got[k]);
    } else if (s.type === "static") {
      const got = obj(obj(tf.value("static_sites"))[s.name]);
      if (!same(got.domains, s.domains))
        wrong(`static_sites.${s.name}.domains`, "static_sites", path, s.domains, got.domains);
    }
    if (s.type === "job" || s.type === "http" || s.type === "worker")
      workloadArgs(project, e, s.name, s.type === "job" ? "jobs" : "services", tf, main, wrong);
  }
  return out;
}

/**
 * A workload's literal environment (its entry's `environment`, what the spec's `env` and the
 * bindings give this environment), and its command and schedule: its entry's field where they
 * differ between environments, else main.tf's argument.
 */
function workloadArgs(
  project: ProjectModel,
  e: AppModel,
  name: string,
  collection: "jobs" | "services",
  tf: ReturnType<typeof tfvarsOf>,
  main: HclBlockRead,
  wrong: (what: string, at: string, path: string, expected: unknown, actual: unknown) => void,
): void {
  const shape = awsShape(project);
  const fields = settingsOf(shape).get(`${collection}/${name}`)?.byEnv.get(e.environment.name);
  const w = (collection === "jobs" ? shape.jobs : shape.services).find((x) => x.name === name);
  const literals = w && wiringOf(shape, w).byEnv.get(e.environment.name)?.literals;
  const got = obj(obj(tf.value(collection))[name]).environment;
  if (literals && !same(got, literals))
    wrong(`${collection}.${name}.environment`, collection, `services.${name}.env`, literals, got);
  const module = findBlocks(
    main,
    "module",
    collection === "jobs" ? moduleName.job(name) : moduleName.service(name),
  )[0];
  for (const field of ["command", "schedule"]) {
    const f = fields?.[field];
    const expected: HclValue | undefined = f?.literal ?? f?.main;
    if (expected === undefined || expected === null) continue;
    const entry = obj(obj(tf.value(collection))[name]);
    const path = `services.${name}.${field}`;
    if (field in entry) {
      const want = literal(printExpression(expected));
      if (!same(entry[field], want))
        wrong(`${collection}.${name}.${field}`, collection, path, want, entry[field]);
      continue;
    }
    const given = attr(module, field)?.text ?? "";
    if (given.startsWith("var.") || flat(given) !== flat(printExpression(f?.main ?? expected)))
      wrong(
        `${collection}.${name}.${field} (main.tf: ${flat(given) || "none"})`,
        collection,
        path,
        literal(printExpression(expected)),
        undefined,
      );
  }
}

/** The OIDC subjects a job presents: its environment's, else those of the events that run it. */
function subjectsOf(wf: ReadWorkflow, job: ReadJob, repository: string, branch: string): string[] {
  const repo = `repo:${repository}`;
  if (job.environment) return [`${repo}:environment:${job.environment}`];
  return [
    ...new Set(
      wf.events.map((ev) =>
        ev === "pull_request" ? `${repo}:pull_request` : `${repo}:ref:refs/heads/${branch}`,
      ),
    ),
  ];
}

/** Every AWS login of the workflows that deploy this tree: a role of the tree that trusts the job. */
function roleFindings(
  project: ProjectModel,
  tree: FileTree,
  ctx: SynthContext,
  github: FileTree,
): SystemFinding[] {
  // The workflows of this tree: those that read its outputs, and the recovery drill, whose role it creates.
  const workflows = readWorkflows(github).filter((wf) =>
    wf.jobs.some(
      (j) =>
        j.steps.some((s) => s.env.TF_DIR === ctx.outputs.aws) ||
        assumedVariable(j)?.name === "AWS_DRILL_ROLE_ARN",
    ),
  );
  const base = project.environments[0]!;
  const out: SystemFinding[] = [];
  const repository = base.ci.repository;
  if (!repository) {
    const logins = workflows.flatMap((wf) => wf.jobs.flatMap((j) => (assumedVariable(j) ? [wf.file] : [])));
    return logins.length
      ? [
          {
            rule: "aws/iam-role",
            path: "ci.repository",
            message: `${[...new Set(logins)].join(", ")} assume AWS roles, but without ci.repository this tree creates none (no trust can name the repository)`,
            hint: "set ci.repository: owner/name, regenerate, and apply bootstrap/",
          },
        ]
      : [];
  }
  for (const wf of workflows)
    for (const job of wf.jobs) {
      const variable = assumedVariable(job);
      if (!variable) continue;
      const role = roleOf(tree, job, variable.name);
      const where = `.github/workflows/${wf.file}:${variable.line} (job ${job.id})`;
      if (!role) {
        out.push({
          rule: "aws/iam-role",
          ...(job.environment ? { env: job.environment } : {}),
          path: "ci.repository",
          message: `${where} assumes vars.${variable.name}, a role this tree does not create`,
          hint: "set ci.repository so the tree creates the roles the workflows assume, and regenerate",
        });
        continue;
      }
      const missing = subjectsOf(wf, job, repository, base.ci.default_branch).filter(
        (s) => !role.subjects.includes(s),
      );
      if (missing.length)
        out.push({
          rule: "aws/iam-role",
          ...(job.environment ? { env: job.environment } : {}),
          message: `${role.address} does not trust ${missing.join(", ")}, which ${where} presents`,
          hint: "regenerate the AWS tree and the workflows together (`gantry synth aws`, `gantry synth github`)",
          file: role.file,
          line: role.line,
        });
    }
  return out;
}

export function awsSystemChecks(
  project: ProjectModel,
  tree: FileTree,
  ctx: SynthContext,
  trees: RenderedTrees,
): SystemFinding[] {
  const main = readHcl(tree["main.tf"] ?? "");
  return [
    ...project.environments.flatMap((e) => envFindings(e, tree, main, project)),
    ...(trees.github ? roleFindings(project, tree, ctx, trees.github) : []),
    ...alertRouteFindings(project, tree),
  ];
}
