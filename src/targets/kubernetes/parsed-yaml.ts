// The YAML files of a rendered tree, parsed with the line of each node, for the system checks.
import { LineCounter, parseAllDocuments, type Document } from "yaml";
import type { FileTree } from "../target.js";

/** A parsed YAML file of the tree and the line of a node in it. */
export interface ParsedFile {
  file: string;
  /** The first document, and all of them (a manifest file may hold several). */
  doc: Document;
  docs: Document[];
  line(node: unknown): number | undefined;
}

export function parseFile(tree: FileTree, file: string): ParsedFile | undefined {
  const text = tree[file];
  if (text === undefined) return undefined;
  const counter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter: counter });
  const docs = Array.isArray(parsed) ? parsed : [];
  const doc = docs[0];
  if (!doc) return undefined;
  const line = (node: unknown) => {
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    return range ? counter.linePos(range[0]).line : undefined;
  };
  return { file, doc, docs, line };
}
