// What each environment of a generated spec must find in its own files, and where each target keeps
// an environment's values:
// - kubernetes: the chart's values.yaml merged with values-<env>.yaml (what Helm installs): a service
//   is enabled where it exists, with its command, schedule, env literals (exact, YAML 1.1 traps
//   included), ingress hosts and replica counts;
// - azure: parameters/<env>.bicepparam, the `<service>Config` parameter of each App Service or static
//   site (compute appservice: on AKS the chart deploys the services) and the PostgreSQL SKU;
// - aws: environments/<env>.tfvars (env literals, domains, instance counts, database classes); the
//   commands and schedules are in main.tf, shared by every environment (the target refuses
//   environments whose commands differ), so anywhere in the tree;
// - digitalocean: environments/<env>.tfvars (database sizes; the app itself is the Kubernetes chart);
// - github: deploy-<env>.yml (the environment's deploy, its smoke test of each public health path and
//   the build of its static sites with their env values).
// A value a target reports it cannot deploy (a positioned problem at that service or value) is not
// looked for.
import { parse } from "yaml";
import { camel } from "../src/targets/azure/names.js";
import { staticImageName } from "../src/targets/github/images.js";
import { mergeValues } from "../src/targets/kubernetes/chart.js";
import { quote } from "../src/format/bicep.js";
import type { AppModel, Size } from "../src/model/types.js";
import type { FileTree, Target, TargetProblem } from "../src/targets/target.js";
import { isPlain, type Plain } from "./spec-generator-schema.js";
import { kindOf, mapOf } from "./spec-generator-environments.js";

const MARKER = /\bmk[a-z2-9]{6}\b/;
const hasReference = (value: string) => /(?<!\$)\$\{[a-z][a-z0-9-]*\.[a-z_]+\}/.test(value);

/** One value an environment must receive. */
export interface Expected {
  env: string;
  /** The spec path it was written at (services.api.command). */
  path: string;
  service?: string;
  what: "present" | "absent" | "command" | "migrations" | "schedule" | "env" | "domains" | "scale" | "size";
  value: unknown;
}

/** Every value of every environment that a test can look for. */
export function expectations(base: Plain, environments: Record<string, Plain>): Expected[] {
  const out: Expected[] = [];
  for (const [env, spec] of Object.entries(environments)) {
    const services = mapOf(spec.services);
    for (const name of Object.keys(mapOf(base.services)))
      if (!(name in services))
        out.push({ env, path: `services.${name}`, service: name, what: "absent", value: name });
    for (const [name, raw] of Object.entries(services)) {
      if (!isPlain(raw)) continue;
      const at = (what: Expected["what"], key: string, value: unknown) =>
        out.push({ env, path: `services.${name}.${key}`, service: name, what, value });
      at("present", "type", kindOf(raw));
      if (typeof raw.command === "string") at("command", "command", raw.command);
      const migrations = isPlain(raw.migrations) ? raw.migrations.command : raw.migrations;
      if (typeof migrations === "string") at("migrations", "migrations", migrations);
      if (typeof raw.schedule === "string") at("schedule", "schedule", raw.schedule);
      for (const [k, v] of Object.entries(mapOf(raw.env)))
        if (typeof v === "string") at("env", `env.${k}`, { key: k, value: v.replaceAll("$${", "${") });
      if (raw.domain !== undefined) at("domains", "domain", [raw.domain].flat());
      if (typeof raw.scale === "number") at("scale", "scale", { min: raw.scale, max: raw.scale });
      else if (isPlain(raw.scale) && typeof raw.scale.min === "number" && typeof raw.scale.max === "number")
        at("scale", "scale", { min: raw.scale.min, max: raw.scale.max });
    }
    for (const engine of ["postgres", "redis"] as const)
      for (const [name, raw] of Object.entries(mapOf(spec[engine])))
        if (isPlain(raw) && typeof raw.size === "string")
          out.push({
            env,
            path: `${engine}.${name}.size`,
            what: "size",
            value: { engine, name, size: raw.size, raw },
          });
  }
  return out;
}

/** Where one target keeps what an environment receives. */
export interface Locator {
  /** Whether the environment's files have the value: true, false, or undefined (not this target's). */
  find(e: Expected, files: EnvFiles): boolean | undefined;
}

export interface EnvFiles {
  tree: FileTree;
  app: AppModel;
  target: Target;
  problems: TargetProblem[];
}

const contains = (text: string | undefined, what: string) => text !== undefined && text.includes(what);
/** Whether some file has `what`; undefined when there is nothing to look for. */
const anywhere = (tree: FileTree, what: string | undefined) =>
  what === undefined ? undefined : Object.values(tree).some((t) => t.includes(what));
const marker = (s: string) => MARKER.exec(s)?.[0];

/** Helm's values of one environment, parsed once per tree. */
const helmCache = new WeakMap<FileTree, Map<string, Plain>>();
function helmValues(tree: FileTree, env: string): Plain {
  let byEnv = helmCache.get(tree);
  if (!byEnv) helmCache.set(tree, (byEnv = new Map<string, Plain>()));
  let v = byEnv.get(env);
  if (!v) {
    const base = parse(tree["chart/values.yaml"]!) as Plain;
    v = mergeValues(base, (parse(tree[`chart/values-${env}.yaml`]!) as Plain | null) ?? {});
    byEnv.set(env, v);
  }
  return v;
}

const kubernetes: Locator = {
  find(e, { tree }) {
    const values = helmValues(tree, e.env);
    const svc = e.service ? mapOf(mapOf(values.services)[e.service]) : {};
    const words = (v: unknown) => (Array.isArray(v) ? v.join(" ") : "");
    switch (e.what) {
      case "present":
        return svc.enabled === true;
      case "absent":
        return svc.enabled !== true;
      case "command":
      case "migrations": {
        const m = marker(e.value as string);
        const command = e.what === "command" ? svc.command : mapOf(svc.migrations).command;
        return m === undefined ? undefined : contains(words(command), m);
      }
      case "schedule":
        return svc.schedule === e.value;
      case "env": {
        const { key, value } = e.value as { key: string; value: string };
        if (svc.type === "static") return undefined; // build time: the GitHub build has it
        if (!hasReference(value)) return mapOf(svc.config)[key] === value;
        // A reference resolves to text (the config), a key of the Secret, or a value Kubernetes composes.
        const lists = [svc.secretEnv, svc.composedEnv].flatMap((l) =>
          Array.isArray(l) ? (l as unknown[]) : [],
        );
        const given = [mapOf(svc.config)[key], ...lists.filter((g) => isPlain(g) && g.name === key)];
        const text = JSON.stringify(given.filter((g) => g !== undefined));
        return text !== "[]" && contains(text, marker(value) ?? "");
      }
      case "domains":
        return JSON.stringify(mapOf(svc.ingress).hosts) === JSON.stringify(e.value);
      case "scale": {
        if (svc.type === "static") return undefined;
        const { min, max } = e.value as { min: number; max: number };
        // Autoscaling where max > min (a warning says where min 0 becomes 1); a fixed count otherwise.
        const autoscaling = mapOf(svc.autoscaling);
        return max > min
          ? autoscaling.enabled === true && autoscaling.maxReplicas === max
          : svc.replicas === min;
      }
      default:
        return undefined;
    }
  },
};

/** The lines of `param <name> = {` up to its closing brace, in a .bicepparam file. */
function bicepParam(text: string | undefined, name: string): string | undefined {
  const start = text?.indexOf(`\nparam ${name} = `);
  if (text === undefined || start === undefined || start < 0) return undefined;
  const end = text.indexOf("\n}\n", start);
  return text.slice(start, end < 0 ? undefined : end);
}

const azure: Locator = {
  find(e, { tree, app, target, problems }) {
    const file = tree[`parameters/${e.env}.bicepparam`];
    if (e.what === "size") return sizeIn(e, target, file, { postgres: "Azure PostgreSQL" });
    if (app.targets.azure?.compute === "aks" || !e.service) return undefined;
    // A service some environment removes is deployed where `<id>Enabled` is true.
    const off = contains(file, `\nparam ${camel(e.service)}Enabled = false\n`);
    if (e.what === "absent") return file?.includes(`\nparam ${camel(e.service)}Config = `) ? off : undefined;
    if (e.what === "present") return !off;
    // App Service has no scheduled jobs: the target warns at the schedule and generates none.
    if (app.services[e.service]?.type === "job")
      return problems.some((p) => p.path === `services.${e.service}.schedule`) ? undefined : false;
    const block = bicepParam(file, `${camel(e.service)}Config`);
    switch (e.what) {
      case "command": {
        const m = marker(e.value as string);
        return m === undefined ? undefined : contains(block, m);
      }
      case "env": {
        // Plain values are app settings as written; a value with references is read from Key Vault.
        const { key, value } = e.value as { key: string; value: string };
        if (app.services[e.service]?.type === "static") return undefined; // build time: the GitHub build has it
        if (!hasReference(value)) return contains(block, `${key}: ${quote(value)}\n`);
        return contains(block, `${key}: `);
      }
      case "domains":
        return contains(block, `domain: '${(e.value as string[])[0]}'`);
      case "scale": {
        const { min, max } = e.value as { min: number; max: number };
        return contains(block, `minInstances: ${min}\n`) && contains(block, `maxInstances: ${max}\n`);
      }
      default:
        return undefined;
    }
  },
};

/** The block `<name> = {` of a map in a .tfvars file (two spaces in), up to its closing brace. */
function tfvarsEntry(text: string | undefined, name: string): string | undefined {
  const key = /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name}"`;
  const start = text?.indexOf(`\n  ${key} = {`);
  if (text === undefined || start === undefined || start < 0) return undefined;
  return text.slice(start, text.indexOf("\n  }\n", start));
}

const aws: Locator = {
  find(e, { tree, target, app }) {
    const file = tree[`environments/${e.env}.tfvars`];
    if (e.what === "size") return sizeIn(e, target, file, { postgres: "AWS RDS", redis: "AWS ElastiCache" });
    const entry = e.service ? tfvarsEntry(file, e.service) : undefined;
    switch (e.what) {
      case "command":
      case "migrations":
        return anywhere(tree, marker(e.value as string));
      case "schedule": {
        // EventBridge's six fields begin with the minute and the hour as written.
        const [minute, hour] = (e.value as string).split(" ");
        return anywhere(tree, `cron(${minute} ${hour} `);
      }
      case "env": {
        const { value } = e.value as { value: string };
        if (e.service && app.services[e.service]?.type === "static") return undefined; // the GitHub build has it
        // A value with references is put together in main.tf, the same for every environment.
        const m = marker(value);
        if (m === undefined) return undefined;
        return hasReference(value) ? anywhere(tree, m) : contains(entry, m);
      }
      case "domains":
        return (e.value as string[]).every((d) => contains(entry, `"${d}"`));
      case "scale": {
        const { min, max } = e.value as { min: number; max: number };
        return entry === undefined
          ? undefined
          : /min_count\s+= (\d+)/.exec(entry)?.[1] === String(min) &&
              /max_count\s+= (\d+)/.exec(entry)?.[1] === String(max);
      }
      default:
        return undefined;
    }
  },
};

const digitalocean: Locator = {
  find(e, { tree, target }) {
    return e.what === "size"
      ? sizeIn(e, target, tree[`environments/${e.env}.tfvars`], {
          postgres: "DigitalOcean",
          redis: "DigitalOcean",
        })
      : undefined;
  },
};

const github: Locator = {
  find(e, { tree, app }) {
    const deploy = Object.entries(tree).find(([f]) => f.endsWith(`deploy-${e.env}.yml`))?.[1];
    const svc = e.service ? app.services[e.service] : undefined;
    if (e.what === "present" && svc) {
      // Its image is built once in build.yml (static sites: there, once or per environment when they
      // have env, or per environment in the deploy).
      const build = tree["build.yml"];
      const image =
        svc.type === "static"
          ? !svc.build ||
            contains(build, `\n  build-${staticImageName(svc, e.env)}:\n`) ||
            contains(deploy, `Build ${svc.name}`)
          : !svc.build || contains(build, `- service: ${svc.name}\n`);
      return deploy !== undefined && image;
    }
    // A static site's env is given to its build command (none without one).
    if (e.what === "env" && svc?.type === "static" && svc.build) {
      const m = marker((e.value as { value: string }).value);
      return m === undefined ? undefined : contains(deploy, m) || contains(tree["build.yml"], m);
    }
    if (e.what === "domains" && svc?.type === "http" && svc.path === "/" && svc.health?.readiness)
      return contains(deploy, `https://${(e.value as string[])[0]}${svc.health.readiness}`);
    return undefined;
  },
};

/**
 * A managed data store's size, through the target's own column of docs/spec.md's size table (Azure's
 * Redis column is left out: a Basic size with `ha` is raised to Standard).
 */
function sizeIn(
  e: Expected,
  target: Target,
  file: string | undefined,
  headings: { postgres?: string; redis?: string },
): boolean | undefined {
  const { engine, size, raw } = e.value as { engine: "postgres" | "redis"; size: Size; raw: Plain };
  const column = (target.sizeColumns ?? []).find((c) => c.heading === headings[engine]);
  if (raw.hosting === "cluster" || !column) return undefined;
  const token = column.cell(size).split(" ")[0]!;
  return contains(file, `'${token}'`) || contains(file, `"${token}"`);
}

export const LOCATORS: Record<string, Locator> = { kubernetes, azure, aws, digitalocean, github };

/** Whether a problem of the target says it cannot deploy this value (or what holds it) in this environment. */
export function excused(e: Expected, problems: TargetProblem[]): boolean {
  return problems.some(
    (p) => (p.env === undefined || p.env === e.env) && (e.path === p.path || e.path.startsWith(`${p.path}.`)),
  );
}
