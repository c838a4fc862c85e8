// The reverse proxy: one port for the whole app. Routes by host and path prefix (see routing.ts),
// round-robin over the ready instances of a service, serves static frontends itself (with an SPA
// fallback to index.html), and counts in-flight requests per instance so a deploy can drain the old
// instances before stopping them. The table is replaced in one assignment: the switch is atomic.
// Plain HTTP/1.1 requests to a service, WebSocket upgrades included, take the byte relay in
// proxy-fast.ts; the rest of a connection that needs more (static files, HTTP/1.0, no ready instance)
// is served by Node's HTTP server here. Client connections beyond what the open-file limit allows are
// answered 503 (proxy-capacity.ts).
import http from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Maintenance } from "./maintenance.js";
import { refuseConnection } from "./unavailable.js";
import { createReadStream, realpathSync, statSync } from "node:fs";
import { extname, join, normalize, sep } from "node:path";
import net, { type AddressInfo } from "node:net";
import { matchRoute, type Route } from "./routing.js";
import { connectionShare, openFileLimit, type ConnectionShare } from "./proxy-capacity.js";
import { CLIENT_IDLE_MS, ClientConnection, type ClientLimits, type FastPathHost } from "./proxy-fast.js";
import { UpstreamPool } from "./proxy-upstream.js";
import { countAnswer, ProxyMetrics, upstreamErrorKind } from "./metrics.js";
import { HOP_BY_HOP, parseRequestHead, type RequestHead } from "./http1.js";

export interface Backend {
  id: string;
  port: number;
  ready: boolean;
  inflight: number;
}

export interface ProxyTable {
  release?: string;
  routes: Route[];
  backends: Record<string, Backend[]>;
  statics: Record<string, { root: string; spa: boolean; prefix: string }>;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".woff2": "font/woff2",
  ".wasm": "application/wasm",
};

/** The header names a message's Connection header lists (they are hop-by-hop too, RFC 9110 §7.6.1). */
function connectionNamed(headers: http.IncomingHttpHeaders): Set<string> {
  return new Set(
    (headers.connection ?? "")
      .toLowerCase()
      .split(",")
      .map((t) => t.trim()),
  );
}

/** The end-to-end headers of a message: without the hop-by-hop ones and those its Connection names. */
function copyHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = connectionNamed(headers);
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers))
    if (v !== undefined && !HOP_BY_HOP.has(k) && !named.has(k)) out[k] = v;
  return out;
}

function plain(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    // No ready instance (a deploy, a restart): worth trying again shortly.
    ...(status === 503 ? { "retry-after": "1" } : {}),
  });
  res.end(text);
}

/** X-Forwarded-For as the instance gets it: what the client sent, then the client's own address. */
function forwardedFor(req: IncomingMessage): string {
  const remote = req.socket.remoteAddress ?? "";
  const sent = req.headers["x-forwarded-for"];
  return sent ? `${String(sent)}, ${remote}` : remote;
}

/** Idle limits; the defaults suit Node instances, tests use shorter ones. */
export interface ProxyOptions {
  clientIdleMs?: number;
  /** How long a client may take to send a request's head, and the whole request (Node's defaults). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  upstreamIdleMs?: number;
  /** The open-file limit to stay within (default: this process's, see proxy-capacity.ts). */
  openFiles?: number;
}

export class Proxy implements FastPathHost {
  private table: ProxyTable = { routes: [], backends: {}, statics: {} };
  readonly pool: UpstreamPool;
  /** Requests, latencies and instance errors per service, on both paths (metrics.ts). */
  readonly metrics = new ProxyMetrics();
  private readonly clientIdleMs: number;
  private readonly limits: ClientLimits;
  readonly clients = new Set<ClientConnection>();
  private readonly sockets = new Set<net.Socket>();
  /** On while a restore runs (restore.ts): every connection is answered 503 with Retry-After. */
  readonly maintenance = new Maintenance(() => this.sockets);
  /** Connections served at once, and answered 503 beyond those (proxy-capacity.ts). */
  readonly share: ConnectionShare;
  private shedding = 0;
  private sweeper?: NodeJS.Timeout;

  constructor(o: ProxyOptions = {}) {
    this.share = connectionShare(o.openFiles ?? openFileLimit());
    // Idle instance connections are kept only while all of them fit in the same share as the clients'.
    this.pool = new UpstreamPool(o.upstreamIdleMs, this.share.clients);
    this.clientIdleMs = o.clientIdleMs ?? CLIENT_IDLE_MS;
    this.limits = {
      idleMs: this.clientIdleMs,
      headMs: o.headersTimeoutMs ?? 60_000,
      requestMs: o.requestTimeoutMs ?? 300_000,
    };
  }
  private readonly next = new Map<string, number>();
  private readonly agent = new http.Agent({
    keepAlive: true,
    maxSockets: 512,
    maxFreeSockets: 64,
    keepAliveMsecs: 1000,
  });
  private server?: net.Server;
  private slow?: http.Server;

  setTable(t: ProxyTable): void {
    this.table = t;
    const ports = new Set<number>();
    for (const list of Object.values(t.backends)) for (const b of list) ports.add(b.port);
    this.pool.setLive(ports);
  }

  getTable(): ProxyTable {
    return this.table;
  }

  async listen(port: number): Promise<number> {
    const slow = http.createServer(
      {
        headersTimeout: this.limits.headMs,
        requestTimeout: this.limits.requestMs,
        connectionsCheckingInterval: Math.min(30_000, this.limits.headMs / 2),
      },
      (req, res) => this.handle(req, res),
    );
    slow.keepAliveTimeout = 5000;
    // Answer a client that half-closed after its requests, as the byte relay does (Node's default is
    // to drop what is in progress when the client's FIN arrives).
    (slow as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    // This server never listens (connections are handed to it), and Node only starts enforcing
    // headersTimeout and requestTimeout on "listening": without it a client trickling its head holds
    // the connection forever.
    slow.emit("listening");
    slow.on("upgrade", (req: IncomingMessage, socket: net.Socket, received: Buffer) =>
      this.upgradeOnSlowPath(req, socket, received),
    );
    this.slow = slow;
    // Half-open, as Node's HTTP server: a client that sends FIN after its request still gets the answer.
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      if (this.maintenance.refuse(socket)) return;
      if (this.sockets.size >= this.share.clients) {
        this.shed(socket);
        return;
      }
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
      new ClientConnection(socket, this);
    });
    this.server = server;
    this.sweeper = setInterval(
      () => {
        const now = Date.now();
        this.pool.sweep(now);
        for (const c of this.clients) c.sweep(now, this.limits);
      },
      Math.min(1000, this.clientIdleMs / 2, this.limits.headMs / 2),
    ).unref();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    // accept() failing (EMFILE, when the rest of the supervisor took the descriptors the proxy counted
    // on) is reported here; without a listener it would end the supervisor. libuv drops that client.
    server.on("error", () => undefined);
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    clearInterval(this.sweeper);
    this.slow?.close(); // stops its timeout checks
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    this.pool.destroy();
    this.agent.destroy();
  }

  /** Answers a connection beyond the proxy's share of file descriptors 503 (unavailable.ts). */
  private shed(socket: net.Socket): void {
    if (this.shedding >= this.share.shedding) {
      socket.destroy();
      return;
    }
    this.shedding++;
    socket.once("close", () => this.shedding--);
    refuseConnection(socket, "gantry: too many connections now\n", 1);
  }

  /** Fast path: the route of a request to a service, or undefined for the slow path. */
  proxyRoute(head: RequestHead): Route | undefined {
    const q = head.target.indexOf("?");
    const route = matchRoute(this.table.routes, head.host, q >= 0 ? head.target.slice(0, q) : head.target);
    return route?.kind === "proxy" ? route : undefined;
  }

  /** Fast path: the rest of this connection is served by Node's HTTP server, starting with `pending`. */
  handOff(socket: net.Socket, pending: Buffer, ended: boolean): void {
    if (!ended) {
      if (pending.length > 0) socket.unshift(pending);
      this.slow!.emit("connection", socket);
      return;
    }
    // The stream has ended, so nothing can be put back into it: Node's server gets the bytes and the
    // end as events, as if they came now (a client that pipelined requests and then half-closed).
    this.slow!.emit("connection", socket);
    if (pending.length > 0) socket.emit("data", pending);
    socket.emit("end");
  }

  pick(service: string, exclude?: Backend): Backend | undefined {
    const all = this.table.backends[service] ?? [];
    const n = all.length;
    if (n === 0) return undefined;
    const start = this.next.get(service) ?? 0;
    for (let k = 0; k < n; k++) {
      const b = all[(start + k) % n]!;
      if (b.ready && b !== exclude) {
        this.next.set(service, (start + k + 1) % n);
        return b;
      }
    }
    return undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q >= 0 ? url.slice(0, q) : url;
    const table = this.table;
    const route = matchRoute(table.routes, req.headers.host, path);
    if (!route) {
      plain(res, 404, "gantry: no service for this host and path\n");
      return;
    }
    countAnswer(this.metrics, route.service, res);
    if (route.kind === "static") {
      const site = table.statics[route.service];
      if (!site) {
        plain(res, 503, `gantry: ${route.service} has no release yet\n`);
        return;
      }
      serveStatic(req, res, site, path, route.prefix);
      return;
    }
    this.forward(req, res, route, undefined);
  }

  /**
   * An Upgrade request that reached Node's server. On a connection the server took over earlier (a
   * static file first), one the byte relay can take goes back to it, with the bytes read so far: it
   * tunnels only after the instance's 101. Any other (HTTP/1.0, a body, other Connection options, a
   * static site, no ready instance) gets no tunnel: it is served as a plain request, and the connection
   * closes after it, since Node's server stopped reading it at this request.
   */
  private upgradeOnSlowPath(req: IncomingMessage, socket: net.Socket, received: Buffer): void {
    const lines = [`${req.method ?? ""} ${req.url ?? ""} HTTP/${req.httpVersion}`];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
      lines.push(`${req.rawHeaders[i]!}: ${req.rawHeaders[i + 1]!}`);
    const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
    const parsed = parseRequestHead(head);
    const route = typeof parsed === "object" && parsed.upgrade ? this.proxyRoute(parsed) : undefined;
    // Only when the relay will not hand it back here: a ready instance to send it to.
    if (route && this.table.backends[route.service]?.some((b) => b.ready)) {
      new ClientConnection(socket, this, Buffer.concat([head, received]));
      return;
    }
    const res = new http.ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    res.on("finish", () => {
      socket.end();
      // Half-open: a client that never closes its side must not keep the connection.
      setTimeout(() => socket.destroy(), 5000).unref();
    });
    // Node did not read its body, which would be taken for the other protocol's first bytes.
    if (req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0)
      plain(res, 400, "gantry: an Upgrade request with a body is not switched\n");
    else this.handle(req, res);
  }

  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    failed: Backend | undefined,
  ): void {
    const service = route.service;
    const b = this.pick(service, failed);
    if (!b) {
      plain(res, 503, `gantry: no ready instance of ${service}\n`);
      return;
    }
    b.inflight++;
    let done = false;
    let answerTimer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(answerTimer);
      if (!done) {
        done = true;
        b.inflight--;
      }
    };
    const headers = copyHeaders(req.headers);
    headers["x-forwarded-for"] = forwardedFor(req);
    headers["x-forwarded-host"] = req.headers.host ?? "";
    headers["x-forwarded-proto"] = "http";
    const upstream = http.request({
      host: "127.0.0.1",
      port: b.port,
      method: req.method,
      path: req.url,
      headers,
      agent: this.agent,
    });
    // A body (a GET may carry one): sent on, and then the request cannot be retried elsewhere.
    const hasBody =
      req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
    let clientGone = false;
    // The instance's time to answer runs from when the whole request went out, as on the byte relay.
    if (route.answerMs > 0)
      upstream.once("finish", () => {
        if (done) return;
        answerTimer = setTimeout(() => {
          finish();
          upstream.destroy();
          this.metrics.upstreamError(service, "timeout");
          plain(res, 504, `gantry: ${service} did not answer within ${route.answerMs / 1000} s\n`);
        }, route.answerMs);
      });
    upstream.on("response", (ur) => {
      clearTimeout(answerTimer);
      const status = ur.statusCode ?? 0;
      if (res.destroyed || status < 100 || status > 999) {
        // The client left meanwhile, or the instance sent a status Node cannot pass on.
        upstream.destroy();
        finish();
        if (!res.destroyed) this.metrics.upstreamError(service, "malformed");
        plain(res, 502, `gantry: ${service} sent a malformed answer\n`);
        return;
      }
      res.writeHead(status, copyHeaders(ur.headers));
      ur.pipe(res);
      ur.on("end", finish);
      ur.on("error", () => {
        finish();
        res.destroy();
      });
    });
    upstream.on("error", (e: NodeJS.ErrnoException) => {
      // Answered already: the time ran out (504), or the client left.
      if (done || clientGone) return;
      finish();
      this.metrics.upstreamError(service, upstreamErrorKind(e.code));
      // A connection refused or reset before any answer: safe to try another instance for requests
      // without a body (GET, HEAD); anything else may have had side effects, so it is a 502.
      const retryable =
        (req.method === "GET" || req.method === "HEAD") &&
        !hasBody &&
        !res.headersSent &&
        !failed &&
        (e.code === "ECONNREFUSED" || e.code === "ECONNRESET");
      if (retryable) {
        this.forward(req, res, route, b);
        return;
      }
      plain(res, 502, `gantry: ${service} did not answer (${e.code ?? e.message})\n`);
    });
    res.on("close", () => {
      if (!res.writableFinished) {
        clientGone = true;
        upstream.destroy();
      }
      finish();
    });
    if (hasBody) req.pipe(upstream);
    else upstream.end(); // the request stream stays untouched, so a retry is possible
  }
}

function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  site: { root: string; spa: boolean },
  path: string,
  prefix: string,
): void {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    plain(res, 405, "method not allowed\n");
    return;
  }
  let rel: string;
  try {
    rel = decodeURIComponent(
      prefix !== "/" && path.startsWith(prefix) ? path.slice(prefix.length) || "/" : path,
    );
  } catch {
    plain(res, 400, "bad request\n");
    return;
  }
  const target = normalize(join(site.root, rel));
  // Hidden files (.env, .npmrc, .git/ when `output: .` serves the app's own directory) are not
  // served, as by most static servers; /.well-known/ is.
  if (
    (target !== site.root && !target.startsWith(site.root + sep)) ||
    target
      .slice(site.root.length)
      .split(sep)
      .some((s) => s.startsWith(".") && s !== ".well-known")
  ) {
    plain(res, 404, "not found\n");
    return;
  }
  const file =
    resolveFile(target, site.root) ??
    (site.spa && !extname(rel) ? resolveFile(join(site.root, "index.html"), site.root) : undefined);
  if (!file) {
    plain(res, 404, "not found\n");
    return;
  }
  const type = TYPES[extname(file.path).toLowerCase()] ?? "application/octet-stream";
  res.writeHead(200, {
    "content-type": type,
    "content-length": file.size,
    "cache-control": file.path.endsWith(".html") ? "no-cache" : "public, max-age=300",
  });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  createReadStream(file.path)
    .on("error", () => res.destroy())
    .pipe(res);
}

/** Site roots with their symlinks resolved: a release's directory does not move, so once per root. */
const realRoots = new Map<string, string>();
function realRoot(root: string): string {
  let real = realRoots.get(root);
  if (real === undefined) realRoots.set(root, (real = realpathSync(root)));
  return real;
}

/** The file to serve for `p`, when it is one (or a directory's index.html) that really lies under `root`. */
function resolveFile(p: string, root: string): { path: string; size: number } | undefined {
  try {
    let st = statSync(p);
    let path = p;
    if (st.isDirectory()) {
      path = join(p, "index.html");
      st = statSync(path);
    }
    // A symlink in the build output must not serve a file from elsewhere on the machine.
    const real = realpathSync(path);
    if (!real.startsWith(realRoot(root) + sep)) return undefined;
    return st.isFile() ? { path: real, size: st.size } : undefined;
  } catch {
    return undefined;
  }
}
