// The command line: thin commands over the core, and the one place that turns errors into output
// and exit codes. User errors print positioned problems and exit 1 without a stack; anything else is
// a bug in Gantry and prints its stack.
import { Command, CommanderError } from "commander";
import { statSync } from "node:fs";
import { dirname } from "node:path";
import { SpecError, UserError, formatProblem } from "../errors.js";
import { registerValidate } from "./validate.js";
import { registerSchema } from "./schema.js";
import { registerInit } from "./init.js";
import { registerSynth } from "./synth.js";
import { registerLocal } from "./local.js";
import { registerEnv } from "./env.js";
import { registerCheck } from "./check.js";
import { registerCost } from "./cost.js";
import { VERSION } from "./version.js";
import { userName } from "../util/user.js";

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
  /** Resolves when the reader of `out` went away (`gantry logs -f | head`): commands that follow logs end then. */
  outClosed?: Promise<void>;
}

/**
 * Writes to a stream whose reader may go away (`gantry status | head -1`, a pager quit early). Output
 * to a closed pipe is dropped rather than crashing Gantry: a deploy must not stop half-way, holding its
 * lock, because nobody reads its progress any more.
 */
function pipeWriter(stream: NodeJS.WriteStream, onClosed: () => void = () => undefined): (s: string) => void {
  let open = true;
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE" && e.code !== "ERR_STREAM_DESTROYED") throw e;
    open = false;
    onClosed();
  });
  return (s) => {
    if (open) stream.write(s);
  };
}

let stdoutClosed: () => void = () => undefined;
const outClosed = new Promise<void>((resolve) => (stdoutClosed = resolve));

export const processIo: Io = {
  out: pipeWriter(process.stdout, () => stdoutClosed()),
  err: pipeWriter(process.stderr),
  cwd: process.cwd(),
  outClosed,
};

export function buildProgram(io: Io): Command {
  const program = new Command("gantry")
    .description(
      "One application spec to Helm charts, Bicep, Terraform, GitHub Actions and a single-machine runtime.",
    )
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(run `gantry --help` for usage)")
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();
  registerValidate(program, io);
  registerSchema(program, io);
  registerInit(program, io);
  registerSynth(program, io);
  registerLocal(program, io);
  registerEnv(program, io);
  registerCheck(program, io);
  registerCost(program, io);
  return program;
}

/** Runs the CLI and returns the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof program.getOptionValue("exitCode") === "number"
      ? (program.getOptionValue("exitCode") as number)
      : 0;
  } catch (e) {
    return reportError(e, io);
  }
}

export function reportError(e: unknown, io: Io): number {
  if (e instanceof CommanderError) {
    // Commander printed its message already; help and version are not errors.
    return e.code === "commander.helpDisplayed" ||
      e.code === "commander.version" ||
      e.code === "commander.help"
      ? 0
      : 1;
  }
  if (e instanceof SpecError) {
    const errors = e.problems.filter((p) => p.severity === "error").length;
    const warnings = e.problems.length - errors;
    for (const p of e.problems) io.err(`${formatProblem(p)}\n`);
    io.err(
      `\n${errors} error${errors === 1 ? "" : "s"}${warnings ? `, ${warnings} warning${warnings === 1 ? "" : "s"}` : ""}\n`,
    );
    return 1;
  }
  const denied = permissionDenied(e) ?? diskProblem(e);
  if (e instanceof UserError || denied) {
    const u = denied ?? (e as UserError);
    io.err(`error: ${u.message}\n${u.hint ? `  hint: ${u.hint}\n` : ""}`);
    return u.exitCode;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  io.err(
    `internal error: ${err.message}\nThis is a bug in Gantry, not in your spec. Please report it with the output below.\n${err.stack ?? ""}\n`,
  );
  return 2;
}

/** A disk that is full or read-only is the machine's state, not a bug: the path and the way out. */
function diskProblem(e: unknown): UserError | undefined {
  const err = e as NodeJS.ErrnoException | undefined;
  const why =
    err?.code === "EROFS"
      ? "the file system is read-only"
      : err?.code === "ENOSPC" || err?.code === "EDQUOT"
        ? "the disk is full"
        : undefined;
  if (!why) return undefined;
  return new UserError(
    `cannot write ${err!.path ?? "a file"}: ${why}`,
    err!.code === "EROFS"
      ? "make the file system writable again (`mount -o remount,rw`), then run the command again; `gantry down` still stops the app"
      : "free some space (old logs and releases are in .gantry/), then run the command again; `gantry down` still stops the app",
  );
}

/**
 * A file or process Gantry may not touch (EACCES, EPERM) is the machine's doing, not a bug: most often
 * an app another user runs (its `.gantry/` is theirs), so the message names the path and its owner.
 */
function permissionDenied(e: unknown): UserError | undefined {
  const err = e as (NodeJS.ErrnoException & { address?: string }) | undefined;
  if (err?.code !== "EACCES" && err?.code !== "EPERM") return undefined;
  // A file's error names its path; a socket's (connect), its address.
  const path = err.path ?? err.address;
  const what = path
    ? `${err.syscall === "connect" ? "connect to" : (err.syscall ?? "access")} ${path}`
    : (err.syscall ?? "do that");
  let owner: { path: string; uid: number } | undefined;
  for (let p = path; p && !owner; p = p === dirname(p) ? undefined : dirname(p)) {
    try {
      owner = { path: p, uid: statSync(p).uid };
    } catch {
      /* not there: its directory decides */
    }
  }
  const me = process.getuid?.();
  return new UserError(
    `permission denied: cannot ${what}`,
    owner && me !== undefined && owner.uid !== me
      ? `${owner.path} belongs to ${userName(owner.uid)}, and Gantry runs as ${userName(me)}: run the command as ${userName(owner.uid)}`
      : "check the permissions of the files, or the user Gantry runs as",
  );
}
