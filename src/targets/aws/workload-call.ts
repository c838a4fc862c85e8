// How the root calls a workload's module: its image, command, sizes and health check from
// settings.ts (main.tf's or the tfvars' where environments differ), what it receives and may call
// from wiring.ts, counted where some environments do not run it.
import { call, Expr, expr, type Block, type HclValue } from "../../format/hcl.js";
import { moduleCall } from "../terraform/blocks.js";
import { entryRef, q, workloadCollection, type Workload } from "./names.js";
import { countOf, outputOf } from "./presence.js";
import { arg } from "./settings.js";
import { envsWith, type AwsShape } from "./shape.js";
import { hasPartial, wiringOf, workloadModule } from "./wiring.js";

/** `{ for k, v in local.wired.<module>.<part> : k => v if contains(<entry>.wired, k) }` */
function selected(shape: AwsShape, w: Workload, part: "environment" | "secrets"): HclValue {
  const wiring = wiringOf(shape, w);
  const key = wiring.variants ? 'split("@", k)[0]' : "k";
  return expr(
    `{ for k, v in local.wired.${workloadModule(w)}.${part} : ${key} => v if contains(${entryRef(workloadCollection(w), w.name)}.wired, k) }`,
  );
}

/** The task's plain variables, its secrets and the IAM statements of what its code calls. */
function received(shape: AwsShape, w: Workload): Record<string, HclValue | undefined> {
  const wiring = wiringOf(shape, w);
  const entry = entryRef(workloadCollection(w), w.name);
  const { partial } = wiring;
  const some = (r: Record<string, unknown>) => Object.keys(r).length > 0;
  const environment: HclValue[] = [expr(`${entry}.environment`), wiring.environment];
  if (some(partial.environment)) environment.push(selected(shape, w, "environment"));
  const secrets: HclValue = some(partial.secrets)
    ? some(wiring.secrets)
      ? call("merge", wiring.secrets, selected(shape, w, "secrets"))
      : selected(shape, w, "secrets")
    : wiring.secrets;
  let statements: HclValue | undefined = wiring.statements.length ? wiring.statements : undefined;
  if (some(partial.statements)) {
    const picked = expr(
      `flatten([for k, s in local.wired.${workloadModule(w)}.statements : s if contains(${entry}.wired, k)])`,
    );
    statements = wiring.statements.length ? call("concat", wiring.statements, picked) : picked;
  }
  return { environment: call("merge", ...environment), secrets, task_policy_statements: statements };
}

/** The arguments a service and a job module share. */
function workloadArgs(shape: AwsShape, w: Workload): Record<string, HclValue | undefined> {
  const collection = workloadCollection(w);
  const entry = entryRef(collection, w.name);
  const a = (field: string) => arg(shape, collection, w.name, field);
  const { environment, secrets, task_policy_statements } = received(shape, w);
  return {
    source: `./modules/${w.type === "job" ? "job" : "service"}`,
    count: countOf(shape, workloadModule(w)),
    name: expr("local.name"),
    workload: w.name,
    image: a("image"),
    command: a("command"),
    migrations: w.type === "job" ? undefined : a("migrations"),
    port: a("port"),
    cpu: expr(`${entry}.cpu`),
    memory: expr(`${entry}.memory`),
    environment,
    secrets,
    health_check_path: a("health_check_path"),
    health_check: a("health_check"),
    read_only_root: a("read_only_root"),
    stop_timeout: w.type === "job" ? undefined : a("stop_timeout"),
    log_retention_days: expr("var.log_retention_days"),
    kms_key_arn: expr("module.kms.key_arn"),
    task_policy_statements,
    cluster_arn: expr("module.cluster.cluster_arn"),
    subnet_ids: expr("module.network.private_subnet_ids"),
    security_group_id: expr(`module.security.service_security_group_ids[${q(w.name)}]`),
  };
}

/**
 * Where the load balancer sends the service's requests (null for workers and internal services).
 * In `local.lb_targets`, which every environment evaluates, the hosts of a service the environment
 * does not run are none.
 */
function targetOf(shape: AwsShape, s: Workload, inLocal = false): HclValue | undefined {
  if (!shape.publicServices.some((p) => p.name === s.name)) return undefined;
  const a = (field: string) => {
    const v = arg(shape, "services", s.name, field);
    return inLocal && v instanceof Expr ? expr(`try(${v.text}, null)`) : v;
  };
  return {
    vpc_id: expr("module.network.vpc_id"),
    listener_arn: outputOf(shape, "load_balancer", "https_listener_arn"),
    load_balancer_arn_suffix: outputOf(shape, "load_balancer", "arn_suffix"),
    priority: a("listener_priority") ?? 100,
    hosts: expr(inLocal ? `lookup(local.alb_hosts, ${q(s.name)}, [])` : `local.alb_hosts[${q(s.name)}]`),
    paths: a("listener_paths") ?? [],
    health_check_path: a("target_health_check_path") ?? "/",
    deregistration_delay: a("deregistration_delay") ?? 5,
  };
}

/** Public services that some environment runs without a domain: the load balancer skips them there. */
const sometimesPrivate = (shape: AwsShape, s: Workload): boolean =>
  shape.publicServices.some((p) => p.name === s.name) &&
  envsWith(shape, workloadModule(s)).some((e) => {
    const x = e.services[s.name];
    return x?.type !== "http" || x.domains.length === 0;
  });

/** The targets of those services, in `local.lb_targets`: the call picks one where the service has hosts. */
export function conditionalTargets(shape: AwsShape): HclValue | undefined {
  const entries = shape.services
    .filter((s) => sometimesPrivate(shape, s))
    .map((s): [string, HclValue] => [s.name, targetOf(shape, s, true)!]);
  return entries.length ? Object.fromEntries(entries) : undefined;
}

function target(shape: AwsShape, s: Workload): HclValue | undefined {
  if (!sometimesPrivate(shape, s)) return targetOf(shape, s);
  return expr(`length(local.alb_hosts[${q(s.name)}]) > 0 ? local.lb_targets[${q(s.name)}] : null`);
}

export function workloadCalls(shape: AwsShape): Block[] {
  const services = shape.services.map((s) => {
    const ref = entryRef("services", s.name);
    return moduleCall(workloadModule(s), {
      ...workloadArgs(shape, s),
      desired_count: expr(`${ref}.desired_count`),
      min_count: expr(`${ref}.min_count`),
      max_count: expr(`${ref}.max_count`),
      cpu_target: expr(`${ref}.cpu_target`),
      memory_target: expr(`${ref}.memory_target`),
      service_connect: arg(shape, "services", s.name, "service_connect"),
      target: target(shape, s),
      alerts: expr(
        `{ for k, a in var.alerts : k => { metric = a.metric, above = a.above, minutes = a.minutes, severity = a.severity, channels = a.channels } if length(a.services) == 0 || contains(a.services, ${q(s.name)}) }`,
      ),
      alarm_topic_arns: expr("module.monitoring.topic_arns"),
      cluster_name: expr("module.cluster.cluster_name"),
    });
  });
  const jobs = shape.jobs.map((j) =>
    moduleCall(workloadModule(j), {
      ...workloadArgs(shape, j),
      schedule: arg(shape, "jobs", j.name, "schedule"),
      timezone: arg(shape, "jobs", j.name, "timezone"),
      retries: arg(shape, "jobs", j.name, "retries"),
    }),
  );
  return [...services, ...jobs];
}

/** `local.wired`: per workload, what only some environments give it (undefined when there is none). */
export function wiredLocal(shape: AwsShape): HclValue | undefined {
  const entries = [...shape.services, ...shape.jobs].flatMap((w): [string, HclValue][] => {
    const { partial } = wiringOf(shape, w);
    return hasPartial(wiringOf(shape, w))
      ? [
          [
            workloadModule(w),
            { environment: partial.environment, secrets: partial.secrets, statements: partial.statements },
          ],
        ]
      : [];
  });
  return entries.length ? Object.fromEntries(entries) : undefined;
}
