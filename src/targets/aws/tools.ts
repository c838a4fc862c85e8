// The validators `gantry validate --tools` runs on the AWS target's files.
import type { ToolRun } from "../target.js";

export const awsTools: readonly ToolRun[] = [{ tool: "tofu", dir: "." }];
