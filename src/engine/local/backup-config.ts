// What pgBackRest is told for an environment's PostgreSQL, computed from the model and the places the
// cluster and its repository live, without touching anything: the configuration file (one stanza per
// environment, repository 1 on this disk, repository 2 on S3-compatible storage when the spec names
// one), the environment variables that carry what must not be in a file (the repository cipher pass,
// the S3 key pair), and the server settings that archive the write-ahead log. Option names are from
// the pgBackRest 2.45 command reference (`pgbackrest help <command> <option>`): the S3 repository's
// TLS options are `repo-storage-*` there (`repo-s3-ca-file`, `repo-s3-port` are their deprecated names).
import type { AppModel } from "../../model/types.js";

/** Where the pieces are on this machine. */
export interface BackupPlaces {
  /** The cluster's data directory (pg1-path). */
  dataDir: string;
  /** The directory of the server's Unix socket: pgBackRest connects through it, never over TCP. */
  socketDir: string;
  port: number;
  /** Repository 1, and the log, lock and spool directories, all inside it. */
  repoDir: string;
  /** The copy of `recovery.offsite.ca_file` that pgBackRest reads (its user may not reach the original). */
  offsiteCaFile?: string;
  /** The machine's cores: the pgBackRest processes that fetch WAL ahead of a recovering server. */
  processes: number;
}

/** The secret values the repositories need, given to pgBackRest as environment variables. */
export interface BackupSecrets {
  cipherPass: string;
  s3?: { key: string; secret: string };
}

/** One `[section]` of the file: option names to values, printed in this order. */
export type IniSection = [string, string][];

/** The one printer of pgBackRest's configuration file. */
export function printIni(sections: Record<string, IniSection>): string {
  return Object.entries(sections)
    .map(([name, options]) => `[${name}]\n${options.map(([k, v]) => `${k}=${v}`).join("\n")}\n`)
    .join("\n");
}

/** Days that backups are kept: the longest retention_days of the spec's PostgreSQL with backups on. */
export function retentionDays(model: AppModel): number | undefined {
  const days = Object.values(model.postgres)
    .filter((p) => p.backups.enabled)
    .map((p) => p.backups.retention_days);
  return days.length > 0 ? Math.max(...days) : undefined;
}

/**
 * The WAL is archived at least this often (archive_timeout), in seconds: 60, or less when the RPO asks
 * for it. Half the RPO is left for the push of a segment (a process, compression, encryption, the
 * write) and for the one being pushed when the machine is lost: 30 s for an RPO of one minute, 2 s for
 * 5 s. (With four fifths, a drill under steady writes measured 7.6 s against an RPO of 5 s.)
 */
export function archiveTimeoutSeconds(model: AppModel): number {
  return Math.max(1, Math.min(60, Math.floor(model.recovery.rpo_seconds / 2)));
}

/** The stanza: one per environment (a stanza is what pgBackRest calls the backups of one cluster). */
export const stanzaOf = (model: AppModel): string => model.environment.name;

/** The configuration file's sections for the environment's cluster. */
export function pgbackrestConfig(
  model: AppModel,
  at: BackupPlaces,
  days: number,
): Record<string, IniSection> {
  const global: IniSection = [
    ["repo1-path", at.repoDir],
    // Retention in days, as the spec gives it (repo1-retention-full-type=time): full backups older
    // than that go, with the WAL only they needed; one older backup stays so the whole window restores.
    ["repo1-retention-full-type", "time"],
    ["repo1-retention-full", String(days)],
    // Encrypted at rest; the pass is given in PGBACKREST_REPO1_CIPHER_PASS, never written here.
    ["repo1-cipher-type", "aes-256-cbc"],
    ["compress-type", "lz4"],
    // A backup begins with an immediate checkpoint instead of waiting for the next one.
    ["start-fast", "y"],
    // Page checksums are checked while the files are copied (the cluster is made with them).
    ["checksum-page", "y"],
    ["log-path", `${at.repoDir}/log`],
    ["lock-path", `${at.repoDir}/lock`],
    ["spool-path", `${at.repoDir}/spool`],
    ["log-level-console", "warn"],
    ["log-level-file", "info"],
  ];
  const offsite = model.recovery.offsite;
  if (offsite) {
    // The endpoint is an https:// URL (the spec's s3-endpoint form): pgBackRest takes its host, and
    // the port apart (repo-storage-port, default 443; older releases read no port in the endpoint).
    const url = new URL(offsite.endpoint);
    global.push(
      ["repo2-type", "s3"],
      ["repo2-s3-endpoint", url.hostname],
      ...(url.port ? [["repo2-storage-port", url.port] as [string, string]] : []),
      ["repo2-s3-bucket", offsite.bucket],
      ["repo2-s3-region", offsite.region],
      // Path-style URLs: every S3-compatible service takes them, virtual hosts need DNS per bucket.
      ["repo2-s3-uri-style", "path"],
      ["repo2-path", offsite.path.startsWith("/") ? offsite.path : `/${offsite.path}`],
      ["repo2-retention-full-type", "time"],
      ["repo2-retention-full", String(days)],
      ["repo2-cipher-type", "aes-256-cbc"],
      // The certificate is always verified (repo-storage-verify-tls stays y); a private CA is given.
      ...(at.offsiteCaFile ? [["repo2-storage-ca-file", at.offsiteCaFile] as [string, string]] : []),
    );
  }
  return {
    global,
    // A recovering server asks for its WAL a segment at a time, each a process that reads, decrypts and
    // decompresses it: 1 GB of WAL took 19 s to replay that way (bench/recovery). Asynchronous
    // archive-get fetches the next segments into the spool, in parallel, while it replays (pgBackRest
    // configuration reference: archive-async, archive-get-queue-max). Archive-push stays synchronous.
    "global:archive-get": [
      ["archive-async", "y"],
      ["process-max", String(Math.max(1, at.processes))],
    ],
    [stanzaOf(model)]: [
      ["pg1-path", at.dataDir],
      ["pg1-port", String(at.port)],
      ["pg1-socket-path", at.socketDir],
      ["pg1-user", "gantry"],
    ],
  };
}

/**
 * The variables every pgBackRest process of the environment gets: the configuration file and stanza,
 * the cipher pass of each repository, the S3 key pair, and the password it logs in to PostgreSQL with.
 */
export function pgbackrestEnv(
  model: AppModel,
  configFile: string,
  secrets: BackupSecrets,
  pgPassword?: string,
): Record<string, string> {
  return {
    PGBACKREST_CONFIG: configFile,
    PGBACKREST_STANZA: stanzaOf(model),
    PGBACKREST_REPO1_CIPHER_PASS: secrets.cipherPass,
    ...(model.recovery.offsite
      ? {
          PGBACKREST_REPO2_CIPHER_PASS: secrets.cipherPass,
          ...(secrets.s3
            ? { PGBACKREST_REPO2_S3_KEY: secrets.s3.key, PGBACKREST_REPO2_S3_KEY_SECRET: secrets.s3.secret }
            : {}),
        }
      : {}),
    ...(pgPassword ? { PGPASSWORD: pgPassword } : {}),
  };
}

/** Quotes a word for /bin/sh, which runs archive_command. */
const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The server settings (`-c name=value`) of a cluster whose WAL is archived: archive_command pushes each
 * segment with pgBackRest (which reads its configuration and stanza from the server's environment),
 * archive_timeout bounds how far behind the archive is, and commit timestamps let a drill measure the
 * recovery point.
 */
export function archiveSettings(model: AppModel, pgbackrestBin: string, socketDir: string): string[] {
  return [
    "wal_level=replica",
    "archive_mode=on",
    `archive_command=${sh(pgbackrestBin)} archive-push %p`,
    `archive_timeout=${archiveTimeoutSeconds(model)}s`,
    "track_commit_timestamp=on",
    // No connections while a restored cluster replays its WAL: the server answers once it is whole.
    "hot_standby=off",
    `unix_socket_directories=${socketDir}`,
  ];
}
