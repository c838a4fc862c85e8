// What App Services and static sites share about custom domains: the per-environment domain and
// record name (empty where a service has none), and the CNAME from the record to the default host.
import { call, ternary, type BicepValue } from "../../../format/bicep.js";
import type { AppModel } from "../../../model/types.js";
import { field, type Part } from "./part.js";

/** The fields of a site's settings that name its custom domain, from where Gantry can bind it. */
export const domainFields = (
  n: string,
  bound: (m: AppModel) => { domain: string; record: string } | undefined,
) => ({
  domain: field("string", `Custom domain of ${n} ('' for none).`, (m) => bound(m)?.domain ?? ""),
  dnsRecord: field(
    "string",
    `Record name of ${n}'s domain in the zone ('' for none).`,
    (m) => bound(m)?.record ?? "",
  ),
});

/** The CNAME of a custom domain to the site's default host name, in environments that have one. */
export const domainRecords = (record: BicepValue, target: BicepValue): Pick<Part, "cnameRecords"> => ({
  cnameRecords: [ternary(call("empty", record), [], [{ name: record, target }])],
});

/**
 * The host an availability test probes: the custom domain where the environment has one, so that a
 * broken record, binding or certificate alerts; the default host name elsewhere.
 */
export const publicHost = (defaultHost: BicepValue, domain: BicepValue | undefined): BicepValue =>
  domain === undefined ? defaultHost : ternary(call("empty", domain), defaultHost, domain);
