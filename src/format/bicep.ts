// The one Bicep printer. Targets build typed Bicep files (parameters, resources, modules, outputs)
// whose values are plain data or small expression nodes, and this module prints them. Nothing in
// Gantry writes Bicep by concatenating fragments: strings are always escaped here, identifiers are
// checked here, and the layout (two-space indent, one property per line) is decided here only.

/** A Bicep expression that is not a literal: a reference, a call, a member access, an interpolation... */
export type BicepExpr =
  | { kind: "ref"; name: string }
  | { kind: "member"; target: BicepValue; path: string[] }
  | { kind: "index"; target: BicepValue; index: BicepValue }
  | { kind: "call"; fn: string; args: BicepValue[] }
  | { kind: "interp"; parts: (string | BicepValue)[] }
  | { kind: "ternary"; test: BicepValue; then: BicepValue; else: BicepValue }
  | {
      kind: "binary";
      op: "==" | "!=" | "&&" | "||" | "+" | "-" | "*" | "/" | "%" | ">" | "<" | ">=" | "<=" | "??";
      left: BicepValue;
      right: BicepValue;
    }
  | { kind: "not"; value: BicepValue }
  | { kind: "lambda"; params: string[]; body: BicepValue }
  /** An object whose keys are expressions (interpolated strings), e.g. the hidden-link tag of a web test. */
  | { kind: "dynobj"; entries: [BicepValue, BicepValue][] }
  | { kind: "for"; item: string; index?: string; over: BicepValue; body: BicepValue; condition?: BicepValue };

export type BicepValue = string | number | boolean | null | BicepValue[] | BicepObject | BicepExprNode;
export interface BicepObject {
  [key: string]: BicepValue | undefined;
}
/** Expression nodes are tagged with a symbol so that plain objects with a `kind` key stay objects. */
export const EXPR: unique symbol = Symbol("bicep-expr");
export type BicepExprNode = BicepExpr & { [EXPR]: true };

const mk = (e: BicepExpr): BicepExprNode => Object.assign(e, { [EXPR]: true as const });
export const isExpr = (v: unknown): v is BicepExprNode =>
  typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[EXPR] === true;

// ---- expression constructors -------------------------------------------------------------------
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`not a Bicep identifier: ${name}`);
  return name;
}
export const ref = (name: string): BicepExprNode => mk({ kind: "ref", name: ident(name) });
export const member = (target: BicepValue, ...path: string[]): BicepExprNode =>
  mk({ kind: "member", target, path });
export const index = (target: BicepValue, i: BicepValue): BicepExprNode =>
  mk({ kind: "index", target, index: i });
export const call = (fn: string, ...args: BicepValue[]): BicepExprNode => mk({ kind: "call", fn, args });
/** A resource function such as `vault.listKeys()`. */
export const method = (symbol: string, fn: string, ...args: BicepValue[]): BicepExprNode =>
  mk({ kind: "call", fn: `${ident(symbol)}.${ident(fn)}`, args });
/** A string interpolation: literal parts are escaped, value parts become `${...}`. */
export const interp = (...parts: (string | BicepValue)[]): BicepExprNode => mk({ kind: "interp", parts });
export const ternary = (test: BicepValue, then: BicepValue, otherwise: BicepValue): BicepExprNode =>
  mk({ kind: "ternary", test, then, else: otherwise });
export const binary = (
  op: Extract<BicepExpr, { kind: "binary" }>["op"],
  left: BicepValue,
  right: BicepValue,
): BicepExprNode => mk({ kind: "binary", op, left, right });
export const not = (value: BicepValue): BicepExprNode => mk({ kind: "not", value });
export const lambda = (params: string[], body: BicepValue): BicepExprNode =>
  mk({ kind: "lambda", params: params.map(ident), body });
export const dynObject = (entries: [BicepValue, BicepValue][]): BicepExprNode =>
  mk({ kind: "dynobj", entries });
export const forEach = (
  item: string,
  over: BicepValue,
  body: BicepValue,
  opts: { index?: string; condition?: BicepValue } = {},
): BicepExprNode =>
  mk({
    kind: "for",
    item: ident(item),
    over,
    body,
    ...(opts.index ? { index: ident(opts.index) } : {}),
    ...(opts.condition !== undefined ? { condition: opts.condition } : {}),
  });

/** The literal parts of an interpolation as `interp(...)` takes them: `'x' + ...` written once. */
export function str(strings: TemplateStringsArray, ...values: BicepValue[]): BicepExprNode {
  const parts: (string | BicepValue)[] = [];
  strings.forEach((s, i) => {
    if (s) parts.push(s);
    if (i < values.length) parts.push(values[i] as BicepValue);
  });
  return interp(...parts);
}

// ---- declarations ------------------------------------------------------------------------------
export type BicepType = "string" | "int" | "bool" | "object" | "array";

export interface BicepParam {
  name: string;
  /** A primitive type or the name of a type declared in the same file. */
  type: BicepType | (string & {});
  description: string;
  secure?: boolean;
  allowed?: (string | number)[];
  minValue?: number;
  maxValue?: number;
  minLength?: number;
  maxLength?: number;
  default?: BicepValue;
}

/** A user-defined object type: `type name = { field: type ... }`, each field with a description. */
export interface BicepTypeDecl {
  name: string;
  description: string;
  fields: { name: string; type: BicepType; description: string }[];
}

export interface BicepVar {
  name: string;
  value: BicepValue;
  description?: string;
}

export interface BicepResource {
  symbol: string;
  type: string;
  apiVersion: string;
  description?: string;
  existing?: boolean;
  condition?: BicepValue;
  /** A `for` loop over the resource: the body may refer to `item` (and `index`). */
  loop?: { item: string; index?: string; over: BicepValue };
  scope?: BicepValue;
  parent?: string;
  body: BicepObject;
  dependsOn?: string[];
}

export interface BicepModule {
  symbol: string;
  path: string;
  name: BicepValue;
  description?: string;
  condition?: BicepValue;
  loop?: { item: string; index?: string; over: BicepValue };
  scope?: BicepValue;
  params: BicepObject;
  dependsOn?: string[];
}

export interface BicepOutput {
  name: string;
  type: BicepType;
  description: string;
  value: BicepValue;
}

export interface BicepFile {
  /** Comment lines at the top of the file (without `//`). */
  header: string[];
  targetScope?: "subscription" | "resourceGroup" | "managementGroup" | "tenant";
  types?: BicepTypeDecl[];
  params: BicepParam[];
  vars: BicepVar[];
  resources: BicepResource[];
  modules: BicepModule[];
  outputs: BicepOutput[];
}

export interface BicepParamFile {
  header: string[];
  using: string;
  params: { name: string; value: BicepValue; comment?: string }[];
}

// ---- printing ----------------------------------------------------------------------------------
const IND = "  ";

export function quote(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t").replace(/\$\{/g, "\\${")}'`;
}

function key(k: string): string {
  return IDENT.test(k) ? k : quote(k);
}

/** `name` → `.name`; `?name` → `.?name` (null-safe); other keys → `['key']` / `[?'key']`. */
function accessor(p: string): string {
  const safe = p.startsWith("?");
  const k = safe ? p.slice(1) : p;
  if (IDENT.test(k)) return `${safe ? ".?" : "."}${k}`;
  return `[${safe ? "?" : ""}${quote(k)}]`;
}

const PREC: Record<string, number> = {
  "??": 1,
  "||": 2,
  "&&": 3,
  "==": 4,
  "!=": 4,
  ">": 5,
  "<": 5,
  ">=": 5,
  "<=": 5,
  "+": 6,
  "-": 6,
  "*": 7,
};

function printExpr(e: BicepExprNode, depth: number): string {
  switch (e.kind) {
    case "ref":
      return e.name;
    case "member":
      return `${atom(e.target, depth)}${e.path.map(accessor).join("")}`;
    case "index":
      return `${atom(e.target, depth)}[${printValue(e.index, depth)}]`;
    case "call":
      return `${e.fn}(${e.args.map((a) => printValue(a, depth)).join(", ")})`;
    case "interp":
      return `'${e.parts
        .map((p) => (typeof p === "string" ? quote(p).slice(1, -1) : `\${${printValue(p, depth)}}`))
        .join("")}'`;
    case "ternary":
      return `${atom(e.test, depth)} ? ${atom(e.then, depth)} : ${atom(e.else, depth)}`;
    case "binary": {
      const side = (v: BicepValue) => {
        const s = printValue(v, depth);
        return isExpr(v) &&
          (v.kind === "ternary" || (v.kind === "binary" && (PREC[v.op] ?? 0) < (PREC[e.op] ?? 0)))
          ? `(${s})`
          : s;
      };
      return `${side(e.left)} ${e.op} ${side(e.right)}`;
    }
    case "not":
      return `!${atom(e.value, depth)}`;
    case "lambda":
      return `${e.params.length === 1 ? e.params[0]! : `(${e.params.join(", ")})`} => ${printValue(e.body, depth)}`;
    case "dynobj": {
      if (e.entries.length === 0) return "{}";
      const pad = IND.repeat(depth + 1);
      return `{\n${e.entries.map(([k, x]) => `${pad}${printValue(k, depth + 1)}: ${printValue(x, depth + 1)}\n`).join("")}${IND.repeat(depth)}}`;
    }
    case "for": {
      const head = e.index ? `(${e.item}, ${e.index})` : e.item;
      const cond = e.condition !== undefined ? `if (${printValue(e.condition, depth)}) ` : "";
      return `[for ${head} in ${printValue(e.over, depth)}: ${cond}${printValue(e.body, depth)}]`;
    }
  }
}

/** Prints a value that is the operand of another operator, parenthesised when needed. */
function atom(v: BicepValue, depth: number): string {
  const s = printValue(v, depth);
  return isExpr(v) && (v.kind === "ternary" || v.kind === "binary") ? `(${s})` : s;
}

export function printValue(v: BicepValue, depth = 0): string {
  if (v === null) return "null";
  if (typeof v === "string") return quote(v);
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new Error(`Bicep has no decimal literals: ${v}`);
    return String(v);
  }
  if (typeof v === "boolean") return v ? "true" : "false";
  if (isExpr(v)) return printExpr(v, depth);
  const pad = IND.repeat(depth + 1);
  const end = IND.repeat(depth);
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return `[\n${v.map((x) => `${pad}${printValue(x, depth + 1)}\n`).join("")}${end}]`;
  }
  const entries = Object.entries(v).filter((e): e is [string, BicepValue] => e[1] !== undefined);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, x]) => `${pad}${key(k)}: ${printValue(x, depth + 1)}\n`).join("")}${end}}`;
}

function decoratorsOf(p: BicepParam): string[] {
  const d: string[] = [];
  if (p.secure) d.push("@secure()");
  if (p.allowed) d.push(`@allowed(${printValue(p.allowed)})`);
  if (p.minValue !== undefined) d.push(`@minValue(${p.minValue})`);
  if (p.maxValue !== undefined) d.push(`@maxValue(${p.maxValue})`);
  if (p.minLength !== undefined) d.push(`@minLength(${p.minLength})`);
  if (p.maxLength !== undefined) d.push(`@maxLength(${p.maxLength})`);
  d.push(`@description(${quote(p.description)})`);
  return d;
}

function comment(lines: string[]): string {
  return lines.map((l) => (l ? `// ${l}\n` : "//\n")).join("");
}

function loopHead(l: { item: string; index?: string; over: BicepValue }): string {
  return `for ${l.index ? `(${ident(l.item)}, ${ident(l.index)})` : ident(l.item)} in ${printValue(l.over)}: `;
}

function declarationBody(
  opts: { condition?: BicepValue; loop?: { item: string; index?: string; over: BicepValue } },
  body: BicepObject,
): string {
  const cond = opts.condition !== undefined ? `if (${printValue(opts.condition, opts.loop ? 1 : 0)}) ` : "";
  if (opts.loop) return `[${loopHead(opts.loop)}${cond}${printValue(body, 0)}]`;
  return `${cond}${printValue(body, 0)}`;
}

export function printBicep(f: BicepFile): string {
  const blocks: string[] = [];
  if (f.header.length) blocks.push(comment(f.header).trimEnd());
  if (f.targetScope) blocks.push(`targetScope = ${quote(f.targetScope)}`);
  for (const t of f.types ?? []) {
    // Field descriptions are comments: checkov's Bicep parser (pycep) rejects decorators inside types.
    const fields = t.fields
      .map((x) => `${IND}// ${x.description}\n${IND}${key(x.name)}: ${x.type}\n`)
      .join("");
    blocks.push(`@description(${quote(t.description)})\ntype ${ident(t.name)} = {\n${fields}}`);
  }
  for (const p of f.params) {
    const def = p.default !== undefined ? ` = ${printValue(p.default)}` : "";
    blocks.push(`${decoratorsOf(p).join("\n")}\nparam ${ident(p.name)} ${ident(p.type)}${def}`);
  }
  for (const v of f.vars) {
    blocks.push(
      `${v.description ? `@description(${quote(v.description)})\n` : ""}var ${ident(v.name)} = ${printValue(v.value)}`,
    );
  }
  for (const r of f.resources) {
    const body: BicepObject = {};
    if (r.scope !== undefined) body.scope = r.scope;
    if (r.parent) body.parent = ref(r.parent);
    Object.assign(body, r.body);
    if (r.dependsOn?.length) body.dependsOn = r.dependsOn.map((d) => ref(d));
    const head = `${r.description ? `@description(${quote(r.description)})\n` : ""}resource ${ident(r.symbol)} ${quote(`${r.type}@${r.apiVersion}`)}${r.existing ? " existing" : ""} = `;
    blocks.push(head + declarationBody(r, body));
  }
  for (const m of f.modules) {
    const body: BicepObject = { name: m.name };
    if (m.scope !== undefined) body.scope = m.scope;
    body.params = m.params;
    if (m.dependsOn?.length) body.dependsOn = m.dependsOn.map((d) => ref(d));
    const head = `${m.description ? `@description(${quote(m.description)})\n` : ""}module ${ident(m.symbol)} ${quote(m.path)} = `;
    blocks.push(head + declarationBody(m, body));
  }
  for (const o of f.outputs) {
    blocks.push(
      `@description(${quote(o.description)})\noutput ${ident(o.name)} ${o.type} = ${printValue(o.value)}`,
    );
  }
  return `${blocks.join("\n\n")}\n`;
}

export function printBicepParams(f: BicepParamFile): string {
  const blocks: string[] = [];
  if (f.header.length) blocks.push(comment(f.header).trimEnd());
  blocks.push(`using ${quote(f.using)}`);
  for (const p of f.params)
    blocks.push(`${p.comment ? comment([p.comment]) : ""}param ${ident(p.name)} = ${printValue(p.value)}`);
  return `${blocks.join("\n\n")}\n`;
}
