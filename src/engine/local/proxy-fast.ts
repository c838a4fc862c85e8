// The proxy's fast path: plain HTTP/1.1 requests to a service are relayed byte for byte over pooled
// keep-alive connections, parsing only the heads and the framing (http1.ts). Node's http client and
// server build objects for every header of every message; relaying bytes costs a fraction of that,
// which is what lets one proxy process keep up with the instances behind it. An Upgrade request
// (WebSocket) is sent on like any other, and the connection becomes a byte tunnel only when the
// instance answers 101; any other answer is relayed and the next request is parsed as usual. Everything
// else (static files, HTTP/1.0, Expect, no ready instance) is handed, with the bytes already read, to
// the Node HTTP server in proxy.ts for the rest of that connection.
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
import type { Route } from "./routing.js";
import type { Upstream, UpstreamPool } from "./proxy-upstream.js";
import { upstreamErrorKind, type ProxyMetrics, type UpstreamErrorKind } from "./metrics.js";

/**
 * Idle client connections are closed after this: a second more than the `Keep-Alive: timeout=5` that
 * answers from Node instances announce, so a client that trusts it never races our close.
 */
export const CLIENT_IDLE_MS = 6000;

/** What the fast path needs from the proxy. */
export interface FastPathHost {
  /** Open fast-path connections, for the idle sweep. */
  readonly clients: Set<ClientConnection>;
  /** The route of a request to a service, or undefined (a static site, nothing): the slow path's. */
  proxyRoute(head: RequestHead): Route | undefined;
  /** A ready instance of `service`, round-robin; undefined hands the connection to the slow path. */
  pick(service: string, exclude?: Backend): Backend | undefined;
  /** `ended`: the client sent FIN already, after `pending`. */
  handOff(socket: net.Socket, pending: Buffer, ended: boolean): void;
  readonly pool: UpstreamPool;
  readonly metrics: ProxyMetrics;
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
 * answer came before the whole body, whose rest is read and dropped; tunnel: the instance switched
 * protocols (101), bytes go both ways as they are; done: closing.
 */
type Phase = "idle" | "body" | "wait" | "discard" | "tunnel" | "done";

/** One client connection on the fast path: one exchange at a time, in order (pipelined requests wait). */
export class ClientConnection {
  private pending: Buffer = EMPTY;
  private suffix: Buffer | undefined;
  /** The Host `suffix` was made for; undefined when it holds a client's own X-Forwarded-For. */
  private suffixHost: string | undefined;
  private phase: Phase = "idle";
  // The current exchange.
  private req: RequestHead | undefined;
  private route: Route | undefined;
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
  /** The answer's status, and when the exchange began (performance.now()), for the metrics. */
  private resStatus = 0;
  private exchangeStart = 0;
  /** The exchange is counted already (or there is none). */
  private counted = true;

  private lastActive = Date.now();
  /** When the first byte of the request being read came (0: none yet), for the head and request deadlines. */
  private requestSince = 0;
  /** When the whole request was sent to the instance, for the answer's deadline. */
  private waitSince = 0;
  private readonly onData = (d: Buffer) => this.onClientData(d);
  /** The client sent FIN: it reads answers still, but no request will follow the ones it sent. */
  private ended = false;
  private readonly onEnd = () => {
    this.ended = true;
    if (this.phase === "tunnel") this.endTunnel();
    else if (this.phase === "body" || this.phase === "discard")
      this.abort(); // a request whose body never came
    else if (this.phase === "idle") this.next();
  };
  private readonly onClose = () => this.abort();

  /** `received`: bytes of the connection read already (Node's server hands back an Upgrade request). */
  constructor(
    private readonly socket: net.Socket,
    private readonly host: FastPathHost,
    received?: Buffer,
  ) {
    socket.setNoDelay(true);
    host.clients.add(this);
    socket.on("data", this.onData);
    socket.on("error", () => undefined); // reported through "close"
    // Without half-open support an "end" from the client also ends our side: no answer can reach it.
    socket.on("end", this.onEnd);
    socket.on("close", this.onClose);
    if (received) this.onClientData(received);
  }

  /**
   * Closes the connection when it has waited for a request too long, answers 408 to a request whose
   * head or body comes too slowly (a client that trickles bytes must not hold a connection, and an
   * instance's in-flight count, which a drain waits for, forever), and 504 when the instance takes
   * longer than the route's `answerMs` to start answering.
   */
  sweep(now: number, limits: ClientLimits): void {
    const since = now - this.requestSince;
    const answerMs = this.route?.answerMs ?? 0;
    if (this.phase === "wait" && !this.resStarted && answerMs > 0 && now - this.waitSince > answerMs)
      this.failExchange(504, "gateway timeout", "timeout");
    else if (this.phase === "idle" && this.pending.length > 0 && since > limits.headMs)
      this.refuse(408, "request timeout");
    else if ((this.phase === "body" || this.phase === "discard") && since > limits.requestMs) {
      if (this.phase === "body" && !this.resStarted) this.failExchange(408, "request timeout");
      else this.abort(); // part of an answer went out already
    } else if ((this.phase === "idle" || this.phase === "discard") && now - this.lastActive > limits.idleMs)
      this.socket.destroy();
  }

  private onClientData(d: Buffer): void {
    if (this.phase === "done") return;
    if (this.phase === "tunnel") {
      const u = this.upstream!;
      if (!u.socket.write(d)) this.waitForUpstreamDrain(u);
      return;
    }
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
    const route = head === "slow" ? undefined : this.host.proxyRoute(head);
    const backend = route && this.host.pick(route.service);
    if (head === "slow" || !backend) {
      this.handOff();
      return;
    }
    this.requestBytes = forwardedHead(this.pending, end, head, this.suffixFor(head));
    this.pending = end === this.pending.length ? EMPTY : this.pending.subarray(end);
    this.req = head;
    this.route = route;
    this.exchangeStart = performance.now();
    this.counted = false;
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
    if (this.phase === "body") this.startWaiting();
    // What follows is the next request, or for an upgrade the other protocol: either waits for the answer.
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

  private startWaiting(): void {
    this.phase = "wait";
    this.waitSince = Date.now();
  }

  private waitForUpstreamDrain(u: Upstream): void {
    this.socket.pause();
    u.socket.once("drain", () => {
      if (this.phase !== "done") this.socket.resume();
    });
  }

  onUpstreamData(d: Buffer): void {
    if (this.phase === "tunnel") {
      this.relayTunnel(d);
      return;
    }
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
      if (!res || (res.status === 101 && !this.req!.upgrade)) {
        this.upstreamBroken();
        return;
      }
      if (res.status === 101) {
        this.tunnel(from === 0 ? buf : buf.subarray(from));
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
      this.resStatus = res.status;
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

  /**
   * The instance switched protocols: its answer (and whatever followed it) goes to the client, what the
   * client sent after its request goes to the instance, and from now on bytes pass as they are. The
   * exchange stays in flight until either side closes, so a deploy drains it too.
   */
  private tunnel(answer: Buffer): void {
    const u = this.upstream!;
    this.phase = "tunnel";
    this.resStarted = true;
    this.count(101);
    this.relayTunnel(answer);
    if (this.pending.length > 0 && !u.socket.write(this.pending)) this.waitForUpstreamDrain(u);
    else this.socket.resume();
    this.pending = EMPTY;
    if (this.ended) this.endTunnel();
  }

  /**
   * The client ended its side: what it sent goes to the instance, then the tunnel closes. Half-open
   * tunnels are not kept: an instance's server may keep its side open for good (Node's does), and the
   * connection would stay in flight, holding a drain, forever.
   */
  private endTunnel(): void {
    const u = this.upstream;
    u?.socket.end(() => u.socket.destroy());
  }

  private relayTunnel(d: Buffer): void {
    const u = this.upstream!;
    if (this.socket.write(d)) return;
    u.socket.pause();
    this.socket.once("drain", () => {
      if (this.upstream === u) u.socket.resume();
    });
  }

  private finishExchange(poisoned: boolean): void {
    this.count(this.resStatus);
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
    // An instance that declined an upgrade may still expect the other protocol: not reused either.
    if (poisoned || this.resClose || bodyLeft || this.req!.upgrade) u.socket.destroy();
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
    if (this.phase === "tunnel") {
      this.backend!.inflight--;
      this.backend = undefined;
      this.upstream = undefined;
      this.phase = "done";
      // What the instance sent last is written out first.
      this.socket.end(() => this.socket.destroy());
      return;
    }
    if (this.resStarted && this.resCloseDelimited) {
      this.finishExchange(true);
      return;
    }
    const b = this.backend!;
    b.inflight--;
    this.backend = undefined;
    this.upstream = undefined;
    this.upstreamError(upstreamErrorKind(u.error));
    if (this.resStarted || this.resHead) {
      // Part of an answer went out (or came in): nothing sensible can follow on this connection.
      this.count(this.resStarted ? this.resStatus : 502);
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
      const other = this.host.pick(this.route!.service, b);
      if (other) {
        this.retried = true;
        this.dispatch(other);
        this.startWaiting();
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
    this.upstreamError("malformed");
    if (this.resStarted) {
      this.count(this.resStatus);
      this.phase = "done";
      this.socket.destroy();
    } else this.refuse(502, "the instance sent a malformed answer");
  }

  /** A bad request body: the instance's connection is dropped and the client gets the status. */
  private failExchange(status: number, text: string, kind?: UpstreamErrorKind): void {
    this.dropUpstream();
    if (kind) this.upstreamError(kind);
    this.refuse(status, text);
  }

  /** The current exchange's outcome, counted once; nothing when there is none (a bad request's head). */
  private count(status: number): void {
    if (this.counted) return;
    this.counted = true;
    const end = performance.now();
    this.host.metrics.request(
      this.route!.service,
      status,
      (end - this.exchangeStart) / 1000,
      performance.timeOrigin + end,
    );
  }

  private upstreamError(kind: UpstreamErrorKind): void {
    if (!this.counted) this.host.metrics.upstreamError(this.route!.service, kind);
  }

  /** Answers and closes: after an error the request stream's framing cannot be trusted. */
  private refuse(status: number, text: string): void {
    this.count(status);
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
    // A client that left before its answer: 499, as nginx logs it.
    this.count(499);
    this.host.clients.delete(this);
    this.phase = "done";
    this.dropUpstream();
    this.socket.destroy(); // half-open: after the client's end, only we can close it
  }
}
