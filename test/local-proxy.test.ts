// The proxy with in-process backends: round-robin over ready instances, 503 without one, a GET retried
// on another instance when one refuses connections, in-flight counting for drains, the atomic table
// switch, and static files with the SPA fallback and no way out of the site's directory.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Proxy, type Backend, type ProxyOptions, type ProxyTable } from "../src/engine/local/proxy.js";
import { buildRoutes } from "../src/engine/local/routing.js";
import { freePort, listenProxy } from "../src/engine/local/ports.js";
import { loadExample, tempDir } from "./helpers.js";

function backendServer(name: string, delayMs = 0): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      setTimeout(() => {
        res.writeHead(200, { "content-type": "application/json", "x-backend": name });
        res.end(
          JSON.stringify({
            name,
            url: req.url,
            method: req.method,
            body,
            host: req.headers.host,
            fwd: req.headers["x-forwarded-host"],
          }),
        );
      }, delayMs);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as AddressInfo).port })),
  );
}

/** A request with a chosen Host header (fetch does not allow setting it). */
function request(
  url: string,
  opts: { method?: string; body?: string; host?: string } = {},
): Promise<{ status: number; backend: string | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: opts.method ?? "GET", headers: opts.host ? { host: opts.host } : {} },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            backend: res.headers["x-backend"] as string | undefined,
            text,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

describe("proxy", () => {
  const proxy = new Proxy();
  let base = "";
  const servers: http.Server[] = [];
  let a: Backend;
  let b: Backend;
  let site: { dir: string; cleanup: () => void };
  let table: ProxyTable;

  before(async () => {
    const sa = await backendServer("a");
    const sb = await backendServer("b", 300);
    servers.push(sa.server, sb.server);
    a = { id: "api-1", port: sa.port, ready: true, inflight: 0 };
    b = { id: "api-2", port: sb.port, ready: true, inflight: 0 };
    site = tempDir({
      "index.html": "<!doctype html><p>home</p>",
      "app.js": "console.log(1)",
      "docs/index.html": "docs",
    });
    const model = loadExample("hello", "dev").project.environments[0]!;
    table = {
      release: "v1",
      routes: buildRoutes(model),
      backends: { api: [a, b] },
      statics: { web: { root: site.dir, spa: true, prefix: "/" } },
    };
    proxy.setTable(table);
    base = `http://127.0.0.1:${await proxy.listen(0)}`;
  });

  after(async () => {
    await proxy.close();
    for (const s of servers) s.close();
    site.cleanup();
  });

  it("round-robins over ready instances and forwards method, path, body and host", async () => {
    const names: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await request(`${base}/api/notes?x=1`, {
        method: "POST",
        body: "hello",
        host: "hello.localhost",
      });
      const j = JSON.parse(res.text) as {
        name: string;
        url: string;
        method: string;
        body: string;
        fwd: string;
      };
      assert.deepEqual(
        [j.url, j.method, j.body, j.fwd],
        ["/api/notes?x=1", "POST", "hello", "hello.localhost"],
      );
      names.push(j.name);
    }
    assert.deepEqual(names.sort(), ["a", "a", "b", "b"]);
  });

  it("skips instances that are not ready, and answers 503 when none is", async () => {
    b.ready = false;
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${base}/api/x`)).headers.get("x-backend"), "a");
    a.ready = false;
    const res = await fetch(`${base}/api/x`);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "1");
    assert.equal(await res.text(), "gantry: no ready instance of api\n");
    a.ready = true;
    b.ready = true;
  });

  it("retries a GET on another instance when one refuses the connection", async () => {
    const dead: Backend = { id: "api-dead", port: await freePort(), ready: true, inflight: 0 };
    proxy.setTable({ ...table, backends: { api: [dead, a] } });
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${base}/api/y`);
      assert.equal(res.status, 200);
    }
    const post = await fetch(`${base}/api/y`, { method: "POST", body: "{}" });
    assert.ok(post.status === 200 || post.status === 502);
    assert.equal(dead.inflight, 0);
    proxy.setTable(table);
  });

  it("counts in-flight requests per instance, for drains", async () => {
    proxy.setTable({ ...table, backends: { api: [b] } });
    const pending = fetch(`${base}/api/slow`);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(b.inflight, 1);
    // The switch is one assignment: new requests go to the new table while the old one finishes.
    proxy.setTable({ ...table, backends: { api: [a] } });
    assert.equal((await fetch(`${base}/api/fast`)).headers.get("x-backend"), "a");
    assert.equal((await pending).headers.get("x-backend"), "b");
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(b.inflight, 0);
    proxy.setTable(table);
  });

  it("serves static files, with the SPA fallback and directory indexes", async () => {
    const js = await fetch(`${base}/app.js`);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(await js.text(), "console.log(1)");
    assert.equal(await (await fetch(`${base}/notes/42`)).text(), "<!doctype html><p>home</p>");
    assert.equal(await (await fetch(`${base}/docs/`)).text(), "docs");
    assert.equal((await fetch(`${base}/missing.png`)).status, 404);
    assert.equal((await fetch(`${base}/app.js`, { method: "POST" })).status, 405);
  });

  it("never serves a file outside the site's directory", async () => {
    // A symlink in the build output that points out of it.
    symlinkSync("/etc/passwd", join(site.dir, "link.txt"));
    for (const path of [
      "/../../etc/passwd",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/..%2f..%2fetc%2fpasswd",
      "/link.txt",
    ]) {
      const res = await fetch(`${base}${path}`);
      assert.ok(!(await res.text()).includes("root:"), path);
    }
    assert.equal((await fetch(`${base}/link.txt`)).status, 404);
  });

  it("never serves hidden files, and serves /.well-known/", async () => {
    // `output: .` serves the app's own directory, where .env files live.
    writeFileSync(join(site.dir, ".env"), "SECRET=1");
    mkdirSync(join(site.dir, "conf/.git"), { recursive: true });
    writeFileSync(join(site.dir, "conf/.git/config"), "[core]");
    mkdirSync(join(site.dir, ".well-known"));
    writeFileSync(join(site.dir, ".well-known/security.txt"), "Contact: x");
    for (const path of ["/.env", "/%2eenv", "/conf/.git/config", "/docs/../.env"]) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal(await res.text(), "not found\n", path);
    }
    assert.equal(await (await fetch(`${base}/.well-known/security.txt`)).text(), "Contact: x");
  });

  it("tunnels WebSocket upgrades to an instance, counted in flight while open", async () => {
    const ws = http.createServer();
    ws.on("upgrade", (req, socket) => {
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Path: ${req.url ?? ""}\r\n\r\n`,
      );
      socket.on("data", (d: Buffer) => socket.write(`echo:${d.toString()}`));
    });
    await new Promise<void>((r) => ws.listen(0, "127.0.0.1", () => r()));
    servers.push(ws);
    const c: Backend = { id: "ws-1", port: (ws.address() as AddressInfo).port, ready: true, inflight: 0 };
    proxy.setTable({ ...table, backends: { api: [c] } });
    const { socket, path } = await new Promise<{ socket: import("node:net").Socket; path: string }>(
      (resolve, reject) => {
        const req = http.request(`${base}/api/live`, {
          headers: { connection: "Upgrade", upgrade: "websocket" },
        });
        req.on("upgrade", (res, sock) => resolve({ socket: sock, path: String(res.headers["x-path"]) }));
        req.on("error", reject);
        req.end();
      },
    );
    assert.equal(path, "/api/live");
    assert.equal(c.inflight, 1);
    const echoed = await new Promise<string>((resolve) => {
      socket.once("data", (d: Buffer) => resolve(d.toString()));
      socket.write("ping");
    });
    assert.equal(echoed, "echo:ping");
    socket.destroy();
    for (let i = 0; i < 100 && c.inflight > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(c.inflight, 0);
    proxy.setTable(table);
  });

  it("routes <service>.localhost and answers 404 where nothing matches", async () => {
    const res = await request(`${base}/anything`, { host: "api.localhost" });
    assert.ok(res.backend === "a" || res.backend === "b");
    const web = await request(`${base}/api/notes`, { host: "web.localhost" });
    assert.equal(web.backend, undefined);
    assert.equal(web.text, "<!doctype html><p>home</p>");
    proxy.setTable({ ...table, routes: table.routes.filter((r) => r.service !== "web") });
    const none = await fetch(`${base}/nothing-here`);
    assert.equal(none.status, 404);
    proxy.setTable(table);
  });
});

describe("the proxy's port", () => {
  /** A port some other program holds, for the length of `f`. */
  async function withBusyPort(f: (port: number) => Promise<void>): Promise<void> {
    const other = http.createServer();
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    try {
      await f((other.address() as AddressInfo).port);
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  }

  it("fails when the port asked for with --port is taken, naming it, instead of taking another", async () => {
    await withBusyPort(async (busy) => {
      const proxy = new Proxy();
      try {
        await assert.rejects(
          listenProxy((p) => proxy.listen(p), busy, undefined),
          {
            message: `port ${busy} (--port) is already in use by another program`,
          },
        );
      } finally {
        await proxy.close();
      }
    });
  });

  it("takes a free port when the one of the last run is taken, and keeps it when free", async () => {
    await withBusyPort(async (busy) => {
      const proxy = new Proxy();
      try {
        const got = await listenProxy((p) => proxy.listen(p), undefined, busy);
        assert.notEqual(got, busy);
        assert.ok(got > 0);
      } finally {
        await proxy.close();
      }
    });
    const remembered = await freePort();
    const proxy = new Proxy();
    try {
      assert.equal(await listenProxy((p) => proxy.listen(p), undefined, remembered), remembered);
    } finally {
      await proxy.close();
    }
  });
});

/** Sends raw bytes and collects everything until the proxy closes the connection (or `ms` pass). */
function raw(port: number, bytes: string, ms = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1", () => sock.write(bytes));
    let out = "";
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(`${out}[still open]`);
    }, ms);
    sock.on("data", (d: Buffer) => (out += d.toString("latin1")));
    sock.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
    sock.on("error", reject);
  });
}

/** A proxy with the hello app's routes in front of the given instances of `api`, on a free port. */
async function proxyFor(backends: Backend[], o: ProxyOptions = {}): Promise<{ proxy: Proxy; port: number }> {
  const proxy = new Proxy(o);
  proxy.setTable({
    routes: buildRoutes(loadExample("hello", "dev").project.environments[0]!),
    backends: { api: backends },
    statics: {},
  });
  return { proxy, port: await proxy.listen(0) };
}

describe("the proxy's slow path with misbehaving clients and instances", () => {
  it("answers 502 to a status Node cannot pass on, and keeps running", async () => {
    const odd = net.createServer((s) =>
      s.once("data", () => s.end("HTTP/1.1 099 Odd\r\ncontent-length: 2\r\n\r\nhi")),
    );
    await new Promise<void>((r) => odd.listen(0, "127.0.0.1", () => r()));
    const b: Backend = { id: "api-1", port: (odd.address() as AddressInfo).port, ready: true, inflight: 0 };
    const { proxy, port } = await proxyFor([b]);
    try {
      // HTTP/1.0 takes Node's server (the slow path); HTTP/1.1 the byte relay.
      for (const version of ["1.0", "1.1"]) {
        const out = await raw(port, `GET /api/x HTTP/${version}\r\nHost: x\r\nConnection: close\r\n\r\n`);
        assert.match(out, /^HTTP\/1\.1 502 /, `HTTP/${version}: ${out}`);
      }
      assert.equal(b.inflight, 0);
    } finally {
      await proxy.close();
      odd.close();
    }
  });

  it("sends a GET's body on, and neither retries nor leaks a count when the client hangs up", async () => {
    const seen: string[] = [];
    const slow = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        seen.push(`${req.method ?? ""} ${req.url ?? ""} ${body}`);
        setTimeout(() => res.end("x".repeat(200_000)), req.url === "/api/slow" ? 300 : 0);
      });
    });
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", () => r()));
    const port0 = (slow.address() as AddressInfo).port;
    const a: Backend = { id: "api-1", port: port0, ready: true, inflight: 0 };
    const b: Backend = { id: "api-2", port: port0, ready: true, inflight: 0 };
    const { proxy, port } = await proxyFor([a, b]);
    try {
      const out = await raw(port, "GET /api/search HTTP/1.0\r\nHost: x\r\nContent-Length: 5\r\n\r\nquery");
      assert.match(out, /^HTTP\/1\.1 200 /);
      assert.deepEqual(seen, ["GET /api/search query"]);
      // A client that gives up while the instance is still working: one request, and the counts settle.
      await raw(port, "GET /api/slow HTTP/1.0\r\nHost: x\r\n\r\n", 100);
      await new Promise((r) => setTimeout(r, 800));
      assert.deepEqual(seen.slice(1), ["GET /api/slow "]);
      assert.equal(a.inflight + b.inflight, 0);
    } finally {
      await proxy.close();
      slow.close();
    }
  });

  it("tunnels an upgrade without the client's X-Forwarded-* or proxy credentials, and says 502 when refused", async () => {
    let headers: http.IncomingHttpHeaders = {};
    const ws = http.createServer();
    ws.on("upgrade", (req, socket) => {
      headers = req.headers;
      socket.end("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    });
    await new Promise<void>((r) => ws.listen(0, "127.0.0.1", () => r()));
    const b: Backend = { id: "api-1", port: (ws.address() as AddressInfo).port, ready: true, inflight: 0 };
    const { proxy, port } = await proxyFor([b]);
    try {
      const out = await raw(
        port,
        "GET /api/live HTTP/1.1\r\nHost: hello.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
          "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\n" +
          "Proxy-Authorization: Basic c2VjcmV0\r\n\r\n",
      );
      assert.match(out, /^HTTP\/1\.1 101 /);
      assert.equal(headers["x-forwarded-for"], "6.6.6.6, 127.0.0.1");
      assert.equal(headers["x-forwarded-host"], "hello.localhost");
      assert.equal(headers["x-forwarded-proto"], "http");
      assert.equal(headers["proxy-authorization"], undefined);
      assert.equal(headers.upgrade, "websocket");
      // The instance is gone: the client hears 502 rather than a bare hang-up.
      ws.close();
      b.port = await freePort();
      const refused = await raw(
        port,
        "GET /api/live HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
      );
      assert.match(refused, /^HTTP\/1\.1 502 /);
    } finally {
      await proxy.close();
    }
  });
});

describe("the proxy against clients that trickle their requests", () => {
  /** Sends `parts` one every 100 ms and reports what came back, and whether the proxy closed. */
  function trickle(port: number, parts: string[]): Promise<{ out: string; closedAfterMs: number }> {
    return new Promise((resolve, reject) => {
      const t0 = Date.now();
      const sock = net.connect(port, "127.0.0.1");
      let out = "";
      let i = 0;
      const timer = setInterval(() => {
        if (i < parts.length && !sock.destroyed) sock.write(parts[i++]!);
      }, 100);
      const giveUp = setTimeout(() => sock.destroy(), 8000);
      sock.on("data", (d: Buffer) => (out += d.toString("latin1")));
      sock.on("close", () => {
        clearInterval(timer);
        clearTimeout(giveUp);
        resolve({ out, closedAfterMs: Date.now() - t0 });
      });
      sock.on("error", reject);
    });
  }

  it("answers 408 and closes when a head or a body takes longer than the limits, on both paths", async () => {
    const backend = await backendServer("a");
    const b: Backend = { id: "api-1", port: backend.port, ready: true, inflight: 0 };
    const { proxy, port } = await proxyFor([b], {
      headersTimeoutMs: 600,
      requestTimeoutMs: 1200,
      clientIdleMs: 5000,
    });
    try {
      // One byte (ASCII character) per write.
      const bytes = (s: string) => Array.from({ length: s.length }, (_, i) => s.charAt(i));
      // The byte relay (HTTP/1.1): a head one byte every 100 ms, then a body likewise.
      const head = await trickle(
        port,
        bytes("GET /api/x HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n"),
      );
      assert.match(head.out, /^HTTP\/1\.1 408 /);
      assert.ok(head.closedAfterMs < 4000, String(head.closedAfterMs));
      const body = await trickle(port, [
        "POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n",
        ...bytes("x".repeat(100)),
      ]);
      assert.match(body.out, /^HTTP\/1\.1 408 /);
      assert.ok(body.closedAfterMs < 5000, String(body.closedAfterMs));
      assert.equal(b.inflight, 0);
      // Node's server, which keeps a connection for good once one request needed it (here the static
      // site): its own limits, armed although it never listens itself.
      const slow = await trickle(port, [
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        ...bytes(
          "GET /api/x HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
        ),
      ]);
      assert.match(slow.out, /^HTTP\/1\.1 503 /);
      assert.ok(slow.closedAfterMs < 6000, `the slow path kept a trickling client ${slow.closedAfterMs} ms`);
    } finally {
      await proxy.close();
      backend.server.close();
    }
  });
});
