// The operations/ tree of a target whose runbooks are one list of files: the index (runbookIndex)
// and each file, so that a topic more (disaster recovery, cost) is one entry more in the list. With
// the parts the AWS and DigitalOcean runbooks say the same way: the architecture topic and the URLs.
import { isJob, publicUrls } from "../model/queries.js";
import type { AppModel } from "../model/types.js";
import { architectureDiagram, markdown, runbookIndex, type RunbookTopic } from "./runbook.js";
import type { FileTree } from "./target.js";
import { costRunbook } from "../cost/runbook.js";
import type { CostTarget } from "../cost/types.js";

/** A runbook topic with its lines. */
export interface RunbookFile extends RunbookTopic {
  lines: string[];
}

/** Topics every target's operations index describes the same way. */
export const TROUBLESHOOTING: RunbookTopic = {
  file: "troubleshooting.md",
  what: "commands and symptoms, per environment",
};
export const INCIDENT_RESPONSE: RunbookTopic = {
  file: "incident-response.md",
  what: "severities, the first steps, access and URLs",
};

/** cost.md: the estimate of each environment on `target` (src/cost/runbook.ts). */
export function costTopic(apps: readonly AppModel[], target: CostTarget, platform: string): RunbookFile {
  return {
    file: "cost.md",
    what: "what each environment should cost, item by item, and its budget",
    lines: costRunbook(apps, target, platform),
  };
}

/** operations/README.md (the index, in the files' order) and one file per topic. */
export function operationsTree(title: string, command: string, files: readonly RunbookFile[]): FileTree {
  return {
    "operations/README.md": runbookIndex(title, command, files),
    ...Object.fromEntries(files.map((f) => [`operations/${f.file}`, markdown(f.lines)])),
  };
}

/** The architecture topic: per environment a heading (what `describe` says of it) and its diagram. */
export function architectureLines(apps: readonly AppModel[], describe: (app: AppModel) => string): string[] {
  return [
    "# Architecture",
    "",
    ...apps.flatMap((app) => [
      `## ${app.environment.name} (${describe(app)})`,
      "",
      ...architectureDiagram(app),
      "",
    ]),
  ];
}

/** The public URLs of each environment's services and sites. */
export function accessUrls(apps: readonly AppModel[]): string[] {
  return apps.flatMap((app) =>
    Object.values(app.services).flatMap((s) =>
      !isJob(s) && s.domains.length
        ? [`- ${app.environment.name} ${s.name}: ${publicUrls(s.domains, s.path).join(", ")}`]
        : [],
    ),
  );
}
