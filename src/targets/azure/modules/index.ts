// The Bicep modules of the Azure target by file name, one file per kind of resource. main.bicep
// (../main.ts) calls the ones an app needs; each is written once, whatever the spec.
import type { BicepFile } from "../../../format/bicep.js";
import {
  actionGroupModule,
  deploymentAlertsModule,
  logAlertsModule,
  metricAlertsModule,
  webTestsModule,
} from "./alerts.js";
import {
  appServiceDomainModule,
  appServiceModule,
  appServicePlanModule,
  appServiceSlotModule,
  appServiceTlsModule,
} from "./app-service.js";
import { alertRelayModule } from "./alert-relay.js";
import { budgetModule, resourceLockModule } from "./budget-lock.js";
import { aksModule, containerRegistryModule } from "./containers.js";
import { postgresModule, redisModule, storageModule } from "./data.js";
import { communicationModule, dnsRecordsModule, dnsZoneModule } from "./dns-email.js";
import { keyVaultAccessModule, keyVaultModule, keyVaultSecretsModule } from "./key-vault.js";
import { appInsightsModule, logAnalyticsModule } from "./monitoring.js";
import { workbookModule } from "./workbook.js";
import { staticWebAppDomainModule, staticWebAppModule } from "./static-web-app.js";
export { GENERATED } from "./kit.js";

export const MODULES = {
  "log-analytics": logAnalyticsModule,
  "app-insights": appInsightsModule,
  "key-vault": keyVaultModule,
  "key-vault-access": keyVaultAccessModule,
  "key-vault-secrets": keyVaultSecretsModule,
  "app-service-plan": appServicePlanModule,
  "app-service": appServiceModule,
  "app-service-slot": appServiceSlotModule,
  "app-service-domain": appServiceDomainModule,
  "app-service-tls": appServiceTlsModule,
  "static-web-app": staticWebAppModule,
  "static-web-app-domain": staticWebAppDomainModule,
  postgres: postgresModule,
  redis: redisModule,
  storage: storageModule,
  "dns-zone": dnsZoneModule,
  "dns-records": dnsRecordsModule,
  communication: communicationModule,
  "action-group": actionGroupModule,
  "alert-relay": alertRelayModule,
  "metric-alerts": metricAlertsModule,
  "log-alerts": logAlertsModule,
  "web-tests": webTestsModule,
  "deployment-alerts": deploymentAlertsModule,
  workbook: workbookModule,
  budget: budgetModule,
  "resource-lock": resourceLockModule,
  aks: aksModule,
  "container-registry": containerRegistryModule,
} as const satisfies Record<string, () => BicepFile>;

export type ModuleName = keyof typeof MODULES;
