// infrastructure/aws/operations/: the runbooks of this app on AWS, from the model, so that every
// command names a real cluster, service, task family, log group, secret, database, cache, topic and
// dashboard of the environment (the names modules/*/main.tf gives them: `<app>-<env>` prefixes).
// Commands and flags as the AWS CLI v2 reference gives them (ecs describe-services, update-service,
// list-task-definitions, wait services-stable, list-tasks, describe-tasks; logs tail; cloudwatch
// describe-alarms; secretsmanager put-secret-value; sns publish; rds describe-db-instances;
// elasticache describe-replication-groups; cloudfront create-invalidation).
import { awsDisasterRecovery } from "./runbook-dr.js";
import type { AlertModel, AppModel, ServiceModel } from "../../model/types.js";
import type { FileTree } from "../target.js";
import { INCIDENT_SEVERITIES, alertTable, sh } from "../runbook.js";
import {
  INCIDENT_RESPONSE,
  TROUBLESHOOTING,
  accessUrls,
  architectureLines,
  costTopic,
  operationsTree,
  type RunbookFile,
} from "../runbook-files.js";
import { DR_TOPIC } from "../runbook-dr.js";
import { tfName } from "../terraform/blocks.js";
import { awsDelivery } from "./readme-alerts.js";
import { stackName } from "./names.js";
import { awsOptions } from "./shape.js";
import { ALARM_METRICS } from "./tfvars.js";

/** What one environment has on AWS, by the names the stack gives it. */
interface Env {
  app: AppModel;
  name: string;
  region: string;
  services: ServiceModel[];
}

const envOf = (app: AppModel): Env => ({
  app,
  name: stackName(app),
  region: awsOptions(app).region,
  services: Object.values(app.services).filter(
    (s): s is ServiceModel => s.type === "http" || s.type === "worker",
  ),
});

/** What stands in on AWS for the rules no CloudWatch alarm watches (tfvars.ts's ALARM_METRICS). */
const NOT_ALARMED: Partial<Record<AlertModel["metric"], string>> = {
  crash_loop:
    "no alarm: ECS publishes no restart count; the deployment circuit breaker stops a release whose tasks keep failing, and the service events say so",
  availability:
    "no alarm of its own: the Route 53 health checks (monitoring.availability) alarm in us-east-1 and notify every channel",
};

const family = (e: Env, workload: string) => `${e.name}-${workload}`;
const logGroup = (e: Env, workload: string) => `/ecs/${e.name}/${workload}`;
const first = (e: Env) => e.services[0]?.name ?? "SERVICE";

function deployAndRollback(envs: Env[]): string[] {
  return [
    "# Deploy, promote and roll back",
    "",
    "The pipelines deploy: each release registers a new revision of every task family with the image `sha-<commit>`, runs the migrations as a one-off task, points the services at the new revisions and waits for them to be stable. The ECS deployment circuit breaker rolls back a release whose tasks fail their health checks on its own. An image is promoted by deploying the same `sha-<commit>` to the next environment (its deploy workflow). Infrastructure changes go through `tofu plan -var-file=environments/<env>.tfvars` (README.md).",
    "",
    ...envs.flatMap((e) => {
      const r = `--region ${e.region}`;
      const s = first(e);
      return [
        `## ${e.app.environment.name} (cluster \`${e.name}\`, ${e.region})`,
        "",
        "The running revision and the last five:",
        "",
        ...sh([
          `aws ecs describe-services --cluster ${e.name} --services ${s} ${r} --query 'services[0].taskDefinition' --output text`,
          `aws ecs list-task-definitions --family-prefix ${family(e, s)} --sort DESC --max-items 5 ${r}`,
        ]),
        "Roll back (also the emergency path when the pipeline is unavailable): point the service at the previous revision and wait until it is stable.",
        "",
        ...sh(
          e.services.flatMap((svc) => [
            `aws ecs update-service --cluster ${e.name} --service ${svc.name} --task-definition ${family(e, svc.name)}:<previous revision> ${r}`,
          ]),
        ),
        ...sh([
          `aws ecs wait services-stable --cluster ${e.name} --services ${e.services.map((x) => x.name).join(" ") || "SERVICE"} ${r}`,
        ]),
        "Restart the tasks without a new revision (after a secret changed, or to shed a bad state), and add capacity by hand while autoscaling catches up:",
        "",
        ...sh([
          `aws ecs update-service --cluster ${e.name} --service ${s} --force-new-deployment ${r}`,
          `aws ecs update-service --cluster ${e.name} --service ${s} --desired-count <tasks> ${r}`,
        ]),
        ...Object.values(e.app.services)
          .filter((x) => x.type === "static")
          .flatMap((site) => [
            `Site ${site.name}: after uploading an earlier build to the bucket \`tofu output -raw ${tfName(site.name)}_bucket\`, invalidate the cache:`,
            "",
            ...sh([
              `aws cloudfront create-invalidation --distribution-id "$(tofu output -raw ${tfName(site.name)}_distribution_id)" --paths '/*'`,
            ]),
          ]),
      ];
    }),
  ];
}

function monitoring(envs: Env[]): string[] {
  return [
    "# Monitoring",
    "",
    "Each environment has a CloudWatch dashboard (`tofu output -raw dashboard_url`): load balancer requests, 5xx and p95 latency, each service's CPU, memory and tasks against its min and max, the databases, caches and CloudFront distributions. Alarms notify the SNS topic of each of their rule's channels.",
    "",
    ...envs.flatMap((e) => [
      `## ${e.app.environment.name}`,
      "",
      `Dashboard: https://${e.region}.console.aws.amazon.com/cloudwatch/home?region=${e.region}#dashboards/dashboard/${e.name}`,
      "",
      ...alertTable(
        e.app,
        (c) => awsDelivery(e.app, c),
        (a) => (ALARM_METRICS.has(a.metric) ? undefined : NOT_ALARMED[a.metric]),
      ),
      "",
      "What is firing, and a test notification through a channel:",
      "",
      ...sh([
        `aws cloudwatch describe-alarms --alarm-name-prefix ${e.name}- --state-value ALARM --region ${e.region}`,
        ...Object.keys(e.app.monitoring.channels)
          .sort()
          .map(
            (c) =>
              `aws sns publish --topic-arn "$(aws sns list-topics --region ${e.region} --query "Topics[?ends_with(TopicArn, ':${e.name}-alerts-${c}')].TopicArn" --output text)" --subject 'Test from the runbook' --message 'Test notification' --region ${e.region}`,
          ),
      ]),
      `Logs of a service: \`aws logs tail ${logGroup(e, first(e))} --since 15m --follow --region ${e.region}\`.`,
      "",
    ]),
  ];
}

function secrets(envs: Env[]): string[] {
  return [
    "# Secrets",
    "",
    "Each secret of the spec is a Secrets Manager secret `<app>-<env>/<NAME>`, encrypted with the environment's KMS key; tasks read it when they start, so a rotation ends with a new deployment of every service that reads it. Type the new value into your shell (never into a file or the command line history).",
    "",
    ...envs.flatMap((e) => {
      const readers = (secret: string) =>
        Object.values(e.app.services).filter((s) => s.type !== "static" && s.secrets.includes(secret));
      const names = [
        ...new Set(Object.values(e.app.services).flatMap((s) => (s.type === "static" ? [] : s.secrets))),
      ].sort();
      return [
        `## ${e.app.environment.name}`,
        "",
        "| secret | read by | restart after rotation |",
        "| --- | --- | --- |",
        ...names.map(
          (n) =>
            `| \`${e.name}/${n}\` | ${
              readers(n)
                .map((s) => s.name)
                .join(", ") || "none"
            } | ${
              readers(n)
                .filter((s) => s.type !== "job")
                .map((s) => `\`${s.name}\``)
                .join(", ") || "none (jobs read it at their next run)"
            } |`,
        ),
        ...Object.keys(e.app.postgres).map(
          (p) =>
            `| \`${e.name}/postgres/${p}/connection\` | the services that use ${p} | generated: raise \`credentials_version\` (README.md), apply, then redeploy them |`,
        ),
        ...Object.keys(e.app.redis).map(
          (r) =>
            `| \`${e.name}/redis/${r}/connection\` | the services that use ${r} | generated: raise \`credentials_version\` (README.md), apply, then redeploy them |`,
        ),
        "",
        ...(names.length
          ? sh([
              "read -rs NEW_VALUE",
              `aws secretsmanager put-secret-value --secret-id ${e.name}/${names[0]} --secret-string "$NEW_VALUE" --region ${e.region}`,
              ...readers(names[0]!)
                .filter((s) => s.type !== "job")
                .map(
                  (s) =>
                    `aws ecs update-service --cluster ${e.name} --service ${s.name} --force-new-deployment --region ${e.region}`,
                ),
            ])
          : []),
      ];
    }),
  ];
}

function troubleshooting(envs: Env[]): string[] {
  return [
    "# Troubleshooting",
    "",
    ...envs.flatMap((e) => {
      const r = `--region ${e.region}`;
      const s = first(e);
      return [
        `## ${e.app.environment.name}`,
        "",
        ...sh([
          `aws ecs describe-services --cluster ${e.name} --services ${s} ${r} --query 'services[0].events[:10].[createdAt,message]' --output table`,
          `aws logs tail ${logGroup(e, s)} --since 30m ${r}`,
          `aws ecs list-tasks --cluster ${e.name} --service-name ${s} --desired-status STOPPED ${r}`,
          `aws ecs describe-tasks --cluster ${e.name} --tasks <task arn> ${r} --query 'tasks[].[stoppedReason,containers[].reason]'`,
          ...Object.keys(e.app.postgres).map(
            (p) =>
              `aws rds describe-db-instances --db-instance-identifier ${e.name}-${p} ${r} --query 'DBInstances[0].[DBInstanceStatus,MultiAZ,AllocatedStorage]'`,
          ),
          ...Object.keys(e.app.redis).map(
            (c) =>
              `aws elasticache describe-replication-groups --replication-group-id ${e.name}-${c} ${r} --query 'ReplicationGroups[0].[Status,NodeGroups[0].PrimaryEndpoint.Address]'`,
          ),
        ]),
        "| symptom | look at |",
        "| --- | --- |",
        "| tasks stop right after starting | `stoppedReason` of the stopped tasks; `ResourceInitializationError` means a secret or the image could not be read |",
        "| deployment rolled back by the circuit breaker | the service events, then the logs of the new revision's tasks |",
        "| 502/503 at the load balancer | the target group's health checks against the service's health path; the service events |",
        "| 5xx or slow responses | the dashboard's load balancer and service widgets, then the database and cache widgets |",
        "",
      ];
    }),
  ];
}

function incidentResponse(envs: Env[]): string[] {
  return [
    "# Incident response",
    "",
    ...INCIDENT_SEVERITIES,
    "",
    "1. Acknowledge in the channel the alarm came to.",
    "2. Roll back when the last deploy is a suspect (deploy-and-rollback.md): restoring service comes before finding the cause.",
    "3. Check the dashboard and the logs (monitoring.md), then troubleshooting.md for the environment.",
    "4. After: a short write-up with the timeline, the cause and the follow-ups.",
    "",
    "Access: the AWS console of each environment's account and region; the CLI with a role that may read ECS, CloudWatch and Secrets Manager. URLs:",
    "",
    ...accessUrls(envs.map((e) => e.app)),
    "",
  ];
}

/** The runbook topics of the AWS tree, in the index's order. */
function awsRunbookTopics(apps: readonly AppModel[]): RunbookFile[] {
  const envs = apps.map(envOf);
  return [
    {
      file: "architecture.md",
      what: "the services, data stores, topics and public routes of each environment",
      lines: architectureLines(
        apps,
        (app) => `${envOf(app).name}, ${envOf(app).region}, tier ${app.environment.tier}`,
      ),
    },
    {
      file: "deploy-and-rollback.md",
      what: "deploy, promote, roll back to an earlier task definition, and the emergency paths",
      lines: deployAndRollback(envs),
    },
    {
      file: "monitoring.md",
      what: "the CloudWatch dashboard, alarms and logs, and every alert with who it notifies",
      lines: monitoring(envs),
    },
    { file: "secrets.md", what: "every secret, who reads it, and how to rotate it", lines: secrets(envs) },
    { ...TROUBLESHOOTING, lines: troubleshooting(envs) },
    { ...INCIDENT_RESPONSE, lines: incidentResponse(envs) },
    { ...DR_TOPIC, lines: awsDisasterRecovery(apps) },
    costTopic(apps, "aws", "AWS"),
  ];
}

export function awsRunbooks(apps: readonly AppModel[]): FileTree {
  return operationsTree(
    `Operating ${apps[0]?.name ?? "the app"} on AWS`,
    "gantry synth aws",
    awsRunbookTopics(apps),
  );
}
