// The spec's edges to the outside: transactional `email` from a custom domain and the `dns` zone.
import { Bool, Enum, Hostname, List, Obj, Str } from "./schema-kit.js";

export const EmailSchema = Obj(
  {
    domain: Hostname,
    senders: List(
      Str({
        description: "Sender user name (the part before @).",
        format: "sender",
      }),
      {
        description: "Sender addresses on the domain.",
        minItems: 1,
        uniqueItems: true,
      },
    ),
    dmarc: Obj(
      {
        policy: Enum(["none", "quarantine", "reject"], {
          description: "DMARC policy.",
          default: "quarantine",
        }),
        report_to: Str({
          description: "Address that receives DMARC aggregate reports. Default: dmarc@<domain>.",
          format: "email",
        }),
      },
      { description: "DMARC record." },
    ),
  },
  {
    description: "Transactional e-mail from a custom domain, with SPF, DKIM and DMARC.",
    required: ["domain", "senders"],
  },
);

export const DnsSchema = Obj(
  {
    zone: Hostname,
    manage: Bool({
      description:
        "Create the zone and its records. False: records are listed in the runbook for your DNS provider.",
      default: true,
    }),
  },
  { description: "The DNS zone the app's domains live in.", required: ["zone"] },
);
