// `command` and `migrations` on ECS, with the one meaning src/model/command-line.ts gives them: the
// task definition's entryPoint and command together replace the image's ENTRYPOINT and CMD. ECS
// expands no `$NAME`, so Terraform writes the value of each variable it knows into the words (no
// shell needed). A command that refers to a secret, whose value Terraform never sees, or to a variable
// ECS cannot supply runs as `/bin/sh -c 'exec ...'` with its words quoted, and the shell expands the
// references when the task starts. A line with shell syntax runs as `/bin/sh -c <line>` everywhere.
import type { HclValue } from "../../format/hcl.js";
import { commandVariables, renderCommand, type CommandLine } from "../../model/command-line.js";
import { valueOf, type Piece } from "./supply.js";

/** A word for /bin/sh, quoted so that the shell changes nothing in it. */
const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * The argument vector of a command; `known` gives the pieces of a variable's value where Terraform
 * knows it, undefined where only the running task does.
 */
export function commandArgv(cmd: CommandLine, known: (name: string) => Piece[] | undefined): HclValue[] {
  if (cmd.shell) return renderCommand(cmd, (name) => name);
  if (commandVariables(cmd).some((name) => known(name) === undefined)) {
    const words = renderCommand(cmd, (name) => `"\${${name}}"`, shellQuote);
    return ["/bin/sh", "-c", `exec ${words.join(" ")}`];
  }
  return cmd.words.map((word) =>
    valueOf(word.flatMap((p) => (typeof p === "string" ? [p] : known(p.variable)!))),
  );
}
