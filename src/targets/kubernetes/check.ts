// What the Kubernetes target cannot do with a spec, as positioned problems: where images are pushed,
// names that cannot name objects, rollouts that could never progress, services without health checks,
// idempotency stores and alerts it cannot make, and entries whose objects would collide.
import { topicsUsed } from "../../model/queries.js";
import type { AnyServiceModel, AppModel, JobModel, ProjectModel } from "../../model/types.js";
import type { TargetProblem } from "../target.js";
import { objectsByTemplate } from "./manifests.js";
import { kubernetesSettings, LOCAL_REGISTRY } from "./settings.js";
import { undeliveredAlerts } from "./bootstrap-alertmanager.js";
import { buildValues } from "./values-environment.js";
import { recoveryProblems } from "../recovery.js";
import { clusterRecovery } from "./recovery.js";

const NAME_MAX = 52; // 63 (a DNS label) less "-migrations"

/** The problems of every environment, each reported once. */
export function kubernetesProblems(project: ProjectModel): TargetProblem[] {
  const problems: TargetProblem[] = [];
  const seen = new Set<string>();
  for (const app of project.environments) {
    const found = [
      ...registryProblems(app),
      ...Object.values(app.services).flatMap((svc) => serviceProblems(app, svc)),
      ...topicProblems(app),
      ...alertProblems(app),
    ];
    for (const p of found) {
      const key = `${p.path}|${p.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      problems.push(p);
    }
  }
  problems.push(
    ...collisions(project),
    ...kindChanges(project),
    ...recoveryProblems(project, clusterRecovery),
  );
  return problems;
}

/** What the chart's templates of one service make: a CronJob, a static site's server, or a Deployment. */
const KIND_GROUP = {
  job: "a scheduled job",
  static: "a static frontend",
  http: "a service",
  worker: "a service",
};

/**
 * A service that is a scheduled job (or a static frontend) in one environment and not in another: the
 * chart has one set of templates per service name, for one kind of workload.
 */
function kindChanges(project: ProjectModel): TargetProblem[] {
  const first = new Map<string, { env: string; kind: string }>();
  const out: TargetProblem[] = [];
  for (const app of project.environments) {
    for (const svc of Object.values(app.services)) {
      const kind = KIND_GROUP[svc.type];
      const seen = first.get(svc.name);
      if (!seen) first.set(svc.name, { env: app.environment.name, kind });
      else if (seen.kind !== kind)
        out.push({
          env: app.environment.name,
          path: `services.${svc.name}`,
          message: `${svc.name} is ${kind} here but ${seen.kind} in ${seen.env}: the chart's templates of a service make one kind of workload`,
          hint: "keep it the same kind in every environment, or give each kind its own service name",
        });
    }
  }
  return out;
}

/** Services built from source need a registry to be pushed to; a registry must be a registry path. */
function registryProblems(app: AppModel): TargetProblem[] {
  const problems: TargetProblem[] = [];
  const builds = Object.values(app.services).filter((s) => s.type === "static" || !s.image);
  if (builds.length && kubernetesSettings(app).registrySource === "local") {
    if (app.targets.kubernetes) {
      problems.push({
        path: "targets.kubernetes.registry",
        message: `services ${builds.map((s) => `\`${s.name}\``).join(", ")} are built from source, but nothing says which registry their images are pushed to`,
        hint: "set targets.kubernetes.registry (such as ghcr.io/acme), or ci.repository to use its GitHub Container Registry, or give each service an `image`",
      });
    } else {
      const first = builds[0]!;
      problems.push({
        severity: "warning",
        path: `services.${first.name}.${first.type === "static" ? "static" : "build"}`,
        message: `no registry is set, so images are pulled from ${LOCAL_REGISTRY} (a local registry, as kind and k3d use)`,
        hint: "set targets.kubernetes.registry, or ci.repository, for a real cluster",
      });
    }
  }
  const registry = app.targets.kubernetes?.registry;
  if (registry && !/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/.test(registry.replace(/\/+$/, ""))) {
    problems.push({
      path: "targets.kubernetes.registry",
      message: `\`${registry}\` is not an image registry path`,
      hint: "lower case host and path, such as ghcr.io/acme",
    });
  }
  return problems;
}

function serviceProblems(app: AppModel, svc: AnyServiceModel): TargetProblem[] {
  const problems: TargetProblem[] = [];
  const env = app.environment.name;
  const base = `services.${svc.name}`;
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(svc.name) || svc.name.length > NAME_MAX) {
    problems.push({
      path: base,
      message: `\`${svc.name}\` cannot name Kubernetes objects`,
      hint: `use lower case letters, digits and dashes, at most ${NAME_MAX} characters`,
    });
  }
  if (svc.type === "static") return problems;
  if (svc.image?.includes("@")) {
    problems.push({
      path: `${base}.image`,
      message: "images pinned by digest are not supported by the Kubernetes target",
      hint: "pin a tag (such as nginx:1.27.3); the chart composes <repository>:<tag>",
    });
  }
  if (svc.type === "job") return [...problems, ...jobTopicProblems(app, svc)];
  if (svc.rollout.max_surge === 0 && svc.rollout.max_unavailable === 0) {
    problems.push({
      env,
      path: `${base}.rollout`,
      message: "max_surge and max_unavailable cannot both be 0: the rollout could never progress",
      hint: "keep max_surge: 1",
    });
  }
  if (svc.scale.min === 0 && svc.scale.max > 0) {
    problems.push({
      env,
      severity: "warning",
      path: `${base}.scale.min`,
      message: `a HorizontalPodAutoscaler keeps at least 1 pod: ${svc.name} scales between 1 and ${svc.scale.max} here, never to 0`,
      hint: "set min: 1, or scale: 0 to stop the service",
    });
  }
  if (svc.type === "http" && (!svc.health || (!svc.health.liveness && !svc.health.readiness))) {
    problems.push({
      severity: "warning",
      path: `${base}.health`,
      message: "without a health check Kubernetes cannot tell a broken pod from a healthy one",
      hint: "set health: /health",
    });
  }
  if (svc.domains.length && !svc.port) {
    problems.push({
      env,
      path: `${base}.domain`,
      message: "a service with a domain needs a port to route to",
      hint: "set port",
    });
  }
  return problems;
}

/** A CronJob's pod runs no Dapr sidecar: the sidecar would keep running, so the Job would never finish. */
function jobTopicProblems(app: AppModel, job: JobModel): TargetProblem[] {
  const topics = topicsUsed(app, job);
  if (!topics.length) return [];
  return [
    {
      severity: "warning",
      path: `services.${job.name}.uses`,
      message: `a CronJob runs without the Dapr sidecar, so DAPR_HTTP_PORT is not set and ${job.name} cannot publish to ${topics.map((t) => `\`${t}\``).join(", ")}`,
      hint: "publish from a service or worker, which runs the sidecar",
    },
  ];
}

/** A topic's idempotency store becomes a Dapr state store, which needs a PostgreSQL or Redis entry. */
function topicProblems(app: AppModel): TargetProblem[] {
  const problems: TargetProblem[] = [];
  for (const [name, t] of Object.entries(app.topics)) {
    const store = t.idempotency?.store;
    if (store && !app.postgres[store] && !app.redis[store]) {
      problems.push({
        path: `topics.${name}.idempotency.store`,
        message: `\`${store}\` is not a PostgreSQL or Redis entry, so no Dapr state store can be made for it`,
        hint: "name an entry of postgres or redis",
      });
    }
  }
  return problems;
}

/** Error rate and latency are measured at the ingress, so they cannot be alerted on for jobs and static sites. */
function alertProblems(app: AppModel): TargetProblem[] {
  const problems: TargetProblem[] = [];
  for (const [name, a] of Object.entries(app.monitoring.alerts)) {
    for (const s of a.services) {
      const svc = app.services[s];
      if (
        svc &&
        (svc.type === "static" || svc.type === "job") &&
        (a.metric === "error_rate" || a.metric === "latency_p95")
      ) {
        problems.push({
          severity: "warning",
          path: `monitoring.alerts.${name}.services`,
          message: `\`${s}\` serves no measured HTTP traffic, so ${a.metric} cannot be alerted on for it`,
        });
      }
    }
  }
  return [...problems, ...deliveryProblems(app)];
}

/** E-mail channels need an SMTP relay on a cluster; rules that then notify no one are said by name. */
function deliveryProblems(app: AppModel): TargetProblem[] {
  if (app.monitoring.smtp) return [];
  const emails = Object.entries(app.monitoring.channels).filter(([, ch]) => ch.type === "email");
  if (emails.length === 0) return [];
  const lost = undeliveredAlerts(app);
  return emails.map(([name]) => ({
    severity: "warning" as const,
    path: `monitoring.channels.${name}`,
    message: `Alertmanager sends e-mail through an SMTP relay, and none is set${lost.length ? `: ${lost.join(", ")} notify no one on Kubernetes` : ""}`,
    hint: "set monitoring.smtp: { smarthost: smtp.example.com:587, from: alerts@example.com, username: ... }, or add a slack, teams or webhook channel",
  }));
}

/**
 * Two spec entries that would give objects of the same kind and name (a service called `postgres-db`
 * next to postgres `db`), in any environment: each says so once.
 */
function collisions(project: ProjectModel): TargetProblem[] {
  const out: TargetProblem[] = [];
  const said = new Set<string>();
  for (const app of project.environments) {
    const seen = new Map<string, string>();
    for (const [file, list] of Object.entries(
      objectsByTemplate(buildValues(app), app.environment.namespace),
    )) {
      for (const o of list) {
        const id = `${o.kind} ${o.metadata.name}`;
        const before = seen.get(id);
        if (before === undefined) {
          seen.set(id, file);
          continue;
        }
        if (said.has(id)) continue;
        said.add(id);
        const owner = [file, before]
          .map((f) => Object.keys(app.services).find((s) => f.startsWith(`${s}-`)))
          .find((s) => s !== undefined);
        out.push({
          path: owner ? `services.${owner}` : "services",
          message: `two objects would be the ${id} (${before === file ? `chart template ${file}.yaml` : `chart templates ${before}.yaml and ${file}.yaml`})`,
          hint: "rename the service: names such as default-deny, pubsub, idempotency-<store>, postgres-<name> and redis-<name> are taken",
        });
      }
    }
  }
  return out;
}
