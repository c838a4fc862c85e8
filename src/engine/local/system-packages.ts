// Installing PostgreSQL and Redis on a fresh machine, as Kamal installs Docker: when the spec needs
// them and they are missing, `gantry up` runs the system's package manager (apt-get, dnf, apk, brew)
// itself when it may (as root, or with sudo that asks no password; Homebrew as the user), says each
// command before it runs it, and otherwise, or with `--no-install`, prints the command to run.
import { UserError } from "../../errors.js";
import { exec } from "../../util/exec.js";
import { findOnPath, INSTALL_HINT } from "./infra.js";

/** pgbackrest: the backups of PostgreSQL (pgbackrest.ts), needed when a database of the spec has them on. */
export type Need = "postgres" | "redis" | "pgbackrest";
export type Manager = "apt-get" | "dnf" | "apk" | "brew";

/** The package manager found, and whether Gantry may run it. */
export interface System {
  manager?: Manager;
  root: boolean;
  /** sudo runs without asking for a password (`sudo -n true` succeeds). */
  sudo: boolean;
}

const PACKAGES: Record<Manager, Record<Need, string>> = {
  "apt-get": { postgres: "postgresql", redis: "redis-server", pgbackrest: "pgbackrest" },
  dnf: { postgres: "postgresql-server", redis: "redis", pgbackrest: "pgbackrest" },
  apk: { postgres: "postgresql", redis: "redis", pgbackrest: "pgbackrest" },
  // Keg-only (not linked onto PATH): postgresInstalls looks in Homebrew's opt/ directory.
  brew: { postgres: "postgresql@17", redis: "redis", pgbackrest: "pgbackrest" },
};

/** The commands that install `needs` with `manager`, as argument arrays, without sudo. */
export function installCommands(manager: Manager, needs: readonly Need[]): string[][] {
  const packages = needs.map((n) => PACKAGES[manager][n]);
  switch (manager) {
    case "apt-get":
      // No question may wait for an answer: nobody reads the terminal of the package manager.
      return [
        ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "update"],
        [
          "env",
          "DEBIAN_FRONTEND=noninteractive",
          "apt-get",
          "install",
          "-y",
          "--no-install-recommends",
          ...packages,
        ],
      ];
    case "dnf":
      return [["dnf", "install", "-y", ...packages]];
    case "apk":
      return [["apk", "add", "--no-cache", ...packages]];
    case "brew":
      return [["brew", "install", ...packages]];
  }
}

/** How the user would type the commands: with sudo unless root (Homebrew never is). */
export function shown(manager: Manager, commands: string[][], root: boolean): string {
  const sudo = manager !== "brew" && !root ? "sudo " : "";
  return commands.map((c) => `${sudo}${(c[0] === "env" ? c.slice(2) : c).join(" ")}`).join(" && ");
}

export async function detectSystem(pathEnv: string | undefined, uid = process.getuid?.()): Promise<System> {
  const manager = (["apt-get", "dnf", "apk", "brew"] as const).find((m) => findOnPath(m, pathEnv));
  const root = uid === 0;
  const sudoPath = root ? undefined : findOnPath("sudo", pathEnv);
  const sudo =
    sudoPath !== undefined &&
    (
      await exec(sudoPath, ["-n", "true"], { timeoutMs: 10_000, env: { PATH: pathEnv ?? "" } }).catch(
        () => undefined,
      )
    )?.code === 0;
  return { ...(manager ? { manager } : {}), root, sudo };
}

const NAMES: Record<Need, string> = { postgres: "PostgreSQL", redis: "Redis", pgbackrest: "pgBackRest" };

export interface InstallOptions {
  /** `--no-install`: never run the package manager, print its command. */
  noInstall: boolean;
  pathEnv: string | undefined;
  say: (line: string) => void;
  signal?: AbortSignal;
  /** Tests give a system; else it is detected. */
  system?: System;
}

/**
 * Installs `needs`, or says why not: undefined once installed, else the hint for the user (the command
 * to run). A package manager that fails is a user error with the end of its output.
 */
export async function installMissing(needs: readonly Need[], o: InstallOptions): Promise<string | undefined> {
  const system = o.system ?? (await detectSystem(o.pathEnv));
  const manager = system.manager;
  if (!manager) return INSTALL_HINT;
  const commands = installCommands(manager, needs);
  const typed = shown(manager, commands, system.root);
  if (o.noInstall)
    return `install them with \`${typed}\` (without --no-install, \`gantry up\` runs it when it may)`;
  const may = manager === "brew" ? !system.root : system.root || system.sudo;
  if (!may)
    return manager === "brew"
      ? `install them as your own user (Homebrew refuses root): \`${typed}\``
      : `install them with \`${typed}\` (\`gantry up\` runs it itself as root, or when sudo asks no password)`;
  o.say(`installing ${needs.map((n) => NAMES[n]).join(" and ")}, which the spec needs, with ${manager}`);
  for (const command of commands) {
    const argv = manager !== "brew" && !system.root ? ["sudo", "-n", ...command] : command;
    o.say(`running: ${argv.join(" ")}`);
    const program = findOnPath(argv[0]!, o.pathEnv) ?? argv[0]!;
    const r = await exec(program, argv.slice(1), {
      env: { ...process.env, PATH: o.pathEnv ?? "" },
      timeoutMs: 20 * 60_000,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    if (r.code !== 0) {
      const output = `${r.stdout}${r.stderr}`.trim().split("\n").slice(-15).join("\n");
      throw new UserError(
        `\`${argv.join(" ")}\` failed (${r.timedOut ? "timed out" : `exit ${r.code}`}):\n${output}`,
        `install them yourself (\`${typed}\`), then run \`gantry up\` again`,
      );
    }
  }
  return undefined;
}
