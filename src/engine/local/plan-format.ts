// A deploy plan as `gantry deploy --plan` prints it: one line or more per step, each starting with
// the step's kind, in the order the steps run.
import { humanMs } from "../../util/duration.js";
import type { DeployPlan, DeployStep } from "./plan.js";

type Describe = {
  [K in DeployStep["kind"]]: (s: Extract<DeployStep, { kind: K }>, p: DeployPlan) => string[];
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const describe: Describe = {
  secrets: (s) => [
    `${s.secrets.map((x) => `${x.name} (${x.service})`).join(", ")}: each is set; the release records their versions`,
  ],
  sources: (s) => [
    `${s.directories.map((d) => `${d.service}: ${d.dir}`).join(", ")} (each directory exists)`,
  ],
  build: (s) => [`${s.service}: ${s.command}  (in ${s.cwd})`],
  release: (s, p) => [
    `copy the built app into .gantry/<env>/releases/${p.release}/${s.outputs.length > 0 ? ` (once ${s.outputs.map((o) => o.root).join(", ")} exist${s.outputs.length === 1 ? "s" : ""})` : ""}`,
  ],
  unseal: (s, p) => [
    `${[...new Set(s.secrets.map((x) => x.name))].join(", ")}: the versions ${p.release} recorded`,
  ],
  provision: (s) => [
    [
      ...(s.postgres ? [`PostgreSQL ${s.postgres.versions.join(" or ")}`] : []),
      ...s.redis.map((r) => `Redis ${r.name} (${r.persistence})`),
      ...(s.topics.length > 0 ? [`topics ${s.topics.join(", ")}`] : []),
      ...(s.buckets.length > 0 ? [`bucket folders ${s.buckets.join(", ")}`] : []),
    ].join(", ") + ": started unless running",
  ],
  databases: (s) => [`${s.databases.join(", ")} (owned by the role apps connect as)`],
  jobs: (s) =>
    s.jobs.map(
      (j) =>
        `${j.service}: ${j.schedule} (${j.timezone}): ${j.command}  (timeout ${humanMs(j.timeoutMs)}, ${plural(j.retries, "retry", "retries")})`,
    ),
  migrate: (s) => [`${s.service}: ${s.command}`],
  start: (s) =>
    s.services.map(
      (x) => `${x.service}: ${x.instances.length} × ${x.command}${x.port ? " on fresh ports" : ""}`,
    ),
  wait: (s) =>
    s.services.map(
      (x) =>
        `${x.service}: ${x.readiness ? `GET ${x.readiness} answers 2xx` : x.port ? "GET / answers below 500" : "process stays up"} (at most ${Math.round(x.timeoutMs / 1000)}s)`,
    ),
  switch: (s) => [
    // The schedules switch with the proxy; a run of the old release in progress finishes.
    `the proxy, topic deliveries and job schedules to ${s.release}, then watch ${s.crashWatchMs} ms for crashes`,
    ...s.statics.map(
      (x) => `${x.service}: static files from ${x.root} at ${x.prefix}${x.spa ? " (SPA fallback)" : ""}`,
    ),
    ...s.subscriptions.map((x) => `${x.topic}: delivered to ${x.service} at POST ${x.route}`),
  ],
  drain: (s) => s.services.map((x) => `${x.service}: ${x.instances.join(", ")} (≤ ${x.drainMs / 1000}s)`),
  stop: (s) =>
    s.services.map(
      (x) => `${x.service}: ${x.instances.join(", ")} (SIGTERM, SIGKILL after ${x.graceMs / 1000}s)`,
    ),
  record: (s) => [`${s.release} serving${s.replaces ? `, ${s.replaces} superseded` : ""}`],
  prune: (s) => [`the copies of the app of releases older than the newest ${s.keep}, unless in use`],
};

function lines(s: DeployStep, p: DeployPlan): string[] {
  return (describe[s.kind] as (s: DeployStep, p: DeployPlan) => string[])(s, p);
}

export function formatPlan(p: DeployPlan): string {
  const out = [`${p.kind} ${p.release}${p.replaces ? ` (replacing ${p.replaces})` : ""}`];
  for (const step of p.steps) for (const l of lines(step, p)) out.push(`  ${step.kind.padEnd(10)}${l}`);
  for (const x of p.skipped) out.push(`  ${"skip".padEnd(10)}${x.service}: ${x.reason}`);
  return out.join("\n") + "\n";
}
