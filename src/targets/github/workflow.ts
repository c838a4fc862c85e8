// A small typed model of a GitHub Actions workflow, and its printer. Workflows are built as these
// objects and printed with the one YAML printer; the only text step after printing adds the
// `# vX.Y.Z` comment to pinned `uses:` lines (the YAML library prints no comments on plain values).
import { printYaml } from "../../format/yaml.js";
import { pinned, tagOf, type ActionRef } from "./pins.js";

export type Permission = "read" | "write" | "none";
export type Permissions = Partial<
  Record<
    | "actions"
    | "checks"
    | "contents"
    | "deployments"
    | "id-token"
    | "issues"
    | "packages"
    | "pull-requests"
    | "security-events"
    | "statuses",
    Permission
  >
>;

export type With = Record<string, string | number | boolean>;
export type Env = Record<string, string>;

export interface Step {
  id?: string;
  name: string;
  if?: string;
  uses?: string;
  with?: With;
  run?: string;
  shell?: string;
  env?: Env;
  "working-directory"?: string;
  "continue-on-error"?: boolean;
  "timeout-minutes"?: number;
}

export interface Job {
  name: string;
  "runs-on": string;
  needs?: string[];
  if?: string;
  environment?: { name: string; url?: string };
  permissions: Permissions;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  "timeout-minutes": number;
  strategy?: { "fail-fast": boolean; "max-parallel"?: number; matrix: { include: Record<string, string>[] } };
  outputs?: Record<string, string>;
  env?: Env;
  defaults?: { run: { shell?: string; "working-directory"?: string } };
  steps: Step[];
}

export interface DispatchInput {
  description: string;
  required: boolean;
  type: "string" | "choice" | "boolean";
  default?: string;
  options?: string[];
}

export interface Triggers {
  push?: { branches?: string[]; tags?: string[]; paths?: string[] };
  pull_request?: { branches?: string[]; paths?: string[] };
  release?: { types: string[] };
  workflow_run?: { workflows: string[]; types: string[]; branches?: string[] };
  workflow_dispatch?: { inputs?: Record<string, DispatchInput> };
  schedule?: { cron: string }[];
}

export interface Workflow {
  name: string;
  "run-name"?: string;
  on: Triggers;
  permissions: Permissions;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  env?: Env;
  defaults?: { run: { shell: string } };
  jobs: Record<string, Job>;
}

/** A step running a pinned action. */
export function action(name: string, uses: ActionRef, withInputs?: With, extra: Partial<Step> = {}): Step {
  return {
    ...(extra.id ? { id: extra.id } : {}),
    name,
    ...(extra.if ? { if: extra.if } : {}),
    uses: pinned(uses),
    ...(withInputs && Object.keys(withInputs).length ? { with: withInputs } : {}),
    ...(extra.env ? { env: extra.env } : {}),
  };
}

/** A shell step; untrusted values reach it through `env`, never through `${{ }}` in the script. */
export function run(
  name: string,
  script: string | string[],
  extra: Partial<Omit<Step, "run" | "name">> = {},
): Step {
  const text = Array.isArray(script) ? script.join("\n") : script;
  const { id, if: cond, env, ...rest } = extra;
  return {
    ...(id ? { id } : {}),
    name,
    ...(cond ? { if: cond } : {}),
    run: text.endsWith("\n") ? text : `${text}\n`,
    ...(env && Object.keys(env).length ? { env } : {}),
    ...rest,
  };
}

export const checkout = (extra: Record<string, string | number | boolean> = {}): Step =>
  action("Check out", "actions/checkout", { "persist-credentials": false, ...extra });

const USES_LINE = /^(\s*(?:- )?uses: )(\S+@[0-9a-f]{40})$/;

/** A checkov check deliberately not met, printed as checkov's inline suppression on a top-level `on:` key line. */
export interface CheckovSkip {
  /** The trigger whose line carries the comment, such as `workflow_dispatch`. */
  trigger: keyof Triggers;
  id: string;
  reason: string;
}

/**
 * Prints a workflow: the header comment, the YAML, `# <tag>` after each pinned action, and
 * `# checkov:skip=<id>: <reason>` on the trigger a skip names.
 */
export function printWorkflow(wf: Workflow, header: string[], skips: readonly CheckovSkip[] = []): string {
  const pending = [...skips];
  const body = printYaml(wf)
    .split("\n")
    .map((line) => {
      const skip = pending.findIndex((s) => line === `  ${s.trigger}:`);
      if (skip >= 0) {
        const [s] = pending.splice(skip, 1);
        return `${line} # checkov:skip=${s!.id}: ${s!.reason}`;
      }
      // Only a job's or a step's own `uses:` (4, "      - " or 8 spaces deep): an environment variable
      // or an input named `uses` (10 spaces deep) is a value, not an action.
      if (!/^(?: {4}| {6}- | {8})uses: /.test(line)) return line;
      const m = USES_LINE.exec(line);
      if (!m) throw new Error(`action not pinned to a commit SHA in workflow: ${line.trim()}`);
      const tag = tagOf(m[2]!);
      if (!tag) throw new Error(`unpinned action in workflow: ${m[2]}`);
      return `${line} # ${tag}`;
    })
    .join("\n");
  if (pending.length)
    throw new Error(`no trigger line for checkov skip ${pending.map((s) => s.id).join(", ")}`);
  return `${header.map((h) => `# ${h}`.trimEnd()).join("\n")}\n${body}`;
}
