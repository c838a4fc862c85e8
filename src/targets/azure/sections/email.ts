// Email through Communication Services: an Azure-managed domain, or a custom domain (linked once it
// is verified) in the environment that owns it, and its verification, SPF, DKIM and DMARC records in
// that environment's zone when Gantry manages it. The zone's environment owns the spec's domain; an
// environment whose own `email.domain` differs owns that one, with its own senders and DMARC policy.
import { binary, call, str, ternary, type BicepValue } from "../../../format/bicep.js";
import type { AppModel, EmailModel } from "../../../model/types.js";
import { ACS_SECRET, EMAIL_DOMAIN_SECRET } from "../supply.js";
import { relativeName, zoneIn } from "../decisions.js";
import { anyEnv, readEnv, type Ctx } from "./context.js";
import { callModule, outputOf, param, type Part } from "./part.js";

/** The custom email domain an environment owns, if any. */
function ownEmail(c: Ctx, m: AppModel): EmailModel | undefined {
  if (!m.email) return undefined;
  const ownerDomain = (c.owner?.email ?? anyEnv(c, (x) => x.email))?.domain;
  return m === c.owner || m.email.domain !== ownerDomain ? m.email : undefined;
}

/** The record name of an environment's custom email domain in its zone ('' when Gantry cannot write it). */
function recordIn(c: Ctx, m: AppModel): string {
  const email = ownEmail(c, m);
  const zone = zoneIn(m);
  return (email && zone && relativeName(email.domain, zone)) || "";
}

export function emailPart(c: Ctx): Partial<Part> {
  const email = c.owner?.email ?? anyEnv(c, (m) => m.email);
  if (!email) return {};
  const own = (m: AppModel) => ownEmail(c, m);
  const customDomain = param(
    c.envs,
    "emailCustomDomain",
    "string",
    "Custom email domain of this environment ('' uses an Azure-managed domain).",
    (m) => own(m)?.domain ?? "",
  );
  const linkDomain = param(
    c.envs,
    "emailLinkDomain",
    "bool",
    "Link the email domain (a custom one once it is verified).",
    (m) => (own(m) ? call("bool", readEnv("EMAIL_DOMAIN_VERIFIED", "false")) : true),
  );
  const senders = param(c.envs, "emailSenders", "array", "Sender user names of the custom domain.", (m) => [
    ...(own(m) ?? email).senders,
  ]);
  const records = c.envs.some((m) => recordIn(c, m)) ? emailRecords(c, customDomain.ref) : undefined;
  return {
    params: [customDomain, linkDomain, senders, ...(records?.params ?? [])],
    deployVariables: [
      {
        name: "EMAIL_DOMAIN_VERIFIED",
        description:
          "Set to true once the custom email domain is verified, to link it to Communication Services.",
        required: false,
      },
    ],
    modules: [
      callModule("communication", "communication", "Communication Services and Email Service.", {
        emailServiceName: str`ecs-${c.appSlug}-${c.code}`,
        communicationServiceName: str`acs-${c.appSlug}-${c.code}-${c.suffix}`,
        tags: c.tags,
        customDomain: customDomain.ref,
        linkDomain: linkDomain.ref,
        senders: senders.ref,
        keyVaultName: outputOf("keyVault", "name"),
        connectionSecretName: ACS_SECRET,
        senderDomainSecretName: EMAIL_DOMAIN_SECRET,
      }),
    ],
    managedSecrets: [
      { secret: ACS_SECRET, what: "connection string of Communication Services" },
      { secret: EMAIL_DOMAIN_SECRET, what: "domain the e-mail senders send from" },
    ],
    ...(records ? { txtRecords: records.txtRecords, cnameRecords: records.cnameRecords } : {}),
  };
}

/** The records of a custom email domain, in the environments that own one in their zone. */
function emailRecords(
  c: Ctx,
  customDomain: BicepValue,
): Pick<Part, "params" | "txtRecords" | "cnameRecords"> {
  const record = param(
    c.envs,
    "emailDnsRecord",
    "string",
    "Record name of the custom email domain in the zone ('' for none).",
    (m) => recordIn(c, m),
  );
  // Under a sub-domain the DKIM and DMARC names end with it; at the apex they do not.
  const suffix = param(
    c.envs,
    "emailDnsSuffix",
    "string",
    "Suffix of the DKIM and DMARC record names.",
    (m) => {
      const r = recordIn(c, m);
      return r === "" || r === "@" ? "" : `.${r}`;
    },
  );
  const dmarc = param(c.envs, "emailDmarc", "string", "DMARC policy of the custom email domain.", (m) => {
    const e = ownEmail(c, m);
    return e ? `v=DMARC1; p=${e.dmarc.policy}; rua=mailto:${e.dmarc.report_to}` : "";
  });
  const guard = (items: BicepValue[]) =>
    ternary(binary("||", call("empty", customDomain), call("empty", record.ref)), [], items);
  return {
    params: [record, suffix, dmarc],
    txtRecords: [
      guard([
        {
          name: record.ref,
          values: [outputOf("communication", "domainVerification"), outputOf("communication", "spf")],
        },
        { name: str`_dmarc${suffix.ref}`, values: [dmarc.ref] },
      ]),
    ],
    cnameRecords: [
      guard([
        {
          name: str`${outputOf("communication", "dkimName")}${suffix.ref}`,
          target: outputOf("communication", "dkimValue"),
        },
        {
          name: str`${outputOf("communication", "dkim2Name")}${suffix.ref}`,
          target: outputOf("communication", "dkim2Value"),
        },
      ]),
    ],
  };
}
