// PostgreSQL as the local runtime starts it, on the machine's own binaries: a cluster that refuses the
// password Gantry keeps fails `up` at once with what to do, instead of after the 60 s readiness wait.
// Needs PostgreSQL: skipped without it, but FAILS when CI is set.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { dataUser, findPostgresBin, startPostgres, type PostgresOptions } from "../src/engine/local/infra.js";
import { freePort } from "../src/engine/local/supervisor.js";
import { UserError } from "../src/spec/problems.js";
import { tempDir } from "./helpers.js";

const pgBin = await findPostgresBin(process.env.PATH);
if (!pgBin && process.env.CI)
  throw new Error("PostgreSQL must be installed for this test in CI (apt-get install -y postgresql)");

describe(
  "PostgreSQL as gantry starts it",
  { skip: pgBin ? false : "needs PostgreSQL", timeout: 120_000 },
  () => {
    it("says at once that the cluster refuses the password, and what to do", async () => {
      const { dir, cleanup } = tempDir();
      chmodSync(dir, 0o755); // the postgres user runs it when the tests run as root
      const runAs = dataUser();
      const o: PostgresOptions = {
        binDir: pgBin!,
        dataDir: join(dir, "postgres", "data"),
        port: await freePort(),
        user: "gantry",
        password: "the-first-password",
        databases: ["app"],
        logFile: join(dir, "postgres.log"),
        env: process.env,
        ...(runAs ? { runAs } : {}),
      };
      try {
        const first = await startPostgres(o);
        first.kill("SIGINT");
        await first.exited;
        const t0 = Date.now();
        await assert.rejects(
          startPostgres({ ...o, password: "another-password" }),
          (e: unknown) =>
            e instanceof UserError &&
            /refuses the password Gantry keeps for user gantry: the cluster was made with another one/.test(
              e.message,
            ),
        );
        assert.ok(Date.now() - t0 < 20_000, `took ${Date.now() - t0} ms`);
      } finally {
        cleanup();
      }
    });
  },
);
