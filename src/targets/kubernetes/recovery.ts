// What an in-cluster PostgreSQL (hosting: cluster) can give back: the chart dumps it with pg_dump on a
// schedule to a volume of its own (objects-backup.ts), as often as the environment's RPO asks, down to
// every 5 minutes; there is no continuous WAL archiving, so a smaller RPO needs a managed server.
// `gantry check` compares the spec's `recovery.rpo` with the interval (../recovery.ts).
import { kubernetesSchedule } from "../../model/schedule.js";
import type { AppModel, PostgresModel, RedisModel } from "../../model/types.js";
import type { PlatformRecovery, StoreRecovery } from "../recovery.js";

/** Intervals a dump can run at, in minutes: each divides an hour or a day evenly. */
const STEPS = [5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720] as const;

/**
 * The dumps' schedule: the spec's `recovery.base_backup` when it is within the RPO (a day at most),
 * else the longest even interval within it. Returns the cron and the interval in seconds.
 */
export function dumpSchedule(app: AppModel): { cron: string; seconds: number } {
  const rpo = app.recovery.rpo_seconds;
  if (rpo >= 86400) return { cron: kubernetesSchedule(app.recovery.base_backup), seconds: 86400 };
  const minutes = [...STEPS].reverse().find((m) => m * 60 <= rpo) ?? STEPS[0];
  const cron =
    minutes < 60 ? `*/${minutes} * * * *` : minutes === 60 ? "0 * * * *" : `0 */${minutes / 60} * * *`;
  return { cron, seconds: minutes * 60 };
}

function postgres(p: PostgresModel, app: AppModel): StoreRecovery | undefined {
  if (p.hosting !== "cluster") return undefined;
  return {
    service: "the in-cluster PostgreSQL",
    ...(p.backups.enabled ? { rpoSeconds: dumpSchedule(app).seconds } : {}),
    because:
      "the chart backs it up with pg_dump on a schedule, every 5 minutes at most, without archiving the write-ahead log",
    hint: "set recovery.rpo to 5m or more, or use `hosting: managed` (point-in-time restore from the archived log)",
  };
}

function redis(r: RedisModel): StoreRecovery | undefined {
  if (r.hosting !== "cluster") return undefined;
  return {
    service: "the in-cluster Redis",
    because: "its persistence files live only on its own volume, which the chart does not back up",
    hint: "keep what must survive in PostgreSQL, or use `hosting: managed`",
  };
}

export const clusterRecovery: PlatformRecovery = { postgres, redis };
