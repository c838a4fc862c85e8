// The load test after a deploy of the staging environment: autocannon (pinned, through npx) against
// its public health URLs, with limits taken from the spec's own alerts: a p95 above the lowest
// latency_p95 threshold, or an error ratio above the lowest error_rate threshold, that covers the
// service fails the job, because in production that load would page someone. The load's profile
// follows each service's scale (docs/ci-cd.md, "Load test"); where the platform autoscales, its
// Verification wraps the run in an autoscaler check.
import type { AppModel, ServiceModel, StaticModel } from "../../model/types.js";
import type { Verification } from "../platform.js";
import { smokeTargets, type Pipeline, type SmokeTarget } from "./pipeline.js";
import { LOAD_TEST_SCRIPT } from "./load-test-script.js";
import { RUNNER, jobPermissions, readsEnvironment, setupStack } from "./steps.js";
import { checkout, run, type Env, type Job, type Step } from "./workflow.js";

/** The autocannon release the job runs: the project's own dev dependency, so the tests run the same one. */
export const AUTOCANNON_VERSION = "8.0.0";

/** Seconds of load where nothing autoscales: enough requests for a stable p95, short enough to spare staging. */
export const STEADY_SECONDS = 30;
/** Metrics reach an autoscaler late: metrics-server scrapes about every minute, the HPA reads every 15 s. */
const METRICS_LAG_SECONDS = 75;
const MAX_SECONDS = 600;
export const CONNECTIONS_PER_REPLICA = 10;
export const MAX_CONNECTIONS = 100;

/** One URL the load test drives, as the script reads it from LOAD_TARGETS. */
export interface LoadTarget {
  url: string;
  connections: number;
  duration: number;
  p95_ms?: number;
  error_percent?: number;
}

/** What the load-test step runs; a platform's Verification may wrap it (src/targets/platform.ts). */
export interface LoadRun {
  name: string;
  /** The shell command that runs the load and exits with its status. */
  command: string;
  env: Env;
  /** How long the load runs, in seconds. */
  seconds: number;
  /** The loaded services that autoscale between min and max replicas. */
  autoscaled: ServiceModel[];
}

/**
 * The environment the load test runs in: among the non-production environments before the first
 * production one (all of them when none is production), the first of tier staging, else the first.
 */
export function loadTestEnvironment(envs: readonly AppModel[]): AppModel | undefined {
  const prod = envs.findIndex((e) => e.environment.tier === "production");
  const before = (prod < 0 ? envs : envs.slice(0, prod)).filter((e) => e.environment.tier !== "production");
  const candidate = before.find((e) => e.environment.tier === "staging") ?? before[0];
  return candidate && smokeTargets(candidate).length ? candidate : undefined;
}

/** The lowest threshold of an enabled alert on the metric that covers the service. */
function limit(env: AppModel, metric: "error_rate" | "latency_p95", service: string): number | undefined {
  const above = Object.values(env.monitoring.alerts)
    .filter((a) => a.metric === metric && (a.services.length === 0 || a.services.includes(service)))
    .map((a) => a.above);
  return above.length ? Math.min(...above) : undefined;
}

const autoscales = (s: ServiceModel | StaticModel): s is ServiceModel =>
  s.type === "http" && s.scale.max > s.scale.min;

/**
 * The profile of one service: 10 connections per replica it may run (at most 100); 30 s when it
 * does not autoscale, else long enough for its autoscaler to act (the metrics' lag, the scale-up
 * window and one period) and at least two minutes, at most ten.
 */
export function loadProfile(s: ServiceModel | StaticModel): { connections: number; duration: number } {
  const replicas = s.type === "static" ? 1 : Math.max(1, s.scale.max);
  const connections = Math.min(MAX_CONNECTIONS, CONNECTIONS_PER_REPLICA * replicas);
  if (!autoscales(s)) return { connections, duration: STEADY_SECONDS };
  const act = METRICS_LAG_SECONDS + s.scale.up.window_seconds + s.scale.up.period_seconds;
  return { connections, duration: Math.min(MAX_SECONDS, Math.max(120, act)) };
}

/** What the load test drives at one public health URL: its service's profile and limits. */
function loadTarget(env: AppModel, { service, url }: SmokeTarget): LoadTarget {
  const p95 = limit(env, "latency_p95", service.name);
  const errors = limit(env, "error_rate", service.name);
  return {
    url,
    ...loadProfile(service),
    ...(p95 !== undefined ? { p95_ms: p95 } : {}),
    ...(errors !== undefined ? { error_percent: errors } : {}),
  };
}

export const loadTargets = (env: AppModel): LoadTarget[] => smokeTargets(env).map((t) => loadTarget(env, t));

/** The load run of an environment: the script beside the workflows, through the pinned autocannon. */
export function loadRun(p: Pipeline, env: AppModel): LoadRun {
  const smoke = smokeTargets(env);
  const targets = smoke.map((t) => loadTarget(env, t));
  return {
    name: "Load test",
    command: 'npx --yes --package "autocannon@$AUTOCANNON" -- node "$SCRIPT"',
    env: {
      AUTOCANNON: AUTOCANNON_VERSION,
      SCRIPT: `${p.workflowsDir}/${LOAD_TEST_SCRIPT}`,
      LOAD_TARGETS: JSON.stringify(targets),
    },
    seconds: Math.max(...targets.map((t) => t.duration)),
    autoscaled: [...new Set(smoke.map((t) => t.service).filter(autoscales))],
  };
}

/** The load alone, as where nothing autoscales. */
export const plainLoad = (load: LoadRun): Step =>
  run(load.name, load.command, { env: load.env, "timeout-minutes": Math.ceil(load.seconds / 60) + 5 });

/** The load-test job of a deploy workflow, after the deploy succeeded. */
export function loadTestJob(p: Pipeline, env: AppModel, verification: Verification | undefined): Job {
  const load = loadRun(p, env);
  const platformSteps = verification?.loadSteps?.(p, env, load) ?? [plainLoad(load)];
  const steps = [
    checkout({ ref: "${{ needs.prepare.outputs.sha }}" }),
    ...setupStack({ stack: "node", working_directory: ".", version: "20" }, "."),
    ...platformSteps,
  ];
  const minutes = platformSteps.reduce((sum, s) => sum + (s["timeout-minutes"] ?? 0), 0);
  return {
    name: `Load test ${env.environment.name}`,
    "runs-on": RUNNER,
    needs: ["prepare", "deploy"],
    ...(readsEnvironment(steps) ? { environment: { name: env.environment.name } } : {}),
    permissions: jobPermissions(steps),
    "timeout-minutes": minutes + 10,
    steps,
  };
}
