// CPU time and memory of an instance as the kubelet would count its container: the process and every
// process below it (an `npm start` runs node as its child; gunicorn forks workers), read from /proc.
// Linux only, as the rest of the runtime; elsewhere, or for a process gone, nothing is returned.
import { readdirSync, readFileSync } from "node:fs";
import { procStat } from "./fsutil.js";

/** USER_HZ: the unit of utime and stime in /proc/<pid>/stat, 100 on every Linux architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/** Every process's parent, read once per round for all the instances. */
export function parents(): Map<number, number> {
  const out = new Map<number, number>();
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const n of names) {
    const pid = Number(n);
    if (!Number.isInteger(pid)) continue;
    const f = procStat(pid);
    if (f) out.set(pid, Number(f[1])); // field 4, ppid
  }
  return out;
}

/** `pid` and its descendants. */
function tree(pid: number, parentOf: Map<number, number>): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++)
    for (const [child, parent] of parentOf) if (parent === all[i]) all.push(child);
  return all;
}

/** VmRSS of /proc/<pid>/status, in KiB (in kB units, whatever the page size); 0 for a kernel thread or a process gone. */
function rssKib(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export interface Usage {
  /** CPU seconds used since the processes started (user and system). */
  cpuSeconds: number;
  /** Resident memory, in bytes. */
  rssBytes: number;
}

/** The CPU time and resident memory of `pid` and its descendants; undefined when `pid` is gone. */
export function usage(pid: number, parentOf: Map<number, number>): Usage | undefined {
  let ticks = 0;
  let kib = 0;
  let found = false;
  for (const p of tree(pid, parentOf)) {
    const f = procStat(p);
    if (!f) continue;
    found = true;
    ticks += Number(f[11]) + Number(f[12]); // fields 14 and 15: utime, stime
    kib += rssKib(p);
  }
  return found ? { cpuSeconds: ticks / TICKS_PER_SECOND, rssBytes: kib * 1024 } : undefined;
}
