// The validator `gantry validate --tools` runs on the Azure target's files.
import type { ToolRun } from "../target.js";

export const azureTools: readonly ToolRun[] = [{ tool: "bicep build", dir: "." }];
