// What a workload receives in each environment (supply.ts says where each variable of the contract
// comes from) and what its code may call (buckets, topics), and how one main.tf gives each
// environment its own. What every environment that runs the workload gets alike is written in the
// module call, as for an app whose environments agree. Literal values are in the environment's
// tfvars (`environment`). What only some environments get (a database used only in staging, a
// secret only production names) is listed in `local.wired`, and the environment's tfvars names the
// entries it takes (`wired`): so each tfvars decides what its tasks receive.
import { call, expr, printExpression, tmpl, type Expr, type HclValue } from "../../format/hcl.js";
import type { PlatformVariable } from "../../model/contract-support.js";
import { workloadVariables } from "../../model/bindings.js";
import { bucketsUsed, topicsUsed } from "../../model/queries.js";
import type { AppModel } from "../../model/types.js";
import { tfName } from "../terraform/blocks.js";
import { entryRef, moduleName, q, workloadCollection, type Workload } from "./names.js";
import { countOf, moduleRef } from "./presence.js";
import { envsWith, type AwsShape } from "./shape.js";
import { supply, type ComposedSecret, type ModuleRef, type Piece, valueOf } from "./supply.js";

/** What only ECS gives a workload that uses topics: MSK Serverless, reached with IAM. */
const KAFKA = [
  {
    name: "KAFKA_BROKERS",
    source: "MSK Serverless bootstrap brokers (SASL/IAM over TLS, port 9098)",
    value: (ref: ModuleRef): Piece => expr(`${ref("kafka")}.bootstrap_brokers`),
  },
  { name: "KAFKA_SASL_MECHANISM", source: "AWS_MSK_IAM", value: (): Piece => "AWS_MSK_IAM" },
];

export function platformVariables(app: AppModel, w: Workload): PlatformVariable[] {
  return topicsUsed(app, w).length ? KAFKA.map(({ name, source }) => ({ name, source })) : [];
}

/** The module of a workload in the root: `service_api`, `job_cleanup`. */
export const workloadModule = (w: Workload): string =>
  w.type === "job" ? moduleName.job(w.name) : moduleName.service(w.name);

/** One variable as one environment gives it. */
type Given =
  /** A literal of the spec (`env`, the e-mail domain): always in the tfvars. */
  | { kind: "literal"; text: string }
  /** A value without references (the port, the service's name): main.tf's, or the tfvars' where it differs. */
  | { kind: "constant"; text: string }
  | { kind: "plain"; value: HclValue; pieces: Piece[] }
  | { kind: "secret"; value: HclValue; composed?: ComposedSecret };

/** The pieces of a variable's value where Terraform knows them (for commands), else undefined. */
export type Known = (name: string) => Piece[] | undefined;

/** What one environment's tfvars says of the workload's wiring. */
export interface EnvWiring {
  /** Literal values of the task's environment. */
  literals: Record<string, string>;
  /** Keys of `local.wired` this environment takes (names of variables, `s3:<bucket>` for grants). */
  wired: string[];
  /** Variable values in main.tf's terms, for a command main.tf writes for every environment. */
  known: Known;
  /** Variable values as text, for a command this environment's tfvars holds. */
  literal: Known;
}

export interface ComposedBlock {
  secret: ComposedSecret;
  count?: Expr;
}

export interface WorkloadWiring {
  environment: Record<string, HclValue>;
  secrets: Record<string, HclValue>;
  statements: HclValue[];
  /** What only some environments get, by key: `local.wired.<module>`. */
  partial: {
    environment: Record<string, HclValue>;
    secrets: Record<string, HclValue>;
    /** The IAM statements of each grant (`s3:<bucket>`, `kafka`, `kafka-write:<topics>`...). */
    statements: Record<string, HclValue>;
  };
  /** Whether a variable has two values with references in different environments (keys `NAME@<env>`). */
  variants: boolean;
  composed: ComposedBlock[];
  byEnv: Map<string, EnvWiring>;
}

const printed = (v: HclValue): string => printExpression(v);

function keyOf(g: Given): string {
  if (g.kind === "literal" || g.kind === "constant") return `${g.kind}:${g.text}`;
  const template = g.kind === "secret" && g.composed ? `|${printed(g.composed.pieces)}` : "";
  return `${g.kind}:${printed(g.value)}${template}`;
}

/** Every variable of the contract the workload receives in one environment, by name. */
function variablesIn(e: AppModel, w: Workload, ref: ModuleRef): Map<string, Given> {
  const out = new Map<string, Given>();
  for (const v of workloadVariables(e, w)) {
    const s = supply(e, w, v, ref);
    if (s.in === "tfvars") out.set(v.name, { kind: "literal", text: s.value });
    else if (s.in === "environment")
      out.set(
        v.name,
        s.pieces.every((p) => typeof p === "string")
          ? { kind: "constant", text: s.pieces.join("") }
          : { kind: "plain", value: valueOf(s.pieces), pieces: s.pieces },
      );
    else if (s.in === "secrets")
      out.set(v.name, {
        kind: "secret",
        value: s.valueFrom,
        ...(s.composed ? { composed: s.composed } : {}),
      });
  }
  for (const p of KAFKA.filter((k) => platformVariables(e, w).some((x) => x.name === k.name))) {
    const value = p.value(ref);
    out.set(
      p.name,
      typeof value === "string"
        ? { kind: "constant", text: value }
        : { kind: "plain", value, pieces: [value] },
    );
  }
  return out;
}

/** What the code may call in one environment, by grant: the buckets it uses, and MSK (connect, write its topics, read its subscriptions). */
function grantsIn(e: AppModel, w: Workload, ref: ModuleRef): Map<string, HclValue[]> {
  const out = new Map<string, HclValue[]>();
  for (const b of bucketsUsed(e, w)) {
    const m = ref(moduleName.bucket(b));
    out.set(`s3:${b}`, [
      {
        actions: ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        resources: [expr(`${m}.arn`), tmpl(`\${${m}.arn}/*`)],
      },
      { actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [expr("module.kms.key_arn")] },
    ]);
  }
  const topics = topicsUsed(e, w);
  if (!topics.length) return out;
  const kafka = ref("kafka");
  const topicArn = (t: string) => tmpl(`\${replace(${kafka}.cluster_arn, ":cluster/", ":topic/")}/${t}`);
  out.set("kafka", [
    {
      actions: ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"],
      resources: [expr(`${kafka}.cluster_arn`)],
    },
  ]);
  const pub = topics.filter((t) => w.uses.includes(t));
  const sub = w.type !== "job" ? topics.filter((t) => t in w.subscribes) : [];
  if (pub.length)
    out.set(`kafka-write:${pub.join(",")}`, [
      { actions: ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"], resources: pub.map(topicArn) },
    ]);
  if (sub.length)
    out.set(`kafka-read:${sub.join(",")}`, [
      { actions: ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"], resources: sub.map(topicArn) },
      {
        actions: ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
        resources: [tmpl(`\${replace(${kafka}.cluster_arn, ":cluster/", ":group/")}/*`)],
      },
    ]);
  return out;
}

const sortedKeys = <T>(r: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * A value of `local.wired`: Terraform evaluates all of it in every environment, also where what
 * it refers to is not there (a database or a secret that environment lacks), so it reads as empty
 * there; the environments that take it have it.
 */
const guarded = (v: HclValue, empty: HclValue): HclValue => call("try", v, empty);

const cache = new WeakMap<AwsShape, Map<string, WorkloadWiring>>();

/** The wiring of a workload in every environment that runs it (computed once per shape). */
export function wiringOf(shape: AwsShape, w: Workload): WorkloadWiring {
  let byShape = cache.get(shape);
  if (!byShape) cache.set(shape, (byShape = new Map<string, WorkloadWiring>()));
  const module = workloadModule(w);
  let wiring = byShape.get(module);
  if (!wiring) byShape.set(module, (wiring = analyse(shape, w)));
  return wiring;
}

function analyse(shape: AwsShape, w0: Workload): WorkloadWiring {
  const module = workloadModule(w0);
  const entry = entryRef(workloadCollection(w0), w0.name);
  const ref: ModuleRef = (m) => moduleRef(shape, m);
  const runs = envsWith(shape, module).map((e) => {
    const w = e.services[w0.name] as Workload;
    return { e, vars: variablesIn(e, w, ref), grants: grantsIn(e, w, ref) };
  });
  const out: WorkloadWiring = {
    environment: {},
    secrets: {},
    statements: [],
    partial: { environment: {}, secrets: {}, statements: {} },
    variants: false,
    composed: [],
    byEnv: new Map(
      runs.map(({ e }) => [
        e.environment.name,
        { literals: {}, wired: [], known: () => undefined, literal: () => undefined },
      ]),
    ),
  };
  const shared = new Map<string, Given>();
  const partialKey = new Map<string, Map<string, string>>();
  const names = [...new Set(runs.flatMap((r) => [...r.vars.keys()]))].sort();
  for (const name of names) {
    const given = runs.map((r) => r.vars.get(name));
    const first = given[0];
    if (first && first.kind !== "literal" && given.every((g) => g && keyOf(g) === keyOf(first))) {
      shared.set(name, first);
      continue;
    }
    const keys = new Map<string, string>();
    runs.forEach(({ e }, i) => {
      const g = given[i];
      const env = out.byEnv.get(e.environment.name)!;
      if (!g) return;
      if (g.kind === "literal" || g.kind === "constant") {
        env.literals[name] = g.text;
        return;
      }
      const k = keyOf(g);
      if (!keys.has(k)) keys.set(k, keys.size === 0 ? name : `${name}@${e.environment.name}`);
      env.wired.push(keys.get(k)!);
    });
    if (keys.size > 1) out.variants = true;
    partialKey.set(name, keys);
  }
  placeShared(shape, w0, shared, out);
  placePartial(shape, w0, runs, partialKey, out);
  placeGrants(runs, out);
  for (const { e } of runs) {
    const env = out.byEnv.get(e.environment.name)!;
    env.wired.sort();
    env.known = (name) => {
      if (name in env.literals) return [expr(`${entry}.environment[${q(name)}]`)];
      const g = shared.get(name);
      return g?.kind === "constant" ? [g.text] : g?.kind === "plain" ? g.pieces : undefined;
    };
    env.literal = (name) => {
      if (name in env.literals) return [env.literals[name]!];
      const g = shared.get(name);
      if (g?.kind === "constant") return [g.text];
      if (g?.kind !== "plain") return undefined;
      const pieces = g.pieces.map((p) =>
        typeof p !== "string" && p.text === "var.environment" ? e.environment.name : p,
      );
      return pieces.every((p) => typeof p === "string") ? pieces : undefined;
    };
  }
  out.environment = sortedKeys(out.environment);
  return out;
}

/**
 * A composed secret's block and how tasks read it: counted where not every environment has it,
 * named after the value's environment for a second value, and after the job where a service of
 * the same name has one too.
 */
function composedBlock(
  w0: Workload,
  shape: AwsShape,
  secret: ComposedSecret,
  suffix: string,
  count: Expr | undefined,
): { block: ComposedBlock; valueFrom: Expr } {
  const twin = w0.type === "job" && shape.services.some((s) => s.name === w0.name);
  const base = twin ? `job_${secret.resource}` : secret.resource;
  const resource = suffix ? `${base}_${tfName(suffix)}` : base;
  return {
    block: { secret: { ...secret, resource }, ...(count ? { count } : {}) },
    valueFrom: expr(`aws_secretsmanager_secret_version.${resource}${count ? "[0]" : ""}.arn`),
  };
}

function placeShared(shape: AwsShape, w0: Workload, shared: Map<string, Given>, out: WorkloadWiring): void {
  for (const [name, g] of shared) {
    if (g.kind === "constant") out.environment[name] = g.text;
    else if (g.kind === "plain") out.environment[name] = g.value;
    else if (g.kind === "secret" && g.composed) {
      const c = composedBlock(w0, shape, g.composed, "", countOf(shape, workloadModule(w0)));
      out.composed.push(c.block);
      out.secrets[name] = c.valueFrom;
    } else if (g.kind === "secret") out.secrets[name] = g.value;
  }
}

function placePartial(
  shape: AwsShape,
  w0: Workload,
  runs: { e: AppModel; vars: Map<string, Given> }[],
  partialKey: Map<string, Map<string, string>>,
  out: WorkloadWiring,
): void {
  const entry = entryRef(workloadCollection(w0), w0.name);
  for (const [name, keys] of partialKey) {
    for (const [k, key] of keys) {
      const g = runs.map((r) => r.vars.get(name)).find((x) => x && keyOf(x) === k)!;
      if (g.kind === "plain") out.partial.environment[key] = guarded(g.value, null);
      else if (g.kind === "secret" && g.composed) {
        const count = expr(`contains(try(${entry}.wired, []), ${q(key)}) ? 1 : 0`);
        const suffix = key === name ? "" : key.slice(name.length + 1);
        const c = composedBlock(w0, shape, g.composed, suffix, count);
        out.composed.push(c.block);
        out.partial.secrets[key] = guarded(c.valueFrom, null);
      } else if (g.kind === "secret") out.partial.secrets[key] = guarded(g.value, null);
    }
  }
}

/** Grants every environment gives alike in the call; the others in `local.wired`. */
function placeGrants(runs: { e: AppModel; grants: Map<string, HclValue[]> }[], out: WorkloadWiring): void {
  const keys = [...new Set(runs.flatMap((r) => [...r.grants.keys()]))];
  for (const key of keys) {
    const all = runs.map((r) => r.grants.get(key));
    if (all.every((g) => g !== undefined)) out.statements.push(...all[0]!);
    else {
      const statements = all.find((g) => g !== undefined)!;
      out.partial.statements[key] = guarded(statements, []);
      runs.forEach(({ e }, i) => {
        if (all[i]) out.byEnv.get(e.environment.name)!.wired.push(key);
      });
    }
  }
}

/** Whether any environment takes something of `local.wired` for the workload. */
export const hasPartial = (wiring: WorkloadWiring): boolean =>
  Object.keys(wiring.partial.environment).length > 0 ||
  Object.keys(wiring.partial.secrets).length > 0 ||
  Object.keys(wiring.partial.statements).length > 0;

/** The secrets Terraform composes from templates, for every workload. */
export function composedSecrets(shape: AwsShape): ComposedBlock[] {
  return [...shape.services, ...shape.jobs].flatMap((w) => wiringOf(shape, w).composed);
}
