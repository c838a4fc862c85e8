// What Azure's data services recover, as Microsoft documents it: the RPO `gantry check` compares the
// spec's `recovery.rpo` with (../recovery.ts), and the RDB snapshot interval a persisting cache gets.
import type { AppModel, PostgresModel, RedisModel } from "../../model/types.js";
import type { PlatformRecovery, StoreRecovery } from "../recovery.js";

/**
 * The RDB backup intervals a Premium cache accepts, in minutes ("Valid values: (15, 30, 60, 360, 720,
 * 1440)": RedisCommonConfiguration.RdbBackupFrequency, learn.microsoft.com/dotnet/api/azure.resourcemanager.redis).
 */
const RDB_MINUTES = [15, 30, 60, 360, 720, 1440] as const;

/** The longest RDB interval within the RPO (snapshots cost I/O), or the shortest there is. */
export function rdbBackupMinutes(rpoSeconds: number): number {
  return [...RDB_MINUTES].reverse().find((m) => m * 60 <= rpoSeconds) ?? RDB_MINUTES[0];
}

/** Flexible Server keeps backups 7 to 35 days (concepts-backup-restore): the spec's days within that. */
export const flexibleRetentionDays = (p: PostgresModel): number =>
  Math.min(35, Math.max(7, p.backups.retention_days));

// "Transaction log backups happen at varied frequencies, depending on the workload and when the WAL
// file is filled and ready to be archived. In general, the delay (recovery point objective, or RPO)
// can be up to 15 minutes." (learn.microsoft.com/azure/postgresql/flexible-server/concepts-backup-restore)
const FLEXIBLE_SERVER_RPO = 15 * 60;

export const FLEXIBLE_SERVER = "Azure Database for PostgreSQL Flexible Server";

function postgres(p: PostgresModel, app: AppModel): StoreRecovery | undefined {
  // On AKS an in-cluster PostgreSQL is the chart's (the Kubernetes target checks it).
  if (p.hosting === "cluster" && app.targets.azure?.compute === "aks") return undefined;
  return {
    service: FLEXIBLE_SERVER,
    rpoSeconds: FLEXIBLE_SERVER_RPO,
    because: "it archives the write-ahead log when a WAL file fills, documented as up to 15 minutes behind",
    hint: "set recovery.rpo to 15m or more for this environment (a smaller RPO needs a replica in another region, which Gantry does not generate)",
  };
}

function redis(r: RedisModel, app: AppModel): StoreRecovery | undefined {
  if (r.hosting === "cluster" && app.targets.azure?.compute === "aks") return undefined;
  // AOF "saves every write operation to a log that is saved at least once per second"
  // (learn.microsoft.com/azure/azure-cache-for-redis/cache-how-to-premium-persistence).
  if (r.persistence === "aof")
    return {
      service: "Azure Cache for Redis Premium",
      rpoSeconds: 1,
      because: "the AOF is written at least once a second",
      hint: "keep what must survive in PostgreSQL",
    };
  const minutes = rdbBackupMinutes(app.recovery.rpo_seconds);
  return {
    service: "Azure Cache for Redis Premium",
    rpoSeconds: minutes * 60,
    because: `RDB snapshots are taken every ${minutes} minutes at most, the shortest interval Azure offers`,
    hint: "use `persistence: aof` (written at least once a second), or keep what must survive in PostgreSQL",
  };
}

export const azureRecovery: PlatformRecovery = { postgres, redis };
