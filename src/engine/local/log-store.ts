// The logs of the services and jobs (`.gantry/<env>/logs/<service>.log`), as the supervisor writes
// them: one line each as `<time> <instance> | <text>`, redacted, batched, and never fatal.
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";

export interface LogStoreOptions {
  dir: string;
  /** Applied to every line before it is written: secret values never reach a log. */
  redact: (s: string) => string;
  /** A note for the supervisor's own log (a file that cannot be written). */
  note: (msg: string) => void;
}

export class LogStore {
  private readonly streams = new Map<string, WriteStream>();
  private readonly buffers = new Map<WriteStream, string[]>();
  private readonly services = new WeakMap<WriteStream, string>();
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

  private flush(): void {
    this.flushTimer = undefined;
    for (const [stream, lines] of this.buffers) {
      const service = this.services.get(stream);
      stream.write(lines.join(""), (e) => {
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
