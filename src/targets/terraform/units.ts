// Kubernetes-style quantities from the spec (cpu "500m", memory "1Gi") in the units clouds use.
import { eventBridgeSchedule } from "../../model/schedule.js";
import { mebibytes, quantity } from "../../util/quantity.js";

/** CPU cores from "500m", "1", "0.5". */
export function cpuCores(q: string): number {
  return quantity(q) ?? 0.25;
}

/** MiB from "512Mi", "1Gi", "1G", "1000M". */
export function memoryMiB(q: string): number {
  return mebibytes(q) ?? 512;
}

/** Fargate CPU sizes and the memory (MiB) each allows. */
const FARGATE: readonly { cpu: number; memory: readonly number[] }[] = [
  { cpu: 256, memory: [512, 1024, 2048] },
  { cpu: 512, memory: [1024, 2048, 3072, 4096] },
  { cpu: 1024, memory: [2048, 3072, 4096, 5120, 6144, 7168, 8192] },
  { cpu: 2048, memory: Array.from({ length: 13 }, (_, i) => 4096 + i * 1024) },
  { cpu: 4096, memory: Array.from({ length: 23 }, (_, i) => 8192 + i * 1024) },
  { cpu: 8192, memory: Array.from({ length: 12 }, (_, i) => 16384 + i * 4096) },
  { cpu: 16384, memory: Array.from({ length: 12 }, (_, i) => 32768 + i * 8192) },
];

/** The smallest valid Fargate size that holds the given limits. */
export function fargateSize(cpu: string, memory: string): { cpu: number; memory: number } {
  const wantCpu = cpuCores(cpu) * 1024;
  const wantMem = memoryMiB(memory);
  for (const row of FARGATE) {
    if (row.cpu < wantCpu) continue;
    const mem = row.memory.find((m) => m >= wantMem);
    if (mem !== undefined) return { cpu: row.cpu, memory: mem };
  }
  const last = FARGATE[FARGATE.length - 1]!;
  return { cpu: last.cpu, memory: last.memory[last.memory.length - 1]! };
}

/** CloudWatch Logs accepts only these retention periods; round up to the next one. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
export function cloudWatchRetention(days: number): number {
  return LOG_RETENTION_DAYS.find((d) => d >= days) ?? 3653;
}

/**
 * A job's schedule as EventBridge Scheduler wants it (src/model/schedule.ts). One it cannot say is a
 * positioned error of the AWS target's check, so the fallback is never written.
 */
export function eventBridgeCron(cron: string): string {
  return eventBridgeSchedule(cron) ?? `cron(${cron})`;
}

/**
 * The path an external check requests to reach a service's health endpoint: the health path as the
 * app serves it when it already lies under the service's route prefix (`/api` + `/api/health`),
 * else under the prefix (`/api` + `/ready` gives `/api/ready`), since the route keeps its prefix.
 */
export function publicHealthPath(servicePath: string, health: string): string {
  const prefix = servicePath.replace(/\/+$/, "");
  if (!prefix || health === prefix || health.startsWith(`${prefix}/`)) return health;
  return `${prefix}${health.startsWith("/") ? "" : "/"}${health}`;
}
