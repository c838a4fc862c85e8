// Root inputs that follow from what each environment runs: the secrets to create, who may reach
// whom (the security groups), the topics. When every environment agrees, main.tf holds them as it
// always did; when they differ, they are root variables each environment's tfvars sets.
import { expr, printExpression, type HclValue } from "../../format/hcl.js";
import { isWorkload, postgresUsed, redisUsed, topicsUsed } from "../../model/queries.js";
import type { AppModel } from "../../model/types.js";
import type { VariableSpec } from "../terraform/blocks.js";
import { secretNames } from "../terraform/values.js";
import type { Workload } from "./names.js";
import { isPartial } from "./presence.js";
import { publicIn, type AwsShape } from "./shape.js";
import { drilledIn } from "./drill-module.js";

/** The workloads an environment runs, services first, in the shape's order. */
function workloadsIn(shape: AwsShape, e: AppModel): Workload[] {
  return [...shape.services, ...shape.jobs].flatMap((w0) => {
    const w = e.services[w0.name];
    return w && isWorkload(w) && w.type === w0.type ? [w] : [];
  });
}

const security = new WeakMap<AwsShape, Map<AppModel, Record<string, HclValue>>>();

/** Who may reach whom in one environment: the security module's input (computed once). */
export function securityIn(shape: AwsShape, e: AppModel): Record<string, HclValue> {
  let byEnv = security.get(shape);
  if (!byEnv) security.set(shape, (byEnv = new Map<AppModel, Record<string, HclValue>>()));
  let value = byEnv.get(e);
  if (!value) byEnv.set(e, (value = securityOf(shape, e)));
  return value;
}

function securityOf(shape: AwsShape, e: AppModel): Record<string, HclValue> {
  const workloads = workloadsIn(shape, e);
  const publicNames = publicIn(e).map((s) => s.name);
  const names = (pick: (w: Workload) => boolean) => workloads.filter(pick).map((w) => w.name);
  // With one database, a workload that names a secret such as DATABASE_URL reaches it too.
  const onePg = Object.keys(e.postgres).length === 1;
  const datastores: Record<string, HclValue> = {};
  for (const p of Object.keys(e.postgres))
    datastores[`postgres-${p}`] = {
      port: 5432,
      clients: names(
        (w) => postgresUsed(e, w).includes(p) || (onePg && w.secrets.some((s) => /DATABASE/.test(s))),
      ),
    };
  for (const r of Object.keys(e.redis))
    datastores[`redis-${r}`] = { port: 6379, clients: names((w) => redisUsed(e, w).includes(r)) };
  if (Object.keys(e.topics).length)
    datastores.kafka = { port: 9098, clients: names((w) => topicsUsed(e, w).length > 0) };
  const services = workloads.map((w): [string, HclValue] =>
    w.type === "job"
      ? [w.name, { port: 0, public: false, internal: false }]
      : [
          w.name,
          {
            port: w.port ?? 0,
            public: publicNames.includes(w.name),
            internal: w.type === "http" && !!w.port,
          },
        ],
  );
  return {
    with_load_balancer: publicNames.length > 0,
    services: Object.fromEntries(services),
    datastores,
  };
}

const agree = (shape: AwsShape, value: (e: AppModel) => HclValue): boolean =>
  new Set(shape.envs.map((e) => printExpression(value(e)))).size <= 1;

/** The security module's arguments: main.tf's, or the tfvars' `security` where environments differ. */
export function securityArgs(shape: AwsShape): Record<string, HclValue> {
  if (agree(shape, (e) => securityIn(shape, e))) return securityIn(shape, shape.app);
  return {
    with_load_balancer: expr("var.security.with_load_balancer"),
    services: expr("var.security.services"),
    datastores: expr("var.security.datastores"),
  };
}

/** The Secrets Manager entries to create: main.tf's list, or the tfvars' where environments differ. */
export function secretNamesArg(shape: AwsShape): HclValue {
  return agree(shape, (e) => secretNames([e])) ? shape.secrets : expr("var.secret_names");
}

/** The root variables an app needs when its environments differ in these. */
export function rootVariables(shape: AwsShape): Record<string, VariableSpec> {
  const vars: Record<string, VariableSpec> = {};
  if (!agree(shape, (e) => secretNames([e])))
    vars.secret_names = {
      type: "list(string)",
      description: "The secrets the workloads of this environment read: one Secrets Manager entry each.",
    };
  if (!agree(shape, (e) => securityIn(shape, e)))
    vars.security = {
      type: "object({ with_load_balancer = bool, services = map(object({ port = number, public = bool, internal = bool })), datastores = map(object({ port = number, clients = list(string) })) })",
      description:
        "Who may reach whom in this environment: its workloads (port, reached through the load balancer, reached by the others), its data stores and the workloads that connect to each.",
    };
  if (isPartial(shape, "kafka"))
    vars.topics = {
      type: "list(string)",
      description:
        "Topics of this environment: MSK Serverless runs where there are any (the README shows how to create them).",
    };
  if (drilledIn(shape.envs))
    vars.dr_drill = {
      type: "bool",
      description:
        "Whether this is the environment dr-drill.yml restores: its security groups, check task, password secret and GitHub role.",
      default: false,
    };
  return vars;
}

/** This environment's values of those variables. */
export function rootTfvars(shape: AwsShape, e: AppModel): Record<string, HclValue> {
  const vars = rootVariables(shape);
  const values: Record<string, HclValue> = {};
  if (vars.secret_names) values.secret_names = secretNames([e]);
  if (vars.security) values.security = securityIn(shape, e);
  if (vars.topics) values.topics = Object.keys(e.topics);
  if (vars.dr_drill) values.dr_drill = drilledIn(shape.envs)?.environment.name === e.environment.name;
  return values;
}
