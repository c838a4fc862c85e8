// Checks that need more than one field: references between entries, clashes, and what each kind of
// service may set. They run on the merged spec of each environment and are written defensively, so
// they also run (and report) when the schema check found problems elsewhere.
import { pathJoin } from "../spec/problems.js";
import { Checker, entries, isObj, stringItems, type CheckContext, type Plain } from "./checker.js";
import { DEFAULT_ALERTS } from "./defaults.js";
import { checkCron, checkServices } from "./service-checks.js";

export type ServiceType = "http" | "worker" | "static" | "job";

export function inferType(svc: Plain): ServiceType {
  const t = svc.type;
  if (t === "http" || t === "worker" || t === "static" || t === "job") return t;
  if (svc.static !== undefined) return "static";
  if (svc.schedule !== undefined) return "job";
  if (svc.port !== undefined || svc.domain !== undefined) return "http";
  return "worker";
}

export interface CrossContext extends CheckContext {
  tier: "development" | "staging" | "production";
}

/** The names a spec declares, by kind, and those a service may `use`. */
export interface SpecNames {
  services: string[];
  postgres: string[];
  redis: string[];
  topics: string[];
  buckets: string[];
  usable: string[];
}

function namesOf(spec: Plain): SpecNames {
  const keys = (v: unknown) => Object.keys(isObj(v) ? v : {});
  const n = {
    services: keys(spec.services),
    postgres: keys(spec.postgres),
    redis: keys(spec.redis),
    topics: keys(spec.topics),
    buckets: keys(spec.buckets),
  };
  const email = spec.email !== undefined ? ["email"] : [];
  return { ...n, usable: [...n.postgres, ...n.redis, ...n.topics, ...n.buckets, ...email] };
}

export function crossCheck(spec: Plain, ctx: CrossContext): void {
  const c = new Checker(ctx);
  const names = namesOf(spec);
  checkUniqueNames(spec, names, c);
  checkServices(spec, names, ctx.tier, c);
  checkTopics(spec, names, c);
  if (ctx.tier === "production") checkBackups(spec, c);
  checkPublicAccess(spec, c);
  checkMonitoring(spec, names, c);
  checkNodes(spec, c);
  checkRecovery(spec, c);
}

function checkUniqueNames(spec: Plain, n: SpecNames, c: Checker): void {
  // Names share one namespace: they become host names, resource names and Kubernetes objects.
  const owners = new Map<string, string>();
  for (const [kind, names] of [
    ["services", n.services],
    ["postgres", n.postgres],
    ["redis", n.redis],
    ["topics", n.topics],
    ["buckets", n.buckets],
  ] as const) {
    for (const n of names) {
      const first = owners.get(n);
      if (first && !(kind === "topics" && first === "topics")) {
        const container = spec[kind];
        c.error(
          c.at(container, n),
          pathJoin(kind, n),
          `the name \`${n}\` is also used by ${first}.${n}`,
          "names must be unique across services, databases, caches, topics and buckets",
        );
      } else owners.set(n, kind);
    }
  }
}

function checkTopics(spec: Plain, { postgres, redis }: SpecNames, c: Checker): void {
  for (const [name, raw] of entries(spec.topics)) {
    if (!isObj(raw) || !isObj(raw.idempotency)) continue;
    const store = raw.idempotency.store;
    if (typeof store === "string" && !postgres.includes(store) && !redis.includes(store)) {
      c.error(
        c.valueAt(raw.idempotency, "store"),
        `topics.${name}.idempotency.store`,
        `unknown PostgreSQL or Redis \`${store}\``,
        c.nearest(store, [...postgres, ...redis], "stores"),
      );
    }
  }
}

function checkBackups(spec: Plain, c: Checker): void {
  for (const [name, raw] of entries(spec.postgres)) {
    if (!isObj(raw)) continue;
    const b = raw.backups;
    if (isObj(b) && b.enabled === false) {
      c.warn(
        c.at(b, "enabled"),
        `postgres.${name}.backups.enabled`,
        "this database has no backups",
        "turn backups on: a lost production database cannot be restored without them",
        "spec/no-backups",
      );
    }
  }
}

/** Recovery's schedules are cron expressions like a job's; `drill` may also be `none`. */
function checkRecovery(spec: Plain, c: Checker): void {
  const r = spec.recovery;
  if (!isObj(r)) return;
  if (r.drill !== "none")
    checkCron(
      c,
      r,
      "drill",
      "recovery.drill",
      "a cron expression such as '0 4 * * 1', a macro such as '@weekly', or 'none'",
    );
  checkCron(
    c,
    r,
    "base_backup",
    "recovery.base_backup",
    "a cron expression such as '0 2 * * *' or a macro such as '@daily'",
  );
}

function checkPublicAccess(spec: Plain, c: Checker): void {
  for (const [name, raw] of entries(spec.postgres)) {
    if (isObj(raw) && raw.public_access === true)
      c.warn(
        c.valueAt(raw, "public_access"),
        `postgres.${name}.public_access`,
        "this PostgreSQL server accepts connections from the internet",
        "remove `public_access: true`: the services reach it over the private network",
        "spec/public-database",
      );
  }
}

function checkMonitoring(spec: Plain, { services: serviceNames }: SpecNames, c: Checker): void {
  const mon = spec.monitoring;
  if (isObj(mon)) {
    const channels = Object.keys(isObj(mon.channels) ? mon.channels : {});
    for (const [name, rule] of entries(mon.alerts)) {
      if (!isObj(rule)) continue;
      if (!(name in DEFAULT_ALERTS)) {
        for (const key of ["metric", "above"] as const) {
          if (rule[key] === undefined) {
            c.error(
              c.at(mon.alerts, name),
              `monitoring.alerts.${name}`,
              `\`${key}\` is required`,
              `a new rule needs metric and above; built-in rules: ${Object.keys(DEFAULT_ALERTS).join(", ")}`,
            );
          }
        }
      }
      stringItems(rule.services).forEach(([s, i]) => {
        if (!serviceNames.includes(s))
          c.error(
            c.valueAt(rule.services, i),
            `monitoring.alerts.${name}.services[${i}]`,
            `unknown service \`${s}\``,
            c.nearest(s, serviceNames, "services"),
          );
      });
      stringItems(rule.channels).forEach(([ch, i]) => {
        if (!channels.includes(ch))
          c.error(
            c.valueAt(rule.channels, i),
            `monitoring.alerts.${name}.channels[${i}]`,
            `unknown channel \`${ch}\``,
            c.nearest(ch, channels, "channels"),
          );
      });
    }
    for (const [name, ch] of entries(mon.channels)) {
      if (!isObj(ch)) continue;
      if (ch.type === "email" && ch.to === undefined)
        c.error(
          c.at(mon.channels, name),
          `monitoring.channels.${name}`,
          "an email channel needs `to`",
          "list the recipients: to: [ops@example.com]",
        );
      if (
        (ch.type === "slack" || ch.type === "teams" || ch.type === "webhook") &&
        ch.webhook_secret === undefined
      ) {
        c.error(
          c.at(mon.channels, name),
          `monitoring.channels.${name}`,
          `a ${ch.type} channel needs \`webhook_secret\``,
          "name the secret that holds the webhook URL, such as SLACK_WEBHOOK_URL",
        );
      }
    }
  }
}

function checkNodes(spec: Plain, c: Checker): void {
  const nodes =
    isObj(spec.targets) && isObj(spec.targets.digitalocean) ? spec.targets.digitalocean.nodes : undefined;
  if (
    isObj(nodes) &&
    typeof nodes.min === "number" &&
    typeof nodes.max === "number" &&
    nodes.min > nodes.max
  ) {
    c.error(
      c.at(nodes, "min"),
      "targets.digitalocean.nodes.min",
      `min (${nodes.min}) is greater than max (${nodes.max})`,
    );
  }
}
