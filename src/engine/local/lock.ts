// One lock per environment: a file holding the owner's pid and start time, put in place with link(2)
// so that it is complete the moment it exists. A lock whose owner is gone (killed with SIGKILL
// mid-deploy, machine rebooted) is stale and is taken over, with a note; so is one whose pid now
// belongs to another process, told apart by its start time. Only one process at a time takes over a
// stale lock, under a second lock (`<lock>.takeover`), and it checks again under it that the lock is
// still the stale one: without that, two commands that both found it stale could each remove it, the
// second removing the first's new lock, and both would run.
import { linkSync, readFileSync, rmSync, statSync, unlinkSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { UserError } from "../../errors.js";
import { pidAlive, pidStartTicks } from "./fsutil.js";

export interface LockInfo {
  pid: number;
  command: string;
  startedAt: string;
  /** The owner's start time in clock ticks since boot (Linux), so that a reused pid is not taken for it. */
  startTicks?: number;
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

/**
 * Takes the lock at `path`. Held by a live process: refused at once, or, with `waitMs`, waited for
 * that long first (short critical sections, such as a change of the secrets store).
 */
export function acquireLock(path: string, command: string, pid = process.pid, waitMs = 0): Lock {
  for (let waited = 0; ; waited += 50) {
    try {
      return acquireOnce(path, command, pid);
    } catch (e) {
      if (!(e instanceof UserError) || waited >= waitMs) throw e;
      pause(50);
    }
  }
}

function acquireOnce(path: string, command: string, pid: number): Lock {
  mkdirSync(dirname(path), { recursive: true });
  const startTicks = pidStartTicks(pid);
  const info: LockInfo = {
    pid,
    command,
    startedAt: new Date().toISOString(),
    ...(startTicks !== undefined ? { startTicks } : {}),
  };
  const draft = `${path}.${pid}.tmp`;
  try {
    writeFileSync(draft, JSON.stringify(info), { mode: 0o644 });
  } catch (e) {
    // A full disk: the write names no file, and leaves an empty one.
    (e as NodeJS.ErrnoException).path ??= path;
    rmSync(draft, { force: true });
    throw e;
  }
  try {
    return takeLock(path, draft, pid);
  } finally {
    unlinkSync(draft);
  }
}

/** The owner of a lock still runs: its pid is alive and, where recorded, started when the lock says. */
function ownerRuns(owner: LockInfo): boolean {
  if (!pidAlive(owner.pid)) return false;
  const now = owner.startTicks === undefined ? undefined : pidStartTicks(owner.pid);
  return now === undefined || now === owner.startTicks;
}

const sameLock = (a: LockInfo | undefined, b: LockInfo | undefined) =>
  a?.pid === b?.pid && a?.startedAt === b?.startedAt && a?.startTicks === b?.startTicks;

/** Blocks the thread: taking the lock is synchronous, and a takeover lasts microseconds. */
const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** A lock file as judged stale: what it said (undefined: unreadable) and which file it was. */
export interface StaleLock {
  info: LockInfo | undefined;
  ino: number;
}

const inode = (path: string): number | undefined => {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
};

/**
 * Removes the lock at `path` if it still is the `stale` one (the same file, saying the same), holding
 * `<path>.takeover` meanwhile. A takeover lock left by a process killed in that instant is ignored
 * after 5 s; ours is only removed while it is still ours.
 */
export function removeStale(path: string, draft: string, stale: StaleLock): void {
  const takeover = `${path}.takeover`;
  for (let attempt = 0; ; attempt++) {
    try {
      linkSync(draft, takeover);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = readLock(takeover);
      let age = 0;
      try {
        age = Date.now() - statSync(takeover).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      if (attempt >= 250 || (holder && !ownerRuns(holder)) || age > 5000) {
        try {
          unlinkSync(takeover);
        } catch {
          /* released meanwhile */
        }
      } else pause(20);
    }
  }
  const mine = readLock(draft);
  try {
    if (inode(path) === stale.ino && sameLock(readLock(path), stale.info)) unlinkSync(path);
  } catch {
    /* removed meanwhile */
  } finally {
    try {
      if (sameLock(readLock(takeover), mine)) unlinkSync(takeover);
    } catch {
      /* taken from us after 5 s, and released meanwhile */
    }
  }
}

function takeLock(path: string, draft: string, pid: number): Lock {
  let recovered: LockInfo | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      linkSync(draft, path); // fails with EEXIST while another holds the lock
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
      if (owner && owner.pid !== pid && ownerRuns(owner)) {
        throw new UserError(
          `another Gantry command holds the lock for this environment: \`gantry ${owner.command}\` (pid ${owner.pid}, since ${owner.startedAt})`,
          "wait for it to finish; if that process is gone for good the lock is taken over automatically",
        );
      }
      // Stale (its owner is gone) or unreadable (never half-written: link(2) puts it in place whole):
      // take it over, if it is still the file just read.
      const ino = inode(path);
      if (ino === undefined || !sameLock(readLock(path), owner)) continue;
      recovered = owner ?? { pid: 0, command: "unknown", startedAt: "unknown" };
      removeStale(path, draft, { info: owner, ino });
    }
  }
  throw new UserError("could not take the environment lock", "try again");
}
