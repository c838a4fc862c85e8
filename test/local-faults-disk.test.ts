// A `.gantry/` on a file system that goes read-only or fills up while the app runs, and one that is a
// mount point of its own: a small tmpfs mounted there (the tests need root to mount one). The app
// serves on, `status` tells the truth, the commands that must write say why they cannot (a user error,
// no stack), `down` still stops the app, and `destroy` empties the mount point.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pidAlive } from "../src/engine/local/fsutil.js";
import { runCli, tempDir } from "./helpers.js";

const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const { dir, cleanup } = tempDir();
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "ignore" });
    execFileSync("umount", [dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    cleanup();
  }
})();

/** A plain app whose `.gantry/` is a tmpfs of its own. */
function appOnTmpfs() {
  const { dir, cleanup } = tempDir({
    "gantry.yaml": `name: disk\nservices:\n  web:\n    build: .\n    command: node server.js\n    port: 8080\n    health: { readiness: /, startup_timeout: 5s }\n`,
    "server.js": `require("http").createServer((q, s) => s.end("ok")).listen(process.env.PORT, "127.0.0.1");\n`,
  });
  const gantry = join(dir, ".gantry");
  mkdirSync(gantry);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", gantry]);
  let readOnly = false;
  return {
    dir,
    gantry,
    /**
     * Makes it read-only for every path opened from now on: a read-only bind mount over it (a
     * remount of the tmpfs itself is refused while the supervisor has files open for writing).
     */
    readOnly: () => {
      execFileSync("mount", ["--bind", gantry, gantry]);
      execFileSync("mount", ["-o", "remount,bind,ro", gantry]);
      readOnly = true;
    },
    writable: () => {
      if (readOnly) execFileSync("umount", [gantry]);
      readOnly = false;
    },
    cleanup: () => {
      execFileSync("umount", ["-l", gantry]);
      cleanup();
    },
  };
}

async function statusJson(dir: string): Promise<{ running: boolean; pid: number; release?: string }> {
  const r = await runCli(["status", dir, "--json"]);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as { running: boolean; pid: number; release?: string };
}

describe(
  "a .gantry/ that goes read-only or fills up",
  { skip: canMount ? false : "needs root to mount a tmpfs" },
  () => {
    for (const fault of ["read-only", "full"] as const) {
      it(`(${fault}): status tells the truth, deploy says why it cannot, down stops the app`, async () => {
        const app = appOnTmpfs();
        try {
          const up = await runCli(["up", app.dir]);
          assert.equal(up.code, 0, up.err);
          const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(up.out)![0];
          const before = await statusJson(app.dir);
          if (fault === "read-only") app.readOnly();
          else
            try {
              execFileSync("dd", ["if=/dev/zero", `of=${join(app.gantry, "fill")}`, "bs=1M"], {
                stdio: "ignore",
              });
            } catch {
              /* dd stops with ENOSPC */
            }
          const status = await runCli(["status", app.dir]);
          assert.match(status.out, /^production: running release v1;/, status.out + status.err);
          assert.equal((await fetch(url)).status, 200);
          const deploy = await runCli(["deploy", app.dir]);
          assert.equal(deploy.code, 1, deploy.err);
          assert.match(
            deploy.err,
            fault === "read-only"
              ? /^error: cannot write \S+: the file system is read-only\n {2}hint: make the file system writable again/m
              : /^error: cannot write \S+: the disk is full\n {2}hint: free some space/m,
          );
          assert.doesNotMatch(deploy.err, /internal error|\n\s+at /);
          const down = await runCli(["down", app.dir]);
          assert.equal(down.code, 0, down.err);
          assert.match(down.out, /^production: stopped;/);
          for (let i = 0; i < 100 && pidAlive(before.pid); i++) await new Promise((r) => setTimeout(r, 100));
          assert.equal(pidAlive(before.pid), false);
        } finally {
          app.writable();
          rmSync(join(app.gantry, "fill"), { force: true });
          await runCli(["destroy", app.dir, "--yes"]);
          app.cleanup();
        }
      });
    }

    it("`destroy` empties a .gantry/ that is a mount point", async () => {
      const app = appOnTmpfs();
      try {
        assert.equal((await runCli(["up", app.dir])).code, 0);
        const d = await runCli(["destroy", app.dir, "--yes"]);
        assert.equal(d.code, 0, d.err);
        assert.equal(d.out, "production: destroyed\n");
        assert.ok(existsSync(app.gantry));
        assert.deepEqual(readdirSync(app.gantry), []);
      } finally {
        app.cleanup();
      }
    });
  },
);
