// Email through Communication Services: an Azure-managed domain, or the spec's custom domain in the
// environment that owns the DNS zone (linked once it is verified), and its verification, SPF, DKIM
// and DMARC records when Gantry manages the zone.
import { call, str, ternary, type BicepValue } from "../../../format/bicep.js";
import type { EmailModel } from "../../../model/types.js";
import { ACS_SECRET, EMAIL_DOMAIN_SECRET } from "../supply.js";
import { relativeName } from "../decisions.js";
import { anyEnv, managedZone, readEnv, type Ctx } from "./context.js";
import { callModule, outputOf, param, type Part } from "./part.js";

export function emailPart(c: Ctx): Partial<Part> {
  // The zone's environment owns a custom domain: its email settings, else any environment's.
  const email = c.owner?.email ?? anyEnv(c, (m) => m.email);
  if (!email) return {};
  const customDomain = param(
    c.envs,
    "emailCustomDomain",
    "string",
    "Custom email domain ('' uses an Azure-managed domain; the zone's environment owns it).",
    (m) => (m === c.owner ? email.domain : ""),
  );
  const linkDomain = param(
    c.envs,
    "emailLinkDomain",
    "bool",
    "Link the email domain (a custom one once it is verified).",
    (m) => (m === c.owner ? call("bool", readEnv("EMAIL_DOMAIN_VERIFIED", "false")) : true),
  );
  const zone = managedZone(c);
  const record = zone ? relativeName(email.domain, zone) : undefined;
  return {
    params: [customDomain, linkDomain],
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
        senders: [...email.senders],
        keyVaultName: outputOf("keyVault", "name"),
        connectionSecretName: ACS_SECRET,
        senderDomainSecretName: EMAIL_DOMAIN_SECRET,
      }),
    ],
    managedSecrets: [
      { secret: ACS_SECRET, what: "connection string of Communication Services" },
      { secret: EMAIL_DOMAIN_SECRET, what: "domain the e-mail senders send from" },
    ],
    ...(record === undefined ? {} : emailRecords(email, record, customDomain.ref)),
  };
}

/** The records of a custom email domain, only in the environment that sets it. */
function emailRecords(email: EmailModel, record: string, customDomain: BicepValue): Partial<Part> {
  const sub = record === "@" ? "" : `.${record}`;
  const guard = (records: BicepValue[]) => ternary(call("empty", customDomain), [], records);
  return {
    txtRecords: [
      guard([
        {
          name: record,
          values: [outputOf("communication", "domainVerification"), outputOf("communication", "spf")],
        },
        {
          name: `_dmarc${sub}`,
          values: [`v=DMARC1; p=${email.dmarc.policy}; rua=mailto:${email.dmarc.report_to}`],
        },
      ]),
    ],
    cnameRecords: [
      guard([
        {
          name: str`${outputOf("communication", "dkimName")}${sub}`,
          target: outputOf("communication", "dkimValue"),
        },
        {
          name: str`${outputOf("communication", "dkim2Name")}${sub}`,
          target: outputOf("communication", "dkim2Value"),
        },
      ]),
    ],
  };
}
