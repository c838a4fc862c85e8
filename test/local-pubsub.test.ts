// Topics on a real redis-server: publish through the Dapr-compatible endpoint, delivery as CloudEvents,
// acknowledgement on 2xx, redelivery of what was not acknowledged, and the dead-letter stream after
// max_retries. Needs redis-server: skipped without it, but FAILS when CI is set.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { findOnPath } from "../src/engine/local/infra.js";
import { startRedis } from "../src/engine/local/redis.js";
import net from "node:net";
import { PubSub, compareIds, deadLetterKey, streamKey } from "../src/engine/local/pubsub.js";
import { freePort } from "../src/engine/local/ports.js";
import type { Backend } from "../src/engine/local/proxy.js";
import type { SpawnedProcess } from "../src/util/exec.js";

const redisBin = findOnPath("redis-server", process.env.PATH);
if (!redisBin && process.env.CI)
  throw new Error("redis-server must be installed for this test in CI (apt-get install -y redis-server)");

interface Received {
  id: string;
  body: Record<string, unknown>;
}

/** A subscriber instance that accepts every event and records its data, as JSON text. */
async function recordingSubscriber(
  id: string,
): Promise<{ server: http.Server; backend: Backend; got: string[] }> {
  const got: string[] = [];
  const server = http.createServer((req, res) => {
    let text = "";
    req.on("data", (d: Buffer) => (text += d.toString()));
    req.on("end", () => {
      got.push(JSON.stringify((JSON.parse(text) as { data: unknown }).data));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    server,
    got,
    backend: { id, port: (server.address() as AddressInfo).port, ready: true, inflight: 0 },
  };
}

describe(
  "pub/sub on Redis Streams",
  { skip: redisBin ? false : "needs redis-server", timeout: 60_000 },
  () => {
    let dir = "";
    let redis: SpawnedProcess | undefined;
    let redisPort = 0;
    let pubsub: PubSub | undefined;
    let daprPort = 0;
    let subscriber: http.Server | undefined;
    const received: Received[] = [];
    // Per event text: how many deliveries to refuse before accepting (Infinity: always refuse).
    const refuse = new Map<string, number>();
    // Per event text: how long the subscriber takes to answer, in ms.
    const delay = new Map<string, number>();
    const backend: Backend = { id: "sub-1", port: 0, ready: true, inflight: 0 };
    const backends: Backend[] = [backend];
    const logged: string[] = [];

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "gantry-pubsub-"));
      redisPort = await freePort();
      redis = await startRedis({
        bin: redisBin!,
        dir,
        port: redisPort,
        persistence: "none",
        logFile: join(dir, "redis.log"),
        env: process.env,
      });
      subscriber = http.createServer((req, res) => {
        let text = "";
        req.on("data", (d: Buffer) => (text += d.toString()));
        req.on("end", () => {
          const body = JSON.parse(text) as Record<string, unknown>;
          received.push({ id: String(body.id), body });
          const key = JSON.stringify(body.data);
          const left = refuse.get(key) ?? 0;
          setTimeout(
            () => {
              if (left > 0) {
                refuse.set(key, left - 1);
                res.writeHead(500, { "content-type": "application/json" });
                res.end(JSON.stringify({ status: "RETRY" }));
                return;
              }
              res.writeHead(200, { "content-type": "application/json" });
              res.end(JSON.stringify({ status: "SUCCESS" }));
            },
            delay.get(key) ?? 0,
          );
        });
      });
      await new Promise<void>((r) => subscriber!.listen(0, "127.0.0.1", () => r()));
      backend.port = (subscriber.address() as AddressInfo).port;
      pubsub = new PubSub({
        redisPort,
        pubsubName: "pubsub",
        source: "test-app",
        topics: ["orders"],
        targets: (service) => (service === "worker" ? backends : []),
        log: (l) => logged.push(l),
        redeliverAfterMs: 300,
        trimEveryMs: 500,
      });
      daprPort = await pubsub.listen(0);
      await pubsub.setSubscriptions([
        {
          topic: "orders",
          service: "worker",
          route: "/events/orders",
          group: "worker",
          maxRetries: 2,
          deadLetter: true,
        },
      ]);
    });

    after(async () => {
      await pubsub?.close();
      await new Promise<void>((r) => (subscriber ? subscriber.close(() => r()) : r()));
      redis?.kill("SIGKILL");
      await redis?.exited;
      rmSync(dir, { recursive: true, force: true });
    });

    const publish = (data: unknown, path = "/v1.0/publish/pubsub/orders") =>
      fetch(`http://127.0.0.1:${daprPort}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(data),
      });

    async function until(what: string, f: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
      const end = Date.now() + ms;
      while (!(await f())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    it("delivers a published event as a CloudEvent and acknowledges it", async () => {
      const res = await publish({ order: 1 });
      assert.equal(res.status, 204);
      await until("the delivery", () => received.some((r) => JSON.stringify(r.body.data) === '{"order":1}'));
      const ev = received.find((r) => JSON.stringify(r.body.data) === '{"order":1}')!.body;
      assert.equal(ev.specversion, "1.0");
      assert.equal(ev.source, "test-app");
      assert.equal(ev.type, "com.dapr.event.sent");
      assert.equal(ev.datacontenttype, "application/json");
      assert.equal(ev.topic, "orders");
      assert.equal(ev.pubsubname, "pubsub");
      assert.match(String(ev.id), /^[0-9a-f-]{36}$/);
      const r = new Redis({ port: redisPort, host: "127.0.0.1" });
      try {
        await until(
          "the acknowledgement",
          async () => ((await r.xpending(streamKey("orders"), "worker")) as [number])[0] === 0,
        );
      } finally {
        r.disconnect();
      }
    });

    it("redelivers an event that was refused, with the same id", async () => {
      refuse.set('{"order":2}', 2);
      await publish({ order: 2 });
      await until(
        "three deliveries",
        () => received.filter((r) => JSON.stringify(r.body.data) === '{"order":2}').length >= 3,
      );
      const ids = new Set(
        received.filter((r) => JSON.stringify(r.body.data) === '{"order":2}').map((r) => r.id),
      );
      assert.equal(ids.size, 1);
    });

    it("moves an event to the dead-letter stream after max_retries", async () => {
      refuse.set('{"order":3}', Infinity);
      await publish({ order: 3 });
      const r = new Redis({ port: redisPort, host: "127.0.0.1" });
      try {
        let dead: [string, string[]][] = [];
        await until("the dead letter", async () => {
          dead = await r.xrange(deadLetterKey("orders"), "-", "+");
          return dead.length > 0;
        });
        assert.equal(dead.length, 1);
        const fields = dead[0]![1];
        assert.equal(fields[fields.indexOf("data") + 1], '{"order":3}');
        assert.equal(fields[fields.indexOf("deliveries") + 1], "3");
        // One first delivery and two retries, then no more.
        const deliveries = received.filter((x) => JSON.stringify(x.body.data) === '{"order":3}').length;
        await new Promise((res) => setTimeout(res, 800));
        assert.equal(
          received.filter((x) => JSON.stringify(x.body.data) === '{"order":3}').length,
          deliveries,
        );
        assert.equal(deliveries, 3);
      } finally {
        r.disconnect();
      }
    });

    it("stays up whatever a publisher sends: malformed paths, a hang-up mid-body, oversized events", async () => {
      assert.equal((await publish({}, "/v1.0/publish/pubsub/%E0%A4%A")).status, 400);
      // A publisher that sends 5 of 1,000 bytes and hangs up.
      await new Promise<void>((resolve, reject) => {
        const sock = net.connect(daprPort, "127.0.0.1", () => {
          sock.write(
            'POST /v1.0/publish/pubsub/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":',
          );
          setTimeout(() => {
            sock.destroy();
            resolve();
          }, 100);
        });
        sock.on("error", reject);
      });
      // Over 1 MiB: a 413 every time, not a reset connection.
      const big = "x".repeat(2 * 1024 * 1024);
      for (let i = 0; i < 3; i++) assert.equal((await publish({ big })).status, 413);
      assert.equal((await fetch(`http://127.0.0.1:${daprPort}/v1.0/healthz`)).status, 204);
      assert.equal((await publish({ order: 4 })).status, 204);
      await until("the delivery", () => received.some((r) => JSON.stringify(r.body.data) === '{"order":4}'));
    });

    it("does not deliver an event again while a slow subscriber is still answering it", async () => {
      // The subscriber takes 1.5 s, five times the redelivery timeout: still one delivery.
      delay.set('{"order":5}', 1500);
      await publish({ order: 5 });
      const count = () => received.filter((r) => JSON.stringify(r.body.data) === '{"order":5}').length;
      await until("the delivery", () => count() > 0);
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(count(), 1);
    });

    it("alternates deliveries between the ready instances", async () => {
      const { server, backend: other, got: second } = await recordingSubscriber("sub-2");
      backends.push(other);
      try {
        const mine = () => received.filter((r) => JSON.stringify(r.body.data).startsWith('{"rr":')).length;
        for (let i = 0; i < 6; i++) {
          await publish({ rr: i });
          await until(`event ${i}`, () => mine() + second.length === i + 1);
          await new Promise((r) => setTimeout(r, 150)); // reclaim ticks in between must not skew it
        }
        assert.equal(mine(), 3);
        assert.equal(second.length, 3);
      } finally {
        backends.pop();
        await new Promise<void>((r) => server.close(() => r()));
      }
    });

    it("trims what every group has acknowledged, and recreates a consumer group that disappeared", async () => {
      assert.ok(
        compareIds("2-0", "10-0") < 0 && compareIds("5-3", "5-12") < 0 && compareIds("7-1", "7-1") === 0,
      );
      const r = new Redis({ port: redisPort, host: "127.0.0.1" });
      try {
        await until(
          "nothing pending",
          async () => ((await r.xpending(streamKey("orders"), "worker")) as [number])[0] === 0,
        );
        await until("the trim", async () => (await r.xlen(streamKey("orders"))) === 1);
        // The app flushes its Redis: the group goes with the stream, and delivery must come back.
        await r.flushall();
        await publish({ order: 6 });
        await until("the delivery after the flush", () =>
          received.some((x) => JSON.stringify(x.body.data) === '{"order":6}'),
        );
        assert.ok(logged.some((l) => l.includes("consumer group worker of orders was missing")));
      } finally {
        r.disconnect();
      }
    });

    it("refuses unknown topics and pub/sub names like Dapr does", async () => {
      assert.equal((await publish({}, "/v1.0/publish/pubsub/nope")).status, 404);
      assert.equal((await publish({}, "/v1.0/publish/other/orders")).status, 400);
      assert.equal((await fetch(`http://127.0.0.1:${daprPort}/v1.0/healthz`)).status, 204);
    });
  },
);

describe(
  "pub/sub when Redis is not there yet",
  { skip: redisBin ? false : "needs redis-server", timeout: 60_000 },
  () => {
    it("starts its subscriptions anyway and delivers once Redis comes up", async () => {
      const dir = mkdtempSync(join(tmpdir(), "gantry-pubsub-late-"));
      const port = await freePort();
      const { server: subscriber, backend, got } = await recordingSubscriber("sub-1");
      const logged: string[] = [];
      const pubsub = new PubSub({
        redisPort: port,
        pubsubName: "pubsub",
        source: "test-app",
        topics: ["orders"],
        targets: () => [backend],
        log: (l) => logged.push(l),
        redeliverAfterMs: 300,
      });
      let redis: SpawnedProcess | undefined;
      try {
        await pubsub.setSubscriptions([
          {
            topic: "orders",
            service: "worker",
            route: "/e",
            group: "worker",
            maxRetries: 2,
            deadLetter: true,
          },
        ]);
        assert.ok(logged.some((l) => l.includes("could not create consumer group worker of orders yet")));
        redis = await startRedis({
          bin: redisBin!,
          dir,
          port,
          persistence: "none",
          logFile: join(dir, "redis.log"),
          env: process.env,
        });
        const r = new Redis({ port, host: "127.0.0.1" });
        try {
          const end = Date.now() + 20_000;
          // Publishing straight to the stream: the endpoint is not what this is about.
          while (!got.includes('{"late":true}')) {
            if (Date.now() > end) throw new Error(`no delivery; log: ${logged.join(" / ")}`);
            if ((await r.xlen(streamKey("orders"))) === 0 || (await r.exists(streamKey("orders"))) === 0)
              await pubsub.publish("orders", '{"late":true}', "application/json");
            await new Promise((res) => setTimeout(res, 200));
          }
        } finally {
          r.disconnect();
        }
      } finally {
        await pubsub.close();
        await new Promise<void>((r) => subscriber.close(() => r()));
        redis?.kill("SIGKILL");
        await redis?.exited;
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
