// Modules of the Key Vault: the vault itself (RBAC, soft delete, network rules, audit logs), the
// role assignment that lets identities read its secrets, and the secrets the deployment composes.
import { call, forEach, index, member, ref, ternary, type BicepFile } from "../../../format/bicep.js";
import { ROLES } from "../api.js";
import { LOCATION, TAGS, existing, file, location, out, p, res, roleAssignments, tags } from "./kit.js";

export function keyVaultModule(): BicepFile {
  return file(
    "Key Vault with RBAC authorization, soft delete, purge protection in production, network rules and audit logs.",
    {
      params: [
        p("name", "string", "Name of the vault (globally unique).", { minLength: 3, maxLength: 24 }),
        LOCATION,
        TAGS,
        p(
          "enablePurgeProtection",
          "bool",
          "Purge protection: deleted secrets cannot be purged before the retention ends (production).",
        ),
        p("softDeleteRetentionInDays", "int", "Days a deleted vault or secret can be recovered.", {
          minValue: 7,
          maxValue: 90,
          default: 90,
        }),
        p(
          "networkDefaultAction",
          "string",
          "Deny: only the listed addresses and trusted Azure services reach the vault.",
          { allowed: ["Allow", "Deny"], default: "Deny" },
        ),
        p(
          "allowedIpAddresses",
          "array",
          "Public IP addresses allowed through the firewall (the apps' outbound addresses).",
          { default: [] },
        ),
        p("workspaceId", "string", "Log Analytics workspace that receives the audit logs."),
      ],
      vars: [],
      resources: [
        res("vault", "keyVault", {
          name: ref("name"),
          location,
          tags,
          properties: {
            tenantId: member(call("tenant"), "tenantId"),
            sku: { family: "A", name: "standard" },
            enableRbacAuthorization: true,
            enableSoftDelete: true,
            softDeleteRetentionInDays: ref("softDeleteRetentionInDays"),
            // Purge protection cannot be turned off once on, so it is left unset (not false) elsewhere.
            enablePurgeProtection: ternary(ref("enablePurgeProtection"), true, null),
            enabledForDeployment: false,
            enabledForDiskEncryption: false,
            enabledForTemplateDeployment: false,
            publicNetworkAccess: "Enabled",
            networkAcls: {
              bypass: "AzureServices",
              defaultAction: ref("networkDefaultAction"),
              ipRules: forEach("ip", ref("allowedIpAddresses"), { value: ref("ip") }),
              virtualNetworkRules: [],
            },
          },
        }),
        res(
          "audit",
          "diagnostics",
          {
            name: "audit-to-log-analytics",
            properties: {
              workspaceId: ref("workspaceId"),
              logs: [{ categoryGroup: "audit", enabled: true }],
              metrics: [{ category: "AllMetrics", enabled: true }],
            },
          },
          { scope: ref("vault") },
        ),
      ],
      modules: [],
      outputs: [
        out("name", "Name of the vault.", member(ref("vault"), "name")),
        out("id", "Resource id of the vault.", member(ref("vault"), "id")),
        out("uri", "URI of the vault.", member(ref("vault"), "properties", "vaultUri")),
      ],
    },
  );
}

export function keyVaultAccessModule(): BicepFile {
  return file("Grants identities a role on the Key Vault (Key Vault Secrets User: read secret values).", {
    params: [
      p("keyVaultName", "string", "Name of the vault."),
      p(
        "principalIds",
        "array",
        "Object ids of the managed identities that read secrets ('' entries are skipped).",
      ),
      p("roleDefinitionId", "string", "Role granted; default Key Vault Secrets User.", {
        default: ROLES["Key Vault Secrets User"],
      }),
    ],
    vars: [],
    resources: [
      existing("vault", "keyVault", ref("keyVaultName")),
      roleAssignments("secretsUser", "vault", "roleDefinitionId"),
    ],
    modules: [],
    outputs: [],
  });
}

export function keyVaultSecretsModule(): BicepFile {
  const item = ref("item");
  return file(
    "Key Vault secrets the deployment composes from the data stores' credentials and host names (env values that refer to them).",
    {
      params: [
        p("keyVaultName", "string", "Vault that receives the secrets."),
        p("secrets", "object", "The secrets to write: name → key of the value in `values`."),
        p("values", "object", "The composed values by key.", { secure: true }),
        TAGS,
      ],
      vars: [],
      resources: [
        existing("vault", "keyVault", ref("keyVaultName")),
        res(
          "secret",
          "keyVaultSecret",
          {
            name: member(item, "key"),
            tags,
            properties: {
              value: index(ref("values"), member(item, "value")),
              contentType: "text/plain",
              attributes: { enabled: true },
            },
          },
          { parent: "vault", loop: { item: "item", over: call("items", ref("secrets")) } },
        ),
      ],
      modules: [],
      outputs: [],
    },
  );
}
