// The one HCL printer. Terraform files are built as typed blocks (resource, data, variable, output,
// module, locals, ...) whose attribute values are typed too: strings, numbers, booleans, lists,
// objects, and expressions (`expr("var.name")`, `tmpl("${var.name}-api")`, `call("merge", ...)`).
// The printer writes them in the layout `tofu fmt` produces, so generated files pass
// `tofu fmt -check` as they are: 2-space indent, `=` aligned within runs of single-line attributes
// (a multi-line value, a comment, a blank line or a nested block ends a run), multi-line lists with
// trailing commas.

/** An expression written as HCL source: a reference, a conditional, a for expression, a type. */
export class Expr {
  constructor(readonly text: string) {}
}

/** A quoted template string whose `${...}` interpolations are kept (quotes and backslashes are escaped). */
export class Template {
  constructor(readonly text: string) {}
}

/** A function call whose arguments are typed values (`jsonencode({...})`, `merge(var.tags, {...})`). */
export class Call {
  constructor(
    readonly fn: string,
    readonly args: readonly HclValue[],
  ) {}
}

/** A heredoc string (`<<-EOT`), for multi-line text such as a README snippet or a policy. */
export class Heredoc {
  constructor(readonly text: string) {}
}

/** An object written on one line (`{ s3 = "https://..." }`), as backend configuration files hold it. */
export class InlineObject {
  constructor(readonly entries: HclObject) {}
}

export type HclValue =
  | string
  | number
  | boolean
  | null
  | Expr
  | Template
  | Call
  | Heredoc
  | InlineObject
  | readonly HclValue[]
  | HclObject;
export interface HclObject {
  readonly [key: string]: HclValue;
}

/** A nested block inside a block body (`lifecycle { ... }`, `ingress { ... }`). */
export class Block {
  constructor(
    readonly type: string,
    readonly labels: readonly string[],
    readonly body: Body,
  ) {}
}

/** One item of a body, in order. */
export type BodyItem =
  | { kind: "attr"; name: string; value: HclValue }
  | { kind: "block"; block: Block }
  | { kind: "comment"; text: string }
  | { kind: "blank" };

/** A block body as ordered items. Build it with `body({...})` or push items yourself. */
export type Body = readonly BodyItem[];

/** Marker for a nested block in a `body({...})` record: `lifecycle: nested({ ... })`. */
export class Nested {
  constructor(
    readonly body: Body,
    readonly labels: readonly string[] = [],
  ) {}
}

/** Marker for a comment line in a `body({...})` record (the key is ignored; use unique keys like `"#1"`). */
export class Comment {
  constructor(readonly text: string) {}
}

export type BodyInput = Record<string, HclValue | Nested | readonly Nested[] | Comment | undefined>;

export const expr = (text: string): Expr => new Expr(text);
export const tmpl = (text: string): Template => new Template(text);
export const call = (fn: string, ...args: HclValue[]): Call => new Call(fn, args);
export const heredoc = (text: string): Heredoc => new Heredoc(text);
export const comment = (text: string): Comment => new Comment(text);
export const inline = (entries: HclObject): InlineObject => new InlineObject(entries);

/**
 * A body from a record: plain values become attributes (undefined ones are left out), `nested()`
 * values become nested blocks (an array of them repeats the block), `comment()` values become
 * comment lines. Nested blocks are printed after the attributes that precede them, separated by a
 * blank line, as hand-written Terraform usually is.
 */
export function body(input: BodyInput): Body {
  const items: BodyItem[] = [];
  for (const [name, v] of Object.entries(input)) {
    if (v === undefined) continue;
    if (v instanceof Nested) items.push({ kind: "block", block: new Block(name, v.labels, v.body) });
    else if (v instanceof Comment) items.push({ kind: "comment", text: v.text });
    else if (Array.isArray(v) && v.length > 0 && v.every((x) => x instanceof Nested)) {
      for (const n of v as readonly Nested[])
        items.push({ kind: "block", block: new Block(name, n.labels, n.body) });
    } else if (Array.isArray(v) && v.length === 0 && isNestedList(v)) {
      continue;
    } else items.push({ kind: "attr", name, value: v as HclValue });
  }
  return items;
}

// An empty array typed as Nested[] cannot be told apart from an empty list value at run time; an
// empty list of blocks is written `[] as Nested[]` by callers only through `blocks()`, which
// returns this tagged instance.
const EMPTY_BLOCKS: readonly Nested[] = Object.freeze([]);
function isNestedList(v: readonly unknown[]): boolean {
  return v === EMPTY_BLOCKS;
}

/** A list of nested blocks (possibly empty, then nothing is printed). */
export function blocks(list: readonly Nested[]): readonly Nested[] {
  return list.length === 0 ? EMPTY_BLOCKS : list;
}

export const nested = (input: BodyInput, labels: readonly string[] = []): Nested =>
  new Nested(body(input), labels);

/** A top-level block of a file (resource, data, variable, output, module, locals, terraform, provider). */
export function top(type: string, labels: readonly string[], input: BodyInput | Body): Block {
  return new Block(type, labels, Array.isArray(input) ? (input as Body) : body(input as BodyInput));
}

/** A whole file: optional leading comment lines, then blocks (or bare attributes, for .tfvars). */
export interface HclFile {
  header?: readonly string[];
  items: readonly (
    Block | { kind: "attr"; name: string; value: HclValue } | { kind: "comment"; text: string }
  )[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const IDENT_DASH = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function quote(s: string): string {
  return `"${s
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t")
    .replace(/\$\{/g, () => "$${")
    .replace(/%\{/g, () => "%%{")}"`;
}

/** Quotes a template: escapes quotes, backslashes and newlines outside `${...}`, keeps interpolations as written. */
function quoteTemplate(s: string): string {
  let out = "";
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (depth === 0) {
      if (c === "$" && s[i + 1] === "{") {
        depth = 1;
        out += "${";
        i++;
      } else if (c === "\\") out += "\\\\";
      else if (c === '"') out += '\\"';
      else if (c === "\n") out += "\\n";
      else out += c;
    } else {
      if (c === "{") depth++;
      else if (c === "}") depth--;
      out += c;
    }
  }
  return `"${out}"`;
}

function objectKey(k: string): string {
  return IDENT.test(k) ? k : quote(k);
}

const pad = (n: number): string => "  ".repeat(n);

function isPlainObject(v: HclValue): v is HclObject {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Expr) &&
    !(v instanceof Template) &&
    !(v instanceof Call) &&
    !(v instanceof Heredoc) &&
    !(v instanceof InlineObject)
  );
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`HCL cannot hold the number ${n}`);
  return String(n);
}

/** Prints a value whose first line continues the current line; later lines are indented absolutely. */
function printValue(v: HclValue, indent: number): string {
  if (v === null) return "null";
  if (typeof v === "string") return quote(v);
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v instanceof Expr) return v.text;
  if (v instanceof Template) return quoteTemplate(v.text);
  if (v instanceof Heredoc) {
    const lines = v.text.replace(/\n$/, "").split("\n");
    return `<<-EOT\n${lines.map((l) => (l ? pad(indent + 1) + l : "")).join("\n")}\n${pad(indent + 1)}EOT`;
  }
  if (v instanceof Call) return `${v.fn}(${v.args.map((a) => printValue(a, indent)).join(", ")})`;
  if (v instanceof InlineObject) {
    const entries = Object.entries(v.entries).map(([k, x]) => `${objectKey(k)} = ${printValue(x, indent)}`);
    return `{ ${entries.join(", ")} }`;
  }
  if (Array.isArray(v)) {
    const list = v as readonly HclValue[];
    if (list.length === 0) return "[]";
    const inline = list.map((x) => printValue(x, indent));
    const oneLine = `[${inline.join(", ")}]`;
    if (
      inline.every((s) => !s.includes("\n")) &&
      list.every((x) => !isPlainObject(x) && !Array.isArray(x)) &&
      oneLine.length <= 100
    )
      return oneLine;
    return `[\n${list.map((x) => `${pad(indent + 1)}${printValue(x, indent + 1)},\n`).join("")}${pad(indent)}]`;
  }
  if (isPlainObject(v)) {
    const entries = Object.entries(v);
    if (entries.length === 0) return "{}";
    const lines = printAttributes(
      entries.map(([k, x]) => ({ name: objectKey(k), value: x })),
      indent + 1,
    );
    return `{\n${lines}\n${pad(indent)}}`;
  }
  throw new Error(`not an HCL value: ${JSON.stringify(v)}`);
}

/** Attribute lines at `indent`, with `=` aligned within runs of single-line values. */
function printAttributes(attrs: readonly { name: string; value: HclValue }[], indent: number): string {
  // A heredoc's body is template text, not nested syntax: tofu fmt aligns its opening line with
  // the attributes around it, as if it were a single-line value.
  const printed = attrs.map((a) => ({
    name: a.name,
    text: printValue(a.value, indent),
    heredoc: a.value instanceof Heredoc,
  }));
  const out: string[] = [];
  let run: { name: string; text: string; heredoc: boolean }[] = [];
  const flush = () => {
    const width = Math.max(...run.map((r) => r.name.length));
    for (const r of run) out.push(`${pad(indent)}${r.name.padEnd(width)} = ${r.text}`);
    run = [];
  };
  for (const p of printed) {
    if (p.text.includes("\n") && !p.heredoc) {
      if (run.length) flush();
      out.push(`${pad(indent)}${p.name} = ${p.text}`);
    } else run.push(p);
  }
  if (run.length) flush();
  return out.join("\n");
}

function printLabels(labels: readonly string[]): string {
  return labels.map((l) => ` ${quote(l)}`).join("");
}

function printBody(items: Body, indent: number): string[] {
  const out: string[] = [];
  let attrs: { name: string; value: HclValue }[] = [];
  const flush = () => {
    if (attrs.length) out.push(printAttributes(attrs, indent));
    attrs = [];
  };
  let prev: BodyItem["kind"] | undefined;
  for (const item of items) {
    if (item.kind === "attr") {
      if (prev === "block") out.push("");
      attrs.push({ name: IDENT_DASH.test(item.name) ? item.name : quote(item.name), value: item.value });
    } else if (item.kind === "block") {
      flush();
      if (prev !== undefined && prev !== "blank" && prev !== "comment") out.push("");
      out.push(printBlock(item.block, indent));
    } else if (item.kind === "comment") {
      flush();
      // A comment opens a paragraph: separated from what precedes it, attached to what follows.
      if (prev === "block" || prev === "attr") out.push("");
      for (const line of item.text.split("\n")) out.push(`${pad(indent)}# ${line}`.trimEnd());
    } else {
      flush();
      out.push("");
    }
    prev = item.kind;
  }
  flush();
  return out;
}

/** One value as HCL source (for type expressions and messages); nested lines are indented from 0. */
export function printExpression(v: HclValue): string {
  return printValue(v, 0);
}

export function printBlock(b: Block, indent = 0): string {
  const head = `${pad(indent)}${b.type}${printLabels(b.labels)} {`;
  if (b.body.length === 0) return `${head}\n${pad(indent)}}`;
  return `${head}\n${printBody(b.body, indent + 1).join("\n")}\n${pad(indent)}}`;
}

/**
 * Top-level attributes with `=` aligned, for files that are only attributes under a one-line
 * comment (backend configuration); ends with a newline.
 */
export function printAttributeFile(comment: string, attrs: Record<string, HclValue>): string {
  const lines = printAttributes(
    Object.entries(attrs).map(([name, value]) => ({ name, value })),
    0,
  );
  return `# ${comment}\n${lines}\n`;
}

/** A whole file: header comments, then top-level items separated by blank lines; ends with a newline. */
export function printHcl(file: HclFile): string {
  const parts: string[] = [];
  if (file.header?.length) parts.push(file.header.map((l) => `# ${l}`.trimEnd()).join("\n"));
  let attrs: { name: string; value: HclValue }[] = [];
  const flush = () => {
    if (attrs.length) parts.push(printAttributes(attrs, 0));
    attrs = [];
  };
  for (const item of file.items) {
    if (item instanceof Block) {
      flush();
      parts.push(printBlock(item));
    } else if (item.kind === "attr") attrs.push({ name: item.name, value: item.value });
    else {
      flush();
      parts.push(`# ${item.text}`.trimEnd());
    }
  }
  flush();
  return `${parts.join("\n\n")}\n`;
}
