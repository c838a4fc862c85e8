// What a target is: a pure function from the resolved models of every environment to a tree of
// files, plus the checks of what this target cannot do (reported as positioned spec problems), and
// the external validators that check the files it wrote.
import type { AppModel, ProjectModel, Size } from "../model/types.js";
import type { ClusterRelease } from "../model/cluster-release.js";
import type { ContractSupport } from "../model/contract-support.js";
import type { TargetName } from "./registry.js";

export type { TargetName };

/** Relative POSIX path → file content. Keys are sorted by the writer. */
export type FileTree = Record<string, string>;

/** The trees of the targets rendered in one run, by target name. */
export type RenderedTrees = Partial<Record<TargetName, FileTree>>;

export interface SynthContext {
  /** Path of the spec file relative to the repository root, POSIX style (examples/todo/gantry.yaml). */
  specPath: string;
  /** Directory of the spec relative to the repository root ("." when the spec is at the root). */
  specDir: string;
  /** Where each target writes by default, relative to the repository root. */
  outputs: Record<TargetName, string>;
  /** For `synth github`: the name of the platform the pipelines deploy to. */
  deployTarget?: string;
}

/** A problem with the spec that only this target has; `path` is a spec path such as services.api.port. */
export interface TargetProblem {
  env?: string;
  path: string;
  message: string;
  hint?: string;
  severity?: "error" | "warning";
}

export interface Target {
  name: TargetName;
  description: string;
  /** Default output directory, relative to the spec's directory (or the repository's, `outputAtRoot`). */
  defaultOut: string;
  /** Whether `defaultOut` is relative to the repository root, where the platform reads it whichever folder holds the spec. */
  outputAtRoot?: boolean;
  /**
   * Whether the target owns its whole output directory (replaced atomically on each synth and
   * compared in full by --check) or writes files into a shared one (.github/workflows).
   */
  ownsOutput: boolean;
  check(project: ProjectModel, ctx: SynthContext): TargetProblem[];
  /** What each size class means on this target, as columns of the spec reference's size table. */
  sizeColumns?: SizeColumn[];
  /** The rules of this platform's system checks (docs/checks.md is made from them). */
  rules?: readonly RuleDoc[];
  /**
   * Checks of how this target's generated files work together (an identity and the role it needs, a
   * registry a pipeline pushes to, a certificate a smoke test must trust), run by `gantry check` on
   * the tree render() gives. `trees` holds every tree `gantry check` rendered in the same run (the
   * GitHub workflows' check reads the infrastructure its pipelines deploy). Pure, like render.
   */
  systemChecks?(
    project: ProjectModel,
    tree: FileTree,
    ctx: SynthContext,
    trees: RenderedTrees,
  ): SystemFinding[];
  /**
   * Changes Kubernetes (or the platform) refuses on upgrade: the new tree against `previous`, the tree
   * the last synth wrote (what was deployed last, as far as is known offline). Pure, like render.
   */
  upgradeChecks?: (project: ProjectModel, previous: FileTree, next: FileTree) => SystemFinding[];
  /** Deploy targets: where each variable an app receives gets its value there (`gantry env`). */
  contract?: ContractSupport;
  render(project: ProjectModel, ctx: SynthContext): FileTree;
  /**
   * Targets `gantry deploy --target <name>` deploys from the command line: the release of one
   * environment in the tree render() gave.
   */
  clusterRelease?: (env: AppModel, tree: FileTree) => ClusterRelease;
}

/**
 * One run of an external validator over a target's written files, as data (targets stay pure:
 * src/validate runs it). Paths are relative to the target's output directory.
 */
export type ToolRun =
  /** `helm lint --strict <chart> -f <values>`, once per file of the chart whose name matches `values`. */
  | { tool: "helm lint"; chart: string; values: string }
  /** `kubeconform -strict` with the offline schemas over every file under `dir` ending in `suffix`. */
  | { tool: "kubeconform"; dir: string; suffix: string }
  /** `bicep build` of `<dir>/main.bicep` and of every `<dir>/parameters/*.bicepparam`. */
  | { tool: "bicep build"; dir: string }
  /** `tofu fmt -check` and, where the providers are installed, `tofu validate` in `dir`. */
  | { tool: "tofu"; dir: string }
  /** actionlint over every file under `dir` ending in `suffix`. */
  | { tool: "actionlint"; dir: string; suffix: string }
  /** `amtool check-config` of the Alertmanager configuration in a kube-prometheus-stack values file. */
  | { tool: "amtool"; values: string };

/** A column of the spec reference's size table (docs/spec.md, "Sizes"). */
export interface SizeColumn {
  heading: string;
  cell(size: Size): string;
}

/** What a rule is and why it exists: docs/checks.md and SARIF's rule metadata are made from these. */
export interface RuleDoc {
  /** `<area>/<name>`: spec/public-database, azure/acr-pull. */
  id: string;
  /** One line: what the rule finds. */
  title: string;
  severity: "error" | "warning";
  /** Why it matters: what breaks, or what it costs, when it is left. */
  why: string;
  /** How to fix it. */
  fix: string;
}

/** A finding of a target's system check, placed in the spec and/or in one of its generated files. */
export interface SystemFinding {
  rule: string;
  message: string;
  hint?: string;
  env?: string;
  /** The spec path it is about (services.api.domain), when there is one. */
  path?: string;
  /** The generated file, relative to the target's output directory, and the line in it. */
  file?: string;
  line?: number;
}
