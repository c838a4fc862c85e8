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
  type Node,
  type Document,
} from "yaml";
import type { Position, Problem } from "./problems.js";

export const MAX_SPEC_BYTES = 1024 * 1024;
/** Values produced from one file, aliases expanded; more means an alias bomb. */
const MAX_NODES = 200_000;

interface Located {
  self: Position;
  /** key → position of the key (maps) or index → position of the item (lists). */
  keys: Map<string | number, Position>;
  /** key → position of the value. */
  values: Map<string | number, Position>;
}

/** Positions of the objects and arrays of one or more parsed (and merged) specs. */
export class SourceMap {
  private readonly located = new WeakMap<object, Located>();

  record(value: object, self: Position): Located {
    const loc: Located = { self, keys: new Map(), values: new Map() };
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

  /** Copies the positions of `from[key]` to `to[key]` (used when merging environments). */
  copyKey(from: object, to: object, key: string | number): void {
    const src = this.located.get(from);
    if (!src) return;
    let dst = this.located.get(to);
    if (!dst) dst = this.record(to, src.self);
    const k = src.keys.get(key);
    const v = src.values.get(key);
    if (k) dst.keys.set(key, k);
    if (v) dst.values.set(key, v);
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

/**
 * Parses `text` (the content of `file`). Never throws for bad input: every problem is returned,
 * positioned. `value` is undefined when the file cannot be used at all.
 */
export function parseSource(file: string, text: string, map: SourceMap): ParsedSource {
  const problems: Problem[] = [];
  const at = (line: number, col: number): Position => ({ file, line, col });
  const fail = (message: string, hint?: string, pos = at(1, 1)): ParsedSource => ({
    value: undefined,
    problems: [{ severity: "error", pos, path: "", message, ...(hint ? { hint } : {}) }],
  });

  const tooLarge = sizeProblem(file, Buffer.byteLength(text));
  if (tooLarge) return { value: undefined, problems: [tooLarge] };
  const nul = text.indexOf("\0");
  if (nul >= 0 || text.includes("\uFFFD")) {
    const offset = nul >= 0 ? nul : text.indexOf("\uFFFD");
    const before = text.slice(0, offset).split("\n");
    return fail(
      "the file is not text: it contains binary data (a NUL byte or invalid UTF-8)",
      "a spec is a UTF-8 YAML file",
      at(before.length, (before.at(-1)?.length ?? 0) + 1),
    );
  }
  if (text.trim() === "" || /^(\s*#[^\n]*\n?)*\s*$/.test(text)) {
    return fail(
      "the file is empty",
      "start with `name: my-app` and a `services:` map; `gantry init` writes a starter spec",
    );
  }

  const lc = new LineCounter();
  const doc: Document = parseDocument(text, {
    lineCounter: lc,
    prettyErrors: false,
    uniqueKeys: true,
    merge: true,
    strict: true,
  });
  const posAt = (offset: number | undefined): Position => {
    const p = lc.linePos(offset ?? 0);
    return at(p.line, p.col);
  };
  for (const e of doc.errors) {
    const hint = yamlHint(e.code);
    problems.push({
      severity: "error",
      pos: posAt(e.pos[0]),
      path: "",
      message: yamlMessage(e.code, e.message),
      ...(hint ? { hint } : {}),
    });
  }
  if (problems.length > 0) return { value: undefined, problems };

  let count = 0;
  let bomb = false;
  const toValue = (node: Node | null | undefined, path: string, depth: number): unknown => {
    if (bomb) return undefined;
    if (++count > MAX_NODES || depth > 64) {
      bomb = true;
      problems.push({
        severity: "error",
        pos: posAt(node?.range?.[0]),
        path: "",
        message:
          depth > 64
            ? "the YAML is nested more than 64 levels deep"
            : "the YAML expands to too many values (an alias bomb?)",
        hint: "anchors and aliases (&a, *a) may be used, but not to multiply the document",
      });
      return undefined;
    }
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target) {
        problems.push({
          severity: "error",
          pos: posAt(node.range?.[0]),
          path,
          message: `the alias *${node.source} refers to no anchor`,
          hint: "define the anchor (&name) above the alias (*name)",
        });
        return null;
      }
      return toValue(target, path, depth + 1);
    }
    if (isScalar(node)) {
      const v = node.value;
      if (typeof v === "bigint") return Number(v);
      if (v instanceof Date) return node.source ?? String(v);
      if (v instanceof Uint8Array) return node.source ?? "";
      return v;
    }
    if (isSeq(node)) {
      const arr: unknown[] = [];
      const loc = map.record(arr, posAt(node.range?.[0]));
      node.items.forEach((item, i) => {
        const n = item as Node;
        loc.values.set(i, posAt(n.range?.[0]));
        arr.push(toValue(n, `${path}[${i}]`, depth + 1));
      });
      return arr;
    }
    if (isMap(node)) {
      const obj: Record<string, unknown> = {};
      const loc = map.record(obj, posAt(node.range?.[0]));
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as Node | null;
        const keyPos = posAt(keyNode?.range?.[0]);
        if (isScalar(keyNode) && keyNode.value === "<<") {
          // Merge key: copy the entries of the aliased map(s) that are not set here.
          const sources = isSeq(pair.value) ? (pair.value.items as Node[]) : [pair.value as Node];
          for (const s of sources) {
            const merged = toValue(s, path, depth + 1);
            if (merged && typeof merged === "object" && !Array.isArray(merged)) {
              for (const [k, v] of Object.entries(merged)) {
                if (k in obj) continue;
                obj[k] = v;
                map.copyKey(merged, obj, k);
              }
            }
          }
          continue;
        }
        if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === "object") {
          problems.push({
            severity: "error",
            pos: keyPos,
            path,
            message: "a map key must be a plain name",
            hint: "write keys as plain words followed by ':'",
          });
          continue;
        }
        const key = typeof keyNode.value === "string" ? keyNode.value : JSON.stringify(keyNode.value);
        if (key === "__proto__" || key === "constructor" || key === "prototype") {
          problems.push({
            severity: "error",
            pos: keyPos,
            path,
            message: `"${key}" is not allowed as a key`,
          });
          continue;
        }
        const valueNode = pair.value as Node | null;
        loc.keys.set(key, keyPos);
        loc.values.set(key, valueNode ? posAt(valueNode.range?.[0]) : keyPos);
        // Safe: the keys that could reach the prototype were rejected above.
        obj[key] = toValue(valueNode, path ? `${path}.${key}` : key, depth + 1);
      }
      return obj;
    }
    return null;
  };

  const value = toValue(doc.contents, "", 0);
  if (bomb || problems.length > 0) return { value: undefined, problems };
  if (value === null || value === undefined) {
    return fail(
      "the file is empty",
      "start with `name: my-app` and a `services:` map; `gantry init` writes a starter spec",
    );
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    problems.push({
      severity: "error",
      pos: posAt(doc.contents?.range?.[0]),
      path: "",
      message: `the top level must be a map of settings, but it is ${Array.isArray(value) ? "a list" : `a ${typeof value}`}`,
      hint: "a spec starts with `name: my-app` on its own line",
    });
    return { value: undefined, problems };
  }
  return { value, problems };
}
