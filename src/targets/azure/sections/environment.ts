// The environment's own parameters (name, code, region, resource group, tags), the variables every
// resource name uses (the suffix, the Key Vault's name), the resource group everything is deployed
// into, and its name as the first output.
import { call, member, ref, str, type BicepResource, type BicepVar } from "../../../format/bicep.js";
import { API } from "../api.js";
import { environmentCodes, slug } from "../names.js";
import { locationOf } from "../decisions.js";
import type { BaseContext, MainRefs } from "./context.js";
import { output, param, type Part } from "./part.js";

export function environmentPart(c: BaseContext): { part: Partial<Part>; refs: MainRefs } {
  const { envs } = c;
  const codes = environmentCodes(envs);
  const name = param(
    envs,
    "environmentName",
    "string",
    "Name of the environment.",
    (m) => m.environment.name,
    {
      allowed: envs.map((m) => m.environment.name),
    },
  );
  const code = param(
    envs,
    "environmentCode",
    "string",
    "Short code of the environment in resource names.",
    (m) => codes.get(m.environment.name)!,
    { minLength: 1, maxLength: 6 },
  );
  const location = param(envs, "location", "string", "Azure region of the environment.", locationOf);
  const rgName = param(
    envs,
    "resourceGroupName",
    "string",
    "Resource group of the environment.",
    (m) => m.environment.resource_group,
    { minLength: 1, maxLength: 90 },
  );
  const tags = param(
    envs,
    "tags",
    "object",
    "Tags on every resource (Environment, Project, Owner, CostCenter...).",
    (m) => Object.fromEntries(Object.entries(m.tags).sort(([a], [b]) => a.localeCompare(b))),
  );
  const suffix: BicepVar = {
    name: "suffix",
    description:
      "Makes globally unique names unique per subscription and resource group, and the same on every run.",
    value: call("take", call("uniqueString", member(call("subscription"), "id"), rgName.ref), 6),
  };
  const keyVaultName: BicepVar = {
    name: "keyVaultName",
    description: "Name of the environment's Key Vault (3-24 characters).",
    value: str`kv-${slug(c.project.name, 7)}-${code.ref}-${ref(suffix.name)}`,
  };
  const rg: BicepResource = {
    symbol: "rg",
    type: API.resourceGroup[0],
    apiVersion: API.resourceGroup[1],
    description: "The environment's resource group: everything below is deployed into it.",
    body: { name: rgName.ref, location: location.ref, tags: tags.ref },
  };
  return {
    part: {
      params: [name, code, location, rgName, tags],
      vars: [suffix, keyVaultName],
      resources: [rg],
      outputs: [
        output(
          "resourceGroupName",
          "string",
          "Resource group of the environment.",
          member(ref(rg.symbol), "name"),
        ),
      ],
    },
    refs: {
      environmentName: name.ref,
      resourceGroupName: rgName.ref,
      code: code.ref,
      location: location.ref,
      tags: tags.ref,
      suffix: ref(suffix.name),
      keyVaultName: ref(keyVaultName.name),
    },
  };
}
