// The spec's `cost`: the usage `gantry cost` assumes where a price depends on traffic rather than on
// what is provisioned (log ingestion, egress, requests, stored objects). Environments override it like
// any other top-level key, so production can assume more traffic than dev.
import { Num, Obj } from "./schema-kit.js";

const Assumptions = Obj(
  {
    hours_per_month: Num({
      description: "Hours an always-on resource runs in a month.",
      minimum: 1,
      maximum: 744,
      default: 730,
    }),
    egress_gb: Num({
      description: "Data sent to the internet per month, in GB.",
      minimum: 0,
      maximum: 10000000,
      default: 10,
    }),
    log_gb: Num({
      description: "Logs and telemetry ingested per month, in GB.",
      minimum: 0,
      maximum: 10000000,
      default: 2,
    }),
    requests_millions: Num({
      description: "HTTP requests served per month, in millions.",
      minimum: 0,
      maximum: 10000000,
      default: 1,
    }),
    storage_gb: Num({
      description: "Data kept in each object-storage bucket, in GB.",
      minimum: 0,
      maximum: 10000000,
      default: 5,
    }),
    registry_gb: Num({
      description: "Container images kept in the registry, in GB.",
      minimum: 0,
      maximum: 10000000,
      default: 5,
    }),
  },
  { description: "Usage assumed for the usage-priced items of the estimate." },
);

export const CostSchema = Obj(
  { assumptions: Assumptions },
  { description: "What `gantry cost` assumes when it estimates the monthly bill." },
);
