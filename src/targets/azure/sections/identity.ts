// The Key Vault of the environment, and the role that lets the compute's identities read secrets
// (Key Vault Secrets User). The registry they pull from is shared by every environment (./shared.ts).
import type { Ctx } from "./context.js";
import { callModule, output, outputOf, param, type Part } from "./part.js";

/**
 * The vault, readable by the given identities. Its firewall lets every network through (access is
 * RBAC only): Microsoft's Key Vault references guide (learn.microsoft.com/azure/app-service/
 * app-service-key-vault-references, "Access network-restricted vaults") says a vault must not rely on
 * an app's public outbound addresses, since a reference may be resolved from another address, but
 * on a virtual network the app is integrated with, which is not in the type data Gantry validates.
 */
export function keyVaultPart(c: Ctx, { secretReaders }: Pick<Part, "secretReaders">): Partial<Part> {
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
    networkDefaultAction: "Allow",
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
