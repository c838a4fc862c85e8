// Secret values never belong in a spec. These checks name what a literal looks like without ever
// repeating the literal, so not even the error message leaks it.

const VALUE_PATTERNS: [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a private key"],
  [/\bAKIA[0-9A-Z]{16}\b/, "an AWS access key id"],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}\b/, "a GitHub token"],
  [/\bgithub_pat_[A-Za-z0-9_]{40,}\b/, "a GitHub token"],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/, "a Slack token"],
  [/\b(sk|rk)_(live|test)_[0-9a-zA-Z]{10,}\b/, "a Stripe key"],
  [/\bAIza[0-9A-Za-z_-]{35}\b/, "a Google API key"],
  [/\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./, "a JSON web token"],
  [/hooks\.slack\.com\/services\//, "a Slack webhook URL"],
  [/\.webhook\.office\.com\/|\.logic\.azure\.com\/workflows\//, "a Teams webhook URL"],
  [/[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:[^\s@/]+@/i, "a URL with a password in it"],
  [/\bAccountKey=[A-Za-z0-9+/=]{20,}/, "an Azure storage key"],
  [/\bsk-[A-Za-z0-9_-]{20,}\b/, "an API key"],
  [/\bdop_v1_[a-f0-9]{64}\b/, "a DigitalOcean token"],
];

/** Names of settings whose values are secrets by convention. */
const SECRET_KEY =
  /(PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?|CONNECTION_?STRING|DSN|SIGNING_?KEY)$/i;

function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** What a literal looks like if it looks like a secret value, else undefined. */
export function secretKind(value: string): string | undefined {
  for (const [re, kind] of VALUE_PATTERNS) if (re.test(value)) return kind;
  return undefined;
}

/** Like secretKind, plus random-looking tokens: used for env values, where such strings are keys. */
export function secretKindOfSetting(name: string, value: string): string | undefined {
  const kind = secretKind(value);
  if (kind) return kind;
  if (SECRET_KEY.test(name) && value.trim() !== "") return `the value of a setting named like a secret`;
  const token = value.trim();
  if (
    token.length >= 32 &&
    !/\s/.test(token) &&
    /[a-z]/.test(token) &&
    /[A-Z]/.test(token) &&
    /[0-9]/.test(token) &&
    entropy(token) > 4.2 &&
    !/^[a-z]+:\/\//i.test(token) &&
    !token.includes("/")
  ) {
    return "a random token (an API key or password?)";
  }
  return undefined;
}
