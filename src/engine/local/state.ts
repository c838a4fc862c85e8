// The supervisor's state file (`.gantry/<env>/state.json`), read by `status`, `up` and the recovery
// after a crash. Written atomically by the supervisor only. It holds ports and process ids, never a
// secret value.
import { readJson } from "./fsutil.js";
import type { EnvPaths } from "./paths.js";
import type { JobInfo } from "./scheduler.js";
import type { SignalsStatus } from "./signals.js";

export type InstanceStatus =
  "starting" | "running" | "crashed" | "crash-loop" | "stopping" | "stopped" | "failed";

export interface InstanceInfo {
  id: string;
  service: string;
  release: string;
  port?: number;
  pid?: number;
  /** The process's command line, to recognise it after a crash of the supervisor (pids are reused). */
  cmd?: string;
  /** When it started (see pidStartTicks): recognises it even when it rewrote its command line. */
  startTicks?: number;
  status: InstanceStatus;
  ready: boolean;
  serving: boolean;
  startedAt?: string;
  restarts: number;
  lastExit?: string;
}

export interface ProcessRecord {
  pid: number;
  port: number;
  cmd?: string;
  startTicks?: number;
  /** Times the supervisor started it again after it exited. */
  restarts?: number;
  lastExit?: string;
  /** It exited and is being started again. */
  down?: boolean;
}

export interface SupervisorState {
  pid: number;
  startedAt: string;
  updatedAt: string;
  phase: "starting" | "running" | "stopping" | "stopped" | "failed";
  error?: string;
  socket: string;
  proxyPort?: number;
  /** Where Prometheus scrapes `/metrics` (metrics-server.ts). */
  metricsPort?: number;
  daprPort?: number;
  /** The Redis that holds the topics' streams: kept across runs, so their events are not stranded. */
  topicsRedis?: string;
  postgres?: ProcessRecord & { user: string; version?: string };
  redis: Record<string, ProcessRecord>;
  release?: string;
  deploying?: string;
  instances: InstanceInfo[];
  /** Scheduled jobs of the serving release: schedule, next run, the run going on, the last run. */
  jobs?: JobInfo[];
  /** In `gantry status` only (not in the file): the last minute's traffic per service, the alerts. */
  traffic?: SignalsStatus["traffic"];
  alerts?: SignalsStatus["alerts"];
}

export function readState(p: EnvPaths): SupervisorState | undefined {
  return readJson<SupervisorState>(p.state);
}
