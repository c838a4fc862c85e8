// The logs of the services and jobs (`.gantry/<env>/logs/<service>.log`), as the supervisor writes
// them: one line each as `<time> <instance> | <text>`, redacted, batched, and never fatal. A log that
// passes maxBytes is rotated: `<service>.log.1` is the one before, up to `.log.<keep>`, and the oldest
// is deleted, so logs never fill the disk.
import { createWriteStream, mkdirSync, renameSync, rmSync, statSync, type WriteStream } from "node:fs";
import { join } from "node:path";

export interface LogStoreOptions {
  dir: string;
  /** Applied to every line before it is written: secret values never reach a log. */
  redact: (s: string) => string;
  /** A note for the supervisor's own log (a file that cannot be written). */
  note: (msg: string) => void;
  /** The size at which a log is rotated (default 10 MiB), and how many rotated ones are kept (3). */
  maxBytes?: number;
  keep?: number;
}

/** A file's size; 0 when it cannot be read (the stream's error says why). */
function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

export const LOG_MAX_BYTES = 10 * 1024 * 1024;
export const LOG_KEEP = 3;

export class LogStore {
  private readonly streams = new Map<string, WriteStream>();
  private readonly buffers = new Map<WriteStream, string[]>();
  private readonly services = new WeakMap<WriteStream, string>();
  /** The size of each open log file, with what was written to it since. */
  private readonly sizes = new Map<WriteStream, number>();
  /** Services whose log file failed; noted once until it is written again. */
  private readonly failing = new Set<string>();
  private flushTimer?: NodeJS.Timeout;

  constructor(private readonly o: LogStoreOptions) {}

  /** Lines to a service's (or job's) log. */
  write(service: string, instance: string, texts: string | string[]): void {
    const s = this.streams.get(service) ?? this.open(service);
    // Lines are batched and written every 100 ms: one file write per line would cost the proxy, which
    // shares this event loop, a thread-pool round trip for every request an instance logs. The lines
    // of one read share a time and go through redaction together.
    const prefix = `${new Date().toISOString()} ${instance} | `;
    const text = this.o.redact(typeof texts === "string" ? texts : texts.join("\n"));
    const chunk = `${prefix}${text.replaceAll("\n", `\n${prefix}`)}\n`;
    const pending = this.buffers.get(s);
    if (pending) pending.push(chunk);
    else this.buffers.set(s, [chunk]);
    this.flushTimer ??= setTimeout(() => this.flush(), 100);
  }

  /**
   * Opens a service's log file for appending. A failing file (its directory removed, the disk full)
   * must not take the supervisor down with everything it runs: the error is noted once, the stream
   * dropped with its pending lines, and the next line opens the file again (and its directory).
   */
  private open(service: string): WriteStream {
    const file = join(this.o.dir, `${service}.log`);
    try {
      mkdirSync(this.o.dir, { recursive: true });
    } catch {
      /* the stream's error says why */
    }
    const s = createWriteStream(file, { flags: "a" });
    this.sizes.set(s, fileSize(file));
    s.on("error", (e) => {
      if (this.streams.get(service) === s) this.streams.delete(service);
      this.buffers.delete(s);
      s.destroy();
      if (this.failing.has(service)) return;
      this.failing.add(service);
      this.o.note(`could not write ${file}: ${e.message}; its lines are lost until it can be written again`);
    });
    this.streams.set(service, s);
    this.services.set(s, service);
    return s;
  }

  /**
   * Starts a new file for a service's log: the current one becomes `.log.1` (lines still being written
   * to it land there, through its open descriptor), and the others move one up.
   */
  private rotate(service: string, old: WriteStream): WriteStream {
    const file = join(this.o.dir, `${service}.log`);
    const keep = this.o.keep ?? LOG_KEEP;
    try {
      rmSync(`${file}.${keep}`, { force: true });
      for (let i = keep - 1; i >= 1; i--)
        if (statSync(`${file}.${i}`, { throwIfNoEntry: false }))
          renameSync(`${file}.${i}`, `${file}.${i + 1}`);
      renameSync(file, `${file}.1`);
    } catch (e) {
      this.o.note(`could not rotate ${file}: ${(e as Error).message}`);
    }
    old.end();
    this.streams.delete(service);
    this.sizes.delete(old);
    return this.open(service);
  }

  private flush(): void {
    this.flushTimer = undefined;
    const max = this.o.maxBytes ?? LOG_MAX_BYTES;
    for (const [current, lines] of this.buffers) {
      const service = this.services.get(current);
      const text = lines.join("");
      const size = (this.sizes.get(current) ?? 0) + Buffer.byteLength(text);
      // Rotated before a write that would pass the limit, unless the file is empty (one huge write).
      const stream =
        service !== undefined && size > max && (this.sizes.get(current) ?? 0) > 0
          ? this.rotate(service, current)
          : current;
      this.sizes.set(stream, (this.sizes.get(stream) ?? 0) + Buffer.byteLength(text));
      stream.write(text, (e) => {
        if (!e && service !== undefined && this.failing.delete(service))
          this.o.note(`${service}.log is written again`);
      });
    }
    this.buffers.clear();
  }

  /** Writes what is pending and closes every file; resolves once they are written. */
  async close(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flush();
    await Promise.all([...this.streams.values()].map((s) => new Promise<void>((r) => s.end(() => r()))));
  }
}
