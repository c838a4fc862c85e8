// Generative test: mutate the examples many hundreds of times (delete keys, change types, rename
// keys, truncate the file). Gantry must never crash: every run is either valid or fails with
// positioned spec problems.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseDocument, isMap, isSeq, isScalar, isPair, type Node } from "yaml";
import { loadSpec } from "../src/spec/load.js";
import { SpecError, UserError } from "../src/spec/problems.js";
import { EXAMPLES, examplePath } from "./helpers.js";

/** A small deterministic PRNG, so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
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

function mutate(text: string, r: () => number): string {
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

describe("mutated examples", () => {
  for (const name of EXAMPLES) {
    it(`${name}: 200 mutations never crash and every failure is positioned`, () => {
      const original = readFileSync(examplePath(name), "utf8");
      const r = rng(name.length * 7919);
      let failures = 0;
      for (let n = 0; n < 200; n++) {
        let text = original;
        const rounds = 1 + Math.floor(r() * 3);
        for (let k = 0; k < rounds; k++) text = mutate(text, r);
        try {
          loadSpec("gantry.yaml", text);
        } catch (e) {
          if (e instanceof UserError) continue;
          assert.ok(
            e instanceof SpecError,
            `mutation ${n} crashed: ${(e as Error).stack}\n--- spec ---\n${text}`,
          );
          failures++;
          for (const p of e.problems) {
            assert.equal(p.pos.file, "gantry.yaml");
            assert.ok(p.pos.line >= 1 && p.pos.col >= 1, `unpositioned problem: ${JSON.stringify(p)}`);
            assert.ok(p.message.length > 0);
          }
          assert.ok(e.problems.some((p) => p.severity === "error"));
        }
      }
      assert.ok(failures > 50, `only ${failures} of 200 mutations failed: the mutator is too gentle`);
    });
  }
});
