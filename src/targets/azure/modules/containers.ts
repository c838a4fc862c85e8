// Modules of container hosting outside App Service: the AKS cluster the Helm chart deploys onto and
// the container registry of the images.
import { member, ref, type BicepFile, type BicepObject } from "../../../format/bicep.js";
import { ROLES } from "../api.js";
import { LOCATION, TAGS, file, location, out, p, res, roleAssignments, tags } from "./kit.js";

/** The cluster's one node pool: autoscaled between the node bounds, over the given zones. */
const systemPool = (): BicepObject => ({
  name: "system",
  mode: "System",
  vmSize: ref("nodeVmSize"),
  osType: "Linux",
  osSKU: "AzureLinux",
  type: "VirtualMachineScaleSets",
  count: ref("minNodes"),
  minCount: ref("minNodes"),
  maxCount: ref("maxNodes"),
  enableAutoScaling: true,
  availabilityZones: ref("availabilityZones"),
  maxPods: 50,
  // Ephemeral OS disks on the VM's local disk: faster reimaging, no managed-disk cost.
  osDiskType: "Ephemeral",
  osDiskSizeGB: 64,
  // Encrypts temp disks and caches (needs the EncryptionAtHost feature on the subscription).
  enableEncryptionAtHost: true,
});

export function aksModule(): BicepFile {
  const cluster = ref("cluster");
  return file(
    "AKS cluster for the Helm chart of `gantry synth kubernetes`: Entra ID RBAC, workload identity, autoscaled nodes.",
    {
      params: [
        p("name", "string", "Name of the cluster.", { minLength: 1, maxLength: 63 }),
        LOCATION,
        TAGS,
        p("skuTier", "string", "Free (no SLA) or Standard (uptime SLA).", { allowed: ["Free", "Standard"] }),
        p("nodeVmSize", "string", "VM size of the nodes."),
        p("minNodes", "int", "Nodes at least.", { minValue: 1, maxValue: 100 }),
        p("maxNodes", "int", "Nodes at most.", { minValue: 1, maxValue: 100 }),
        p("availabilityZones", "array", "Zones the nodes spread over ([] for none)."),
        p("workspaceId", "string", "Log Analytics workspace for Container insights."),
      ],
      vars: [],
      resources: [
        res("cluster", "aks", {
          name: ref("name"),
          location,
          tags,
          identity: { type: "SystemAssigned" },
          sku: { name: "Base", tier: ref("skuTier") },
          properties: {
            dnsPrefix: ref("name"),
            enableRBAC: true,
            disableLocalAccounts: true,
            aadProfile: { managed: true, enableAzureRBAC: true },
            agentPoolProfiles: [systemPool()],
            networkProfile: {
              networkPlugin: "azure",
              networkPluginMode: "overlay",
              networkPolicy: "azure",
              loadBalancerSku: "standard",
            },
            addonProfiles: {
              omsagent: { enabled: true, config: { logAnalyticsWorkspaceResourceID: ref("workspaceId") } },
              azureKeyvaultSecretsProvider: { enabled: true, config: { enableSecretRotation: "true" } },
              azurepolicy: { enabled: true },
            },
            oidcIssuerProfile: { enabled: true },
            securityProfile: { workloadIdentity: { enabled: true } },
            autoUpgradeProfile: { upgradeChannel: "stable", nodeOSUpgradeChannel: "NodeImage" },
          },
        }),
      ],
      modules: [],
      outputs: [
        out("name", "Name of the cluster.", member(cluster, "name")),
        out("id", "Resource id of the cluster.", member(cluster, "id")),
        out(
          "kubeletObjectId",
          "Object id of the kubelet identity (pulls images).",
          member(cluster, "properties", "identityProfile", "kubeletidentity", "objectId"),
        ),
        out(
          "secretsProviderObjectId",
          "Object id of the Key Vault secrets provider identity.",
          member(
            cluster,
            "properties",
            "addonProfiles",
            "azureKeyvaultSecretsProvider",
            "identity",
            "objectId",
          ),
        ),
        out(
          "oidcIssuerUrl",
          "OIDC issuer for workload identity.",
          member(cluster, "properties", "oidcIssuerProfile", "issuerURL"),
        ),
      ],
    },
  );
}

export function containerRegistryModule(): BicepFile {
  return file(
    "Container registry for the images, pulled (AcrPull) by the cluster's kubelet identity or the apps' identities.",
    {
      params: [
        p("name", "string", "Name of the registry (globally unique, 5-50 letters and digits).", {
          minLength: 5,
          maxLength: 50,
        }),
        LOCATION,
        TAGS,
        p("skuName", "string", "Basic, Standard or Premium.", { allowed: ["Basic", "Standard", "Premium"] }),
        p("principalIds", "array", "Identities given AcrPull."),
        p("roleDefinitionId", "string", "Role granted to the identities.", { default: ROLES.AcrPull }),
      ],
      vars: [],
      resources: [
        res("registry", "registry", {
          name: ref("name"),
          location,
          tags,
          sku: { name: ref("skuName") },
          properties: { adminUserEnabled: false, publicNetworkAccess: "Enabled" },
        }),
        roleAssignments("acrPull", "registry", "roleDefinitionId"),
      ],
      modules: [],
      outputs: [
        out("name", "Name of the registry.", member(ref("registry"), "name")),
        out(
          "loginServer",
          "Login server (<name>.azurecr.io).",
          member(ref("registry"), "properties", "loginServer"),
        ),
      ],
    },
  );
}
