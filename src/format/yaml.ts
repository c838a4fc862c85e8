// The one YAML printer: block style, no line folding, keys in the order the object has them (the
// model builders sort), so the same model always prints the same bytes.
import { stringify } from "yaml";

export interface PrintOptions {
  /**
   * Quote every string that a YAML 1.1 or 1.2 reader could take for something else (yes, on, 0755,
   * 12:30, 1e3): for readers that follow YAML 1.1, as Kubernetes and Helm (go-yaml) do. Printed by
   * `emitPlain`, a direct emitter for plain data that is some fifty times faster than the library's
   * stringify, which matters for charts of hundreds of services.
   */
  yaml11?: boolean;
}

export function printYaml(value: unknown, opts: PrintOptions = {}): string {
  if (opts.yaml11) return emitPlain(value);
  return stringify(value, {
    lineWidth: 0,
    minContentWidth: 0,
    indent: 2,
    indentSeq: true,
    aliasDuplicateObjects: false,
    defaultStringType: "PLAIN",
    defaultKeyType: "PLAIN",
    singleQuote: false,
  });
}

const SPECIAL =
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~|<<|=)$/;
const FLOATS = /^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/;
const SAFE = /^[A-Za-z0-9_./$(-][A-Za-z0-9_./$()@%+=:, -]*$/;

/** A string that prints plain and reads back as the same string in YAML 1.1 and 1.2 alike. */
function plainSafe(s: string): boolean {
  if (
    !SAFE.test(s) ||
    s.endsWith(" ") ||
    s.endsWith(":") ||
    s.includes(": ") ||
    s.includes(" #") ||
    SPECIAL.test(s) ||
    FLOATS.test(s)
  )
    return false;
  // Anything that starts like a number (or a date, time, .inf) is quoted, unless it is a quantity such as 250m, 1Gi, 30s.
  if (/^[-+.]?[0-9]/.test(s)) return /^[0-9]+[A-Za-z]+$/.test(s) && !/^[0-9]+[eE]$/.test(s);
  if (s.startsWith("-") && (s.length === 1 || s[1] === " " || s.startsWith("---"))) return false;
  return true;
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return plainSafe(v) ? v : JSON.stringify(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`cannot print ${v} as YAML`);
    return String(v);
  }
  if (typeof v === "boolean") return v ? "true" : "false";
  throw new Error(`cannot print a ${typeof v} as YAML`);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isEmpty = (v: unknown) =>
  Array.isArray(v) ? v.length === 0 : isObject(v) && Object.keys(v).length === 0;
const inline = (v: unknown) => (Array.isArray(v) ? "[]" : isObject(v) ? "{}" : scalar(v));

function emitInto(out: string[], v: unknown, pad: string): void {
  if (Array.isArray(v)) {
    for (const item of v) {
      if (isEmpty(item) || (!Array.isArray(item) && !isObject(item))) out.push(`${pad}- ${inline(item)}`);
      else {
        // The first line of the item goes after the dash: `- key: value`.
        const start = out.length;
        emitInto(out, item, `${pad}  `);
        out[start] = `${pad}- ${out[start]!.slice(pad.length + 2)}`;
      }
    }
    return;
  }
  if (isObject(v)) {
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) continue;
      const key = scalar(k);
      if (isEmpty(val) || (!Array.isArray(val) && !isObject(val))) out.push(`${pad}${key}: ${inline(val)}`);
      else {
        out.push(`${pad}${key}:`);
        emitInto(out, val, `${pad}  `);
      }
    }
    return;
  }
  out.push(`${pad}${scalar(v)}`);
}

/** Block-style YAML of plain data (objects, arrays, strings, finite numbers, booleans, null). */
export function emitPlain(value: unknown): string {
  if (isEmpty(value) || (!Array.isArray(value) && !isObject(value))) return `${inline(value)}\n`;
  const out: string[] = [];
  emitInto(out, value, "");
  return `${out.join("\n")}\n`;
}

/** Several documents in one file, separated by `---`. */
export function printYamlDocuments(values: readonly unknown[], opts: PrintOptions = {}): string {
  return values.map((v) => `---\n${printYaml(v, opts)}`).join("");
}
