// Deploys are planned, then applied. A plan is plain data: what to build, which migrations to run,
// which instances to start and which to retire. It is printed by `gantry deploy --plan` and unit-tested;
// the supervisor applies the rollout half, the CLI the build half.
import { posix } from "node:path";
import type { AppModel, ServiceModel } from "../../model/types.js";
import { durationMs, humanMs } from "../../util/duration.js";

export interface BuildStep {
  service: string;
  command: string;
  /** Relative to the app directory. */
  cwd: string;
}

export interface StartStep {
  service: string;
  type: "http" | "worker";
  replicas: number;
  command: string;
  /** Relative to the release's copy of the app. */
  cwd: string;
  port: boolean;
  /** Path polled until it answers 2xx; undefined: the process only has to stay up. */
  readiness?: string;
  /** Path that must keep answering 2xx once the instance serves; 3 failures in a row restart it. */
  liveness?: string;
  startupTimeoutMs: number;
  drainMs: number;
  graceMs: number;
}

export interface StaticStep {
  service: string;
  /** Relative to the release's copy of the app. */
  root: string;
  spa: boolean;
}

/** A scheduled job of the release: its schedule becomes active when the proxy switches to it. */
export interface ScheduleStep {
  service: string;
  schedule: string;
  timezone: string;
  command: string;
  /** Relative to the release's copy of the app. */
  cwd: string;
  timeoutMs: number;
  retries: number;
}

export interface RetireStep {
  service: string;
  instances: string[];
  drainMs: number;
  graceMs: number;
}

export interface DeployPlan {
  release: string;
  kind: "deploy" | "rollback";
  /** Empty for a rollback: the release is already built (and migrations are not run again). */
  build: BuildStep[];
  migrations: { service: string; command: string; cwd: string; timeoutMs: number }[];
  start: StartStep[];
  statics: StaticStep[];
  schedule: ScheduleStep[];
  /** The release serving now, replaced when the new one is ready. */
  replaces?: string;
  retire: RetireStep[];
  /** Services the local runtime does not run, with the reason (shown as notes). */
  skipped: { service: string; reason: string }[];
  /** After the switch, a crash of a new instance within this window switches back. */
  crashWatchMs: number;
}

export interface CurrentInstances {
  release?: string;
  instances: { id: string; service: string }[];
}

/** A spec path (relative to the app directory) in normal form: "./web/" → "web", "." → ".". */
function rel(p: string): string {
  const n = posix.normalize(p.replace(/\\/g, "/"));
  return n.endsWith("/") && n.length > 1 ? n.slice(0, -1) : n;
}

export function planDeploy(
  model: AppModel,
  release: string,
  current: CurrentInstances,
  opts: { kind?: "deploy" | "rollback"; crashWatchMs?: number; startupTimeoutMs?: number } = {},
): DeployPlan {
  const kind = opts.kind ?? "deploy";
  const names = Object.keys(model.services).sort();
  const build: BuildStep[] = [];
  const start: StartStep[] = [];
  const statics: StaticStep[] = [];
  const schedule: ScheduleStep[] = [];
  const migrations: DeployPlan["migrations"] = [];
  const oldDrain: Record<string, { drainMs: number; graceMs: number }> = {};
  const skipped: DeployPlan["skipped"] = [];
  for (const name of names) {
    const s = model.services[name]!;
    if (s.type === "static") {
      if (s.build) build.push({ service: name, command: s.build, cwd: rel(s.static) });
      statics.push({ service: name, root: rel(posix.join(s.static, s.output)), spa: s.spa });
      continue;
    }
    const ctx = s.build ? rel(s.build.context) : ".";
    if (s.build_command) build.push({ service: name, command: s.build_command, cwd: ctx });
    if (!s.command) {
      skipped.push({
        service: name,
        reason:
          "it has no `command` (an image alone cannot run without containers); set `command` and `build_command`",
      });
      continue;
    }
    if (s.type === "job") {
      schedule.push({
        service: name,
        schedule: s.schedule,
        timezone: s.timezone,
        command: s.command,
        cwd: ctx,
        timeoutMs: durationMs(s.timeout, 3_600_000),
        retries: s.retries,
      });
      continue;
    }
    const svc: ServiceModel = s;
    if (svc.migrations)
      migrations.push({
        service: name,
        command: svc.migrations.command,
        cwd: ctx,
        timeoutMs: durationMs(svc.migrations.timeout, 600_000),
      });
    const drainMs = durationMs(svc.shutdown.drain, 10_000);
    const graceMs = durationMs(svc.shutdown.grace, 30_000);
    oldDrain[name] = { drainMs, graceMs };
    // Without a health path, an instance with a port is ready once the port accepts connections, as
    // the Kubernetes target probes it (tcpSocket): an API that answers 404 at / is still up.
    const readiness = svc.port !== undefined ? (svc.health?.readiness ?? svc.health?.liveness) : undefined;
    start.push({
      service: name,
      type: svc.type,
      replicas: Math.max(1, svc.scale.min),
      command: svc.command!,
      cwd: ctx,
      port: svc.port !== undefined,
      ...(readiness ? { readiness } : {}),
      ...(svc.port !== undefined && svc.health?.liveness ? { liveness: svc.health.liveness } : {}),
      startupTimeoutMs: opts.startupTimeoutMs ?? durationMs(svc.health?.startup_timeout, 60_000),
      drainMs,
      graceMs,
    });
  }
  const retireBy = new Map<string, string[]>();
  for (const i of current.instances) retireBy.set(i.service, [...(retireBy.get(i.service) ?? []), i.id]);
  const retire: RetireStep[] = [...retireBy.keys()].sort().map((service) => ({
    service,
    instances: retireBy.get(service)!.sort(),
    ...(oldDrain[service] ?? { drainMs: 10_000, graceMs: 30_000 }),
  }));
  return {
    release,
    kind,
    build: kind === "rollback" ? [] : build,
    // A rollback runs no migrations: the schema stays as the newer release left it, so migrations must
    // be backwards compatible (expand, then contract), as for any zero-downtime deploy.
    migrations: kind === "rollback" ? [] : migrations,
    start,
    statics,
    schedule,
    ...(current.release ? { replaces: current.release } : {}),
    retire,
    skipped,
    crashWatchMs: opts.crashWatchMs ?? 1000,
  };
}

export function formatPlan(p: DeployPlan): string {
  const lines: string[] = [`${p.kind} ${p.release}${p.replaces ? ` (replacing ${p.replaces})` : ""}`];
  for (const b of p.build) lines.push(`  build    ${b.service}: ${b.command}  (in ${b.cwd})`);
  if (p.kind === "deploy")
    lines.push(`  release  copy the built app into .gantry/<env>/releases/${p.release}/`);
  for (const m of p.migrations) lines.push(`  migrate  ${m.service}: ${m.command}`);
  for (const s of p.start)
    lines.push(`  start    ${s.service}: ${s.replicas} × ${s.command}${s.port ? " on fresh ports" : ""}`);
  for (const s of p.start)
    lines.push(
      `  wait     ${s.service}: ${s.readiness ? `GET ${s.readiness} answers 2xx` : s.port ? "its port accepts connections" : "process stays up"} (at most ${Math.round(s.startupTimeoutMs / 1000)}s)`,
    );
  for (const s of p.statics)
    lines.push(`  serve    ${s.service}: static files from ${s.root}${s.spa ? " (SPA fallback)" : ""}`);
  lines.push(`  switch   the proxy to ${p.release}, then watch ${p.crashWatchMs} ms for crashes`);
  // The schedules switch with the proxy; a run of the old release in progress finishes.
  for (const j of p.schedule)
    lines.push(
      `  schedule ${j.service}: ${j.schedule} (${j.timezone}): ${j.command}  (timeout ${humanMs(j.timeoutMs)}, ${j.retries} ${j.retries === 1 ? "retry" : "retries"})`,
    );
  for (const x of p.skipped) lines.push(`  skip     ${x.service}: ${x.reason}`);
  for (const r of p.retire)
    lines.push(
      `  retire   ${r.service}: ${r.instances.join(", ")} (drain ≤ ${r.drainMs / 1000}s, stop ≤ ${r.graceMs / 1000}s)`,
    );
  return lines.join("\n") + "\n";
}
