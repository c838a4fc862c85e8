// Every target Gantry can synthesize. A target is listed here once it is complete.
import type { Target, TargetName } from "./target.js";
import { githubTarget } from "./github/index.js";
import { awsTarget } from "./aws/index.js";
import { digitaloceanTarget } from "./digitalocean/index.js";
import { kubernetesTarget } from "./kubernetes/index.js";
import { azureTarget } from "./azure/index.js";

export const TARGETS: readonly Target[] = [
  azureTarget,
  awsTarget,
  digitaloceanTarget,
  kubernetesTarget,
  githubTarget,
];

export const DEFAULT_OUTPUTS: Record<TargetName, string> = {
  kubernetes: "deploy/kubernetes",
  azure: "infrastructure/azure",
  aws: "infrastructure/aws",
  digitalocean: "infrastructure/digitalocean",
  github: ".github/workflows",
};

export function findTarget(name: string): Target | undefined {
  return TARGETS.find((t) => t.name === name);
}
