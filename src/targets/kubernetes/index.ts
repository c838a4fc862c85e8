// `gantry synth kubernetes`: a Helm chart, the plain manifests of each environment rendered from
// the same values, and the cluster bootstrap. One model, two outputs: values-environment.ts builds the
// values of each environment (values.ts says what they hold), and the chart's templates (templates*.ts)
// and the object builders (objects*.ts) turn the same values into the same objects.
import type { AppModel, ProjectModel } from "../../model/types.js";
import type { FileTree, Target } from "../target.js";
import { bootstrapTree } from "./bootstrap.js";
import { chartTree } from "./chart.js";
import { clusterRelease } from "./release.js";
import { immutableChanges } from "./upgrade-checks.js";
import { kubernetesProblems } from "./check.js";
import { kubernetesContract } from "./contract.js";
import { objectsByTemplate } from "./manifests.js";
import type { K8sObject } from "./objects.js";
import { printK8sDocuments } from "./print.js";
import { deployReadme } from "./readme.js";
import { runbookTree } from "./runbook.js";
import { kubernetesSettings } from "./settings.js";
import { KUBERNETES_RULES, kubernetesSystemChecks } from "./system-checks.js";
import type { ChartValues } from "./values.js";
import { buildValues } from "./values-environment.js";
import { KUBERNETES_SIZE_COLUMNS } from "./sizes.js";

/** The values of every environment, in spec order. */
export function projectValues(project: ProjectModel): ChartValues[] {
  return project.environments.map((app) => buildValues(app));
}

/** Template file names (without .yaml) that give objects in at least one environment, sorted. */
function usedTemplates(objects: readonly Record<string, K8sObject[]>[]): string[] {
  const used = new Set<string>();
  for (const o of objects) for (const [file, list] of Object.entries(o)) if (list.length) used.add(file);
  return [...used].sort();
}

function render(project: ProjectModel): FileTree {
  const apps: AppModel[] = project.environments;
  const values = projectValues(project);
  const objects = apps.map((app, i) => objectsByTemplate(values[i]!, app.environment.namespace));
  const files = usedTemplates(objects);
  const k8s = kubernetesSettings(apps[0]!);
  const tree: FileTree = chartTree(apps, values, files);
  apps.forEach((app, i) => {
    for (const file of files) {
      const list = objects[i]![file] ?? [];
      if (list.length) tree[`rendered/${app.environment.name}/${file}.yaml`] = printK8sDocuments(list);
    }
  });
  Object.assign(tree, bootstrapTree(apps, values, k8s));
  Object.assign(tree, runbookTree(apps, values, k8s));
  tree["README.md"] = deployReadme(apps, values, k8s);
  return Object.fromEntries(
    Object.keys(tree)
      .sort()
      .map((k) => [k, tree[k]!]),
  );
}

export const kubernetesTarget: Target = {
  sizeColumns: KUBERNETES_SIZE_COLUMNS,
  name: "kubernetes",
  description:
    "A Helm chart, plain manifests per environment and the cluster bootstrap, for any Kubernetes (DOKS, AKS, EKS).",
  defaultOut: "deploy/kubernetes",
  ownsOutput: true,
  check: (project) => kubernetesProblems(project),
  rules: KUBERNETES_RULES,
  systemChecks: (project, tree, _ctx, trees) => kubernetesSystemChecks(project, tree, trees),
  upgradeChecks: immutableChanges,
  contract: kubernetesContract,
  render: (project) => render(project),
  clusterRelease,
};
