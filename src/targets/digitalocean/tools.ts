// The validators `gantry validate --tools` runs on the DigitalOcean target's files.
import type { ToolRun } from "../target.js";

export const digitaloceanTools: readonly ToolRun[] = [{ tool: "tofu", dir: "." }];
