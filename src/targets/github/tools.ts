// The validator `gantry validate --tools` runs on the workflows the github target wrote.
import type { ToolRun } from "../target.js";

export const githubTools: readonly ToolRun[] = [{ tool: "actionlint", dir: ".", suffix: ".yml" }];
