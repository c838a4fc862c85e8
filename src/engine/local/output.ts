// A child process's output, line by line, for the logs of instances and job runs.

/** Pause after each read, so that lines gather in the pipe (see eachLine). */
const READ_PAUSE_MS = 10;

/**
 * Calls `lines` with the complete lines of each read of a stream (the last one too when it has no
 * newline); resolves once the stream has closed. Reads are batched: each costs a wake-up and a system call, and an instance
 * that logs every request would otherwise cost the supervisor (and the proxy, which shares its event
 * loop) one read per request. After a read the stream pauses for READ_PAUSE_MS while lines gather in
 * the pipe (64 KiB): at most 100 reads a second, and a process can write 6 MB/s before its writes wait.
 */
export function eachLines(
  stream: NodeJS.ReadableStream | null,
  lines: (texts: string[]) => void,
): Promise<void> {
  if (!stream) return Promise.resolve();
  let partial = "";
  let paused = false;
  stream.on("data", (d: Buffer) => {
    const got = (partial + d.toString("utf8")).split("\n");
    partial = got.pop() ?? "";
    // A very long line without a newline is passed on in pieces rather than held without bound.
    if (partial.length > 64 * 1024) {
      got.push(partial);
      partial = "";
    }
    if (got.length > 0) lines(got);
    if (!paused) {
      paused = true;
      stream.pause();
      setTimeout(() => {
        paused = false;
        stream.resume();
      }, READ_PAUSE_MS);
    }
  });
  stream.on("end", () => {
    if (partial) lines([partial]);
  });
  return new Promise((resolve) => stream.once("close", () => resolve()));
}

/** eachLines, one line at a time. */
export function eachLine(stream: NodeJS.ReadableStream | null, line: (text: string) => void): Promise<void> {
  return eachLines(stream, (texts) => {
    for (const t of texts) line(t);
  });
}
