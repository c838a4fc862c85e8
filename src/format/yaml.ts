// The one YAML printer: block style, no line folding, keys in the order the object has them (the
// model builders sort), so the same model always prints the same bytes.
import { stringify } from "yaml";

export function printYaml(value: unknown): string {
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

/** Several documents in one file, separated by `---`. */
export function printYamlDocuments(values: readonly unknown[]): string {
  return values.map((v) => `---\n${printYaml(v)}`).join("");
}
