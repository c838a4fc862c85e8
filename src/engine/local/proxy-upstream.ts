// The proxy's connections to the instances: keep-alive, by port, read through one shared buffer.
import net from "node:net";
import type { ClientConnection } from "./proxy-fast.js";

/**
 * Idle upstream connections are closed before the instance would close them (Node's default is 5 s,
 * announced as `Keep-Alive: timeout=5`): reusing a connection the instance is closing loses the request.
 */
export const UPSTREAM_IDLE_MS = 4000;

/**
 * Instance connections read into this one buffer (net's `onread`) rather than a new 64 KiB buffer
 * and a stream push per read; what a read brought is copied out at once, since the next read reuses it.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

export class Upstream {
  exchange: ClientConnection | undefined;
  /** While pooled: when it stops being safe to reuse (ms since the epoch). */
  idleUntil = 0;
  readonly socket: net.Socket;
  /** The code of the socket's error, if it had one (ECONNREFUSED, ECONNRESET), for the metrics. */
  error: string | undefined;

  constructor(
    readonly port: number,
    private readonly pool: UpstreamPool,
  ) {
    const socket = net.connect({
      port,
      host: "127.0.0.1",
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, buf: Uint8Array) => {
          if (this.exchange) this.exchange.onUpstreamData(Buffer.copyBytesFrom(buf, 0, n));
          else socket.destroy(); // bytes nobody asked for: the connection cannot be trusted any more
          return true;
        },
      },
    });
    this.socket = socket;
    socket.on("error", (e: NodeJS.ErrnoException) => (this.error = e.code)); // reported through "close"
    socket.on("close", () => {
      this.pool.forget(this);
      const ex = this.exchange;
      this.exchange = undefined;
      ex?.onUpstreamClosed(this);
    });
  }
}

/**
 * Keep-alive connections to the instances, by port. Each request in progress holds one; idle ones are
 * kept while all of them together stay within `maxOpen`, so a burst of concurrent requests does not
 * leave as many idle connections (file descriptors) behind.
 */
export class UpstreamPool {
  constructor(
    private readonly maxIdleMs = UPSTREAM_IDLE_MS,
    private readonly maxOpen = Infinity,
  ) {}
  private readonly idle = new Map<number, Upstream[]>();
  private live: ReadonlySet<number> = new Set();
  /** Connections open now, in use or idle. */
  open = 0;

  acquire(port: number): Upstream {
    const list = this.idle.get(port);
    const now = Date.now();
    while (list && list.length > 0) {
      const u = list.pop()!;
      if (u.socket.destroyed) continue;
      if (u.idleUntil < now) u.socket.destroy();
      else return u;
    }
    this.open++;
    return new Upstream(port, this);
  }

  /** `keepAliveMs`: how long the instance said it keeps an idle connection (Keep-Alive: timeout=N). */
  release(u: Upstream, keepAliveMs = Infinity): void {
    if (u.socket.destroyed) return;
    const idleMs = Math.min(this.maxIdleMs, keepAliveMs - 1000);
    if (!this.live.has(u.port) || idleMs <= 0 || this.open > this.maxOpen) {
      u.socket.destroy();
      return;
    }
    u.idleUntil = Date.now() + idleMs;
    let list = this.idle.get(u.port);
    if (!list) this.idle.set(u.port, (list = []));
    list.push(u);
  }

  /**
   * Closes pooled connections past their idle time, so an instance is not held open by them. Run by
   * the proxy every second: one timer for all connections rather than one per connection, which
   * every read and write would have to re-arm.
   */
  sweep(now: number): void {
    for (const list of this.idle.values()) {
      // Released connections are appended: the oldest come first.
      let n = 0;
      while (n < list.length && list[n]!.idleUntil < now) list[n++]!.socket.destroy();
      if (n > 0) list.splice(0, n);
    }
  }

  /** `u` closed. */
  forget(u: Upstream): void {
    this.open--;
    const list = this.idle.get(u.port);
    const i = list ? list.indexOf(u) : -1;
    if (i >= 0) list!.splice(i, 1);
  }

  /** The ports in the routing table; idle connections to any other port are closed, so a drained instance can exit. */
  setLive(ports: ReadonlySet<number>): void {
    this.live = ports;
    for (const [port, list] of this.idle)
      if (!ports.has(port)) {
        this.idle.delete(port);
        for (const u of list) u.socket.destroy();
      }
  }

  destroy(): void {
    for (const list of this.idle.values()) for (const u of list) u.socket.destroy();
    this.idle.clear();
    this.live = new Set();
  }
}
