// Backups, restores and drills end to end, with real PostgreSQL, Redis and pgBackRest: an app commits
// a numbered row every 20 ms and remembers when each was acknowledged; the postmaster is killed with
// SIGKILL and its data directory deleted; `gantry restore` brings back every row but those acknowledged
// within the RPO before the crash, counted exactly; `--to TIME` restores exactly the commits up to that
// time; a drill's report agrees with what the test reads from the source itself; `--into` starts a
// copy and leaves the live environment untouched.
// Needs PostgreSQL, Redis and pgBackRest: skipped without them, but FAILS when CI is set.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";
import { envPaths } from "../src/engine/local/paths.js";
import { postgresDataDir } from "../src/engine/local/postgres-location.js";
import type { DrillReport } from "../src/engine/local/drill.js";
import { REPO_ROOT, runCli, tempDir } from "./helpers.js";
import { cli, recoveryToolsReady, sleep, statusJson, until, admin as adminOf } from "./recovery-helpers.js";

const ready = recoveryToolsReady();

const RPO_S = 15;

/** The writer: row n is committed after row n-1 was acknowledged; /acked says when each was. */
function writerApp() {
  return tempDir({
    "gantry.yaml": `name: rec
services:
  web:
    build: .
    command: node server.js
    port: 8080
    health: { readiness: /ready, startup_timeout: 20s }
    uses: [db, cache]
postgres:
  db: { databases: [rec] }
redis:
  cache: { persistence: aof }
recovery: { rpo: ${RPO_S}s, rto: 2m, drill: none }
`,
    "server.js": `const http = require("http");
const pg = require(${JSON.stringify(join(REPO_ROOT, "node_modules", "pg"))});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let n = 0, client, connected = false;
const acked = [];
(async () => {
  for (;;) {
    try {
      if (!client) {
        client = new pg.Client({ connectionString: process.env.DATABASE_URL });
        client.on("error", () => undefined);
        await client.connect();
        // No ANALYZE of its own, and nothing written once it exists (IF NOT EXISTS takes no transaction
        // id), so that every commit of the database is one row: the drill's count of lost commits is
        // checked against them.
        await client.query("CREATE TABLE IF NOT EXISTS w (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp()) WITH (autovacuum_enabled = false)");
        connected = true;
      }
      try {
        await client.query("INSERT INTO w (id) VALUES ($1)", [n + 1]);
      } catch (e) {
        if (e.code !== "23505") throw e; // committed before the connection broke: acknowledged now
      }
      n++;
      acked.push(Date.now());
    } catch {
      connected = false;
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
      await sleep(200);
    }
    await sleep(20);
  }
})();
http.createServer((q, s) => {
  if (q.url === "/ready") { s.statusCode = connected ? 200 : 503; return s.end(); }
  if (q.url === "/acked") return s.end(JSON.stringify(acked));
  s.end("ok");
}).listen(process.env.PORT, "127.0.0.1");
`,
  });
}

/** A superuser client of the environment's PostgreSQL. */
const admin = (dir: string, env = "production", database = "rec") => adminOf(dir, env, database);

async function ids(c: pg.Client, where = "true", params: unknown[] = []): Promise<number[]> {
  const r = await c.query<{ id: string }>(`SELECT id FROM w WHERE ${where} ORDER BY id`, params);
  return r.rows.map((x) => Number(x.id));
}

describe(
  "backups, restores and drills",
  { skip: ready ? false : "needs PostgreSQL, Redis and pgBackRest", timeout: 420_000 },
  () => {
    it("restores after a crash within the RPO, to a time exactly, into a copy, and drills", async () => {
      const { dir, cleanup } = writerApp();
      try {
        const up = await cli(["up", dir]);
        const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(up)![0];
        // Asked of the instance itself: the proxy takes it out of rotation while the database is down.
        const acked = async () => {
          const port = (await statusJson(dir)).instances.find((i) => i.serving)!.port!;
          return (await (await fetch(`http://127.0.0.1:${port}/acked`)).json()) as number[];
        };
        await until("the app writes", async () => ((await acked()).length > 20 ? true : undefined));
        assert.match(await cli(["backup", dir]), /^backup \d{8}-\d{6}F taken/);
        const listed = JSON.parse(await cli(["backups", dir, "--json"])) as {
          postgres: { id: string; kind: string; recoverable: { from: string; until: string } }[];
          redis: Record<string, unknown[]>;
        };
        assert.ok(
          listed.postgres.length >= 1 &&
            listed.postgres.every((b) => b.recoverable.from <= b.recoverable.until),
          JSON.stringify(listed.postgres),
        );
        assert.ok(listed.redis.cache!.length >= 1, "Redis is snapshotted with the backup");

        // The crash: the postmaster killed, its data deleted.
        await sleep(3000);
        const paths = envPaths(dir, "production");
        const dataDir = postgresDataDir(paths);
        const before = await statusJson(dir);
        process.kill(before.postgres!.pid, "SIGKILL");
        const crashAt = Date.now();
        rmSync(dataDir, { recursive: true, force: true });
        await sleep(1000);
        const ack = await acked();
        // Without --yes and without a terminal: refused, nothing done.
        const refused = await runCli(["restore", dir]);
        assert.equal(refused.code, 1);
        assert.match(refused.err, /no terminal to ask on/);
        assert.ok(
          !existsSync(join(dataDir, "PG_VERSION")),
          "no empty cluster is made where a backup can restore",
        );
        await cli(["restore", dir, "--yes"]);
        let c = await admin(dir);
        // The app writes on once the database is back, numbering on from its last acknowledged row.
        const back = await ids(c, "id <= $1", [ack.length]);
        await c.end();
        const last = back.at(-1)!;
        assert.deepEqual(
          back,
          Array.from({ length: last }, (_, i) => i + 1),
          "no commit is missing in between",
        );
        const lost = ack.filter((t, i) => i + 1 > last && t <= crashAt);
        const firstLost = lost[0];
        assert.ok(
          firstLost === undefined || crashAt - firstLost <= RPO_S * 1000,
          `lost ${lost.length} commits, the first acknowledged ${(crashAt - firstLost!) / 1000}s before the crash`,
        );
        await until("the app writes again", async () =>
          (await acked()).length > ack.length + 20 ? true : undefined,
        );

        // --to: exactly the commits up to that time.
        await sleep(1500);
        const to = new Date();
        await sleep(1500);
        c = await admin(dir);
        const expected = await ids(c, "pg_xact_commit_timestamp(xmin) <= $1", [to]);
        const newestBefore = (await ids(c)).at(-1)!;
        await c.end();
        assert.ok(
          expected.length > 0 && expected.at(-1)! < newestBefore,
          `${expected.length} rows by --to, the last ${expected.at(-1)}, newest ${newestBefore}`,
        );
        // Meanwhile the proxy answers 503 with Retry-After.
        const restoring = cli(["restore", dir, "--to", to.toISOString(), "--yes"]);
        const during = await until("the proxy answers 503 during the restore", async () => {
          const r = await fetch(url).catch(() => undefined);
          return r?.status === 503 && r.headers.get("retry-after") === "30" ? r : undefined;
        });
        assert.match(await during.text(), /being restored/);
        await restoring;
        c = await admin(dir);
        assert.deepEqual(await ids(c, "id <= $1", [newestBefore]), expected);
        await c.end();

        // A drill: its report against the test's own reading of the source. First the commits Gantry
        // makes when PostgreSQL starts (the app's role and databases) reach the archive, so that the
        // commits since are the app's rows only.
        await sleep(2000 + RPO_S * 1000);
        const drillStart = Date.now();
        const d = await runCli(["drill", dir, "--json"]);
        const drillEnd = Date.now();
        const report = JSON.parse(d.out) as DrillReport;
        // Exit 1 exactly when over the spec's targets (how far the archive lags depends on the machine).
        assert.equal(d.code, report.within_targets ? 0 : 1, `${d.err}\n${d.out}`);
        assert.equal(report.within_targets, report.rpo_seconds <= RPO_S && report.rto_seconds <= 120);
        assert.equal(report.verified, true, d.out);
        assert.equal(report.amcheck.ok, true);
        assert.equal(report.app?.healthy, true);
        assert.ok(
          report.rto_seconds >= report.restore_seconds && report.rto_seconds * 1000 <= drillEnd - drillStart,
          `RTO ${report.rto_seconds}s, restore ${report.restore_seconds}s, drill ${drillEnd - drillStart}ms`,
        );
        const started = Date.parse(report.started_at);
        assert.ok(
          started >= drillStart && started <= drillEnd,
          `started ${report.started_at}, drill ${drillStart}..${drillEnd}`,
        );
        // Every row committed after the newest recovered commit, until the drill began, was lost.
        // With microseconds, as the report gives them: a Date would cut them.
        const recovered = report.recovered_newest_commit!;
        c = await admin(dir);
        const lostRows = await ids(
          c,
          "pg_xact_commit_timestamp(xmin) > $1 AND pg_xact_commit_timestamp(xmin) <= $2",
          [recovered, report.source_newest_commit],
        );
        // Exactly the app's commits: PostgreSQL's own (autovacuum analysing a catalog after the restore
        // above, the role and database checks at each start) change none of its rows and do not count.
        assert.equal(report.lost_commits, lostRows.length, `lost commits against the app's rows`);
        if (lostRows.length > 0) {
          const first = (
            await c.query<{ same: boolean }>(
              "SELECT pg_xact_commit_timestamp(xmin) = $2::timestamptz AS same FROM w WHERE id = $1",
              [lostRows[0], report.earliest_lost_commit],
            )
          ).rows[0]!;
          assert.ok(first.same, "the earliest lost commit is the first row not recovered");
          assert.equal(
            report.rpo_seconds,
            Math.round((started - Date.parse(report.earliest_lost_commit!)) / 10) / 100,
          );
        } else assert.equal(report.rpo_seconds, 0);
        const w = report.tables.find((x) => x.table === "public.w")!;
        assert.equal(w.rows, (await ids(c, "pg_xact_commit_timestamp(xmin) <= $1", [recovered])).length);
        assert.ok(w.match);
        await c.end();

        // status shows the last backup and the last drill.
        const status = await cli(["status", dir]);
        assert.match(status, /^last backup: \S+ \(before-restore, \d{8}-\d{6}F_\d{8}-\d{6}I\)$/m);
        assert.match(
          status,
          new RegExp(
            `^last drill: ${report.started_at} (passed|FAILED) \\(RTO ${report.rto_seconds}s, RPO ${report.rpo_seconds}s\\)$`,
            "m",
          ),
        );

        // --into: a copy running the same release; the live environment untouched.
        // With the secrets key given only in GANTRY_SECRETS_KEY (no key file), as a deploy from CI has it.
        const livePg = (await statusJson(dir)).postgres!.pid;
        const keyFile = join(dir, ".gantry", "secrets.key");
        const key = readFileSync(keyFile, "utf8").trim();
        renameSync(keyFile, `${keyFile}.away`);
        process.env.GANTRY_SECRETS_KEY = key;
        let into: string;
        try {
          into = await cli(["restore", dir, "--into", "copy"]);
        } finally {
          delete process.env.GANTRY_SECRETS_KEY;
          renameSync(`${keyFile}.away`, keyFile);
        }
        assert.match(into, /into copy, which serves v1 at http:\/\/127\.0\.0\.1:\d+\//);
        const copyUrl = /http:\/\/127\.0\.0\.1:\d+\//.exec(into)![0];
        assert.equal((await fetch(`${copyUrl}ready`)).status, 200);
        assert.equal((await statusJson(dir)).postgres!.pid, livePg, "the live PostgreSQL was not touched");
        const n = (await acked()).length;
        await until("the live app still writes", async () =>
          (await acked()).length > n + 10 ? true : undefined,
        );
        await cli(["destroy", dir, "--env", "copy", "--yes"]);
      } finally {
        await runCli(["destroy", dir, "--env", "copy", "--yes"]);
        await runCli(["destroy", dir, "--yes"]);
        cleanup();
      }
    });

    it("rolls back the code and the schema together: rollback --data returns to the restore point before the migrations", async () => {
      const pgPath = JSON.stringify(join(REPO_ROOT, "node_modules", "pg"));
      const app = (version: number) => ({
        "gantry.yaml": `name: mig
services:
  web:
    build: .
    command: node server.js
    port: 8080
    migrations: node migrate.js
    uses: [db]
postgres:
  db: { databases: [mig] }
recovery: { rpo: 15s, drill: none }
`,
        "version.txt": String(version),
        // v1 makes table one; v2 adds table two.
        "migrate.js": `const pg = require(${pgPath});
(async () => {
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  await c.query("CREATE TABLE IF NOT EXISTS one (x int)");
  if (require("fs").readFileSync("version.txt", "utf8").trim() === "2") await c.query("CREATE TABLE IF NOT EXISTS two (x int)");
  await c.end();
})();
`,
        "server.js": `require("http").createServer((q, s) => s.end(require("fs").readFileSync("version.txt", "utf8"))).listen(process.env.PORT, "127.0.0.1");\n`,
      });
      const { dir, cleanup } = tempDir(app(1));
      try {
        await cli(["up", dir]);
        writeFileSync(join(dir, "version.txt"), "2");
        await cli(["deploy", dir]);
        const tablesNow = async () => {
          const c = await admin(dir, "production", "mig");
          const r = await c.query<{ t: string }>(
            "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
          );
          await c.end();
          return r.rows.map((x) => x.t);
        };
        assert.deepEqual(await tablesNow(), ["one", "two"]);
        const listed = await cli(["releases", dir]);
        assert.match(listed, /^v1 .*changed \(restore point \d{8}-\d{6}F_\d{8}-\d{6}I\)/m);
        assert.match(listed, /^v2 \* .*changed \(restore point \d{8}-\d{6}F_\d{8}-\d{6}I\)/m);
        // Without a terminal and without --yes: refused, nothing changed.
        const refused = await runCli(["rollback", "v1", dir, "--data"]);
        assert.equal(refused.code, 1);
        assert.match(refused.err, /no terminal to ask on/);
        await cli(["rollback", "v1", dir, "--data", "--yes"]);
        assert.deepEqual(await tablesNow(), ["one"], "the schema v1 served with");
        assert.equal((await statusJson(dir)).release, "v1");
      } finally {
        await runCli(["destroy", dir, "--yes"]);
        cleanup();
      }
    });
  },
);
