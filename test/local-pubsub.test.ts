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
import { findOnPath, startRedis } from "../src/engine/local/infra.js";
import { PubSub, deadLetterKey, streamKey } from "../src/engine/local/pubsub.js";
import { freePort } from "../src/engine/local/supervisor.js";
import type { Backend } from "../src/engine/local/proxy.js";
import type { SpawnedProcess } from "../src/util/exec.js";

const redisBin = findOnPath("redis-server", process.env.PATH);
if (!redisBin && process.env.CI)
  throw new Error("redis-server must be installed for this test in CI (apt-get install -y redis-server)");

interface Received {
  id: string;
  body: Record<string, unknown>;
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
    const backend: Backend = { id: "sub-1", port: 0, ready: true, inflight: 0 };

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
          if (left > 0) {
            refuse.set(key, left - 1);
            res.writeHead(500, { "content-type": "application/json" });
            res.end(JSON.stringify({ status: "RETRY" }));
            return;
          }
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ status: "SUCCESS" }));
        });
      });
      await new Promise<void>((r) => subscriber!.listen(0, "127.0.0.1", () => r()));
      backend.port = (subscriber.address() as AddressInfo).port;
      pubsub = new PubSub({
        redisPort,
        pubsubName: "pubsub",
        source: "test-app",
        topics: ["orders"],
        targets: (service) => (service === "worker" ? [backend] : []),
        log: () => undefined,
        redeliverAfterMs: 300,
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

    it("refuses unknown topics and pub/sub names like Dapr does", async () => {
      assert.equal((await publish({}, "/v1.0/publish/pubsub/nope")).status, 404);
      assert.equal((await publish({}, "/v1.0/publish/other/orders")).status, 400);
      assert.equal((await fetch(`http://127.0.0.1:${daprPort}/v1.0/healthz`)).status, 204);
    });
  },
);
