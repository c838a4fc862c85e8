// The questions commands ask before they delete or replace data, on the terminal; `--yes` skips them.
import { UserError } from "../errors.js";
import type { Io } from "./main.js";

/** Asks a yes/no question on the terminal; no terminal is a no. */
export async function confirm(question: string, io: Io): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  io.err(`${question} [y/N] `);
  process.stdin.resume();
  process.stdin.setEncoding("utf8");
  const answer = await new Promise<string>((resolve) =>
    process.stdin.once("data", (d: string) => resolve(d)),
  );
  process.stdin.pause();
  return /^y(es)?\s*$/i.test(answer.trim());
}

/**
 * Before a restore replaces an environment's data (`restore`, `rollback --data`): asks unless `yes`,
 * and without a terminal to ask on refuses, naming --yes. Either way the current data is kept as a
 * backup first (restore.ts), which the question says.
 */
export async function confirmDataChange(
  o: {
    yes: boolean;
    /** What happens, as the refusal says it: "a restore replaces the data of production". */
    change: string;
    question: string;
    /** The hint's verb: "restore", "roll back the data". */
    doing: string;
    /** "restored", "rolled back". */
    nothing: string;
  },
  io: Io,
): Promise<void> {
  if (o.yes) return;
  if (!process.stdin.isTTY)
    throw new UserError(
      `${o.change}, and there is no terminal to ask on`,
      `pass --yes to ${o.doing} without a prompt (the current data is kept as a backup first)`,
    );
  if (!(await confirm(`${o.question} The current data is kept as a backup first.`, io)))
    throw new UserError(`not confirmed; nothing ${o.nothing}`);
}
