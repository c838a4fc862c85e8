// One lock per environment: a file created exclusively, holding the owner's pid. A lock whose owner is
// gone (killed with SIGKILL mid-deploy, machine rebooted) is stale and is taken over, with a note.
import { openSync, writeSync, closeSync, readFileSync, unlinkSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { UserError } from "../../spec/problems.js";
import { pidAlive } from "./fsutil.js";

export interface LockInfo {
  pid: number;
  command: string;
  startedAt: string;
}

export interface Lock {
  release: () => void;
  /** Set when a stale lock of a dead process was taken over. */
  recovered?: LockInfo;
}

function readLock(path: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as LockInfo;
  } catch {
    return undefined;
  }
}

export function acquireLock(path: string, command: string, pid = process.pid): Lock {
  mkdirSync(dirname(path), { recursive: true });
  let recovered: LockInfo | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o644);
      writeSync(fd, JSON.stringify({ pid, command, startedAt: new Date().toISOString() } satisfies LockInfo));
      closeSync(fd);
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          const cur = readLock(path);
          if (cur?.pid === pid) unlinkSync(path);
        },
        ...(recovered ? { recovered } : {}),
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const owner = readLock(path);
      if (owner && pidAlive(owner.pid) && owner.pid !== pid) {
        throw new UserError(
          `another Gantry command holds the lock for this environment: \`gantry ${owner.command}\` (pid ${owner.pid}, since ${owner.startedAt})`,
          "wait for it to finish; if that process is gone for good the lock is taken over automatically",
        );
      }
      // Stale (its owner is dead) or unreadable: take it over.
      recovered = owner ?? { pid: 0, command: "unknown", startedAt: "unknown" };
      try {
        unlinkSync(path);
      } catch {
        /* another process removed it first */
      }
    }
  }
  throw new UserError("could not take the environment lock", "try again");
}
