// The proxy's maintenance switch: while a restore puts the data back, every new connection is answered
// 503 with Retry-After and closed, and the connections open when it begins are closed (their next
// request would reach an app whose database is being replaced). Kept apart from the proxy's request
// paths, which never see a request while it is on.
import type net from "node:net";

export class Maintenance {
  private retryAfter?: number;

  constructor(
    /** The proxy's client connections now. */
    private readonly open: () => Iterable<net.Socket>,
  ) {}

  get active(): boolean {
    return this.retryAfter !== undefined;
  }

  begin(retryAfterSeconds: number): void {
    this.retryAfter = retryAfterSeconds;
    for (const s of this.open()) s.destroy();
  }

  end(): void {
    this.retryAfter = undefined;
  }

  /** Answers `socket` 503 and closes it, when on; false (and nothing done) when off. */
  refuse(socket: net.Socket): boolean {
    if (this.retryAfter === undefined) return false;
    const text = "gantry: the app's data is being restored; try again shortly\n";
    socket.on("error", () => undefined);
    socket.once("end", () => socket.destroy());
    socket.resume();
    socket.end(
      "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n" +
        `content-length: ${Buffer.byteLength(text)}\r\nretry-after: ${this.retryAfter}\r\n` +
        `cache-control: no-store\r\nconnection: close\r\n\r\n${text}`,
    );
    setTimeout(() => socket.destroy(), 1000).unref();
    return true;
  }
}
