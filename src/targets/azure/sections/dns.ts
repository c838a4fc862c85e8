// The DNS zone, created by the deployment of the environment that owns it, and each environment's
// records in it (the sites' CNAME and TXT records, email's), followed by the custom-domain bindings
// that need those records to exist.
import { call, str, ternary } from "../../../format/bicep.js";
import { managedZone, type Ctx } from "./context.js";
import { callModule, output, outputOf, param, type Part } from "./part.js";

export function dnsPart(
  c: Ctx,
  { cnameRecords, txtRecords, domainModules }: Pick<Part, "cnameRecords" | "txtRecords" | "domainModules">,
): Partial<Part> {
  const owner = c.owner;
  const zone = managedZone(c);
  if (!zone || !owner) return {};
  const managed = param(
    c.envs,
    "dnsZoneManaged",
    "bool",
    `Whether this environment's deployment creates the zone ${zone}.`,
    (m) => m === owner,
  );
  const zoneRg = param(
    c.envs,
    "dnsZoneResourceGroup",
    "string",
    `Resource group holding the zone ${zone}.`,
    () => owner.environment.resource_group,
  );
  return {
    params: [managed, zoneRg],
    modules: [
      callModule(
        "dnsZone",
        "dns-zone",
        `DNS zone ${zone}.`,
        { zoneName: zone, tags: c.tags },
        { condition: managed.ref },
      ),
      callModule(
        "dnsRecords",
        "dns-records",
        `Records of this environment in ${zone}.`,
        {
          zoneName: zone,
          cnameRecords: call("concat", ...(cnameRecords.length ? cnameRecords : [[]])),
          txtRecords: call("concat", ...(txtRecords.length ? txtRecords : [[]])),
        },
        {
          name: str`dns-records-${c.environmentName}`,
          scope: call("resourceGroup", zoneRg.ref),
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
        ternary(managed.ref, outputOf("dnsZone", "nameServers"), []),
      ),
    ],
  };
}
