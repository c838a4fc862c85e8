// operations/disaster-recovery.md of the chart: an in-cluster PostgreSQL (hosting: cluster) is restored
// over itself from one of its scheduled dumps by a Job made from the suspended restore CronJob
// (`kubectl create job --from=cronjob/...`), with the writers stopped and a fresh dump taken first as
// the way back. A managed database is restored where it runs (the cloud target's runbook).
import type { AppModel, PostgresModel, RedisModel } from "../../model/types.js";
import { disasterRecoveryRunbook, type DrPlatform, type PostgresSteps } from "../runbook-dr.js";
import { sh } from "../runbook.js";
import { pgServiceName, redisServiceName } from "./values-datastores.js";
import type { ChartValues } from "./values.js";

function kubernetesDr(values: (app: AppModel) => ChartValues): DrPlatform {
  const deployments = (app: AppModel) =>
    Object.entries(values(app).services)
      .filter(([, s]) => s.enabled && s.type !== "job")
      .map(([name, s]) => ({ name, replicas: s.replicas }));

  function postgres(app: AppModel, p: PostgresModel): PostgresSteps | undefined {
    const d = values(app).datastores[pgServiceName(p.name)];
    if (p.hosting !== "cluster" || !d?.backup) return undefined;
    const ns = app.environment.namespace;
    const name = pgServiceName(p.name);
    const db = d.backup.databases[0]!;
    const password = `$(kubectl -n ${ns} get secret ${values(app).global.secretName} -o jsonpath='{.data.${d.passwordKey}}' | base64 -d)`;
    const scale = (to: "zero" | "back") =>
      deployments(app).map(
        (w) => `kubectl -n ${ns} scale deployment/${w.name} --replicas=${to === "zero" ? 0 : w.replicas}`,
      );
    return {
      inPlace: `The CronJob \`${name}-backup\` dumps ${d.backup.databases.map((x) => `\`${x}\``).join(", ")} (\`${d.backup.schedule}\`, UTC) to the volume \`${name}-backups\` and keeps ${d.backup.keepDays} days. A restore replaces the databases with one dump, named by the time in its name (\`BACKUP_STAMP\`, listed by the backup Jobs' logs): stop the writers, dump the current state first (the way back), then run the suspended CronJob \`${name}-restore\` as a Job with that stamp:`,
      restore: [
        `kubectl -n ${ns} logs -l app.kubernetes.io/name=${name}-backup --tail=-1 --prefix   # the dumps of the last runs`,
        "BACKUP_STAMP=20300131T090000Z   # the newest dump before the incident",
        ...scale("zero"),
        `kubectl -n ${ns} create job --from=cronjob/${name}-backup ${name}-before-restore   # the current state, the way back`,
        `kubectl -n ${ns} wait --for=condition=complete job/${name}-before-restore --timeout=60m`,
        `JOB=${name}-restore-$(date -u +%Y%m%d%H%M%S)`,
        `kubectl -n ${ns} create job --from=cronjob/${name}-restore "$JOB" --dry-run=client -o yaml | kubectl set env --local -f - BACKUP_STAMP="$BACKUP_STAMP" -o yaml | kubectl -n ${ns} apply -f -`,
        `kubectl -n ${ns} wait --for=condition=complete "job/$JOB" --timeout=60m`,
        `kubectl -n ${ns} logs "job/$JOB"`,
      ],
      urls: [
        `kubectl -n ${ns} port-forward svc/${name} 15432:${d.port} &`,
        `RESTORED_URL="postgresql://${d.user}:${password}@localhost:15432/${db}"`,
      ],
      repoint: [],
      ...(d.backup.offsite
        ? {
            geo: [
              `Each dump is also copied to \`${d.backup.offsite.url}\` (\`recovery.offsite\`). After the loss of the volume or the cluster, take one from there and restore it over the port-forward above (the server recreated by the chart, or any PostgreSQL ${p.version}):`,
              "",
              ...sh([
                `aws s3 ls ${d.backup.offsite.url} --endpoint-url ${d.backup.offsite.endpoint} --region ${d.backup.offsite.region}`,
                `aws s3 cp ${d.backup.offsite.url}${db}-$BACKUP_STAMP.dump . --endpoint-url ${d.backup.offsite.endpoint} --region ${d.backup.offsite.region}`,
                `pg_restore --clean --if-exists --no-owner --dbname "$RESTORED_URL" ${db}-$BACKUP_STAMP.dump`,
              ]),
            ],
          }
        : {}),
      goBack: [
        `Start the app again on the restored data. The dump \`${name}-before-restore\` took is the way back: restore it the same way with its \`BACKUP_STAMP\` (its log says it), then delete that Job (\`kubectl -n ${ns} delete job ${name}-before-restore\`) so the name is free for the next restore.`,
        "",
        ...sh(scale("back")),
      ],
    };
  }

  function redis(app: AppModel, r: RedisModel): string[] | undefined {
    if (r.hosting !== "cluster") return undefined;
    return [
      `### Redis \`${r.name}\` (in the cluster, StatefulSet \`${redisServiceName(r.name)}\`)`,
      "",
      r.persistence === "none"
        ? "No persistence: after a loss the cache starts empty and the app fills it again from the database. Nothing to restore."
        : `Persistence ${r.persistence} on its own volume: a restarted pod reloads it. The volume is not backed up; if it is lost the cache starts empty and the app fills it again from the database.`,
      "",
    ];
  }

  return {
    postgresService: "in the cluster",
    intro: [
      "A PostgreSQL that runs in the cluster (`hosting: cluster`) is dumped with `pg_dump` on a schedule as often as the RPO asks (every 5 minutes at most) to a volume of its own, kept when the release is uninstalled. Copy the volume's dumps off the cluster (a volume snapshot, or your backup tool) for the loss of the cluster itself. A managed database is restored with its cloud's commands (that target's `operations/disaster-recovery.md`).",
      "",
    ],
    retention: (app, p) => {
      if (p.hosting !== "cluster") return undefined;
      const b = values(app).datastores[pgServiceName(p.name)]?.backup;
      return b ? `dumps \`${b.schedule}\`, ${b.keepDays} days` : "no backups";
    },
    noRetention: "managed (see the cloud target)",
    postgres,
    redis,
  };
}

export function kubernetesDisasterRecovery(
  apps: readonly AppModel[],
  values: readonly ChartValues[],
): string[] {
  const byEnv = new Map(apps.map((a, i) => [a.environment.name, values[i]!]));
  return disasterRecoveryRunbook(
    apps,
    kubernetesDr((app) => byEnv.get(app.environment.name)!),
  );
}
