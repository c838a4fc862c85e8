// What DigitalOcean's managed databases recover, as DigitalOcean documents it: the RPO and retention
// `gantry check` compares the spec with (../recovery.ts), and what the spec asks that they cannot do.
import type { ProjectModel, PostgresModel, RedisModel } from "../../model/types.js";
import type { PlatformRecovery, StoreRecovery } from "../recovery.js";
import type { TargetProblem } from "../target.js";

/**
 * PostgreSQL clusters keep 7 days of backups and write-ahead log, and a fork restores to any second of
 * them (`doctl databases fork --restore-from-timestamp`; docs.digitalocean.com/products/databases/
 * postgresql/how-to/restore-from-backups/). The log is shipped every 5 minutes at most.
 */
export const DO_BACKUP_DAYS = 7;
const DO_POSTGRES_RPO = 5 * 60;

export const DO_POSTGRES = "DigitalOcean Managed PostgreSQL";

function postgres(p: PostgresModel): StoreRecovery | undefined {
  if (p.hosting === "cluster") return undefined;
  return {
    service: DO_POSTGRES,
    rpoSeconds: DO_POSTGRES_RPO,
    because: "its write-ahead log is backed up every 5 minutes",
    hint: "set recovery.rpo to 5m or more for this environment",
  };
}

// "Valkey clusters do not support backups or restoring from backups. Forking is the supported way to
// create a new cluster from an existing cluster's latest transaction."
// (docs.digitalocean.com/products/databases/valkey/how-to/fork-clusters/)
function redis(r: RedisModel): StoreRecovery | undefined {
  if (r.hosting === "cluster") return undefined;
  return {
    service: "DigitalOcean Managed Valkey",
    because: "Valkey clusters have no backups; a fork copies a cluster that still exists",
    hint: "keep what must survive in PostgreSQL",
  };
}

export const doRecovery: PlatformRecovery = { postgres, redis };

/** Backup settings DigitalOcean fixes: 7 days of backups, in the cluster's region only. */
export function backupSettingProblems(project: ProjectModel): TargetProblem[] {
  return project.environments.flatMap((e) =>
    Object.values(e.postgres)
      .filter((p) => p.hosting === "managed" && p.backups.enabled)
      .flatMap((p): TargetProblem[] => [
        ...(p.backups.retention_days > DO_BACKUP_DAYS
          ? [
              {
                env: e.environment.name,
                path: `postgres.${p.name}.backups.retention_days`,
                severity: "warning" as const,
                message: `DigitalOcean keeps ${DO_BACKUP_DAYS} days of backups of a managed PostgreSQL, not ${p.backups.retention_days}`,
                hint: `export older restore points yourself (pg_dump to Spaces), or set retention_days: ${DO_BACKUP_DAYS}`,
              },
            ]
          : []),
        ...(p.backups.geo_redundant
          ? [
              {
                env: e.environment.name,
                path: `postgres.${p.name}.backups.geo_redundant`,
                severity: "warning" as const,
                message:
                  "DigitalOcean keeps a managed PostgreSQL's backups in its region only: there is no geo-redundant copy, so the loss of the region loses the backups",
                hint: "copy dumps to a Spaces bucket in another region yourself, or set geo_redundant: false",
              },
            ]
          : []),
      ]),
  );
}
