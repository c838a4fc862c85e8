// Recovery on one machine, with a database of SIZE_GB (default 1) under a steady write load:
// - RPO after a crash: the postmaster killed with SIGKILL and its data directory deleted, `gantry
//   restore`: the time from the first acknowledged commit that did not come back to the crash;
// - the restore time of the whole database (pgBackRest: the backup, then the WAL, until it answers);
// - the peer, in the same run: pg_dump (custom format) + pg_restore (2 jobs) of the same database.
// Targets (issue 19): RPO at most 60 s, a 1 GB restore within 2 minutes, faster than the peer.
//   node --import tsx bench/recovery.ts            SIZE_GB=0.2 node --import tsx bench/recovery.ts
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { main } from "../src/cli/main.js";
import { envPaths } from "../src/engine/local/paths.js";
import { postgresDataDir } from "../src/engine/local/postgres-location.js";
import { choosePostgres, postgresInstalls } from "../src/engine/local/postgres.js";
import { PG_PASSWORD } from "../src/engine/local/provision.js";
import { openStore } from "../src/engine/local/secrets.js";
import { readState } from "../src/engine/local/state.js";
import { exec } from "../src/util/exec.js";

const SIZE_GB = Number(process.env.SIZE_GB ?? "1");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** Runs a command in-process; returns its progress lines (each `[  t s] step`, t from its start). */
async function gantry(...args: string[]): Promise<string> {
  let err = "";
  const code = await main(args, { out: () => undefined, err: (t) => (err += t), cwd: process.cwd() });
  if (code !== 0) throw new Error(`gantry ${args.join(" ")} failed:\n${err}`);
  return err;
}

const dir = mkdtempSync(join(tmpdir(), "gantry-bench-recovery-"));
chmodSync(dir, 0o755);
writeFileSync(
  join(dir, "gantry.yaml"),
  `name: bench
services:
  web: { build: ., command: node server.js, port: 8080 }
postgres:
  db: { databases: [bench] }
recovery: { rpo: 1m, drill: none }
`,
);
writeFileSync(
  join(dir, "server.js"),
  `require("http").createServer((q, s) => s.end("ok")).listen(process.env.PORT, "127.0.0.1");\n`,
);
const paths = envPaths(dir, "production");
const login = () => ({
  host: "127.0.0.1",
  port: readState(paths)!.postgres!.port,
  user: "gantry",
  password: openStore(paths, undefined).get(PG_PASSWORD)!,
});

try {
  await gantry("up", dir);
  const c = new pg.Client({ ...login(), database: "bench" });
  await c.connect();
  // Rows of about 500 bytes on disk.
  const rows = Math.round((SIZE_GB * 1024 ** 3) / 500);
  let t = Date.now();
  await c.query(
    `CREATE TABLE big AS SELECT g AS id, md5(g::text) || repeat('x', 400) AS pad FROM generate_series(1, ${rows}) g`,
  );
  await c.query("CREATE TABLE w (id bigint PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())");
  const size = (await c.query<{ s: string }>("SELECT pg_database_size('bench')::text AS s")).rows[0]!.s;
  await c.end();
  console.log(`database: ${(Number(size) / 1024 ** 3).toFixed(2)} GiB, loaded in ${s(Date.now() - t)}`);
  t = Date.now();
  await gantry("backup", dir);
  console.log(`gantry backup (full): ${s(Date.now() - t)}`);

  // A steady write load: a commit every 10 ms, each acknowledged time kept.
  const acked: number[] = [];
  let writing = true;
  const writer = (async () => {
    const w = new pg.Client({ ...login(), database: "bench" });
    w.on("error", () => undefined);
    await w.connect();
    for (let n = 1; writing; n++) {
      try {
        await w.query("INSERT INTO w (id) VALUES ($1)", [n]);
        acked.push(Date.now());
      } catch {
        return; // the crash
      }
      await sleep(10);
    }
  })();
  await sleep(90_000);
  const crashAt = Date.now();
  process.kill(readState(paths)!.postgres!.pid, "SIGKILL");
  rmSync(postgresDataDir(paths), { recursive: true, force: true });
  writing = false;
  await writer;
  t = Date.now();
  const steps = await gantry("restore", dir, "--yes");
  const restoreMs = Date.now() - t;
  const r = new pg.Client({ ...login(), database: "bench" });
  await r.connect();
  const back = Number((await r.query<{ n: string }>("SELECT count(*)::text AS n FROM w")).rows[0]!.n);
  await r.query("CREATE DATABASE bench_copy");
  await r.end();
  const firstLost = acked[back];
  const rpo = firstLost === undefined ? 0 : crashAt - firstLost;
  console.log(
    `crash: ${acked.length} commits acknowledged, ${back} restored; RPO ${s(rpo)} (target 60s: ${rpo <= 60_000 ? "met" : "missed"})`,
  );
  console.log(`gantry restore of ${(Number(size) / 1024 ** 3).toFixed(2)} GiB: ${s(restoreMs)}; its phases:`);
  // The restore's own steps, each with the time it took: to the next step, the last to the command's end.
  const phases = steps
    .trimEnd()
    .split("\n")
    .flatMap((l) => {
      const m = /^\[\s*([\d.]+)s\] (.*)$/.exec(l);
      return m ? [{ at: Number(m[1]) * 1000, what: m[2]! }] : [];
    });
  phases.forEach((x, i) =>
    console.log(`  ${s((phases[i + 1]?.at ?? restoreMs) - x.at).padStart(6)}  ${x.what}`),
  );

  // The peer: pg_dump and pg_restore of the same database, now restored.
  const bin = choosePostgres(await postgresInstalls(process.env.PATH), postgresDataDir(paths), [])!.install
    .binDir;
  const l = login();
  const env = { ...process.env, PGPASSWORD: l.password };
  const common = ["-h", l.host, "-p", String(l.port), "-U", l.user];
  const dump = join(dir, "bench.dump");
  t = Date.now();
  const d = await exec(join(bin, "pg_dump"), [...common, "-Fc", "-f", dump, "bench"], { env });
  const dumpMs = Date.now() - t;
  t = Date.now();
  const p = await exec(join(bin, "pg_restore"), [...common, "-j", "2", "-d", "bench_copy", dump], { env });
  const pgRestoreMs = Date.now() - t;
  if (d.code !== 0 || p.code !== 0) throw new Error(`pg_dump/pg_restore failed: ${d.stderr}${p.stderr}`);
  console.log(
    `peer: pg_dump ${s(dumpMs)} + pg_restore ${s(pgRestoreMs)} = ${s(dumpMs + pgRestoreMs)} (gantry restore ${s(restoreMs)}: ${restoreMs < dumpMs + pgRestoreMs ? "faster" : "slower"})`,
  );
} finally {
  await main(["destroy", dir, "--yes"], { out: () => undefined, err: () => undefined, cwd: process.cwd() });
  rmSync(dir, { recursive: true, force: true });
}
