// DigitalOcean prices: US dollars, the same in every region (nyc1 in the examples). Droplets and
// Kubernetes nodes bill hourly up to 672 hours, so a month is the monthly price. Figures without
// `confirmed` could not be confirmed when the table was read (docs/cost.md, refresh procedure).
import type { Price, PriceTable } from "./types.js";

const DROPLETS = "https://www.digitalocean.com/pricing/droplets";
const DOKS = "https://docs.digitalocean.com/products/kubernetes/details/pricing/";
const LB = "https://docs.digitalocean.com/products/networking/load-balancers/details/pricing/";
const DATABASES = "https://www.digitalocean.com/pricing/managed-databases";
const REGISTRY = "https://docs.digitalocean.com/products/container-registry/details/pricing/";
const SPACES = "https://docs.digitalocean.com/products/spaces/details/pricing/";
const VOLUMES = "https://docs.digitalocean.com/products/volumes/details/pricing/";
const BANDWIDTH = "https://docs.digitalocean.com/products/droplets/details/pricing/";
const UPTIME = "https://docs.digitalocean.com/products/uptime/details/pricing/";

/** The registry tiers with their monthly prices, the example of DigitalOcean's own API reference. */
const REGISTRY_OPTIONS =
  "https://github.com/digitalocean/openapi/blob/2761e5dbe637145d437aa1b52849e08a07654d7d/specification/resources/registry/responses/registry_options_response.yml";
/** DigitalOcean's community answer on how the Spaces subscription is billed (November 2018). */
const SPACES_ANSWER =
  "https://www.digitalocean.com/community/questions/prices-explanation-5-per-space-or-5-for-spaces";
/** The 2022 price change, listing each Basic Droplet's new monthly price. */
const DROPLET_TABLE = "https://gist.github.com/colinwilson/cd31bde012f6727b24b2fc4ebee749c0";

const monthly = (usd: number, source: string, extra: Partial<Price> = {}): Price => ({
  usd,
  unit: "month",
  source,
  ...extra,
});
const droplet = (usd: number) => monthly(usd, DROPLETS, { confirmed: DROPLET_TABLE });

export const DO_PRICES: PriceTable = {
  cloud: "digitalocean",
  currency: "USD",
  read: "2026-12-07",
  regions: ["nyc1", "nyc3", "sfo3", "ams3", "fra1", "lon1", "sgp1", "tor1", "blr1", "syd1"],
  fallback: "DigitalOcean prices are the same in every region.",
  prices: {
    "droplet/s-1vcpu-512mb-10gb": droplet(4),
    "droplet/s-1vcpu-1gb": droplet(6),
    "droplet/s-1vcpu-2gb": droplet(12),
    "droplet/s-2vcpu-2gb": droplet(18),
    "droplet/s-2vcpu-4gb": droplet(24),
    "droplet/s-4vcpu-8gb": droplet(48),
    "droplet/s-8vcpu-16gb": droplet(96),
    "doks/ha-control-plane": monthly(40, DOKS, { confirmed: DOKS }),
    "lb/node": monthly(12, LB, {
      note: "Per load balancer node. The stored copy of the docs found says $10.00; that copy predates the July 2022 price change, so $12 is used and must be checked.",
    }),
    "database/db-s-1vcpu-1gb": monthly(15, DATABASES, {
      confirmed: "https://gist.github.com/fakhrullah/26edc80e92ceaebdf412fd5bfb6d0f01",
    }),
    "database/db-s-1vcpu-2gb": monthly(30, DATABASES),
    "database/db-s-2vcpu-4gb": monthly(60, DATABASES),
    "database/db-s-4vcpu-8gb": monthly(120, DATABASES),
    "database/db-s-8vcpu-16gb": monthly(240, DATABASES),
    "kafka/db-s-2vcpu-2gb": monthly(49, DATABASES, { note: "Per broker node (three per cluster)." }),
    "kafka/db-s-4vcpu-8gb": monthly(98, DATABASES, { note: "Per broker node (three per cluster)." }),
    "registry/basic": monthly(5, REGISTRY, {
      confirmed: REGISTRY_OPTIONS,
      note: "Basic tier: 5 repositories, 5 GiB storage (monthly_price_in_cents 500).",
    }),
    "spaces/subscription": monthly(5, SPACES, {
      confirmed: SPACES_ANSWER,
      note: "250 GiB storage and 1 TiB egress included, whatever the number of buckets.",
    }),
    "volume/storage": { usd: 0.1, unit: "GB-month", source: VOLUMES },
    "bandwidth/egress": {
      usd: 0.01,
      unit: "GB",
      source: BANDWIDTH,
      confirmed: BANDWIDTH,
      note: "Beyond the transfer each Droplet or node includes (pooled per team).",
    },
    "uptime/check": monthly(1, UPTIME, { free: 1, note: "One check free per team." }),
  },
};

/** Outbound transfer (GB a month) each Basic Droplet size includes; pooled across the team. */
export const DO_TRANSFER_GB: Record<string, number> = {
  "s-1vcpu-512mb-10gb": 500,
  "s-1vcpu-1gb": 1000,
  "s-1vcpu-2gb": 2000,
  "s-2vcpu-2gb": 3000,
  "s-2vcpu-4gb": 4000,
  "s-4vcpu-8gb": 5000,
  "s-8vcpu-16gb": 6000,
};

/** vCPUs of each Basic Droplet size, for sizing a node pool from the pods' requests. */
export const DO_NODE_CPUS: Record<string, number> = {
  "s-1vcpu-512mb-10gb": 1,
  "s-1vcpu-1gb": 1,
  "s-1vcpu-2gb": 1,
  "s-2vcpu-2gb": 2,
  "s-2vcpu-4gb": 2,
  "s-4vcpu-8gb": 4,
  "s-8vcpu-16gb": 8,
};
