// The recovery drill's checks end to end, with a real PostgreSQL. On AWS the script of the check task
// (modules/dr_drill) runs the shared probe and prints its lines, the workflow's step turns the task's
// log into the probe files, and the shared report step measures them. What reaches report.json must be
// every table's exact row count, the amcheck verdict and the newest commit, not the probe's own
// CREATE EXTENSION. On the other clouds the runner's probe step writes the same files.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { dataUser, findOnPath } from "../src/engine/local/infra.js";
import { freePort } from "../src/engine/local/ports.js";
import { PROBE_SCRIPT } from "../src/targets/aws/drill-module.js";
import { PROBE_QUERIES } from "../src/targets/github/drill.js";
import { githubTarget } from "../src/targets/registry.js";
import { exampleContext, loadExample, tempDir } from "./helpers.js";

/** pg_amcheck ships with the server binaries, which Debian keeps off PATH. */
function postgresPath(): string | undefined {
  if (!findOnPath("initdb", process.env.PATH) || !findOnPath("psql", process.env.PATH)) return undefined;
  const debian = "/usr/lib/postgresql";
  const dirs = existsSync(debian) ? readdirSync(debian).map((v) => join(debian, v, "bin")) : [];
  return [...dirs, process.env.PATH].join(":");
}
const PATH = postgresPath();
if (!PATH && process.env.CI) throw new Error("PostgreSQL must be installed for this test in CI");

interface Step {
  name: string;
  run?: string;
  env?: Record<string, string>;
}

describe("aws dr-drill: the check task's log becomes the report", { skip: !PATH }, () => {
  const tmp = tempDir();
  const dir = tmp.dir;
  const socket = join(dir, "sock");
  let port = 0;
  const env = () => ({
    ...process.env,
    PATH: PATH!,
    PGHOST: socket,
    PGPORT: String(port),
    PGUSER: "postgres",
  });

  before(async () => {
    port = await freePort();
    // PostgreSQL refuses root: as root the server runs as the user the local runtime gives it.
    const owner = dataUser();
    const as = owner ? { uid: owner.uid, gid: owner.gid } : {};
    chmodSync(dir, 0o755);
    for (const d of [socket, join(dir, "data"), join(dir, "server")]) {
      mkdirSync(d);
      if (owner) chownSync(d, owner.uid, owner.gid);
    }
    execFileSync("initdb", ["-D", join(dir, "data"), "-U", "postgres", "--auth=trust"], {
      env: env(),
      stdio: "ignore",
      ...as,
    });
    execFileSync(
      "pg_ctl",
      [
        "-D",
        join(dir, "data"),
        "-w",
        "-l",
        join(dir, "server", "log"),
        "-o",
        `-p ${port} -k ${socket} -c listen_addresses='' -c track_commit_timestamp=on`,
        "start",
      ],
      { env: env(), stdio: "ignore", ...as },
    );
    execFileSync("psql", ["-d", "postgres", "-qc", "CREATE DATABASE shop"], { env: env() });
    execFileSync(
      "psql",
      [
        "-d",
        "shop",
        "-qc",
        "CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 42); CREATE TABLE empty (id int)",
      ],
      { env: env() },
    );
  });
  after(() => {
    spawnSync("pg_ctl", ["-D", join(dir, "data"), "-m", "immediate", "stop"], {
      env: env(),
      stdio: "ignore",
    });
    tmp.cleanup();
  });

  it("counts every table, checks with pg_amcheck and reads the newest commit before its own", () => {
    const newestBefore = execFileSync("psql", ["-d", "shop", "-Atc", PROBE_QUERIES.NEWEST], { env: env() })
      .toString()
      .trim();
    // The task: its script as the container runs it (bash -c), its output as CloudWatch keeps it.
    const task = spawnSync("bash", ["-c", PROBE_SCRIPT], {
      env: { ...env(), ...PROBE_QUERIES, DRILL_DATABASES: "DRILL_URL_0=shop" },
    });
    assert.equal(task.status, 0, task.stderr.toString());
    const log = join(dir, "task.log");
    writeFileSync(log, task.stdout);

    const wf = parse(
      githubTarget.render(loadExample("todo").project, exampleContext("todo", "aws"))["dr-drill.yml"]!,
    ) as {
      jobs: { drill: { steps: Step[] } };
    };
    const steps = wf.jobs.drill.steps;
    const probeDir = join(dir, "probe");
    const reportDir = join(dir, "report");
    // The workflow's own line that splits the log into the probe files.
    const split = steps
      .find((s) => s.name === "Check db from inside the VPC")!
      .run!.split("\n")
      .find((l) => l.startsWith("awk "))!;
    execFileSync("bash", ["-c", `mkdir -p "$PROBE_DIR"; ${split.replace('"$log"', `"${log}"`)}`], {
      env: { ...process.env, PROBE_DIR: probeDir },
    });
    const report = steps.find((s) => s.name === "Measure RTO and RPO and write the report")!;
    const started = new Date(Date.now() + 5000).toISOString().replace(/\.\d+Z$/, "Z");
    const summary = join(dir, "summary.md");
    const r = spawnSync("bash", ["-eo", "pipefail", "-c", report.run!], {
      env: {
        ...process.env,
        ...report.env,
        REPORT_DIR: reportDir,
        PROBE_DIR: probeDir,
        STARTED_AT: started,
        START_EPOCH: String(Math.floor(Date.now() / 1000) - 30),
        GITHUB_STEP_SUMMARY: summary,
      },
    });
    assert.equal(r.status, 0, r.stdout.toString() + r.stderr.toString());
    const json = JSON.parse(readFileSync(join(reportDir, "report.json"), "utf8")) as {
      verified: boolean;
      tables: { database: string; table: string; rows: number }[];
      newest_restored: string;
      rpo_seconds: number;
      rto_seconds: number;
    };
    assert.equal(json.verified, true);
    assert.deepEqual(json.tables, [
      { database: "db/db", table: "public.empty", rows: 0 },
      { database: "db/db", table: "public.orders", rows: 42 },
    ]);
    // The newest commit is the app's, not the probe's CREATE EXTENSION.
    assert.equal(json.newest_restored, newestBefore);
    assert.ok(json.rto_seconds >= 30);
    assert.ok(json.rpo_seconds >= 0 && json.rpo_seconds < 120, String(json.rpo_seconds));
    assert.match(readFileSync(summary, "utf8"), /\| db\/db \| public\.orders \| 42 \|/);
  });
  it("on the runner (DigitalOcean, Azure) the same probe writes the files the same report reads", () => {
    const wf = parse(
      githubTarget.render(loadExample("todo").project, exampleContext("todo", "digitalocean"))[
        "dr-drill.yml"
      ]!,
    ) as { jobs: { drill: { steps: Step[] } } };
    const steps = wf.jobs.drill.steps;
    const probeDir = join(dir, "probe-runner");
    const reportDir = join(dir, "report-runner");
    const probe = steps.find((s) => s.name === "Check the restored data")!;
    const p = spawnSync("bash", ["-eo", "pipefail", "-c", probe.run!], {
      env: {
        ...env(),
        ...probe.env,
        PROBE_DIR: probeDir,
        DRILL_URL_0: `host=${socket} port=${port} user=postgres dbname=shop`,
      },
    });
    assert.equal(p.status, 0, p.stderr.toString());
    const report = steps.find((s) => s.name === "Measure RTO and RPO and write the report")!;
    const r = spawnSync("bash", ["-eo", "pipefail", "-c", report.run!], {
      env: {
        ...process.env,
        ...report.env,
        REPORT_DIR: reportDir,
        PROBE_DIR: probeDir,
        STARTED_AT: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        START_EPOCH: String(Math.floor(Date.now() / 1000)),
        GITHUB_STEP_SUMMARY: join(dir, "summary-runner.md"),
      },
    });
    assert.equal(r.status, 0, r.stdout.toString() + r.stderr.toString());
    const json = JSON.parse(readFileSync(join(reportDir, "report.json"), "utf8")) as {
      verified: boolean;
      tables: { rows: number }[];
    };
    assert.equal(json.verified, true);
    assert.deepEqual(
      json.tables.map((t) => t.rows),
      [0, 42],
    );
  });
});
