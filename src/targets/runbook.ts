// What every target's runbooks say the same way, from the model: the architecture as a Mermaid
// diagram, the alert table (rule, threshold, window, severity, who is notified) and the incident
// severities mapped from the alert severities, and the operations/ tree (one file per topic and an
// index). Each target adds its own commands (its runbook.ts) as a list of topics; a topic more (such
// as disaster recovery) is one entry more in that list.
import { isJob, isStatic } from "../model/queries.js";
import type { AlertModel, AppModel } from "../model/types.js";
import type { FileTree } from "./target.js";

const id = (kind: string, name: string) => `${kind}_${name.replace(/[^A-Za-z0-9]/g, "_")}`;

/** A Mermaid flowchart: public routes, services, jobs, data stores, topics, and who uses what. */
export function architectureDiagram(app: AppModel): string[] {
  const lines = ["```mermaid", "flowchart LR", '  internet(("internet"))'];
  const services = Object.values(app.services);
  for (const s of services) {
    const shape = isStatic(s)
      ? `[/"${s.name} (static)"/]`
      : isJob(s)
        ? `[["${s.name} (job: ${s.schedule})"]]`
        : `["${s.name} (${s.type})"]`;
    lines.push(`  ${id("svc", s.name)}${shape}`);
    if (!isJob(s))
      for (const d of s.domains)
        lines.push(`  internet -->|"${d}${s.path === "/" ? "" : s.path}"| ${id("svc", s.name)}`);
  }
  for (const p of Object.values(app.postgres)) lines.push(`  ${id("pg", p.name)}[("PostgreSQL ${p.name}")]`);
  for (const r of Object.values(app.redis)) lines.push(`  ${id("redis", r.name)}[("Redis ${r.name}")]`);
  for (const b of Object.values(app.buckets)) lines.push(`  ${id("bucket", b.name)}[("bucket ${b.name}")]`);
  for (const t of Object.values(app.topics)) {
    lines.push(`  ${id("topic", t.name)}{{"topic ${t.name}"}}`);
    for (const s of t.subscribers) lines.push(`  ${id("topic", t.name)} -.->|delivers| ${id("svc", s)}`);
  }
  const kinds: [Record<string, unknown>, string][] = [
    [app.postgres, "pg"],
    [app.redis, "redis"],
    [app.buckets, "bucket"],
    [app.topics, "topic"],
  ];
  for (const s of services) {
    if (isStatic(s)) continue;
    for (const u of s.uses) {
      const kind = kinds.find(([m]) => u in m)?.[1];
      if (kind) lines.push(`  ${id("svc", s.name)} --> ${id(kind, u)}`);
    }
  }
  lines.push("```");
  return lines;
}

/** When a rule fires, in words (the spec's reference: `above`, and below it for availability). */
const FIRES: Record<AlertModel["metric"], (x: number) => string> = {
  error_rate: (x) => `more than ${x}% of requests answered 5xx`,
  latency_p95: (x) => `p95 latency above ${x} ms`,
  cpu: (x) => `CPU above ${x}% of its limit`,
  memory: (x) => `memory above ${x}% of its limit`,
  crash_loop: (x) => `more than ${x} restarts a minute`,
  availability: (x) => `availability below ${x}%`,
};

/**
 * The alert table; `notified` says how a channel is reached on the target (or that it is not), and
 * `elsewhere`, where given, what a rule the target does not evaluate itself becomes instead.
 */
export function alertTable(
  app: AppModel,
  notified: (channel: string) => string,
  elsewhere?: (rule: AlertModel) => string | undefined,
): string[] {
  const rows = Object.entries(app.monitoring.alerts).map(([name, a]) => {
    const instead = elsewhere?.(a);
    const who = instead
      ? instead
      : a.channels.length
        ? a.channels.map(notified).join("; ")
        : "**no one** (no channel)";
    const scope = a.services.length ? a.services.join(", ") : "every service it applies to";
    return `| \`${name}\` | ${FIRES[a.metric](a.above)} | ${a.for} | ${a.severity} | ${scope} | ${who} |`;
  });
  return [
    "| rule | fires when | for | severity | services | notified |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
  ];
}

/** How the alert severities map to incident severities, with the response they ask for. */
export const INCIDENT_SEVERITIES = [
  "| alert severity | incident | response |",
  "| --- | --- | --- |",
  "| critical | SEV1: users are affected now | acknowledge within 15 minutes, at any hour; roll back first, investigate after; post a status update every 30 minutes |",
  "| warning | SEV2: degraded, or will be soon | acknowledge within 1 business hour; fix or schedule the fix the same day |",
  "| info | SEV3: worth knowing | review in the next working day; no page |",
];

/** A fenced shell block and the blank line after it. */
export const shBlock = (lines: readonly string[]): string[] => ["```sh", ...lines, "```", ""];

/** One runbook file: its name under operations/, what the index says it holds, and its lines. */
export interface RunbookTopic {
  file: string;
  what: string;
  lines: readonly string[];
}

const markdown = (lines: readonly string[]) => `${lines.join("\n").trimEnd()}\n`;

/** operations/README.md (the index, in the topics' order) and one file per topic. */
export function operationsTree(title: string, command: string, topics: readonly RunbookTopic[]): FileTree {
  return {
    "operations/README.md": markdown([
      `# ${title}`,
      "",
      `Generated by \`${command}\` from gantry.yaml: regenerate instead of editing.`,
      "",
      ...topics.map((t) => `- [${t.file}](${t.file}): ${t.what}`),
    ]),
    ...Object.fromEntries(topics.map((t) => [`operations/${t.file}`, markdown(t.lines)])),
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
        ? [
            `- ${app.environment.name} ${s.name}: ${s.domains.map((d) => `https://${d}${s.path === "/" ? "" : s.path}`).join(", ")}`,
          ]
        : [],
    ),
  );
}
