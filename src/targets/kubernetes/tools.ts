// The validators `gantry validate --tools` runs on the Kubernetes target's files: the chart linted
// with each environment's values, the rendered manifests against the strict schemas, and the
// cluster's Alertmanager configuration as Alertmanager loads it.
import type { ToolRun } from "../target.js";

export const kubernetesTools: readonly ToolRun[] = [
  { tool: "helm lint", chart: "chart", values: "^values-.+\\.yaml$" },
  { tool: "kubeconform", dir: "rendered", suffix: ".yaml" },
  { tool: "kubeconform", dir: "cluster-bootstrap/dashboards", suffix: ".yaml" },
  { tool: "amtool", values: "cluster-bootstrap/values/kube-prometheus-stack.yaml" },
];
