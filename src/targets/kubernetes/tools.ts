// The validators `gantry validate --tools` runs on the Kubernetes target's files: the chart linted
// with each environment's values, and the rendered manifests against the strict schemas.
import type { ToolRun } from "../target.js";

export const kubernetesTools: readonly ToolRun[] = [
  { tool: "helm lint", chart: "chart", values: "^values-.+\\.yaml$" },
  { tool: "kubeconform", dir: "rendered", suffix: ".yaml" },
];
