// What a rendered AWS tree says about the identities and registries the workflows use, read back from
// the HCL it printed: the image repositories bootstrap/ creates, the role a workflow job assumes (by
// the GitHub variable it names and whether the job runs in a GitHub environment), the OIDC subjects
// that role trusts and whether it may push images.
import type { FileTree } from "../target.js";
import { attr, findBlocks, literal, readHcl, type HclBlockRead } from "../terraform/read-hcl.js";
import type { ReadJob } from "../github/read-workflows.js";
import { BOOTSTRAP_DIR } from "./bootstrap.js";
import { DRILL_MODULE } from "./drill-module.js";

const BOOTSTRAP_MAIN = `${BOOTSTRAP_DIR}/main.tf`;
const CI_MAIN = "modules/ci/main.tf";
const DRILL_MAIN = `modules/${DRILL_MODULE}/main.tf`;

/** A role of the tree: where it is printed and the subjects its trust policy admits. */
export interface TreeRole {
  /** Where the role is defined, relative to the AWS tree. */
  file: string;
  /** The resource address, for messages. */
  address: string;
  line: number;
  /** The OIDC `sub` values it trusts, with the module's variables filled in. */
  subjects: string[];
  /** The policy document that grants its rights. */
  policy?: HclBlockRead;
}

const text = (b: HclBlockRead | undefined, name: string): unknown => {
  const a = attr(b, name);
  return a && literal(a.text);
};

/** The `<name>/<repository>` paths bootstrap/main.tf's registry module creates. */
export function bootstrapRepositories(tree: FileTree): { paths: string[]; line: number } {
  const reg = findBlocks(readHcl(tree[BOOTSTRAP_MAIN] ?? ""), "module", "registry")[0];
  const name = text(reg, "name");
  const repos = text(reg, "repositories");
  return {
    paths: Array.isArray(repos) ? repos.map((r) => `${String(name)}/${String(r)}`) : [],
    line: reg?.line ?? 1,
  };
}

/** The `sub` values of a trust policy document, with `${var.X}` filled from `vars`. */
function subjects(doc: HclBlockRead | undefined, vars: Record<string, string>): string[] {
  if (!doc) return [];
  const cond = findBlocks(doc, "condition").find((c) => String(text(c, "variable")).endsWith(":sub"));
  const values = text(cond, "values");
  return (Array.isArray(values) ? values : []).map((v) =>
    String(v).replace(/\$\{var\.([a-z_]+)\}/g, (m, k: string) => vars[k] ?? m),
  );
}

/** A role of bootstrap/ by its resource name (infrastructure, build). */
function bootstrapRole(tree: FileTree, name: string): TreeRole | undefined {
  const main = readHcl(tree[BOOTSTRAP_MAIN] ?? "");
  const role = findBlocks(main, "resource", "aws_iam_role", name)[0];
  if (!role) return undefined;
  const doc = (n: string) => findBlocks(main, "data", "aws_iam_policy_document", n)[0];
  return {
    file: BOOTSTRAP_MAIN,
    address: `aws_iam_role.${name}`,
    line: role.line,
    subjects: subjects(doc(`${name}_trust`), {}),
    ...(doc(name) ? { policy: doc(name)! } : {}),
  };
}

/** The deploy role of one environment: modules/ci, with the arguments main.tf's ci call passes. */
function deployRole(tree: FileTree, environment: string): TreeRole | undefined {
  const call = findBlocks(readHcl(tree["main.tf"] ?? ""), "module", "ci")[0];
  const ci = readHcl(tree[CI_MAIN] ?? "");
  const role = findBlocks(ci, "resource", "aws_iam_role", "deploy")[0];
  if (!call || !role) return undefined;
  const vars = {
    github_owner: String(text(call, "github_owner")),
    github_repo: String(text(call, "github_repo")),
    // main.tf passes var.environment: each environment's state holds its own role.
    github_environment: environment,
  };
  const doc = (n: string) => findBlocks(ci, "data", "aws_iam_policy_document", n)[0];
  return {
    file: CI_MAIN,
    address: `module.ci.aws_iam_role.deploy (${environment})`,
    line: role.line,
    subjects: subjects(doc("trust"), vars),
    ...(doc("deploy") ? { policy: doc("deploy")! } : {}),
  };
}

/** dr-drill.yml's role: modules/dr_drill, with the arguments main.tf's call passes. */
function drillRole(tree: FileTree): TreeRole | undefined {
  const call = findBlocks(readHcl(tree["main.tf"] ?? ""), "module", DRILL_MODULE)[0];
  const drill = readHcl(tree[DRILL_MAIN] ?? "");
  const role = findBlocks(drill, "resource", "aws_iam_role", "github")[0];
  if (!call || !role) return undefined;
  const vars = Object.fromEntries(
    ["github_owner", "github_repo", "github_branch"].map((k) => [k, String(text(call, k))]),
  );
  const doc = (n: string) => findBlocks(drill, "data", "aws_iam_policy_document", n)[0];
  return {
    file: DRILL_MAIN,
    address: `module.${DRILL_MODULE}.aws_iam_role.github`,
    line: role.line,
    subjects: subjects(doc("github_trust"), vars),
    ...(doc("github") ? { policy: doc("github")! } : {}),
  };
}

/** The GitHub variable a job's AWS login assumes (`vars.X` in role-to-assume), if it logs in. */
export function assumedVariable(job: ReadJob): { name: string; line: number } | undefined {
  const step = job.steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
  const m = step && /vars\.([A-Za-z0-9_]+)/.exec(step.with["role-to-assume"] ?? "");
  return m && step ? { name: m[1]!, line: step.line } : undefined;
}

/**
 * The role a job assumes: AWS_INFRA_ROLE_ARN is bootstrap's infrastructure role; AWS_ROLE_ARN is the
 * environment's deploy role in a job that runs in a GitHub environment (its variable overrides the
 * repository's), else bootstrap's build role; AWS_DRILL_ROLE_ARN is modules/dr_drill's role.
 */
export function roleOf(tree: FileTree, job: ReadJob, variable: string): TreeRole | undefined {
  if (variable === "AWS_INFRA_ROLE_ARN") return bootstrapRole(tree, "infrastructure");
  if (variable === "AWS_DRILL_ROLE_ARN") return drillRole(tree);
  if (variable !== "AWS_ROLE_ARN") return undefined;
  return job.environment ? deployRole(tree, job.environment) : bootstrapRole(tree, "build");
}

/** Whether a role's policy lets it push to the registry module's repositories. */
export function mayPush(role: TreeRole): boolean {
  return findBlocks(role.policy ?? readHcl(""), "statement").some((s) => {
    const actions = text(s, "actions");
    return (
      Array.isArray(actions) &&
      actions.includes("ecr:PutImage") &&
      (attr(s, "resources")?.text ?? "").includes("module.registry.repository_arns")
    );
  });
}
