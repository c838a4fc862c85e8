// `gantry up` on a fresh machine: the commands that install PostgreSQL and Redis with each package
// manager, run (with sudo when it asks no password) and said before they run, or printed instead
// (--no-install, no way to run them); and a keg-only Homebrew PostgreSQL found off PATH. The package
// managers here are scripts that record what they were asked to do.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkBinaries } from "../src/engine/local/launch.js";
import { postgresInstalls } from "../src/engine/local/postgres.js";
import {
  detectSystem,
  installCommands,
  installMissing,
  shown,
  type Need,
} from "../src/engine/local/system-packages.js";
import { loadExample, runCli, tempDir } from "./helpers.js";

function script(path: string, body: string): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

/**
 * A bin directory with an apt-get that logs its arguments and, on `install`, puts a redis-server there;
 * and a sudo that runs what follows `-n` (or refuses, as one that wants a password does).
 */
function fakeMachine(o: { sudo: "yes" | "password"; aptFails?: boolean }) {
  const t = tempDir();
  const bin = join(t.dir, "bin");
  const log = join(t.dir, "log");
  script(
    join(bin, "apt-get"),
    `echo "apt-get $*" >> ${log}\ncase "$*" in *install*) ${o.aptFails ? 'echo "E: Unable to locate package redis-server" >&2; exit 100' : `printf '#!/bin/sh\\n' > ${bin}/redis-server; chmod +x ${bin}/redis-server`};; esac`,
  );
  script(
    join(bin, "sudo"),
    o.sudo === "yes"
      ? `[ "$1" = "-n" ] && shift\n[ "$1" = "true" ] && exit 0\nexec "$@"`
      : 'echo "sudo: a password is required" >&2; exit 1',
  );
  // Only these and the few tools the scripts use: the machine's own redis-server must not be found.
  for (const tool of ["sh", "env", "chmod"])
    symlinkSync(
      execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim(),
      join(bin, tool),
    );
  const path = bin;
  return { ...t, bin, log, path, logged: () => (existsSync(log) ? readFileSync(log, "utf8") : "") };
}

const model = { ...loadExample("hello", "dev").project.environments[0]!, postgres: {} };

describe("installing PostgreSQL and Redis on a fresh machine", () => {
  it("has the commands of each package manager, typed with sudo unless root (Homebrew never)", () => {
    const both: Need[] = ["postgres", "redis"];
    assert.deepEqual(installCommands("apt-get", both), [
      ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "update"],
      [
        "env",
        "DEBIAN_FRONTEND=noninteractive",
        "apt-get",
        "install",
        "-y",
        "--no-install-recommends",
        "postgresql",
        "redis-server",
      ],
    ]);
    assert.deepEqual(installCommands("dnf", both), [["dnf", "install", "-y", "postgresql-server", "redis"]]);
    assert.deepEqual(installCommands("apk", ["redis"]), [["apk", "add", "--no-cache", "redis"]]);
    assert.deepEqual(installCommands("brew", both), [["brew", "install", "postgresql@17", "redis"]]);
    assert.equal(
      shown("apt-get", installCommands("apt-get", ["redis"]), false),
      "sudo apt-get update && sudo apt-get install -y --no-install-recommends redis-server",
    );
    assert.equal(shown("dnf", installCommands("dnf", ["redis"]), true), "dnf install -y redis");
    assert.equal(shown("brew", installCommands("brew", ["redis"]), false), "brew install redis");
  });

  it("finds the package manager and whether sudo asks for a password", async () => {
    for (const sudo of ["yes", "password"] as const) {
      const m = fakeMachine({ sudo });
      try {
        assert.deepEqual(await detectSystem(m.path, 1000), {
          manager: "apt-get",
          root: false,
          sudo: sudo === "yes",
        });
        assert.deepEqual(await detectSystem(m.path, 0), { manager: "apt-get", root: true, sudo: false });
        assert.deepEqual(await detectSystem(join(m.dir, "none"), 1000), { root: false, sudo: false });
      } finally {
        m.cleanup();
      }
    }
  });

  it("installs what is missing with sudo that asks no password, saying each command, then finds it", async () => {
    const m = fakeMachine({ sudo: "yes" });
    const said: string[] = [];
    try {
      const system = await detectSystem(m.path, 1000);
      const notes = await checkBinaries(model, m.path, join(m.dir, "pg"), (needs) =>
        installMissing(needs, { noInstall: false, pathEnv: m.path, say: (l) => said.push(l), system }),
      );
      assert.deepEqual(notes, []);
      assert.equal(m.logged(), "apt-get update\napt-get install -y --no-install-recommends redis-server\n");
      assert.deepEqual(said, [
        "installing Redis, which the spec needs, with apt-get",
        "running: sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update",
        "running: sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server",
      ]);
    } finally {
      m.cleanup();
    }
  });

  it("prints the command instead with --no-install, or when sudo wants a password; runs nothing", async () => {
    for (const [sudo, noInstall, hint] of [
      [
        "yes",
        true,
        /^install them with `sudo apt-get update && sudo apt-get install -y --no-install-recommends redis-server` \(without --no-install/,
      ],
      [
        "password",
        false,
        /^install them with `sudo apt-get update && .*` \(`gantry up` runs it itself as root, or when sudo asks no password\)$/,
      ],
    ] as const) {
      const m = fakeMachine({ sudo });
      try {
        const system = await detectSystem(m.path, 1000);
        await assert.rejects(
          checkBinaries(model, m.path, join(m.dir, "pg"), (needs) =>
            installMissing(needs, { noInstall, pathEnv: m.path, say: () => undefined, system }),
          ),
          (e: Error & { hint?: string }) => {
            assert.equal(e.message, "redis-server is not installed, and the spec needs it");
            assert.match(e.hint ?? "", hint);
            return true;
          },
        );
        assert.equal(m.logged(), "");
      } finally {
        m.cleanup();
      }
    }
  });

  it("reports a package manager that fails with the end of its output", async () => {
    const m = fakeMachine({ sudo: "yes", aptFails: true });
    try {
      const system = await detectSystem(m.path, 1000);
      await assert.rejects(
        installMissing(["redis"], { noInstall: false, pathEnv: m.path, say: () => undefined, system }),
        (e: Error & { hint?: string }) => {
          assert.equal(
            e.message,
            "`sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server` failed (exit 100):\nE: Unable to locate package redis-server",
          );
          assert.match(e.hint ?? "", /^install them yourself \(`sudo apt-get update && /);
          return true;
        },
      );
    } finally {
      m.cleanup();
    }
  });

  it("`gantry up --no-install` refuses, naming the command", async () => {
    const m = fakeMachine({ sudo: "yes" });
    const { dir, cleanup } = tempDir({
      "gantry.yaml":
        "name: cachey\nservices:\n  api: { build: ., command: node server.js, port: 3000, uses: [cache] }\nredis:\n  cache: {}\n",
    });
    const path = process.env.PATH;
    process.env.PATH = m.path;
    try {
      const r = await runCli(["up", dir, "--no-install"]);
      assert.equal(r.code, 1, r.err);
      assert.match(
        r.err,
        /^error: redis-server is not installed, and the spec needs it\n {2}hint: install them with `(sudo )?apt-get update && /,
      );
      assert.equal(m.logged(), "");
    } finally {
      process.env.PATH = path;
      cleanup();
      m.cleanup();
    }
  });

  it("finds a keg-only Homebrew PostgreSQL, which is not on PATH", async () => {
    const t = tempDir();
    try {
      for (const major of ["15", "17"]) {
        script(join(t.dir, "opt", `postgresql@${major}`, "bin", "initdb"), "exit 0");
        script(
          join(t.dir, "opt", `postgresql@${major}`, "bin", "postgres"),
          `echo "postgres (PostgreSQL) ${major}.2"`,
        );
      }
      mkdirSync(join(t.dir, "opt", "redis", "bin"), { recursive: true });
      assert.deepEqual(await postgresInstalls("", join(t.dir, "none"), [join(t.dir, "opt")]), [
        { binDir: join(t.dir, "opt", "postgresql@17", "bin"), major: 17 },
        { binDir: join(t.dir, "opt", "postgresql@15", "bin"), major: 15 },
      ]);
    } finally {
      t.cleanup();
    }
  });
});
