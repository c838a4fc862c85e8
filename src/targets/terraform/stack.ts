// The one recipe both Terraform targets fill in. A stack is a root module that serves every
// environment (the app's shape is the same in each) plus one tfvars file and one backend
// configuration per environment (what differs), and child modules under modules/. The recipe
// writes everything the targets share: versions.tf, backend.tf, the `project` and `environment`
// variables, the `local.name` prefix, the headers, the module folders and the README's frame. A
// target supplies only its provider, resources and values.
import { Block, printAttributeFile, tmpl, type HclFile, type HclValue } from "../../format/hcl.js";
import type { AppModel } from "../../model/types.js";
import type { SynthContext } from "../target.js";
import {
  file,
  locals,
  terraformBlock,
  variable,
  type TerraformProject,
  type VariableSpec,
} from "./blocks.js";
import { moduleFiles, regenerateWith, type ModuleSpec, type ProviderSpec } from "./module.js";
import { stackReadme, type StackReadme } from "./readme.js";

export const TOFU_VERSION = ">= 1.10.0";

export interface Stack {
  /** The `gantry synth` target that writes the tree (named in headers and the README). */
  target: string;
  /** The OpenTofu/Terraform versions the stack needs, when above TOFU_VERSION. */
  requiredVersion?: string;
  provider: ProviderSpec;
  backend: StackBackend;
  /** Root variables after `project` and `environment`, which every stack has. */
  variables: Record<string, VariableSpec>;
  main: StackMain;
  outputs: Block[];
  /** In the order of the spec; the first one's app gives `project` its default. */
  environments: StackEnvironment[];
  modules: ModuleSpec[];
  readme: StackReadme;
}

/** State in an S3-compatible bucket: backend.tf holds what is fixed, each environment the rest. */
export interface StackBackend {
  /** Header of backend.tf: where state lives and how `tofu init` finds the environment's part. */
  summary: readonly string[];
  /** Attributes of the `backend "s3"` block. */
  settings: Record<string, HclValue>;
  /** Who stores the state ("S3", "Spaces"), named in each environments/<env>.s3.tfbackend. */
  store: string;
}

export interface StackMain {
  /** Provider configuration blocks, first in main.tf. */
  providers: Block[];
  /** `local.*` values after `name` (the `<project>-<environment>` prefix every module takes). */
  locals: Record<string, HclValue>;
  /** Data sources and module calls, in order. */
  blocks: Block[];
}

export interface StackEnvironment {
  app: AppModel;
  /** environments/<env>.tfvars after `environment`, in order; undefined values are left out. */
  values: Record<string, HclValue | undefined>;
  /** The state bucket, and the backend settings besides bucket and key (region, endpoints). */
  state: { bucket: string; settings: Record<string, HclValue> };
}

/** The typed project of a stack: every .tf and .tfvars file, the backend configurations, the README. */
export function buildStack(stack: Stack, ctx: SynthContext): TerraformProject {
  const hcl: Record<string, HclFile> = {
    "versions.tf": file([
      terraformBlock(stack.requiredVersion ?? TOFU_VERSION, {
        [stack.provider.name]: { source: stack.provider.source, version: stack.provider.version },
      }),
    ]),
    "backend.tf": backendFile(stack.backend),
    "variables.tf": file(
      Object.entries({ ...commonVariables(stack.environments), ...stack.variables }).map(([k, spec]) =>
        variable(k, spec),
      ),
    ),
    "main.tf": rootMain(stack),
    "outputs.tf": file(stack.outputs),
  };
  const text: Record<string, string> = {};
  for (const env of stack.environments) {
    const name = env.app.environment.name;
    hcl[`environments/${name}.tfvars`] = tfvarsFile(env);
    text[`environments/${name}.s3.tfbackend`] = printAttributeFile(
      `${stack.backend.store} backend of one environment: tofu init -backend-config=<this file>`,
      { bucket: env.state.bucket, key: `${env.app.name}/${name}/terraform.tfstate`, ...env.state.settings },
    );
  }
  for (const m of stack.modules) Object.assign(hcl, moduleFiles(m, stack.provider, stack.target));
  text["README.md"] = stackReadme(stack.readme, stack.modules, stack.target, ctx);
  return { hcl, text };
}

function backendFile(backend: StackBackend): HclFile {
  return file([s3Backend(backend.settings)], backend.summary);
}

/** `terraform { backend "s3" { ... } }` with the given settings. */
export function s3Backend(settings: Record<string, HclValue>): Block {
  const attrs = Object.entries(settings).map(([name, value]) => ({ kind: "attr" as const, name, value }));
  return new Block("terraform", [], [{ kind: "block", block: new Block("backend", ["s3"], attrs) }]);
}

function commonVariables(envs: readonly StackEnvironment[]): Record<string, VariableSpec> {
  const names = envs.map((e) => e.app.environment.name);
  return {
    project: {
      type: "string",
      description: "Name of the app (the spec's name).",
      default: envs[0]!.app.name,
    },
    environment: {
      type: "string",
      description: "Environment this state holds.",
      validations: [
        {
          condition: `contains([${names.map((n) => JSON.stringify(n)).join(", ")}], var.environment)`,
          error_message: `environment must be one of: ${names.join(", ")}.`,
        },
      ],
    },
  };
}

function rootMain(stack: Stack): HclFile {
  const { providers, locals: values, blocks } = stack.main;
  return file(
    [...providers, locals({ name: tmpl("${var.project}-${var.environment}"), ...values }), ...blocks],
    [
      "The root module: wires the modules under modules/ for one environment (environments/<env>.tfvars).",
      regenerateWith(stack.target),
    ],
  );
}

function tfvarsFile(env: StackEnvironment): HclFile {
  const { name, tier } = env.app.environment;
  const values: Record<string, HclValue | undefined> = { environment: name, ...env.values };
  return {
    header: [`Values of the ${name} environment (${tier}). Generated by Gantry from the application spec.`],
    items: Object.entries(values).flatMap(([k, value]) =>
      value === undefined ? [] : [{ kind: "attr" as const, name: k, value }],
    ),
  };
}
