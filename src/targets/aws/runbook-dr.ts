// operations/disaster-recovery.md on AWS: point-in-time restores of each RDS instance into a new one
// in the same subnets and security group (`aws rds restore-db-instance-to-point-in-time`,
// docs.aws.amazon.com/cli/latest/reference/rds/restore-db-instance-to-point-in-time.html), restores
// from the automated backups replicated to the backup region, ElastiCache snapshots
// (`aws elasticache create-replication-group --snapshot-name`), and moving the app by the connection
// secret the tasks read when they start; production's drill by dr-drill.yml (pipeline-drill.ts).
import { isService } from "../../model/queries.js";
import type { AppModel, PostgresModel, RedisModel } from "../../model/types.js";
import { disasterRecoveryRunbook, type DrPlatform, type PostgresSteps } from "../runbook-dr.js";
import { sh } from "../runbook.js";
import { drilledIn, drillNames } from "./drill-module.js";
import { RDS } from "./recovery.js";
import { stackName } from "./names.js";
import { awsOptions } from "./shape.js";
import { AWS_SIZES } from "./sizes.js";
import { backupRegion, rdsBackupDays } from "./tfvars.js";

/** The ECS services (not the scheduled tasks) of the environment, which read the secrets at start. */
const redeploy = (app: AppModel) =>
  Object.values(app.services)
    .filter(isService)
    .map(
      (s) =>
        `aws ecs update-service --cluster ${stackName(app)} --service ${s.name} --force-new-deployment --output none`,
    );

/** Rewrites the host of a connection secret (JSON: url, host, ...) from $OLD_HOST to $NEW_HOST. */
const rewriteSecret = (secret: string) => [
  `aws secretsmanager get-secret-value --secret-id ${secret} --query SecretString --output text | sed "s/$OLD_HOST/$NEW_HOST/g" > connection.json`,
  `aws secretsmanager put-secret-value --secret-id ${secret} --secret-string file://connection.json --output none && rm connection.json`,
];

function postgres(app: AppModel, p: PostgresModel): PostgresSteps {
  const id = `${stackName(app)}-${p.name}`;
  const secret = `${stackName(app)}/postgres/${p.name}/connection`;
  const region = awsOptions(app).region;
  const describe = (instance: string, query: string) =>
    `$(aws rds describe-db-instances --db-instance-identifier ${instance} --query '${query}' --output text)`;
  const address = (instance: string) => describe(instance, "DBInstances[0].Endpoint.Address");
  const moveApp = (from: string, to: string) => [
    `OLD_HOST=${address(from)}`,
    `NEW_HOST=${address(to)}`,
    ...rewriteSecret(secret),
    ...redeploy(app),
  ];
  return {
    restore: [
      `aws rds restore-db-instance-to-point-in-time --source-db-instance-identifier ${id} --target-db-instance-identifier ${id}-restored \\`,
      `  --restore-time "$RESTORE_TIME" --db-subnet-group-name ${id} \\`,
      `  --vpc-security-group-ids ${describe(id, "DBInstances[0].VpcSecurityGroups[].VpcSecurityGroupId")} \\`,
      `  --db-parameter-group-name ${describe(id, "DBInstances[0].DBParameterGroups[0].DBParameterGroupName")}`,
      `aws rds wait db-instance-available --db-instance-identifier ${id}-restored`,
    ],
    urls: [
      "# The instances are in private subnets: run the checks from a host in the VPC (an ECS task, a bastion, a Session Manager port forward).",
      `SOURCE_URL=$(aws secretsmanager get-secret-value --secret-id ${secret} --query SecretString --output text | jq -r .url)`,
      `RESTORED_URL="\${SOURCE_URL/${address(id)}/${address(`${id}-restored`)}}"`,
    ],
    repoint: [
      `The tasks read the database from the secret \`${secret}\` when they start; the restored instance has the same user and password. Rewrite its host and start new tasks:`,
      "",
      ...sh(moveApp(id, `${id}-restored`)),
    ],
    goBack: [
      "`tofu apply` keeps managing the original instance and does not rewrite the secret (it is written once per `credentials_version`), so the app stays on the restored instance until you move it back. To keep the restored data under the generated names, stop the writers, copy it into the original instance, point the app back and delete the restored one (its automated backups go with it; take a snapshot first if you want one):",
      "",
      ...sh([
        'pg_dump --format=custom "$RESTORED_URL" > restored.dump',
        'pg_restore --clean --if-exists --no-owner --dbname "$SOURCE_URL" restored.dump',
        ...moveApp(`${id}-restored`, id),
        `aws rds delete-db-instance --db-instance-identifier ${id}-restored --skip-final-snapshot`,
      ]),
    ],
    ...(p.backups.enabled && p.backups.geo_redundant
      ? {
          geo: [
            `The automated backups of \`${id}\` are replicated to ${backupRegion(region)}: restore from them there. That region has no network of this stack: create a DB subnet group and a security group in a VPC there first (or apply this stack there with \`region = "${backupRegion(region)}"\`), then:`,
            "",
            ...sh([
              `ARN=$(aws rds describe-db-instance-automated-backups --region ${backupRegion(region)} --db-instance-identifier ${id} --query 'DBInstanceAutomatedBackups[0].DBInstanceAutomatedBackupsArn' --output text)`,
              `aws rds restore-db-instance-to-point-in-time --region ${backupRegion(region)} --source-db-instance-automated-backups-arn "$ARN" \\`,
              `  --target-db-instance-identifier ${id}-geo --use-latest-restorable-time \\`,
              "  --db-subnet-group-name <subnet group in that region> --vpc-security-group-ids <security group in that region>",
            ]),
          ],
        }
      : {}),
  };
}

function redis(app: AppModel, r: RedisModel): string[] {
  const id = `${stackName(app)}-${r.name}`;
  const head = `### Redis \`${r.name}\` (ElastiCache replication group \`${id}\`)`;
  if (r.persistence === "none")
    return [
      head,
      "",
      "No snapshots (`persistence: none`): after a loss the cache starts empty and the app fills it again from the database. Nothing to restore.",
      "",
    ];
  const secret = `${stackName(app)}/redis/${r.name}/connection`;
  const group = `$(aws elasticache describe-replication-groups --replication-group-id ${id}`;
  return [
    head,
    "",
    "ElastiCache takes a snapshot a day and keeps them for the snapshot retention. A snapshot restores into a new replication group in the same subnets, with the same AUTH token:",
    "",
    ...sh([
      `SNAPSHOT=$(aws elasticache describe-snapshots --replication-group-id ${id} --query 'sort_by(Snapshots, &NodeSnapshots[0].SnapshotCreateTime)[-1].SnapshotName' --output text)`,
      `aws elasticache create-replication-group --replication-group-id ${id}-restored --replication-group-description "${id} from $SNAPSHOT" \\`,
      `  --snapshot-name "$SNAPSHOT" --engine redis --cache-node-type ${AWS_SIZES[r.size].redis} --cache-subnet-group-name ${id} \\`,
      `  --security-group-ids $(aws elasticache describe-cache-clusters --cache-cluster-id ${id}-001 --query 'CacheClusters[0].SecurityGroups[].SecurityGroupId' --output text) \\`,
      `  --transit-encryption-enabled --at-rest-encryption-enabled \\`,
      `  --auth-token "$(aws secretsmanager get-secret-value --secret-id ${stackName(app)}/redis/${r.name}/auth-token --query SecretString --output text)"`,
      `aws elasticache wait replication-group-available --replication-group-id ${id}-restored`,
      `OLD_HOST=${group} --query 'ReplicationGroups[0].NodeGroups[0].PrimaryEndpoint.Address' --output text)`,
      `NEW_HOST=${group}-restored --query 'ReplicationGroups[0].NodeGroups[0].PrimaryEndpoint.Address' --output text)`,
      ...rewriteSecret(secret),
      ...redeploy(app),
    ]),
    `To go back, run the last five commands with the groups swapped, then \`aws elasticache delete-replication-group --replication-group-id ${id}-restored\`.`,
    "",
  ];
}

/** How production is drilled: by dr-drill.yml where the stack has its module, else by hand. */
function drillParagraph(drilled: AppModel | undefined): string {
  const byHand =
    "run the restore below for production with `-drill` in place of `-restored`, the checks from a host in the VPC (an ECS task or a bastion), note the RTO and RPO, then delete the instance";
  if (!drilled)
    return `There is no \`dr-drill.yml\` for this app: the workflow needs \`ci.repository\`, a production environment with PostgreSQL and a service or job (its checks run as a task on the cluster). Drill by hand on \`recovery.drill\`'s schedule: ${byHand}.`;
  const names = drillNames(stackName(drilled));
  return `\`dr-drill.yml\` drills ${drilled.environment.name} on \`recovery.drill\`'s schedule and by hand. The instances are in private subnets a GitHub-hosted runner cannot reach, so the runner restores each one to its latest restorable time into a temporary \`<instance>-drill-<run>\` in the same subnet group and parameter group but behind the drill's own security group, and the checks below run in a Fargate task of \`${names.family}\` in the private subnets (its log group \`${names.logGroup}\`); the job summary and its \`dr-drill-report\` artifact hold the RTO and RPO, and the temporary instance is deleted whatever happens. The workflow sets the temporary instance's password itself and never reads production's. To drill by hand instead: ${byHand}.`;
}

const awsDr = (drilled: AppModel | undefined): DrPlatform => ({
  postgresService: RDS,
  intro: [
    "RDS keeps a daily snapshot and the transaction log, uploaded every 5 minutes, for the retention above. A point-in-time restore creates a new instance from them, with the same user and password; the commands put it in the original's subnets, security group and parameter group (RDS would otherwise use the defaults). The parameter group keeps commit times (`track_commit_timestamp`), so a restored instance tells its newest transaction.",
    "",
    drillParagraph(drilled),
    "",
  ],
  retention: (app, p) =>
    `${rdsBackupDays(p)} days${p.backups.enabled && p.backups.geo_redundant ? `, copied to ${backupRegion(awsOptions(app).region)}` : ""}`,
  noRetention: "none",
  postgres,
  redis,
});

/** operations/disaster-recovery.md's lines. */
export const awsDisasterRecovery = (apps: readonly AppModel[]): string[] =>
  disasterRecoveryRunbook(apps, awsDr(drilledIn(apps)));
