// The local runtime's commands when nothing runs: their messages, word for word, without processes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir, examplePath, loadExample } from "./helpers.js";
import { checkBinaries } from "../src/engine/local/client.js";

function app(): { dir: string; cleanup: () => void } {
  return tempDir({ "gantry.yaml": readFileSync(examplePath("hello"), "utf8") });
}

describe("local commands without a running app", () => {
  it("status says it is not running", async () => {
    const { dir, cleanup } = app();
    try {
      const r = await runCli(["status", dir]);
      assert.equal(r.code, 0);
      assert.equal(r.out, "dev: not running; `gantry up` starts it\n");
    } finally {
      cleanup();
    }
  });

  it("deploy and rollback ask for `gantry up` first", async () => {
    const { dir, cleanup } = app();
    try {
      const d = await runCli(["deploy", dir]);
      assert.equal(d.code, 1);
      assert.equal(d.err, "error: hello (dev) is not running\n  hint: start it with `gantry up`\n");
      const r = await runCli(["rollback", dir]);
      assert.equal(r.code, 1);
      assert.equal(r.err, "error: the app is not running\n  hint: start it with `gantry up`\n");
    } finally {
      cleanup();
    }
  });

  it("deploy --plan prints the plan and does nothing", async () => {
    const { dir, cleanup } = app();
    try {
      const r = await runCli(["deploy", dir, "--plan", "--env", "production"]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^deploy \(next\)\n {2}build {4}api: npm run build:api {2}\(in \.\)\n/);
      assert.match(r.out, /\n {2}migrate {2}api: node api\/dist\/migrate\.js\n/);
      assert.match(r.out, /\n {2}switch {3}the proxy to \(next\), then watch 1000 ms for crashes\n/);
    } finally {
      cleanup();
    }
  });

  it("releases, secrets list and logs have nothing to show yet", async () => {
    const { dir, cleanup } = app();
    try {
      assert.equal((await runCli(["releases", dir])).out, "no releases yet; `gantry up` makes the first\n");
      assert.equal((await runCli(["secrets", "list", dir])).out, "no secrets set for dev\n");
      const logs = await runCli(["logs", "api", dir]);
      assert.equal(logs.code, 1);
      assert.equal(logs.err, "error: no logs for api\n  hint: logs exist for: nothing yet\n");
    } finally {
      cleanup();
    }
  });

  it("rejects bad secret names and a removal of what is not there", async () => {
    const { dir, cleanup } = app();
    try {
      const bad = await runCli(["secrets", "set", "my-key", dir]);
      assert.equal(bad.code, 1);
      assert.equal(
        bad.err,
        'error: invalid secret name "my-key"\n  hint: use letters, digits and underscores, such as STRIPE_API_KEY\n',
      );
      const rm = await runCli(["secrets", "rm", "NOPE", dir]);
      assert.equal(rm.err, "error: no secret NOPE in dev\n");
    } finally {
      cleanup();
    }
  });

  it("destroy asks first, and without a terminal needs --yes", async () => {
    const { dir, cleanup } = app();
    try {
      const r = await runCli(["destroy", dir]);
      assert.equal(r.code, 1);
      assert.equal(
        r.err,
        "error: not confirmed; nothing deleted\n  hint: pass --yes to destroy without a prompt\n",
      );
      const y = await runCli(["destroy", dir, "--yes"]);
      assert.equal(y.code, 0, y.err);
      assert.equal(y.out, "dev: destroyed\n");
    } finally {
      cleanup();
    }
  });

  it("names the missing server and how to install it", async () => {
    const model = loadExample("hello", "dev").project.environments[0]!;
    await assert.rejects(checkBinaries({ ...model, postgres: {} }, join("/nonexistent")), (e: Error) => {
      assert.equal(e.message, "redis-server is not installed, and the spec needs it");
      assert.match((e as Error & { hint: string }).hint, /apt-get install -y postgresql redis-server/);
      return true;
    });
  });
});
