// Every target Gantry can synthesize, with the deploy platform it offers the GitHub pipelines and
// the validators that check its files. Adding a target is its folder and one line here (and its
// name in TargetName). Platforms are listed in the order of preference `synth github` follows when
// a spec configures several; the first is the default.
import { posix } from "node:path";
import type { Platform } from "./platform.js";
import type { Target, ToolRun } from "./target.js";
import { githubTargetFor } from "./github/index.js";
import { githubTools } from "./github/tools.js";
import { awsTarget } from "./aws/index.js";
import { awsPlatform } from "./aws/pipeline.js";
import { awsTools } from "./aws/tools.js";
import { digitaloceanTarget } from "./digitalocean/index.js";
import { digitaloceanPlatform } from "./digitalocean/pipeline.js";
import { digitaloceanTools } from "./digitalocean/tools.js";
import { kubernetesTarget } from "./kubernetes/index.js";
import { kubernetesPlatform } from "./kubernetes/pipeline.js";
import { kubernetesTools } from "./kubernetes/tools.js";
import { azureTarget } from "./azure/index.js";
import { azurePlatform } from "./azure/pipeline.js";
import { azureTools } from "./azure/tools.js";

export type TargetName = "kubernetes" | "azure" | "aws" | "digitalocean" | "github";

export interface Registered {
  target: Target;
  /** What the GitHub pipelines deploy to when this target's platform is chosen. */
  platform?: Platform;
  /** The external validators of its written files. */
  tools: readonly ToolRun[];
}

const DEPLOY_TARGETS: readonly (Registered & { platform: Platform })[] = [
  { target: kubernetesTarget, platform: kubernetesPlatform, tools: kubernetesTools },
  { target: azureTarget, platform: azurePlatform, tools: azureTools },
  { target: awsTarget, platform: awsPlatform, tools: awsTools },
  { target: digitaloceanTarget, platform: digitaloceanPlatform, tools: digitaloceanTools },
];

export const PLATFORMS: readonly Platform[] = DEPLOY_TARGETS.map((r) => r.platform);

export const githubTarget = githubTargetFor(PLATFORMS);

export const REGISTERED: readonly Registered[] = [
  ...DEPLOY_TARGETS,
  { target: githubTarget, tools: githubTools },
];

export const TARGETS: readonly Target[] = REGISTERED.map((r) => r.target);

/** Where each target writes by default, relative to the spec's directory. */
export const DEFAULT_OUTPUTS = Object.fromEntries(TARGETS.map((t) => [t.name, t.defaultOut])) as Record<
  TargetName,
  string
>;

/** Where each target writes by default, relative to the repository root, for a spec in `specDir` (posix, "." for the root). */
export function outputsFor(specDir: string): Record<TargetName, string> {
  return Object.fromEntries(
    TARGETS.map((t) => [t.name, t.outputAtRoot ? t.defaultOut : posix.join(specDir, t.defaultOut)]),
  ) as Record<TargetName, string>;
}

export function findTarget(name: string): Target | undefined {
  return TARGETS.find((t) => t.name === name);
}
