// A reader of the Bicep Gantry prints (src/format/bicep.ts), for the system checks: the top-level
// declarations of a file with their line, the keys of a resource or module body, and the values of
// a parameter file, plus the few expressions the checks need to evaluate (literals, interpolations of
// known names, `!`, `empty()`). It reads the printer's layout (two-space indentation, one declaration
// per block, closing brace at column 0), not Bicep in general.

/** A value a check can know: a string, a bool or a number; undefined when it depends on a deployment. */
export type Known = string | boolean | number | undefined;

export interface Entry {
  /** The value's text: its first line, and the following lines of a multi-line value. */
  text: string;
  line: number;
}

export interface Decl {
  kind: "param" | "var" | "resource" | "module" | "output";
  symbol: string;
  /** 1-based line of the declaration. */
  line: number;
  /** `type@version` of a resource, the path of a module, the type of a param/var/output. */
  target: string;
  existing: boolean;
  /** The condition of `= if (...)`, when there is one. */
  condition?: string;
  /** What follows `=` on the first line (a param's default, a var's value). */
  value: string;
  /** The keys of a resource or module body (two spaces in). */
  body: Map<string, Entry>;
  /** The keys of a module's `params` (four spaces in). */
  params: Map<string, Entry>;
}

const HEAD =
  /^(param|var|resource|module|output) ([A-Za-z_][A-Za-z0-9_]*) ('[^']*'|\S+)(?: (existing))?(?: = (.*))?$/;

export function readBicep(text: string): Decl[] {
  const lines = text.split("\n");
  const decls: Decl[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = HEAD.exec(lines[i]!);
    if (!m) continue;
    const kind = m[1] as Decl["kind"];
    const rest = m[5] ?? "";
    const end = /[{[(]$/.test(rest) ? closing(lines, i) : i;
    const inner = lines.slice(i + 1, end);
    const body = keysAt(inner, i + 2, 2);
    const paramsAt = inner.findIndex((l) => l === "  params: {");
    const condition = /^(?:\[for [^:]*: )?if \((.*)\) [{[]$/.exec(rest)?.[1];
    decls.push({
      kind,
      symbol: m[2]!,
      line: i + 1,
      target: m[3]!.replace(/^'|'$/g, ""),
      existing: m[4] === "existing",
      ...(condition === undefined ? {} : { condition }),
      value: rest,
      body,
      params:
        paramsAt < 0 ? new Map<string, Entry>() : keysAt(inner.slice(paramsAt + 1), i + paramsAt + 3, 4),
    });
    i = end;
  }
  return decls;
}

/** The index of the line that closes the block opened on line `start` (the next line at column 0). */
function closing(lines: string[], start: number): number {
  for (let j = start + 1; j < lines.length; j++) if (/^[}\])]/.test(lines[j]!)) return j;
  return lines.length - 1;
}

/**
 * `key: value` lines at exactly `indent` spaces, each with the deeper lines of its value and the
 * bracket that closes it (at the key's depth); a shallower line ends the object.
 */
function keysAt(lines: string[], firstLine: number, indent: number): Map<string, Entry> {
  const out = new Map<string, Entry>();
  let current: Entry | undefined;
  for (const [k, l] of lines.entries()) {
    const depth = l.length - l.trimStart().length;
    if (depth < indent) break;
    const kv = depth === indent ? /^([A-Za-z_][A-Za-z0-9_]*|'[^']*'): ?(.*)$/.exec(l.trim()) : null;
    if (kv) {
      current = { text: kv[2]!, line: firstLine + k };
      out.set(kv[1]!.replace(/^'|'$/g, ""), current);
    } else if (current) current.text += `\n${l}`;
  }
  return out;
}

/** The values of a `.bicepparam` file's one-line parameters and object fields (`apiConfig.domain`). */
export function readParamFile(text: string): Map<string, Known> {
  return new Map([...readParamEntries(text)].map(([name, e]) => [name, e.value]));
}

/**
 * Every one-line value of a `.bicepparam` file with its line: `name` for a parameter, `name.field`
 * for a one-line field of an object parameter (`apiConfig.domain`).
 */
export function readParamEntries(text: string): Map<string, { value: Known; line: number }> {
  const out = new Map<string, { value: Known; line: number }>();
  let object: string | undefined;
  for (const [i, l] of text.split("\n").entries()) {
    const top = /^param ([A-Za-z_][A-Za-z0-9_]*) = (.*)$/.exec(l);
    if (top) {
      object = top[2] === "{" ? top[1] : undefined;
      out.set(top[1]!, { value: literal(top[2]!), line: i + 1 });
      continue;
    }
    const field = object ? /^ {2}([A-Za-z_][A-Za-z0-9_]*): (.*)$/.exec(l) : null;
    if (field) out.set(`${object!}.${field[1]!}`, { value: literal(field[2]!), line: i + 1 });
    else if (l === "}") object = undefined;
  }
  return out;
}

/** A literal's value: 'text' (without interpolation), true/false, an integer. */
function literal(text: string): Known {
  if (text === "true" || text === "false") return text === "true";
  if (/^-?\d+$/.test(text)) return Number(text);
  const s = /^'((?:[^'\\$]|\\.|\$(?!\{))*)'$/.exec(text);
  return s ? s[1]!.replace(/\\(.)/g, "$1") : undefined;
}

/**
 * The value of an expression where every name it reads is known: a literal, a name (or an object
 * parameter's field), a string with
 * `${name}` interpolations, `!x`, `empty(x)`. Anything else is undefined.
 */
export function evaluate(text: string, scope: ReadonlyMap<string, Known>): Known {
  const t = text.trim();
  if (/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(t) && t !== "true" && t !== "false")
    return scope.get(t);
  if (t.startsWith("!")) {
    const v = evaluate(t.slice(1), scope);
    return typeof v === "boolean" ? !v : undefined;
  }
  const empty = /^empty\((.*)\)$/.exec(t);
  if (empty) {
    const v = evaluate(empty[1]!, scope);
    return typeof v === "string" ? v === "" : undefined;
  }
  if (t.startsWith("'") && t.endsWith("'") && t.includes("${")) {
    let unknown = false;
    const out = t.slice(1, -1).replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const v = scope.get(name);
      if (v === undefined) unknown = true;
      return String(v);
    });
    return unknown || out.includes("${") ? undefined : out;
  }
  return literal(t);
}

/** A value of the printer's layout: literals, objects and arrays; an expression is undefined. */
export type ParamValue = Known | ParamValue[] | { [key: string]: ParamValue };

/**
 * The value of parameter `name` in a `.bicepparam` file, objects and arrays included, as the printer
 * lays them out (one key or item a line, the closing bracket at the opening line's depth).
 */
export function readParamValue(text: string, name: string): ParamValue {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`param ${name} = `));
  if (start < 0) return undefined;
  return valueAt(lines, start, lines[start]!.slice(`param ${name} = `.length))[0];
}

/** The value that starts with `first` on line `i`, and the index of its last line. */
function valueAt(lines: string[], i: number, first: string): [ParamValue, number] {
  const open = first.trim();
  if (open === "[]") return [[], i];
  if (open === "{}") return [{}, i];
  if (open !== "[" && open !== "{") return [evaluate(open, new Map()), i];
  const items: ParamValue[] = [];
  const fields: Record<string, ParamValue> = {};
  let j = i + 1;
  for (; j < lines.length; j++) {
    const line = lines[j]!.trim();
    if (line === "]" || line === "}") break;
    const kv = open === "{" ? /^('[^']*'|[A-Za-z_][A-Za-z0-9_]*): (.*)$/.exec(line) : null;
    const [value, end] = valueAt(lines, j, kv ? kv[2]! : line);
    if (kv) fields[kv[1]!.replace(/^'|'$/g, "")] = value;
    else items.push(value);
    j = end;
  }
  return [open === "[" ? items : fields, j];
}
