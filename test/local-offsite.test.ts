// The offsite backup repository end to end: real PostgreSQL and pgBackRest, and a real S3-compatible
// server on loopback over HTTPS with a private CA (test/s3-server.ts), which checks every request's
// signature with the secret key and the spec's region. `gantry up` with `recovery.offsite`, rows
// written, `gantry backup`: the backup and the WAL are in the bucket, encrypted (no row's text in any
// object); the data directory and the local repository are destroyed; the supervisor makes no empty
// cluster and `gantry restore` brings every row back from the bucket; `gantry backups` lists both
// repositories. The S3 key pair is in no file Gantry writes, no log, and nothing a command printed.
// Needs PostgreSQL, Redis and pgBackRest: skipped without them, but FAILS when CI is set.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { backupRoot } from "../src/engine/local/pgbackrest.js";
import { envPaths } from "../src/engine/local/paths.js";
import { postgresDataDir } from "../src/engine/local/postgres-location.js";
import { openStore } from "../src/engine/local/secrets.js";
import { runCli, tempDir } from "./helpers.js";
import { admin, recoveryToolsReady, sleep, statusJson, until } from "./recovery-helpers.js";
import { startS3 } from "./s3-server.js";

const ready = recoveryToolsReady();
const BUCKET = "gantry-offsite";
// Not the default (us-east-1): the server refuses a request signed for another region.
const REGION = "eu-central-1";

/** Every file under `dir` (following no links), for the search for leaked credentials. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

describe("the test's S3 server", () => {
  it("refuses a request whose signature does not hold (so that its count of good ones means something)", async () => {
    const s3dir = tempDir();
    const s3 = await startS3(s3dir.dir, BUCKET, REGION);
    try {
      const status = await new Promise<number>((done, fail) => {
        const url = new URL(`${s3.endpoint}/${BUCKET}?list-type=2`);
        const req = request(
          url,
          {
            ca: readFileSync(s3.caFile),
            headers: {
              authorization: `AWS4-HMAC-SHA256 Credential=${s3.key}/20261207/${REGION}/s3/aws4_request,SignedHeaders=host;x-amz-date,Signature=${"0".repeat(64)}`,
              "x-amz-date": "20261207T000000Z",
            },
          },
          (res) => {
            res.resume();
            done(res.statusCode ?? 0);
          },
        );
        req.on("error", fail);
        req.end();
      });
      assert.equal(status, 403);
      assert.deepEqual(s3.signed, { ok: 0, refused: ["signature does not match"] });
    } finally {
      await s3.close();
      s3dir.cleanup();
    }
  });
});

interface Listed {
  postgres: { id: string; repos: number[] }[];
}

describe(
  "the offsite backup repository on S3-compatible storage",
  { skip: ready ? false : "needs PostgreSQL, Redis and pgBackRest", timeout: 300_000 },
  () => {
    it("backs up encrypted to the bucket and restores from it when the data and the local backups are lost", async () => {
      const s3dir = tempDir();
      const s3 = await startS3(s3dir.dir, BUCKET, REGION);
      const { dir, cleanup } = tempDir({
        "gantry.yaml": `name: off
services:
  web:
    build: .
    command: node server.js
    port: 8080
    uses: [db]
postgres:
  db: { databases: [off] }
recovery:
  rpo: 15s
  drill: none
  offsite:
    endpoint: ${s3.endpoint}
    bucket: ${BUCKET}
    region: ${REGION}
    path: /shop
    ca_file: certs/s3-ca.pem
`,
        "server.js": `require("http").createServer((q, s) => s.end("ok")).listen(process.env.PORT, "127.0.0.1");\n`,
        "certs/.keep": "",
      });
      // Everything a command printed, searched for the credentials at the end.
      const said: string[] = [];
      const run = async (args: string[]) => {
        const r = await runCli(args);
        said.push(r.out, r.err);
        assert.equal(r.code, 0, `gantry ${args.join(" ")}: ${r.err}`);
        return r.out;
      };
      try {
        copyFileSync(s3.caFile, join(dir, "certs", "s3-ca.pem"));
        const paths = envPaths(dir, "production");
        const store = openStore(paths, undefined);
        store.set("GANTRY_BACKUP_S3_KEY", s3.key);
        store.set("GANTRY_BACKUP_S3_SECRET", s3.secret);
        await run(["up", dir]);

        // Rows whose text is random, so compression cannot hide it: found in an object, it was not encrypted.
        const marks = Array.from({ length: 200 }, () => randomBytes(16).toString("hex"));
        let c = await admin(dir, "production", "off");
        await c.query("CREATE TABLE t (id int PRIMARY KEY, mark text NOT NULL)");
        await c.query("INSERT INTO t SELECT i, m FROM unnest($1::text[]) WITH ORDINALITY AS x(m, i)", [
          marks,
        ]);
        await c.end();
        const took = await run(["backup", dir]);
        const [, local, offsite] = /^backup (\d{8}-\d{6}F) taken, offsite (\d{8}-\d{6}F)$/m.exec(took) ?? [];
        assert.ok(local && offsite, took);

        // In the bucket under the spec's path: the backup's files and the archived WAL, all encrypted.
        const objects = s3.objects();
        const keys = objects.map((o) => o.key);
        assert.ok(keys.includes(`shop/backup/production/${offsite}/backup.manifest`), keys.join("\n"));
        assert.ok(keys.some((k) => k.startsWith(`shop/backup/production/${offsite}/pg_data/`)));
        assert.ok(keys.some((k) => /^shop\/archive\/production\/15-1\/[0-9A-F]{16}\/[0-9A-F]{24}-/.test(k)));
        for (const o of objects) {
          // OpenSSL's salted format: pgBackRest's aes-256-cbc with the repository's pass.
          assert.equal(o.data.subarray(0, 8).toString("latin1"), "Salted__", `${o.key} is not encrypted`);
          const text = o.data.toString("latin1");
          assert.ok(!marks.some((m) => text.includes(m)), `${o.key} holds a row's text`);
        }
        assert.equal(s3.signed.refused.length, 0, s3.signed.refused.join("\n"));
        assert.ok(s3.signed.ok > 0);

        // The loss: the postmaster killed, its data and the local repository deleted.
        const dataDir = postgresDataDir(paths);
        process.kill((await statusJson(dir)).postgres!.pid, "SIGKILL");
        rmSync(dataDir, { recursive: true, force: true });
        rmSync(backupRoot(paths), { recursive: true, force: true });
        // The supervisor would start PostgreSQL again: it waits for a restore instead.
        const down = await until("PostgreSQL waits for a restore", async () => {
          const pg = (await statusJson(dir)).postgres;
          return pg?.down && /offsite repository/.test(pg.lastExit ?? "") ? pg : undefined;
        });
        assert.ok(!existsSync(join(dataDir, "PG_VERSION")), `an empty cluster was made: ${down.lastExit}`);

        await run(["restore", dir, "--yes"]);
        c = await admin(dir, "production", "off");
        const back = await c.query<{ id: number; mark: string }>("SELECT id, mark FROM t ORDER BY id");
        await c.end();
        assert.deepEqual(
          back.rows.map((r) => r.mark),
          marks,
        );

        // The same loss with nothing running: `gantry restore` reads the offsite copy itself, and
        // `gantry up` starts the app on the restored data.
        c = await admin(dir, "production", "off");
        await c.query("INSERT INTO t VALUES (0, 'after the first restore')");
        await c.end();
        await run(["backup", dir]);
        await run(["down", dir]);
        rmSync(dataDir, { recursive: true, force: true });
        rmSync(backupRoot(paths), { recursive: true, force: true });
        assert.match(await run(["restore", dir, "--yes"]), /`gantry up` starts the app on it/);
        await run(["up", dir]);
        c = await admin(dir, "production", "off");
        const again = await c.query<{ n: string }>("SELECT count(*) AS n FROM t");
        await c.end();
        assert.equal(Number(again.rows[0]!.n), marks.length + 1);

        // A backup after the restore goes to both again; `backups` lists each repository's.
        await run(["backup", dir]);
        const listed = JSON.parse(await run(["backups", dir, "--json"])) as Listed;
        assert.ok(
          listed.postgres.some((b) => b.id === offsite && b.repos.join() === "2"),
          JSON.stringify(listed),
        );
        assert.ok(listed.postgres.some((b) => b.repos.includes(1)));
        const table = await run(["backups", dir]);
        assert.match(table, new RegExp(`^${offsite}\\s+offsite\\s`, "m"));
        assert.match(table, /^\d{8}-\d{6}F\s+local\s/m);
        assert.equal(s3.signed.refused.length, 0, s3.signed.refused.join("\n"));

        // The key pair: in the sealed store only; never in a file Gantry wrote, a log, or any output.
        const conf = readFileSync(join(backupRoot(paths), "pgbackrest.conf"), "utf8");
        assert.match(conf, /^repo2-storage-ca-file=/m);
        const leaks = [join(dir, ".gantry"), backupRoot(paths), dataDir]
          .flatMap(filesUnder)
          .filter((f) => statSync(f).size < 64 * 2 ** 20)
          .filter((f) => {
            const text = readFileSync(f).toString("latin1");
            return text.includes(s3.secret) || text.includes(s3.key);
          });
        assert.deepEqual(leaks, []);
        assert.ok(!said.join("\n").includes(s3.secret) && !said.join("\n").includes(s3.key));
      } finally {
        await runCli(["destroy", dir, "--yes"]);
        await s3.close();
        cleanup();
        s3dir.cleanup();
        await sleep(0);
      }
    });
  },
);
