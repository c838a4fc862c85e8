// Each environment's DNS zone, in the shared resource group (./shared.ts), and its records in it (the
// sites' CNAME and TXT records, email's), followed by the custom-domain bindings that need those
// records to exist. Every environment's deployment puts its own zone in place before writing into it
// (the same zone PUT again changes nothing and keeps its records), so no environment's records wait
// for another environment's deployment.
import { call, not, str, ternary } from "../../../format/bicep.js";
import { zoneIn } from "../decisions.js";
import { managedZone, type Ctx } from "./context.js";
import { callModule, output, outputOf, param, type Part } from "./part.js";
import { sharedScope, sharedTags } from "./shared.js";

export function dnsPart(
  c: Ctx,
  { cnameRecords, txtRecords, domainModules }: Pick<Part, "cnameRecords" | "txtRecords" | "domainModules">,
): Partial<Part> {
  if (!managedZone(c)) return {};
  const zone = param(
    c.envs,
    "dnsZoneName",
    "string",
    "DNS zone of this environment's records, in the shared resource group ('' for none).",
    (m) => zoneIn(m) ?? "",
  );
  const managed = not(call("empty", zone.ref));
  return {
    params: [zone],
    modules: [
      callModule(
        "dnsZone",
        "dns-zone",
        "This environment's DNS zone.",
        { zoneName: zone.ref, tags: sharedTags(c) },
        { condition: managed, name: str`dns-zone-${c.environmentName}`, scope: sharedScope },
      ),
      callModule(
        "dnsRecords",
        "dns-records",
        "Records of this environment in its zone.",
        {
          zoneName: zone.ref,
          cnameRecords: call("concat", ...(cnameRecords.length ? cnameRecords : [[]])),
          txtRecords: call("concat", ...(txtRecords.length ? txtRecords : [[]])),
        },
        {
          condition: managed,
          name: str`dns-records-${c.environmentName}`,
          scope: sharedScope,
          dependsOn: ["dnsZone"],
        },
      ),
      ...domainModules,
    ],
    outputs: [
      output(
        "dnsNameServers",
        "array",
        "Name servers of the zone to set at the registrar.",
        ternary(managed, outputOf("dnsZone", "nameServers"), []),
      ),
    ],
  };
}
