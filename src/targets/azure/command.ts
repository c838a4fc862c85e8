// What a spec `command` or `migrations` line (src/model/command-line.ts) becomes on App Service: the
// startup command of the site, and the `docker run` of a migration on the pipeline's runner.
//
// App Service runs the startup command in place of the image's CMD and keeps its ENTRYPOINT
// (https://learn.microsoft.com/en-us/training/modules/deploy-containers-azure-app-service/3-configure-runtime):
// with an ENTRYPOINT in the image the command becomes its arguments, which ./findings.ts warns about.
// It splits the line into words as a shell does but expands nothing, so words that refer to the
// app's variables run through /bin/sh, which reads them from the container's environment.
import { commandVariables, parseCommand, renderCommand, type CommandLine } from "../../model/command-line.js";

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * A word as /bin/sh (and bash) read it back unchanged: bare when it is plain, else single-quoted.
 * `${{` never appears in the result, so GitHub Actions cannot read a spec's text as an expression.
 */
export function shellWord(s: string): string {
  if (SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'"'"'`)}'`.replace(/\$\{\{/g, () => "$''{{");
}

/** The words of a command line that has no shell syntax, as one shell line; `variable` writes a reference. */
const shellLine = (cmd: CommandLine, variable: (name: string) => string): string =>
  renderCommand(cmd, variable, shellWord).join(" ");

/** The startup command of an App Service for a spec `command` ('' keeps the image's CMD). */
export function startupCommand(line: string | undefined): string {
  if (!line) return "";
  const cmd = parseCommand(line);
  if (cmd.shell) return `/bin/sh -c ${shellWord(cmd.line)}`;
  if (commandVariables(cmd).length === 0) return shellLine(cmd, () => "");
  // exec: the app replaces the shell, so it is the container's first process and gets its signals.
  return `/bin/sh -c ${shellWord(`exec ${shellLine(cmd, (v) => `"\${${v}}"`)}`)}`;
}

/**
 * The `docker run` arguments after the options of a migration run on the runner, as bash words:
 * `--entrypoint <first word> <image> <other words>`, each variable read from the bash associative
 * array `vars`; a line with shell syntax runs as `/bin/sh -c` with the line from `$lineVariable`.
 */
export function migrationRun(line: string, image: string, lineVariable: string): string {
  const cmd = parseCommand(line);
  if (cmd.shell) return `--entrypoint /bin/sh ${image} -c "$${lineVariable}"`;
  const words = renderCommand(cmd, (v) => `"\${vars[${v}]}"`, shellWord);
  return [`--entrypoint ${words[0]!}`, image, ...words.slice(1)].join(" ");
}
