// `gantry secrets set|list|rm`: the encrypted secrets the local runtime gives the services. Values are
// read from stdin or a hidden prompt, never from the command line, and never printed.
import type { Command } from "commander";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../errors.js";
import { SECRET_NAME_PATTERN } from "../spec/schema-kit.js";
import { INTERNAL_PREFIX, REDACT_MIN_LENGTH } from "../engine/local/secrets.js";
import { table } from "./format.js";
import { appArguments, store, localAppLoose } from "./local-app.js";
import type { Io } from "./main.js";

/**
 * A name a spec can list under `secrets:` (upper case, digits, underscores); Gantry's own entries
 * (`__gantry_...`, such as the database password) cannot be set or removed by hand.
 */
function checkSecretName(name: string): void {
  if (!new RegExp(SECRET_NAME_PATTERN).test(name))
    throw new UserError(
      `invalid secret name ${JSON.stringify(name)}`,
      "use upper-case letters, digits and underscores, starting with a letter, as in a spec's `secrets:` (STRIPE_API_KEY)",
    );
}

async function readSecretValue(name: string, io: Io): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of stdin) chunks.push(c as Buffer);
    // One trailing newline (from `echo` or a heredoc) is not part of the value.
    return Buffer.concat(chunks)
      .toString("utf8")
      .replace(/\r?\n$/, "");
  }
  io.err(`value for ${name} (input hidden): `);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    let value = "";
    const onData = (d: string) => {
      for (const ch of d) {
        if (ch === "\r" || ch === "\n") {
          done();
          resolve(value);
          return;
        }
        if (ch === "\u0003") {
          done();
          reject(new UserError("cancelled"));
          return;
        }
        if (ch === "\u007f") value = value.slice(0, -1);
        else value += ch;
      }
    };
    const done = () => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      io.err("\n");
    };
    stdin.on("data", onData);
  });
}

async function set(name: string, path: string, opts: { env?: string }, io: Io): Promise<void> {
  checkSecretName(name);
  // `secrets set NAME VALUE`: the value took the place of the app's path. It is not repeated here
  // (errors end up in terminals' scrollback and CI logs).
  if (!existsSync(resolve(io.cwd, path)))
    throw new UserError(
      `the second argument of \`gantry secrets set ${name}\` is the app's path, and there is no such file or directory; a value is never taken from the command line`,
      `pipe it in: \`printf %s "$VALUE" | gantry secrets set ${name}\`, or run \`gantry secrets set ${name}\` and type it`,
    );
  const { paths } = localAppLoose(path, opts.env, io);
  const value = await readSecretValue(name, io);
  if (value === "")
    throw new UserError(
      `no value given for ${name}`,
      `pipe it in: \`printf %s "$VALUE" | gantry secrets set ${name}\``,
    );
  const version = store(paths).set(name, value);
  if (value.length < REDACT_MIN_LENGTH)
    io.err(
      `warning: the value of ${name} is shorter than ${REDACT_MIN_LENGTH} characters, so it cannot be redacted from logs and errors\n`,
    );
  io.out(`${name} set (version ${version}) for ${paths.env}; \`gantry deploy\` rolls it out\n`);
}

function list(path: string, opts: { env?: string }, io: Io): void {
  const { paths } = localAppLoose(path, opts.env, io);
  const info = existsSync(paths.secrets) ? store(paths).info() : [];
  if (info.length === 0) {
    io.out(`no secrets set for ${paths.env}\n`);
    return;
  }
  io.out(table([["NAME", "VERSION", "UPDATED"], ...info.map((s) => [s.name, String(s.version), s.updated])]));
}

function remove(name: string, path: string, opts: { env?: string }, io: Io): void {
  // Names set before the spec's rule was enforced can still be removed; Gantry's own cannot.
  if (name.startsWith(INTERNAL_PREFIX)) checkSecretName(name);
  const { paths } = localAppLoose(path, opts.env, io);
  if (!existsSync(paths.secrets) || !store(paths).remove(name))
    throw new UserError(`no secret ${name} in ${paths.env}`);
  io.out(`${name} removed from ${paths.env}\n`);
}

export function registerSecrets(program: Command, io: Io): void {
  const secrets = program
    .command("secrets")
    .description("Manage the encrypted secrets the local runtime injects into services.");
  appArguments(
    secrets
      .command("set")
      .description(
        "Set a secret; the value is read from stdin or a hidden prompt, never from the command line.",
      )
      .argument("<name>", "secret name, such as STRIPE_API_KEY"),
  ).action((name: string, path: string, opts: { env?: string }) => set(name, path, opts, io));
  appArguments(
    secrets.command("list").description("List the secrets' names and versions (never their values)."),
  ).action((path: string, opts: { env?: string }) => list(path, opts, io));
  appArguments(
    secrets.command("rm").description("Remove a secret (every version).").argument("<name>", "secret name"),
  ).action((name: string, path: string, opts: { env?: string }) => remove(name, path, opts, io));
}
