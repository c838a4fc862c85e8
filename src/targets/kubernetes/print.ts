// Kubernetes and Helm read YAML as YAML 1.1 (go-yaml): every file of this target is printed so that
// a string such as `yes` or `on` stays a string there.
import { printYaml, printYamlDocuments } from "../../format/yaml.js";

export const printK8sYaml = (value: unknown): string => printYaml(value, { yaml11: true });
export const printK8sDocuments = (values: readonly unknown[]): string =>
  printYamlDocuments(values, { yaml11: true });
