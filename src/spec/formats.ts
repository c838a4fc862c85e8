// The forms of the spec's strings: names, paths, host names, amounts. Each has its pattern (which the
// published JSON Schema carries), what it is called in messages, and its rules one by one, so that an
// error says which rule a value breaks (`8080` must start with a letter) and is never a claim the
// value disproves; and the fix of the usual slip, which a hint offers only when the fix is valid.
import {
  atMost,
  hostOf,
  nonEmpty,
  notEndingWith,
  only,
  pathOf,
  slug,
  startsWith,
  transliterate,
  type Rule,
} from "./format-rules.js";
import { quantity } from "../util/quantity.js";

export interface Format {
  /** The key schema nodes name it by (`x-format`). */
  name: string;
  pattern: string;
  /** What a value of this form is, with its rules in short, in messages and docs. */
  expected: string;
  /** What it is, without the rules: for a message that names the rule the value breaks. */
  what?: string;
  /** Rules a value keeps; together they are the pattern, or stricter than it (never looser). */
  rules: readonly Rule[];
  /** The value with the usual slip fixed, when there is one (the checker offers it only if valid). */
  fix?: (v: string) => string | undefined;
  /** Advice a hint adds to the fix, for a value written with more than this form holds. */
  advice?: (v: string) => string | undefined;
}

const lower = (s: string) => s.toLowerCase();
const upper = (s: string) => s.toUpperCase();
/** The characters of a URL path segment (RFC 3986 pchar; '-' is added last in each class). */
const PCHAR = "A-Za-z0-9._~!$&'()*+,;=:@%";

/** A name of the app and of everything in it: it becomes host names, resource and object names. */
const NAME: Format = {
  name: "name",
  pattern: "^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$",
  what: "a lower-case name",
  expected:
    "a lower-case name (a-z, 0-9 and '-', starting with a letter, not ending with '-'), at most 40 characters",
  rules: [
    nonEmpty,
    only(/[a-z0-9-]/u, "a-z, 0-9 and '-'"),
    startsWith(/[a-z]/u, "a letter"),
    notEndingWith("-"),
    atMost(40),
  ],
  fix: (v) =>
    slug(v, lower, /[a-z0-9]/u, "-")
      .slice(0, 40)
      .replace(/-+$/, ""),
};

const SECRET_NAME: Format = {
  name: "secret-name",
  pattern: "^[A-Z][A-Z0-9_]{0,62}$",
  what: "an upper-case secret name such as JWT_SECRET",
  expected:
    "an upper-case secret name such as JWT_SECRET (A-Z, 0-9 and '_', starting with a letter), at most 63 characters",
  rules: [nonEmpty, only(/[A-Z0-9_]/u, "A-Z, 0-9 and '_'"), startsWith(/[A-Z]/u, "a letter"), atMost(63)],
  fix: (v) => slug(v, upper, /[A-Z0-9]/u, "_"),
};

const ENV_VAR_RULES = [
  nonEmpty,
  only(/[A-Za-z0-9_]/u, "letters, digits and '_'"),
  startsWith(/[A-Za-z_]/u, "a letter or '_'", "not starting with a digit"),
];
const ENV_VAR: Format = {
  name: "env-var",
  pattern: "^[A-Za-z_][A-Za-z0-9_]*$",
  what: "an environment variable name",
  expected: "an environment variable name (letters, digits and '_', not starting with a digit)",
  rules: ENV_VAR_RULES,
  fix: (v) => slug(v, (s) => s, /[A-Za-z0-9]/u, "_"),
};

const PATH_RULES = (extra: string, special: (v: string) => string | undefined): Rule[] => [
  {
    ok: (v) => v.startsWith("/"),
    why: (v) =>
      /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? "it is a whole URL; write only its path" : "it must start with /",
  },
  only(
    new RegExp(`[${PCHAR}/${extra}-]`, "u"),
    "letters, digits, '/' and - . _ ~ ! $ & ' ( ) * + , ; = : @ %",
    special,
    null,
  ),
];

const pathSlip = (v: string): string | undefined => {
  if (v.includes("#")) return "a fragment (#...) is not sent to the server; remove it";
  if (/\s/.test(v)) return "spaces are not allowed in a URL path (write %20)";
  return undefined;
};

const PATH: Format = {
  name: "path",
  pattern: `^/[${PCHAR}/-]*$`,
  what: "a URL path",
  expected: "a URL path starting with / (without a ?query)",
  rules: PATH_RULES("", (v) =>
    v.includes("?") ? "a query (?...) is not allowed in this path" : pathSlip(v),
  ),
  fix: (v) => pathOf(v) ?? `/${v.trim()}`,
};

/** Health checks send a GET to the path, and every platform's probe takes a query with it. */
const HEALTH_PATH: Format = {
  name: "health-path",
  pattern: `^/[${PCHAR}/-]*(\\?[${PCHAR}/?-]*)?$`,
  what: "a URL path",
  expected: "a URL path starting with /, with an optional ?query",
  rules: PATH_RULES("?", pathSlip),
  fix: PATH.fix!,
};

const LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
const labelsOf = (v: string) => v.replace(/^\*\./, "").split(".");
const HOSTNAME_RULES: Rule[] = [
  {
    ok: (v) => !/[/:]/.test(v),
    why: (v) =>
      v.includes("://")
        ? "a host name is written without https:// and without a path"
        : v.includes("/")
          ? "a host name is written without a path"
          : "a host name is written without a port",
  },
  only(/[a-z0-9.*-]/u, "a-z, 0-9, '-' and '.'", undefined, null),
  {
    ok: (v) => !v.replace(/^\*\./, "").includes("*"),
    why: () => "'*' is allowed only as the whole first label (*.example.com)",
  },
  {
    ok: (v) => labelsOf(v).length >= 2,
    why: () => "it has no dot: a host name has a domain, such as api.example.com",
  },
  {
    ok: (v) => !labelsOf(v).includes(""),
    why: () => "it has an empty label (a dot at an end, or two in a row)",
  },
  {
    ok: (v) => labelsOf(v).every((l) => !l.startsWith("-") && !l.endsWith("-")),
    why: () => "a label (the part between dots) may not start or end with '-'",
  },
  { ok: (v) => labelsOf(v).every((l) => l.length <= 63), why: () => "a label is longer than 63 characters" },
  {
    ok: (v) => /^[a-z][a-z0-9-]*[a-z0-9]$/.test(labelsOf(v).at(-1) ?? ""),
    why: () =>
      "the last label (the top-level domain) must start with a letter and have two characters at least",
  },
];
const HOSTNAME: Format = {
  name: "hostname",
  pattern: `^(\\*\\.)?(${LABEL}\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`,
  what: "a host name",
  expected: "a lower-case host name such as api.example.com",
  rules: HOSTNAME_RULES,
  fix: (v) => transliterate(hostOf(v)),
};
/** A service's domain: a path written with it belongs in the service's `path`. */
const DOMAIN: Format = {
  ...HOSTNAME,
  name: "domain",
  advice: (v) => {
    const path = pathOf(v);
    return path ? `with \`path: ${path}\` on the service` : undefined;
  },
};

const CPU: Format = {
  name: "cpu",
  pattern: "^([0-9]+m|[0-9]+(\\.[0-9]+)?)$",
  expected: "a CPU amount in cores (0.5, 2) or millicores (250m)",
  rules: [],
  fix: (v) => {
    const s = v.trim().replace(",", ".").replace(/\s+/g, "");
    const cores = /^([0-9]*\.?[0-9]+)(cores?|vcpus?|cpus?)?$/i.exec(s);
    if (cores) return String(Number(cores[1]));
    return s.replace(/M$/, "m");
  },
};

const MEMORY_FORM = /^([0-9]+)(Ki|Mi|Gi|Ti|K|M|G|T)?$/;
/** Below this, no container starts (Docker's smallest memory limit is 6 MB). */
const MIN_MEMORY = 6 * 2 ** 20;
/** A memory amount in bytes (the local runtime compares an instance's memory with its limit). */
export const bytes = (v: string) => (MEMORY_FORM.test(v) ? quantity(v) : undefined);
const MEMORY: Format = {
  name: "memory",
  pattern: "^[0-9]+(Ki|Mi|Gi|Ti|K|M|G|T)?$",
  what: "a memory amount such as 256Mi or 1Gi",
  expected: "a memory amount such as 256Mi or 1Gi (a whole number with Ki, Mi, Gi or Ti)",
  rules: [
    {
      ok: (v) => MEMORY_FORM.test(v),
      why: () =>
        "write a whole number and one of the units Ki, Mi, Gi, Ti (or K, M, G, T for powers of 1000)",
    },
    {
      ok: (v) => (bytes(v) ?? MIN_MEMORY) >= MIN_MEMORY,
      why: (v) =>
        `${/^[0-9]+$/.test(v) ? `${v} is ${v} bytes (a number without a unit counts bytes)` : `${v} is too little`}; a container needs 6Mi at the least`,
    },
  ],
  fix: (v) => {
    const m = /^([0-9]*\.?[0-9]+)\s*([kmgt]?)(i?b?)$/i.exec(v.trim());
    if (!m) return undefined;
    const unit = m[2] ? `${m[2].toUpperCase()}i` : "Mi";
    const n = Number(m[1]);
    if (Number.isInteger(n)) return `${n}${unit}`;
    const smaller = { Ki: "", Mi: "Ki", Gi: "Mi", Ti: "Gi" }[unit];
    return smaller ? `${Math.round(n * 1024)}${smaller}` : undefined;
  },
};

/** Forms whose pattern says it all; the message names the form, and a fix may still help. */
const plain = (
  name: string,
  pattern: string,
  expected: string,
  fix?: (v: string) => string | undefined,
): Format => ({
  name,
  pattern,
  expected,
  rules: [],
  ...(fix ? { fix } : {}),
});

export const FORMATS: Record<string, Format> = Object.fromEntries(
  [
    NAME,
    SECRET_NAME,
    ENV_VAR,
    {
      ...ENV_VAR,
      name: "build-arg",
      what: "a build argument name",
      expected: "a build argument name (letters, digits and '_', not starting with a digit)",
    },
    PATH,
    HEALTH_PATH,
    HOSTNAME,
    DOMAIN,
    CPU,
    MEMORY,
    {
      name: "database",
      pattern: "^[a-z_][a-z0-9_]{0,62}$",
      what: "a database name",
      expected: "a database name (a-z, 0-9 and '_', not starting with a digit), at most 63 characters",
      rules: [
        nonEmpty,
        only(/[a-z0-9_]/u, "a-z, 0-9 and '_'"),
        startsWith(/[a-z_]/u, "a letter or '_'", "not starting with a digit"),
        atMost(63),
      ],
      fix: (v: string) => slug(v, lower, /[a-z0-9]/u, "_"),
    },
    {
      name: "sender",
      pattern: "^[a-z0-9][a-z0-9._-]{0,63}$",
      what: "a sender name such as noreply",
      expected:
        "a sender name such as noreply (a-z, 0-9, '.', '_' and '-', starting with a letter or digit), at most 64 characters",
      rules: [
        nonEmpty,
        only(/[a-z0-9._-]/u, "a-z, 0-9, '.', '_' and '-'"),
        startsWith(/[a-z0-9]/u, "a letter or digit"),
        atMost(64),
      ],
      fix: (v: string) => lower(transliterate(v.replace(/@.*$/s, "").trim())),
    },
    {
      name: "tag-name",
      pattern: "^[A-Za-z][A-Za-z0-9_.-]{0,127}$",
      what: "a tag name such as CostCenter",
      expected:
        "a tag name such as CostCenter (letters, digits, '_', '.' and '-', starting with a letter), at most 128 characters",
      rules: [
        nonEmpty,
        only(/[A-Za-z0-9_.-]/u, "letters, digits, '_', '.' and '-'"),
        startsWith(/[A-Za-z]/u, "a letter"),
        atMost(128),
      ],
      fix: (v: string) => slug(v, (s) => s, /[A-Za-z0-9_.]/u, "-"),
    },
    {
      name: "region",
      pattern: "^[a-z0-9-]+$",
      what: "a region name such as eu-west-1",
      expected: "a region name such as eu-west-1 (a-z, 0-9 and '-')",
      rules: [nonEmpty, only(/[a-z0-9-]/u, "a-z, 0-9 and '-'")],
      fix: (v: string) => slug(v, lower, /[a-z0-9]/u, "-"),
    },
    {
      name: "resource-group",
      pattern: "^[A-Za-z0-9._()-]{1,90}$",
      what: "an Azure resource group name",
      expected:
        "an Azure resource group name (letters, digits, '.', '_', '(', ')' and '-'), at most 90 characters",
      rules: [nonEmpty, only(/[A-Za-z0-9._()-]/u, "letters, digits, '.', '_', '(', ')' and '-'"), atMost(90)],
      fix: (v: string) => slug(v, (s) => s, /[A-Za-z0-9._()]/u, "-"),
    },
    {
      name: "droplet-size",
      pattern: "^[a-z0-9-]+$",
      what: "a Droplet size slug such as s-2vcpu-4gb",
      expected: "a Droplet size slug such as s-2vcpu-4gb (a-z, 0-9 and '-')",
      rules: [nonEmpty, only(/[a-z0-9-]/u, "a-z, 0-9 and '-'")],
      fix: (v: string) => lower(v.trim()),
    },
    plain(
      "smarthost",
      "^[A-Za-z0-9.-]+:[0-9]{1,5}$",
      "an SMTP relay as host:port, such as smtp.example.com:587",
    ),
    plain("rule-id", "^[a-z]+/[a-z0-9-]+$", "a rule id of docs/checks.md such as spec/single-instance", (v) =>
      v.trim().toLowerCase(),
    ),
    // Repositories are lower-case; the tag after ':' is left as written.
    plain("image", "^[a-z0-9][a-z0-9._/:@-]*$", "an image reference such as nginx:1.27", (v) =>
      v.trim().replace(/^[^:@]+/, lower),
    ),
    plain("duration", "^[0-9]+(s|m|h|d)$", "a duration such as 30s, 5m, 1h or 7d", (v) => {
      const m = /^([0-9]+)\s*(s|sec|secs|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)$/i.exec(v.trim());
      return m ? `${m[1]}${m[2]![0]!.toLowerCase()}` : undefined;
    }),
    plain("email", "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", "an e-mail address such as ops@example.com", (v) =>
      v.trim().replace(/^mailto:/i, ""),
    ),
    plain(
      "origin",
      "^https?://[^\\s/]+$",
      "an origin such as https://app.example.com",
      (v) => /^https?:\/\/[^\s/]+/.exec(v.trim())?.[0],
    ),
    // pgBackRest speaks only TLS to S3 and takes a host and a port, no path (`repo-s3-endpoint`,
    // `repo-storage-port` in its configuration reference).
    plain(
      "s3-endpoint",
      "^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$",
      "an https:// URL of an S3-compatible service, host and optional port without a path, such as https://s3.eu-west-1.amazonaws.com or https://minio.example.com:9000",
      // A bare host, or http:// (which pgBackRest cannot use), offered as https://.
      (v) => {
        const host = /^(?:https?:\/\/)?([A-Za-z0-9.-]+(?::[0-9]{1,5})?)\/?$/i.exec(v.trim())?.[1];
        return host ? `https://${host}` : undefined;
      },
    ),
    plain(
      "repository",
      "^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$",
      "a GitHub repository such as acme/shop (owner/name)",
      (v) => /github\.com[/:]([A-Za-z0-9_.-]+\/[A-Za-z0-9_-]+(\.(?!git$)[A-Za-z0-9_-]+)*)/.exec(v)?.[1],
    ),
    plain("registry", "^[a-z0-9][a-z0-9.:-]*(/[a-z0-9._-]+)*$", "a registry such as ghcr.io/acme", (v) =>
      lower(
        v
          .trim()
          .replace(/^[a-z]+:\/\//i, "")
          .replace(/\/+$/, ""),
      ),
    ),
    plain("azure-location", "^[a-z0-9]+$", "an Azure region such as eastus", (v) =>
      lower(v).replace(/[^a-z0-9]/g, ""),
    ),
    plain("aws-region", "^[a-z]{2}(-[a-z]+)+-[0-9]$", "an AWS region such as us-east-1", (v) =>
      lower(v.trim()),
    ),
    plain("aws-account", "^[0-9]{12}$", "a 12-digit AWS account id", (v) => v.replace(/[\s-]/g, "")),
    plain("do-region", "^[a-z]{3}[0-9]$", "a DigitalOcean region such as nyc1", (v) => lower(v.trim())),
    plain(
      "kubernetes-version",
      "^1\\.[0-9]+$",
      "a Kubernetes minor version such as 1.33",
      (v) => /^v?(1\.[0-9]+)/.exec(v.trim())?.[1],
    ),
  ].map((f) => [f.name, f]),
);

/** The format of a name, for places that check names outside the schema. */
export const NAME_FORMAT = NAME;
