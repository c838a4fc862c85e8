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

/** The drill job's time limit: twice the RTO objective, at least an hour. */
export const drillTimeoutMinutes = (prod: AppModel): number =>
  Math.max(60, Math.ceil((2 * prod.recovery.rto_seconds) / 60));

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

/** One file per restored database (named after its URL variable) of `<kind>\t<value>` lines the probe writes. */
export const PROBE_DIR = "${{ runner.temp }}/dr-drill-probe";

/**
 * The checks of one restored database as a bash function, `probe NAME CONNECTION` (a URL or a libpq
 * conninfo), reporting through `put KIND`, which reads values one a line: `counted yes|no`, `table
 * <schema.table>|<rows>`, `amcheck ok|corrupt|unavailable`, `newest <time>`. It needs psql, pg_amcheck
 * and the queries in $COUNTS and $NEWEST. On the runner `put` appends to the database's file under
 * $PROBE_DIR; a platform whose servers the runner cannot reach runs the same function where they are
 * and prints the lines (AWS: a task inside the VPC, ../aws/drill-module.ts).
 */
export const PROBE_FUNCTION: readonly string[] = [
  "probe() {",
  // First, before CREATE EXTENSION commits a transaction of its own that would read as the newest.
  '  psql "$2" --no-psqlrc -Atc "$NEWEST" | put newest || true',
  '  if counts=$(psql "$2" --no-psqlrc -v ON_ERROR_STOP=1 -Atc "$COUNTS"); then',
  "    echo yes | put counted",
  '    if [ -n "$counts" ]; then printf \'%s\\n\' "$counts" | put table; fi',
  "  else",
  '    echo "cannot count the tables of $1" >&2; echo no | put counted',
  "  fi",
  '  if psql "$2" --no-psqlrc -qc "CREATE EXTENSION IF NOT EXISTS amcheck" 2> /dev/null; then',
  '    if pg_amcheck --heapallindexed "$2"; then echo ok | put amcheck; else echo corrupt | put amcheck; fi',
  "  else",
  "    echo unavailable | put amcheck",
  "  fi",
  "}",
];

/** The queries the probe reads, as its environment. */
export const PROBE_QUERIES = { COUNTS: ROW_COUNTS_SQL, NEWEST: NEWEST_RESTORED_SQL } as const;

/** A restored database: its URL variable (the name of its probe file) and the name the report gives it. */
interface Probed {
  store: string;
  database: string;
  variable: string;
}

const label = ({ store, database }: Probed) => `${store}/${database}`;

/** The checks run from the runner over the URLs the restores exported. */
function probeStep(urls: readonly Probed[]): Step {
  return run(
    "Check the restored data",
    [
      'mkdir -p "$PROBE_DIR"',
      'put() { sed "s/^/$1\\t/" >> "$PROBE_DIR/$file"; }',
      ...PROBE_FUNCTION,
      ...urls.map((u) => `file=${u.variable}; probe "${label(u)}" "$${u.variable}"`),
    ],
    { env: { PROBE_DIR, ...PROBE_QUERIES } },
  );
}

/** The measures over every restored database's probe file, ending in the report. */
function reportStep(prod: AppModel, urls: readonly Probed[]): Step {
  return run(
    "Measure RTO and RPO and write the report",
    [
      'mkdir -p "$REPORT_DIR"',
      "verified=true; newest=''; tables='[]'",
      'field() { awk -F \'\\t\' -v kind="$1" \'$1 == kind { sub(/^[^\\t]*\\t/, ""); print }\' "$PROBE_DIR/$file" 2> /dev/null || true; }',
      ...urls.flatMap((u) => [
        `file=${u.variable}`,
        'if [ "$(field counted)" = yes ]; then',
        `  tables=$(jq -c --arg db "${label(u)}" --arg counts "$(field table)" '. + [$counts | split("\\n")[] | select(length > 0) | split("|") | {database: $db, table: .[0], rows: (.[1] | tonumber)}]' <<< "$tables")`,
        "else",
        `  echo "::error::cannot count the tables of ${label(u)}"; verified=false`,
        "fi",
        'case "$(field amcheck)" in',
        "  ok) ;;",
        `  unavailable) echo "::notice::${label(u)}: the service does not allow the amcheck extension; row counts only" ;;`,
        `  corrupt) echo "::error::pg_amcheck found corruption in ${label(u)}"; verified=false ;;`,
        `  *) echo "::error::${label(u)} was not checked"; verified=false ;;`,
        "esac",
        "point=$(field newest | head -n 1)",
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
        PROBE_DIR,
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
  const probed = stores.flatMap(({ store, urls }) => urls.map((u) => ({ store: store.name, ...u })));
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
    ...(drill.check ? drill.check(stores) : [probeStep(probed)]),
    reportStep(prod, probed),
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
        "timeout-minutes": drillTimeoutMinutes(prod),
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
