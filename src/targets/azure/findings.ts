// What the Azure target cannot do as the spec asks, said once each: as a warning at its place in
// the spec (`gantry synth` and `gantry check` print them), and, where an operator should know it
// after deploying, as a note in the runbook.
import { isJob, isService, isStatic, isWorkload, topicsUsed } from "../../model/queries.js";
import type { AppModel, JobModel, ProjectModel, ServiceModel, StaticModel } from "../../model/types.js";
import { buildAzure } from "./main.js";
import {
  boundDomain,
  hostOwner,
  computeOf,
  registryPlan,
  relativeName,
  postgresSku,
  type Compute,
} from "./decisions.js";
import { appSettings } from "./supply.js";
import { AZURE_SIZES } from "./sizes.js";
import { publicHealthUrl } from "./sections/availability.js";
import { alertFindings } from "./findings-alerts.js";

export type { Finding } from "./findings-alerts.js";
import type { Finding } from "./findings-alerts.js";

export function findings(project: ProjectModel): Finding[] {
  const compute = computeOf(project);
  const all = [
    ...sharedFindings(project),
    ...topicFindings(project),
    ...registryFindings(project),
    ...(compute === "appservice" ? contractFindings(project) : []),
    ...project.environments.flatMap((m) => [
      ...serviceFindings(m, compute),
      ...(compute === "aks" ? probeFindings(m) : sharedHostFindings(m)),
      ...redisFindings(m, compute),
      ...postgresFindings(m, compute),
      ...alertFindings(m, compute),
    ]),
  ];
  const key = (f: Finding) => `${f.env ?? ""}|${f.path}|${f.message}`;
  return all.filter((f, i) => all.findIndex((g) => key(g) === key(f)) === i);
}

/** What one main.bicep deploys the same way in every environment, where an environment differs. */
function sharedFindings(project: ProjectModel): Finding[] {
  const [first] = project.environments;
  if (!first) return [];
  const compute = computeOf(project);
  const statics = new Set(
    project.environments.flatMap((m) =>
      Object.values(m.services)
        .filter(isStatic)
        .map((s) => s.name),
    ),
  );
  return project.environments.flatMap((m): Finding[] => {
    const env = m.environment.name;
    const own = m.targets.azure?.compute ?? "appservice";
    return [
      ...Object.values(m.services)
        .filter((s) => statics.has(s.name) && !isStatic(s))
        .map((s) => ({
          env,
          path: `services.${s.name}`,
          severity: "error" as const,
          message: `${s.name} is a static frontend in another environment: one name is one kind of Azure resource (a Static Web App or an App Service)`,
          hint: "keep it a static frontend everywhere, or give the other kind its own name",
        })),
      ...(own === compute
        ? []
        : [
            {
              env,
              path: "targets.azure.compute",
              severity: "error" as const,
              message: `compute is ${own} here but ${compute} in ${first.environment.name}: one main.bicep runs every environment on the same compute`,
              hint: "set targets.azure.compute at the top level only",
            },
          ]),
    ];
  });
}

/** On AKS, a health path the ingress routes to another service on the host gets no availability test. */
function probeFindings(m: AppModel): Finding[] {
  return Object.values(m.services).flatMap((s): Finding[] => {
    const hp = s.type === "http" ? (s.health?.readiness ?? s.health?.liveness) : undefined;
    if (s.type !== "http" || !hp || !s.domains[0] || publicHealthUrl(m, s.name, hp)) return [];
    return [
      {
        env: m.environment.name,
        path: `services.${s.name}.health`,
        severity: "warning",
        message: `the ingress routes https://${s.domains[0]}${hp} to another service on that host, so ${s.name} gets no availability test`,
        hint: `give ${s.name} a health path under its own path prefix (${s.path})`,
      },
    ];
  });
}

/** App Service and Static Web Apps bind a host name to one site: the others on that host are not bound. */
function sharedHostFindings(m: AppModel): Finding[] {
  return Object.values(m.services).flatMap((s): Finding[] => {
    const host = isService(s) || isStatic(s) ? s.domains[0] : undefined;
    const owner = host ? hostOwner(m, host) : undefined;
    if (!host || owner === undefined || owner === s.name) return [];
    return [
      {
        env: m.environment.name,
        path: `services.${s.name}.path`,
        severity: "warning",
        message: `${s.name} shares ${host} with ${owner}: App Service and Static Web Apps bind a host name to one site, so ${host} is bound to ${owner} only and ${s.name} answers at its default host name`,
        hint: "give each service its own domain (api.example.com), or run on AKS (targets.azure.compute: aks), whose ingress routes paths",
        note: `\`${s.name}\` shares \`${host}\` with \`${owner}\` in ${m.environment.name}: the host is bound to \`${owner}\` only (one site per host name); \`${s.name}\` answers at its default host name.`,
      },
    ];
  });
}

/** The registry the spec names must be a name Azure Container Registry accepts: Bicep creates it. */
function registryFindings(project: ProjectModel): Finding[] {
  const acr = registryPlan(project)?.acr;
  // learn.microsoft.com/azure/container-registry/container-registry-get-started-portal: 5-50 alphanumerics.
  if (acr === undefined || /^[a-z0-9]{5,50}$/.test(acr)) return [];
  return [
    {
      path: "targets.kubernetes.registry",
      severity: "error",
      message: `${acr}.azurecr.io cannot be created: a registry name is 5 to 50 lower-case letters and digits`,
      hint: "name a registry such as myappacr.azurecr.io, or leave targets.kubernetes.registry out for Gantry's own",
    },
  ];
}

function topicFindings(project: ProjectModel): Finding[] {
  const first = project.environments[0];
  if (!first || !Object.keys(first.topics).length) return [];
  return [
    {
      path: "topics",
      severity: "warning",
      message:
        "topics are not provisioned on Azure: Event Hubs is not in the Azure type data Gantry validates against",
      hint: "run a Kafka-compatible broker (Redpanda, Confluent Cloud) and set the KAFKA_BROKERS, KAFKA_USERNAME and KAFKA_PASSWORD secrets in Key Vault",
      note: "Topics are not provisioned: Event Hubs is not in the Azure type data Gantry checks its output against. Services that publish or subscribe get `KAFKA_BROKERS`, `KAFKA_USERNAME` and `KAFKA_PASSWORD` from Key Vault; point them at a Kafka-compatible broker.",
    },
  ];
}

function serviceFindings(m: AppModel, compute: Compute): Finding[] {
  if (compute !== "appservice") return [];
  const env = m.environment.name;
  return Object.entries(m.services).flatMap(([n, s]): Finding[] => {
    if (s.type === "job") return [];
    const worker: Finding[] =
      s.type === "worker" && s.port === undefined
        ? [
            {
              env,
              path: `services.${n}`,
              severity: "warning",
              message: `App Service expects ${n} to answer HTTP on a port and restarts containers that do not`,
              hint: "give the worker a port with a health endpoint, or set targets.azure.compute: aks",
              note: `Worker \`${n}\` has no port: App Service restarts containers that do not answer HTTP, so give it a health port.`,
            },
          ]
        : [];
    return isService(s) || isStatic(s) ? [...worker, ...domainFindings(m, n, s)] : worker;
  });
}

function domainFindings(m: AppModel, n: string, s: ServiceModel | StaticModel): Finding[] {
  const env = m.environment.name;
  const domain = s.domains[0];
  const out: Finding[] = [];
  if (s.domains.length > 1)
    out.push({
      env,
      path: `services.${n}.domain`,
      severity: "warning",
      message: `only the first domain of ${n} (${domain}) is bound on Azure`,
    });
  // A host bound to another service on it is said by sharedHostFindings.
  if (domain && !boundDomain(m, s) && hostOwner(m, domain) === s.name) out.push(unboundDomain(m, s, domain));
  return out;
}

/** Why Gantry leaves a domain's records and binding to the user, truthfully for an apex and for others. */
function unboundDomain(m: AppModel, s: ServiceModel | StaticModel, domain: string): Finding {
  const env = m.environment.name;
  const n = s.name;
  const zone = m.dns?.manage ? m.dns.zone : undefined;
  const path = `services.${n}.domain`;
  if (zone && relativeName(domain, zone) === "@") {
    // An apex cannot be a CNAME: App Service wants an A record to the app's inbound IP (and its asuid
    // TXT); Static Web Apps a TXT token to validate and an ALIAS (an A alias record in Azure DNS).
    const records =
      s.type === "static"
        ? "a TXT record with the static web app's validation token, and an ALIAS (A alias) record to the static web app"
        : "an A record to the app's inbound IP address and an asuid TXT record";
    return {
      env,
      path,
      severity: "warning",
      message: `${domain} is the apex of the DNS zone ${zone}; an apex cannot be a CNAME, so its records and binding are left to you`,
      hint: `create ${records}, then add the custom domain; or use a sub-domain such as www`,
      note: `Domain \`${domain}\` (${n}, ${env}) is the apex of the zone: create ${records}, and add the custom domain by hand.`,
    };
  }
  return {
    env,
    path,
    severity: "warning",
    message: zone
      ? `${domain} is not a sub-domain of the DNS zone ${zone}; its records and binding are left to you`
      : `${domain} is not in a DNS zone Gantry manages; its records and binding are left to you`,
    hint: "create a CNAME to the app's default host name and an asuid TXT record, then bind it with `az webapp config hostname add`",
    note: `Domain \`${domain}\` (${n}, ${env}) is not a sub-domain of a managed zone: create its CNAME (and \`asuid\` TXT for App Service) at your DNS provider and bind it by hand.`,
  };
}

function redisFindings(m: AppModel, compute: Compute): Finding[] {
  const env = m.environment.name;
  return Object.entries(m.redis).flatMap(([n, r]) => {
    if (compute === "aks" && r.hosting === "cluster") return [];
    const out: Finding[] = [];
    if (r.persistence !== "none" && AZURE_SIZES[r.size].redis.name !== "Premium")
      out.push({
        env,
        path: `redis.${n}.persistence`,
        severity: "warning",
        message: `persistence ${r.persistence} makes ${n} a Premium P1 cache (size ${r.size} alone is ${AZURE_SIZES[r.size].redis.name}): only Premium caches persist`,
        hint: "keep it, or set persistence: none in this environment for the cheaper tier",
        note: `\`${n}\` in ${env} is a Premium P1 cache because it asks for ${r.persistence} persistence (only Premium caches persist); \`persistence: none\` there gives size ${r.size}'s ${AZURE_SIZES[r.size].redis.name} tier.`,
      });
    if (!r.tls)
      out.push({
        env,
        path: `redis.${n}.tls`,
        severity: "warning",
        message: `Azure Cache for Redis ${n} is TLS-only on Azure (tls: false is ignored)`,
      });
    return out;
  });
}

function postgresFindings(m: AppModel, compute: Compute): Finding[] {
  const env = m.environment.name;
  return Object.entries(m.postgres).flatMap(([n, pg]) => {
    if (compute === "aks" && pg.hosting === "cluster") return [];
    const out: Finding[] = [];
    if (pg.ha && postgresSku(pg.size).tier === "Burstable")
      out.push({
        env,
        path: `postgres.${n}.ha`,
        severity: "warning",
        message: `high availability needs General Purpose or Memory Optimized; size ${pg.size} is Burstable, so ${n} has no standby`,
        hint: "use size m or larger",
      });
    if (compute === "appservice" && pg.hosting === "cluster")
      out.push({
        env,
        path: `postgres.${n}.hosting`,
        severity: "warning",
        message: `${n} runs as a Flexible Server on App Service (there is no cluster)`,
      });
    if (pg.public_access)
      out.push({
        env,
        path: `postgres.${n}.public_access`,
        severity: "warning",
        message: `${n} accepts Azure services only; add client addresses as firewall rules yourself`,
        note: `PostgreSQL \`${n}\` allows Azure services through its firewall (private access needs a virtual network, which is not in the type data Gantry checks against).`,
      });
    return out;
  });
}

/**
 * What App Service cannot give a workload of what it receives (src/model/bindings.ts), named at the
 * workload: a job is not deployed at all, a service that uses topics gets no Dapr sidecar, a
 * `command` cannot replace the image's ENTRYPOINT; and names that would collide: a variable named
 * like a setting App Service adds, a secret stored under the name of one the deployment writes.
 * (findings() drops the repeats of each environment.)
 */
function contractFindings(project: ProjectModel): Finding[] {
  const names = unmetNames(project);
  const written = new Map(buildAzure(project).facts.managedSecrets.map((s) => [s.secret, s.what]));
  return project.environments.flatMap((m) =>
    Object.values(m.services)
      .filter(isWorkload)
      .flatMap((w): (Finding | undefined)[] =>
        isJob(w)
          ? [jobFinding(w, names.get(w.name) ?? [])]
          : [
              topicsFinding(m, w, names.get(w.name) ?? []),
              commandFinding(w),
              ...clashFindings(m, w),
              ...secretClashFindings(m, w, written),
            ],
      )
      .filter((f): f is Finding => f !== undefined),
  );
}

/** An operator secret stored under the name of one the deployment writes would be overwritten. */
function secretClashFindings(m: AppModel, s: ServiceModel, written: Map<string, string>): Finding[] {
  return appSettings(m, s).flatMap(({ name, supply }): Finding[] => {
    if (supply.kind !== "vault" || supply.writer.by !== "operator" || !written.has(supply.secret)) return [];
    const i = s.secrets.indexOf(name);
    return [
      {
        env: m.environment.name,
        path: i >= 0 ? `services.${s.name}.secrets[${i}]` : `services.${s.name}`,
        severity: "error",
        message: `secret ${name} would be Key Vault secret ${supply.secret}, which the deployment writes (${written.get(supply.secret)!})`,
        hint: "name the secret differently",
      },
    ];
  });
}

/** The variables App Service cannot supply to each workload, in any environment, sorted. */
function unmetNames(project: ProjectModel): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const m of project.environments)
    for (const w of Object.values(m.services).filter(isWorkload))
      for (const s of appSettings(m, w))
        if (s.supply.kind === "missing") out.set(w.name, (out.get(w.name) ?? new Set()).add(s.name));
  return new Map([...out].map(([n, set]) => [n, [...set].sort()]));
}

const jobFinding = (w: JobModel, unmet: string[]): Finding => ({
  path: `services.${w.name}.schedule`,
  severity: "warning",
  message: `scheduled job ${w.name} has no App Service equivalent and is not generated, so nothing supplies its variables (${unmet.join(", ")})`,
  hint: "run it from the pipeline on a schedule, or set targets.azure.compute: aks so the Helm chart's CronJob runs it",
  note: `Scheduled job \`${w.name}\` is not generated on App Service (no scheduler there); run it from a scheduled pipeline or use \`targets.azure.compute: aks\`.`,
});

function topicsFinding(m: AppModel, s: ServiceModel, unmet: string[]): Finding | undefined {
  const topics = topicsUsed(m, s);
  if (!topics.length) return undefined;
  const publishes = topics.some((t) => s.uses.includes(t));
  return {
    path: `services.${s.name}.${publishes ? "uses" : "subscribes"}`,
    severity: "warning",
    message: `App Service runs no Dapr sidecar, so ${s.name} gets no ${unmet.join(" or ")} for topic${topics.length > 1 ? "s" : ""} ${topics.join(", ")}`,
    hint: "publish and receive through the Kafka-compatible broker of KAFKA_BROKERS, KAFKA_USERNAME and KAFKA_PASSWORD (Key Vault), or set targets.azure.compute: aks",
    note: "App Service runs no Dapr sidecar: services that use topics get no `PUBSUB_NAME` or `DAPR_HTTP_PORT` there and reach the broker through `KAFKA_BROKERS`, `KAFKA_USERNAME` and `KAFKA_PASSWORD` instead.",
  };
}

const commandFinding = (s: ServiceModel): Finding | undefined =>
  s.command === undefined
    ? undefined
    : {
        path: `services.${s.name}.command`,
        severity: "warning",
        message: `App Service runs ${s.name}'s command in place of the image's CMD and keeps its ENTRYPOINT: with an ENTRYPOINT in the image, the command becomes its arguments`,
        hint: "build the image with CMD only (no ENTRYPOINT), or set targets.azure.compute: aks where the command replaces both",
        note: "App Service runs a service's `command` in place of the image's CMD and keeps its ENTRYPOINT: images of services with a `command` should have no ENTRYPOINT.",
      };

/** A variable of the app named like one App Service sets: both would be app settings of one name. */
function clashFindings(m: AppModel, s: ServiceModel): Finding[] {
  const settings = appSettings(m, s);
  const platform = new Set(settings.filter((x) => x.platform).map((x) => x.name));
  return settings
    .filter((x) => !x.platform && platform.has(x.name))
    .map((x) => ({
      env: m.environment.name,
      path: x.name in s.env ? `services.${s.name}.env.${x.name}` : `services.${s.name}.secrets`,
      severity: "error" as const,
      message: `App Service sets ${x.name} itself; ${s.name} cannot have a variable of that name`,
      hint: "name it differently",
    }));
}

/** Azure Resource Manager's limits per template (https://learn.microsoft.com/azure/azure-resource-manager/templates/best-practices#template-limits). */
export const ARM_LIMITS = { parameters: 256, outputs: 64, resources: 800 } as const;

export function limitProblems(project: ProjectModel): Finding[] {
  const main = buildAzure(project).bicep["main.bicep"];
  if (!main) return [];
  const counts = {
    parameters: main.params.length,
    outputs: main.outputs.length,
    resources: main.resources.length + main.modules.length,
  };
  return (Object.keys(ARM_LIMITS) as (keyof typeof ARM_LIMITS)[])
    .filter((k) => counts[k] > ARM_LIMITS[k])
    .map((k) => ({
      path: "services",
      severity: "error" as const,
      message: `main.bicep would have ${counts[k]} ${k}; Azure Resource Manager allows ${ARM_LIMITS[k]} per template`,
      hint: "split the app into several specs (one per group of services) or deploy it on AKS (targets.azure.compute: aks)",
    }));
}

/** The runbook's notes: what the findings say an operator should know, then what holds for every app. */
export function notesOf(project: ProjectModel): string[] {
  const compute = computeOf(project);
  const notes = findings(project)
    .map((f) => f.note)
    .filter((n): n is string => !!n);
  const general = [
    "Log Analytics keeps logs 30 days at least: shorter `monitoring.log_retention_days` are raised to 30.",
    "PostgreSQL accepts connections from Azure services through its firewall (private access needs a virtual network, which is not in the type data Gantry checks against); TLS is required.",
    "Geo-redundant backup of PostgreSQL is chosen when a server is created and cannot be changed later.",
    compute === "appservice"
      ? "The Key Vault admits every network and access is RBAC only: Microsoft's Key Vault references guide says a vault must not rely on an app's outbound addresses (a reference may be resolved from another), and virtual network integration is not in the type data Gantry checks against."
      : "The Key Vault allows all networks so the cluster's CSI driver can reach it; access is still RBAC only.",
    // The chart's pods send Azure Monitor no request telemetry (they are not instrumented for
    // Application Insights), and managed Prometheus is not in the type data Gantry checks against.
    ...(compute === "aks"
      ? [
          "Error-rate and latency alerts are evaluated in the cluster: Prometheus reads ingress-nginx's request metrics and Alertmanager notifies the channels (deploy/kubernetes/cluster-bootstrap); Azure Monitor alerts on the nodes' CPU and memory and on the availability tests.",
        ]
      : []),
    "Every alert notifies the action groups of the channels it names (`ag-<app>-<environment code>-<channel>`); webhook receivers get Azure Monitor's common alert schema, Slack and Teams channels a message of their own from the alert relay.",
    ...(compute === "appservice"
      ? [
          "Key Vault references resolve once the secret exists and the identity has its role; after setting operator secrets, restart the app (or wait for App Service's 24-hour refresh).",
        ]
      : []),
  ];
  return [...new Set([...notes, ...general])];
}
