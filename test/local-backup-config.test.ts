// What pgBackRest is told, exactly: the configuration of one environment's stanza (repository 1 on this
// disk; repository 2 on S3-compatible storage when `recovery.offsite` is set: local-offsite.test.ts
// runs it against a real S3 server), the variables that carry the secrets and where the offsite key
// pair and CA bundle come from, the archive settings from the RPO, the restore options of each
// target, how a restored server syncs its data, and the window `backups` gives each backup.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  archiveSettings,
  archiveTimeoutSeconds,
  pgbackrestConfig,
  pgbackrestEnv,
  printIni,
  retentionDays,
} from "../src/engine/local/backup-config.js";
import { readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { rowsOf } from "../src/cli/local-backup.js";
import { envPaths } from "../src/engine/local/paths.js";
import {
  findPgbackrest,
  openPgbackrest,
  restoreArgs,
  type BackupInfo,
} from "../src/engine/local/pgbackrest.js";
import { syncSettings } from "../src/engine/local/postgres.js";
import { openStore } from "../src/engine/local/secrets.js";
import { UserError } from "../src/errors.js";
import { loadSpec } from "../src/model/load.js";
import { tempDir } from "./helpers.js";

const spec = (extra: string) =>
  loadSpec(
    "gantry.yaml",
    `name: shop
services:
  web: { build: ., port: 8080, uses: [db] }
postgres:
  db: { databases: [shop], backups: { retention_days: 9 } }
  audit: { databases: [audit], backups: { retention_days: 21 } }
${extra}`,
  ).project.environments[0]!;

const backup = (id: string, stopLsn: string, endedAt = "2026-12-07T10:01:00.000Z"): BackupInfo => ({
  id,
  kind: "full",
  startedAt: "2026-12-07T10:00:00.000Z",
  endedAt,
  sizeBytes: 1,
  repoBytes: 1,
  repos: [1],
  stopLsn,
});

const at = {
  dataDir: "/d/data",
  socketDir: "/tmp/gantry-pg-x",
  port: 5433,
  repoDir: "/d/backups/pgbackrest",
  processes: 2,
};

describe("pgBackRest's configuration", () => {
  it("has a stanza per environment, an encrypted repository kept for the longest retention, and an offsite S3 one", () => {
    const model = spec(
      "recovery: { rpo: 5m, offsite: { endpoint: https://fra1.digitaloceanspaces.com/, bucket: shop-backups, region: fra1, path: gantry/shop } }",
    );
    assert.equal(retentionDays(model), 21);
    assert.equal(
      printIni(pgbackrestConfig(model, at, 21)),
      `[global]
repo1-path=/d/backups/pgbackrest
repo1-retention-full-type=time
repo1-retention-full=21
repo1-cipher-type=aes-256-cbc
compress-type=lz4
start-fast=y
checksum-page=y
log-path=/d/backups/pgbackrest/log
lock-path=/d/backups/pgbackrest/lock
spool-path=/d/backups/pgbackrest/spool
log-level-console=warn
log-level-file=info
repo2-type=s3
repo2-s3-endpoint=fra1.digitaloceanspaces.com
repo2-s3-bucket=shop-backups
repo2-s3-region=fra1
repo2-s3-uri-style=path
repo2-path=/gantry/shop
repo2-retention-full-type=time
repo2-retention-full=21
repo2-cipher-type=aes-256-cbc

[global:archive-get]
archive-async=y
process-max=2

[production]
pg1-path=/d/data
pg1-port=5433
pg1-socket-path=/tmp/gantry-pg-x
pg1-user=gantry
`,
    );
    // Secrets go in the environment only.
    assert.deepEqual(
      pgbackrestEnv(
        model,
        "/d/backups/pgbackrest.conf",
        { cipherPass: "k", s3: { key: "AK", secret: "SK" } },
        "pw",
      ),
      {
        PGBACKREST_CONFIG: "/d/backups/pgbackrest.conf",
        PGBACKREST_STANZA: "production",
        PGBACKREST_REPO1_CIPHER_PASS: "k",
        PGBACKREST_REPO2_CIPHER_PASS: "k",
        PGBACKREST_REPO2_S3_KEY: "AK",
        PGBACKREST_REPO2_S3_KEY_SECRET: "SK",
        PGPASSWORD: "pw",
      },
    );
    const local = spec("");
    assert.ok(!printIni(pgbackrestConfig(local, at, 21)).includes("repo2"));
    assert.deepEqual(Object.keys(pgbackrestEnv(local, "/c", { cipherPass: "k" })), [
      "PGBACKREST_CONFIG",
      "PGBACKREST_STANZA",
      "PGBACKREST_REPO1_CIPHER_PASS",
    ]);
  });

  it("gives pgBackRest the endpoint's port apart and the CA bundle of a self-hosted service", () => {
    const model = spec(
      "recovery: { offsite: { endpoint: 'https://minio.internal:9000', bucket: b-1, ca_file: certs/ca.pem } }",
    );
    const ini = printIni(pgbackrestConfig(model, { ...at, offsiteCaFile: "/d/backups/offsite-ca.pem" }, 21));
    assert.match(ini, /^repo2-s3-endpoint=minio\.internal\nrepo2-storage-port=9000\n/m);
    assert.match(ini, /^repo2-storage-ca-file=\/d\/backups\/offsite-ca\.pem$/m);
    // The certificate is verified: never turned off.
    assert.doesNotMatch(ini, /verify-tls/);
  });

  it("archives the WAL at least every half RPO, at most every minute, through archive-push", () => {
    assert.equal(archiveTimeoutSeconds(spec("recovery: { rpo: 15m }")), 60);
    assert.equal(archiveTimeoutSeconds(spec("recovery: { rpo: 1m }")), 30);
    assert.equal(archiveTimeoutSeconds(spec("recovery: { rpo: 5s }")), 2);
    assert.deepEqual(archiveSettings(spec("recovery: { rpo: 10s }"), "/usr/bin/pgbackrest", "/tmp/s"), [
      "wal_level=replica",
      "archive_mode=on",
      "archive_command='/usr/bin/pgbackrest' archive-push %p",
      "archive_timeout=5s",
      "track_commit_timestamp=on",
      "hot_standby=off",
      "unix_socket_directories=/tmp/s",
    ]);
  });

  it("restores the newest state, a time or a backup, along the right timeline", () => {
    assert.deepEqual(restoreArgs({ target: { kind: "latest" }, backup: backup("S1", "0/1") }, "/d"), [
      "restore",
      "--pg1-path=/d",
      "--set=S1",
      "--target-timeline=latest",
    ]);
    const at = new Date("2026-12-07T10:15:00.250Z");
    assert.deepEqual(
      restoreArgs({ target: { kind: "time", at }, backup: backup("S1", "0/1"), at }, "/d", {
        archiveOff: true,
        processes: 4,
      }),
      [
        "restore",
        "--pg1-path=/d",
        "--set=S1",
        "--archive-mode=off",
        "--process-max=4",
        "--target-timeline=latest",
        "--type=time",
        "--target=2026-12-07 10:15:00.250+00",
        "--target-action=promote",
      ],
    );
    assert.deepEqual(
      restoreArgs({ target: { kind: "backup", id: "B" }, backup: backup("B", "0/5000100") }, "/d", {
        delta: true,
        processes: 1,
      }),
      [
        "restore",
        "--pg1-path=/d",
        "--set=B",
        "--delta",
        "--type=lsn",
        "--target=0/5000100",
        "--target-timeline=current",
        "--target-action=promote",
      ],
    );
  });

  it("syncs a restored cluster's data directory with one syncfs where PostgreSQL has it (Linux, 14+)", () => {
    assert.deepEqual(syncSettings(15, "linux"), ["recovery_init_sync_method=syncfs"]);
    assert.deepEqual(syncSettings(13, "linux"), []);
    assert.deepEqual(syncSettings(16, "darwin"), []);
    assert.deepEqual(syncSettings(undefined, "linux"), []);
  });

  it("gives each backup the window from its end to the newest archived WAL, never ending before it", () => {
    const list = [
      backup("A", "0/1", "2026-12-07T10:01:00.000Z"),
      backup("B", "0/2", "2026-12-07T10:05:01.000Z"),
    ];
    // B waited for its last segment to be archived, then wrote its manifest: it ended after that segment.
    assert.deepEqual(
      rowsOf(list, "2026-12-07T10:05:00.412Z").map((r) => r.recoverable),
      [
        { from: "2026-12-07T10:01:00.000Z", until: "2026-12-07T10:05:00.412Z" },
        { from: "2026-12-07T10:05:01.000Z", until: "2026-12-07T10:05:01.000Z" },
      ],
    );
    assert.deepEqual(rowsOf(list, undefined)[0]!.recoverable, {
      from: "2026-12-07T10:01:00.000Z",
      until: "2026-12-07T10:01:00.000Z",
    });
  });
});

describe(
  "the offsite repository's credentials and CA bundle",
  { skip: !findPgbackrest(process.env.PATH) },
  () => {
    const OFFSITE = `recovery: { offsite: { endpoint: "https://minio.internal:9000", bucket: b-1, ca_file: ca.pem } }`;
    const open = (dir: string, env: Record<string, string>) =>
      openPgbackrest({
        paths: envPaths(dir, "production"),
        model: spec(OFFSITE),
        store: openStore(envPaths(dir, "production"), undefined),
        baseEnv: { PATH: process.env.PATH ?? "", ...env },
        port: 5433,
      });

    it("reads the key pair from the secrets store, else the environment, and refuses a missing one by name", () => {
      const { dir, cleanup } = tempDir({ "ca.pem": "-----BEGIN CERTIFICATE-----\n" });
      try {
        assert.throws(
          () => open(dir, { GANTRY_BACKUP_S3_KEY: "AKENV" }),
          (e: unknown) =>
            e instanceof UserError &&
            /GANTRY_BACKUP_S3_SECRET not set/.test(e.message) &&
            !e.message.includes("AKENV"),
        );
        const fromEnv = open(dir, { GANTRY_BACKUP_S3_KEY: "AKENV", GANTRY_BACKUP_S3_SECRET: "SKENV" });
        assert.equal(fromEnv.env.PGBACKREST_REPO2_S3_KEY, "AKENV");
        assert.equal(fromEnv.env.PGBACKREST_REPO2_S3_KEY_SECRET, "SKENV");
        const store = openStore(envPaths(dir, "production"), undefined);
        store.set("GANTRY_BACKUP_S3_KEY", "AKSTORE");
        store.set("GANTRY_BACKUP_S3_SECRET", "SKSTORE");
        const b = open(dir, { GANTRY_BACKUP_S3_KEY: "AKENV", GANTRY_BACKUP_S3_SECRET: "SKENV" });
        assert.equal(b.env.PGBACKREST_REPO2_S3_KEY, "AKSTORE");
        assert.equal(b.env.PGBACKREST_REPO2_S3_KEY_SECRET, "SKSTORE");
        // The CA bundle is copied next to the configuration, which names it and holds no secret.
        const conf = readFileSync(b.configFile, "utf8");
        assert.match(
          conf,
          new RegExp(`^repo2-storage-ca-file=${join(dirname(b.configFile), "offsite-ca.pem")}$`, "m"),
        );
        assert.equal(
          readFileSync(join(dirname(b.configFile), "offsite-ca.pem"), "utf8"),
          "-----BEGIN CERTIFICATE-----\n",
        );
        assert.ok(!/AKSTORE|SKSTORE/.test(conf));
        // The folder lost: the next command makes the file again.
        rmSync(dirname(b.configFile), { recursive: true, force: true });
        b.prepare();
        assert.equal(readFileSync(b.configFile, "utf8"), conf);
      } finally {
        cleanup();
      }
    });

    it("refuses a CA bundle that is not there, naming the spec's field", () => {
      const { dir, cleanup } = tempDir();
      try {
        assert.throws(
          () => open(dir, { GANTRY_BACKUP_S3_KEY: "A", GANTRY_BACKUP_S3_SECRET: "S" }),
          (e: unknown) =>
            e instanceof UserError &&
            e.message === `recovery.offsite.ca_file: ${join(dir, "ca.pem")} is not a file`,
        );
      } finally {
        cleanup();
      }
    });
  },
);
