// Every malformed spec gives exactly the expected positioned problems, and the CLI reports them
// with exit code 1 and no stack trace.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadSpec } from "../src/model/load.js";
import { SpecError, formatProblem } from "../src/errors.js";
import { CASES, VALID } from "./fixtures-malformed.js";
import { runCli, tempDir } from "./helpers.js";

function errorLines(text: string): string[] {
  try {
    loadSpec("gantry.yaml", text);
    return [];
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    return e.problems.filter((p) => p.severity === "error").map((p) => formatProblem(p).split("\n")[0]!);
  }
}

describe("malformed specs", () => {
  it("the base spec is valid", () => {
    assert.deepEqual(errorLines(VALID), []);
  });
  it("has at least 40 cases", () => {
    assert.ok(CASES.length >= 40, `${CASES.length} cases`);
  });
  for (const c of CASES) {
    it(c.name, () => {
      assert.ok(c.expect.length > 0, "a malformed case must expect at least one error");
      assert.deepEqual(errorLines(c.spec), c.expect);
    });
  }
});

describe("the CLI on bad specs", () => {
  it("prints every problem, exits 1 and shows no stack trace", async () => {
    const { dir, cleanup } = tempDir({
      "gantry.yaml": CASES.find((c) => c.name === "several problems at once")!.spec,
    });
    try {
      const r = await runCli(["validate", dir]);
      assert.equal(r.code, 1);
      assert.match(r.err, /services\.api\.port: expected a port from 1 to 65535, got 0/);
      assert.match(
        r.err,
        /services\.api\.replicas: unknown key `replicas`\n {2}hint: did you mean `scale`\?/,
      );
      assert.match(r.err, /redis\.cache\.tls: expected true or false/);
      assert.match(r.err, /\n3 errors, 1 warning\n$/);
      assert.doesNotMatch(r.err, /\bat \w+ \(|node:internal|\.ts:\d+:\d+\)/);
    } finally {
      cleanup();
    }
  });

  it("suggests the value a pattern wants when the slip is the usual one", () => {
    const hints = (text: string) => {
      try {
        loadSpec("gantry.yaml", text);
        return [];
      } catch (e) {
        if (!(e instanceof SpecError)) throw e;
        return e.problems.filter((p) => p.severity === "error").map((p) => formatProblem(p));
      }
    };
    assert.deepEqual(
      hints(
        "name: Shop_App\nservices:\n  api: { build: ., command: npm start, port: 3000, health: healthz, secrets: [stripe_key] }\n",
      ),
      [
        "gantry.yaml:1:7 name: expected a lower-case name, got \"Shop_App\": capital letters and '_' are not allowed (only a-z, 0-9 and '-')\n  hint: did you mean `shop-app`?",
        'gantry.yaml:3:60 services.api.health: expected a URL path, got "healthz": it must start with /\n  hint: did you mean `/healthz`?',
        "gantry.yaml:3:79 services.api.secrets[0]: expected an upper-case secret name such as JWT_SECRET, got \"stripe_key\": lower-case letters are not allowed (only A-Z, 0-9 and '_')\n  hint: did you mean `STRIPE_KEY`?",
      ],
    );
    // A value that looks like a secret is never echoed, not even fixed up.
    const leaked = hints(
      "name: shop\nservices:\n  api: { build: ., command: npm start, port: 3000, health: sk_live_51Habcdefghijklmnop }\n",
    );
    assert.equal(leaked.length, 1);
    assert.doesNotMatch(leaked.join("\n"), /51Habcdefghijklmnop/i);
  });

  it("points a command run in a service's directory at the app's spec above it", async () => {
    const { dir, cleanup } = tempDir({ "gantry.yaml": "name: shop\n", "services/api/index.js": "" });
    try {
      // Without a path the spec above is used (see local-cli.test.ts); a directory named is looked in.
      const r = await runCli(["validate", "api"], join(dir, "services"));
      assert.equal(r.code, 1);
      assert.equal(
        r.err,
        "error: no gantry.yaml in api\n  hint: the app's spec is ../gantry.yaml: pass that path, or run the command in its directory\n",
      );
      const deeper = await runCli(["validate", "services/api"], dir);
      assert.match(deeper.err, /the app's spec is gantry\.yaml/);
      rmSync(join(dir, "gantry.yaml"));
      const none = await runCli(["validate"], join(dir, "services", "api"));
      assert.equal(
        none.err,
        "error: no gantry.yaml in .\n  hint: run `gantry init` there to write a starter spec\n",
      );
    } finally {
      cleanup();
    }
  });

  it("never echoes a secret value", async () => {
    const { dir, cleanup } = tempDir({
      "gantry.yaml":
        "name: shop\nservices:\n  api: { image: nginx, port: 80, env: { STRIPE: sk_live_51Habcdefghijklmnop, TOKEN: hunter2hunter2 } }\n",
    });
    try {
      const r = await runCli(["validate", dir]);
      assert.equal(r.code, 1);
      assert.doesNotMatch(r.err + r.out, /sk_live_51Habcdefghijklmnop|hunter2hunter2/);
      assert.match(r.err, /a Stripe key/);
    } finally {
      cleanup();
    }
  });

  it("reports a 10 MB file without reading it as a spec", async () => {
    const { dir, cleanup } = tempDir({
      "gantry.yaml": `name: big\ndescription: ${"x".repeat(10 * 1024 * 1024)}\n`,
    });
    try {
      const r = await runCli(["validate", dir]);
      assert.equal(r.code, 1);
      assert.match(r.err, /gantry\.yaml:1:1: the file is 10\.0 MB; a spec may be at most 1 MB/);
    } finally {
      cleanup();
    }
  });

  it("stops a billion-laughs alias bomb with a clean error", () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(",")}]`,
      );
    const text = `name: bomb\n${lines.join("\n")}\n`;
    const started = Date.now();
    const errors = errorLines(text);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /the YAML expands to too many values \(an alias bomb\?\)/);
    // Bounded work, not a timing threshold: the expansion stops at a fixed node count.
    assert.ok(Date.now() - started < 60_000);
  });

  it("names a missing file and an unknown environment with hints", async () => {
    const missing = await runCli(["validate", "/nonexistent/dir"]);
    assert.equal(missing.code, 1);
    assert.equal(
      missing.err,
      "error: /nonexistent/dir does not exist\n  hint: give a gantry.yaml file or the directory that holds it\n",
    );
    const env = await runCli(["validate", "examples/augeo", "--env", "prodution"]);
    assert.equal(env.code, 1);
    assert.match(env.err, /has no environment `prodution`\n {2}hint: did you mean `production`\?/);
  });

  it("says which environments a problem happens in when not all", () => {
    const text =
      "name: shop\nservices:\n  api:\n    image: nginx\n    port: 80\n    scale: { min: 3, max: 6 }\nenvironments:\n  staging:\n    services:\n      api: { scale: { max: 2 } }\n  production: {}\n";
    assert.deepEqual(errorLines(text), [
      "gantry.yaml:6:14 services.api.scale.min: min (3) is greater than max (2) (in staging)",
    ]);
  });

  it("reports an internal error as a bug, with its stack, exit 2", async () => {
    const { reportError } = await import("../src/cli/main.js");
    let err = "";
    const code = reportError(new TypeError("boom"), {
      out: () => undefined,
      err: (s) => (err += s),
      cwd: ".",
    });
    assert.equal(code, 2);
    assert.match(err, /^internal error: boom\nThis is a bug in Gantry, not in your spec\./);
    assert.match(err, /TypeError: boom\n\s+at /);
  });

  it("rejects unknown commands and options with exit 1", async () => {
    assert.equal((await runCli(["frobnicate"])).code, 1);
    assert.equal((await runCli(["validate", "--bogus"])).code, 1);
  });
});
