// What a platform's backups can give back, and the problems of a spec whose `recovery` asks for more.
// Each platform states what its data services recover, as their documentation says (its recovery.ts,
// with the source); this file turns that into positioned problems the same way for every target, so
// that an RPO a service cannot meet is said at `recovery.rpo` rather than silently missed.
import type { AppModel, PostgresModel, ProjectModel, RedisModel } from "../model/types.js";
import { humanMs } from "../util/duration.js";
import type { TargetProblem } from "./target.js";

/** What restoring one data store on a platform can recover. */
export interface StoreRecovery {
  /** The service, in messages: "Azure Database for PostgreSQL Flexible Server". */
  service: string;
  /**
   * The most committed data a restore to the newest restorable point loses, in seconds, as the
   * service documents it; undefined when nothing can be restored (no backups at all).
   */
  rpoSeconds?: number;
  /** What the figure comes from, completing "because ..." in the message. */
  because: string;
  /** What to change to meet a smaller RPO. */
  hint: string;
}

/** A platform's recovery, per data store; undefined where the store does not run on the platform. */
export interface PlatformRecovery {
  postgres(p: PostgresModel, app: AppModel): StoreRecovery | undefined;
  /** Only asked of caches that persist (`persistence` other than none): the others are rebuilt. */
  redis(r: RedisModel, app: AppModel): StoreRecovery | undefined;
}

/**
 * The spec's RPO against what each store can recover. PostgreSQL holds the app's data: a platform that
 * cannot meet the RPO is an error. A cache that persists is also reported, as a warning: caches are
 * rebuilt from the database, and the spec's RPO is about committed data.
 */
export function recoveryProblems(project: ProjectModel, platform: PlatformRecovery): TargetProblem[] {
  return project.environments.flatMap((app) => {
    const env = app.environment.name;
    const want = app.recovery.rpo_seconds;
    const check = (
      store: StoreRecovery | undefined,
      path: string,
      what: string,
      severity: "error" | "warning",
    ): TargetProblem[] => {
      if (!store || (store.rpoSeconds !== undefined && store.rpoSeconds <= want)) return [];
      const loses =
        store.rpoSeconds === undefined
          ? "has no backup to restore"
          : `can lose up to ${humanMs(store.rpoSeconds * 1000)} of data`;
      return [
        {
          env,
          path,
          severity,
          message: `recovery.rpo is ${app.recovery.rpo}, but ${what} on ${store.service} ${loses} (${store.because})`,
          hint: store.hint,
        },
      ];
    };
    return [
      ...Object.values(app.postgres).flatMap((p) =>
        check(platform.postgres(p, app), "recovery.rpo", `PostgreSQL ${p.name}`, "error"),
      ),
      ...Object.values(app.redis)
        .filter((r) => r.persistence !== "none")
        .flatMap((r) =>
          check(platform.redis(r, app), `redis.${r.name}.persistence`, `Redis ${r.name}`, "warning"),
        ),
    ];
  });
}
