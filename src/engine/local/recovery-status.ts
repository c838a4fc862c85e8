// What `gantry status` says of recovery: the last backup (recorded by the supervisor's backup service
// in `.gantry/<env>/recovery.json`) and the last drill (its report in `.gantry/<env>/drills/`).
import { join } from "node:path";
import { lastDrill } from "./drill.js";
import { readJson } from "./fsutil.js";
import type { EnvPaths } from "./paths.js";

export const recoveryFile = (p: EnvPaths): string => join(p.dir, "recovery.json");

export interface RecoveryStatus {
  lastBackup?: { at: string; id?: string; reason: string };
  lastError?: string;
  lastDrill?: { at: string; passed: boolean; rto_seconds: number; rpo_seconds: number };
}

export function recoveryStatus(p: EnvPaths): RecoveryStatus {
  const rec = readJson<RecoveryStatus>(recoveryFile(p)) ?? {};
  const d = lastDrill(p);
  return {
    ...rec,
    ...(d
      ? {
          lastDrill: {
            at: d.started_at,
            passed: d.verified && d.within_targets,
            rto_seconds: d.rto_seconds,
            rpo_seconds: d.rpo_seconds,
          },
        }
      : {}),
  };
}

/** The status lines; empty when the environment never backed up nor drilled. */
export function formatRecovery(s: RecoveryStatus): string {
  const lines = [
    ...(s.lastBackup
      ? [
          `last backup: ${s.lastBackup.at} (${s.lastBackup.reason}${s.lastBackup.id ? `, ${s.lastBackup.id}` : ""})`,
        ]
      : []),
    ...(s.lastError ? [`last backup failed: ${s.lastError}`] : []),
    ...(s.lastDrill
      ? [
          `last drill: ${s.lastDrill.at} ${s.lastDrill.passed ? "passed" : "FAILED"} (RTO ${s.lastDrill.rto_seconds}s, RPO ${s.lastDrill.rpo_seconds}s)`,
        ]
      : []),
  ];
  return lines.length > 0 ? `\n${lines.join("\n")}\n` : "";
}
