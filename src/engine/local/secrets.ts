// Encrypted secrets for the local runtime. Values are sealed with AES-256-GCM under a random 256-bit key
// kept in `.gantry/secrets.key` (mode 0600) or given in GANTRY_SECRETS_KEY; the secret's name and version
// are bound in as additional data, so a sealed value cannot be moved to another name. Every version is
// kept (the last few), so a release can be rolled back together with the secrets it was deployed with.
//
// The store is changed under a lock (concurrent `secrets set` and the supervisor's own password write
// would otherwise lose each other's versions), refuses to read a damaged file as an empty one (the next
// write would drop every secret), and records a check value sealed with its key, so a second key
// cannot silently seal part of it.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { UserError } from "../../errors.js";
import { writeJsonAtomic } from "./fsutil.js";
import { acquireLock } from "./lock.js";

const KEEP_VERSIONS = 10;
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names Gantry uses for its own credentials (database passwords); hidden from `secrets list`. */
export const INTERNAL_PREFIX = "__gantry_";

export interface Sealed {
  version: number;
  iv: string;
  tag: string;
  data: string;
  at: string;
}

interface StoreFile {
  format: 1;
  /** A constant sealed with the store's key: a set with another key is refused. */
  check?: Sealed;
  secrets: Record<string, { versions: Sealed[] }>;
}

const CHECK_NAME = "__gantry_key_check";
const CHECK_VALUE = "gantry";

export function parseKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, "hex") : Buffer.from(t, "base64");
  if (key.length !== 32)
    throw new UserError(
      "GANTRY_SECRETS_KEY must be 32 bytes, as 64 hex digits or base64",
      "generate one with `openssl rand -hex 32`",
    );
  return key;
}

/**
 * The key from the environment variable, else the key file, created with a random key on first use.
 * Two commands creating it at once both end up with the one that was put in place first (link(2)).
 */
export function loadKey(keyFile: string, envKey: string | undefined, create = true): Buffer | undefined {
  if (envKey) return parseKey(envKey);
  const fromFile = () => {
    try {
      return parseKey(readFileSync(keyFile, "utf8"));
    } catch (e) {
      if (e instanceof UserError)
        throw new UserError(`${keyFile} does not hold a key (32 bytes, as 64 hex digits or base64)`, e.hint);
      throw e;
    }
  };
  if (existsSync(keyFile)) return fromFile();
  if (!create) return undefined;
  mkdirSync(dirname(keyFile), { recursive: true });
  const draft = `${keyFile}.${process.pid}.tmp`;
  writeFileSync(draft, randomBytes(32).toString("hex") + "\n", { mode: 0o600 });
  chmodSync(draft, 0o600);
  try {
    linkSync(draft, keyFile);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  } finally {
    unlinkSync(draft);
  }
  return fromFile();
}

export function seal(key: Buffer, name: string, version: number, value: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(`${name}\0${version}`));
  const data = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
  return {
    version,
    iv: iv.toString("base64"),
    tag: cipher.getAuthTag().toString("base64"),
    data: data.toString("base64"),
    at: new Date().toISOString(),
  };
}

export function unseal(key: Buffer, name: string, s: Sealed): string {
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(s.iv, "base64"));
  decipher.setAAD(Buffer.from(`${name}\0${s.version}`));
  decipher.setAuthTag(Buffer.from(s.tag, "base64"));
  try {
    return Buffer.concat([decipher.update(Buffer.from(s.data, "base64")), decipher.final()]).toString("utf8");
  } catch {
    throw new UserError(
      `cannot decrypt secret ${name}: the key does not match`,
      "use the GANTRY_SECRETS_KEY or .gantry/secrets.key the secret was set with",
    );
  }
}

/**
 * The store of an environment with its key. A key file is only made for a store that does not exist
 * yet: a new key for existing secrets could not open them, and would then seal new ones apart.
 */
export function openStore(p: { secrets: string; keyFile: string }, envKey: string | undefined): SecretStore {
  const key = loadKey(p.keyFile, envKey, !existsSync(p.secrets));
  if (!key)
    throw new UserError(
      `${p.secrets} holds secrets but there is no key for them: neither GANTRY_SECRETS_KEY nor ${p.keyFile}`,
      "set GANTRY_SECRETS_KEY to the key they were set with, or put back the key file",
    );
  return new SecretStore(p.secrets, key);
}

export class SecretStore {
  constructor(
    readonly file: string,
    private readonly key: Buffer,
  ) {}

  private read(): StoreFile {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return { format: 1, secrets: {} };
      throw e;
    }
    try {
      const f = JSON.parse(text) as StoreFile;
      if (typeof f.secrets === "object" && f.secrets !== null) return f;
    } catch {
      /* below */
    }
    throw new UserError(
      `${this.file} is damaged: it is not a secrets store Gantry can read, and nothing was changed`,
      "restore it from a backup; to start over, move it away and set the secrets again",
    );
  }

  /** Reads, changes and writes the store under its lock; refuses a key other than the store's own. */
  private change<T>(edit: (f: StoreFile) => T): T {
    // Another command changing it is waited for (up to 10 s) rather than refused.
    const lock = acquireLock(`${this.file}.lock`, "secrets", process.pid, 10_000);
    try {
      const f = this.read();
      if (f.check) unsealCheck(this.key, f.check);
      else if (Object.keys(f.secrets).length > 0) {
        // A store from before the check: its key is the one that opens its secrets.
        const [name, e] = Object.entries(f.secrets)[0]!;
        const last = e.versions.at(-1);
        if (last) unseal(this.key, name, last);
      }
      f.check ??= seal(this.key, CHECK_NAME, 0, CHECK_VALUE);
      const result = edit(f);
      writeJsonAtomic(this.file, f, 0o600);
      return result;
    } finally {
      lock.release();
    }
  }

  names(includeInternal = false): string[] {
    return Object.keys(this.read().secrets)
      .filter((n) => includeInternal || !n.startsWith(INTERNAL_PREFIX))
      .sort();
  }

  info(): { name: string; version: number; updated: string }[] {
    const f = this.read();
    return this.names().map((name) => {
      const last = f.secrets[name]!.versions.at(-1)!;
      return { name, version: last.version, updated: last.at };
    });
  }

  /** Stores a new version and returns its number. */
  set(name: string, value: string): number {
    if (!SECRET_NAME.test(name))
      throw new UserError(
        `invalid secret name ${JSON.stringify(name)}`,
        "use letters, digits and underscores, such as STRIPE_API_KEY",
      );
    return this.change((f) => {
      const entry = f.secrets[name] ?? { versions: [] };
      const version = (entry.versions.at(-1)?.version ?? 0) + 1;
      entry.versions = [...entry.versions, seal(this.key, name, version, value)].slice(-KEEP_VERSIONS);
      f.secrets[name] = entry;
      return version;
    });
  }

  remove(name: string): boolean {
    if (!(name in this.read().secrets)) return false;
    return this.change((f) => {
      const had = name in f.secrets;
      f.secrets = Object.fromEntries(Object.entries(f.secrets).filter(([n]) => n !== name));
      return had;
    });
  }

  /** The newest version of each secret. */
  versions(): Record<string, number> {
    const f = this.read();
    return Object.fromEntries(
      Object.entries(f.secrets).map(([n, e]) => [n, e.versions.at(-1)?.version ?? 0]),
    );
  }

  /** A secret's value (a given version, else the newest); undefined when it is not set. */
  get(name: string, version?: number): string | undefined {
    const e = this.read().secrets[name];
    if (!e) return undefined;
    const s =
      version === undefined
        ? e.versions.at(-1)
        : (e.versions.find((v) => v.version === version) ?? e.versions.at(-1));
    return s ? unseal(this.key, name, s) : undefined;
  }
}

function unsealCheck(key: Buffer, check: Sealed): void {
  try {
    unseal(key, CHECK_NAME, check);
  } catch {
    throw new UserError(
      "this key is not the one the secrets store was sealed with, so nothing was changed",
      "use the GANTRY_SECRETS_KEY or .gantry/secrets.key the other secrets were set with",
    );
  }
}

/**
 * Values shorter than this are not redacted: a value such as "abc" or "1" would be replaced inside
 * unrelated words everywhere and wreck the logs. `gantry secrets set` warns about them.
 */
export const REDACT_MIN_LENGTH = 4;

/**
 * The forms in which a value can reach a log: itself; its JSON-escaped form (a program printing it
 * with JSON.stringify escapes `"`, `\\` and newlines); and, for a multi-line value such as a PEM key,
 * each of its lines, because logs are read and redacted a read or a line at a time, so the whole value
 * never has to appear in one piece.
 */
function redactedForms(value: string): string[] {
  // A line of a few characters (a blank one, "}") is as harmless, and as common, as a short value.
  const lines = value.includes("\n")
    ? value.split(/\r?\n/).filter((l) => l.trim().length >= REDACT_MIN_LENGTH)
    : [];
  return [value, JSON.stringify(value).slice(1, -1), ...lines];
}

/**
 * Replaces every secret value in a text by a marker. Longest forms first, so a value containing
 * another (or a whole value containing its own lines) is caught whole.
 */
export function redactor(values: Record<string, string>): (text: string) => string {
  const marks = new Map<string, string>();
  for (const [name, v] of Object.entries(values)) {
    if (v.length < REDACT_MIN_LENGTH) continue;
    const mark = `[redacted:${name.startsWith(INTERNAL_PREFIX) ? "gantry" : name}]`;
    for (const form of redactedForms(v)) if (!marks.has(form)) marks.set(form, mark);
  }
  const pairs = [...marks].sort((a, b) => b[0].length - a[0].length);
  if (pairs.length === 0) return (t) => t;
  return (text) => {
    let out = text;
    for (const [form, mark] of pairs) if (out.includes(form)) out = out.split(form).join(mark);
    return out;
  };
}
