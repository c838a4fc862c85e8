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
  /** Lower-case Host without surrounding spaces ("" when absent). */
  host: string;
  /** Header lines to forward, without hop-by-hop and X-Forwarded-* ones, each ending in CRLF. */
  forward: string;
  forwardedFor: string | undefined;
  contentLength: number;
  chunked: boolean;
  /** The client asked to close the connection after this exchange. */
  close: boolean;
}

/** Why a request cannot take the fast path: "bad" is answered 400, "slow" goes to Node's server. */
export type RequestVerdict = RequestHead | "bad" | "slow";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "upgrade",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
]);

/** Parses a request head (the bytes up to and including the blank line). */
export function parseRequestHead(head: Buffer): RequestVerdict {
  const lines = head.toString("latin1", 0, head.length - 4).split("\r\n");
  const requestLine = lines[0]!.split(" ");
  if (requestLine.length !== 3) return "bad";
  const [method, target, version] = requestLine as [string, string, string];
  if (!TOKEN.test(method) || target.length === 0) return "bad";
  // HTTP/1.0 keep-alive rules and absolute-form targets are rare enough to leave to Node's server.
  if (version !== "HTTP/1.1" || target[0] !== "/") return "slow";
  let forward = "";
  let host: string | undefined;
  let contentLength = -1;
  let chunked = false;
  let close = false;
  let forwardedFor: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) return "bad";
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return "bad"; // also refuses obsolete line folding (a leading space)
    const lower = name.toLowerCase();
    const value = line.slice(colon + 1).trim();
    switch (lower) {
      case "host":
        if (host !== undefined) return "bad";
        host = value.toLowerCase();
        break;
      case "content-length":
        if (!/^\d{1,15}$/.test(value) || (contentLength >= 0 && Number(value) !== contentLength))
          return "bad";
        contentLength = Number(value);
        break;
      case "transfer-encoding":
        if (value.toLowerCase() !== "chunked" || chunked) return "slow";
        chunked = true;
        break;
      case "connection": {
        const tokens = value
          .toLowerCase()
          .split(",")
          .map((t) => t.trim());
        if (tokens.includes("upgrade")) return "slow";
        if (tokens.includes("close")) close = true;
        break;
      }
      case "upgrade":
      case "expect":
        return "slow";
      case "x-forwarded-for":
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        break;
    }
    if (!HOP_BY_HOP.has(lower)) forward += `${line}\r\n`;
  }
  // Both framings at once is how requests are smuggled past proxies: refuse it.
  if (chunked && contentLength >= 0) return "bad";
  if (host === undefined) return "bad";
  return {
    method,
    target,
    host,
    forward,
    forwardedFor,
    contentLength: chunked ? -1 : Math.max(contentLength, 0),
    chunked,
    close,
  };
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

/** Parses a response head to the request made with `requestMethod`. Undefined when malformed. */
export function parseResponseHead(headBuf: Buffer, requestMethod: string): ResponseHead | undefined {
  const text = headBuf.toString("latin1", 0, headBuf.length - 4);
  const lines = text.split("\r\n");
  const m = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0]!);
  if (!m) return undefined;
  const http10 = m[1] === "0";
  const status = Number(m[2]);
  let length = -2;
  let chunked = false;
  let close = http10;
  let keepAliveMs = Infinity;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) return undefined;
    const lower = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (lower === "content-length") {
      if (!/^\d{1,15}$/.test(value)) return undefined;
      length = Number(value);
    } else if (lower === "transfer-encoding") {
      const codings = value.toLowerCase().split(",");
      chunked = codings[codings.length - 1]!.trim() === "chunked";
      if (!chunked) close = true; // a body ended by closing the connection
    } else if (lower === "connection") {
      const tokens = value
        .toLowerCase()
        .split(",")
        .map((t) => t.trim());
      if (tokens.includes("close")) close = true;
      else if (http10 && tokens.includes("keep-alive")) close = false;
    } else if (lower === "keep-alive") {
      const m = /(?:^|,)\s*timeout\s*=\s*(\d+)/i.exec(value);
      if (m) keepAliveMs = Number(m[1]) * 1000;
    }
  }
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
