// How many connections the proxy may hold before it runs out of file descriptors. Every client
// connection is one descriptor, and each request in progress holds one more to its instance; past the
// process's limit, accept() fails and clients are dropped without a word, and the instances'
// connections fail with 502. So the proxy takes at most half of what the limit leaves after a reserve
// for the rest of the supervisor (PostgreSQL and Redis clients, instances' pipes, log files, the
// control socket), and answers any further client 503 at once, with a few descriptors of the reserve;
// when even those are taken, a connection is closed as soon as it is accepted, which frees its
// descriptor at once.
//
// Node raises its own soft limit to the hard limit when it starts (PlatformInit in src/node.cc), so
// the limit read here is already the highest this process may have; `ulimit -Hn` (or systemd's
// LimitNOFILE=) raises it further.
import { readFileSync } from "node:fs";

/** Descriptors kept for everything in the supervisor that is not the proxy's. */
export const RESERVED_FILES = 256;

/** The soft limit on open files (Linux: /proc/self/limits), or Infinity where it cannot be read. */
export function openFileLimit(read: (path: string) => string = (p) => readFileSync(p, "utf8")): number {
  try {
    const line = read("/proc/self/limits")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
    const n = Number(soft);
    return soft === "unlimited" || !Number.isFinite(n) || n <= 0 ? Infinity : n;
  } catch {
    return Infinity;
  }
}

/** What the proxy may hold at once under an open-file limit. */
export interface ConnectionShare {
  /** Client connections served; each may hold one instance connection too. */
  clients: number;
  /** Connections beyond those, being answered 503; past this many more are closed without a word. */
  shedding: number;
}

export function connectionShare(limit: number): ConnectionShare {
  if (limit === Infinity) return { clients: Infinity, shedding: Infinity };
  const reserve = Math.min(RESERVED_FILES, Math.floor(limit / 4));
  return {
    clients: Math.max(1, Math.floor((limit - reserve) / 2)),
    shedding: Math.max(1, Math.floor(reserve / 4)),
  };
}
