// `gantry env`: the variables a service receives on a target, what each is bound to and where its
// value comes from there. Never a value that could be a secret: the contract says what, not the value.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { describeBinding, workloadVariables } from "../model/bindings.js";
import { isWorkload } from "../model/queries.js";
import type { AppModel, JobModel, ServiceModel } from "../model/types.js";
import { localContract } from "../engine/local/contract.js";
import { formatProblem, sortProblems, UserError } from "../errors.js";
import type { ContractSupport } from "../model/contract-support.js";
import { findTarget, TARGETS } from "../targets/registry.js";
import { didYouMean } from "../spec/check-schema.js";
import { table } from "./format.js";
import type { Io } from "./main.js";
import { locateSpec, readSpec } from "./spec-file.js";
import { synthContext, targetProblems } from "./synth.js";

export interface EnvVariable {
  name: string;
  source: string;
  /** Where the value comes from on the target. */
  from: string;
  secret: boolean;
  platform: boolean;
  /** Set by the platform when the app runs, not by a generated file. */
  runtime: boolean;
  /** Why the target cannot supply it (the target's checks report it too). */
  missing?: string;
}

export interface EnvListing {
  service: string;
  environment: string;
  target: string;
  variables: EnvVariable[];
}

const DEPLOY_TARGETS = TARGETS.filter((t) => t.contract).map((t) => t.name);

function support(target: string): ContractSupport {
  if (target === "local") return localContract;
  const t = findTarget(target);
  if (t?.contract) return t.contract;
  const names = ["local", ...DEPLOY_TARGETS];
  const guess = didYouMean(target, names);
  throw new UserError(
    `unknown target \`${target}\``,
    guess ? `did you mean \`${guess}\`?` : `targets: ${names.join(", ")}`,
  );
}

/** The variables of one workload on one target: the contract's, then the platform's own. */
export function envOnTarget(app: AppModel, w: ServiceModel | JobModel, target: string): EnvListing {
  const s = support(target);
  const variables: EnvVariable[] = workloadVariables(app, w).map((v) => {
    const missing = s.missing?.(app, w, v);
    return {
      name: v.name,
      source: describeBinding(v.binding),
      from: missing ? "not supplied" : s.origin(app, w, v),
      secret: v.secret,
      platform: false,
      runtime: s.atRuntime?.(app, w, v.name) ?? false,
      ...(missing ? { missing } : {}),
    };
  });
  for (const p of s.platformVariables(app, w))
    variables.push({
      name: p.name,
      source: p.source,
      from: p.source,
      secret: false,
      platform: true,
      runtime: s.atRuntime?.(app, w, p.name) ?? false,
    });
  variables.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { service: w.name, environment: app.environment.name, target, variables };
}

/** One positional argument is a path when it names a file or directory, else a service. */
function splitArgs(first: string | undefined, second: string | undefined, cwd: string) {
  if (second !== undefined) return { service: first, path: second };
  if (first !== undefined && existsSync(resolve(cwd, first))) return { service: undefined, path: first };
  return { service: first, path: undefined };
}

function workloadsOf(app: AppModel, service: string | undefined): (ServiceModel | JobModel)[] {
  const all = Object.values(app.services).filter(isWorkload);
  if (service === undefined) return all;
  const w = all.find((s) => s.name === service);
  if (w) return [w];
  if (app.services[service])
    throw new UserError(`${service} is a static frontend: it runs no process and receives no variables`);
  const guess = didYouMean(
    service,
    all.map((s) => s.name),
  );
  throw new UserError(
    `${app.environment.name} has no service \`${service}\``,
    guess
      ? `did you mean \`${guess}\`?`
      : `services that run: ${all.map((s) => s.name).join(", ") || "none"}`,
  );
}

function printText(envs: EnvListing[], io: Io): void {
  envs.forEach((e, i) => {
    io.out(`${i ? "\n" : ""}${e.service} in ${e.environment} on ${e.target}\n`);
    const rows = [["  VARIABLE", "BOUND TO", "VALUE FROM", ""]];
    for (const v of e.variables)
      rows.push([
        `  ${v.name}`,
        v.platform ? `(${e.target} only)` : v.source,
        v.from,
        v.secret ? "secret" : "",
      ]);
    io.out(table(rows));
  });
}

export function registerEnv(program: Command, io: Io): void {
  program
    .command("env")
    .description(
      "List the variables a service receives on a target, what each is bound to and where it comes from.",
    )
    .argument("[service]", "the service (default: every service that runs a process)")
    .argument("[path]", "gantry.yaml, or the directory that holds it", undefined)
    .option("-e, --env <name>", "environment (default: the spec's first)")
    .option("-t, --target <name>", `where it runs: local, ${DEPLOY_TARGETS.join(", ")}`, "local")
    .option("--json", "print JSON")
    .action(
      async (
        a: string | undefined,
        b: string | undefined,
        opts: { env?: string; target: string; json?: boolean },
      ) => {
        const { service, path } = splitArgs(a, b, io.cwd);
        const loc = locateSpec(path, io.cwd);
        const loaded = readSpec(loc, opts.env);
        const { project } = loaded;
        for (const w of loaded.warnings) io.err(`${formatProblem(w)}\n`);
        const app = project.environments[0]!;
        const envs = workloadsOf(app, service).map((w) => envOnTarget(app, w, opts.target));
        // What this target cannot supply is a positioned problem of the target's own checks.
        const t = findTarget(opts.target);
        if (t) {
          const mine = targetProblems(t, loaded, await synthContext(loc)).filter((p) =>
            p.path.startsWith("services.")
              ? service === undefined || p.path.startsWith(`services.${service}`)
              : true,
          );
          for (const p of sortProblems(mine)) io.err(`${formatProblem(p)}\n`);
        }
        if (opts.json) io.out(`${JSON.stringify(envs.length === 1 ? envs[0] : envs, null, 2)}\n`);
        else printText(envs, io);
      },
    );
}
