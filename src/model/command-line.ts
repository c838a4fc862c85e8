// What a spec `command` means, once for every target and this machine. It replaces the image's
// entrypoint and arguments. A command line is split into words as a shell splits them (quotes and
// backslashes), and `$NAME` / `${NAME}` refer to the service's own variables, without a shell. A line
// with shell syntax (pipes, &&, ;, redirects, backticks, $(...)) runs as `/bin/sh -c <line>` instead,
// so it means on every target what it means in a terminal.

/** Literal text, or a reference to one of the service's variables. */
export type WordPart = string | { variable: string };

export interface CommandLine {
  line: string;
  /** Runs as `/bin/sh -c line`. */
  shell: boolean;
  /** The words when it does not need a shell, with their variable references; empty for a shell line. */
  words: WordPart[][];
}

const SHELL_SYNTAX = /[|&;<>`]|\$\(/;
const VARIABLE = /^\{([A-Za-z_][A-Za-z0-9_]*)\}|^([A-Za-z_][A-Za-z0-9_]*)/;

export class CommandSyntaxError extends Error {}

/** Splits a command line; throws CommandSyntaxError for an unterminated quote or an empty command. */
export function parseCommand(line: string): CommandLine {
  if (SHELL_SYNTAX.test(line)) return { line, shell: true, words: [] };
  const words: WordPart[][] = [];
  let word: WordPart[] | undefined;
  let quote: "'" | '"' | undefined;
  const add = (p: WordPart) => {
    word ??= [];
    const last = word[word.length - 1];
    if (typeof p === "string" && typeof last === "string") word[word.length - 1] = last + p;
    else word.push(p);
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else add(c);
    } else if (c === "$") {
      const m = VARIABLE.exec(line.slice(i + 1));
      if (m) {
        add({ variable: (m[1] ?? m[2])! });
        i += m[0].length;
      } else add("$");
    } else if (c === "\\" && i + 1 < line.length && (quote !== '"' || '"\\$'.includes(line[i + 1]!))) {
      add(line[++i]!);
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else add(c);
    } else if (c === "'" || c === '"') {
      quote = c;
      add("");
    } else if (/\s/.test(c)) {
      if (word) words.push(word);
      word = undefined;
    } else add(c);
  }
  if (quote) throw new CommandSyntaxError(`an unterminated ${quote === "'" ? "single" : "double"} quote`);
  if (word) words.push(word);
  if (words.length === 0) throw new CommandSyntaxError("no words");
  return { line, shell: false, words };
}

/** The variables the words refer to, in order of first use. */
export function commandVariables(cmd: CommandLine): string[] {
  const out: string[] = [];
  for (const w of cmd.words)
    for (const p of w) if (typeof p !== "string" && !out.includes(p.variable)) out.push(p.variable);
  return out;
}

/**
 * The argument vector, each variable written by `variable` and each piece of text by `text` (for a
 * platform's own escaping: Kubernetes writes `$(NAME)` and doubles a literal `$`).
 */
export function renderCommand(
  cmd: CommandLine,
  variable: (name: string) => string,
  text: (s: string) => string = (s) => s,
): string[] {
  if (cmd.shell) return ["/bin/sh", "-c", text(cmd.line)];
  return cmd.words.map((w) =>
    w.map((p) => (typeof p === "string" ? text(p) : variable(p.variable))).join(""),
  );
}
