// A spec `command` as the argument vector of a local process, with the meaning every target gives it
// (src/model/command-line.ts): words without a shell, `$NAME` from the process's own variables, and a
// line with shell syntax run by /bin/sh.
import {
  CommandSyntaxError,
  commandVariables,
  parseCommand,
  renderCommand,
} from "../../model/command-line.js";
import { UserError } from "../../errors.js";

export function splitCommand(command: string, vars: Record<string, string> = {}): string[] {
  let cmd;
  try {
    cmd = parseCommand(command);
  } catch (e) {
    if (e instanceof CommandSyntaxError)
      throw new UserError(
        e.message === "no words" ? "empty command" : `command \`${command}\` has ${e.message}`,
      );
    throw e;
  }
  const unknown = commandVariables(cmd).find((v) => vars[v] === undefined);
  if (unknown !== undefined)
    throw new UserError(
      `command \`${command}\` uses $${unknown}, which the process does not receive`,
      `it receives ${
        Object.keys(vars)
          .sort()
          .map((v) => `$${v}`)
          .join(", ") || "no variables"
      }; \`gantry env\` lists them`,
    );
  return renderCommand(cmd, (v) => vars[v]!);
}
