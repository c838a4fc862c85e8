// The Key Vault of the environment, and the role that lets the compute's identities read secrets
// (Key Vault Secrets User). The registry they pull from is shared by every environment (./shared.ts).
import { call } from "../../../format/bicep.js";
import type { Ctx } from "./context.js";
import { callModule, output, outputOf, param, type Part } from "./part.js";

/** The vault, open to the given outbound addresses (App Service) and readable by the given identities. */
export function keyVaultPart(
  c: Ctx,
  { secretReaders, outboundIps }: Pick<Part, "secretReaders" | "outboundIps">,
): Partial<Part> {
  const purgeProtection = param(
    c.envs,
    "keyVaultPurgeProtection",
    "bool",
    "Purge protection on the Key Vault (production).",
    (m) => m.environment.tier === "production",
  );
  const vault = callModule("keyVault", "key-vault", "Key Vault of the environment's secrets.", {
    name: c.keyVaultName,
    location: c.location,
    tags: c.tags,
    enablePurgeProtection: purgeProtection.ref,
    networkDefaultAction: c.compute === "appservice" ? "Deny" : "Allow",
    allowedIpAddresses:
      outboundIps.length === 0
        ? []
        : call("union", ...(outboundIps.length === 1 ? [outboundIps[0]!, []] : outboundIps)),
    workspaceId: outputOf("logAnalytics", "id"),
  });
  const access = callModule(
    "keyVaultAccess",
    "key-vault-access",
    c.compute === "aks"
      ? "Key Vault Secrets User for the cluster's secrets provider."
      : "Key Vault Secrets User for every app identity (slots included).",
    { keyVaultName: outputOf("keyVault", "name"), principalIds: secretReaders },
  );
  return {
    params: [purgeProtection],
    modules: secretReaders.length ? [vault, access] : [vault],
    outputs: [
      output(
        "keyVaultName",
        "string",
        "Name of the Key Vault (set the operator secrets here).",
        outputOf("keyVault", "name"),
      ),
    ],
  };
}
