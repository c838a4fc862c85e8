// PostgreSQL as the local runtime starts it, on the machine's own binaries: apps get a role of their
// own that is no superuser and owns their databases, including what an older Gantry made in them as
// the superuser; a cluster that refuses the password Gantry keeps fails `up` at once with what to do.
// Needs PostgreSQL: skipped without it, but FAILS when CI is set.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { dataUser } from "../src/engine/local/infra.js";
import { findPostgresBin, startPostgres, type PostgresOptions } from "../src/engine/local/postgres.js";
import { freePort } from "../src/engine/local/ports.js";
import { UserError } from "../src/errors.js";
import { tempDir } from "./helpers.js";

const pgBin = await findPostgresBin(process.env.PATH);
if (!pgBin && process.env.CI)
  throw new Error("PostgreSQL must be installed for this test in CI (apt-get install -y postgresql)");

/** Options for a cluster in a new temporary directory, as the supervisor would start it. */
async function cluster(
  password: string,
  database: string,
): Promise<{ cleanup: () => void; o: PostgresOptions }> {
  const { dir, cleanup } = tempDir();
  chmodSync(dir, 0o755); // the postgres user runs it when the tests run as root
  const runAs = dataUser();
  const o: PostgresOptions = {
    binDir: pgBin!,
    dataDir: join(dir, "postgres", "data"),
    port: await freePort(),
    user: "gantry",
    password,
    databases: [database],
    logFile: join(dir, "postgres.log"),
    env: process.env,
    ...(runAs ? { runAs } : {}),
  };
  return { cleanup, o };
}

describe(
  "PostgreSQL as gantry starts it",
  { skip: pgBin ? false : "needs PostgreSQL", timeout: 120_000 },
  () => {
    it("gives apps a role that is no superuser and owns what the superuser made before", async () => {
      const { cleanup, o } = await cluster("admin-password", "shop");
      const client = (user: string, password: string) =>
        new pg.Client({ host: "127.0.0.1", port: o.port, user, password, database: "shop" });
      try {
        // A cluster from before app roles: the app's schema was made by the superuser.
        let server = await startPostgres(o);
        const admin = client("gantry", "admin-password");
        await admin.connect();
        await admin.query(`CREATE TYPE mood AS ENUM ('ok');
        CREATE TABLE notes (id serial PRIMARY KEY, text text, m mood);
        CREATE TABLE audit (id int GENERATED ALWAYS AS IDENTITY, at timestamptz);
        CREATE VIEW recent AS SELECT * FROM notes;
        CREATE FUNCTION shout(t text) RETURNS text LANGUAGE sql AS 'SELECT upper(t)';
        CREATE SCHEMA extra; CREATE TABLE extra.t (x int);`);
        await admin.end();
        server.kill("SIGINT");
        await server.exited;
        server = await startPostgres({ ...o, app: { user: "app", password: "app-password" } });
        const app = client("app", "app-password");
        await app.connect();
        try {
          const su = await app.query<{ rolsuper: boolean }>(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
          );
          assert.equal(su.rows[0]!.rolsuper, false);
          // Its migrations can change all of it.
          await app.query(`ALTER TABLE notes ADD COLUMN at timestamptz;
          INSERT INTO notes (text) VALUES ('hi'); INSERT INTO audit (at) VALUES (now());
          CREATE OR REPLACE VIEW recent AS SELECT * FROM notes;
          CREATE OR REPLACE FUNCTION shout(t text) RETURNS text LANGUAGE sql AS 'SELECT upper(t) || ''!''';
          ALTER TYPE mood ADD VALUE 'great'; ALTER TABLE extra.t ADD COLUMN y int; CREATE TABLE fresh (x int);`);
          assert.equal((await app.query<{ s: string }>("SELECT shout('a') AS s")).rows[0]!.s, "A!");
          // And it cannot run programs on the machine, as the superuser could.
          await assert.rejects(
            app.query("COPY notes (text) FROM PROGRAM 'id'"),
            /permission denied|must be superuser/,
          );
        } finally {
          await app.end();
          server.kill("SIGINT");
          await server.exited;
        }
      } finally {
        cleanup();
      }
    });

    it("says at once that the cluster refuses the password, and what to do", async () => {
      const { cleanup, o } = await cluster("the-first-password", "app");
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
