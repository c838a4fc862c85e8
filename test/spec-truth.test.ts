// Every message is true: for each problem Gantry reports on a generated or hand-made broken spec, the
// claim it makes is checked against the spec (spec-truth-claims.ts). A value said to break a rule
// breaks it; a name said to be unknown is not declared; every suggested value is valid.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseDocument, stringify } from "yaml";
import { loadSpec } from "../src/model/load.js";
import { mergedSpec, environmentNames } from "../src/model/resolve.js";
import { workloadVariables } from "../src/model/bindings.js";
import { tierFromName } from "../src/model/defaults.js";
import { SpecError, formatProblem, type Problem } from "../src/errors.js";
import { asWritten } from "../src/spec/as-written.js";
import { SpecSchema } from "../src/spec/schema.js";
import { SourceMap, parseSource } from "../src/spec/source.js";
import type { JsonSchema } from "../src/spec/json-schema.js";
import { isWorkload } from "../src/model/queries.js";
import { CASES } from "./fixtures-malformed.js";
import { FORMATS } from "../src/spec/formats.js";
import { CLAIMS, FILE_CLAIMS, isObj, type Evidence, type Plain } from "./spec-truth-claims.js";
import { schemaCases } from "./spec-truth-cases.js";
import { EXAMPLES, examplePath } from "./helpers.js";
import { mutate, rng } from "./mutate.js";

function problemsOf(text: string): Problem[] {
  try {
    return loadSpec("gantry.yaml", text).warnings;
  } catch (e) {
    if (e instanceof SpecError) return e.problems;
    throw e;
  }
}

/** The spec read apart from the checks: the raw values and each environment's merged spec. */
function evidence(text: string): Evidence {
  const map = new SourceMap();
  const parsed = parseSource("gantry.yaml", text, map);
  const gantry = (svc: string, env: string) => gantryVariables(text, svc, env);
  if (!isObj(parsed.value)) return { text, raw: {}, merged: {}, tiers: {}, gantryVariables: gantry };
  const raw = parsed.value;
  const envSchema = (SpecSchema as unknown as JsonSchema).properties!.environments!;
  if (raw.environments !== undefined) raw.environments = asWritten(envSchema, raw.environments, map);
  const merged: Record<string, Plain> = {};
  const tiers: Record<string, string> = {};
  for (const env of environmentNames(raw)) {
    const ctx = { map, problems: [], fallback: { file: "gantry.yaml", line: 1, col: 1 } };
    merged[env] = mergedSpec({ file: "gantry.yaml", raw, map }, env, ctx).merged;
    const settings = isObj(raw.environments) ? raw.environments[env] : undefined;
    tiers[env] = isObj(settings) && typeof settings.tier === "string" ? settings.tier : tierFromName(env);
  }
  return { text, raw, merged, tiers, gantryVariables: gantry };
}

/**
 * The variables Gantry gives a workload: they follow from its port and what it uses, so they are read
 * from the spec without the service's env, secrets and commands (which the claims are about).
 */
function gantryVariables(text: string, svc: string, env: string): string[] | undefined {
  const doc = parseDocument(text);
  for (const prefix of [[], ["environments", env]])
    for (const key of ["env", "secrets", "command", "migrations"])
      if (doc.hasIn([...prefix, "services", svc, key])) doc.deleteIn([...prefix, "services", svc, key]);
  try {
    const app = loadSpec("gantry.yaml", doc.toString(), env).project.environments[0]!;
    const w = app.services[svc];
    if (!w || !isWorkload(w)) return undefined;
    return workloadVariables(app, w)
      .filter((v) => v.from === "gantry")
      .map((v) => v.name);
  } catch {
    return undefined;
  }
}

/** Why a problem's claim is false (or unchecked), or undefined when it holds in every environment it names. */
function falsehood(p: Problem, ev: Evidence, used: Set<string>): string | undefined {
  const suffix = / \(in ([^()]+)\)$/.exec(p.message);
  const message = suffix ? p.message.slice(0, suffix.index) : p.message;
  const onFile = p.path === "" ? FILE_CLAIMS.find((c) => c.re.test(message)) : undefined;
  if (onFile) {
    used.add(onFile.kind);
    return onFile.check(message.match(onFile.re)!, ev.text);
  }
  const claim = CLAIMS.find((c) => c.re.test(message));
  if (!claim) return "no claim kind matches this message";
  used.add(claim.kind);
  if (claim.onText) return claim.check(message.match(claim.re)!, p, ev.raw, ev, "");
  const envs = suffix ? suffix[1]!.split(", ") : Object.keys(ev.merged);
  for (const env of envs) {
    const spec = /^environments(\.|$)/.test(p.path) ? ev.raw : ev.merged[env];
    if (!spec) return `no environment ${env}`;
    const why = claim.check(message.match(claim.re)!, p, spec, ev, env);
    if (why) return `${why} (in ${env})`;
  }
  return undefined;
}

interface Run {
  checked: number;
  specs: number;
  false: string[];
  used: Set<string>;
}

function checkCases(cases: { name: string; text: string }[]): Run {
  const run: Run = { checked: 0, specs: 0, false: [], used: new Set() };
  for (const c of cases) {
    run.specs++;
    const ev = evidence(c.text);
    for (const p of problemsOf(c.text)) {
      run.checked++;
      const why = falsehood(p, ev, run.used);
      if (why) run.false.push(`${c.name}: ${formatProblem(p)}\n    not true: ${why}`);
    }
  }
  return run;
}

/** Mistakes the schema cannot generate: references, kinds, clashes, commands, secrets. */
const CROSS = [
  "name: s\nservices:\n  api: { image: nginx, port: 80, command: node $NOPE, env: { PORT: '1' }, secrets: [GANTRY_X] }\n",
  "name: s\nservices:\n  api: { image: nginx, port: 80, uses: [db], env: { A: '${db.nope}', B: '${dbx.url}', C: '${cache.url}' } }\npostgres: { db: {} }\nredis: { cache: {} }\n",
  "name: s\nservices:\n  api: { image: nginx, port: 80, command: \"node 'x\", env: { T: '${events.url}' } }\ntopics: { events: {} }\n",
  "name: s\nservices:\n  api: { image: nginx, port: 80, secrets: [A], env: { A: x } }\n  job: { image: nginx, schedule: '61 * * * *', timezone: Mars/Base }\n  web: { static: ./web, build: { context: . } }\n",
  "name: s\nservices:\n  api: { image: nginx, port: 80, uses: [email], shutdown: { drain: 30s, grace: 10s } }\n",
  "name: s\nservices:\n  api: { type: static, build: x }\n  job: { type: job, image: nginx }\n",
  "name: s\nmonitoring:\n  channels: { a: { type: email }, b: { type: slack } }\n  alerts: { mine: { services: [apx], channels: [c] } }\n",
  "name: s\nservices:\n  api: { image: nginx, port: 80, env: { DB_PASSWORD: hunter2 } }\npostgres: { db: { backups: { enabled: false } } }\n",
  "name: s\nservices:\n  api: { image: nginx, port: 80 }\nenvironments:\n  dev: { services: { apx: {} }, postgres: { db: {} } }\n",
  "name: s\nservices:\n  api:\n    image: nginx\n    <<: [1]\n",
  "name: s\nservices:\n  api: { image: nginx, port: 80 }\n  api: { image: nginx }\n",
  "name: s\n__proto__: 1\n",
  `name: s\ndescription: ${"x".repeat(1024 * 1024)}\n`,
];

/** The examples, each changed a few times at random (test/mutate.ts). */
function mutatedExamples(count: number): { name: string; text: string }[] {
  return EXAMPLES.flatMap((name) => {
    const original = readFileSync(examplePath(name), "utf8");
    const r = rng(name.length * 31337);
    return Array.from({ length: count }, (_, n) => {
      let text = original;
      for (let k = 0; k < 1 + Math.floor(r() * 3); k++) text = mutate(text, r);
      return { name: `${name} mutation ${n}`, text };
    });
  });
}

const ALL_CASES = () => [
  ...CASES.map((c) => ({ name: c.name, text: c.spec })),
  ...CROSS.map((text, i) => ({ name: `cross ${i}`, text })),
  ...schemaCases().map((c) => ({ name: c.name, text: stringify(c.spec) })),
  ...mutatedExamples(60),
];

describe("every message is true", () => {
  let run: Run | undefined;
  const once = () => (run ??= checkCases(ALL_CASES()));

  it("on the malformed specs, the hand-made cases and the cases generated from the schema", () => {
    const r = once();
    console.log(`# truth: ${r.checked} problems of ${r.specs} specs checked, ${r.used.size} kinds of claim`);
    assert.deepEqual(r.false.slice(0, 20), []);
    assert.ok(r.checked > 1000, `only ${r.checked} problems`);
  });

  it("has a case for every kind of claim", () => {
    const kinds = [...CLAIMS, ...FILE_CLAIMS].map((c) => c.kind).filter((k) => !once().used.has(k));
    assert.deepEqual(kinds, []);
  });
});

/** Every node of the schema that has a pattern, with its path. */
function patterned(s: JsonSchema, path: string, out: [string, JsonSchema][] = []): [string, JsonSchema][] {
  if (s.pattern) out.push([path, s]);
  if (s.propertyNames?.pattern) out.push([`${path}.<name>`, s.propertyNames]);
  for (const [k, p] of Object.entries(s.properties ?? {})) patterned(p, `${path}.${k}`, out);
  if (typeof s.additionalProperties === "object") patterned(s.additionalProperties, `${path}.*`, out);
  if (s.items) patterned(s.items, `${path}[]`, out);
  for (const b of s.anyOf ?? []) patterned(b, path, out);
  return out;
}

/** Strings around every rule: each form's alphabet, edges of lengths, and the usual slips. */
function corpus(): string[] {
  const alphabet = [
    "a",
    "z",
    "A",
    "0",
    "9",
    "-",
    "_",
    ".",
    "/",
    "?",
    "=",
    "&",
    "*",
    "@",
    ":",
    " ",
    "é",
    "%",
    "m",
    "Mi",
    "Gi",
  ];
  const out = new Set<string>([
    "",
    "a",
    "-",
    "/",
    ".",
    "*.a.io",
    "a.b",
    "a..b",
    "1.33",
    "250m",
    "0.5",
    "512Mi",
    "6Mi",
    "5Mi",
  ]);
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let n = 0; n < 4000; n++) {
    const len = Math.floor(rand() * 8);
    let v = "";
    for (let i = 0; i < len; i++) v += alphabet[Math.floor(rand() * alphabet.length)]!;
    out.add(v);
    out.add(`/${v}`);
    out.add(`a${v}.io`);
  }
  for (const n of [39, 40, 41, 62, 63, 64, 90, 91, 128, 129])
    out.add("a".repeat(n)).add(`a.${"b".repeat(n)}.io`);
  return [...out];
}

describe("the forms of the spec's strings", () => {
  const nodes = patterned(SpecSchema, "");

  it("every pattern is a form (formats.ts), so its messages name the rule a value breaks", () => {
    assert.deepEqual(
      nodes.filter(([, s]) => !s["x-format"]).map(([p]) => p),
      [],
    );
  });

  it("a value that keeps every rule of a form matches its pattern, so a refused value always breaks a named rule", () => {
    const strings = corpus();
    const wrong: string[] = [];
    for (const f of Object.values(FORMATS)) {
      if (f.rules.length === 0) continue;
      const re = new RegExp(f.pattern, "u");
      for (const v of strings)
        if (f.rules.every((r) => r.ok(v)) && !re.test(v)) wrong.push(`${f.name}: ${JSON.stringify(v)}`);
    }
    assert.deepEqual(wrong.slice(0, 10), []);
  });

  it("a form that lists its rules in its description lists every one", () => {
    const missing = Object.values(FORMATS).flatMap((f) =>
      f.rules
        .filter((r) => r.says !== undefined && !f.expected.includes(r.says))
        .map((r) => `${f.name}: ${r.says!}`),
    );
    assert.deepEqual(missing, []);
  });

  it("the examples a form gives (such as ...) are values of the form", () => {
    const wrong: string[] = [];
    for (const f of Object.values(FORMATS)) {
      const examples = [...f.expected.matchAll(/such as ([^ ,()]+)(?: or ([^ ,()]+))?/g)].flatMap((m) => [
        m[1],
        m[2],
      ]);
      for (const e of examples.filter((x): x is string => x !== undefined))
        if (!new RegExp(f.pattern, "u").test(e) || !f.rules.every((r) => r.ok(e)))
          wrong.push(`${f.name}: ${e}`);
    }
    assert.deepEqual(wrong, []);
  });
});
