// What a section of main.bicep contributes. Each section (environment, monitoring, App Services,
// data stores, DNS, alerts...) is a function from the context to a `Part`: the parameters it declares
// with their value in every environment, the modules it calls, its outputs, the facts the runbook and
// the pipelines read, and what it hands to later sections (identities, addresses, DNS records, tests).
// ../main.ts joins the parts in template order; no section writes into another's.
import {
  member,
  ref,
  type BicepExprNode,
  type BicepModule,
  type BicepObject,
  type BicepOutput,
  type BicepParam,
  type BicepResource,
  type BicepType,
  type BicepTypeDecl,
  type BicepValue,
  type BicepVar,
} from "../../../format/bicep.js";
import type { AppModel } from "../../../model/types.js";
import type { ModuleName } from "../modules/index.js";

/** A parameter of main.bicep with its value in each environment (by environment name). */
export interface EnvParam {
  decl: BicepParam;
  values: ReadonlyMap<string, BicepValue>;
  /** The expression that reads it in main.bicep. */
  ref: BicepExprNode;
}

export interface DeployVariable {
  name: string;
  description: string;
  required: boolean;
  /** The environments whose deployment stops when it is empty (the pipeline checks it first); none: never. */
  envs?: string[];
}

/** A service reading a secret that operators set in Key Vault. */
export interface SecretUse {
  envVar: string;
  service: string;
}

/** A Key Vault secret the deployment writes itself. */
export interface ManagedSecret {
  secret: string;
  what: string;
}

export interface Part {
  params: EnvParam[];
  /** Parameters with a default that main.bicep declares last and the parameter files leave out. */
  fixedParams: BicepParam[];
  /** Object types of grouped parameters; a type repeats once per group that uses it. */
  types: BicepTypeDecl[];
  vars: BicepVar[];
  resources: BicepResource[];
  modules: BicepModule[];
  outputs: BicepOutput[];
  /** Environment variables the parameter files read at deployment; the first description of a name wins. */
  deployVariables: DeployVariable[];
  secretUses: SecretUse[];
  managedSecrets: ManagedSecret[];
  appServices: string[];
  staticSites: string[];
  // Handed to later sections:
  /** Identities that read Key Vault secrets ('' entries are skipped by the role assignment). */
  secretReaders: BicepValue[];
  /** Identities that pull images from the registry. */
  imagePullers: BicepValue[];
  cnameRecords: BicepValue[];
  txtRecords: BicepValue[];
  /** Module calls that need their DNS records first: the DNS section places them after the records. */
  domainModules: BicepModule[];
  /** Availability tests ({name, url}). */
  webTests: BicepValue[];
}

/** The parts of several sections, in order. */
export function joinParts(...parts: Partial<Part>[]): Part {
  return {
    params: parts.flatMap((p) => p.params ?? []),
    fixedParams: parts.flatMap((p) => p.fixedParams ?? []),
    types: parts.flatMap((p) => p.types ?? []),
    vars: parts.flatMap((p) => p.vars ?? []),
    resources: parts.flatMap((p) => p.resources ?? []),
    modules: parts.flatMap((p) => p.modules ?? []),
    outputs: parts.flatMap((p) => p.outputs ?? []),
    deployVariables: parts.flatMap((p) => p.deployVariables ?? []),
    secretUses: parts.flatMap((p) => p.secretUses ?? []),
    managedSecrets: parts.flatMap((p) => p.managedSecrets ?? []),
    appServices: parts.flatMap((p) => p.appServices ?? []),
    staticSites: parts.flatMap((p) => p.staticSites ?? []),
    secretReaders: parts.flatMap((p) => p.secretReaders ?? []),
    imagePullers: parts.flatMap((p) => p.imagePullers ?? []),
    cnameRecords: parts.flatMap((p) => p.cnameRecords ?? []),
    txtRecords: parts.flatMap((p) => p.txtRecords ?? []),
    domainModules: parts.flatMap((p) => p.domainModules ?? []),
    webTests: parts.flatMap((p) => p.webTests ?? []),
  };
}

/** A parameter whose value `value` computes for each environment. */
export function param(
  envs: readonly AppModel[],
  name: string,
  type: BicepParam["type"],
  description: string,
  value: (m: AppModel) => BicepValue,
  extra: Partial<BicepParam> = {},
): EnvParam {
  return {
    decl: { name, type, description, ...extra },
    values: new Map(envs.map((m) => [m.environment.name, value(m)])),
    ref: ref(name),
  };
}

export interface Field {
  type: BicepType;
  description: string;
  value: (m: AppModel) => BicepValue;
}

export const field = (type: BicepType, description: string, value: (m: AppModel) => BicepValue): Field => ({
  type,
  description,
  value,
});

/**
 * One object parameter of a declared type that groups the settings of one resource, so that an app
 * with many services stays within Resource Manager's 256 parameters per template. Every resource of
 * a type has the same fields; the type's descriptions are those of the first.
 */
export function paramGroup<F extends Record<string, Field>>(
  envs: readonly AppModel[],
  name: string,
  type: { name: string; description: string },
  description: string,
  fields: F,
): { param: EnvParam; type: BicepTypeDecl; fields: { [K in keyof F]: BicepExprNode } } {
  const entries = Object.entries(fields);
  const value = (m: AppModel): BicepObject => Object.fromEntries(entries.map(([k, f]) => [k, f.value(m)]));
  const refs = Object.fromEntries(entries.map(([k]) => [k, member(ref(name), k)]));
  return {
    param: param(envs, name, type.name, description, value),
    type: {
      name: type.name,
      description: type.description,
      fields: entries.map(([k, f]) => ({ name: k, type: f.type, description: f.description })),
    },
    fields: refs as { [K in keyof F]: BicepExprNode },
  };
}

/** A call of one of the modules (../modules) in the resource group; its symbol is also its deployment name. */
export function callModule(
  symbol: string,
  name: ModuleName,
  description: string,
  params: BicepObject,
  extra: Partial<BicepModule> = {},
): BicepModule {
  return {
    symbol,
    path: `modules/${name}.bicep`,
    name: symbol,
    description,
    scope: ref("rg"),
    params,
    ...extra,
  };
}

/** An output of a module called in main.bicep. */
export const outputOf = (symbol: string, key: string): BicepExprNode => member(ref(symbol), "outputs", key);

export const output = (
  name: string,
  type: BicepOutput["type"],
  description: string,
  value: BicepValue,
): BicepOutput => ({ name, type, description, value });
