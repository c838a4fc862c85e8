// The one YAML printer: block style, no line folding, keys in the order the object has them (the
// model builders sort), so the same model always prints the same bytes.
import { stringify } from "yaml";

export interface PrintOptions {
  /**
   * Quote every string that YAML 1.1 would read as something else (yes, on, 0755, 12:30): for
   * readers that follow YAML 1.1, as Kubernetes and Helm (go-yaml) do.
   */
  yaml11?: boolean;
}

export function printYaml(value: unknown, opts: PrintOptions = {}): string {
  return stringify(value, {
    ...(opts.yaml11 ? { version: "1.1" as const } : {}),
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
export function printYamlDocuments(values: readonly unknown[], opts: PrintOptions = {}): string {
  return values.map((v) => `---\n${printYaml(v, opts)}`).join("");
}
