// Reads back the HCL Gantry's own printer writes (src/format/hcl.ts), for the system checks over a
// rendered tree: blocks with their labels and line, attributes with their expression text and line.
// Only that canonical layout is read (one attribute or block opening per line, two-space indents,
// lists and objects that open on the attribute's line); it is no general HCL parser. The async
// @cdktf/hcl2json cannot serve the checks, which are synchronous like the renderers.

export interface HclAttr {
  name: string;
  /** The expression as printed, across lines for a multi-line list or object. */
  text: string;
  line: number;
}

export interface HclBlockRead {
  type: string;
  labels: string[];
  line: number;
  attrs: HclAttr[];
  blocks: HclBlockRead[];
}

const OPEN = /^([A-Za-z_][\w-]*)((?:\s+"[^"]*")*)\s*\{$/;
const ATTR = /^("[^"]+"|[A-Za-z_][\w.-]*)\s*=\s*(.*)$/;

/** Brackets opened minus closed on a line, outside string literals. */
function depth(text: string): number {
  let d = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "[" || c === "{" || c === "(") d++;
    else if (c === "]" || c === "}" || c === ")") d--;
  }
  return d;
}

/** The top-level blocks of a file (attributes outside blocks, as in a .tfvars file, go to `attrs`). */
export function readHcl(text: string): HclBlockRead {
  const root: HclBlockRead = { type: "", labels: [], line: 0, attrs: [], blocks: [] };
  const stack: HclBlockRead[] = [root];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const top = stack[stack.length - 1]!;
    if (line === "}") {
      stack.pop();
      continue;
    }
    const open = OPEN.exec(line);
    if (open) {
      const labels = [...(open[2] ?? "").matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
      const block: HclBlockRead = { type: open[1]!, labels, line: i + 1, attrs: [], blocks: [] };
      top.blocks.push(block);
      stack.push(block);
      continue;
    }
    const attr = ATTR.exec(line);
    if (!attr) continue;
    let value = attr[2]!;
    let d = depth(value);
    const start = i;
    while (d > 0 && i + 1 < lines.length) {
      i++;
      value += `\n${lines[i]!.trim()}`;
      d += depth(lines[i]!);
    }
    top.attrs.push({ name: attr[1]!.replace(/^"|"$/g, ""), text: value, line: start + 1 });
  }
  return root;
}

/** The value of a literal: a string, number, bool, or a list or object of them; undefined for expressions. */
export function literal(text: string): unknown {
  // HCL and JSON agree on string escapes; lists and objects differ by `=` and trailing commas.
  const json = text
    .replace(/,(\s*[\]}])/g, "$1")
    .replace(/^(\s*)([A-Za-z_][\w-]*)\s*=\s*/gm, '$1"$2": ')
    .replace(/^(\s*)("[^"]+")\s*=\s*/gm, "$1$2: ")
    .replace(/([^,[{\s])\n(\s*["\w])/g, "$1,\n$2");
  try {
    return unescapeTemplates(JSON.parse(json) as unknown);
  } catch {
    return undefined;
  }
}

/** A literal `${` or `%{` is printed doubled (`$${`) so that HCL does not read a template. */
function unescapeTemplates(v: unknown): unknown {
  if (typeof v === "string") return v.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
  if (Array.isArray(v)) return v.map(unescapeTemplates);
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unescapeTemplates(x)]));
  return v;
}

export const attr = (b: HclBlockRead | undefined, name: string): HclAttr | undefined =>
  b?.attrs.find((a) => a.name === name);

/** The blocks of a type (and first labels) anywhere under `b`, depth first. */
export function findBlocks(b: HclBlockRead, type: string, ...labels: string[]): HclBlockRead[] {
  const out: HclBlockRead[] = [];
  const walk = (x: HclBlockRead) => {
    for (const c of x.blocks) {
      if (c.type === type && labels.every((l, i) => c.labels[i] === l)) out.push(c);
      walk(c);
    }
  };
  walk(b);
  return out;
}
