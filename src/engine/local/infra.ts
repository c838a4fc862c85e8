// What PostgreSQL and Redis share when Gantry runs them from the machine's own binaries: finding a
// binary, the user they run as when Gantry is root, their private data directories, and the wait until
// a server answers. PostgreSQL refuses to run as root, so when Gantry runs as root the cluster belongs
// to the `postgres` user (or `nobody`); Redis runs as that user too. Both listen on 127.0.0.1 only and
// want a password, and their data directories are private (0700): another account on the machine can
// neither read the files nor talk to the servers.
import {
  chmodSync,
  chownSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
} from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { UserError } from "../../errors.js";
import type { SpawnedProcess } from "../../util/exec.js";
import { passwd } from "../../util/user.js";

export function findOnPath(bin: string, pathEnv: string | undefined): string | undefined {
  for (const dir of (pathEnv ?? "").split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, bin);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

export const INSTALL_HINT =
  "install them with `sudo apt-get install -y postgresql redis-server` (Debian/Ubuntu) or `brew install postgresql redis` (macOS)";

export interface RunAs {
  uid: number;
  gid: number;
}

/** The user PostgreSQL and Redis run as when Gantry is root: `postgres` if it exists, else `nobody`. */
export function dataUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const users = passwd();
  const entry = users.find((e) => e.name === "postgres") ?? users.find((e) => e.name === "nobody");
  return entry ? { uid: entry.uid, gid: entry.gid } : { uid: 65534, gid: 65534 };
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .slice(-lines - 1)
      .join("\n");
  } catch {
    return "";
  }
}

export async function waitFor(
  check: () => Promise<boolean>,
  proc: SpawnedProcess,
  timeoutMs: number,
  what: string,
  logFile: string,
): Promise<void> {
  let exited = false;
  void proc.exited.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited)
      throw new UserError(`${what} exited during startup; last lines of ${logFile}:\n${tail(logFile)}`);
    let ready: boolean;
    try {
      ready = await check();
    } catch (e) {
      // A check that knows waiting cannot help (a refused password) ends the wait at once.
      if (e instanceof UserError) {
        proc.kill("SIGKILL");
        throw e;
      }
      ready = false;
    }
    if (ready) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  proc.kill("SIGKILL");
  throw new UserError(
    `${what} did not become ready in ${timeoutMs / 1000}s; last lines of ${logFile}:\n${tail(logFile)}`,
  );
}

/** Whether `owner` may pass through `dir` and every directory above it (the x bit that applies to it). */
export function canTraverse(dir: string, owner: RunAs): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const st = statSync(d, { throwIfNoEntry: false });
    // Not made yet: it will be, with the usual 0755; the directories above it decide.
    if (!st) continue;
    const bit = st.uid === owner.uid ? 0o100 : st.gid === owner.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return false;
    if (dirname(d) === d) return true;
  }
}

/**
 * A private data directory (0700) belonging to `owner` (the current user when undefined). A directory
 * that belongs to someone else (made by `gantry up` as a normal user, now run as root under systemd)
 * is handed over whole, files included: the server cannot read its own files otherwise.
 */
export function privateDir(dir: string, owner: RunAs | undefined): void {
  // The parent is created first: a recursive mkdir would give it mode 0700 too, and the owner must traverse it.
  mkdirSync(dirname(dir), { recursive: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (!owner) return;
  if (statSync(dir).uid === owner.uid) {
    chownSync(dir, owner.uid, owner.gid);
    return;
  }
  // lstat and lchown: a symlink in the directory is handed over itself, never what it points at.
  const own = (p: string) => {
    lchownSync(p, owner.uid, owner.gid);
    if (lstatSync(p).isDirectory()) for (const e of readdirSync(p)) own(join(p, e));
  };
  own(dir);
}
