// The proxy's fast path: plain HTTP/1.1 requests to a service are relayed byte for byte over pooled
// keep-alive connections, parsing only the heads and the framing (http1.ts). Node's http client and
// server build objects for every header of every message; relaying bytes costs a fraction of that,
// which is what lets one proxy process keep up with the instances behind it. Everything else (static
// files, WebSocket upgrades, HTTP/1.0, Expect, no ready instance) is handed, with the bytes already
// read, to the Node HTTP server in proxy.ts for the rest of that connection.
import net from "node:net";
import {
  ChunkedScanner,
  MAX_HEAD,
  forwardedHead,
  forwardedSuffix,
  headEnd,
  parseRequestHead,
  parseResponseHead,
  type RequestHead,
} from "./http1.js";
import type { Backend } from "./proxy.js";

/** What the fast path needs from the proxy. */
export interface FastPathHost {
  /** Open fast-path connections, for the idle sweep. */
  readonly clients: Set<ClientConnection>;
  /** The instance for a proxied request, or undefined to hand the connection to the slow path. */
  backendFor(head: RequestHead, exclude?: Backend): Backend | undefined;
  /** `ended`: the client sent FIN already, after `pending`. */
  handOff(socket: net.Socket, pending: Buffer, ended: boolean): void;
  readonly pool: UpstreamPool;
}

/**
 * Idle upstream connections are closed before the instance would close them (Node's default is 5 s,
 * announced as `Keep-Alive: timeout=5`): reusing a connection the instance is closing loses the request.
 */
export const UPSTREAM_IDLE_MS = 4000;
/**
 * Idle client connections are closed after this: a second more than the `Keep-Alive: timeout=5` that
 * answers from Node instances announce, so a client that trusts it never races our close.
 */
export const CLIENT_IDLE_MS = 6000;

/**
 * Instance connections read into this one buffer (net's `onread`) rather than a new 64 KiB buffer
 * and a stream push per read; what a read brought is copied out at once, since the next read reuses it.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

class Upstream {
  exchange: ClientConnection | undefined;
  /** While pooled: when it stops being safe to reuse (ms since the epoch). */
  idleUntil = 0;
  readonly socket: net.Socket;

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
    socket.on("error", () => undefined); // reported through "close"
    socket.on("close", () => {
      this.pool.forget(this);
      const ex = this.exchange;
      this.exchange = undefined;
      ex?.onUpstreamClosed(this);
    });
  }
}

/** Keep-alive connections to the instances, by port. */
export class UpstreamPool {
  constructor(private readonly maxIdleMs = UPSTREAM_IDLE_MS) {}
  private readonly idle = new Map<number, Upstream[]>();
  private live: ReadonlySet<number> = new Set();

  acquire(port: number): Upstream {
    const list = this.idle.get(port);
    const now = Date.now();
    while (list && list.length > 0) {
      const u = list.pop()!;
      if (u.socket.destroyed) continue;
      if (u.idleUntil < now) u.socket.destroy();
      else return u;
    }
    return new Upstream(port, this);
  }

  /** `keepAliveMs`: how long the instance said it keeps an idle connection (Keep-Alive: timeout=N). */
  release(u: Upstream, keepAliveMs = Infinity): void {
    if (u.socket.destroyed) return;
    const idleMs = Math.min(this.maxIdleMs, keepAliveMs - 1000);
    if (!this.live.has(u.port) || idleMs <= 0) {
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

  forget(u: Upstream): void {
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

const EMPTY = Buffer.alloc(0);

/** How long a client connection may stay idle, take to send a request's head, and the whole request. */
export interface ClientLimits {
  idleMs: number;
  headMs: number;
  requestMs: number;
}

/**
 * idle: waiting for a request; body: sending its body; wait: waiting for the answer; discard: the
 * answer came before the whole body, whose rest is read and dropped; done: closing.
 */
type Phase = "idle" | "body" | "wait" | "discard" | "done";

/** One client connection on the fast path: one exchange at a time, in order (pipelined requests wait). */
export class ClientConnection {
  private pending: Buffer = EMPTY;
  private suffix: Buffer | undefined;
  /** The Host `suffix` was made for; undefined when it holds a client's own X-Forwarded-For. */
  private suffixHost: string | undefined;
  private phase: Phase = "idle";
  // The current exchange.
  private req: RequestHead | undefined;
  private requestBytes: Buffer | undefined;
  private backend: Backend | undefined;
  private upstream: Upstream | undefined;
  private bodyLeft = 0;
  private bodyScanner: ChunkedScanner | undefined;
  private retried = false;
  private resHead: Buffer | undefined;
  private resStarted = false;
  private resLeft = 0;
  private resScanner: ChunkedScanner | undefined;
  private resCloseDelimited = false;
  private resClose = false;
  private resKeepAliveMs = Infinity;

  private lastActive = Date.now();
  /** When the first byte of the request being read came (0: none yet), for the head and request deadlines. */
  private requestSince = 0;
  private readonly onData = (d: Buffer) => this.onClientData(d);
  /** The client sent FIN: it reads answers still, but no request will follow the ones it sent. */
  private ended = false;
  private readonly onEnd = () => {
    this.ended = true;
    if (this.phase === "body" || this.phase === "discard")
      this.abort(); // a request whose body never came
    else if (this.phase === "idle") this.next();
  };
  private readonly onClose = () => this.abort();

  constructor(
    private readonly socket: net.Socket,
    private readonly host: FastPathHost,
  ) {
    socket.setNoDelay(true);
    host.clients.add(this);
    socket.on("data", this.onData);
    socket.on("error", () => undefined); // reported through "close"
    // Without half-open support an "end" from the client also ends our side: no answer can reach it.
    socket.on("end", this.onEnd);
    socket.on("close", this.onClose);
  }

  /**
   * Closes the connection when it has waited for a request too long, and answers 408 to a request
   * whose head or body comes too slowly: a client that trickles bytes must not hold a connection (and
   * an instance's in-flight count, which a drain waits for) forever.
   */
  sweep(now: number, limits: ClientLimits): void {
    const since = now - this.requestSince;
    if (this.phase === "idle" && this.pending.length > 0 && since > limits.headMs)
      this.refuse(408, "request timeout");
    else if ((this.phase === "body" || this.phase === "discard") && since > limits.requestMs) {
      if (this.phase === "body" && !this.resStarted) this.failExchange(408, "request timeout");
      else this.abort(); // part of an answer went out already
    } else if ((this.phase === "idle" || this.phase === "discard") && now - this.lastActive > limits.idleMs)
      this.socket.destroy();
  }

  private onClientData(d: Buffer): void {
    if (this.phase === "done") return;
    this.lastActive = Date.now();
    if (this.phase === "body" || this.phase === "discard") {
      this.pending = d;
      if (this.phase === "body") this.forwardBody();
      else this.discardBody();
      return;
    }
    if (this.pending.length === 0) {
      if (this.phase === "idle") this.requestSince = this.lastActive;
      this.pending = d;
    } else this.pending = Buffer.concat([this.pending, d]);
    if (this.phase === "idle") this.next();
    else if (this.phase === "wait") this.socket.pause(); // a pipelined request: it waits for this answer
  }

  /** The X-Forwarded-* lines for a request: kept while the Host stays the same and no X-Forwarded-For comes. */
  private suffixFor(head: RequestHead): Buffer {
    if (head.forwardedFor === undefined && head.host === this.suffixHost) return this.suffix!;
    const suffix = forwardedSuffix(head, this.socket.remoteAddress ?? "");
    this.suffix = suffix;
    this.suffixHost = head.forwardedFor === undefined ? head.host : undefined;
    return suffix;
  }

  /** Starts the next request in `pending`, if its head is complete. */
  private next(): void {
    const end = headEnd(this.pending);
    if (end < 0) {
      if (this.pending.length > MAX_HEAD) this.refuse(431, "request header fields too large");
      else if (this.ended) {
        // Everything the client sent is answered: close our side too.
        this.phase = "done";
        this.socket.end();
      }
      return;
    }
    if (end > MAX_HEAD) {
      this.refuse(431, "request header fields too large");
      return;
    }
    const head = parseRequestHead(this.pending, end);
    if (head === "bad") {
      this.refuse(400, "bad request");
      return;
    }
    const backend = head === "slow" ? undefined : this.host.backendFor(head);
    if (head === "slow" || !backend) {
      this.handOff();
      return;
    }
    this.requestBytes = forwardedHead(this.pending, end, head, this.suffixFor(head));
    this.pending = end === this.pending.length ? EMPTY : this.pending.subarray(end);
    this.req = head;
    this.retried = false;
    this.bodyLeft = head.contentLength;
    this.bodyScanner = head.chunked ? new ChunkedScanner() : undefined;
    this.dispatch(backend);
    this.forwardBody();
  }

  private dispatch(backend: Backend): void {
    this.backend = backend;
    backend.inflight++;
    this.resHead = undefined;
    this.resStarted = false;
    const u = this.host.pool.acquire(backend.port);
    u.exchange = this;
    this.upstream = u;
    u.socket.write(this.requestBytes!);
    this.phase = "body";
  }

  /**
   * Takes what `pending` holds of the current request's body, handing it to `send` (none: dropped).
   * True once the whole body is taken, "bad" when its chunked framing is malformed.
   */
  private takeBody(send: ((part: Buffer) => void) | undefined): boolean | "bad" {
    let upto: number;
    let complete: boolean;
    if (this.bodyScanner) {
      let end: number;
      try {
        end = this.bodyScanner.feed(this.pending);
      } catch {
        return "bad";
      }
      complete = end >= 0;
      upto = complete ? end : this.pending.length;
      if (complete) this.bodyScanner = undefined;
    } else {
      upto = Math.min(this.bodyLeft, this.pending.length);
      this.bodyLeft -= upto;
      complete = this.bodyLeft === 0;
    }
    if (upto > 0) send?.(this.pending.subarray(0, upto));
    this.pending = this.pending.subarray(upto);
    return complete;
  }

  /** Sends what `pending` holds of the current request's body; moves to "wait" once it is all sent. */
  private forwardBody(): void {
    const u = this.upstream!;
    const complete = this.takeBody((part) => {
      if (!u.socket.write(part)) this.waitForUpstreamDrain(u);
    });
    if (complete === "bad") this.failExchange(400, "bad request");
    if (complete !== true) return;
    if (this.phase === "body") this.phase = "wait";
    if (this.pending.length > 0) this.socket.pause();
  }

  /** Drops what `pending` holds of a body the instance answered without; then the next request. */
  private discardBody(): void {
    const complete = this.takeBody(undefined);
    if (complete === "bad") {
      this.phase = "done"; // the answer went out already; the framing is lost
      this.socket.destroy();
    } else if (complete) this.becomeIdle();
  }

  private waitForUpstreamDrain(u: Upstream): void {
    this.socket.pause();
    u.socket.once("drain", () => {
      if (this.phase !== "done") this.socket.resume();
    });
  }

  onUpstreamData(d: Buffer): void {
    const buf = this.resHead ? Buffer.concat([this.resHead, d]) : d;
    this.resHead = undefined;
    // Bytes of `buf` before `from` are passed on already (1xx answers).
    let from = 0;
    while (!this.resStarted) {
      const end = headEnd(buf, from);
      if (end < 0) {
        if (buf.length - from > 64 * 1024) this.upstreamBroken();
        else this.resHead = from === 0 ? buf : buf.subarray(from);
        return;
      }
      const res = parseResponseHead(buf, this.req!.method, from, end);
      if (!res) {
        this.upstreamBroken();
        return;
      }
      if (res.status < 200) {
        // 1xx (103 Early Hints, 102 Processing): passed on; the final answer follows.
        this.socket.write(buf.subarray(from, end));
        from = end;
        if (from === buf.length) return;
        continue;
      }
      this.resStarted = true;
      this.resClose = res.close;
      this.resKeepAliveMs = res.keepAliveMs;
      this.resCloseDelimited = res.bodyLength === -2;
      this.resLeft = res.bodyLength;
      this.resScanner = res.bodyLength === -1 ? new ChunkedScanner() : undefined;
      // Head and body usually arrive together: one write for both.
      this.relayBody(buf, from, end);
      return;
    }
    this.relayBody(buf, 0, 0);
  }

  /** Writes `buf` from `from` to the end of the answer's body, which starts at `bodyStart`. */
  private relayBody(buf: Buffer, from: number, bodyStart: number): void {
    let upto = buf.length;
    let complete = false;
    if (this.resScanner) {
      let end: number;
      try {
        end = this.resScanner.feed(buf, bodyStart);
      } catch {
        this.upstreamBroken();
        return;
      }
      if (end >= 0) {
        upto = end;
        complete = true;
      }
    } else if (!this.resCloseDelimited) {
      const take = Math.min(this.resLeft, buf.length - bodyStart);
      this.resLeft -= take;
      upto = bodyStart + take;
      complete = this.resLeft === 0;
    }
    const out = from === 0 && upto === buf.length ? buf : buf.subarray(from, upto);
    const u = this.upstream!;
    if (out.length > 0 && !this.socket.write(out) && !complete) {
      u.socket.pause();
      this.socket.once("drain", () => {
        if (this.upstream === u) u.socket.resume();
      });
    }
    // Bytes after the answer are a protocol error by the instance; that connection is not reused.
    if (complete) this.finishExchange(upto < buf.length);
  }

  private finishExchange(poisoned: boolean): void {
    const u = this.upstream!;
    // An answer before the whole request body was sent (a 401 or 413 to an upload): the instance still
    // expects the rest, so its connection is not reused, and the rest of the body is dropped here
    // rather than read as requests.
    const bodyLeft = this.phase === "body";
    u.exchange = undefined;
    u.socket.resume(); // it may have been paused for this client's backpressure; the next user reads it
    this.upstream = undefined;
    this.backend!.inflight--;
    this.backend = undefined;
    if (poisoned || this.resClose || bodyLeft) u.socket.destroy();
    else this.host.pool.release(u, this.resKeepAliveMs);
    if (this.req!.close || this.resCloseDelimited) {
      this.phase = "done";
      this.socket.end();
      return;
    }
    this.req = undefined;
    if (bodyLeft) {
      this.phase = "discard";
      this.lastActive = Date.now();
      this.socket.resume(); // it may have been paused for the instance's backpressure
      if (this.pending.length > 0) this.discardBody();
      return;
    }
    this.becomeIdle();
  }

  private becomeIdle(): void {
    this.phase = "idle";
    this.lastActive = Date.now();
    this.requestSince = this.lastActive; // a pipelined request's head is here already; else reset on its first byte
    this.socket.resume();
    if (this.pending.length > 0 || this.ended) this.next();
  }

  onUpstreamClosed(u: Upstream): void {
    if (u !== this.upstream) return;
    if (this.resStarted && this.resCloseDelimited) {
      this.finishExchange(true);
      return;
    }
    const b = this.backend!;
    b.inflight--;
    this.backend = undefined;
    this.upstream = undefined;
    if (this.resStarted || this.resHead) {
      // Part of an answer went out (or came in): nothing sensible can follow on this connection.
      this.phase = "done";
      this.socket.destroy();
      return;
    }
    // Refused or reset before any answer: a request without a body is safe to send to another
    // instance (GET and HEAD have no side effects); anything else may have been acted on, so 502.
    const req = this.req!;
    const idempotent =
      (req.method === "GET" || req.method === "HEAD") && req.contentLength === 0 && !req.chunked;
    if (idempotent && !this.retried) {
      const other = this.host.backendFor(req, b);
      if (other) {
        this.retried = true;
        this.dispatch(other);
        this.phase = "wait";
        return;
      }
    }
    this.refuse(502, "the instance did not answer");
  }

  /** The instance's connection is closed without reuse and the exchange leaves it. */
  private dropUpstream(): void {
    const u = this.upstream;
    if (!u) return;
    u.exchange = undefined;
    u.socket.destroy();
    this.backend!.inflight--;
    this.backend = undefined;
    this.upstream = undefined;
  }

  private upstreamBroken(): void {
    if (!this.upstream) return;
    this.dropUpstream();
    if (this.resStarted) {
      this.phase = "done";
      this.socket.destroy();
    } else this.refuse(502, "the instance sent a malformed answer");
  }

  /** A bad request body: the instance's connection is dropped and the client gets the status. */
  private failExchange(status: number, text: string): void {
    this.dropUpstream();
    this.refuse(status, text);
  }

  /** Answers and closes: after an error the request stream's framing cannot be trusted. */
  private refuse(status: number, text: string): void {
    this.phase = "done";
    const body = `gantry: ${text}\n`;
    this.socket.end(
      `HTTP/1.1 ${status} ${text}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`,
      "latin1",
    );
  }

  private handOff(): void {
    this.phase = "done";
    this.host.clients.delete(this);
    this.socket.off("data", this.onData);
    this.socket.off("end", this.onEnd);
    this.socket.off("close", this.onClose);
    const pending = this.pending;
    this.pending = EMPTY;
    this.host.handOff(this.socket, pending, this.ended);
  }

  /** The client went away: the exchange in progress is abandoned. */
  private abort(): void {
    this.host.clients.delete(this);
    this.phase = "done";
    this.dropUpstream();
    this.socket.destroy(); // half-open: after the client's end, only we can close it
  }
}
