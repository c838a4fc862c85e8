// Offline check of generated Terraform against the provider schemas in ../shared/schemas/terraform
// (the JSON of `terraform providers schema -json`, split per resource). `tofu validate` needs the
// providers installed, which needs registry access; this check needs neither. It works on the
// typed blocks the renderers build (so an attribute and a nested block are never confused) and
// reports, per block: unknown resource or data source types, unknown arguments, missing required
// arguments, computed-only arguments that are set, arguments written as blocks and blocks written
// as arguments, nested block counts outside min/max, module arguments that the module does not
// declare or required module variables left out, and references (var., local., module., data.,
// ephemeral., resource attributes) to things the directory does not declare; literal values of the wrong shape
// for an argument, a module variable or a .tfvars entry (against the variable's type constraint).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  Block,
  Call,
  Expr,
  Heredoc,
  printExpression,
  Template,
  type Body,
  type HclFile,
  type HclValue,
} from "../format/hcl.js";
import { SHARED_SCHEMAS } from "./tools.js";

export interface SchemaProblem {
  /** File path in the generated tree. */
  file: string;
  /** Address of the block: resource.aws_vpc.this, module.network, provider.aws. */
  address: string;
  message: string;
}

interface AttrSchema {
  type?: unknown;
  nested_type?: { attributes: Record<string, AttrSchema>; nesting_mode: string };
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  deprecated?: boolean;
}
interface BlockSchema {
  attributes?: Record<string, AttrSchema>;
  block_types?: Record<
    string,
    { nesting_mode: string; min_items?: number; max_items?: number; block: BlockSchema }
  >;
}

const RESOURCE_META = new Set([
  "count",
  "for_each",
  "depends_on",
  "provider",
  "lifecycle",
  "provisioner",
  "connection",
]);
const DATA_META = new Set(["count", "for_each", "depends_on", "provider", "lifecycle"]);
const MODULE_META = new Set(["source", "version", "count", "for_each", "depends_on", "providers"]);

type SchemaKind = "resource" | "data" | "ephemeral" | "provider";
const SCHEMA_FOLDERS = {
  resource: "resource_schemas",
  data: "data_source_schemas",
  ephemeral: "ephemeral_resource_schemas",
} as const;
const KIND_NAMES = { resource: "resource", data: "data source", ephemeral: "ephemeral resource" } as const;

/** Provider schemas, one folder per provider named as Terraform names it (aws, helm, ...). */
export class SchemaStore {
  private cache = new Map<string, BlockSchema | null>();
  private providers = new Map<string, boolean>();
  constructor(readonly root: string = join(SHARED_SCHEMAS, "terraform")) {}

  /** Whether the store has the schemas of a provider (its local name, the prefix of its types). */
  hasProvider(name: string): boolean {
    let has = this.providers.get(name);
    if (has === undefined) {
      has = /^[a-z][a-z0-9]*$/.test(name) && existsSync(join(this.root, name));
      this.providers.set(name, has);
    }
    return has;
  }

  /** The schema of a resource/data source type, null when the provider has none, undefined for an unknown provider. */
  get(kind: SchemaKind, type: string): BlockSchema | null | undefined {
    const key = `${kind}:${type}`;
    if (this.cache.has(key)) return this.cache.get(key) ?? null;
    const provider = kind === "provider" ? type : type.split("_")[0]!;
    if (!this.hasProvider(provider)) return undefined;
    const dir = provider;
    const file =
      kind === "provider"
        ? join(this.root, dir, "provider.json")
        : join(this.root, dir, SCHEMA_FOLDERS[kind], `${type}.json`);
    const schema = existsSync(file)
      ? (JSON.parse(readFileSync(file, "utf8")) as { block: BlockSchema }).block
      : null;
    this.cache.set(key, schema);
    return schema;
  }
}

/** Every reference-looking expression text inside a value. */
function expressionTexts(v: HclValue, out: string[]): void {
  if (v instanceof Expr || v instanceof Template) out.push(v.text);
  else if (v instanceof Call) {
    out.push(`${v.fn}(`);
    for (const a of v.args) expressionTexts(a, out);
  } else if (Array.isArray(v)) for (const x of v as readonly HclValue[]) expressionTexts(x, out);
  else if (v !== null && typeof v === "object" && !(v instanceof Expr))
    for (const x of Object.values(v)) expressionTexts(x as HclValue, out);
}

function bodyTexts(b: Body, out: string[]): void {
  for (const item of b) {
    if (item.kind === "attr") expressionTexts(item.value, out);
    else if (item.kind === "block") bodyTexts(item.block.body, out);
  }
}

function checkBody(
  b: Body,
  schema: BlockSchema,
  meta: Set<string>,
  path: string,
  report0: (m: string) => void,
  isTop: boolean,
): void {
  const report = (m: string) => report0(path ? `${path}: ${m}` : m);
  const sub = (name: string) => (path ? `${path}.${name}` : name);
  const attrs = schema.attributes ?? {};
  const blocks = schema.block_types ?? {};
  const seenAttrs = new Set<string>();
  const blockCounts = new Map<string, number>();
  const dynamicBlocks = new Set<string>();
  for (const item of b) {
    if (item.kind === "attr") {
      const name = item.name;
      if (isTop && meta.has(name)) continue;
      seenAttrs.add(name);
      const a = attrs[name];
      if (!a) {
        if (blocks[name])
          report(`\`${name}\` is a nested block; write \`${name} { ... }\`, not \`${name} = ...\``);
        else report(`unknown argument \`${name}\``);
        continue;
      }
      if (a.computed && !a.optional && !a.required)
        report(`\`${name}\` is computed by the provider and cannot be set`);
      const mismatch = a.type !== undefined ? literalMismatch(item.value, a.type) : undefined;
      if (mismatch) report(`\`${name}\` ${mismatch}`);
    } else if (item.kind === "block") {
      const nb = item.block;
      if (isTop && nb.type === "lifecycle" && meta.has("lifecycle")) continue;
      if (nb.type === "dynamic") {
        const target = nb.labels[0] ?? "";
        const bs = blocks[target];
        if (!bs) {
          report(`dynamic block for unknown nested block \`${target}\``);
          continue;
        }
        dynamicBlocks.add(target);
        const content = nb.body.find((i) => i.kind === "block" && i.block.type === "content");
        if (!content || content.kind !== "block") report(`dynamic "${target}" has no content block`);
        else checkBody(content.block.body, bs.block, meta, sub(target), report0, false);
        continue;
      }
      const bs = blocks[nb.type];
      if (!bs) {
        if (attrs[nb.type]) report(`\`${nb.type}\` is an argument; write \`${nb.type} = ...\`, not a block`);
        else report(`unknown nested block \`${nb.type}\``);
        continue;
      }
      if (nb.labels.length > 0 && bs.nesting_mode !== "map")
        report(`nested block \`${nb.type}\` takes no labels`);
      blockCounts.set(nb.type, (blockCounts.get(nb.type) ?? 0) + 1);
      checkBody(nb.body, bs.block, meta, sub(nb.type), report0, false);
    }
  }
  for (const [name, a] of Object.entries(attrs)) {
    if (a.required && !seenAttrs.has(name)) report(`missing required argument \`${name}\``);
  }
  for (const [name, bs] of Object.entries(blocks)) {
    if (dynamicBlocks.has(name)) continue;
    const n = blockCounts.get(name) ?? 0;
    if (bs.min_items && n < bs.min_items)
      report(`needs at least ${bs.min_items} \`${name}\` block(s), has ${n}`);
    if (bs.max_items && n > bs.max_items)
      report(`allows at most ${bs.max_items} \`${name}\` block(s), has ${n}`);
    if (bs.nesting_mode === "single" && n > 1) report(`\`${name}\` may appear once`);
  }
}

/**
 * Whether a literal value cannot convert to a cty type (Terraform converts between string, number
 * and bool, so only the shape is checked: a list where a scalar is wanted, a scalar where a
 * collection is wanted, an object where a list is wanted). Expressions are not evaluated.
 */
function literalMismatch(v: HclValue, type: unknown): string | undefined {
  if (v === null || v instanceof Expr || v instanceof Call) return undefined;
  const describe = (t: unknown) => (typeof t === "string" ? t : JSON.stringify(t));
  if (typeof type === "string") {
    if (type === "dynamic") return undefined;
    if (Array.isArray(v) || (typeof v === "object" && !(v instanceof Template) && !(v instanceof Heredoc)))
      return `must be a ${type}, not a ${Array.isArray(v) ? "list" : "block of attributes"}`;
    if (type === "number" && typeof v === "string" && !/^-?[0-9.]+$/.test(v))
      return `must be a number, not "${v}"`;
    if (type === "bool" && typeof v === "string" && v !== "true" && v !== "false")
      return `must be a bool, not "${v}"`;
    return undefined;
  }
  if (!Array.isArray(type)) return undefined;
  const [kind, inner] = type as [string, unknown];
  const isList = Array.isArray(v);
  const isObject = typeof v === "object" && !isList && !(v instanceof Template) && !(v instanceof Heredoc);
  if (kind === "list" || kind === "set") {
    if (!isList) return `must be a ${kind} of ${describe(inner)}`;
    for (const x of v as readonly HclValue[]) {
      const m = literalMismatch(x, inner);
      if (m) return `element ${m}`;
    }
  } else if (kind === "map") {
    if (!isObject) return `must be a map of ${describe(inner)}`;
    for (const [k, x] of Object.entries(v as Record<string, HclValue>)) {
      const m = literalMismatch(x, inner);
      if (m) return `[${JSON.stringify(k)}] ${m}`;
    }
  } else if (kind === "object") {
    if (!isObject) return "must be an object";
    const attrs = (inner ?? {}) as Record<string, unknown>;
    const optional = new Set(((type as unknown[])[2] ?? []) as string[]);
    const given = v as Record<string, HclValue>;
    for (const [k, t] of Object.entries(attrs)) {
      if (!(k in given)) {
        if (!optional.has(k)) return `is missing attribute \`${k}\``;
        continue;
      }
      const m = literalMismatch(given[k]!, t);
      if (m) return `attribute \`${k}\` ${m}`;
    }
  }
  return undefined;
}

/**
 * A Terraform type constraint (`map(object({ port = number, tags = optional(list(string)) }))`) in
 * the JSON form of provider schemas: "string", ["list", T], ["object", {attr: T}]. Optional object
 * attributes are listed in a third element. Undefined when the text is not a type this reads.
 */
export function parseTypeConstraint(text: string): unknown {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s|,/.test(text[i]!)) i++;
  };
  const ident = (): string => {
    ws();
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(i));
    if (!m) throw new Error(`type expected at ${i}`);
    i += m[0].length;
    return m[0];
  };
  const expect = (c: string) => {
    ws();
    if (text[i] !== c) throw new Error(`${c} expected at ${i}`);
    i++;
  };
  const skipDefault = () => {
    // optional(T, default): skip the default expression up to the matching parenthesis.
    let depth = 0;
    while (i < text.length) {
      const c = text[i]!;
      if ("([{".includes(c)) depth++;
      else if (")]}".includes(c)) {
        if (depth === 0) return;
        depth--;
      }
      i++;
    }
  };
  const type = (): { t: unknown; optional: boolean } => {
    const name = ident();
    if (["string", "number", "bool", "any"].includes(name))
      return { t: name === "any" ? "dynamic" : name, optional: false };
    expect("(");
    let out: { t: unknown; optional: boolean };
    if (name === "optional") {
      const inner = type();
      ws();
      if (text[i] !== ")") skipDefault();
      out = { t: inner.t, optional: true };
    } else if (name === "object") {
      expect("{");
      const attrs: Record<string, unknown> = {};
      const optional: string[] = [];
      for (;;) {
        ws();
        if (text[i] === "}") break;
        const key = ident();
        expect("=");
        const v = type();
        attrs[key] = v.t;
        if (v.optional) optional.push(key);
      }
      expect("}");
      out = { t: ["object", attrs, optional], optional: false };
    } else if (name === "list" || name === "set" || name === "map") {
      out = { t: [name, type().t], optional: false };
    } else if (name === "tuple") {
      skipDefault();
      out = { t: "dynamic", optional: false };
    } else throw new Error(`unknown type ${name}`);
    expect(")");
    return out;
  };
  try {
    const r = type().t;
    ws();
    return i === text.length ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Names an attribute reference may use on a block of this schema (its attributes and nested blocks). */
function knownAttributes(schema: BlockSchema): Set<string> {
  return new Set([...Object.keys(schema.attributes ?? {}), ...Object.keys(schema.block_types ?? {})]);
}

export interface TerraformDir {
  /** Directory path in the tree ("" for the root module). */
  dir: string;
  files: Record<string, HclFile>;
}

function blocksOf(f: HclFile): Block[] {
  return f.items.filter((i): i is Block => i instanceof Block);
}

const hasAttr = (b: Block, name: string) => b.body.some((i) => i.kind === "attr" && i.name === name);

/** What one directory (module) declares, by the names its references use. */
interface Declared {
  variable: Set<string>;
  local: Set<string>;
  /** Module name → source. */
  module: Map<string, string>;
  /** `type.name` → type, for data sources and resources. */
  data: Map<string, string>;
  ephemeral: Map<string, string>;
  resource: Map<string, string>;
}

/** The .tf files of a tree by directory, and what each directory's module declares. */
class TerraformTree {
  readonly dirs = new Map<string, Record<string, HclFile>>();
  private readonly declarations = new Map<string, Declared>();

  constructor(files: Record<string, HclFile>) {
    for (const [path, f] of Object.entries(files)) {
      if (!path.endsWith(".tf")) continue;
      const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
      this.dirs.set(dir, { ...this.dirs.get(dir), [path]: f });
    }
  }

  blocks(dir: string, type: string): Block[] {
    return Object.values(this.dirs.get(dir) ?? {})
      .flatMap(blocksOf)
      .filter((b) => b.type === type);
  }

  /** Variable name → whether it has a default. */
  variables(dir: string): Map<string, boolean> {
    return new Map(this.blocks(dir, "variable").map((b) => [b.labels[0] ?? "", hasAttr(b, "default")]));
  }

  /** Variable name → its type constraint, in the JSON form of provider schemas. */
  variableTypes(dir: string): Map<string, unknown> {
    const types = new Map<string, unknown>();
    for (const b of this.blocks(dir, "variable")) {
      const t = b.body.find((i) => i.kind === "attr" && i.name === "type");
      if (t && t.kind === "attr") types.set(b.labels[0] ?? "", parseTypeConstraint(printExpression(t.value)));
    }
    return types;
  }

  outputs(dir: string): Set<string> {
    return new Set(this.blocks(dir, "output").map((b) => b.labels[0] ?? ""));
  }

  declared(dir: string): Declared {
    let d = this.declarations.get(dir);
    if (!d) {
      d = this.declare(dir);
      this.declarations.set(dir, d);
    }
    return d;
  }

  private declare(dir: string): Declared {
    const key = (b: Block) => `${b.labels[0]}.${b.labels[1]}`;
    const source = (b: Block) => {
      const src = b.body.find((i) => i.kind === "attr" && i.name === "source");
      return src && src.kind === "attr" && typeof src.value === "string" ? src.value : "";
    };
    return {
      variable: new Set(this.variables(dir).keys()),
      local: new Set(
        this.blocks(dir, "locals").flatMap((b) => b.body.flatMap((i) => (i.kind === "attr" ? [i.name] : []))),
      ),
      module: new Map(this.blocks(dir, "module").map((b) => [b.labels[0] ?? "", source(b)])),
      data: new Map(this.blocks(dir, "data").map((b) => [key(b), b.labels[0] ?? ""])),
      ephemeral: new Map(this.blocks(dir, "ephemeral").map((b) => [key(b), b.labels[0] ?? ""])),
      resource: new Map(this.blocks(dir, "resource").map((b) => [key(b), b.labels[0] ?? ""])),
    };
  }
}

/** A resource, data source, ephemeral resource or provider block against its provider schema. */
function checkSchemaBlock(b: Block, store: SchemaStore, report: (m: string) => void): void {
  const kind = b.type as SchemaKind;
  const type = b.labels[0] ?? "";
  if (kind === "resource" && type === "terraform_data") return;
  const schema = store.get(kind, type);
  if (schema === undefined)
    report(`no provider schema for \`${type}\` (provider not in ../shared/schemas/terraform)`);
  else if (schema === null)
    report(`unknown ${kind === "provider" ? kind : KIND_NAMES[kind]} type \`${type}\``);
  else {
    const meta = kind === "resource" ? RESOURCE_META : kind === "provider" ? new Set(["alias"]) : DATA_META;
    checkBody(b.body, schema, meta, "", report, true);
  }
}

/** A call of a local module: only arguments it declares, every required one, literals of the right shape. */
function checkModuleCall(b: Block, dir: string, tree: TerraformTree, report: (m: string) => void): void {
  const source = tree.declared(dir).module.get(b.labels[0] ?? "") ?? "";
  if (!source.startsWith("./")) return;
  const target = join(dir, source).split("\\").join("/");
  if (!tree.dirs.has(target)) return report(`module source ${source} is not in the tree`);
  const vars = tree.variables(target);
  const types = tree.variableTypes(target);
  const given = new Set<string>();
  for (const i of b.body) {
    if (i.kind !== "attr" || MODULE_META.has(i.name)) continue;
    given.add(i.name);
    if (!vars.has(i.name)) report(`module ${source} has no variable \`${i.name}\``);
    const t = types.get(i.name);
    const m = t !== undefined ? literalMismatch(i.value, t) : undefined;
    if (m) report(`module argument \`${i.name}\` ${m}`);
  }
  for (const [v, hasDefault] of vars)
    if (!hasDefault && !given.has(v)) report(`missing required module argument \`${v}\``);
}

/**
 * A reference to a data source (`data.<type>.<name>`) or a resource (`<type>.<name>`), with the
 * attribute it reads: the block must be declared, and the attribute known to its schema.
 */
function checkAttribute(
  kind: "data" | "ephemeral" | "resource",
  ref: string,
  type: string | undefined,
  attribute: string | undefined,
  store: SchemaStore,
  report: (m: string) => void,
): void {
  if (type === undefined)
    return report(`reference to undeclared ${kind === "resource" ? "resource " : ""}${ref}`);
  const s = attribute ? store.get(kind, type) : undefined;
  if (s && attribute && !knownAttributes(s).has(attribute))
    report(`${ref} has no attribute \`${attribute}\``);
}

/**
 * References to things the directory does not declare: variables, locals, modules (and their
 * outputs), data sources and resources of providers the store has (and their attributes).
 */
function checkReferences(
  b: Block,
  dir: string,
  tree: TerraformTree,
  store: SchemaStore,
  report: (m: string) => void,
): void {
  const declared = tree.declared(dir);
  const texts: string[] = [];
  bodyTexts(b.body, texts);
  for (const t of texts) {
    for (const m of t.matchAll(/(?<![\w.])var\.([A-Za-z0-9_-]+)/g))
      if (!declared.variable.has(m[1]!)) report(`reference to undeclared variable var.${m[1]}`);
    for (const m of t.matchAll(/(?<![\w.])local\.([A-Za-z0-9_-]+)/g))
      if (!declared.local.has(m[1]!)) report(`reference to undeclared local.${m[1]}`);
    for (const m of t.matchAll(/(?<![\w.])module\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?(?:\.([A-Za-z0-9_]+))?/g)) {
      const src = declared.module.get(m[1]!);
      if (src === undefined) report(`reference to undeclared module.${m[1]}`);
      else if (m[2] && src.startsWith("./") && !tree.outputs(join(dir, src).split("\\").join("/")).has(m[2]))
        report(`module.${m[1]} has no output \`${m[2]}\``);
    }
    for (const m of t.matchAll(
      /(?<![\w.])(data|ephemeral)\.([a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?(?:\.([A-Za-z0-9_]+))?/g,
    )) {
      const kind = m[1] as "data" | "ephemeral";
      const name = `${m[2]}.${m[3]}`;
      checkAttribute(kind, `${kind}.${name}`, declared[kind].get(name), m[4], store, report);
    }
    for (const m of t.matchAll(
      /(?<![\w.])(([a-z][a-z0-9]*)_[a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?(?:\.([A-Za-z0-9_]+))?/g,
    )) {
      const ref = `${m[1]}.${m[3]}`;
      if (store.hasProvider(m[2]!))
        checkAttribute("resource", ref, declared.resource.get(ref), m[4], store, report);
    }
  }
}

/** .tfvars files set root variables only, every required one, with literals of the right shape. */
function checkTfvars(files: Record<string, HclFile>, tree: TerraformTree): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const rootVars = tree.variables("");
  const rootTypes = tree.variableTypes("");
  for (const [path, f] of Object.entries(files)) {
    if (!path.endsWith(".tfvars")) continue;
    const report = (address: string, message: string) => problems.push({ file: path, address, message });
    const set = new Set<string>();
    for (const i of f.items) {
      if (i instanceof Block || i.kind !== "attr") continue;
      set.add(i.name);
      if (!rootVars.has(i.name))
        report(`var.${i.name}`, `the root module declares no variable \`${i.name}\``);
      const t = rootTypes.get(i.name);
      const m = t !== undefined ? literalMismatch(i.value, t) : undefined;
      if (m) report(`var.${i.name}`, m);
    }
    for (const [v, hasDefault] of rootVars)
      if (!hasDefault && !set.has(v)) report(`var.${v}`, `sets no value for the required variable \`${v}\``);
  }
  return problems;
}

/**
 * Checks every .tf file of a generated tree. `files` maps tree paths to typed files; paths ending in
 * `.tfvars` are checked against the root module's variables.
 */
export function checkTerraform(files: Record<string, HclFile>, store = new SchemaStore()): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const tree = new TerraformTree(files);
  for (const [dir, dirFiles] of [...tree.dirs.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    for (const [path, f] of Object.entries(dirFiles).sort(([a], [b]) => a.localeCompare(b))) {
      for (const b of blocksOf(f)) {
        const address = [b.type, ...b.labels].join(".");
        const report = (message: string) => void problems.push({ file: path, address, message });
        if (["resource", "data", "ephemeral", "provider"].includes(b.type))
          checkSchemaBlock(b, store, report);
        else if (b.type === "module") checkModuleCall(b, dir, tree, report);
        checkReferences(b, dir, tree, store, report);
      }
    }
  }
  return [...problems, ...checkTfvars(files, tree)];
}

export function formatSchemaProblems(problems: readonly SchemaProblem[]): string {
  return problems.map((p) => `${p.file}: ${p.address}: ${p.message}`).join("\n");
}
