// What each kind of problem claims, and how to check the claim against the spec it was found in: a
// value said to break a rule breaks it, a name said to be unknown is not declared, a suggested value is
// itself valid. Schema claims are checked with Ajv (an independent JSON Schema validator) and the form
// rules of src/spec/formats.ts; the others against the merged spec of each environment, read apart from
// the checks that made the claim. A message of a kind not listed here fails the truth test.
import { isMap as isYamlMap, isScalar, parseDocument } from "yaml";
import type { Problem } from "../src/errors.js";
import { describeValue } from "../src/spec/problems.js";
import { FORMATS } from "../src/spec/formats.js";
import { branchOf, type JsonSchema } from "../src/spec/json-schema.js";
import { secretKind, secretKindOfSetting } from "../src/spec/secrets.js";
import { cronProblem, timeZoneProblem } from "../src/spec/cron.js";
import { REFERENCE_PARTS } from "../src/spec/env-references.js";
import { seconds } from "../src/util/duration.js";
import { parseCommand } from "../src/model/command-line.js";
import { KEYS_BY_KIND } from "../src/model/service-checks.js";
import {
  ajvValid,
  getAt,
  isObj,
  parent,
  schemaAt,
  schemaHint,
  segments,
  SPEC_SCHEMA,
  validFor,
  type Plain,
} from "./spec-truth-schema.js";

export { isObj, type Plain };

/** What a claim is checked against. */
export interface Evidence {
  text: string;
  /** The spec as parsed (environments read as written), and each environment's merged spec. */
  raw: Plain;
  merged: Record<string, Plain>;
  tiers: Record<string, string>;
  /** Variables Gantry gives the named workload in one environment (read without its env, secrets and commands). */
  gantryVariables: (service: string, env: string) => string[] | undefined;
}

export interface Claim {
  kind: string;
  /** Matches the message (without its " (in staging)" suffix). */
  re: RegExp;
  /** A claim on the text of the file, checked once rather than in each environment. */
  onText?: boolean;
  /** Why the claim is false for this problem in this environment, or undefined when it holds. */
  check: (m: RegExpMatchArray, p: Problem, spec: Plain, ev: Evidence, env: string) => string | undefined;
}

// ------------------------------------------------------------------------------------------ claims

const declared = (spec: Plain, kind: string): string[] => {
  if (kind === "service") return Object.keys(isObj(spec.services) ? spec.services : {});
  if (kind === "topic") return Object.keys(isObj(spec.topics) ? spec.topics : {});
  if (kind === "channel")
    return Object.keys(
      isObj(spec.monitoring) && isObj(spec.monitoring.channels) ? spec.monitoring.channels : {},
    );
  if (kind === "PostgreSQL or Redis") return [...declared(spec, "postgres"), ...declared(spec, "redis")];
  if (kind === "database, cache, topic or bucket")
    return [
      ...declared(spec, "postgres"),
      ...declared(spec, "redis"),
      ...declared(spec, "topic"),
      ...declared(spec, "buckets"),
      ...(spec.email !== undefined ? ["email"] : []),
    ];
  return Object.keys(isObj(spec[kind]) ? spec[kind] : {});
};

/** A did-you-mean names a declared name; a list of the declared names is the list. */
function nearestHint(hint: string | undefined, names: string[]): string | undefined {
  const m = /^did you mean `([^`]*)`\?$/.exec(hint ?? "");
  if (m) return names.includes(m[1]!) ? undefined : `${m[1]} is not declared`;
  const list = /^declared \w+: (.*)$/.exec(hint ?? "");
  if (list) return list[1] === names.join(", ") ? undefined : "the list of declared names is not the list";
  return /^no \w+ are declared$/.test(hint ?? "") && names.length === 0
    ? undefined
    : `unexpected hint ${hint}`;
}

/** The kind of a service, as docs/spec.md defines it. */
function kindOf(svc: Plain): string {
  if (typeof svc.type === "string" && svc.type in KIND_WORDS) return svc.type;
  if (svc.static !== undefined) return "static";
  if (svc.schedule !== undefined) return "job";
  return svc.port !== undefined || svc.domain !== undefined ? "http" : "worker";
}
const KIND_WORDS: Record<string, string> = {
  http: "an HTTP service",
  worker: "a worker",
  static: "a static frontend",
  job: "a scheduled job",
};
/** Ports a Dapr sidecar listens on (docs.dapr.io: HTTP API, gRPC API, metrics, health). */
const DAPR = [3500, 50001, 9090, 3501];

const service = (spec: Plain, p: Problem): Plain => {
  const s = getAt(spec, segments(p.path).slice(0, 2));
  return isObj(s) ? s : {};
};
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

export const CLAIMS: Claim[] = [
  {
    kind: "merge key",
    onText: true,
    re: /^a merge key \(<<\) takes a map, got (nothing|a list|a \w+)$/,
    check: (_m, p, _spec, ev) => {
      const doc = parseDocument(ev.text, { merge: false });
      const v: unknown = doc.getIn([...segments(p.path), "<<"]);
      return v !== undefined && !isYamlMap(v) ? undefined : "it merges a map";
    },
  },
  {
    kind: "no anchor",
    onText: true,
    re: /^the alias \*(\S+) refers to no anchor$/,
    check: (m, _p, _spec, ev) =>
      ev.text.includes(`*${m[1]}`) && !ev.text.includes(`&${m[1]}`) ? undefined : "the anchor is there",
  },
  {
    kind: "list length",
    re: /^expected at (least|most) (\d+) items?, got (\d+)$/,
    check: (m, p, spec) => {
      const v = getAt(spec, segments(p.path));
      if (!Array.isArray(v) || v.length !== Number(m[3])) return "the count is not the list's";
      return (m[1] === "least" ? v.length < Number(m[2]) : v.length > Number(m[2]))
        ? undefined
        : "the count is within bounds";
    },
  },
  {
    kind: "schema: expected, got",
    re: /^expected (.+), got (nothing \(null\)|a list|a map|an empty string|boolean \S+|"(?:[^"\\]|\\.)*"|a value that looks like a secret \(not shown\)|[^:"\s]+)(?:: (.+))?$/s,
    check: (m, p, spec) => {
      const path = segments(p.path);
      const value = getAt(spec, path);
      const node = schemaAt(SPEC_SCHEMA, spec, path);
      if (!node) return "no schema at the path";
      const got = m[2]!;
      const shownOk =
        got === describeValue(value) ||
        (got === "an empty string" && value === "") ||
        (typeof value === "number" && Number(got) === value) ||
        (typeof value === "boolean" && got.startsWith("boolean "));
      if (!shownOk) return `got ${got} is not the value ${JSON.stringify(value)}`;
      const f = FORMATS[node["x-format"] ?? ""];
      const namesRule =
        typeof value === "string" && f && f.rules.length > 0 && node.pattern && !secretKind(value);
      if (namesRule && m[3] === undefined && !new RegExp(node.pattern!, "u").test(value))
        return "the value breaks the form, and the message names no rule of it";
      if (m[3] !== undefined) {
        const rule = f?.rules.find((r) => typeof value === "string" && r.why(value) === m[3]);
        if (!rule || typeof value !== "string") return `no rule of the form says "${m[3]}"`;
        if (rule.ok(value)) return `the value keeps the rule "${m[3]}"`;
      } else if (ajvValid(node, value)) return "Ajv accepts the value";
      return schemaHint(p, node, value, spec);
    },
  },
  {
    kind: "too long",
    re: /^is (\d+) characters long; at most (\d+) are allowed$/,
    check: (m, p, spec) => {
      const v = getAt(spec, segments(p.path));
      const node = schemaAt(SPEC_SCHEMA, spec, segments(p.path));
      return typeof v === "string" &&
        v.length === Number(m[1]) &&
        v.length > Number(m[2]) &&
        node?.maxLength === Number(m[2])
        ? undefined
        : "the length is not the value's, or within the limit";
    },
  },
  {
    kind: "too short",
    re: /^is (\d+) characters? long; at least (\d+) are needed$/,
    check: (m, p, spec) => {
      const v = getAt(spec, segments(p.path));
      const node = schemaAt(SPEC_SCHEMA, spec, segments(p.path));
      return typeof v === "string" &&
        v.length === Number(m[1]) &&
        v.length < Number(m[2]) &&
        node?.minLength === Number(m[2])
        ? undefined
        : "the length is not the value's, or not under the limit";
    },
  },
  {
    kind: "listed twice",
    re: /^.+ is listed twice \(also at \[(\d+)\]\)$/,
    check: (m, p, spec) => {
      const path = segments(p.path);
      const arr = getAt(spec, parent(path));
      const i = path.at(-1) as number;
      return Array.isArray(arr) && JSON.stringify(arr[i]) === JSON.stringify(arr[Number(m[1])])
        ? undefined
        : "the two items differ";
    },
  },
  {
    kind: "unknown key",
    re: /^unknown key `([^`]+)`$/,
    check: (m, p, spec) => {
      const path = segments(p.path);
      const schema = schemaAt(SPEC_SCHEMA, spec, parent(path));
      const container = getAt(spec, parent(path));
      const branch = schema && branchOf(schema, container);
      if (!isObj(container) || !(m[1]! in container)) return "the key is not there";
      if (!branch || branch.additionalProperties !== false || branch.properties?.[m[1]!])
        return "the key is known";
      const known = Object.keys(branch.properties ?? {});
      const dym = /^did you mean `([^`]+)`\?$/.exec(p.hint ?? "");
      if (dym) return known.includes(dym[1]!) ? undefined : `${dym[1]} is not a key here`;
      if (p.hint?.startsWith("expected one of: "))
        return p.hint.slice(17) === known.join(", ") ? undefined : "not the keys";
      return schemaHint(p, branch, container, spec);
    },
  },
  {
    kind: "invalid name",
    re: /^`([^`]*)` is not a valid name: (.+)$/,
    check: (m, p, spec) => {
      const path = segments(p.path);
      const schema = schemaAt(SPEC_SCHEMA, spec, parent(path));
      const names = schema?.propertyNames;
      if (!names?.pattern) return "the map has no rule for names";
      const asSchema: JsonSchema = { type: "string", pattern: names.pattern, "x-format": names["x-format"] };
      const f = FORMATS[names["x-format"] ?? ""];
      const rule = f?.rules.find((r) => r.why(m[1]!) === m[2]);
      if (!rule && f && f.rules.length > 0) return "the message names no rule of the form";
      if (rule ? rule.ok(m[1]!) : validFor(asSchema, m[1])) return "the name keeps the rule";
      const dym = /^did you mean `([^`]+)`\?$/.exec(p.hint ?? "");
      if (dym) return validFor(asSchema, dym[1]) ? undefined : `${dym[1]} is not a valid name`;
      return p.hint === `expected ${names["x-expected"]}` ? undefined : `unexpected hint ${p.hint}`;
    },
  },
  {
    kind: "required",
    re: /^`([^`]+)` is required(?:: .+)?$/s,
    check: (m, p, spec) => {
      const v = getAt(spec, segments(p.path));
      return isObj(v) && (v[m[1]!] === undefined || v[m[1]!] === null) ? undefined : `\`${m[1]}\` is set`;
    },
  },
  {
    kind: "duplicate key",
    onText: true,
    re: /^duplicate key: `([^`]+)` appears twice (?:in (\S+)|at the top level) \(first on line (\d+)\)$/,
    check: (m, _p, _spec, ev) => {
      const doc = parseDocument(ev.text, { uniqueKeys: false });
      const node = m[2] ? doc.getIn(segments(m[2]), true) : doc.contents;
      if (!isYamlMap(node)) return "no map there";
      const keys = node.items.filter((i) => isScalar(i.key) && String(i.key.value) === m[1]);
      const line =
        keys[0] && isScalar(keys[0].key) ? ev.text.slice(0, keys[0].key.range![0]).split("\n").length : 0;
      return keys.length >= 2 && line === Number(m[3])
        ? undefined
        : "the key is not there twice, or not first there";
    },
  },
  {
    kind: "unknown reference",
    re: /^unknown (service|topic|channel|PostgreSQL or Redis|database, cache, topic or bucket) `([^`]*)`$/,
    check: (m, p, spec) => {
      const names = declared(spec, m[1]!);
      if (names.includes(m[2]!)) return `${m[2]} is declared`;
      const v = getAt(spec, segments(p.path));
      if (v !== m[2] && !(isObj(getAt(spec, parent(segments(p.path)))) && v !== undefined))
        return "not the value";
      return nearestHint(p.hint, names);
    },
  },
  {
    kind: "unknown override",
    re: /^overrides unknown (service|PostgreSQL server|Redis cache|topic|bucket) `([^`]+)`$/,
    check: (m, p, _spec, ev) => {
      const section = segments(p.path)[2] as string;
      const names = Object.keys(isObj(ev.raw[section]) ? ev.raw[section] : {});
      if (names.includes(m[2]!)) return `${m[2]} is declared`;
      if (p.hint?.startsWith("did you mean")) return nearestHint(p.hint, names);
      return p.hint?.includes(`(${names.join(", ") || "nothing declared"})`)
        ? undefined
        : "not the declared names";
    },
  },
  {
    kind: "min above max",
    re: /^min \((-?[\d.]+)\) is greater than max \((-?[\d.]+)\)$/,
    check: (m, p, spec) => {
      const obj = getAt(spec, parent(segments(p.path)));
      return isObj(obj) && obj.min === Number(m[1]) && obj.max === Number(m[2]) && Number(m[1]) > Number(m[2])
        ? undefined
        : "min and max are not so";
    },
  },
  {
    kind: "not allowed on kind",
    re: /^`([^`]+)` is not allowed on (an HTTP service|a worker|a static frontend|a scheduled job)$/,
    check: (m, p, spec) => {
      const svc = service(spec, p);
      const kind = kindOf(svc);
      if (KIND_WORDS[kind] !== m[2]) return `the service is ${KIND_WORDS[kind]}`;
      return svc[m[1]!] !== undefined && !(KEYS_BY_KIND[m[1]!] ?? [kind]).includes(kind)
        ? undefined
        : "allowed";
    },
  },
  {
    kind: "build or image",
    re: /^(neither|both) `build` (?:nor|and) `image` (?:is|are) set$/,
    check: (m, p, spec) => {
      const svc = service(spec, p);
      const set = [svc.build, svc.image].filter((v) => v !== undefined).length;
      return set === (m[1] === "both" ? 2 : 0) ? undefined : "build and image are not so";
    },
  },
  {
    kind: "kind needs",
    re: /^a (static frontend|scheduled job) needs `(static|schedule)`$/,
    check: (m, p, spec) => {
      const svc = service(spec, p);
      return kindOf(svc) === (m[1] === "static frontend" ? "static" : "job") && svc[m[2]!] === undefined
        ? undefined
        : "set, or another kind";
    },
  },
  {
    kind: "static build",
    re: /^a static frontend's `build` is the command that builds it$/,
    check: (_m, p, spec) => (isObj(service(spec, p).build) ? undefined : "build is a command"),
  },
  {
    kind: "cron",
    re: /^invalid cron expression: (.+)$/,
    check: (m, p, spec) => {
      const v = getAt(spec, segments(p.path));
      return typeof v === "string" && cronProblem(v) === m[1] ? undefined : "the expression is valid";
    },
  },
  {
    kind: "time zone",
    re: /^unknown time zone "([^"]*)"/,
    check: (m) => (timeZoneProblem(m[1]!) ? undefined : "the zone is known"),
  },
  {
    kind: "email section",
    re: /^`email` is used but the spec has no `email` section$/,
    check: (_m, p, spec) =>
      getAt(spec, segments(p.path)) === "email" && spec.email === undefined ? undefined : "there is one",
  },
  {
    kind: "dapr port",
    re: /^port (\d+) clashes with (the Dapr HTTP API|the Dapr gRPC API|Dapr metrics|Dapr health) in the same pod$/,
    check: (m, p, spec) => {
      const svc = service(spec, p);
      const topics = Object.keys(isObj(spec.topics) ? spec.topics : {});
      const usesTopics =
        svc.subscribes !== undefined || list(svc.uses).some((u) => topics.includes(String(u)));
      return getAt(spec, segments(p.path)) === Number(m[1]) && DAPR.includes(Number(m[1])) && usesTopics
        ? undefined
        : "no sidecar, or not a sidecar port";
    },
  },
  {
    kind: "grace and drain",
    re: /^grace \((\S+)\) must be longer than drain \((\S+)\)$/,
    check: (m) => (seconds(m[1]!) <= seconds(m[2]!) ? undefined : "grace is longer"),
  },
  {
    kind: "secret and env",
    re: /^`([^`]+)` is both a secret and a plain env setting$/,
    check: (m, p, spec) => {
      const svc = service(spec, p);
      return list(svc.secrets).includes(m[1]) && isObj(svc.env) && m[1]! in svc.env ? undefined : "not both";
    },
  },
  {
    kind: "route twice",
    re: /^(\S+?)(\/\S*)? is also routed to services\.(\S+)$/,
    check: (m, p, spec) => {
      const other = getAt(spec, ["services", m[3]!]);
      const path = m[2] ?? "/";
      return isObj(other) &&
        list(other.domain).includes(m[1]) &&
        (other.path ?? "/") === path &&
        service(spec, p) !== other
        ? undefined
        : "the other service does not route it";
    },
  },
  {
    kind: "name used twice",
    re: /^the name `([^`]+)` is also used by (\w+)\.\1$/,
    check: (m, p, spec) =>
      isObj(spec[m[2]!]) && m[1]! in (spec[m[2]!] as Plain) && segments(p.path)[0] !== m[2]
        ? undefined
        : "not used there",
  },
  {
    kind: "channel needs",
    re: /^an? (email|slack|teams|webhook) channel needs `(to|webhook_secret)`$/,
    check: (m, p, spec) => {
      const ch = getAt(spec, segments(p.path));
      return isObj(ch) && ch.type === m[1] && ch[m[2]!] === undefined ? undefined : "the channel has it";
    },
  },
  {
    kind: "secret value",
    re: /^this value looks like a secret \(([^)]+)\); secret values are never accepted in the spec$/,
    check: (_m, p, spec, ev) => {
      const path = segments(p.path);
      const v = getAt(spec, path) ?? getAt(ev.raw, path);
      const key = path.at(-1);
      if (typeof v !== "string") return "not a string";
      return secretKind(v) || (typeof key === "string" && secretKindOfSetting(key, v))
        ? undefined
        : "does not look like one";
    },
  },
  {
    kind: "one instance",
    re: /^only one instance of this service runs$/,
    check: (_m, p, spec, ev, env) => {
      const svc = service(spec, p);
      const scale = svc.scale;
      const min =
        typeof scale === "number" ? scale : isObj(scale) && typeof scale.min === "number" ? scale.min : 1;
      return ev.tiers[env] === "production" && kindOf(svc) === "http" && min < 2 ? undefined : "more run";
    },
  },
  {
    kind: "no backups",
    re: /^this database has no backups$/,
    check: (_m, p, spec) => (getAt(spec, segments(p.path)) === false ? undefined : "backups are on"),
  },
  {
    kind: "set by Gantry",
    re: /^`([^`]+)` is set by Gantry for each instance(; a value here would override it)?$/,
    check: (m, p, _spec, ev, env) => {
      const name = m[1]!;
      if (name.startsWith("GANTRY_")) return undefined;
      const vars = ev.gantryVariables(String(segments(p.path)[1]), env);
      return vars?.includes(name) ? undefined : `Gantry does not set ${name}`;
    },
  },
  {
    kind: "command variable",
    re: /^the command uses \$(\w+), which (\S+) does not receive$/,
    check: (m, p, spec, ev, env) => {
      const svc = service(spec, p);
      const received = [...Object.keys(isObj(svc.env) ? svc.env : {}), ...list(svc.secrets).map(String)];
      const vars = ev.gantryVariables(m[2]!, env);
      if (!vars) return "the service cannot be read without the command";
      const all = [...new Set([...received, ...vars])].sort();
      if (all.includes(m[1]!)) return `${m[2]} receives ${m[1]}`;
      const listed = /^it receives (.*) \(`gantry env/.exec(p.hint ?? "");
      if (listed && listed[1] !== all.map((n) => `$${n}`).join(", ")) return `it receives ${all.join(", ")}`;
      return undefined;
    },
  },
  {
    kind: "command syntax",
    re: /^the command (is empty|has .+)$/,
    check: (_m, p, spec) => {
      const v = getAt(spec, segments(p.path));
      try {
        parseCommand(String(v));
        return "the command parses";
      } catch {
        return undefined;
      }
    },
  },
  {
    kind: "reference",
    re: /^\$\{([a-z][a-z0-9-]*)\.([a-z_]+)\}: (no PostgreSQL, Redis or bucket is named|\1 has no parts to refer to|a (?:bucket|PostgreSQL|Redis) has no part|(\S+) does not use)/,
    check: (m, p, spec) => {
      const [, resource, part, what] = m;
      const kindOfResource = (["postgres", "redis", "buckets"] as const).find((k) =>
        declared(spec, k).includes(resource!),
      );
      if (what!.startsWith("no PostgreSQL")) return kindOfResource ? `${resource} is declared` : undefined;
      if (what!.endsWith("has no parts to refer to"))
        return declared(spec, "topic").includes(resource!) || resource === "email"
          ? undefined
          : "it has parts";
      if (what!.startsWith("a ")) {
        const parts: readonly string[] =
          REFERENCE_PARTS[kindOfResource === "buckets" ? "bucket" : (kindOfResource ?? "postgres")];
        return parts.includes(part!) ? `${part} is a part` : undefined;
      }
      return list(service(spec, p).uses).includes(resource) ? `${m[4]} uses ${resource}` : undefined;
    },
  },
];

/** Problems of the file as a whole, each checked against the text. */
export const FILE_CLAIMS: {
  kind: string;
  re: RegExp;
  check: (m: RegExpMatchArray, text: string) => string | undefined;
}[] = [
  {
    kind: "empty file",
    re: /^the file is empty$/,
    check: (_m, t) => (/^(\s*#[^\n]*\n?|\s)*$/.test(t) ? undefined : "it is not"),
  },
  {
    kind: "top level",
    re: /^the top level must be a map of settings, but it is (a list|a string|a number|a boolean)$/,
    check: (m, t) => {
      const v: unknown = parseDocument(t).toJS();
      const what = Array.isArray(v) ? "a list" : `a ${typeof v}`;
      return what === m[1] ? undefined : `it is ${what}`;
    },
  },
  {
    kind: "not text",
    re: /^the file is not text/,
    check: (_m, t) => (t.includes("\0") || t.includes("\uFFFD") ? undefined : "it is text"),
  },
  {
    kind: "too large",
    re: /^the file is ([\d.]+) MB; a spec may be at most 1 MB$/,
    check: (_m, t) => (t.length > 1024 * 1024 ? undefined : "small"),
  },
  // The parser's own diagnoses of YAML syntax: what they claim is the yaml library's reading.
  {
    kind: "YAML syntax",
    re: /^(YAML syntax error: |more than one YAML document|the YAML (is nested|expands))/,
    check: () => undefined,
  },
  {
    kind: "plain key",
    re: /^a map key must be a plain name$|^"[^"]+" is not allowed as a key$/,
    check: () => undefined,
  },
];
