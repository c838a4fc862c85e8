// Splits a spec `command` into an argument vector without a shell: whitespace separates words,
// single quotes keep everything literally, double quotes keep spaces and allow \" and \\ escapes, and
// `$NAME` / `${NAME}` are replaced from the given variables (only PORT and friends Gantry injects).
// Shell features (pipes, redirects, globs, &&) are rejected so that a command never means something
// different from what it looks like.
import { UserError } from "../../spec/problems.js";

export function splitCommand(command: string, vars: Record<string, string> = {}): string[] {
  const args: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  const expand = (i: number): number => {
    // command[i] === "$"
    const rest = command.slice(i + 1);
    const m = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(rest) ?? /^([A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
    if (!m) {
      cur += "$";
      return i + 1;
    }
    const name = m[1]!;
    const value = vars[name];
    if (value === undefined)
      throw new UserError(
        `command \`${command}\` uses $${name}, which Gantry does not set`,
        `only ${
          Object.keys(vars)
            .sort()
            .map((v) => `$${v}`)
            .join(", ") || "no variables"
        } can be used in a command`,
      );
    cur += value;
    return i + 1 + m[0].length;
  };
  let i = 0;
  while (i < command.length) {
    const c = command[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
      i++;
      continue;
    }
    if (quote === '"') {
      if (c === '"') {
        quote = null;
        i++;
      } else if (
        c === "\\" &&
        (command[i + 1] === '"' || command[i + 1] === "\\" || command[i + 1] === "$")
      ) {
        cur += command[i + 1]!;
        i += 2;
      } else if (c === "$") {
        i = expand(i);
      } else {
        cur += c;
        i++;
      }
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) args.push(cur);
      cur = "";
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'" || c === '"') {
      quote = c;
      i++;
    } else if (c === "\\" && i + 1 < command.length) {
      cur += command[i + 1]!;
      i += 2;
    } else if (c === "$") {
      i = expand(i);
    } else if ("|&;<>`(){}*?".includes(c)) {
      throw new UserError(
        `command \`${command}\` uses the shell character ${JSON.stringify(c)}, but Gantry runs commands without a shell`,
        "put shell logic in a script and run that script as the command",
      );
    } else {
      cur += c;
      i++;
    }
  }
  if (quote)
    throw new UserError(
      `command \`${command}\` has an unterminated ${quote === "'" ? "single" : "double"} quote`,
    );
  if (inWord) args.push(cur);
  if (args.length === 0) throw new UserError("empty command");
  return args;
}
