// Production's recovery drill on AWS (dr-drill.yml, ../github/drill.ts). RDS sits in private subnets
// no GitHub-hosted runner reaches, so the runner only drives: each instance of production restored to
// its latest restorable time (`aws rds restore-db-instance-to-point-in-time --use-latest-restorable-time`)
// into a temporary `<instance>-drill-<run>` in the same DB subnet group and parameter group (the one
// that keeps commit times) but the drill's own security group, given a fresh password (the drill never
// reads production's; the check task reads it from the drill's secret), then checked by a one-off
// Fargate task in the private subnets that runs the shared probe (modules/dr_drill, drill-module.ts)
// and whose log the runner reads back into the probe files. The temporary instances and the tasks are
// removed whatever happens. Commands and flags: the AWS CLI v2 reference (rds, ecs, logs,
// secretsmanager, ec2).
import { envName } from "../../model/queries.js";
import type { AppModel, PostgresModel } from "../../model/types.js";
import type { Pipeline } from "../github/pipeline.js";
import { drillTimeoutMinutes, PROBE_DIR } from "../github/drill.js";
import { appendTo } from "../github/steps.js";
import { run, type Step } from "../github/workflow.js";
import type { Drill } from "../platform.js";
import {
  DRILL_CONTAINER,
  DRILL_LOG_PREFIX,
  drillNames,
  MAX_SESSION_SECONDS,
  PROBE_MARK,
} from "./drill-module.js";
import { stackName } from "./names.js";
import { awsLogin } from "./pipeline.js";

/** RDS identifiers: at most 63 letters, digits and hyphens (RestoreDBInstanceToPointInTime reference). */
const RDS_ID_LENGTH = 63;
/** Room for `-drill-` and a run id (eleven digits today). */
const DRILL_SUFFIX_ROOM = "-drill-".length + 12;

const PASSWORD_FILE = "$RUNNER_TEMP/dr-drill-password";

/** The temporary instance of a source: its name cut to leave room for the run id, never ending in a hyphen. */
export function drillInstance(source: string): string {
  const prefix = source.slice(0, RDS_ID_LENGTH - DRILL_SUFFIX_ROOM).replace(/-+$/, "");
  return `${prefix}-drill-\${{ github.run_id }}`;
}

/** The source instance of a store and its temporary one. */
function instanceOf(stack: string, store: PostgresModel): { SOURCE: string; DRILL: string } {
  const source = `${stack}-${store.name}`;
  return { SOURCE: source, DRILL: drillInstance(source) };
}

/** The URL variable of each database becomes its task's `VARIABLE=database` list and its probe file. */
const databases = (urls: readonly { database: string; variable: string }[]) =>
  urls.map((u) => `${u.variable}=${u.database}`).join(" ");

/** The variable holding the ARN of the check task of a store (for the teardown to stop it). */
const taskVariable = (store: PostgresModel) => `DRILL_TASK_${envName(store.name)}`;

/** Runs the check task on a store's temporary instance, then turns its log into the probe files. */
function checkStep(
  stack: string,
  store: PostgresModel,
  urls: readonly { database: string; variable: string }[],
): Step {
  const names = drillNames(stack);
  return run(
    `Check ${store.name} from inside the VPC`,
    [
      "host=$(aws rds describe-db-instances --db-instance-identifier \"$DRILL\" --query 'DBInstances[0].Endpoint.Address' --output text)",
      `overrides=$(jq -cn --arg host "$host" --arg databases "$DATABASES" '{containerOverrides: [{name: "${DRILL_CONTAINER}", environment: [{name: "PGHOST", value: $host}, {name: "DRILL_DATABASES", value: $databases}]}]}')`,
      'task=$(aws ecs run-task --cluster "$CLUSTER" --task-definition "$FAMILY" --launch-type FARGATE --started-by dr-drill \\',
      '  --network-configuration "awsvpcConfiguration={subnets=[$DRILL_SUBNETS],securityGroups=[$DRILL_TASK_GROUP],assignPublicIp=DISABLED}" \\',
      "  --overrides \"$overrides\" --query 'tasks[0].taskArn' --output text)",
      'if [ -z "$task" ] || [ "$task" = None ]; then echo "::error::the check task did not start"; exit 1; fi',
      `echo "${taskVariable(store)}=$task" >> "$GITHUB_ENV"`,
      // The waiter gives up after ten minutes; pg_amcheck of a large database takes longer.
      'until [ "$(aws ecs describe-tasks --cluster "$CLUSTER" --tasks "$task" --query \'tasks[0].lastStatus\' --output text)" = STOPPED ]; do sleep 15; done',
      `aws ecs describe-tasks --cluster "$CLUSTER" --tasks "$task" --query 'tasks[0].[stoppedReason, containers[0].exitCode]' --output text`,
      `stream="${DRILL_LOG_PREFIX}/${DRILL_CONTAINER}/\${task##*/}"`,
      'log="$RUNNER_TEMP/dr-drill-${task##*/}.log"',
      // The log driver flushes as the container stops; CloudWatch may show the last lines a little later.
      "for _ in 1 2 3 4 5 6; do",
      '  aws logs filter-log-events --log-group-name "$LOG_GROUP" --log-stream-names "$stream" --query \'events[].message\' --output json | jq -r \'.[]\' > "$log"',
      `  if grep -q "^${PROBE_MARK}"$'\\t' "$log"; then break; fi`,
      "  sleep 10",
      "done",
      'cat "$log"',
      'mkdir -p "$PROBE_DIR"',
      `awk -F '\\t' -v dir="$PROBE_DIR" '$1 == "${PROBE_MARK}" { line = $0; sub(/^[^\\t]*\\t[^\\t]*\\t/, "", line); print line > (dir "/" $2) }' "$log"`,
    ],
    {
      env: {
        ...instanceOf(stack, store),
        CLUSTER: stack,
        FAMILY: names.family,
        LOG_GROUP: names.logGroup,
        DATABASES: databases(urls),
        PROBE_DIR,
      },
    },
  );
}

export function awsDrill(p: Pipeline, prod: AppModel): Drill {
  const stack = stackName(prod);
  const names = drillNames(stack);
  const instance = (store: PostgresModel) => instanceOf(stack, store);
  const login = awsLogin(p, prod, "AWS_DRILL_ROLE_ARN");
  return {
    prepare: [
      // The session outlasts the job, whose teardown must still be allowed to delete.
      {
        ...login,
        with: {
          ...login.with,
          "role-duration-seconds": String(Math.min(MAX_SESSION_SECONDS, drillTimeoutMinutes(prod) * 60)),
        },
      },
      run(
        "Find the drill's network and set its password",
        [
          ...appendTo("GITHUB_ENV", [
            `echo "DRILL_SUBNETS=$(aws ec2 describe-subnets --filters "Name=tag:Name,Values=${stack}-private-*" --query 'Subnets[].SubnetId' --output text | tr -s '[:space:]' ',' | sed 's/,$//')"`,
            ...(
              [
                ["DRILL_TASK_GROUP", names.taskGroup],
                ["DRILL_DATABASE_GROUP", names.databaseGroup],
              ] as const
            ).map(
              ([variable, group]) =>
                `echo "${variable}=$(aws ec2 describe-security-groups --filters Name=group-name,Values=${group} --query 'SecurityGroups[0].GroupId' --output text)"`,
            ),
          ]),
          // One password for every temporary instance of this run, kept in a file only this job reads.
          `(umask 077; openssl rand -hex 24 > "${PASSWORD_FILE}")`,
          `echo "::add-mask::$(cat "${PASSWORD_FILE}")"`,
          `aws secretsmanager put-secret-value --secret-id "$PASSWORD_SECRET" --secret-string "$(cat "${PASSWORD_FILE}")" --output none`,
        ],
        { env: { PASSWORD_SECRET: names.secret } },
      ),
    ],
    scope: `temporary instances in the VPC of ${stack}`,
    detail: `RDS is not reachable from the runner: each instance is restored to its latest restorable time (up to 5 minutes behind) behind the drill's own security group, and a Fargate task of \`${names.family}\` in the private subnets runs the checks and returns them through its log group \`${names.logGroup}\`. It assumes \`AWS_DRILL_ROLE_ARN\`, the output \`dr_drill_role_arn\` of ${prod.environment.name}'s stack (\`dr_drill = true\` in its tfvars), trusted by the default branch only and allowed only the drill's calls.`,
    restore: (store) => [
      run(
        `Restore ${store.name} to its latest restorable time`,
        [
          `parameters=$(aws rds describe-db-instances --db-instance-identifier "$SOURCE" --query 'DBInstances[0].DBParameterGroups[0].DBParameterGroupName' --output text)`,
          'aws rds restore-db-instance-to-point-in-time --source-db-instance-identifier "$SOURCE" --target-db-instance-identifier "$DRILL" \\',
          '  --use-latest-restorable-time --db-subnet-group-name "$SOURCE" --vpc-security-group-ids "$DRILL_DATABASE_GROUP" \\',
          '  --db-parameter-group-name "$parameters" --no-multi-az --no-publicly-accessible --no-deletion-protection \\',
          '  --tags Key=gantry-dr-drill,Value="$GITHUB_RUN_ID" --output none',
          // Polled rather than `aws rds wait`, which gives up after 30 minutes: large restores take longer.
          'while status=$(aws rds describe-db-instances --db-instance-identifier "$DRILL" --query \'DBInstances[0].DBInstanceStatus\' --output text) && [ "$status" != available ]; do',
          '  case "$status" in failed | incompatible-* | storage-full) echo "::error::$DRILL is $status"; exit 1 ;; esac',
          "  sleep 30",
          "done",
          // RDS keeps the source's user and password; the drill sets its own, applied asynchronously
          // (ModifyDBInstance: MasterUserPassword stays in PendingModifiedValues until it is).
          `aws rds modify-db-instance --db-instance-identifier "$DRILL" --master-user-password "$(cat "${PASSWORD_FILE}")" --apply-immediately --output none`,
          'until aws rds describe-db-instances --db-instance-identifier "$DRILL" --output json \\',
          "  | jq -e '.DBInstances[0] | .DBInstanceStatus == \"available\" and .PendingModifiedValues.MasterUserPassword == null' > /dev/null; do",
          "  sleep 15",
          "done",
        ],
        { env: instance(store) },
      ),
    ],
    check: (stores) => stores.map(({ store, urls }) => checkStep(stack, store, urls)),
    teardown: (store) => [
      run(
        `Stop the check task and delete the restored ${store.name}`,
        [
          `if [ -n "\${${taskVariable(store)}:-}" ]; then`,
          `  aws ecs stop-task --cluster "$CLUSTER" --task "$${taskVariable(store)}" --reason "dr-drill teardown" --output none || true`,
          "fi",
          'if aws rds describe-db-instances --db-instance-identifier "$DRILL" --output none 2> /dev/null; then',
          // An instance still being created cannot be deleted yet.
          '  aws rds wait db-instance-available --db-instance-identifier "$DRILL" || true',
          '  aws rds delete-db-instance --db-instance-identifier "$DRILL" --skip-final-snapshot --delete-automated-backups --output none',
          "fi",
          `rm -f "${PASSWORD_FILE}"`,
        ],
        { env: { ...instance(store), CLUSTER: stack } },
      ),
    ],
    settings: { variables: ["AWS_DRILL_ROLE_ARN"], secrets: [] },
  };
}
