// dr-drill.yml: production's recovery drill, on the spec's schedule (`recovery.drill` of production)
// and by hand. The platform restores each managed PostgreSQL of production into a temporary server in
// a non-production scope; the shared steps here check what was restored (every table's exact row
// count, `pg_amcheck` where the service allows the extension), measure the RTO (restore start to
// checks passed) and the RPO (the drill's start to the newest transaction restored), write a job
// summary and a JSON report (uploaded as an artifact), always remove the temporary servers, fail when
// a measure is over the spec's objective, and notify the channels like a deploy.
import type { AppModel, PostgresModel } from "../../model/types.js";
import { cronText } from "../../model/schedule.js";
import type { Drill } from "../platform.js";
import { ROW_COUNTS_SQL } from "../runbook-dr.js";
import { notifyJob } from "./notify.js";
import type { Pipeline } from "./pipeline.js";
import { RUNNER, appendTo, compact, jobPermissions } from "./steps.js";
import { action, run, type Step, type Workflow } from "./workflow.js";

export const DRILL_FILE = "dr-drill.yml";
const REPORT_DIR = "${{ runner.temp }}/dr-drill";

/**
 * The newest transaction a restored server holds: the last one its recovery replayed (PostgreSQL
 * keeps it after recovery ends, until a restart), else the newest commit where
 * `track_commit_timestamp` is on; empty when the server can tell neither.
 */
export const NEWEST_RESTORED_SQL =
  "SELECT to_char(coalesce(pg_last_xact_replay_timestamp(), (SELECT timestamp FROM pg_last_committed_xact())) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

/** The production environment the drill restores: the first of tier production, if any. */
export function drilledEnvironment(p: Pipeline): AppModel | undefined {
  return p.envs.find((e) => e.environment.tier === "production");
}

/** The managed servers a drill restores, and the variable of each database's URL. */
function targets(prod: AppModel): { store: PostgresModel; urls: { database: string; variable: string }[] }[] {
  let n = 0;
  return Object.values(prod.postgres)
    .filter((p) => p.hosting === "managed")
    .map((store) => ({
      store,
      urls: (store.databases.length ? store.databases : [prod.name]).map((database) => ({
        database,
        variable: `DRILL_URL_${n++}`,
      })),
    }));
}

/** The shared checks and measures over every restored database, ending in the report. */
function checkStep(prod: AppModel, urls: { store: string; database: string; variable: string }[]): Step {
  return run(
    "Check the restored data and measure RTO and RPO",
    [
      'mkdir -p "$REPORT_DIR"',
      "verified=true; newest=''; tables='[]'",
      ...urls.flatMap(({ store, database, variable }) => [
        `url="$${variable}"`,
        `if counts=$(psql "$url" --no-psqlrc -v ON_ERROR_STOP=1 -Atc "$COUNTS"); then`,
        `  tables=$(jq -c --arg db "${store}/${database}" --arg counts "$counts" '. + [$counts | split("\\n")[] | select(length > 0) | split("|") | {database: $db, table: .[0], rows: (.[1] | tonumber)}]' <<< "$tables")`,
        "else",
        `  echo "::error::cannot count the tables of ${store}/${database}"; verified=false`,
        "fi",
        'if psql "$url" --no-psqlrc -qc "CREATE EXTENSION IF NOT EXISTS amcheck" 2> /dev/null; then',
        `  pg_amcheck --heapallindexed "$url" || { echo "::error::pg_amcheck found corruption in ${store}/${database}"; verified=false; }`,
        "else",
        `  echo "::notice::${store}/${database}: the service does not allow the amcheck extension; row counts only"`,
        "fi",
        'point=$(psql "$url" --no-psqlrc -Atc "$NEWEST" || true)',
        'if [ -n "$point" ] && { [ -z "$newest" ] || [[ "$point" > "$newest" ]]; }; then newest="$point"; fi',
      ]),
      "rto=$(( $(date -u +%s) - START_EPOCH ))",
      'if [ -n "$newest" ]; then rpo=$(( $(date -u -d "$STARTED_AT" +%s) - $(date -u -d "$newest" +%s) )); [ "$rpo" -lt 0 ] && rpo=0; else rpo=null; fi',
      'jq -n --argjson rto "$rto" --argjson rpo "$rpo" --argjson verified "$verified" --argjson tables "$tables" \\',
      '  --arg started_at "$STARTED_AT" --arg newest "$newest" --argjson rto_target "$RTO_TARGET" --argjson rpo_target "$RPO_TARGET" \\',
      "  '{started_at: $started_at, rto_seconds: $rto, rpo_seconds: $rpo, rto_target_seconds: $rto_target, rpo_target_seconds: $rpo_target, newest_restored: $newest, verified: $verified, tables: $tables}' > \"$REPORT_DIR/report.json\"",
      "{",
      `  echo "## Recovery drill of ${prod.environment.name}"`,
      '  echo ""',
      '  echo "| measure | result | objective |"',
      '  echo "| --- | --- | --- |"',
      '  echo "| RTO (restore start to checks passed) | ${rto} s | ${RTO_TARGET} s |"',
      '  echo "| RPO (drill start to newest transaction restored) | ${rpo} s | ${RPO_TARGET} s |"',
      '  echo "| data verified | ${verified} | true |"',
      '  echo ""',
      '  echo "| database | table | rows |"',
      '  echo "| --- | --- | --- |"',
      '  jq -r \'.[] | "| \\(.database) | \\(.table) | \\(.rows) |"\' <<< "$tables"',
      '} >> "$GITHUB_STEP_SUMMARY"',
      "status=0",
      'if [ "$verified" != true ]; then echo "::error::the restored data did not pass the checks"; status=1; fi',
      'if [ "$rto" -gt "$RTO_TARGET" ]; then echo "::error::RTO ${rto} s is over the objective of ${RTO_TARGET} s"; status=1; fi',
      'if [ "$rpo" = null ]; then echo "::error::the restored servers tell no newest transaction: set track_commit_timestamp on to measure the RPO"; status=1',
      'elif [ "$rpo" -gt "$RPO_TARGET" ]; then echo "::error::RPO ${rpo} s is over the objective of ${RPO_TARGET} s (a database without writes before the drill reads as a larger RPO)"; status=1; fi',
      'exit "$status"',
    ],
    {
      env: {
        REPORT_DIR,
        COUNTS: ROW_COUNTS_SQL,
        NEWEST: NEWEST_RESTORED_SQL,
        RTO_TARGET: String(prod.recovery.rto_seconds),
        RPO_TARGET: String(prod.recovery.rpo_seconds),
      },
    },
  );
}

/** The recovery drill of the workflows: production, its platform's drill and the servers it restores. */
export interface RecoveryDrill {
  prod: AppModel;
  drill: Drill;
  stores: ReturnType<typeof targets>;
}

/** Undefined where there is no production, no managed PostgreSQL or no platform drill. */
export function recoveryDrill(p: Pipeline): RecoveryDrill | undefined {
  const prod = drilledEnvironment(p);
  const drill: Drill | undefined = prod && p.platform.drill?.(p, prod);
  const stores = prod ? targets(prod) : [];
  return prod && drill && stores.length ? { prod, drill, stores } : undefined;
}

/** dr-drill.yml of the recovery drill. */
export function drillWorkflow(p: Pipeline, { prod, drill, stores }: RecoveryDrill): Workflow {
  const steps = compact([
    ...drill.prepare,
    run(
      "Start the clock",
      appendTo("GITHUB_ENV", [
        'echo "STARTED_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)"',
        'echo "START_EPOCH=$(date -u +%s)"',
      ]),
    ),
    ...stores.flatMap(({ store, urls }) => drill.restore(store, urls)),
    checkStep(
      prod,
      stores.flatMap(({ store, urls }) => urls.map((u) => ({ store: store.name, ...u }))),
    ),
    action(
      "Upload the report",
      "actions/upload-artifact",
      { name: "dr-drill-report", path: REPORT_DIR, "retention-days": 90, "if-no-files-found": "warn" },
      { if: "always()" },
    ),
    ...stores.flatMap(({ store }) => drill.teardown(store).map((s) => ({ ...s, if: "always()" }))),
  ]);
  const schedule = prod.recovery.drill;
  return {
    name: "Recovery drill",
    on: {
      ...(schedule ? { schedule: [{ cron: cronText(schedule).join(" ") }] } : {}),
      workflow_dispatch: {},
    },
    permissions: { contents: "read" },
    concurrency: { group: "dr-drill", "cancel-in-progress": false },
    jobs: {
      drill: {
        name: `Restore ${prod.environment.name} into ${drill.scope} and check it`,
        "runs-on": RUNNER,
        permissions: jobPermissions(steps),
        "timeout-minutes": Math.max(60, Math.ceil((2 * prod.recovery.rto_seconds) / 60)),
        steps,
      },
      notify: notifyJob(
        p,
        `${p.app} recovery drill of ${prod.environment.name}`,
        ["drill"],
        "${{ needs.drill.result }}",
        "always()",
      ),
    },
  };
}
