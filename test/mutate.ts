// Mutations of valid specs for generative tests: delete keys, change types, rename keys, add keys
// people bring from other tools, truncate the file. Deterministic from a seed.
import { parseDocument, isMap, isSeq, isScalar, isPair, type Node } from "yaml";

/** A small deterministic PRNG, so a failure can be replayed from its seed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const VALUES: unknown[] = [
  null,
  0,
  -1,
  1e9,
  3.5,
  true,
  "",
  "x",
  "UPPER_case",
  [],
  {},
  ["a"],
  { a: 1 },
  "5m",
  "*/5 * * * *",
  "http://x",
];

function collect(node: Node | null | undefined, out: Node[]): void {
  if (!node) return;
  out.push(node);
  if (isMap(node)) for (const p of node.items) if (isPair(p)) collect(p.value as Node, out);
  if (isSeq(node)) for (const i of node.items) collect(i as Node, out);
}

export function mutate(text: string, r: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const op = Math.floor(r() * 5);
  if (op === 0) return text.slice(0, Math.floor(r() * text.length));
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return text; // an earlier truncation broke the YAML: keep it broken
  const nodes: Node[] = [];
  collect(doc.contents, nodes);
  const maps = nodes.filter((n) => isMap(n) && n.items.length > 0) as unknown as {
    items: { key: unknown; value: unknown }[];
  }[];
  if (maps.length === 0) return text;
  const m = pick(maps);
  const i = Math.floor(r() * m.items.length);
  const pair = m.items[i]!;
  switch (op) {
    case 1:
      m.items.splice(i, 1);
      break;
    case 2:
      pair.value = doc.createNode(pick(VALUES));
      break;
    case 3:
      if (isScalar(pair.key))
        pair.key.value = `${String(pair.key.value)}${pick(["x", "_", "s", ""])}`.replace(/^(.)/, (c) =>
          r() < 0.3 ? c.toUpperCase() : c,
        );
      break;
    default:
      m.items.push(
        doc.createPair(pick(["replicas", "domains", "env", "scale", "port", "uses", "bogus"]), pick(VALUES)),
      );
  }
  return doc.toString();
}
