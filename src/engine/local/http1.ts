// HTTP/1.1 message framing for the proxy's fast path, pure: where a request or response head ends,
// what it says about its body, and where a chunked body ends. The proxy forwards bytes as they are
// and only needs to know where each message stops, so it can reuse both connections. Anything this
// parser does not accept (HTTP/1.0, Expect, odd framing) goes to Node's own HTTP server.
//
// This runs for every request and every answer, so heads are read as bytes: header names are compared
// byte by byte, numbers and option lists are read in place, and only the method, the target, the Host
// and an incoming X-Forwarded-For become strings. Strings, regular expressions and small arrays per
// header cost more than the relay itself (measured in docs/local.md).
const CRLFCRLF = Buffer.from("\r\n\r\n");

/** Heads larger than this are refused (431), like Node's default --max-http-header-size. */
export const MAX_HEAD = 16 * 1024;

/** The byte offset just past a head's blank line, or -1 when the head is not complete yet. */
export function headEnd(buf: Buffer, from = 0): number {
  const i = buf.indexOf(CRLFCRLF, from);
  return i < 0 ? -1 : i + 4;
}

export interface RequestHead {
  method: string;
  target: string;
  /** Lower-case Host without surrounding spaces. */
  host: string;
  /** Byte ranges (start, end, start, end, ...) of header lines the relay leaves out: hop-by-hop and X-Forwarded-*. */
  drop: number[] | undefined;
  forwardedFor: string | undefined;
  contentLength: number;
  chunked: boolean;
  /** The client asked to close the connection after this exchange. */
  close: boolean;
  /**
   * The client asks to switch protocols (Upgrade, named in Connection): its Connection and Upgrade
   * lines go to the instance, and the connection becomes a tunnel only if the instance answers 101.
   */
  upgrade: boolean;
}

/** Why a request cannot take the fast path: "bad" is answered 400, "slow" goes to Node's server. */
export type RequestVerdict = RequestHead | "bad" | "slow";

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

// The header names either parser acts on, as numbers.
const OTHER = 0;
const HOST = 1;
const CONTENT_LENGTH = 2;
const TRANSFER_ENCODING = 3;
const CONNECTION = 4;
const KEEP_ALIVE = 5;
const UPGRADE = 6;
const EXPECT = 7;
const X_FORWARDED_FOR = 8;
/** Any other header the relay leaves out of a request. */
const DROPPED_OTHER = 9;
/**
 * Request lines the byte relay leaves out: the hop-by-hop ones but Transfer-Encoding (the relay sends
 * the body's bytes as they came, chunked framing included), and X-Forwarded-*, which it writes itself.
 */
const DROPPED = new Set([CONNECTION, KEEP_ALIVE, UPGRADE, X_FORWARDED_FOR, DROPPED_OTHER]);
const NAMES: Record<string, number> = {
  host: HOST,
  "content-length": CONTENT_LENGTH,
  "transfer-encoding": TRANSFER_ENCODING,
  connection: CONNECTION,
  "keep-alive": KEEP_ALIVE,
  upgrade: UPGRADE,
  expect: EXPECT,
  "x-forwarded-for": X_FORWARDED_FOR,
  "x-forwarded-host": DROPPED_OTHER,
  "x-forwarded-proto": DROPPED_OTHER,
};
for (const h of HOP_BY_HOP) NAMES[h] ??= DROPPED_OTHER;
/** The watched names by length, as lower-case bytes with their number. */
const BY_LENGTH: { bytes: Uint8Array; id: number }[][] = [];
for (const [name, id] of Object.entries(NAMES))
  (BY_LENGTH[name.length] ??= []).push({ bytes: Buffer.from(name, "latin1"), id });

/**
 * Whether `buf[a, b)` is `lower` (lower-case letters, digits, '-') in any case. `| 0x20` lower-cases a
 * letter and leaves digits and '-' as they are; no other byte becomes one of those.
 */
function equalsLower(buf: Buffer, a: number, b: number, lower: Uint8Array): boolean {
  if (b - a !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) if ((buf[a + i]! | 0x20) !== lower[i]) return false;
  return true;
}

function nameId(buf: Buffer, start: number, end: number): number {
  const candidates = BY_LENGTH[end - start];
  if (candidates === undefined) return OTHER;
  for (let k = 0; k < candidates.length; k++)
    if (equalsLower(buf, start, end, candidates[k]!.bytes)) return candidates[k]!.id;
  return OTHER;
}

/**
 * The offset of the CR that ends the line whose rest starts at `from`, or -1 when the line holds a
 * byte no field value may (a control character, a bare CR or LF): a proxy that reads lines differently
 * from the server behind it is how requests get smuggled.
 */
function lineEnd(buf: Buffer, from: number, limit: number): number {
  for (let i = from; i < limit; i++) {
    const c = buf[i]!;
    if ((c >= 0x20 && c !== 0x7f) || c === 0x09) continue;
    return c === 0x0d && buf[i + 1] === 0x0a ? i : -1;
  }
  return -1;
}

const isOws = (c: number | undefined) => c === 0x20 || c === 0x09;

/** Reads the header lines of a head from `from` on: one line per `next()`, with its parts and name. */
class HeaderLines {
  /** The current line: its first byte, the start and end of its value without spaces around, and its CR. */
  start = 0;
  valueStart = 0;
  valueEnd = 0;
  cr = 0;
  id = OTHER;
  /** Set when `next()` stopped on a malformed line. */
  bad = false;
  private at: number;

  constructor(
    private readonly buf: Buffer,
    from: number,
    private readonly end: number,
  ) {
    this.at = from;
  }

  next(): boolean {
    const buf = this.buf;
    const start = this.at;
    if (start >= this.end - 2) return false; // the blank line's CRLF
    let colon = start;
    while (TOKEN_CHAR[buf[colon]!] === 1) colon++;
    // A name of token bytes, then a colon: refuses obsolete line folding (a leading space) too.
    const cr = colon === start || buf[colon] !== 0x3a ? -1 : lineEnd(buf, colon + 1, this.end);
    if (cr < 0) {
      this.bad = true;
      return false;
    }
    let a = colon + 1;
    let b = cr;
    while (a < b && isOws(buf[a])) a++;
    while (b > a && isOws(buf[b - 1])) b--;
    this.start = start;
    this.valueStart = a;
    this.valueEnd = b;
    this.cr = cr;
    this.id = nameId(buf, start, colon);
    this.at = cr + 2;
    return true;
  }

  value(): string {
    return this.buf.toString("latin1", this.valueStart, this.valueEnd);
  }

  /** The value as a decimal of 1 to 15 digits, or -1. */
  decimal(): number {
    return decimal(this.buf, this.valueStart, this.valueEnd);
  }

  /** The value's comma-separated options, as CLOSE, KEEP_ALIVE_OPTION, UPGRADE_OPTION and ANOTHER_OPTION bits; empty ones are skipped. */
  options(): number {
    const buf = this.buf;
    let flags = 0;
    let a = this.valueStart;
    while (a < this.valueEnd) {
      let comma = a;
      while (comma < this.valueEnd && buf[comma] !== 0x2c) comma++;
      let b = comma;
      while (a < b && isOws(buf[a])) a++;
      while (b > a && isOws(buf[b - 1])) b--;
      if (equalsLower(buf, a, b, W_CLOSE)) flags |= CLOSE;
      else if (equalsLower(buf, a, b, W_KEEP_ALIVE)) flags |= KEEP_ALIVE_OPTION;
      else if (equalsLower(buf, a, b, W_UPGRADE)) flags |= UPGRADE_OPTION;
      else if (b > a) flags |= ANOTHER_OPTION;
      a = comma + 1;
    }
    return flags;
  }

  /** The last of the value's comma-separated codings is `chunked`. */
  endsChunked(): boolean {
    const buf = this.buf;
    let a = this.valueEnd;
    while (a > this.valueStart && buf[a - 1] !== 0x2c) a--;
    while (a < this.valueEnd && isOws(buf[a])) a++;
    return equalsLower(buf, a, this.valueEnd, W_CHUNKED);
  }

  /** The value is exactly `chunked`. */
  isChunked(): boolean {
    return equalsLower(this.buf, this.valueStart, this.valueEnd, W_CHUNKED);
  }

  /** A Keep-Alive value's `timeout=N` in milliseconds, or Infinity. */
  timeoutMs(): number {
    const buf = this.buf;
    let a = this.valueStart;
    while (a < this.valueEnd) {
      while (a < this.valueEnd && isOws(buf[a])) a++;
      if (equalsLower(buf, a, Math.min(a + 7, this.valueEnd), W_TIMEOUT)) {
        let i = a + 7;
        while (isOws(buf[i])) i++;
        if (buf[i] === 0x3d /* = */) {
          i++;
          while (isOws(buf[i])) i++;
          let j = i;
          while (j < this.valueEnd && buf[j]! >= 0x30 && buf[j]! <= 0x39) j++;
          const seconds = decimal(buf, i, j);
          if (seconds >= 0) return seconds * 1000;
        }
      }
      while (a < this.valueEnd && buf[a] !== 0x2c) a++;
      a++;
    }
    return Infinity;
  }
}

const W_CLOSE = Buffer.from("close");
const W_KEEP_ALIVE = Buffer.from("keep-alive");
const W_CHUNKED = Buffer.from("chunked");
const W_TIMEOUT = Buffer.from("timeout");
const W_UPGRADE = Buffer.from("upgrade");
const CLOSE = 1;
const KEEP_ALIVE_OPTION = 2;
const ANOTHER_OPTION = 4;
const UPGRADE_OPTION = 8;

/** `buf[a, b)` as a decimal of 1 to 15 digits, or -1. */
function decimal(buf: Buffer, a: number, b: number): number {
  if (b <= a || b - a > 15) return -1;
  let n = 0;
  for (let i = a; i < b; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

const HTTP11 = Buffer.from("HTTP/1.1");

/** Parses a request head: `buf[0, end)`, up to and including the blank line. */
export function parseRequestHead(buf: Buffer, end = buf.length): RequestVerdict {
  // The request line: a method of token bytes, a target of visible bytes, the version; one space apart.
  let sp1 = 0;
  while (TOKEN_CHAR[buf[sp1]!] === 1) sp1++;
  if (sp1 === 0 || buf[sp1] !== 0x20) return "bad";
  let sp2 = sp1 + 1;
  while (buf[sp2]! > 0x20 && buf[sp2] !== 0x7f) sp2++;
  if (sp2 === sp1 + 1 || buf[sp2] !== 0x20) return "bad";
  const cr = lineEnd(buf, sp2 + 1, end);
  if (cr < 0) return "bad";
  for (let i = sp2 + 1; i < cr; i++) if (buf[i] === 0x20) return "bad";
  // HTTP/1.0 keep-alive rules and absolute-form targets are rare enough to leave to Node's server.
  if (cr - sp2 - 1 !== 8 || buf.compare(HTTP11, 0, 8, sp2 + 1, cr) !== 0 || buf[sp1 + 1] !== 0x2f)
    return "slow";
  const method =
    sp1 === 3 && buf[0] === 0x47 && buf[1] === 0x45 && buf[2] === 0x54
      ? "GET"
      : buf.toString("latin1", 0, sp1);
  let host: string | undefined;
  let contentLength = -1;
  let chunked = false;
  let close = false;
  let upgradeAsked = false;
  let upgradeNamed = false;
  let forwardedFor: string | undefined;
  let drop: number[] | undefined;
  const h = new HeaderLines(buf, cr + 2, end);
  while (h.next()) {
    switch (h.id) {
      case OTHER:
        continue;
      case HOST:
        if (host !== undefined) return "bad";
        host = h.value().toLowerCase();
        break;
      case CONTENT_LENGTH: {
        const n = h.decimal();
        if (n < 0 || (contentLength >= 0 && n !== contentLength)) return "bad";
        contentLength = n;
        break;
      }
      case TRANSFER_ENCODING:
        if (!h.isChunked() || chunked) return "slow";
        chunked = true;
        break;
      case CONNECTION:
        // Other options name more hop-by-hop headers (RFC 9110 §7.6.1), which the relay would have to
        // find anywhere in the head: rare, so Node's server takes those requests.
        {
          const o = h.options();
          if (o & ANOTHER_OPTION) return "slow";
          if (o & CLOSE) close = true;
          if (o & UPGRADE_OPTION) upgradeNamed = true;
        }
        break;
      case UPGRADE:
        upgradeAsked = true;
        break;
      case EXPECT:
        return "slow";
      case X_FORWARDED_FOR: {
        const v = h.value();
        forwardedFor = forwardedFor === undefined ? v : `${forwardedFor}, ${v}`;
        break;
      }
    }
    if (DROPPED.has(h.id)) (drop ??= []).push(h.start, h.cr + 2);
  }
  if (h.bad) return "bad";
  // Both framings at once is how requests are smuggled past proxies: refuse it.
  if (chunked && contentLength >= 0) return "bad";
  if (host === undefined) return "bad";
  // An Upgrade header that Connection does not name is only a hop-by-hop header, dropped as the others.
  const upgrade = upgradeAsked && upgradeNamed;
  if (upgrade) {
    // A body before the switch would make the point where the other protocol begins a matter of
    // interpretation; Node's server takes such a request, without the upgrade.
    if (chunked || contentLength > 0) return "slow";
    drop = keepUpgradeLines(buf, drop ?? []);
  }
  return {
    method,
    target: buf.toString("latin1", sp1 + 1, sp2),
    host,
    drop,
    forwardedFor,
    contentLength: chunked ? -1 : Math.max(contentLength, 0),
    chunked,
    close,
    upgrade,
  };
}

/** `drop` without the Connection and Upgrade lines, which ask the instance for the switch. */
function keepUpgradeLines(buf: Buffer, drop: number[]): number[] | undefined {
  const kept: number[] = [];
  for (let k = 0; k < drop.length; k += 2) {
    let colon = drop[k]!;
    while (buf[colon] !== 0x3a) colon++;
    const id = nameId(buf, drop[k]!, colon);
    if (id !== CONNECTION && id !== UPGRADE) kept.push(drop[k]!, drop[k + 1]!);
  }
  return kept.length > 0 ? kept : undefined;
}

/**
 * The lines the proxy adds to a request: X-Forwarded-For, -Host and -Proto, and the blank line. The
 * same for every request of a connection that brings no X-Forwarded-For of its own, so callers keep it.
 */
export function forwardedSuffix(req: RequestHead, remote: string): Buffer {
  const fwd = req.forwardedFor === undefined ? remote : `${req.forwardedFor}, ${remote}`;
  return Buffer.from(
    `X-Forwarded-For: ${fwd}\r\nX-Forwarded-Host: ${req.host}\r\nX-Forwarded-Proto: http\r\n\r\n`,
    "latin1",
  );
}

/** The head sent to the instance: `buf[0, end)` without the dropped lines and the blank line, then `suffix`. */
export function forwardedHead(buf: Buffer, end: number, req: RequestHead, suffix: Buffer): Buffer {
  const drop = req.drop ?? NOTHING;
  let size = end - 2 + suffix.length;
  for (let k = 0; k < drop.length; k += 2) size -= drop[k + 1]! - drop[k]!;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  let from = 0;
  for (let k = 0; k < drop.length; k += 2) {
    at += buf.copy(out, at, from, drop[k]);
    from = drop[k + 1]!;
  }
  at += buf.copy(out, at, from, end - 2);
  suffix.copy(out, at);
  return out;
}
const NOTHING: number[] = [];

export interface ResponseHead {
  status: number;
  /** -1: chunked; -2: delimited by the connection closing; else the body's length in bytes. */
  bodyLength: number;
  /** The upstream will close its connection after this response. */
  close: boolean;
  /** How long the upstream keeps the connection open when idle (Keep-Alive: timeout=N), if it said. */
  keepAliveMs: number;
}

const HTTP1 = Buffer.from("HTTP/1.");

/** Parses a response head, `buf[start, end)`, to the request made with `requestMethod`. Undefined when malformed. */
export function parseResponseHead(
  buf: Buffer,
  requestMethod: string,
  start = 0,
  end = buf.length,
): ResponseHead | undefined {
  // The status line: HTTP/1.x, a space, three digits, then nothing or a space and a reason phrase.
  // The shortest head is "HTTP/1.1 200\r\n\r\n": nothing shorter is read at all.
  if (end - start < 16) return undefined;
  const minor = buf[start + 7];
  if (buf.compare(HTTP1, 0, 7, start, start + 7) !== 0 || (minor !== 0x30 && minor !== 0x31))
    return undefined;
  if (buf[start + 8] !== 0x20) return undefined;
  const status = decimal(buf, start + 9, start + 12);
  if (status < 100) return undefined; // 000-099 is no status at all
  const cr = lineEnd(buf, start + 12, end);
  if (cr < 0 || (cr > start + 12 && buf[start + 12] !== 0x20)) return undefined;
  const http10 = minor === 0x30;
  let length = -2;
  let chunked = false;
  let encoded = false;
  let close = http10;
  let keepAliveMs = Infinity;
  const h = new HeaderLines(buf, cr + 2, end);
  while (h.next()) {
    switch (h.id) {
      case CONTENT_LENGTH: {
        // Two lengths: where the answer ends depends on who reads it (RFC 9112 §6.3). Even equal ones
        // are refused, as Node's client and nginx do, so both of the proxy's paths answer alike.
        const n = h.decimal();
        if (n < 0 || length >= 0) return undefined;
        length = n;
        break;
      }
      case TRANSFER_ENCODING:
        encoded = true;
        chunked = h.endsChunked();
        if (!chunked) close = true; // a body ended by closing the connection
        break;
      case CONNECTION: {
        const o = h.options();
        if (o & CLOSE) close = true;
        else if (http10 && o & KEEP_ALIVE_OPTION) close = false;
        break;
      }
      case KEEP_ALIVE: {
        const ms = h.timeoutMs();
        if (ms !== Infinity) keepAliveMs = ms;
        break;
      }
    }
  }
  if (h.bad) return undefined;
  // Both framings: the client and the proxy could split the stream differently (response splitting);
  // nginx and Node's client refuse it too, so it is a broken answer whatever the status.
  if (encoded && length >= 0) return undefined;
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
