// User names for messages about files and processes that belong to someone else.
import { readFileSync } from "node:fs";

/** The name of a user id (from /etc/passwd), else `uid N`. */
export function userName(uid: number): string {
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const [name, , id] = line.split(":");
      if (name && Number(id) === uid && id !== "") return name;
    }
  } catch {
    /* no /etc/passwd */
  }
  return `uid ${uid}`;
}
