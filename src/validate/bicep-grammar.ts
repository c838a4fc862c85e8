// Parses Bicep and .bicepparam text with the tree-sitter Bicep grammar (tree-sitter-bicep's wasm
// through web-tree-sitter) and reports every ERROR or MISSING node with its line and column. This
// is a syntax check only; types are checked by ./bicep-types.ts and `bicep build` (./bicep-cli.ts).
import { createRequire } from "node:module";
import { Language, Parser, type Node } from "web-tree-sitter";

export interface SyntaxProblem {
  line: number;
  column: number;
  message: string;
}

let parser: Promise<Parser> | undefined;

function load(): Promise<Parser> {
  parser ??= (async () => {
    const require = createRequire(import.meta.url);
    await Parser.init();
    const lang = await Language.load(require.resolve("tree-sitter-bicep/tree-sitter-bicep.wasm"));
    const p = new Parser();
    p.setLanguage(lang);
    return p;
  })();
  return parser;
}

/** Every ERROR and MISSING node of `text`, in document order; empty when it parses cleanly. */
export async function bicepSyntaxProblems(text: string): Promise<SyntaxProblem[]> {
  const p = await load();
  const tree = p.parse(text);
  if (!tree) return [{ line: 1, column: 1, message: "the parser returned no tree" }];
  const problems: SyntaxProblem[] = [];
  const walk = (n: Node): void => {
    if (n.isError || n.isMissing) {
      const snippet = text.slice(n.startIndex, Math.min(n.endIndex, n.startIndex + 40)).replace(/\n/g, "\\n");
      problems.push({
        line: n.startPosition.row + 1,
        column: n.startPosition.column + 1,
        message: n.isMissing ? `missing ${n.type}` : `syntax error near "${snippet}"`,
      });
    }
    if (!n.hasError && !n.isMissing) return;
    for (const c of n.children) if (c) walk(c);
  };
  walk(tree.rootNode);
  tree.delete();
  return problems;
}

/**
 * A .bicepparam file. tree-sitter-bicep has no grammar for parameter files: their `param name = value`
 * assignments (a declaration without a type) are checked as `var name = value`, padded so that lines
 * and columns stay those of the file; the `using` statement and every value are parsed as they are.
 */
export async function bicepParamSyntaxProblems(text: string): Promise<SyntaxProblem[]> {
  return bicepSyntaxProblems(text.replace(/^param(\s+[A-Za-z_][A-Za-z0-9_]*\s*=)/gm, "var  $1"));
}
