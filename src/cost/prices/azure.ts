// Azure prices: pay-as-you-go, Linux, US dollars, East US. Figures without `confirmed` could not be
// confirmed when the table was read; docs/cost.md says how to refresh them from the Retail Prices API.
import { infracostGolden } from "./sources.js";
import type { Price, PriceTable } from "./types.js";

const APP_SERVICE = "https://azure.microsoft.com/en-us/pricing/details/app-service/linux/";
const POSTGRES = "https://azure.microsoft.com/en-us/pricing/details/postgresql/flexible-server/";
const REDIS = "https://azure.microsoft.com/en-us/pricing/details/cache/";
const STATIC = "https://azure.microsoft.com/en-us/pricing/details/app-service/static/";
const REGISTRY = "https://azure.microsoft.com/en-us/pricing/details/container-registry/";
const DNS = "https://azure.microsoft.com/en-us/pricing/details/dns/";
const MONITOR = "https://azure.microsoft.com/en-us/pricing/details/monitor/";
const BLOB = "https://azure.microsoft.com/en-us/pricing/details/storage/blobs/";
const BANDWIDTH = "https://azure.microsoft.com/en-us/pricing/details/bandwidth/";
const AKS = "https://azure.microsoft.com/en-us/pricing/details/kubernetes-service/";
const VMS = "https://azure.microsoft.com/en-us/pricing/details/virtual-machines/linux/";
const LB = "https://azure.microsoft.com/en-us/pricing/details/load-balancer/";

/** Infracost's test of every App Service plan SKU in East US, its prices from the Azure price list. */
const INFRACOST_PLANS = infracostGolden(
  "azure",
  "243cadf8ee7c2330ae4ef3cc343b0095b1312570",
  "service_plan_test",
);
const INFRACOST_WEB_TEST = infracostGolden(
  "azure",
  "01c59b17a6fbaab511ccab5fb75ce760ad694eef",
  "application_insights_standard_web_t_test",
);
// The tests below name East US for the resources whose figures are read from them.
const INFRACOST_POSTGRES = infracostGolden(
  "azure",
  "7c081feab4fb3e96634550ac78ed298e58c92742",
  "postgresql_flexible_server_test",
);
/** After Infracost's Redis fixes (#2521, #2905): every node of a cache at the per-node price. */
const INFRACOST_REDIS = infracostGolden(
  "azure",
  "da0a5862ad6a970be64ea624fba1a7f79f7bb42e",
  "redis_cache_test",
);
/** Read in Central US: Static Web Apps are priced per app, one price on the pricing page. */
const INFRACOST_STATIC = infracostGolden(
  "azure",
  "67c52b779aadefa15fa6dade7402711d2dc6314f",
  "static_site_test",
);
const INFRACOST_METRIC_ALERT = infracostGolden(
  "azure",
  "3ce8f38448db2860d9bb2c0f8475d627f68dabe5",
  "monitor_metric_alert_test",
);
const INFRACOST_AKS = infracostGolden(
  "azure",
  "027bec33d4836acb33a90ea902d8255869e9077f",
  "kubernetes_cluster_test",
);
const AZURE_SKILLS =
  "https://github.com/microsoft/azure-skills/blob/main/skills/azure-app-onboard/prepare/references/pricing-guide.md";
const C3X_ACR = "https://c3x.dev/resources/azure/azurerm_container_registry";

const hourly = (usd: number, source: string, extra: Partial<Price> = {}): Price => ({
  usd,
  unit: "hour",
  source,
  ...extra,
});

export const AZURE_PRICES: PriceTable = {
  cloud: "azure",
  currency: "USD",
  read: "2026-12-07",
  regions: ["eastus"],
  fallback:
    "Every other region is priced at East US rates; Azure's regional prices differ by up to about 30 %, so the estimate says when it used them.",
  prices: {
    "appservice/B1": hourly(0.018, APP_SERVICE, {
      confirmed: AZURE_SKILLS,
      note: "Basic B1 Linux, about $13.14 a month (Microsoft's reference); Infracost's older test reads $12.41.",
    }),
    "appservice/P0v3": hourly(0.101, APP_SERVICE, { confirmed: INFRACOST_PLANS }),
    "appservice/P1v3": hourly(0.155, APP_SERVICE, { confirmed: INFRACOST_PLANS }),
    "appservice/P2v3": hourly(0.31, APP_SERVICE, { confirmed: INFRACOST_PLANS }),
    "appservice/P3v3": hourly(0.62, APP_SERVICE, { confirmed: INFRACOST_PLANS }),
    "postgres/Standard_B1ms": hourly(0.017, POSTGRES, {
      confirmed: INFRACOST_POSTGRES,
      note: "$12.41 a month in East US (the test's readable_location_set server).",
    }),
    "postgres/Standard_B2s": hourly(0.068, POSTGRES),
    "postgres/Standard_D2ds_v5": hourly(0.178, POSTGRES),
    "postgres/Standard_D4ds_v5": hourly(0.356, POSTGRES),
    "postgres/Standard_E4ds_v5": hourly(0.464, POSTGRES),
    "postgres/storage": { usd: 0.115, unit: "GB-month", source: POSTGRES },
    "postgres/geo-backup": {
      usd: 0.2,
      unit: "GB-month",
      source: POSTGRES,
      note: "Geo-redundant backup storage beyond the provisioned size.",
    },
    "redis/Basic_C0": hourly(0.022, REDIS, {
      note: "Infracost's East US test reads Basic C4 at $0.21 and Standard C3 at $0.45 a cache-hour; C0 was not found.",
    }),
    "redis/Standard_C1": hourly(0.14, REDIS),
    "redis/Standard_C2": hourly(0.225, REDIS),
    "redis/Premium_P1": hourly(0.554, REDIS, {
      confirmed: INFRACOST_REDIS,
      note: "Per cache: its two nodes cost $404.42 a month (the test's premium_zero_shards, East US).",
    }),
    "redis/Premium_P2": hourly(1.11, REDIS, {
      confirmed: INFRACOST_REDIS,
      note: "Per cache: two nodes at $405.15 a month each (the test's P2 cache of 9 nodes costs $3,646.35).",
    }),
    "staticwebapp/Free": {
      usd: 0,
      unit: "month",
      source: STATIC,
      confirmed: INFRACOST_STATIC,
      note: "The test counts its Free-tier app among the free resources.",
    },
    "staticwebapp/Standard": {
      usd: 9,
      unit: "month",
      source: STATIC,
      confirmed: INFRACOST_STATIC,
      note: "Per app; bandwidth beyond 100 GB a month is extra.",
    },
    "registry/Basic": { usd: 0.167, unit: "day", source: REGISTRY, confirmed: C3X_ACR },
    "registry/Standard": { usd: 0.667, unit: "day", source: REGISTRY, confirmed: C3X_ACR },
    "registry/Premium": { usd: 1.667, unit: "day", source: REGISTRY, confirmed: C3X_ACR },
    "dns/zone": {
      usd: 0.5,
      unit: "month",
      source: DNS,
      confirmed: INFRACOST_AKS,
      note: "First 25 hosted zones (the hosted zone of the test's East US cluster usage_ephemeral).",
    },
    "monitor/logs": {
      usd: 2.3,
      unit: "GB",
      source: MONITOR,
      confirmed: INFRACOST_WEB_TEST,
      free: 5,
      note: "Log Analytics analytics-logs ingestion, pay-as-you-go; 5 GB a month free per billing account.",
    },
    "monitor/metric-alert": {
      usd: 0.1,
      unit: "month",
      source: MONITOR,
      confirmed: INFRACOST_METRIC_ALERT,
      note: "Per monitored time series.",
    },
    "monitor/log-alert": {
      usd: 1.5,
      unit: "month",
      source: MONITOR,
      note: "Log search alert at a 5-minute frequency. Infracost's tests read $1.50 in West Europe; East US was not found.",
    },
    "monitor/standard-test": {
      usd: 0.000645,
      unit: "test run",
      source: MONITOR,
      confirmed: INFRACOST_WEB_TEST,
      note: "Derived: 8,760 runs (every 5 minutes from one location) for $5.65 a month.",
    },
    "storage/Standard_LRS": { usd: 0.0184, unit: "GB-month", source: BLOB, note: "Hot tier, first 50 TB." },
    "storage/Standard_ZRS": { usd: 0.023, unit: "GB-month", source: BLOB, note: "Hot tier, first 50 TB." },
    "bandwidth/egress": {
      usd: 0.087,
      unit: "GB",
      source: BANDWIDTH,
      free: 100,
      note: "Internet egress from North America; the first 100 GB a month are free.",
    },
    "aks/standard-tier": hourly(0.1, AKS, {
      confirmed: INFRACOST_AKS,
      note: "Per cluster (the price list's Uptime SLA); the Free tier costs nothing.",
    }),
    "vm/Standard_D2ds_v5": hourly(0.113, VMS),
    "vm/Standard_D4ds_v5": hourly(0.226, VMS),
    "lb/standard": hourly(0.025, LB, { note: "Standard Load Balancer, first 5 rules." }),
  },
};
