// operations/disaster-recovery.md of every target, the same way: the objectives of each environment,
// then for each PostgreSQL a restore to a point in time into a new server, the integrity checks that
// compare it with the source, how the app is pointed at it and how to go back, the loss of a region
// where the spec keeps geo-redundant backups, and each cache. Each platform gives its own commands
// for the generated names (its runbook-dr.ts); the checks and the order of the steps are shared here.
import type { AppModel, PostgresModel, RedisModel } from "../model/types.js";

import { sh, type RunbookTopic } from "./runbook.js";

/**
 * Exact row counts of every table, one `schema.table|count` line each, sorted: run on the source and
 * on the restored server, the two outputs differ only by what was written after the recovery point.
 * `query_to_xml` counts each table in one statement, without a function to install.
 */
export const ROW_COUNTS_SQL =
  "SELECT table_schema || '.' || table_name, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1";

/** The newest commit a server holds; empty unless `track_commit_timestamp` is on. */
const NEWEST_COMMIT_SQL = "SELECT timestamp AT TIME ZONE 'UTC' FROM pg_last_committed_xact()";

/** How one platform restores one environment's data stores, as commands for the generated names. */
export interface DrPlatform {
  /** "Azure Database for PostgreSQL Flexible Server": what the section says the database is. */
  postgresService: string;
  /** Paragraphs before the environments: where the backups are kept and what they can give back. */
  intro: string[];
  /** How long the platform keeps a server's backups, said in the objectives' table; undefined where the server is not this platform's. */
  retention(app: AppModel, p: PostgresModel): string | undefined;
  /** The table's cell for an environment with no server of this platform's. */
  noRetention: string;
  /** Undefined where the store is not this platform's (an in-cluster server on a cloud target). */
  postgres(app: AppModel, p: PostgresModel): PostgresSteps | undefined;
  redis(app: AppModel, r: RedisModel): string[] | undefined;
}

export interface PostgresSteps {
  /**
   * Restores the server as of `$RESTORE_TIME` into a new server, with what it needs first; or, where
   * `inPlace` says so, over the same server from a dump (then `$SOURCE_URL` is not set).
   */
  restore: string[];
  /** What `restore` does instead of a new server, said before its commands. */
  inPlace?: string;
  /** Sets `$SOURCE_URL` and `$RESTORED_URL` (the same user and password: a restore copies them). */
  urls: string[];
  /** Makes the app use the restored server. */
  repoint: string[];
  /** Returns to the original server, and removes the restored one. */
  goBack: string[];
  /** Restores elsewhere after the loss of the region (or of the volume and cluster); absent without a copy there. */
  geo?: string[];
}

function objectives(apps: readonly AppModel[], platform: DrPlatform): string[] {
  const retention = (app: AppModel) =>
    Object.values(app.postgres)
      .flatMap((p) => {
        const kept = platform.retention(app, p);
        return kept ? [`${p.name}: ${kept}`] : [];
      })
      .join("; ") || platform.noRetention;
  return [
    "| environment | RPO | RTO | drill | backups |",
    "| --- | --- | --- | --- | --- |",
    ...apps.map(
      (a) =>
        `| ${a.environment.name} | ${a.recovery.rpo} | ${a.recovery.rto} | ${a.recovery.drill ?? "none"} | ${retention(a)} |`,
    ),
    "",
  ];
}

/** The integrity checks after a restore, for the URLs `urls` set. */
function integrity(inPlace: boolean): string[] {
  if (inPlace)
    return [
      "Count every table's rows (compare them with what the app showed before the incident) and check the heap and indexes with `pg_amcheck`:",
      "",
      ...sh([
        `COUNTS="${ROW_COUNTS_SQL}"`,
        'psql "$RESTORED_URL" -Atc "$COUNTS"',
        'psql "$RESTORED_URL" -c "CREATE EXTENSION IF NOT EXISTS amcheck" && pg_amcheck --heapallindexed "$RESTORED_URL"',
      ]),
    ];
  return [
    "Compare every table's row count with the source (differences are the writes after the recovery point), check the restored heap and indexes with `pg_amcheck` where the service allows the `amcheck` extension, and note the newest commit restored (shown where the server sets `track_commit_timestamp`; otherwise read the newest timestamp of a table the app writes often): the data lost is the time between it and the incident.",
    "",
    ...sh([
      `COUNTS="${ROW_COUNTS_SQL}"`,
      'psql "$SOURCE_URL" -Atc "$COUNTS" > source-counts.txt',
      'psql "$RESTORED_URL" -Atc "$COUNTS" > restored-counts.txt',
      "diff source-counts.txt restored-counts.txt && echo 'same row counts'",
      'psql "$RESTORED_URL" -c "CREATE EXTENSION IF NOT EXISTS amcheck" && pg_amcheck --heapallindexed "$RESTORED_URL"',
      `psql "$RESTORED_URL" -Atc "${NEWEST_COMMIT_SQL}"`,
    ]),
  ];
}

function postgresSection(app: AppModel, p: PostgresModel, s: PostgresSteps, service: string): string[] {
  return [
    `### PostgreSQL \`${p.name}\` (${service})`,
    "",
    ...(s.inPlace
      ? [s.inPlace, "", ...sh(s.restore)]
      : [
          "A restore never overwrites the server: it creates a new one, and the app moves to it only when the checks pass. Choose the time just before the incident, in UTC:",
          "",
          ...sh([
            "RESTORE_TIME=2030-01-31T09:55:00Z   # just before the incident, within the retention",
            ...s.restore,
          ]),
        ]),
    "#### Check the restored data",
    "",
    ...sh(s.urls),
    ...integrity(s.inPlace !== undefined),
    ...(s.repoint.length ? ["#### Point the app at the restored server", "", ...s.repoint] : []),
    "#### Go back",
    "",
    ...s.goBack,
    ...(s.geo
      ? [
          "#### The region is lost",
          "",
          ...(s.inPlace
            ? []
            : [
                `Backups of \`${p.name}\` are geo-redundant in ${app.environment.name}: restore them in another region, then point the app at it as above.`,
                "",
              ]),
          ...s.geo,
        ]
      : []),
  ];
}

/** operations/disaster-recovery.md for the environments, with the platform's commands. */
export function disasterRecoveryRunbook(apps: readonly AppModel[], platform: DrPlatform): string[] {
  const first = apps[0];
  if (!first) return [];
  return [
    "# Disaster recovery",
    "",
    `Restoring ${first.name}'s data, per environment, with the names this stack creates. The objectives are the spec's \`recovery\` (the RPO and RTO each restore must meet); \`gantry check\` says where a service cannot meet them.`,
    "",
    ...objectives(apps, platform),
    ...platform.intro,
    ...apps.flatMap((app) => {
      const stores = [
        ...Object.values(app.postgres).flatMap((p) => {
          const s = platform.postgres(app, p);
          return s ? postgresSection(app, p, s, platform.postgresService) : [];
        }),
        ...Object.values(app.redis).flatMap((r) => platform.redis(app, r) ?? []),
      ];
      return [
        `## ${app.environment.name}`,
        "",
        ...(stores.length ? stores : ["No data store of this environment runs on this platform.", ""]),
      ];
    }),
    "## After a restore",
    "",
    "- Write down the restore's start and the moment the app was healthy again (the RTO), and the newest commit restored against the incident's time (the RPO); compare them with the table above.",
    "- Keep the original server (after an in-place restore, the dump taken before it) until the restored data has served for a day: it is the way back.",
    "- A drill proves the same steps on a schedule (`recovery.drill`) without touching production; run one after any change to these steps.",
  ];
}

/** The cloud targets' disaster-recovery topic of their operations index. */
export const DR_TOPIC: RunbookTopic = {
  file: "disaster-recovery.md",
  what: "point-in-time and geo restores of each database, restoring the caches, pointing the app at the restored server and going back",
};

/** The line a README links the runbook with. */
export const DR_LINK = `[operations/${DR_TOPIC.file}](operations/${DR_TOPIC.file}): ${DR_TOPIC.what}`;
