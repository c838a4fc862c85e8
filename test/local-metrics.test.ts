// The proxy's request metrics (metrics.ts) with in-process instances: every request counted once by
// status code on both paths (the byte relay and Node's server), latencies in the histogram, the
// instances' connection errors by kind, and the window `gantry status` shows.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { Proxy, type Backend } from "../src/engine/local/proxy.js";
import { buildRoutes } from "../src/engine/local/routing.js";
import { freePort } from "../src/engine/local/ports.js";
import { LATENCY_BUCKETS, ProxyMetrics, quantile } from "../src/engine/local/metrics.js";
import { loadExample } from "./helpers.js";

/** An instance that answers 500 to every request whose path starts with /api/fail, after `delayMs`. */
function instance(delayMs = 0): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    setTimeout(() => {
      res.writeHead(req.url?.startsWith("/api/fail") ? 500 : 200, { "content-type": "text/plain" });
      res.end("x");
    }, delayMs);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as AddressInfo).port })),
  );
}

/** One request as raw bytes; resolves with the status line once the proxy closes the connection. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1", () => sock.write(bytes));
    let out = "";
    sock.on("data", (d: Buffer) => (out += d.toString("latin1")));
    sock.on("close", () => resolve(out.split("\r\n")[0] ?? ""));
    sock.on("error", reject);
  });
}

describe("proxy metrics", () => {
  const proxy = new Proxy();
  const servers: http.Server[] = [];
  let base = "";
  let port = 0;
  let api: Backend;

  before(async () => {
    const fast = await instance();
    servers.push(fast.server);
    api = { id: "api-1", port: fast.port, ready: true, inflight: 0 };
    proxy.setTable({
      routes: buildRoutes(loadExample("hello", "dev").project.environments[0]!),
      backends: { api: [api] },
      statics: {},
    });
    port = await proxy.listen(0);
    base = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    await proxy.close();
    for (const s of servers) s.close();
  });

  it("counts each request once by status, on the byte relay and on Node's server", async () => {
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${base}/api/${i % 2 ? "fail" : "ok"}`);
      await res.arrayBuffer();
    }
    // HTTP/1.0 takes the slow path.
    assert.match(await raw(port, "GET /api/fail HTTP/1.0\r\nHost: x\r\n\r\n"), / 500 /);
    assert.match(await raw(port, "GET /api/ok HTTP/1.0\r\nHost: x\r\n\r\n"), / 200 /);
    const m = proxy.metrics.get("api")!;
    assert.deepEqual(Object.fromEntries(m.codes), { 200: 4, 500: 4 });
    assert.equal(m.requests, 8);
    assert.equal(
      m.buckets.reduce((a, b) => a + b, 0),
      8,
    );
    const w = proxy.metrics.window("api", 60);
    assert.equal(w.requests, 8);
    assert.equal(w.errors, 4);
    assert.equal(w.errorRatio, 0.5);
    assert.ok(w.p95Ms !== undefined && w.p95Ms > 0 && w.p95Ms <= 10_000);
  });

  it("counts the proxy's own answers and the instances' refused connections", async () => {
    const dead: Backend = { id: "api-dead", port: await freePort(), ready: true, inflight: 0 };
    proxy.setTable({ ...proxy.getTable(), backends: { api: [dead] } });
    try {
      // A POST is not retried: 502, and one refused connection.
      const res = await fetch(`${base}/api/x`, { method: "POST", body: "b" });
      assert.equal(res.status, 502);
      await res.arrayBuffer();
      dead.ready = false;
      const none = await fetch(`${base}/api/x`);
      assert.equal(none.status, 503);
      await none.arrayBuffer();
    } finally {
      proxy.setTable({ ...proxy.getTable(), backends: { api: [api] } });
    }
    const m = proxy.metrics.get("api")!;
    assert.equal(m.codes.get(502), 1);
    assert.equal(m.codes.get(503), 1);
    assert.equal(m.upstreamErrors.refused, 1);
  });

  it("answers with no service are not counted for any service", async () => {
    const before = proxy.metrics.all().length;
    assert.match(await raw(port, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n"), / 400 /);
    assert.equal(proxy.metrics.all().length, before);
  });
});

describe("metrics window", () => {
  it("keeps the last minutes only, and reads p95 within its bucket as histogram_quantile does", () => {
    let now = 1_000_000;
    const m = new ProxyMetrics(() => now);
    for (let i = 0; i < 100; i++) m.request("api", i < 10 ? 503 : 200, i < 95 ? 0.003 : 0.3);
    let w = m.window("api", 60);
    assert.equal(w.requests, 100);
    assert.equal(w.errorRatio, 0.1);
    // 95 of 100 at 3 ms: the 95th falls at the top of the (2.5 ms, 5 ms] bucket.
    assert.ok(Math.abs(w.p95Ms! - 5) < 1e-9, String(w.p95Ms));
    now += 61_000;
    m.request("api", 200, 0.003);
    w = m.window("api", 60)!;
    assert.equal(w.requests, 1);
    assert.equal(w.errors, 0);
    assert.equal(m.window("api", 300).requests, 101);
    now += 300_000;
    assert.equal(m.window("api", 300).requests, 0);
    // A service without a request yet: nothing, over the time since the start.
    assert.deepEqual(m.window("web", 60), { seconds: 60, requests: 0, errors: 0, requestsPerSecond: 0 });
    assert.equal(m.get("api")!.requests, 101);
  });

  it("puts what is beyond the last bucket at its bound", () => {
    const counts = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0);
    counts[LATENCY_BUCKETS.length] = 3;
    assert.equal(quantile(0.95, counts), 10);
    assert.equal(quantile(0.95, counts.fill(0)), undefined);
  });
});
