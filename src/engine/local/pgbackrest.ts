// Running pgBackRest for an environment: where its repository lives, the key it encrypts with, its
// configuration file written from backup-config.ts, and each command run as the user PostgreSQL runs
// as (its files are theirs). The repository is `.gantry/<env>/backups/`; a cluster placed outside the
// app because the postgres user could not reach it there (postgres-location.ts) has its repository
// next to it, for the same reason (the server itself pushes the WAL), and `gantry destroy` removes both.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { AppModel } from "../../model/types.js";
import { UserError } from "../../errors.js";
import { exec, type ExecResult } from "../../util/exec.js";
import {
  stanzaOf,
  archiveSettings,
  pgbackrestConfig,
  pgbackrestEnv,
  printIni,
  retentionDays,
  type BackupSecrets,
} from "./backup-config.js";
import { writeFileAtomic } from "./fsutil.js";
import { dataUser, findOnPath, privateDir, type RunAs } from "./infra.js";
import type { EnvPaths } from "./paths.js";
import { postgresDataDir, postgresOutside } from "./postgres-location.js";
import { loadKey, type SecretStore } from "./secrets.js";

/**
 * The secrets that hold the offsite repository's S3 key pair: set with `gantry secrets set`, or given
 * in the environment of `gantry up` and the recovery commands under the same names (a machine being
 * rebuilt from the offsite copy has no secrets store yet).
 */
const S3_KEY = "GANTRY_BACKUP_S3_KEY";
const S3_SECRET = "GANTRY_BACKUP_S3_SECRET";

/** Where pgBackRest is when it is not on PATH (Homebrew's prefixes). */
const OTHER_BINS = ["/usr/bin", "/opt/homebrew/bin", "/usr/local/bin", "/home/linuxbrew/.linuxbrew/bin"];

export function findPgbackrest(pathEnv: string | undefined): string | undefined {
  return (
    findOnPath("pgbackrest", pathEnv) ??
    OTHER_BINS.map((d) => join(d, "pgbackrest")).find((p) => existsSync(p))
  );
}

/** Whether the environment's PostgreSQL is backed up: some database of the spec has backups on. */
export const backedUp = (model: AppModel): boolean => retentionDays(model) !== undefined;

/** The folder of an environment's backups: the pgBackRest repository, Redis snapshots, the config. */
export function backupRoot(p: EnvPaths): string {
  const outside = postgresOutside(p);
  return outside ? join(dirname(outside), "backups") : join(p.dir, "backups");
}

/** Where drill reports are kept. */
export const drillsDir = (p: EnvPaths): string => join(p.dir, "drills");

/** The server's socket directory: short (a socket path has ~107 bytes) and private to its user. */
export function socketDir(p: EnvPaths): string {
  return join(tmpdir(), `gantry-pg-${createHash("sha256").update(p.dir).digest("hex").slice(0, 16)}`);
}

/**
 * The repository cipher key: `.gantry/backup.key` (mode 0600, made on first use), kept like the
 * secrets key. Without it no backup can be read: keep a copy away from this machine.
 */
export function backupKeyFile(p: EnvPaths): string {
  return join(p.root, "backup.key");
}

export interface Pgbackrest {
  bin: string;
  model: AppModel;
  paths: EnvPaths;
  configFile: string;
  repoDir: string;
  dataDir: string;
  socketDir: string;
  /** Variables for every pgBackRest process (and the PostgreSQL server, whose archive_command runs it). */
  env: Record<string, string>;
  baseEnv: Record<string, string>;
  runAs?: RunAs;
  /** Makes the repository's directories and configuration file again when they are gone. */
  prepare: () => void;
}

/** The offsite key pair: from the secrets store, else from the environment; refused when half or none is there. */
function s3KeyPair(model: AppModel, store: SecretStore, env: Record<string, string>): BackupSecrets["s3"] {
  if (!model.recovery.offsite) return undefined;
  const key = store.get(S3_KEY) ?? env[S3_KEY];
  const secret = store.get(S3_SECRET) ?? env[S3_SECRET];
  if (key && secret) return { key, secret };
  throw new UserError(
    `recovery.offsite needs the S3 key pair of ${model.recovery.offsite.endpoint}: ${[key ? "" : S3_KEY, secret ? "" : S3_SECRET].filter(Boolean).join(" and ")} not set`,
    `set them with \`gantry secrets set ${S3_KEY}\` and \`gantry secrets set ${S3_SECRET}\` (or in the environment), or remove recovery.offsite`,
  );
}

/** The CA bundle of `recovery.offsite.ca_file`, relative to the spec's folder; refused when it is not a file. */
function offsiteCa(model: AppModel, paths: EnvPaths): string | undefined {
  const written = model.recovery.offsite?.ca_file;
  if (!written) return undefined;
  const file = resolve(paths.appDir, written);
  if (!statSync(file, { throwIfNoEntry: false })?.isFile())
    throw new UserError(
      `recovery.offsite.ca_file: ${file} is not a file`,
      "give the PEM file of the certificate authority that signs the endpoint's certificate",
    );
  return file;
}

/**
 * Sets pgBackRest up for the environment: the repository's directories (the data user's), the
 * configuration file, and what it needs in its environment. `pgPassword`: the superuser's, for the
 * commands that talk to the server (backup, check, stanza-create).
 */
export function openPgbackrest(o: {
  paths: EnvPaths;
  model: AppModel;
  store: SecretStore;
  baseEnv: Record<string, string>;
  port: number;
  pgPassword?: string;
  /** Another data directory (a drill's scratch cluster); default: the environment's. */
  dataDir?: string;
}): Pgbackrest {
  const bin = findPgbackrest(o.baseEnv.PATH);
  if (!bin)
    throw new UserError(
      "pgBackRest is not installed: Gantry backs PostgreSQL up with it",
      "install it with `sudo apt-get install -y pgbackrest` (Debian/Ubuntu) or `brew install pgbackrest` (macOS); `gantry up` installs it itself when it may",
    );
  const days = retentionDays(o.model);
  if (days === undefined)
    throw new UserError(
      `no database of ${o.model.environment.name} has backups on`,
      "set `postgres.<name>.backups.enabled: true` in gantry.yaml",
    );
  const s3 = s3KeyPair(o.model, o.store, o.baseEnv);
  const caSource = offsiteCa(o.model, o.paths);
  const runAs = dataUser();
  const root = backupRoot(o.paths);
  const repoDir = join(root, "pgbackrest");
  const sock = socketDir(o.paths);
  const dataDir = o.dataDir ?? postgresDataDir(o.paths);
  const configFile = join(root, "pgbackrest.conf");
  // pgBackRest runs as the data user, who may not reach the spec's folder: it reads a copy.
  const offsiteCaFile = caSource ? join(root, "offsite-ca.pem") : undefined;
  const config = printIni(
    pgbackrestConfig(
      o.model,
      {
        dataDir,
        socketDir: sock,
        port: o.port,
        repoDir,
        processes: availableParallelism(),
        ...(offsiteCaFile ? { offsiteCaFile } : {}),
      },
      days,
    ),
  );
  // Again before each command when the folder was deleted (the local repository lost, the offsite
  // one still there): a restore from the offsite copy needs the file and the directories back.
  const prepare = () => {
    for (const d of [root, repoDir, join(repoDir, "log"), join(repoDir, "lock"), join(repoDir, "spool")])
      privateDir(d, runAs);
    privateDir(sock, runAs);
    if (caSource && offsiteCaFile) copyFileSync(caSource, offsiteCaFile);
    // The file holds paths and settings only; secret values go in the environment.
    writeFileAtomic(configFile, config, 0o644);
  };
  prepare();
  const cipherPass = loadKey(backupKeyFile(o.paths), undefined)!.toString("hex");
  const secrets: BackupSecrets = { cipherPass, ...(s3 ? { s3 } : {}) };
  return {
    bin,
    model: o.model,
    paths: o.paths,
    configFile,
    repoDir,
    dataDir,
    socketDir: sock,
    env: pgbackrestEnv(o.model, configFile, secrets, o.pgPassword),
    baseEnv: o.baseEnv,
    ...(runAs ? { runAs } : {}),
    prepare,
  };
}

/** The server settings of a cluster whose WAL pgBackRest archives (see backup-config.ts). */
export function serverSettings(b: Pgbackrest): string[] {
  return archiveSettings(b.model, b.bin, b.socketDir);
}

/** Runs one pgBackRest command; a failure is an Error with the end of what it said. */
export async function pgbackrest(
  b: Pgbackrest,
  args: string[],
  timeoutMs = 30 * 60_000,
  signal?: AbortSignal,
): Promise<ExecResult> {
  if (!existsSync(b.configFile) || !existsSync(join(b.repoDir, "log"))) b.prepare();
  const r = await exec(b.bin, args, {
    env: { ...b.baseEnv, ...b.env },
    cwd: "/",
    timeoutMs,
    ...(signal ? { signal } : {}),
    ...(b.runAs ? { uid: b.runAs.uid, gid: b.runAs.gid } : {}),
  });
  if (r.code !== 0) {
    const said = `${r.stderr}${r.stdout}`.trim().split("\n").slice(-5).join("\n");
    throw new Error(
      `pgbackrest ${args[0]} failed (${r.timedOut ? "timed out" : `exit ${r.code}`}): ${said}; see ${join(b.repoDir, "log")}`,
    );
  }
  return r;
}

/** The stanza exists (made on the first start; run again it only checks that it matches the cluster). */
export async function ensureStanza(b: Pgbackrest): Promise<void> {
  await pgbackrest(b, ["stanza-create"], 120_000);
}

export type BackupKind = "full" | "diff" | "incr";

/** The repositories of the environment: 1 on this disk, 2 on S3-compatible storage (`recovery.offsite`). */
const reposOf = (model: AppModel): number[] => (model.recovery.offsite ? [1, 2] : [1]);

/**
 * Takes a backup now into each repository (`backup` writes to repository 1 only unless told another,
 * while archive-push sends the WAL to all); `reason` is recorded with it (scheduled, manual,
 * before-restore, before-migrate v3). Returns each repository's new backup, the local one first.
 */
export async function takeBackup(
  b: Pgbackrest,
  kind: BackupKind,
  reason: string,
  signal?: AbortSignal,
): Promise<BackupInfo & { offsiteId?: string }> {
  const taken: BackupInfo[] = [];
  for (const repo of reposOf(b.model)) {
    await pgbackrest(
      b,
      ["backup", `--repo=${repo}`, `--type=${kind}`, `--annotation=gantry-reason=${reason}`],
      undefined,
      signal,
    ).catch((e: unknown) => {
      // The local one is there to restore from: say so when only the offsite copy failed.
      if (taken.length > 0)
        (e as Error).message = `backup ${taken[0]!.id} was taken here, and ${(e as Error).message}`;
      throw e;
    });
    const newest = (await listBackups(b)).filter((x) => x.repos.includes(repo)).at(-1);
    if (!newest)
      throw new Error(`pgbackrest backup reported success, and no backup is in repository ${repo}`);
    taken.push(newest);
  }
  const [local, offsite] = taken;
  return { ...local!, ...(offsite ? { offsiteId: offsite.id } : {}) };
}

/** One backup as `gantry backups` shows it. */
export interface BackupInfo {
  id: string;
  kind: BackupKind;
  reason?: string;
  /** The backup began and ended (the recoverable window starts at its end). */
  startedAt: string;
  endedAt: string;
  /** What the backup restores (the database's size) and what it takes in the repository. */
  sizeBytes: number;
  repoBytes: number;
  /** The backup it depends on, for an incremental or differential one. */
  prior?: string;
  /** The repositories that hold it (1: this disk, 2: offsite). */
  repos: number[];
  /** Where its WAL ends: the first consistent point it restores to. */
  stopLsn: string;
}

interface InfoJson {
  archive?: { id: string; max: string | null; database?: { "repo-key"?: number } }[];
  backup?: {
    label: string;
    type: BackupKind;
    prior: string | null;
    archive: { start: string; stop: string };
    lsn: { start: string; stop: string };
    timestamp: { start: number; stop: number };
    info: { size: number; repository: { delta: number } };
    database?: { "repo-key"?: number };
    annotation?: Record<string, string>;
  }[];
}

const iso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();

/** The stanza's `info`: its backups and its archive, read in one pgBackRest process. */
async function readInfo(b: Pgbackrest): Promise<InfoJson | undefined> {
  const r = await pgbackrest(b, ["info", "--output=json"], 60_000);
  return (JSON.parse(r.stdout) as InfoJson[])[0];
}

/** The backups an `info` lists, oldest first. */
function backupsIn(info: InfoJson | undefined): BackupInfo[] {
  const byId = new Map<string, BackupInfo>();
  for (const x of info?.backup ?? []) {
    const seen = byId.get(x.label);
    const repo = x.database?.["repo-key"] ?? 1;
    if (seen) {
      seen.repos.push(repo);
      continue;
    }
    byId.set(x.label, {
      id: x.label,
      kind: x.type,
      ...(x.annotation?.["gantry-reason"] ? { reason: x.annotation["gantry-reason"] } : {}),
      startedAt: iso(x.timestamp.start),
      endedAt: iso(x.timestamp.stop),
      sizeBytes: x.info.size,
      repoBytes: x.info.repository.delta,
      ...(x.prior ? { prior: x.prior } : {}),
      repos: [repo],
      stopLsn: x.lsn.stop,
    });
  }
  return [...byId.values()].sort((a, b) => a.endedAt.localeCompare(b.endedAt));
}

/** The backups in the repositories, oldest first. */
export async function listBackups(b: Pgbackrest): Promise<BackupInfo[]> {
  return backupsIn(await readInfo(b));
}

/**
 * When the newest WAL segment reached repository 1 (the end of the recoverable window, give or take
 * archive_timeout), read from the archive's files: it answers while PostgreSQL is down.
 */
export function newestArchived(b: Pgbackrest): string | undefined {
  let newest = 0;
  const walk = (dir: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory() && depth < 3) walk(p, depth + 1);
      else if (st.isFile() && /^[0-9A-F]{24}/.test(e)) newest = Math.max(newest, st.mtimeMs);
    }
  };
  walk(join(b.repoDir, "archive", b.model.environment.name), 0);
  return newest > 0 ? new Date(newest).toISOString() : undefined;
}

/** An LSN ("16/B374D848") as a number that orders them. */
const lsn = (text: string): bigint => {
  const [hi, lo] = text.split("/");
  return (BigInt(`0x${hi ?? "0"}`) << 32n) | BigInt(`0x${lo ?? "0"}`);
};

/**
 * The backup to restore from for a target: the newest one that ended by `before` (all when undefined)
 * and lies on the history of the newest timeline. Each restore that promotes starts a timeline, and
 * recovery follows the newest one; a backup taken on a branch that timeline left (one made after the
 * point a later restore went back to) cannot reach it, and pgBackRest's own choice, by time alone,
 * would take it.
 */
async function chooseBackup(b: Pgbackrest, info: InfoJson, before?: Date): Promise<string | undefined> {
  // One entry per repository and database version; the newest version's, in the first repository
  // that holds it (the local one, unless it was lost and the offsite one is left): repo-ls and
  // repo-get read repository 1 unless told another.
  const archiveId = info.archive?.at(-1)?.id;
  const archive = info.archive?.find((a) => a.id === archiveId);
  if (!info.backup || !archive || !archiveId) return undefined;
  const repo = `--repo=${archive.database?.["repo-key"] ?? 1}`;
  const tli = (segment: string) => parseInt(segment.slice(0, 8), 16);
  const listing = await pgbackrest(b, ["repo-ls", repo, `archive/${stanzaOf(b.model)}/${archiveId}`], 60_000);
  const histories = listing.stdout
    .split("\n")
    .flatMap((l) => /^([0-9A-F]{8})\.history$/.exec(l.trim())?.[1] ?? []);
  const newest = Math.max(
    1,
    ...histories.map((h) => parseInt(h, 16)),
    ...(info.archive ?? []).map((a) => (a.max ? tli(a.max) : 1)),
  );
  // The history file of the newest timeline: each ancestor and the LSN where the line left it.
  const left = new Map<number, bigint>();
  if (newest > 1) {
    const name = `${newest.toString(16).toUpperCase().padStart(8, "0")}.history`;
    const h = await pgbackrest(
      b,
      ["repo-get", repo, `archive/${stanzaOf(b.model)}/${archiveId}/${name}`],
      60_000,
    );
    for (const line of h.stdout.split("\n")) {
      const m = /^\s*(\d+)\s+([0-9A-F]+\/[0-9A-F]+)/i.exec(line);
      if (m) left.set(Number(m[1]), lsn(m[2]!));
    }
  }
  const onLine = (x: NonNullable<InfoJson["backup"]>[number]) => {
    const t = tli(x.archive.stop);
    const until = left.get(t);
    return t === newest || (until !== undefined && lsn(x.lsn.stop) <= until);
  };
  return info.backup
    .filter((x) => onLine(x) && (!before || x.timestamp.stop * 1000 <= before.getTime()))
    .sort((x, y) => x.timestamp.stop - y.timestamp.stop)
    .at(-1)?.label;
}

/** Whether the repository has a backup to restore (the stanza has been made and backed up once). */
export function hasRepository(p: EnvPaths, model: AppModel): boolean {
  return existsSync(join(backupRoot(p), "pgbackrest", "backup", model.environment.name, "backup.info"));
}

/** What a restore goes to: the end of the archive, a time, or one backup's consistent end. */
export type RestoreTarget = { kind: "latest" } | { kind: "time"; at: Date } | { kind: "backup"; id: string };

/** A target with the backup it restores from, chosen once for the whole restore or drill. */
export interface ResolvedTarget {
  target: RestoreTarget;
  backup: BackupInfo;
  /** The moment restored to, for the Redis snapshots that go with it; none for the newest state. */
  at?: Date;
}

/**
 * Chooses the backup a target restores from (one `info`, and for the newest state or a time the
 * archive's timeline history, see chooseBackup); a target nothing can restore is a user error.
 */
export async function resolveTarget(b: Pgbackrest, target: RestoreTarget): Promise<ResolvedTarget> {
  const info = await readInfo(b);
  const all = backupsIn(info);
  if (target.kind === "backup") {
    const backup = all.find((x) => x.id === target.id);
    if (!backup) throw new UserError(`there is no backup ${target.id}`, "`gantry backups` lists them");
    return { target, backup, at: new Date(backup.endedAt) };
  }
  const id = info ? await chooseBackup(b, info, target.kind === "time" ? target.at : undefined) : undefined;
  const backup = all.find((x) => x.id === id);
  if (!backup)
    throw new UserError(
      target.kind === "time"
        ? `no backup ended by ${target.at.toISOString()} on the history being restored`
        : "there is no backup to restore",
      "`gantry backups` lists the backups and the window each restores",
    );
  return { target, backup, ...(target.kind === "time" ? { at: target.at } : {}) };
}

/** How a restore writes the data directory. */
interface RestoreMode {
  /** The copy never archives (a drill, `--into`): it must not write to the repository it came from. */
  archiveOff?: boolean;
  /**
   * Into the cluster that is there (its data is kept in a backup already): pgBackRest rewrites only the
   * files whose checksum differs and removes the others, instead of writing every file.
   */
  delta?: boolean;
  /** pgBackRest processes that copy, decompress and decrypt files at once. */
  processes?: number;
}

/** pgBackRest's restore options for a resolved target into `dataDir`. */
export function restoreArgs(r: ResolvedTarget, dataDir: string, mode: RestoreMode = {}): string[] {
  const base = [
    "restore",
    `--pg1-path=${dataDir}`,
    `--set=${r.backup.id}`,
    ...(mode.archiveOff ? ["--archive-mode=off"] : []),
    ...(mode.delta ? ["--delta"] : []),
    ...(mode.processes && mode.processes > 1 ? [`--process-max=${mode.processes}`] : []),
  ];
  const target = r.target;
  switch (target.kind) {
    case "latest":
      return [...base, "--target-timeline=latest"];
    case "time":
      return [
        ...base,
        "--target-timeline=latest",
        "--type=time",
        `--target=${target.at.toISOString().replace("T", " ").replace("Z", "+00")}`,
        "--target-action=promote",
      ];
    case "backup":
      // To the end of the backup's WAL along its own timeline: a later timeline may have left it before
      // the backup was taken (`--type=immediate` would follow the newest, and takes no timeline).
      return [
        ...base,
        "--type=lsn",
        `--target=${r.backup.stopLsn}`,
        "--target-timeline=current",
        "--target-action=promote",
      ];
  }
}

/**
 * Restores into `dataDir`: an empty one, or with `mode.delta` the cluster there (stopped). pgBackRest
 * runs with a process per core: restoring is decompressing and decrypting, and PostgreSQL is stopped.
 */
export async function restoreInto(
  b: Pgbackrest,
  r: ResolvedTarget,
  dataDir: string,
  mode: Omit<RestoreMode, "processes"> = {},
): Promise<void> {
  privateDir(dataDir, b.runAs);
  if (!mode.delta && existsSync(join(dataDir, "PG_VERSION")))
    throw new Error(`${dataDir} holds a cluster: it is moved aside before a restore`);
  mkdirSync(dataDir, { recursive: true });
  await pgbackrest(b, restoreArgs(r, dataDir, { ...mode, processes: availableParallelism() }));
}
