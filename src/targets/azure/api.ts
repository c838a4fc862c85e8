// The resource types and API versions the Azure target deploys, in one table. Each pair exists in
// the Azure type data (checked by test/azure-types.test.ts through src/validate/bicep-types.ts);
// stable versions were preferred, and among them ones the Bicep CLI and Azure Resource Manager have
// known for a while.
export const API = {
  resourceGroup: ["Microsoft.Resources/resourceGroups", "2024-11-01"],
  workspace: ["Microsoft.OperationalInsights/workspaces", "2023-09-01"],
  appInsights: ["Microsoft.Insights/components", "2020-02-02"],
  keyVault: ["Microsoft.KeyVault/vaults", "2023-07-01"],
  keyVaultSecret: ["Microsoft.KeyVault/vaults/secrets", "2023-07-01"],
  diagnostics: ["Microsoft.Insights/diagnosticSettings", "2021-05-01-preview"],
  roleAssignment: ["Microsoft.Authorization/roleAssignments", "2022-04-01"],
  lock: ["Microsoft.Authorization/locks", "2020-05-01"],
  plan: ["Microsoft.Web/serverfarms", "2024-04-01"],
  site: ["Microsoft.Web/sites", "2024-04-01"],
  slot: ["Microsoft.Web/sites/slots", "2024-04-01"],
  siteFunction: ["Microsoft.Web/sites/functions", "2024-04-01"],
  hostNameBinding: ["Microsoft.Web/sites/hostNameBindings", "2024-04-01"],
  certificate: ["Microsoft.Web/certificates", "2024-04-01"],
  staticSite: ["Microsoft.Web/staticSites", "2024-04-01"],
  staticSiteDomain: ["Microsoft.Web/staticSites/customDomains", "2024-04-01"],
  autoscale: ["Microsoft.Insights/autoscalesettings", "2022-10-01"],
  postgres: ["Microsoft.DBforPostgreSQL/flexibleServers", "2024-08-01"],
  postgresDatabase: ["Microsoft.DBforPostgreSQL/flexibleServers/databases", "2024-08-01"],
  postgresFirewall: ["Microsoft.DBforPostgreSQL/flexibleServers/firewallRules", "2024-08-01"],
  postgresConfig: ["Microsoft.DBforPostgreSQL/flexibleServers/configurations", "2024-08-01"],
  redis: ["Microsoft.Cache/redis", "2024-03-01"],
  storage: ["Microsoft.Storage/storageAccounts", "2023-05-01"],
  blobService: ["Microsoft.Storage/storageAccounts/blobServices", "2023-05-01"],
  container: ["Microsoft.Storage/storageAccounts/blobServices/containers", "2023-05-01"],
  managementPolicy: ["Microsoft.Storage/storageAccounts/managementPolicies", "2023-05-01"],
  dnsZone: ["Microsoft.Network/dnsZones", "2018-05-01"],
  cname: ["Microsoft.Network/dnsZones/CNAME", "2018-05-01"],
  txt: ["Microsoft.Network/dnsZones/TXT", "2018-05-01"],
  emailService: ["Microsoft.Communication/emailServices", "2023-04-01"],
  emailDomain: ["Microsoft.Communication/emailServices/domains", "2023-04-01"],
  sender: ["Microsoft.Communication/emailServices/domains/senderUsernames", "2023-04-01"],
  communication: ["Microsoft.Communication/communicationServices", "2023-04-01"],
  actionGroup: ["Microsoft.Insights/actionGroups", "2023-01-01"],
  metricAlert: ["Microsoft.Insights/metricAlerts", "2026-01-01"],
  logAlert: ["Microsoft.Insights/scheduledQueryRules", "2023-12-01"],
  activityLogAlert: ["Microsoft.Insights/activityLogAlerts", "2026-01-01"],
  webTest: ["Microsoft.Insights/webtests", "2022-06-15"],
  workbook: ["microsoft.insights/workbooks", "2015-05-01"],
  budget: ["Microsoft.Consumption/budgets", "2023-11-01"],
  aks: ["Microsoft.ContainerService/managedClusters", "2024-09-01"],
  registry: ["Microsoft.ContainerRegistry/registries", "2023-07-01"],
} as const satisfies Record<string, readonly [string, string]>;

export type ApiKey = keyof typeof API;

/**
 * Built-in role definition ids (the same in every tenant), by the role's name in Azure's list of
 * built-in roles; test/azure.test.ts compares them with that list.
 */
export const ROLES = {
  AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
  "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
  "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
} as const;
