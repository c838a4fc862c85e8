// Checks typed Bicep resources against the Azure type data (bicep-types-az, in
// ../shared/schemas/azure/bicep-types): the type and API version exist; every property is known;
// required properties are present; read-only ones are not set; literal values are allowed by the
// enum, bounds and patterns. A value that is a Bicep expression counts as present and is not checked
// further (its value is only known at deployment). This is the offline stand-in for the type checks
// `bicep build` does; it reads files, so it lives here and not in the renderer.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ProjectModel } from "../model/types.js";
import { buildAzure } from "../targets/azure/main.js";
import {
  isExpr,
  type BicepFile,
  type BicepParam,
  type BicepParamFile,
  type BicepModule,
  type BicepResource,
  type BicepValue,
} from "../format/bicep.js";
import { SHARED_SCHEMAS } from "./tools.js";

export const BICEP_TYPES_DIR = join(SHARED_SCHEMAS, "azure", "bicep-types");

type Ref = { $ref: string };
interface Prop {
  type: Ref;
  flags: number;
  description?: string;
}
type Node =
  | { $type: "StringLiteralType"; value: string }
  | { $type: "StringType"; minLength?: number; maxLength?: number; pattern?: string }
  | { $type: "IntegerType"; minValue?: number; maxValue?: number }
  | { $type: "BooleanType" }
  | { $type: "AnyType" }
  | { $type: "NullType" }
  | { $type: "ArrayType"; itemType: Ref; minLength?: number; maxLength?: number }
  | { $type: "UnionType"; elements: Ref[] }
  | { $type: "ObjectType"; name: string; properties: Record<string, Prop>; additionalProperties?: Ref }
  | {
      $type: "DiscriminatedObjectType";
      name: string;
      discriminator: string;
      baseProperties: Record<string, Prop>;
      elements: Record<string, Ref>;
    }
  | { $type: "ResourceType"; name: string; body: Ref; readableScopes: number; writableScopes: number }
  | { $type: string };

const REQUIRED = 1;
/** ScopeType bits of the type data. */
const SCOPE = { tenant: 1, managementGroup: 2, subscription: 4, resourceGroup: 8, extension: 16 } as const;
const READ_ONLY = 2;

export class BicepTypes {
  private readonly index = new Map<string, { file: string; index: number }>();
  private readonly files = new Map<string, Node[]>();

  constructor(private readonly dir = BICEP_TYPES_DIR) {
    const raw = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as Record<
      string,
      { file: string; index: number }
    >;
    for (const [k, v] of Object.entries(raw)) this.index.set(k.toLowerCase(), v);
  }

  has(typeAtVersion: string): boolean {
    return this.index.has(typeAtVersion.toLowerCase());
  }

  private nodes(file: string): Node[] {
    let n = this.files.get(file);
    if (!n) {
      n = JSON.parse(readFileSync(join(this.dir, file), "utf8")) as Node[];
      this.files.set(file, n);
    }
    return n;
  }

  /** Whether the resource type has a writable top-level `tags` property. */
  takesTags(type: string, apiVersion: string): boolean {
    const entry = this.index.get(`${type}@${apiVersion}`.toLowerCase());
    if (!entry) return false;
    const nodes = this.nodes(entry.file);
    const rt = nodes[entry.index] as Extract<Node, { $type: "ResourceType" }> | undefined;
    const body = rt ? nodes[Number(rt.body.$ref.replace("#/", ""))] : undefined;
    if (!body || body.$type !== "ObjectType") return false;
    const tags = (body as Extract<Node, { $type: "ObjectType" }>).properties.tags;
    return !!tags && !(tags.flags & READ_ONLY);
  }

  /**
   * Problems of one resource declaration, each prefixed with the property path. `fileScope` is the
   * target scope of the file that declares it: a resource with a `scope:` is an extension resource,
   * any other must be deployable at the file's scope.
   */
  checkResource(r: BicepResource, fileScope: BicepFile["targetScope"] = "resourceGroup"): string[] {
    const id = `${r.type}@${r.apiVersion}`;
    const entry = this.index.get(id.toLowerCase());
    if (!entry) return [`${id}: unknown resource type or API version`];
    const nodes = this.nodes(entry.file);
    const rt = nodes[entry.index];
    if (!rt || rt.$type !== "ResourceType") return [`${id}: index entry is not a resource type`];
    const res = rt as Extract<Node, { $type: "ResourceType" }>;
    const checker = new ValueChecker(nodes, entry.file);
    const problems = checker.problems;
    const scope = fileScope ?? "resourceGroup";
    if (!r.existing && res.writableScopes === 0)
      problems.push("this type can only be read (existing), not deployed");
    else if (!r.existing) {
      const bit = r.scope !== undefined ? SCOPE.extension : SCOPE[scope];
      if ((res.writableScopes & bit) === 0)
        problems.push(
          `cannot be deployed ${r.scope !== undefined ? "as an extension resource (scope:)" : `at ${scope} scope`}`,
        );
    }
    if (r.existing) {
      if (r.body.name === undefined) problems.push("name: required property missing");
      for (const k of Object.keys(r.body))
        if (k !== "name") problems.push(`${k}: an existing resource sets only its name`);
    } else {
      checker.check(r.body, checker.deref(res.body), "");
    }
    return problems.map((p) => `${id}: ${p}`);
  }
}

/**
 * Checks literal values against the type nodes of one type data file, collecting problems. A value
 * that is a Bicep expression counts as present and is not checked further.
 */
class ValueChecker {
  readonly problems: string[] = [];

  constructor(
    private readonly nodes: Node[],
    private readonly file: string,
  ) {}

  deref(x: Ref): Node {
    const n = this.nodes[Number(x.$ref.replace("#/", ""))];
    if (!n) throw new Error(`${this.file}: dangling reference ${x.$ref}`);
    return n;
  }

  check(v: BicepValue, t: Node, path: string): void {
    // A `[for x in list: {...}]` value: its body is one item of the array, so it is checked as one.
    if (isExpr(v) && v.kind === "for" && t.$type === "ArrayType") {
      this.check(v.body, this.deref((t as Extract<Node, { $type: "ArrayType" }>).itemType), `${path}[for]`);
      return;
    }
    if (isExpr(v)) return;
    switch (t.$type) {
      case "AnyType":
        return;
      case "NullType":
        if (v !== null) this.problems.push(`${path}: expected null`);
        return;
      case "StringLiteralType": {
        const lit = (t as { value: string }).value;
        if (v !== lit) this.problems.push(`${path}: expected '${lit}', got ${JSON.stringify(v)}`);
        return;
      }
      case "StringType":
        return this.string(v, t as Extract<Node, { $type: "StringType" }>, path);
      case "IntegerType":
        return this.integer(v, t as Extract<Node, { $type: "IntegerType" }>, path);
      case "BooleanType":
        if (typeof v !== "boolean")
          this.problems.push(`${path}: expected a boolean, got ${JSON.stringify(v)}`);
        return;
      case "ArrayType":
        return this.array(v, t as Extract<Node, { $type: "ArrayType" }>, path);
      case "UnionType":
        return this.union(
          v,
          (t as Extract<Node, { $type: "UnionType" }>).elements.map((e) => this.deref(e)),
          path,
        );
      case "ObjectType": {
        const o = t as Extract<Node, { $type: "ObjectType" }>;
        return this.object(v, o.properties, o.additionalProperties, path);
      }
      case "DiscriminatedObjectType":
        return this.discriminated(v, t as Extract<Node, { $type: "DiscriminatedObjectType" }>, path);
      default:
        this.problems.push(`${path}: unsupported type node ${t.$type}`);
    }
  }

  private string(v: BicepValue, s: Extract<Node, { $type: "StringType" }>, path: string): void {
    if (typeof v !== "string")
      return void this.problems.push(`${path}: expected a string, got ${JSON.stringify(v)}`);
    if (s.minLength !== undefined && v.length < s.minLength)
      this.problems.push(`${path}: shorter than ${s.minLength}`);
    if (s.maxLength !== undefined && v.length > s.maxLength)
      this.problems.push(`${path}: longer than ${s.maxLength}`);
    if (s.pattern !== undefined && !safeRegExp(s.pattern)?.test(v))
      this.problems.push(`${path}: does not match ${s.pattern}`);
  }

  private integer(v: BicepValue, s: Extract<Node, { $type: "IntegerType" }>, path: string): void {
    if (typeof v !== "number")
      return void this.problems.push(`${path}: expected an integer, got ${JSON.stringify(v)}`);
    if (s.minValue !== undefined && v < s.minValue) this.problems.push(`${path}: less than ${s.minValue}`);
    if (s.maxValue !== undefined && v > s.maxValue) this.problems.push(`${path}: more than ${s.maxValue}`);
  }

  private array(v: BicepValue, a: Extract<Node, { $type: "ArrayType" }>, path: string): void {
    if (!Array.isArray(v)) return void this.problems.push(`${path}: expected an array`);
    if (a.minLength !== undefined && v.length < a.minLength)
      this.problems.push(`${path}: fewer than ${a.minLength} items`);
    if (a.maxLength !== undefined && v.length > a.maxLength)
      this.problems.push(`${path}: more than ${a.maxLength} items`);
    v.forEach((x, i) => this.check(x, this.deref(a.itemType), `${path}[${i}]`));
  }

  /** A value fits a union when it fits one member; else the problems of the closest member. */
  private union(v: BicepValue, els: Node[], path: string): void {
    const before = this.problems.length;
    const trials = els.map((el) => {
      const saved = this.problems.splice(before);
      this.check(v, el, path);
      const found = this.problems.splice(before);
      this.problems.push(...saved);
      return found;
    });
    if (trials.some((p) => p.length === 0)) return;
    const literals = els
      .filter((e) => e.$type === "StringLiteralType")
      .map((e) => (e as { value: string }).value);
    if (typeof v === "string" && literals.length)
      this.problems.push(
        `${path}: ${JSON.stringify(v)} is not one of ${literals.map((l) => `'${l}'`).join(", ")}`,
      );
    else
      this.problems.push(
        ...(trials.sort((a, b) => a.length - b.length)[0] ?? [`${path}: no union member matches`]),
      );
  }

  private discriminated(
    v: BicepValue,
    d: Extract<Node, { $type: "DiscriminatedObjectType" }>,
    path: string,
  ): void {
    if (typeof v !== "object" || v === null || Array.isArray(v) || isExpr(v))
      return void this.problems.push(`${path}: expected an object`);
    const disc = v[d.discriminator];
    if (isExpr(disc)) return;
    const el = typeof disc === "string" ? d.elements[disc] : undefined;
    if (!el) {
      const allowed = Object.keys(d.elements)
        .map((l) => `'${l}'`)
        .join(", ");
      return void this.problems.push(
        `${path}.${d.discriminator}: ${JSON.stringify(disc)} is not one of ${allowed}`,
      );
    }
    const eo = this.deref(el) as Extract<Node, { $type: "ObjectType" }>;
    this.object(v, { ...d.baseProperties, ...eo.properties }, eo.additionalProperties, path);
  }

  /** Known properties only (or ones `extra` types), none read-only, every required one present. */
  private object(v: BicepValue, props: Record<string, Prop>, extra: Ref | undefined, path: string): void {
    if (typeof v !== "object" || v === null || Array.isArray(v) || isExpr(v))
      return void this.problems.push(`${path}: expected an object`);
    const lower = new Map(Object.entries(props).map(([k, p]) => [k.toLowerCase(), p]));
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) continue;
      const p = props[k] ?? lower.get(k.toLowerCase());
      const sub = path ? `${path}.${k}` : k;
      if (!p) {
        if (extra) this.check(x, this.deref(extra), sub);
        else this.problems.push(`${sub}: unknown property`);
      } else if (p.flags & READ_ONLY && !(p.flags & REQUIRED))
        this.problems.push(`${sub}: read-only property`);
      else this.check(x, this.deref(p.type), sub);
    }
    for (const [k, p] of Object.entries(props)) {
      if (p.flags & REQUIRED && !(p.flags & READ_ONLY) && v[k] === undefined)
        this.problems.push(`${path ? `${path}.` : ""}${k}: required property missing`);
    }
  }
}

const regexCache = new Map<string, RegExp | undefined>();
function safeRegExp(p: string): RegExp | undefined {
  if (!regexCache.has(p)) {
    try {
      regexCache.set(p, new RegExp(p));
    } catch {
      regexCache.set(p, undefined);
    }
  }
  return regexCache.get(p);
}

/**
 * Problems of a literal value given to a parameter: its type (or the fields of its declared object
 * type), @allowed, @minValue/@maxValue and @minLength/@maxLength. Expressions are not checked.
 */
export function checkParamValue(value: BicepValue, param: BicepParam, file: BicepFile): string[] {
  const problems: string[] = [];
  const kind = (v: BicepValue): string =>
    typeof v === "string"
      ? "string"
      : typeof v === "number"
        ? "int"
        : typeof v === "boolean"
          ? "bool"
          : Array.isArray(v)
            ? "array"
            : v === null
              ? "null"
              : "object";
  const checkType = (v: BicepValue, type: string, where: string) => {
    if (isExpr(v)) return;
    const declared = (file.types ?? []).find((t) => t.name === type);
    if (declared) {
      if (kind(v) !== "object") return void problems.push(`${where}: expected an object of type ${type}`);
      const obj = v as Record<string, BicepValue | undefined>;
      for (const f of declared.fields) {
        const x = obj[f.name];
        if (x === undefined) problems.push(`${where}.${f.name}: missing`);
        else checkType(x, f.type, `${where}.${f.name}`);
      }
      for (const k of Object.keys(obj))
        if (!declared.fields.some((f) => f.name === k))
          problems.push(`${where}.${k}: not a field of ${type}`);
      return;
    }
    if (kind(v) !== type) problems.push(`${where}: expected ${type}, got ${kind(v)}`);
  };
  checkType(value, param.type, param.name);
  if (isExpr(value) || problems.length) return problems;
  if (
    param.allowed &&
    (typeof value === "string" || typeof value === "number") &&
    !param.allowed.includes(value)
  )
    problems.push(
      `${param.name}: ${JSON.stringify(value)} is not one of ${param.allowed.map((a) => JSON.stringify(a)).join(", ")}`,
    );
  if (typeof value === "number") {
    if (param.minValue !== undefined && value < param.minValue)
      problems.push(`${param.name}: less than ${param.minValue}`);
    if (param.maxValue !== undefined && value > param.maxValue)
      problems.push(`${param.name}: more than ${param.maxValue}`);
  }
  if (typeof value === "string" || Array.isArray(value)) {
    if (param.minLength !== undefined && value.length < param.minLength)
      problems.push(`${param.name}: shorter than ${param.minLength}`);
    if (param.maxLength !== undefined && value.length > param.maxLength)
      problems.push(`${param.name}: longer than ${param.maxLength}`);
  }
  return problems;
}

/** Module calls must pass every parameter without a default, only declared ones, with fitting literals. */
export function checkModuleParams(m: BicepModule, target: BicepFile): string[] {
  const problems: string[] = [];
  const declared = new Map(target.params.map((p) => [p.name, p]));
  for (const [k, v] of Object.entries(m.params)) {
    const p = declared.get(k);
    if (!p) problems.push(`module ${m.symbol} (${m.path}): unknown parameter ${k}`);
    else if (v !== undefined)
      problems.push(...checkParamValue(v, p, target).map((x) => `module ${m.symbol} (${m.path}): ${x}`));
  }
  for (const p of target.params) {
    if (p.default === undefined && m.params[p.name] === undefined)
      problems.push(`module ${m.symbol} (${m.path}): missing parameter ${p.name}`);
  }
  return problems;
}

/** A parameter file must set every parameter of its template that has no default, only those, with fitting literals. */
export function checkParamFile(params: BicepParamFile, template: BicepFile): string[] {
  const problems: string[] = [];
  const declared = new Map(template.params.map((p) => [p.name, p]));
  for (const { name, value } of params.params) {
    const p = declared.get(name);
    if (!p) problems.push(`unknown parameter ${name}`);
    else problems.push(...checkParamValue(value, p, template));
  }
  for (const p of template.params) {
    if (p.default === undefined && !params.params.some((x) => x.name === p.name))
      problems.push(`missing parameter ${p.name}`);
  }
  return problems;
}

/** Every problem of a set of Bicep files (path → file), each prefixed with the file and symbol. */
export function checkBicepFiles(files: Record<string, BicepFile>, types = new BicepTypes()): string[] {
  const problems: string[] = [];
  for (const [path, f] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    for (const r of f.resources)
      for (const p of types.checkResource(r, f.targetScope)) problems.push(`${path}: ${r.symbol}: ${p}`);
    // Parameters, variables, types, resources and modules share one namespace in a Bicep file.
    const seen = new Set<string>();
    for (const id of [
      ...(f.types ?? []).map((t) => t.name),
      ...f.params.map((x) => x.name),
      ...f.vars.map((x) => x.name),
      ...f.resources.map((x) => x.symbol),
      ...f.modules.map((x) => x.symbol),
    ]) {
      if (seen.has(id)) problems.push(`${path}: ${id} is declared twice`);
      seen.add(id);
    }
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
    for (const m of f.modules) {
      const target = files[normalize(dir + m.path)];
      if (!target) problems.push(`${path}: module ${m.symbol}: ${m.path} is not generated`);
      else problems.push(...checkModuleParams(m, target).map((p) => `${path}: ${p}`));
    }
  }
  return problems;
}

function normalize(p: string): string {
  const out: string[] = [];
  for (const s of p.split("/")) {
    if (s === "..") out.pop();
    else if (s !== "." && s !== "") out.push(s);
  }
  return out.join("/");
}

/** Deployed resources whose type takes tags but that set none, as `file: symbol (type)`. */
export function untaggedResources(files: Record<string, BicepFile>, types = new BicepTypes()): string[] {
  const out: string[] = [];
  for (const [path, f] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    for (const r of f.resources) {
      if (!r.existing && types.takesTags(r.type, r.apiVersion) && r.body.tags === undefined)
        out.push(`${path}: ${r.symbol} (${r.type})`);
    }
  }
  return out;
}

/**
 * The check step of the Azure target: builds the typed Bicep of a project and returns every type-data
 * problem, every module call that does not match its module, and every taggable resource without tags.
 */
export function checkAzureProject(project: ProjectModel, types = new BicepTypes()): string[] {
  const { bicep, params } = buildAzure(project);
  const main = bicep["main.bicep"];
  const paramProblems = main
    ? Object.entries(params).flatMap(([path, f]) => checkParamFile(f, main).map((p) => `${path}: ${p}`))
    : ["main.bicep is not generated"];
  return [
    ...checkBicepFiles(bicep, types),
    ...paramProblems,
    ...untaggedResources(bicep, types).map((r) => `${r}: no tags`),
  ];
}
