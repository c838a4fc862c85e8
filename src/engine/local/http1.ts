// HTTP/1.1 message framing for the proxy's fast path, pure: where a request or response head ends,
// what it says about its body, and where a chunked body ends. The proxy forwards bytes as they are
// and only needs to know where each message stops, so it can reuse both connections. Anything this
// parser does not accept (HTTP/1.0, Upgrade, Expect, odd framing) goes to Node's own HTTP server.
const CRLFCRLF = Buffer.from("\r\n\r\n");

/** Heads larger than this are refused (431), like Node's default --max-http-header-size. */
export const MAX_HEAD = 16 * 1024;

/** The byte offset just past a head's blank line, or -1 when the head is not complete yet. */
export function headEnd(buf: Buffer): number {
  const i = buf.indexOf(CRLFCRLF);
  return i < 0 ? -1 : i + 4;
}

export interface RequestHead {
  method: string;
  target: string;
  /** Lower-case Host without surrounding spaces. */
  host: string;
  /** Byte ranges of the head to forward: the request line and every header line but hop-by-hop and X-Forwarded-* ones. */
  keep: [start: number, end: number][];
  forwardedFor: string | undefined;
  contentLength: number;
  chunked: boolean;
  /** The client asked to close the connection after this exchange. */
  close: boolean;
}

/** Why a request cannot take the fast path: "bad" is answered 400, "slow" goes to Node's server. */
export type RequestVerdict = RequestHead | "bad" | "slow";

// Heads are scanned as bytes: only the lines whose names matter become strings. This runs for every
// request, and turning whole heads into strings, split and lower-cased, cost more than the relay.
const CRLF = Buffer.from("\r\n");
const TOKEN_CHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
  TOKEN_CHAR[c.charCodeAt(0)] = 1;
/**
 * Hop-by-hop headers (RFC 9110 §7.6.1, and the Proxy-* pair RFC 2616 §13.5.1 lists): they describe
 * one connection, so a proxy does not pass them on. Proxy-Authorization carries credentials meant for
 * a proxy; the app behind Gantry must not receive them. Both of the proxy's paths use this list.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);
/**
 * Request lines the byte relay leaves out: the hop-by-hop ones but Transfer-Encoding (the relay sends
 * the body's bytes as they came, chunked framing included), and X-Forwarded-*, which it writes itself.
 */
const DROPPED = new Set([
  ...[...HOP_BY_HOP].filter((h) => h !== "transfer-encoding"),
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
]);
/** Lengths of the header names either parser looks at; any other name is only checked for its bytes. */
const WATCHED_LENGTHS = new Set(
  [...DROPPED, "host", "content-length", "transfer-encoding", "expect"].map((n) => n.length),
);

/** Why a scan of the headers stopped early: "bad" when a line is malformed, or what a visitor said. */
type Stop = "bad" | "slow";

/**
 * Visits each header line of a head: the offsets of its start, its colon and its end (before CRLF),
 * with the lower-case name when its length is watched. Stops at the first malformed line ("bad") or
 * when the visitor returns a reason.
 */
function eachHeader(
  head: Buffer,
  from: number,
  visit: (start: number, colon: number, end: number, name: string | undefined) => Stop | undefined,
): Stop | undefined {
  const last = head.length - 2; // the blank line's CRLF
  let start = from;
  while (start < last) {
    const end = head.indexOf(CRLF, start);
    let colon = start;
    while (colon < end && TOKEN_CHAR[head[colon]!] === 1) colon++;
    // A name of token bytes, then a colon: refuses obsolete line folding (a leading space) too.
    if (colon === start || head[colon] !== 0x3a) return "bad";
    const len = colon - start;
    const name = WATCHED_LENGTHS.has(len) ? head.toString("latin1", start, colon).toLowerCase() : undefined;
    const stop = visit(start, colon, end, name);
    if (stop) return stop;
    start = end + 2;
  }
  return undefined;
}

const value = (head: Buffer, colon: number, end: number) => head.toString("latin1", colon + 1, end).trim();
/** A header's comma-separated list, lower case: `Connection: keep-alive, Upgrade` → ["keep-alive", "upgrade"]. */
const tokens = (head: Buffer, colon: number, end: number) =>
  value(head, colon, end)
    .toLowerCase()
    .split(",")
    .map((t) => t.trim());

/** Parses a request head (the bytes up to and including the blank line). */
export function parseRequestHead(head: Buffer): RequestVerdict {
  const lineEnd = head.indexOf(CRLF);
  const requestLine = head.toString("latin1", 0, lineEnd).split(" ");
  if (requestLine.length !== 3) return "bad";
  const [method, target, version] = requestLine as [string, string, string];
  if (method.length === 0 || target.length === 0) return "bad";
  for (let i = 0; i < method.length; i++) if (TOKEN_CHAR[method.charCodeAt(i)] !== 1) return "bad";
  // HTTP/1.0 keep-alive rules and absolute-form targets are rare enough to leave to Node's server.
  if (version !== "HTTP/1.1" || target[0] !== "/") return "slow";
  let host: string | undefined;
  let contentLength = -1;
  let chunked = false;
  let close = false;
  let forwardedFor: string | undefined;
  const keep: [number, number][] = [];
  let keepFrom = 0;
  const stop = eachHeader(head, lineEnd + 2, (start, colon, end, name) => {
    if (name === undefined) return undefined;
    switch (name) {
      case "host":
        if (host !== undefined) return "bad";
        host = value(head, colon, end).toLowerCase();
        break;
      case "content-length": {
        const v = value(head, colon, end);
        if (!/^\d{1,15}$/.test(v) || (contentLength >= 0 && Number(v) !== contentLength)) return "bad";
        contentLength = Number(v);
        break;
      }
      case "transfer-encoding":
        if (value(head, colon, end).toLowerCase() !== "chunked" || chunked) return "slow";
        chunked = true;
        break;
      case "connection": {
        // Other options name more hop-by-hop headers (RFC 9110 §7.6.1), which the relay would have to
        // find anywhere in the head: rare, so Node's server takes those requests.
        for (const o of tokens(head, colon, end))
          if (o === "close") close = true;
          else if (o !== "keep-alive" && o !== "") return "slow";
        break;
      }
      case "upgrade":
      case "expect":
        return "slow";
      case "x-forwarded-for": {
        const v = value(head, colon, end);
        forwardedFor = forwardedFor === undefined ? v : `${forwardedFor}, ${v}`;
        break;
      }
    }
    if (DROPPED.has(name)) {
      if (start > keepFrom) keep.push([keepFrom, start]);
      keepFrom = end + 2;
    }
    return undefined;
  });
  if (stop) return stop;
  // Both framings at once is how requests are smuggled past proxies: refuse it.
  if (chunked && contentLength >= 0) return "bad";
  if (host === undefined) return "bad";
  if (head.length - 2 > keepFrom) keep.push([keepFrom, head.length - 2]);
  return {
    method,
    target,
    host,
    keep,
    forwardedFor,
    contentLength: chunked ? -1 : Math.max(contentLength, 0),
    chunked,
    close,
  };
}

/** The head sent to the instance: the kept lines, then X-Forwarded-For, -Host and -Proto. */
export function forwardedHead(head: Buffer, req: RequestHead, remote: string): Buffer {
  const fwd = req.forwardedFor === undefined ? remote : `${req.forwardedFor}, ${remote}`;
  const extra = Buffer.from(
    `X-Forwarded-For: ${fwd}\r\nX-Forwarded-Host: ${req.host}\r\nX-Forwarded-Proto: http\r\n\r\n`,
    "latin1",
  );
  return Buffer.concat([...req.keep.map(([a, b]) => head.subarray(a, b)), extra]);
}

export interface ResponseHead {
  status: number;
  /** -1: chunked; -2: delimited by the connection closing; else the body's length in bytes. */
  bodyLength: number;
  /** The upstream will close its connection after this response. */
  close: boolean;
  /** How long the upstream keeps the connection open when idle (Keep-Alive: timeout=N), if it said. */
  keepAliveMs: number;
}

const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/;

/** Parses a response head to the request made with `requestMethod`. Undefined when malformed. */
export function parseResponseHead(headBuf: Buffer, requestMethod: string): ResponseHead | undefined {
  const lineEnd = headBuf.indexOf(CRLF);
  const m = STATUS_LINE.exec(headBuf.toString("latin1", 0, lineEnd));
  if (!m) return undefined;
  const http10 = m[1] === "0";
  const status = Number(m[2]);
  let length = -2;
  let chunked = false;
  let close = http10;
  let keepAliveMs = Infinity;
  const stop = eachHeader(headBuf, lineEnd + 2, (_start, colon, end, name) => {
    if (name === "content-length") {
      const v = value(headBuf, colon, end);
      if (!/^\d{1,15}$/.test(v)) return "bad";
      length = Number(v);
    } else if (name === "transfer-encoding") {
      chunked = tokens(headBuf, colon, end).at(-1) === "chunked";
      if (!chunked) close = true; // a body ended by closing the connection
    } else if (name === "connection") {
      const options = tokens(headBuf, colon, end);
      if (options.includes("close")) close = true;
      else if (http10 && options.includes("keep-alive")) close = false;
    } else if (name === "keep-alive") {
      const t = /(?:^|,)\s*timeout\s*=\s*(\d+)/i.exec(value(headBuf, colon, end));
      if (t) keepAliveMs = Number(t[1]) * 1000;
    }
    return undefined;
  });
  if (stop) return undefined;
  if (requestMethod === "HEAD" || status < 200 || status === 204 || status === 304)
    return { status, bodyLength: 0, close, keepAliveMs };
  if (chunked) return { status, bodyLength: -1, close, keepAliveMs };
  if (length >= 0) return { status, bodyLength: length, close, keepAliveMs };
  return { status, bodyLength: -2, close: true, keepAliveMs };
}

/**
 * Finds the end of a chunked body fed in pieces: `feed` returns the offset in `buf` just past the
 * body's last byte, or -1 when it needs more. Throws on malformed framing.
 */
export class ChunkedScanner {
  private state: "size" | "ext" | "size-lf" | "data" | "data-cr" | "data-lf" | "trailer" | "trailer-lf" =
    "size";
  private size = 0;
  private digits = 0;
  private remaining = 0;
  private lineLength = 0;
  private last = false;

  feed(buf: Buffer, start = 0): number {
    let i = start;
    while (i < buf.length) {
      switch (this.state) {
        case "data": {
          const take = Math.min(this.remaining, buf.length - i);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = "data-cr";
          continue;
        }
        case "size": {
          const c = buf[i]!;
          const v = hexValue(c);
          if (v >= 0) {
            if (++this.digits > 12) throw new Error("chunk size too large");
            this.size = this.size * 16 + v;
          } else if (c === 0x3b /* ; */ || c === 0x20 || c === 0x09) {
            if (this.digits === 0) throw new Error("missing chunk size");
            this.state = "ext";
          } else if (c === 0x0d) {
            if (this.digits === 0) throw new Error("missing chunk size");
            this.state = "size-lf";
          } else throw new Error("bad chunk size");
          break;
        }
        case "ext":
          if (buf[i] === 0x0d) this.state = "size-lf";
          else if (buf[i] === 0x0a) throw new Error("bare LF in chunk extension");
          break;
        case "size-lf":
          if (buf[i] !== 0x0a) throw new Error("expected LF after chunk size");
          if (this.size === 0) {
            this.last = true;
            this.state = "trailer";
            this.lineLength = 0;
          } else {
            this.remaining = this.size;
            this.state = "data";
          }
          this.size = 0;
          this.digits = 0;
          break;
        case "data-cr":
          if (buf[i] !== 0x0d) throw new Error("expected CR after chunk data");
          this.state = "data-lf";
          break;
        case "data-lf":
          if (buf[i] !== 0x0a) throw new Error("expected LF after chunk data");
          this.state = "size";
          break;
        case "trailer":
          if (buf[i] === 0x0d) this.state = "trailer-lf";
          else if (buf[i] === 0x0a) throw new Error("bare LF in trailer");
          else this.lineLength++;
          break;
        case "trailer-lf":
          if (buf[i] !== 0x0a) throw new Error("expected LF in trailer");
          if (this.lineLength === 0 && this.last) return i + 1;
          this.lineLength = 0;
          this.state = "trailer";
          break;
      }
      i++;
    }
    return -1;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
