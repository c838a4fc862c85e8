// Modules of DNS and email: the public zone, the records of an environment, and Communication Services
// with its Email Service.
import {
  binary,
  call,
  forEach,
  member,
  method,
  not,
  ref,
  ternary,
  type BicepFile,
} from "../../../format/bicep.js";
import { TAGS, existing, file, out, p, res, secretResource, tags } from "./kit.js";

export function dnsZoneModule(): BicepFile {
  return file("Public DNS zone. Delegate the domain to its name servers at the registrar.", {
    params: [p("zoneName", "string", "Domain of the zone."), TAGS],
    vars: [],
    resources: [
      res("zone", "dnsZone", {
        name: ref("zoneName"),
        location: "global",
        tags,
        properties: { zoneType: "Public" },
      }),
    ],
    modules: [],
    outputs: [
      out(
        "nameServers",
        "Name servers to set at the registrar.",
        member(ref("zone"), "properties", "nameServers"),
        "array",
      ),
    ],
  });
}

export function dnsRecordsModule(): BicepFile {
  return file(
    "DNS records in an existing zone: CNAMEs for custom domains, TXT for verification, SPF and DMARC.",
    {
      params: [
        p("zoneName", "string", "Domain of the zone."),
        p("cnameRecords", "array", "CNAME records: {name, target}."),
        p("txtRecords", "array", "TXT record sets: {name, values}."),
        p("ttl", "int", "Time to live of the records, in seconds.", { default: 3600 }),
      ],
      vars: [],
      resources: [
        existing("zone", "dnsZone", ref("zoneName")),
        res(
          "cname",
          "cname",
          {
            name: member(ref("r"), "name"),
            properties: { TTL: ref("ttl"), CNAMERecord: { cname: member(ref("r"), "target") } },
          },
          { parent: "zone", loop: { item: "r", over: ref("cnameRecords") } },
        ),
        res(
          "txt",
          "txt",
          {
            name: member(ref("r"), "name"),
            properties: {
              TTL: ref("ttl"),
              TXTRecords: forEach("v", member(ref("r"), "values"), { value: [ref("v")] }),
            },
          },
          { parent: "zone", loop: { item: "r", over: ref("txtRecords") } },
        ),
      ],
      modules: [],
      outputs: [],
    },
  );
}

export function communicationModule(): BicepFile {
  const domain = ref("domain");
  const record = (kind: string, field: string) =>
    binary("??", member(domain, "properties", "?verificationRecords", `?${kind}`, `?${field}`), "");
  const custom = not(call("empty", ref("customDomain")));
  return file(
    "Communication Services with an Email Service, its domain and sender addresses; connection string and sender domain in Key Vault.",
    {
      params: [
        p("emailServiceName", "string", "Name of the Email Communication Service."),
        p("communicationServiceName", "string", "Name of the Communication Service (globally unique)."),
        TAGS,
        p("dataLocation", "string", "Where the data is stored at rest.", { default: "United States" }),
        p("customDomain", "string", "Custom sending domain; '' uses an Azure-managed domain."),
        p(
          "linkDomain",
          "bool",
          "Link the domain to the Communication Service (a custom domain only after it is verified).",
        ),
        p("senders", "array", "Sender user names on the custom domain (noreply, support...)."),
        p("keyVaultName", "string", "Vault that receives the connection string and the sender domain."),
        p("connectionSecretName", "string", "Name of the Key Vault secret holding the connection string."),
        p(
          "senderDomainSecretName",
          "string",
          "Name of the Key Vault secret holding the domain mail is sent from.",
        ),
      ],
      vars: [],
      resources: [
        res("emailService", "emailService", {
          name: ref("emailServiceName"),
          location: "global",
          tags,
          properties: { dataLocation: ref("dataLocation") },
        }),
        res(
          "domain",
          "emailDomain",
          {
            name: ternary(custom, ref("customDomain"), "AzureManagedDomain"),
            location: "global",
            tags,
            properties: {
              domainManagement: ternary(custom, "CustomerManaged", "AzureManaged"),
              userEngagementTracking: "Disabled",
            },
          },
          { parent: "emailService" },
        ),
        res(
          "sender",
          "sender",
          { name: ref("s"), properties: { username: ref("s"), displayName: ref("s") } },
          { parent: "domain", loop: { item: "s", over: ref("senders") }, condition: custom },
        ),
        res("acs", "communication", {
          name: ref("communicationServiceName"),
          location: "global",
          tags,
          properties: {
            dataLocation: ref("dataLocation"),
            linkedDomains: ternary(ref("linkDomain"), [member(domain, "id")], []),
          },
        }),
        existing("vault", "keyVault", ref("keyVaultName")),
        secretResource(
          "connectionSecret",
          "connectionSecretName",
          member(method("acs", "listKeys"), "primaryConnectionString"),
        ),
        // The apps read the sender domain from the vault: an app setting with this module's output would
        // make each app wait on a module that waits on the vault, whose firewall waits on the apps.
        secretResource(
          "senderDomainSecret",
          "senderDomainSecretName",
          member(domain, "properties", "mailFromSenderDomain"),
        ),
      ],
      modules: [],
      outputs: [
        out("name", "Name of the Communication Service.", member(ref("acs"), "name")),
        out(
          "mailFromDomain",
          "Domain mail is sent from.",
          member(domain, "properties", "mailFromSenderDomain"),
        ),
        out("domainVerification", "TXT value proving ownership of the domain.", record("Domain", "value")),
        out("spf", "SPF TXT value.", record("SPF", "value")),
        out("dkimName", "Name of the first DKIM CNAME.", record("DKIM", "name")),
        out("dkimValue", "Target of the first DKIM CNAME.", record("DKIM", "value")),
        out("dkim2Name", "Name of the second DKIM CNAME.", record("DKIM2", "name")),
        out("dkim2Value", "Target of the second DKIM CNAME.", record("DKIM2", "value")),
      ],
    },
  );
}
