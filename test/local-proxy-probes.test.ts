// Probes of the proxy as an attacker or a broken app would send them, over raw sockets on loopback:
// an Upgrade the instance declines must not open a tunnel (what follows is parsed as requests, so
// forged X-Forwarded-*, proxy credentials and smuggling shapes are handled as on any request); a real
// 101 tunnels; answers with two framings get 502 on both paths; an instance that never answers gets
// 504 at the route's `request_timeout`; connections beyond the proxy's share of open files get 503,
// also in a process whose hard limit is low, and every connection while a restore runs; smuggling shapes, oversized heads and paths out of a
// static site are refused before an instance sees them. Each probe is bounded in time.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { Proxy, type Backend, type ProxyOptions } from "../src/engine/local/proxy.js";
import { connectionShare, openFileLimit } from "../src/engine/local/proxy-capacity.js";
import { buildRoutes } from "../src/engine/local/routing.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./helpers.js";

/** A static site, so that Node's server takes a connection over. */
const SITE = mkdtempSync(join(tmpdir(), "gantry-site-"));
writeFileSync(join(SITE, "index.html"), "<p>site</p>");

/** A raw client connection: what came back so far, and a wait for more. */
class Probe {
  out = "";
  closed = false;
  readonly socket: net.Socket;
  constructor(port: number) {
    this.socket = net.connect(port, "127.0.0.1");
    this.socket.on("data", (d: Buffer) => (this.out += d.toString("latin1")));
    this.socket.on("error", () => undefined);
    this.socket.on("close", () => (this.closed = true));
  }
  send(s: string): this {
    this.socket.write(s, "latin1");
    return this;
  }
  /** Waits until `done` holds for what came back (or the connection closed), at most `ms`. */
  async until(done: (out: string) => boolean, ms = 3000): Promise<string> {
    const t0 = Date.now();
    while (!done(this.out) && !this.closed && Date.now() - t0 < ms) await sleep(10);
    return this.out;
  }
  close(): void {
    this.socket.destroy();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const answers = (s: string) => (s.match(/HTTP\/1\.1 \d{3} /g) ?? []).map((a) => a.trim());

/** What an instance received: each request's line and headers, as Node's parser (the app's) read them. */
interface Seen {
  line: string;
  headers: http.IncomingHttpHeaders;
}

describe("proxy probes", () => {
  const seen: Seen[] = [];
  const servers: net.Server[] = [];
  let app: Backend;
  let ws: Backend;
  let proxy: Proxy;
  let port = 0;

  before(async () => {
    // A Node app without an upgrade handler: it answers an Upgrade request with a plain 200.
    const plain = http.createServer((req, res) => {
      seen.push({ line: `${req.method ?? ""} ${req.url ?? ""}`, headers: req.headers });
      if (req.url === "/never") return; // never answers
      if (req.url === "/drip") {
        // The answer starts at once and takes longer than the timeout to finish: not cut.
        res.writeHead(200, { "content-length": "6" });
        res.write("abc");
        setTimeout(() => res.end("def"), 900);
        return;
      }
      res.end("plain");
    });
    // A WebSocket-like app: 101, then an echo of every byte.
    const echo = http.createServer((req, res) => {
      seen.push({ line: `${req.method ?? ""} ${req.url ?? ""}`, headers: req.headers });
      res.end("no upgrade");
    });
    echo.on("upgrade", (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      seen.push({ line: `UPGRADE ${req.url ?? ""}`, headers: req.headers });
      socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
      if (head.length > 0) socket.write(`echo:${head.toString()}`);
      socket.on("data", (d: Buffer) => socket.write(`echo:${d.toString()}`));
    });
    for (const s of [plain, echo]) {
      await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
      servers.push(s);
    }
    app = { id: "app-1", port: (plain.address() as AddressInfo).port, ready: true, inflight: 0 };
    ws = { id: "ws-1", port: (echo.address() as AddressInfo).port, ready: true, inflight: 0 };
    ({ proxy, port } = await start({ app: [app], ws: [ws] }, { clientIdleMs: 400 }));
  });

  after(async () => {
    await proxy.close();
    for (const s of servers) s.close();
    rmSync(SITE, { recursive: true, force: true });
  });

  const UPGRADE = "GET /x HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
  const FORGED =
    "GET /after HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Host: evil.example\r\n" +
    "X-Forwarded-Proto: https\r\nProxy-Authorization: Basic c2VjcmV0\r\n\r\n";
  const SMUGGLE =
    "POST /smuggled HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n";

  for (const pipelined of [false, true])
    it(`opens no tunnel when the instance declines an upgrade (${pipelined ? "pipelined" : "one by one"})`, async () => {
      seen.length = 0;
      const p = new Probe(port);
      try {
        if (pipelined) p.send(UPGRADE + FORGED + SMUGGLE);
        else {
          await p.send(UPGRADE).until((o) => o.endsWith("plain"));
          await p.send(FORGED).until((o) => answers(o).length === 2 && o.endsWith("plain"));
          p.send(SMUGGLE);
        }
        const out = await p.until((o) => answers(o).length === 3);
        assert.deepEqual(answers(out), ["HTTP/1.1 200", "HTTP/1.1 200", "HTTP/1.1 400"], out);
        // The upgrade request reached the app asking for the switch; the next one with the proxy's own
        // X-Forwarded-* and no proxy credentials; the smuggling shape never reached it.
        assert.deepEqual(
          seen.map((s) => s.line),
          ["GET /x", "GET /after"],
        );
        assert.equal(seen[0]!.headers.upgrade, "websocket");
        const h = seen[1]!.headers;
        assert.equal(h["x-forwarded-for"], "6.6.6.6, 127.0.0.1");
        assert.equal(h["x-forwarded-host"], "a");
        assert.equal(h["x-forwarded-proto"], "http");
        assert.equal(h["proxy-authorization"], undefined);
        assert.equal(app.inflight, 0);
      } finally {
        p.close();
      }
    });

  it("tunnels after the instance's 101; bytes sent before it reach the instance only through the tunnel", async () => {
    seen.length = 0;
    const p = new Probe(port);
    try {
      p.send(
        "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n" +
          "X-Forwarded-For: 6.6.6.6\r\nProxy-Authorization: Basic c2VjcmV0\r\n\r\nhello",
      );
      await p.until((o) => o.includes("echo:hello"));
      assert.match(p.out, /^HTTP\/1\.1 101 /);
      assert.equal(ws.inflight, 1);
      p.send(FORGED);
      // Once switched, the bytes are the other protocol's: passed as they are, never parsed as HTTP.
      await p.until((o) => o.includes("echo:GET /after"));
      assert.ok(p.out.includes(`echo:${FORGED}`), p.out);
      const h = seen[0]!.headers;
      assert.equal(h.connection, "keep-alive, Upgrade");
      assert.equal(h["x-forwarded-for"], "6.6.6.6, 127.0.0.1");
      assert.equal(h["proxy-authorization"], undefined);
    } finally {
      p.close();
    }
    for (let i = 0; i < 100 && ws.inflight > 0; i++) await sleep(20);
    assert.equal(ws.inflight, 0, "a closed tunnel is no longer in flight");
  });

  it("serves an upgrade the byte relay does not take without switching, then closes", async () => {
    seen.length = 0;
    for (const [request, status] of [
      ["GET /ws HTTP/1.0\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", "200"],
      [
        "POST /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\nhi",
        "400",
      ],
    ] as const) {
      const p = new Probe(port);
      const out = await p.send(request + "GET /ws HTTP/1.1\r\nHost: a\r\n\r\n").until(() => false, 1500);
      p.close();
      assert.deepEqual(answers(out), [`HTTP/1.1 ${status}`], out);
      assert.ok(p.closed, "closed after the answer");
    }
    // The instance saw one plain request, without the upgrade, and nothing of what followed.
    assert.deepEqual(
      seen.map((s) => [s.line, s.headers.upgrade]),
      [["GET /ws", undefined]],
    );
    assert.equal(ws.inflight, 0);
  });

  it("tunnels an upgrade on a connection Node's server took over (a static file first), after the 101", async () => {
    seen.length = 0;
    const p = new Probe(port);
    try {
      await p.send("GET /site/ HTTP/1.1\r\nHost: a\r\n\r\n").until((o) => o.endsWith("<p>site</p>"));
      p.send(
        "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nX-Forwarded-For: 6.6.6.6\r\n\r\nhello",
      );
      await p.until((o) => o.includes("echo:hello"));
      assert.deepEqual(answers(p.out), ["HTTP/1.1 200", "HTTP/1.1 101"], p.out);
      assert.equal(seen[0]!.headers["x-forwarded-for"], "6.6.6.6, 127.0.0.1");
      assert.equal(ws.inflight, 1);
      // Declined on a connection Node's server took over: the next request is parsed, not tunnelled.
      p.close();
      const q = new Probe(port);
      await q.send("GET /site/ HTTP/1.1\r\nHost: a\r\n\r\n").until((o) => o.endsWith("<p>site</p>"));
      await q.send(UPGRADE).until((o) => o.endsWith("plain"));
      q.send(SMUGGLE);
      assert.deepEqual(answers(await q.until((o) => answers(o).length === 3)), [
        "HTTP/1.1 200",
        "HTTP/1.1 200",
        "HTTP/1.1 400",
      ]);
      q.close();
    } finally {
      p.close();
    }
    for (let i = 0; i < 100 && ws.inflight > 0; i++) await sleep(20);
    assert.equal(ws.inflight, 0);
  });

  it("ends a tunnel whose client half-closes, rather than keeping it in flight", async () => {
    const p = new Probe(port);
    try {
      await p
        .send("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        .until((o) => o.includes("101"));
      p.socket.end("bye");
      await p.until(() => false, 2000);
      assert.ok(p.closed, "the proxy closed the tunnel");
      assert.equal(ws.inflight, 0);
    } finally {
      p.close();
    }
  });

  it("answers 504 when the instance does not start answering within request_timeout, on both paths", async () => {
    for (const version of ["1.1", "1.0"]) {
      const t0 = Date.now();
      const p = new Probe(port);
      const out = await p
        .send(`GET /never HTTP/${version}\r\nHost: a\r\n\r\n`)
        .until((o) => o.length > 0, 5000);
      p.close();
      const ms = Date.now() - t0;
      assert.match(out, /^HTTP\/1\.1 504 /, `HTTP/${version}`);
      assert.ok(ms >= 500 && ms < 3000, `HTTP/${version}: 504 after ${ms} ms`);
    }
    // An answer that has started is not cut, however long it takes.
    const p = new Probe(port);
    const out = await p.send("GET /drip HTTP/1.1\r\nHost: a\r\n\r\n").until((o) => o.endsWith("abcdef"));
    p.close();
    assert.match(out, /^HTTP\/1\.1 200 [^]*abcdef$/);
    for (let i = 0; i < 100 && app.inflight > 0; i++) await sleep(20);
    assert.equal(app.inflight, 0);
  });
});

describe("proxy probes: requests that would be smuggled, too large, or out of the site", () => {
  it("refuses each before the instance sees it, and serves nothing outside a static site", async () => {
    const seen: string[] = [];
    const app = http.createServer((req, res) => {
      seen.push(`${req.method ?? ""} ${req.url ?? ""}`);
      req.resume();
      req.on("end", () => res.end("ok"));
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", () => r()));
    const b: Backend = { id: "app-1", port: (app.address() as AddressInfo).port, ready: true, inflight: 0 };
    const { proxy, port } = await start({ app: [b] });
    const H = "POST /p HTTP/1.1\r\nHost: a\r\n";
    const probes: [string, string, string][] = [
      ["CL.TE", `${H}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG`, "400"],
      [
        "TE.CL",
        `${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n`,
        "400",
      ],
      ["two lengths", `${H}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`, "400"],
      ["a signed length", `${H}Content-Length: +2\r\n\r\nab`, "400"],
      ["a space before the colon", `${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`, "400"],
      ["a folded line", `${H}X-A: b\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, "400"],
      ["a bare LF in a header", `${H}X-A: b\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, "400"],
      ["a NUL in a header", `${H}X-A: b\u0000c\r\nContent-Length: 0\r\n\r\n`, "400"],
      ["a bad chunk size", `${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n`, "400"],
      ["two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "400"],
      ["no Host", "GET / HTTP/1.1\r\n\r\n", "400"],
      ["a head over 16 KiB", `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${"x".repeat(17_000)}\r\n\r\n`, "431"],
      ["../ out of the site", "GET /site/../../../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n", "404"],
      ["%2e%2e out of the site", "GET /site/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n", "404"],
    ];
    try {
      for (const [name, request, status] of probes) {
        const p = new Probe(port);
        const out = await p.send(request).until((o) => o.length > 0);
        p.close();
        assert.equal(out.slice(0, 12), `HTTP/1.1 ${status}`, `${name}: ${out.slice(0, 80)}`);
      }
      assert.deepEqual(seen, [], "the instance saw none of them");
      assert.equal(b.inflight, 0);
    } finally {
      await proxy.close();
      app.close();
    }
  });
});

describe("proxy probes: answers with two framings", () => {
  it("answers 502 to both Content-Length and Transfer-Encoding, or two lengths, on both paths", async () => {
    const bodies: Record<string, string> = {
      "/cl-te": "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "/te-cl": "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
      "/two-lengths": "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
      "/same-length-twice": "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
    };
    const broken = net.createServer((s) => {
      s.on("error", () => undefined);
      s.once("data", (d: Buffer) => {
        const path = d.toString("latin1").split(" ")[1]!;
        s.end(`HTTP/1.1 200 OK\r\n${bodies[path] ?? "Content-Length: 2\r\n\r\nok"}`);
      });
    });
    await new Promise<void>((r) => broken.listen(0, "127.0.0.1", () => r()));
    const b: Backend = {
      id: "app-1",
      port: (broken.address() as AddressInfo).port,
      ready: true,
      inflight: 0,
    };
    const { proxy, port } = await start({ app: [b] });
    try {
      for (const path of Object.keys(bodies))
        for (const version of ["1.1", "1.0"]) {
          const p = new Probe(port);
          const out = await p
            .send(`GET ${path} HTTP/${version}\r\nHost: a\r\n\r\n`)
            .until((o) => o.length > 0);
          p.close();
          assert.match(out, /^HTTP\/1\.1 502 /, `${path} over HTTP/${version}: ${out}`);
        }
      assert.equal(b.inflight, 0);
    } finally {
      await proxy.close();
      broken.close();
    }
  });
});

describe("proxy probes: open files", () => {
  it("reads the open-file limit and leaves a reserve and the instances' share", () => {
    const limits = (soft: string) =>
      `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                 524288               files\n`;
    assert.equal(
      openFileLimit(() => limits("1024")),
      1024,
    );
    assert.equal(
      openFileLimit(() => limits("unlimited")),
      Infinity,
    );
    assert.equal(
      openFileLimit(() => {
        throw new Error("no /proc");
      }),
      Infinity,
    );
    assert.deepEqual(connectionShare(1024), { clients: 384, shedding: 64 });
    assert.deepEqual(connectionShare(256), { clients: 96, shedding: 16 });
    assert.equal(connectionShare(Infinity).clients, Infinity);
  });

  it("runs with the hard limit: Node raises its soft limit on open files when it starts", () => {
    // What docs/local.md says instead of raising the limit itself (Node has no setrlimit).
    const out = execFileSync(
      "sh",
      [
        "-c",
        'ulimit -Sn 300 && echo "$(ulimit -Hn)" && exec node --import tsx --input-type=module -e "$0"',
        `const { openFileLimit } = await import(${JSON.stringify(`${REPO_ROOT}/src/engine/local/proxy-capacity.ts`)});
         console.log(openFileLimit());`,
      ],
      { cwd: REPO_ROOT, encoding: "utf8" },
    );
    const [hard, seen] = out.trim().split("\n");
    assert.equal(seen, hard === "unlimited" ? "Infinity" : hard);
  });

  it("answers 503 to connections beyond its share, and serves again once some close", async () => {
    const backend = http.createServer((_req, res) => res.end("ok"));
    await new Promise<void>((r) => backend.listen(0, "127.0.0.1", () => r()));
    const b: Backend = {
      id: "app-1",
      port: (backend.address() as AddressInfo).port,
      ready: true,
      inflight: 0,
    };
    const { proxy, port } = await start({ app: [b] }, { openFiles: 40 });
    const probes: Probe[] = [];
    try {
      assert.equal(proxy.share.clients, 15);
      for (let i = 0; i < 15; i++) {
        const p = new Probe(port);
        probes.push(p);
        assert.match(
          await p.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").until((o) => o.endsWith("ok")),
          /^HTTP\/1\.1 200 /,
        );
      }
      const over = new Probe(port);
      const out = await over.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").until((o) => o.length > 0);
      assert.match(out, /^HTTP\/1\.1 503 [^]*retry-after: 1[^]*connection: close/);
      over.close();
      probes.shift()!.close();
      await sleep(100);
      const again = new Probe(port);
      probes.push(again);
      assert.match(
        await again.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").until((o) => o.endsWith("ok")),
        /^HTTP\/1\.1 200 /,
      );
    } finally {
      for (const p of probes) p.close();
      await proxy.close();
      backend.close();
    }
  });

  it("answers 503 with the restore's Retry-After while in maintenance, closing open connections, and serves again after", async () => {
    const backend = http.createServer((_req, res) => res.end("ok"));
    await new Promise<void>((r) => backend.listen(0, "127.0.0.1", () => r()));
    const b: Backend = {
      id: "app-1",
      port: (backend.address() as AddressInfo).port,
      ready: true,
      inflight: 0,
    };
    const { proxy, port } = await start({ app: [b] });
    try {
      const open = new Probe(port);
      await open.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").until((o) => o.endsWith("ok"));
      proxy.maintenance.begin(30);
      await open.until(() => false, 1000);
      assert.equal(open.closed, true, "a connection open when the restore begins is closed");
      const during = new Probe(port);
      const out = await during.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").until((o) => o.endsWith("\n"));
      during.close();
      // The same answer as when shedding load, but for its Retry-After and its words.
      assert.match(
        out,
        /^HTTP\/1\.1 503 Service Unavailable\r\ncontent-type: text\/plain; charset=utf-8\r\ncontent-length: 60\r\nretry-after: 30\r\ncache-control: no-store\r\nconnection: close\r\n\r\ngantry: the app's data is being restored; try again shortly\n$/,
      );
      proxy.maintenance.end();
      const after = new Probe(port);
      assert.match(
        await after.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").until((o) => o.endsWith("ok")),
        /^HTTP\/1\.1 200 /,
      );
      after.close();
    } finally {
      await proxy.close();
      backend.close();
    }
  });

  it("under a hard limit of 256 open files, 400 concurrent clients each get 200 or 503, and the proxy lives", async () => {
    // The instance lives in this process, so only the proxy's descriptors count against the limit.
    const backend = http.createServer((_req, res) => setTimeout(() => res.end("ok"), 500));
    backend.maxConnections = 2000;
    await new Promise<void>((r) => backend.listen(0, "127.0.0.1", () => r()));
    const backendPort = (backend.address() as AddressInfo).port;
    const script = `
      const { Proxy } = await import(${JSON.stringify(`${REPO_ROOT}/src/engine/local/proxy.ts`)});
      const proxy = new Proxy();
      proxy.setTable({
        routes: [{ service: "app", hosts: [], prefix: "/", kind: "proxy", answerMs: 10000 }],
        backends: { app: [{ id: "app-1", port: ${backendPort}, ready: true, inflight: 0 }] },
        statics: {},
      });
      console.log(JSON.stringify({ port: await proxy.listen(0), maxClients: proxy.share.clients }));`;
    const child = spawn(
      "sh",
      ["-c", 'ulimit -n 256 && exec node --import tsx --input-type=module -e "$0"', script],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      const info = await new Promise<{ port: number; maxClients: number }>((resolve, reject) => {
        let text = "";
        child.stdout.on("data", (d: Buffer) => {
          text += d.toString();
          if (text.includes("\n")) resolve(JSON.parse(text) as { port: number; maxClients: number });
        });
        child.once("exit", (code) => reject(new Error(`the proxy exited (${code ?? "signal"})`)));
      });
      assert.equal(info.maxClients, 96);
      // They arrive 10 every 10 ms, each answer takes 500 ms: up to 400 at once, four times the share.
      const probes: Probe[] = [];
      for (let wave = 0; wave < 40; wave++) {
        for (let i = 0; i < 10; i++)
          probes.push(new Probe(info.port).send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
        await sleep(10);
      }
      const outs = await Promise.all(probes.map((p) => p.until(() => p.closed, 8000)));
      for (const p of probes) p.close();
      const count: Record<string, number> = {};
      for (const o of outs) count[o.slice(0, 12) || "closed"] = (count[o.slice(0, 12) || "closed"] ?? 0) + 1;
      // No 502 (an instance connection that could not be opened), every client hears back or is closed
      // at once, every slot of the share serves, and the rest are told to come back.
      assert.deepEqual(
        Object.keys(count).filter((k) => !["HTTP/1.1 200", "HTTP/1.1 503", "closed"].includes(k)),
        [],
        JSON.stringify(count),
      );
      assert.ok((count["HTTP/1.1 200"] ?? 0) >= 96, JSON.stringify(count));
      assert.ok((count["HTTP/1.1 503"] ?? 0) > (count.closed ?? 0), JSON.stringify(count));
      assert.equal(child.exitCode, null, "the proxy is still running");
      const after = new Probe(info.port);
      assert.match(
        await after.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").until((o) => o.endsWith("ok")),
        /^HTTP\/1\.1 200 /,
      );
      after.close();
    } finally {
      child.kill();
      backend.close();
    }
  });
});

/** A proxy for `backends` by service: `ws` at /ws, `app` at /, with a 500 ms request_timeout. */
async function start(
  backends: Record<string, Backend[]>,
  o: ProxyOptions = {},
): Promise<{ proxy: Proxy; port: number }> {
  const proxy = new Proxy(o);
  const model = {
    services: {
      app: { type: "http", path: "/", domains: [], request_timeout: "500ms" },
      ws: { type: "http", path: "/ws", domains: [], request_timeout: "500ms" },
      site: { type: "static", path: "/site", domains: [] },
    },
  } as unknown as Parameters<typeof buildRoutes>[0];
  proxy.setTable({
    routes: buildRoutes(model),
    backends,
    statics: { site: { root: SITE, spa: false, prefix: "/site" } },
  });
  return { proxy, port: await proxy.listen(0) };
}
