// `gantry down` stops the app and keeps its data; `gantry destroy` stops it and deletes the data.
import type { Command } from "commander";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { UserError } from "../errors.js";
import { stopSupervisor } from "../engine/local/client.js";
import { subdirectories } from "../engine/local/fsutil.js";
import { socketDir } from "../engine/local/pgbackrest.js";
import { removePostgresOutside } from "../engine/local/postgres-location.js";
import { appArguments, locked, progress, localAppLoose } from "./local-app.js";
import { confirm } from "./confirm.js";
import type { Io } from "./main.js";

/**
 * Deletes a directory and what it holds. One that is a mount point (a volume for `.gantry/`) cannot
 * be removed, and need not be: it is emptied.
 */
function removeDir(dir: string): void {
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st) return;
  if (st.dev === statSync(dirname(dir)).dev) {
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
}

async function down(path: string, opts: { env?: string }, io: Io): Promise<void> {
  const { paths } = localAppLoose(path, opts.env, io);
  // Never started here: nothing to stop, and the lock would leave an empty .gantry/<env>/ behind.
  if (!existsSync(paths.dir)) {
    io.out(`${paths.env}: not running\n`);
    return;
  }
  const stopped = await locked(
    paths,
    "down",
    io,
    (signal) => stopSupervisor(paths, progress(io), signal),
    true,
  );
  io.out(
    stopped
      ? `${paths.env}: stopped; data kept in ${join(".gantry", paths.env)}/\n`
      : `${paths.env}: not running\n`,
  );
}

async function destroy(path: string, opts: { env?: string; yes?: boolean }, io: Io): Promise<void> {
  const { paths } = localAppLoose(path, opts.env, io);
  if (!opts.yes) {
    const ok = await confirm(
      `delete every database, Redis data, release and secret of ${paths.env} in ${paths.dir}?`,
      io,
    );
    if (!ok)
      throw new UserError(
        "not confirmed; nothing deleted",
        process.stdin.isTTY ? undefined : "pass --yes to destroy without a prompt",
      );
  }
  await locked(paths, "destroy", io, (signal) => stopSupervisor(paths, progress(io), signal));
  removePostgresOutside(paths);
  rmSync(socketDir(paths), { recursive: true, force: true });
  removeDir(paths.dir);
  if (subdirectories(paths.root).length === 0) removeDir(paths.root);
  io.out(`${paths.env}: destroyed\n`);
}

export function registerDown(program: Command, io: Io): void {
  appArguments(
    program
      .command("down")
      .description(
        "Stop the app and everything it runs; data (databases, Redis, releases, secrets) is kept.",
      ),
  ).action((path: string, opts: { env?: string }) => down(path, opts, io));
  appArguments(
    program
      .command("destroy")
      .description(
        "Stop the app and delete its data: databases, Redis, releases, logs and secrets of the environment.",
      ),
  )
    .option("-y, --yes", "do not ask for confirmation")
    .action((path: string, opts: { env?: string; yes?: boolean }) => destroy(path, opts, io));
}
