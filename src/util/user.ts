// Users of the machine, from /etc/passwd: names for messages about files and processes that belong to
// someone else, and the unprivileged user PostgreSQL and Redis run as when Gantry is root.
import { readFileSync } from "node:fs";

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

/** The entries of /etc/passwd; none without it. */
export function passwd(): PasswdEntry[] {
  let text: string;
  try {
    text = readFileSync("/etc/passwd", "utf8");
  } catch {
    return []; // no /etc/passwd
  }
  return text
    .split("\n")
    .map((l) => l.split(":"))
    .filter((f) => f[0] && f[2] !== undefined && f[2] !== "")
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) }));
}

/** The name of a user id, else `uid N`. */
export function userName(uid: number): string {
  return passwd().find((e) => e.uid === uid)?.name ?? `uid ${uid}`;
}
