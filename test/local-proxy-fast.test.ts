// The proxy's byte relay: HTTP/1.1 framing (http1.ts) and the fast path (proxy-fast.ts) against raw
// sockets, so every framing case is exact: content-length, chunked and close-delimited answers,
// request bodies, pipelining, keep-alive reuse, 1xx, HEAD, retries, smuggling attempts, oversized heads,
// and the hand-off of everything else to Node's HTTP server.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net, { type AddressInfo } from "node:net";
import {
  ChunkedScanner,
  forwardedHead,
  forwardedSuffix,
  headEnd,
  parseRequestHead,
  parseResponseHead,
} from "../src/engine/local/http1.js";
import { Proxy, type Backend, type ProxyTable } from "../src/engine/local/proxy.js";
import { freePort } from "../src/engine/local/ports.js";

const head = (s: string) => Buffer.from(s.replace(/\n/g, "\r\n"), "latin1");

describe("HTTP/1.1 framing", () => {
  it("finds the end of a head and reads what a request says about its body", () => {
    const buf = head(
      "POST /a?b=1 HTTP/1.1\nHost: Api.Localhost:8080\nContent-Length: 5\nX-Forwarded-For: 10.0.0.1\nConnection: close\n\nhello",
    );
    const end = headEnd(buf);
    assert.equal(buf.subarray(end).toString(), "hello");
    const h = parseRequestHead(buf.subarray(0, end));
    assert.ok(typeof h === "object");
    assert.deepEqual(
      [h.method, h.target, h.host, h.contentLength, h.chunked, h.close, h.forwardedFor],
      ["POST", "/a?b=1", "api.localhost:8080", 5, false, true, "10.0.0.1"],
    );
    // Hop-by-hop and X-Forwarded-* lines are not forwarded; the proxy writes its own.
    assert.equal(
      forwardedHead(buf, end, h, forwardedSuffix(h, "127.0.0.2")).toString(),
      "POST /a?b=1 HTTP/1.1\r\nHost: Api.Localhost:8080\r\nContent-Length: 5\r\n" +
        "X-Forwarded-For: 10.0.0.1, 127.0.0.2\r\nX-Forwarded-Host: api.localhost:8080\r\nX-Forwarded-Proto: http\r\n\r\n",
    );
    assert.equal(headEnd(head("GET / HTTP/1.1\nHost: x\n")), -1);
  });

  it("refuses smuggling shapes and sends what it does not relay to the slow path", () => {
    const verdict = (s: string) => {
      const v = parseRequestHead(head(`${s}\n\n`));
      return typeof v === "string" ? v : "fast";
    };
    assert.equal(verdict("GET / HTTP/1.1\nHost: a"), "fast");
    assert.equal(verdict("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked"), "fast");
    assert.equal(verdict("POST / HTTP/1.1\nHost: a\nContent-Length: 3\nTransfer-Encoding: chunked"), "bad");
    assert.equal(verdict("POST / HTTP/1.1\nHost: a\nContent-Length: 3\nContent-Length: 4"), "bad");
    assert.equal(verdict("POST / HTTP/1.1\nHost: a\nContent-Length: -1"), "bad");
    assert.equal(verdict("GET / HTTP/1.1\nHost: a\nHost: b"), "bad");
    assert.equal(verdict("GET / HTTP/1.1"), "bad");
    assert.equal(verdict("GET / HTTP/1.1\nHost: a\n folded"), "bad");
    assert.equal(verdict("GET / HTTP/1.1\nBad Name: a\nHost: a"), "bad");
    assert.equal(verdict("GET /  HTTP/1.1\nHost: a"), "bad");
    assert.equal(verdict("GET / HTTP/1.0\nHost: a"), "slow");
    assert.equal(verdict("GET http://a/ HTTP/1.1\nHost: a"), "slow");
    // Upgrades are relayed, tunnelled only after the instance's 101; one with a body is Node's server's.
    assert.equal(verdict("GET / HTTP/1.1\nHost: a\nConnection: Upgrade\nUpgrade: websocket"), "fast");
    assert.equal(
      verdict("GET / HTTP/1.1\nHost: a\nConnection: keep-alive, Upgrade\nUpgrade: websocket"),
      "fast",
    );
    assert.equal(
      verdict("POST / HTTP/1.1\nHost: a\nConnection: Upgrade\nUpgrade: h2c\nContent-Length: 1"),
      "slow",
    );
    assert.equal(verdict("POST / HTTP/1.1\nHost: a\nExpect: 100-continue"), "slow");
    assert.equal(verdict("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip, chunked"), "slow");
    assert.equal(verdict("GET / HTTP/1.1\nHost: a\nConnection: keep-alive, close"), "fast");
    // A Connection option naming another header: the slow path strips that header.
    assert.equal(verdict("GET / HTTP/1.1\nHost: a\nConnection: close, X-Session"), "slow");
    // Bytes no field value may hold: a server that splits lines elsewhere than the relay is a smuggling target.
    assert.equal(verdict("GET / HTTP/1.1\nHost: a\nX-A: b\rTransfer-Encoding: chunked"), "bad");
    assert.equal(verdict("GET / HTTP/1.1\nHost: a\nX-A: b\x01c"), "bad");
    assert.equal(verdict("GET /a\x01 HTTP/1.1\nHost: a"), "bad");
    assert.equal(verdict("GET / HTTP/1.1\nHost: a\nX-A: b\tc \xe9"), "fast");
    // Names and the chunked coding in any case; the Host comes out lower case and trimmed.
    assert.equal(verdict("POST / HTTP/1.1\nHOST: a\nTRANSFER-ENCODING: Chunked"), "fast");
    const h = parseRequestHead(head("GET / HTTP/1.1\nhOsT: \t Api.Localhost:80 \n\n"));
    assert.equal(typeof h === "object" && h.host, "api.localhost:80");
    // An upgrade keeps the lines that ask for it; an Upgrade that Connection does not name is dropped.
    const sent = (s: string) => {
      const buf = head(`${s}\n\n`);
      const h = parseRequestHead(buf);
      assert.ok(typeof h === "object");
      return [h.upgrade, forwardedHead(buf, buf.length, h, Buffer.from("\r\n")).toString()];
    };
    assert.deepEqual(
      sent("GET / HTTP/1.1\nHost: a\nConnection: Upgrade\nKeep-Alive: 5\nUpgrade: websocket"),
      [true, "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"],
    );
    assert.deepEqual(sent("GET / HTTP/1.1\nHost: a\nUpgrade: websocket"), [
      false,
      "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    ]);
  });

  it("reads a response's framing", () => {
    const res = (s: string, method = "GET") => {
      const r = parseResponseHead(head(`${s}\n\n`), method);
      return r && { status: r.status, bodyLength: r.bodyLength, close: r.close };
    };
    assert.deepEqual(res("HTTP/1.1 200 OK\nContent-Length: 12"), {
      status: 200,
      bodyLength: 12,
      close: false,
    });
    assert.deepEqual(res("HTTP/1.1 200 OK\nTransfer-Encoding: chunked"), {
      status: 200,
      bodyLength: -1,
      close: false,
    });
    assert.deepEqual(res("HTTP/1.1 200 OK"), {
      status: 200,
      bodyLength: -2,
      close: true,
    });
    assert.deepEqual(res("HTTP/1.1 200 OK\nContent-Length: 12", "HEAD"), {
      status: 200,
      bodyLength: 0,
      close: false,
    });
    assert.deepEqual(res("HTTP/1.1 204 No Content"), {
      status: 204,
      bodyLength: 0,
      close: false,
    });
    assert.deepEqual(res("HTTP/1.1 304 Not Modified"), {
      status: 304,
      bodyLength: 0,
      close: false,
    });
    assert.deepEqual(res("HTTP/1.1 103 Early Hints\nLink: </a.css>"), {
      status: 103,
      bodyLength: 0,
      close: false,
    });
    assert.deepEqual(res("HTTP/1.1 200 OK\nContent-Length: 1\nConnection: close"), {
      status: 200,
      bodyLength: 1,
      close: true,
    });
    assert.deepEqual(res("HTTP/1.0 200 OK\nContent-Length: 1"), {
      status: 200,
      bodyLength: 1,
      close: true,
    });
    const keepAlive = (s: string) => parseResponseHead(head(`HTTP/1.1 200 OK\n${s}\n\n`), "GET")?.keepAliveMs;
    assert.equal(keepAlive("Keep-Alive: timeout=5"), 5000);
    assert.equal(keepAlive("Keep-Alive: max=100, timeout=2"), 2000);
    assert.equal(keepAlive("Content-Length: 0"), Infinity);
    assert.equal(res("HTTP/1.1 200 OK\nContent-Length: x"), undefined);
    assert.equal(res("SIP/2.0 200 OK"), undefined);
    assert.deepEqual(res("HTTP/1.1 200\nContent-Length: 0"), { status: 200, bodyLength: 0, close: false });
    assert.equal(res("HTTP/1.1 2000 OK"), undefined);
    assert.equal(res("HTTP/1.1 099 Odd"), undefined);
    // Heads too short to hold a status line: no status, and nothing read past them.
    assert.equal(parseResponseHead(head("\n\n"), "GET"), undefined);
    assert.equal(parseResponseHead(head("HTTP/1.1\n\n"), "GET"), undefined);
    assert.equal(res("HTTP/1.1 200OK"), undefined);
    assert.equal(res("HTTP/1.2 200 OK"), undefined);
    assert.equal(res("HTTP/1.1 200 OK\nX-A: b\rc"), undefined);
    assert.equal(res("HTTP/1.1 200 OK\nTransfer-Encoding: gzip, Chunked")?.bodyLength, -1);
    assert.deepEqual(res("HTTP/1.1 200 OK\nTransfer-Encoding: chunked, gzip"), {
      status: 200,
      bodyLength: -2,
      close: true,
    });
    assert.equal(res("HTTP/1.0 200 OK\nContent-Length: 1\nConnection: Keep-Alive")?.close, false);
    assert.equal(res("HTTP/1.1 200 OK\nContent-Length: 1\nConnection: keep-alive,  CLOSE")?.close, true);
    assert.equal(keepAlive("Keep-Alive: timeout = 7"), 7000);
    assert.equal(keepAlive("keep-alive: TIMEOUT=3, max=9"), 3000);
    assert.equal(keepAlive("Keep-Alive: timeouts=5"), Infinity);
    assert.equal(keepAlive("Keep-Alive: timeout="), Infinity);
    // Two framings, or two lengths even when equal: where the answer ends is a matter of who reads it.
    assert.equal(res("HTTP/1.1 200 OK\nContent-Length: 3\nTransfer-Encoding: chunked"), undefined);
    assert.equal(res("HTTP/1.1 200 OK\nTransfer-Encoding: gzip\nContent-Length: 3"), undefined);
    assert.equal(res("HTTP/1.1 200 OK\nContent-Length: 3\nContent-Length: 4"), undefined);
    assert.equal(res("HTTP/1.1 204 No Content\nContent-Length: 0\nContent-Length: 0"), undefined);
  });

  it("finds the end of a chunked body fed one byte at a time, with extensions and trailers", () => {
    const body = Buffer.from("5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT");
    const whole = new ChunkedScanner().feed(body);
    assert.equal(body.subarray(whole).toString(), "NEXT");
    const s = new ChunkedScanner();
    let end = -1;
    for (let i = 0; i < body.length && end < 0; i++) {
      const r = s.feed(body.subarray(i, i + 1));
      if (r >= 0) end = i + r;
    }
    assert.equal(end, whole);
    assert.throws(() => new ChunkedScanner().feed(Buffer.from("zz\r\n")));
    assert.throws(() => new ChunkedScanner().feed(Buffer.from("3\r\nabcX")));
    assert.throws(() => new ChunkedScanner().feed(Buffer.from("1234567890abc\r\n")));
  });
});

/** A backend that answers each request (read as raw bytes) with whatever `answer` returns. */
function rawBackend(
  answer: (request: string) => string | undefined | Promise<string>,
): Promise<{ server: net.Server; port: number; requests: string[]; connections: () => number }> {
  const requests: string[] = [];
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    let buf = "";
    socket.on("data", (d: Buffer) => {
      buf += d.toString("latin1");
      for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const len = /content-length: (\d+)/i.exec(buf.slice(0, end));
        const chunked = /transfer-encoding: chunked/i.test(buf.slice(0, end));
        const last = buf.indexOf("0\r\n\r\n", end + 4);
        if (chunked && last < 0) return;
        const total = chunked ? last + 5 : end + 4 + (len ? Number(len[1]) : 0);
        if (buf.length < total) return;
        const req = buf.slice(0, total);
        buf = buf.slice(total);
        requests.push(req);
        void Promise.resolve(answer(req)).then((out) => {
          if (out === undefined) socket.destroy();
          else if (out.endsWith("<close>")) socket.end(out.slice(0, -"<close>".length));
          else socket.write(out);
        });
      }
    });
    socket.on("error", () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        requests,
        connections: () => connections,
      }),
    ),
  );
}

/** Sends raw bytes and collects everything until the proxy closes the connection or `done` says so. */
function exchange(port: number, bytes: string, done?: (got: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(bytes, "latin1"));
    let got = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timed out; got ${JSON.stringify(got)}`));
    }, 5000);
    socket.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      if (done?.(got)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(got);
      }
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.on("error", () => undefined);
  });
}

const count = (s: string, what: string) => s.split(what).length - 1;
/** An answer of many reads: 2 MiB of numbered lines, so a lost, repeated or reordered piece shows. */
const BIG = Array.from({ length: 200_000 }, (_, i) => `${String(i).padStart(9, "0")}\n`).join("");

describe("proxy fast path", () => {
  // Short idle limits, so that closing idle connections is seen within the test.
  const proxy = new Proxy({ clientIdleMs: 400, upstreamIdleMs: 400 });
  let port = 0;
  const servers: net.Server[] = [];
  let backend: Awaited<ReturnType<typeof rawBackend>>;
  let be: Backend;
  let table: ProxyTable;

  before(async () => {
    backend = await rawBackend((req) => {
      const path = req.split(" ")[1]!;
      const body = req.slice(req.indexOf("\r\n\r\n") + 4);
      if (path === "/chunked")
        return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
      if (path === "/hints")
        return "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      if (path === "/until-close") return "HTTP/1.1 200 OK\r\n\r\nstreamed to the end<close>";
      if (path === "/no-content") return "HTTP/1.1 204 No Content\r\n\r\n";
      if (path === "/garbage") return "this is not http\r\n\r\n";
      if (path === "/hang-up") return undefined;
      if (path === "/big") return `HTTP/1.1 200 OK\r\nContent-Length: ${BIG.length}\r\n\r\n${BIG}`;
      if (path === "/slow")
        return new Promise<string>((r) =>
          setTimeout(() => r("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow"), 150),
        );
      const echo = JSON.stringify({ path, body, head: req.slice(0, req.indexOf("\r\n\r\n")) });
      return `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(echo)}\r\n\r\n${echo}`;
    });
    servers.push(backend.server);
    be = { id: "api-1", port: backend.port, ready: true, inflight: 0 };
    table = {
      routes: [{ service: "api", hosts: [], prefix: "/", kind: "proxy", answerMs: 60_000 }],
      backends: { api: [be] },
      statics: {},
    };
    proxy.setTable(table);
    port = await proxy.listen(0);
  });

  after(async () => {
    await proxy.close();
    for (const s of servers) s.close();
  });

  it("relays pipelined requests in order over one reused upstream connection", async () => {
    const before = backend.connections();
    const req = (p: string) => `GET ${p} HTTP/1.1\r\nHost: a.test\r\n\r\n`;
    const got = await exchange(
      port,
      req("/one") + req("/two") + req("/three"),
      (g) => count(g, "HTTP/1.1 200") === 3,
    );
    const paths = [...got.matchAll(/"path":"([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(paths, ["/one", "/two", "/three"]);
    assert.ok(backend.connections() - before <= 1);
    const forwarded = backend.requests.at(-1)!;
    assert.match(
      forwarded,
      /^GET \/three HTTP\/1\.1\r\nHost: a\.test\r\nX-Forwarded-For: 127\.0\.0\.1\r\nX-Forwarded-Host: a\.test\r\nX-Forwarded-Proto: http\r\n\r\n$/,
    );
    assert.equal(be.inflight, 0);
  });

  it("forwards request bodies framed by length and by chunks", async () => {
    const withLength = await exchange(
      port,
      "POST /len HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world",
      (g) => g.includes("}"),
    );
    assert.match(withLength, /"body":"hello world"/);
    const chunkedBody = "5\r\nhello\r\n0\r\n\r\n";
    const chunked = await exchange(
      port,
      `POST /chunks HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedBody}GET /after HTTP/1.1\r\nHost: a\r\n\r\n`,
      (g) => g.includes('"path":"/after"'),
    );
    assert.match(chunked, /"path":"\/chunks","body":"5\\r\\nhello\\r\\n0\\r\\n\\r\\n"/);
    assert.ok(
      backend.requests.some((r) => r.startsWith("POST /chunks") && r.includes("Transfer-Encoding: chunked")),
    );
  });

  it("relays chunked, 1xx, 204 and close-delimited answers exactly", async () => {
    const chunked = await exchange(port, "GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n", (g) =>
      g.endsWith("0\r\n\r\n"),
    );
    assert.equal(
      chunked,
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    );
    const hints = await exchange(port, "GET /hints HTTP/1.1\r\nHost: a\r\n\r\n", (g) => g.endsWith("ok"));
    assert.match(hints, /^HTTP\/1\.1 103 Early Hints\r\n.*HTTP\/1\.1 200 OK\r\n/s);
    const twoNoContent = await exchange(
      port,
      "GET /no-content HTTP/1.1\r\nHost: a\r\n\r\nGET /no-content HTTP/1.1\r\nHost: a\r\n\r\n",
      (g) => count(g, "204") === 2,
    );
    assert.equal(count(twoNoContent, "HTTP/1.1 204"), 2);
    // No length: the body ends when the instance closes, and so does the client's connection.
    assert.equal(
      await exchange(port, "GET /until-close HTTP/1.1\r\nHost: a\r\n\r\n"),
      "HTTP/1.1 200 OK\r\n\r\nstreamed to the end",
    );
    assert.equal(be.inflight, 0);
  });

  it("relays an answer of many reads intact, to a client that reads slowly", async () => {
    const got = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const c = net.connect(port, "127.0.0.1", () =>
        c.write("GET /big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
      );
      // Pauses make the proxy's writes back up, so it has to pause the instance and resume it.
      c.on("data", (d: Buffer) => {
        chunks.push(d);
        c.pause();
        setTimeout(() => c.resume(), 2);
      });
      c.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
      c.on("error", reject);
    });
    const body = got.slice(got.indexOf("\r\n\r\n") + 4);
    assert.equal(body.length, BIG.length);
    assert.ok(body === BIG, "the body differs from what the instance sent");
    assert.equal(be.inflight, 0);
  });

  it("answers 400 to smuggling shapes, 431 to oversized heads and 502 to a broken instance", async () => {
    const bad = await exchange(
      port,
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    assert.match(bad, /^HTTP\/1\.1 400 /);
    const big = await exchange(port, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${"x".repeat(20_000)}\r\n\r\n`);
    assert.match(big, /^HTTP\/1\.1 431 /);
    assert.match(await exchange(port, "GET /garbage HTTP/1.1\r\nHost: a\r\n\r\n"), /^HTTP\/1\.1 502 /);
    assert.match(
      await exchange(port, "POST /hang-up HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"),
      /^HTTP\/1\.1 502 /,
    );
    assert.equal(be.inflight, 0);
  });

  it("retries a GET that an instance refused on another one; a POST gets 502", async () => {
    const dead: Backend = { id: "api-dead", port: await freePort(), ready: true, inflight: 0 };
    proxy.setTable({ ...table, backends: { api: [dead, be] } });
    for (let i = 0; i < 4; i++)
      assert.match(
        await exchange(port, "GET /r HTTP/1.1\r\nHost: a\r\n\r\n", (g) => g.includes("}")),
        /^HTTP\/1\.1 200 /,
      );
    const posts = await Promise.all(
      [0, 1].map(() =>
        exchange(port, "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
      ),
    );
    assert.deepEqual(posts.map((p) => p.slice(0, 12)).sort(), ["HTTP/1.1 200", "HTTP/1.1 502"]);
    assert.equal(dead.inflight, 0);
    proxy.setTable(table);
  });

  it("does not keep a connection the instance said it closes within a second", async () => {
    const short = await rawBackend(
      () => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=1\r\n\r\nok",
    );
    servers.push(short.server);
    proxy.setTable({
      ...table,
      backends: { api: [{ id: "api-3", port: short.port, ready: true, inflight: 0 }] },
    });
    for (let i = 0; i < 2; i++)
      await exchange(port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", (g) => g.endsWith("ok"));
    assert.equal(short.connections(), 2);
    proxy.setTable(table);
  });

  it(
    "closes client and instance connections that stay idle past their limits",
    { timeout: 10_000 },
    async () => {
      const idle = await rawBackend(() => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      servers.push(idle.server);
      proxy.setTable({
        ...table,
        backends: { api: [{ id: "api-4", port: idle.port, ready: true, inflight: 0 }] },
      });
      const t0 = Date.now();
      // The client keeps its connection open after the answer: the proxy closes it.
      const got = await exchange(port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      assert.match(got, /^HTTP\/1\.1 200 OK/);
      assert.ok(Date.now() - t0 >= 400, "closed before its idle limit");
      // The pooled connection to the instance is gone too: the instance's server can close.
      await new Promise<void>((resolve) => idle.server.close(() => resolve()));
      proxy.setTable(table);
    },
  );

  it("closes idle upstream connections to instances that left the table", async () => {
    const other = await rawBackend(() => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    servers.push(other.server);
    const ob: Backend = { id: "api-2", port: other.port, ready: true, inflight: 0 };
    proxy.setTable({ ...table, backends: { api: [ob] } });
    await exchange(port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", (g) => g.endsWith("ok"));
    const closed = new Promise<void>((resolve) => other.server.close(() => resolve()));
    proxy.setTable(table); // other.server.close() completes only once the proxy drops its idle connection
    await closed;
  });

  it("answers a client that half-closed after its request, then closes; keeps serving others", async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      let got = "";
      const c = net.connect(port, "127.0.0.1", () => c.end("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"));
      c.on("data", (d: Buffer) => (got += d.toString()));
      c.on("close", () => resolve(got));
      c.on("error", reject);
    });
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nslow$/);
    // Pipelined, the second needing Node's server (HTTP/1.0), then FIN: both are answered.
    const both = await new Promise<string>((resolve, reject) => {
      let got = "";
      const c = net.connect(port, "127.0.0.1", () =>
        c.end("GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /slow HTTP/1.0\r\nHost: a\r\n\r\n"),
      );
      c.on("data", (d: Buffer) => (got += d.toString()));
      c.on("close", () => resolve(got));
      c.on("error", reject);
    });
    assert.equal(both.match(/HTTP\/1\.1 200 OK/g)?.length, 2, both);
    // A client that disappears mid-answer loses its exchange; the instance keeps serving the others.
    const gone = net.connect(port, "127.0.0.1", () => gone.write("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"));
    gone.on("error", () => undefined);
    setTimeout(() => gone.destroy(), 50);
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 3; i++)
      assert.match(
        await exchange(port, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n", (g) => g.endsWith("slow")),
        /^HTTP\/1\.1 200 /,
      );
    assert.equal(be.inflight, 0);
  });

  it("drops the rest of a body the instance answered early, never reading it as requests", async () => {
    // An instance that answers /early (a 401 to an upload) as soon as its head arrives, without
    // reading the body; anything else once its head is in.
    const lines: string[] = [];
    let connections = 0;
    const early = net.createServer((socket) => {
      connections++;
      let buf = "";
      socket.on("data", (d: Buffer) => {
        buf += d.toString("latin1");
        for (let end = buf.indexOf("\r\n\r\n"); end >= 0; end = buf.indexOf("\r\n\r\n")) {
          const line = buf.slice(0, buf.indexOf("\r\n"));
          buf = line.startsWith("POST /early") ? "" : buf.slice(end + 4);
          lines.push(line);
          const body = line.split(" ")[1]!;
          socket.write(
            line.startsWith("POST /early")
              ? "HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\nnope"
              : `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
          );
          if (line.startsWith("POST /early")) return; // the body's bytes that follow are not requests
        }
      });
      socket.on("error", () => undefined);
    });
    await new Promise<void>((r) => early.listen(0, "127.0.0.1", () => r()));
    servers.push(early);
    proxy.setTable({
      ...table,
      backends: {
        api: [{ id: "api-5", port: (early.address() as AddressInfo).port, ready: true, inflight: 0 }],
      },
    });
    // The body looks like a request: relayed as one, it would reach the instance (request smuggling).
    const body = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
    const got = await new Promise<string>((resolve, reject) => {
      let text = "";
      const c = net.connect(port, "127.0.0.1", () =>
        c.write(
          `POST /early HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
        ),
      );
      c.on("data", (d: Buffer) => {
        text += d.toString("latin1");
        if (text.endsWith("nope")) c.write(body.slice(10) + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
        if (text.endsWith("/next")) c.end();
      });
      c.on("close", () => resolve(text));
      c.on("error", reject);
    });
    assert.match(got, /^HTTP\/1\.1 401 Unauthorized\r\n[\s\S]*nopeHTTP\/1\.1 200 OK\r\n[\s\S]*\/next$/);
    assert.deepEqual(lines, ["POST /early HTTP/1.1", "GET /next HTTP/1.1"]);
    assert.equal(connections, 2, "the connection the instance answered early on was reused");
    proxy.setTable(table);
  });

  it("closes a connection whose client ended in the middle of a request body", async () => {
    const closed = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, "127.0.0.1", () =>
        c.end("POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc"),
      );
      const timer = setTimeout(() => resolve(false), 2000);
      c.on("close", () => {
        clearTimeout(timer);
        resolve(true);
      });
      c.on("error", () => undefined);
    });
    assert.ok(closed, "the proxy kept the half-closed connection open");
    assert.equal(be.inflight, 0);
  });

  it("passes no hop-by-hop header to the instance on either path", async () => {
    const hop = "Proxy-Authorization: Basic cHJveHk6c2VjcmV0\r\nKeep-Alive: timeout=9\r\nTE: trailers\r\n";
    // The byte relay.
    await exchange(port, `GET /fast HTTP/1.1\r\nHost: a\r\n${hop}Accept: */*\r\n\r\n`, (g) =>
      g.includes("/fast"),
    );
    const fast = backend.requests.at(-1)!;
    assert.match(fast, /^GET \/fast HTTP\/1\.1\r\nHost: a\r\nAccept: \*\/\*\r\nX-Forwarded-For: /);
    // Node's server: HTTP/1.0, and a Connection option that names a header.
    for (const [path, extra] of [
      ["/old", ""],
      ["/named", "Connection: close, X-Session\r\nX-Session: abc\r\n"],
    ] as const) {
      const version = path === "/old" ? "1.0" : "1.1";
      await exchange(port, `GET ${path} HTTP/${version}\r\nHost: a\r\n${hop}${extra}Accept: */*\r\n\r\n`);
      const slow = backend.requests.at(-1)!;
      assert.ok(slow.startsWith(`GET ${path} HTTP/1.1\r\n`), slow);
      assert.match(slow, /\r\naccept: \*\/\*\r\n/i);
      assert.doesNotMatch(slow, /proxy-authorization|keep-alive: timeout|\r\nte:|x-session/i);
    }
  });

  it("hands HTTP/1.0 and requests without a ready instance to Node's server, bytes intact", async () => {
    const old = await exchange(port, "POST /old HTTP/1.0\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc");
    assert.match(old, /^HTTP\/1\.1 200 /);
    assert.match(old, /"body":"abc"/);
    be.ready = false;
    const none = await exchange(port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assert.match(none, /^HTTP\/1\.1 503 /);
    assert.match(none, /no ready instance of api/);
    be.ready = true;
  });
});
