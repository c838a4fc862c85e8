// Unit tests of the local runtime's process lifecycle: what counts as a live process, the recovery of
// processes a killed supervisor left behind, log files that cannot be written, and an instance stopped
// while it is being started.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { pidAlive, pidState } from "../src/engine/local/fsutil.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until check() holds, or fails after a few seconds. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await sleep(25);
  }
  assert.fail(`timed out waiting until ${what}`);
}

/** The first line a child process prints. */
async function firstLine(child: ChildProcess): Promise<string> {
  let out = "";
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    if (out.includes("\n")) break;
  }
  return out.split("\n")[0]!.trim();
}

describe("pidAlive", () => {
  it("is true for a running process and false for a zombie", async () => {
    // The shell starts a child that exits at once and does not reap it while it blocks on its input: the
    // child stays a zombie until the input closes, then `wait` reaps it and the shell exits.
    const sh = spawn("sh", ["-c", "sleep 0 & echo $!; read x; wait"], { stdio: ["pipe", "pipe", "inherit"] });
    try {
      const zombie = Number(await firstLine(sh));
      assert.ok(zombie > 0);
      await until(() => pidState(zombie) === "Z", "the child is a zombie");
      assert.equal(pidAlive(zombie), false);
      assert.equal(pidAlive(sh.pid), true);
    } finally {
      sh.stdin.end();
      await once(sh, "exit");
    }
    assert.equal(pidAlive(sh.pid), false);
  });
});
