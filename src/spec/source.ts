// Parses YAML into plain values while remembering where each key and value came from, so every
// later check (schema, cross-references, merged environments) can point at a line and column.
import {
  LineCounter,
  parseDocument,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Alias,
  type Document,
  type Node,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from "yaml";
import type { Position, Problem } from "../errors.js";

export const MAX_SPEC_BYTES = 1024 * 1024;
/** Values produced from one file, aliases expanded; more means an alias bomb. */
const MAX_NODES = 200_000;

interface Located {
  self: Position;
  /** key → position of the key (maps) or index → position of the item (lists). */
  keys: Map<string | number, Position>;
  /** key → position of the value. */
  values: Map<string | number, Position>;
  /** key → the text of a number or boolean as written (`1.10`, `0755`, `yes`), for fields that are text. */
  texts: Map<string | number, string>;
}

/** Positions of the objects and arrays of one or more parsed (and merged) specs. */
export class SourceMap {
  private readonly located = new WeakMap<object, Located>();

  record(value: object, self: Position): Located {
    const loc: Located = { self, keys: new Map(), values: new Map(), texts: new Map() };
    this.located.set(value, loc);
    return loc;
  }

  get(value: object): Located | undefined {
    return this.located.get(value);
  }

  /** Where `container[key]` was written: the key for maps, the value for list items. */
  keyPos(container: object, key: string | number): Position | undefined {
    const loc = this.located.get(container);
    return loc?.keys.get(key) ?? loc?.values.get(key);
  }

  valuePos(container: object, key: string | number): Position | undefined {
    const loc = this.located.get(container);
    return loc?.values.get(key) ?? loc?.keys.get(key);
  }

  selfPos(value: object): Position | undefined {
    return this.located.get(value)?.self;
  }

  /** How the number or boolean at `container[key]` was written, when it was one. */
  textOf(container: object, key: string | number): string | undefined {
    return this.located.get(container)?.texts.get(key);
  }

  /** Copies the positions of `from[key]` to `to[key]` (used when merging environments). */
  copyKey(from: object, to: object, key: string | number): void {
    const src = this.located.get(from);
    if (!src) return;
    let dst = this.located.get(to);
    if (!dst) dst = this.record(to, src.self);
    const k = src.keys.get(key);
    const v = src.values.get(key);
    const t = src.texts.get(key);
    if (k) dst.keys.set(key, k);
    if (v) dst.values.set(key, v);
    if (t !== undefined) dst.texts.set(key, t);
    else dst.texts.delete(key);
  }
}

/** The problem of a spec file too large to be one, or undefined. */
export function sizeProblem(file: string, bytes: number): Problem | undefined {
  if (bytes <= MAX_SPEC_BYTES) return undefined;
  return {
    severity: "error",
    pos: { file, line: 1, col: 1 },
    path: "",
    message: `the file is ${(bytes / 1024 / 1024).toFixed(1)} MB; a spec may be at most 1 MB`,
    hint: "is this the right file? a spec describes services and resources, not data",
  };
}

export interface ParsedSource {
  value: unknown;
  problems: Problem[];
}

function yamlHint(code: string): string | undefined {
  switch (code) {
    case "TAB_AS_INDENT":
      return "YAML indents with spaces; replace the tab characters with spaces";
    case "DUPLICATE_KEY":
      return "each key may appear once in a map; merge the two entries";
    case "BAD_INDENT":
    case "MISSING_CHAR":
    case "UNEXPECTED_TOKEN":
    case "BLOCK_AS_IMPLICIT_KEY":
      return "check the indentation and the ':' after each key on this line and the one above";
    case "MULTIPLE_DOCS":
      return "a spec is one YAML document; remove the '---' separator";
    case "BAD_ALIAS":
      return "an alias (*name) must refer to an anchor (&name) defined above it";
    default:
      return undefined;
  }
}

function yamlMessage(code: string, message: string): string {
  switch (code) {
    case "TAB_AS_INDENT":
      return "YAML syntax error: a tab character is used for indentation";
    case "DUPLICATE_KEY":
      return "duplicate key: this key appears twice in the same map";
    case "MULTIPLE_DOCS":
      return "more than one YAML document in the file";
    default: {
      // The yaml library's messages end with a code excerpt; keep the first sentence.
      const first = message.split("\n")[0] ?? message;
      return `YAML syntax error: ${first.replace(/ at line \d+, column \d+:?$/, "")}`;
    }
  }
}

/** A problem of the whole file (no spec path). */
function fileProblem(pos: Position, message: string, hint?: string): Problem {
  return { severity: "error", pos, path: "", message, ...(hint ? { hint } : {}) };
}

const emptyFile = (file: string): Problem =>
  fileProblem(
    { file, line: 1, col: 1 },
    "the file is empty",
    "start with `name: my-app` and a `services:` map; `gantry init` writes a starter spec",
  );

/** The problem of a text that cannot be a spec at all (too large, binary or empty), or undefined. */
function textProblem(file: string, text: string): Problem | undefined {
  const tooLarge = sizeProblem(file, Buffer.byteLength(text));
  if (tooLarge) return tooLarge;
  const nul = text.indexOf("\0");
  if (nul >= 0 || text.includes("\uFFFD")) {
    const offset = nul >= 0 ? nul : text.indexOf("\uFFFD");
    const before = text.slice(0, offset).split("\n");
    return fileProblem(
      { file, line: before.length, col: (before.at(-1)?.length ?? 0) + 1 },
      "the file is not text: it contains binary data (a NUL byte or invalid UTF-8)",
      "a spec is a UTF-8 YAML file",
    );
  }
  if (text.trim() === "" || /^(\s*#[^\n]*\n?)*\s*$/.test(text)) return emptyFile(file);
  return undefined;
}

type PositionAt = (offset: number | undefined) => Position;

const MAX_DEPTH = 64;

/**
 * Turns the nodes of one parsed document into plain values (aliases expanded),
 * recording where each came from in the SourceMap and collecting problems as it goes.
 */
class PlainValues {
  readonly problems: Problem[] = [];
  /** Set when the document is nested too deep or expands to too many values: conversion stops. */
  stopped = false;
  private count = 0;

  constructor(
    private readonly doc: Document,
    private readonly sources: SourceMap,
    private readonly posAt: PositionAt,
  ) {}

  of(node: Node | null | undefined, path: string, depth: number): unknown {
    if (this.stopped) return undefined;
    if (++this.count > MAX_NODES || depth > MAX_DEPTH) {
      this.stop(node, depth);
      return undefined;
    }
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return this.alias(node, path, depth);
    if (isScalar(node)) return scalarValue(node);
    if (isSeq(node)) return this.list(node, path, depth);
    if (isMap(node)) return this.record(node, path, depth);
    return null;
  }

  private stop(node: Node | null | undefined, depth: number): void {
    this.stopped = true;
    this.problems.push({
      severity: "error",
      pos: this.posAt(node?.range?.[0]),
      path: "",
      message:
        depth > MAX_DEPTH
          ? `the YAML is nested more than ${MAX_DEPTH} levels deep`
          : "the YAML expands to too many values (an alias bomb?)",
      hint: "anchors and aliases (&a, *a) may be used, but not to multiply the document",
    });
  }

  private alias(node: Alias, path: string, depth: number): unknown {
    const target = node.resolve(this.doc);
    if (!target) {
      this.problems.push({
        severity: "error",
        pos: this.posAt(node.range?.[0]),
        path,
        message: `the alias *${node.source} refers to no anchor`,
        hint: "define the anchor (&name) above the alias (*name)",
      });
      return null;
    }
    return this.of(target, path, depth + 1);
  }

  private list(node: YAMLSeq, path: string, depth: number): unknown[] {
    const arr: unknown[] = [];
    const loc = this.sources.record(arr, this.posAt(node.range?.[0]));
    node.items.forEach((item, i) => {
      const n = item as Node;
      loc.values.set(i, this.posAt(n.range?.[0]));
      this.keepText(loc, i, n);
      arr.push(this.of(n, `${path}[${i}]`, depth + 1));
    });
    return arr;
  }

  private record(node: YAMLMap, path: string, depth: number): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    const loc = this.sources.record(obj, this.posAt(node.range?.[0]));
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as Node | null;
      const keyPos = this.posAt(keyNode?.range?.[0]);
      if (isMergeKey(keyNode)) {
        this.merge(obj, pair.value as Node | null, keyPos, path, depth);
        continue;
      }
      const key = this.key(keyNode, keyPos, path);
      if (key === null) continue;
      const valueNode = pair.value as Node | null;
      loc.keys.set(key, keyPos);
      loc.values.set(key, valueNode ? this.posAt(valueNode.range?.[0]) : keyPos);
      this.keepText(loc, key, valueNode);
      // Safe: the keys that could reach the prototype were rejected by key().
      obj[key] = this.of(valueNode, path ? `${path}.${key}` : key, depth + 1);
    }
    return obj;
  }

  /**
   * Merge key (`<<: *base` or `<<: [*a, *b]`), as YAML 1.1 defines it: the entries of the merged
   * maps that the map does not set itself, the earlier of several maps winning over the later ones.
   */
  private merge(
    obj: Record<string, unknown>,
    value: Node | null,
    keyPos: Position,
    path: string,
    depth: number,
  ): void {
    const sources = isSeq(value) ? (value.items as Node[]) : [value];
    for (const s of sources) {
      const merged = this.of(s, path, depth + 1);
      if (merged === null || typeof merged !== "object" || Array.isArray(merged)) {
        this.problems.push({
          severity: "error",
          pos: s?.range ? this.posAt(s.range[0]) : keyPos,
          path,
          message: `a merge key (<<) takes a map, got ${merged === null ? "nothing" : Array.isArray(merged) ? "a list" : `a ${typeof merged}`}`,
          hint: "write `<<: *name` with an anchor (&name) on a map, or `<<: [*a, *b]`",
        });
        continue;
      }
      for (const [k, v] of Object.entries(merged)) {
        if (k in obj) continue;
        obj[k] = v;
        this.sources.copyKey(merged, obj, k);
      }
    }
  }

  /** Keeps how a number or boolean was written (an alias keeps its anchor's text). */
  private keepText(loc: Located, key: string | number, node: Node | null): void {
    loc.texts.delete(key);
    const target = isAlias(node) ? node.resolve(this.doc) : node;
    if (!isScalar(target) || target.source === undefined) return;
    const v: unknown = target.value;
    if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean")
      loc.texts.set(key, target.source);
  }

  /** The key of a map entry as a string, or null (and a problem) when it cannot be one. */
  private key(keyNode: Node | null, keyPos: Position, path: string): string | null {
    if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === "object") {
      this.problems.push({
        severity: "error",
        pos: keyPos,
        path,
        message: "a map key must be a plain name",
        hint: "write keys as plain words followed by ':'",
      });
      return null;
    }
    const key = typeof keyNode.value === "string" ? keyNode.value : JSON.stringify(keyNode.value);
    if (key === "__proto__" || key === "constructor" || key === "prototype") {
      this.problems.push({
        severity: "error",
        pos: keyPos,
        path,
        message: `"${key}" is not allowed as a key`,
      });
      return null;
    }
    return key;
  }
}

/** `<<` written plain: a YAML 1.1 merge key (a quoted '<<' is an ordinary key). */
function isMergeKey(node: Node | null): boolean {
  return isScalar(node) && (typeof node.value === "symbol" || (node.type === "PLAIN" && node.value === "<<"));
}

function scalarValue(node: Scalar): unknown {
  const v = node.value;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return node.source ?? String(v);
  if (v instanceof Uint8Array) return node.source ?? "";
  return v;
}

/** The map holding the key written at `offset`, with its spec path, found by walking the document. */
function mapOfKeyAt(node: unknown, offset: number, path: string): { map: YAMLMap; path: string } | undefined {
  if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const found = mapOfKeyAt(item, offset, `${path}[${i}]`);
      if (found) return found;
    }
  }
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    const key = pair.key as Node | null;
    if (key?.range?.[0] === offset) return { map: node, path };
    const name = isScalar(key) ? String(key.value) : "";
    const found = mapOfKeyAt(pair.value, offset, path ? `${path}.${name}` : name);
    if (found) return found;
  }
  return undefined;
}

/** A key written twice in one map: which key, in which map, and where it was first. */
function duplicateKey(doc: Document, offset: number, posAt: PositionAt): Problem | undefined {
  const found = mapOfKeyAt(doc.contents, offset, "");
  if (!found) return undefined;
  const keys = found.map.items.map((p) => p.key as Node | null);
  const dup = keys.find((k) => k?.range?.[0] === offset);
  if (!isScalar(dup)) return undefined;
  const first = keys.find((k) => isScalar(k) && k.value === dup.value && k !== dup);
  const name = String(dup.value);
  const where = found.path ? `in ${found.path}` : "at the top level";
  const line = first?.range ? ` (first on line ${posAt(first.range[0]).line})` : "";
  return {
    severity: "error",
    pos: posAt(offset),
    path: found.path ? `${found.path}.${name}` : name,
    message: `duplicate key: \`${name}\` appears twice ${where}${line}`,
    hint: "each key may appear once in a map; keep one of the two entries",
  };
}

/**
 * Parses `text` (the content of `file`). Never throws for bad input: every problem is returned,
 * positioned. `value` is undefined when the file cannot be used at all.
 */
export function parseSource(file: string, text: string, map: SourceMap): ParsedSource {
  const unusable = textProblem(file, text);
  if (unusable) return { value: undefined, problems: [unusable] };

  const lc = new LineCounter();
  const doc: Document = parseDocument(text, {
    lineCounter: lc,
    prettyErrors: false,
    uniqueKeys: true,
    merge: true,
    strict: true,
  });
  const posAt: PositionAt = (offset) => {
    const p = lc.linePos(offset ?? 0);
    return { file, line: p.line, col: p.col };
  };
  const syntax = doc.errors.map(
    (e) =>
      (e.code === "DUPLICATE_KEY" ? duplicateKey(doc, e.pos[0], posAt) : undefined) ??
      fileProblem(posAt(e.pos[0]), yamlMessage(e.code, e.message), yamlHint(e.code)),
  );
  if (syntax.length > 0) return { value: undefined, problems: syntax };

  const values = new PlainValues(doc, map, posAt);
  const value = values.of(doc.contents, "", 0);
  if (values.stopped || values.problems.length > 0) return { value: undefined, problems: values.problems };
  if (value === null || value === undefined) return { value: undefined, problems: [emptyFile(file)] };
  if (typeof value !== "object" || Array.isArray(value)) {
    const problem = fileProblem(
      posAt(doc.contents?.range?.[0]),
      `the top level must be a map of settings, but it is ${Array.isArray(value) ? "a list" : `a ${typeof value}`}`,
      "a spec starts with `name: my-app` on its own line",
    );
    return { value: undefined, problems: [problem] };
  }
  return { value, problems: [] };
}
