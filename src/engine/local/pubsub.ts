// Topics on Redis Streams, behind a Dapr-compatible HTTP API so the same app code runs with a Dapr
// sidecar on Kubernetes and with Gantry on one machine.
//   publish:  POST /v1.0/publish/<pubsub>/<topic>  → XADD gantry:topic:<topic>  (204)
//   deliver:  one consumer group per subscription; each entry is POSTed to a ready instance of the
//             subscribing service as a CloudEvent; 2xx (status SUCCESS or DROP) → XACK; anything else,
//             or no answer in time, leaves it pending. Entries pending longer than the redelivery
//             timeout are claimed again (XAUTOCLAIM) and redelivered; after max_retries deliveries an
//             entry moves to gantry:topic:<topic>:dead-letter (or is dropped when dead_letter is off).
// Delivery is at least once: consumers must be idempotent (the event id is stable across redeliveries).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type { Backend } from "./proxy.js";

export function streamKey(topic: string): string {
  return `gantry:topic:${topic}`;
}

export function deadLetterKey(topic: string): string {
  return `gantry:topic:${topic}:dead-letter`;
}

export interface Subscription {
  topic: string;
  service: string;
  route: string;
  group: string;
  maxRetries: number;
  deadLetter: boolean;
}

export interface PubSubOptions {
  redisPort: number;
  pubsubName: string;
  source: string;
  topics: string[];
  /** Ready instances of a service, looked up on every delivery. */
  targets: (service: string) => Backend[];
  log: (line: string) => void;
  redeliverAfterMs?: number;
  deliveryTimeoutMs?: number;
}

type StreamEntry = [id: string, fields: string[]];

function fieldsOf(entry: StreamEntry): Record<string, string> {
  const out: Record<string, string> = {};
  const f = entry[1];
  for (let i = 0; i + 1 < f.length; i += 2) out[f[i]!] = f[i + 1]!;
  return out;
}

/** The CloudEvent sent to a subscriber for one stream entry. */
export function cloudEvent(
  fields: Record<string, string>,
  topic: string,
  pubsubName: string,
  source: string,
): Record<string, unknown> {
  const ct = fields.ct ?? "application/json";
  const raw = fields.data ?? "";
  if (ct.startsWith("application/cloudevents+json")) {
    try {
      const ev = JSON.parse(raw) as Record<string, unknown>;
      return {
        specversion: "1.0",
        source,
        type: "com.dapr.event.sent",
        ...ev,
        id: typeof ev.id === "string" ? ev.id : fields.id,
        topic,
        pubsubname: pubsubName,
      };
    } catch {
      /* not JSON after all: wrap it */
    }
  }
  let data: unknown = raw;
  if (ct.includes("json")) {
    try {
      data = JSON.parse(raw) as unknown;
    } catch {
      data = raw;
    }
  }
  return {
    specversion: "1.0",
    id: fields.id,
    source,
    type: "com.dapr.event.sent",
    datacontenttype: ct.includes("json") ? "application/json" : ct,
    time: fields.time,
    topic,
    pubsubname: pubsubName,
    data,
  };
}

export class PubSub {
  private readonly redis: Redis;
  private server?: http.Server;
  private subs: Subscription[] = [];
  private readonly loops = new Map<string, { stop: () => void; sub: Subscription }>();
  private readonly rr = new Map<string, number>();
  private closed = false;

  constructor(private readonly o: PubSubOptions) {
    this.redis = new Redis({
      host: "127.0.0.1",
      port: o.redisPort,
      maxRetriesPerRequest: 2,
      lazyConnect: false,
    });
    this.redis.on("error", () => undefined);
  }

  async listen(port = 0): Promise<number> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, body?: unknown) => {
      const text = body === undefined ? "" : JSON.stringify(body);
      res.writeHead(status, body === undefined ? {} : { "content-type": "application/json" });
      res.end(text);
    };
    const path = (req.url ?? "/").split("?")[0]!;
    if (path === "/v1.0/healthz" || path === "/v1.0/healthz/outbound") return send(204);
    const m = /^\/v1\.0\/publish\/([^/]+)\/([^/]+)$/.exec(path);
    if (!m)
      return send(404, {
        errorCode: "ERR_NOT_FOUND",
        message: "only /v1.0/publish/<pubsub>/<topic> is served here",
      });
    if (req.method !== "POST" && req.method !== "PUT")
      return send(405, { errorCode: "ERR_METHOD", message: "use POST" });
    const pubsub = decodeURIComponent(m[1]!);
    const topic = decodeURIComponent(m[2]!);
    if (pubsub !== this.o.pubsubName)
      return send(400, {
        errorCode: "ERR_PUBSUB_NOT_FOUND",
        message: `pubsub ${pubsub} is not configured; use ${this.o.pubsubName}`,
      });
    if (!this.o.topics.includes(topic))
      return send(404, { errorCode: "ERR_TOPIC_NOT_FOUND", message: `topic ${topic} is not in the spec` });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > 1024 * 1024)
        return send(413, { errorCode: "ERR_TOO_LARGE", message: "event larger than 1 MiB" });
      chunks.push(c as Buffer);
    }
    try {
      await this.publish(
        topic,
        Buffer.concat(chunks).toString("utf8"),
        req.headers["content-type"] ?? "application/json",
      );
      send(204);
    } catch (e) {
      send(500, { errorCode: "ERR_PUBSUB_PUBLISH_MESSAGE", message: (e as Error).message });
    }
  }

  async publish(topic: string, data: string, contentType: string): Promise<string> {
    const id = randomUUID();
    await this.redis.xadd(
      streamKey(topic),
      "MAXLEN",
      "~",
      "100000",
      "*",
      "id",
      id,
      "ct",
      contentType,
      "time",
      new Date().toISOString(),
      "data",
      data,
    );
    return id;
  }

  /** Topics added by a deploy: publishing to them is accepted from now on. */
  addTopics(topics: string[]): void {
    this.o.topics = [...new Set([...this.o.topics, ...topics])];
  }

  /** Replaces the subscriptions (after a deploy); loops of unchanged subscriptions keep running. */
  async setSubscriptions(subs: Subscription[]): Promise<void> {
    const key = (s: Subscription) =>
      `${s.topic}\0${s.group}\0${s.service}\0${s.route}\0${s.maxRetries}\0${s.deadLetter}`;
    const wanted = new Map(subs.map((s) => [key(s), s]));
    for (const [k, loop] of this.loops) {
      if (!wanted.has(k)) {
        loop.stop();
        this.loops.delete(k);
      }
    }
    for (const [k, s] of wanted) {
      if (this.loops.has(k)) continue;
      try {
        await this.redis.xgroup("CREATE", streamKey(s.topic), s.group, "0", "MKSTREAM");
      } catch (e) {
        if (!(e as Error).message.includes("BUSYGROUP")) throw e;
      }
      this.loops.set(k, { sub: s, stop: this.startLoop(s) });
    }
    this.subs = subs;
  }

  subscriptions(): Subscription[] {
    return this.subs;
  }

  private target(service: string): Backend | undefined {
    const all = this.o.targets(service).filter((b) => b.ready);
    if (all.length === 0) return undefined;
    const n = (this.rr.get(service) ?? 0) % all.length;
    this.rr.set(service, n + 1);
    return all[n];
  }

  /** Delivers one entry; true when it may be acknowledged. */
  private async deliver(s: Subscription, entry: StreamEntry): Promise<boolean> {
    const b = this.target(s.service);
    if (!b) return false;
    const event = cloudEvent(fieldsOf(entry), s.topic, this.o.pubsubName, this.o.source);
    b.inflight++;
    try {
      const res = await fetch(`http://127.0.0.1:${b.port}${s.route}`, {
        method: "POST",
        headers: { "content-type": "application/cloudevents+json" },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(this.o.deliveryTimeoutMs ?? 10_000),
      });
      const text = await res.text();
      if (res.status < 200 || res.status > 299) return false;
      try {
        const status = (JSON.parse(text) as { status?: unknown }).status;
        if (status === "RETRY") return false;
        if (status === "DROP")
          this.o.log(`pubsub: ${s.service} dropped event ${String(event.id)} of ${s.topic}`);
      } catch {
        /* an empty or non-JSON 2xx body means success */
      }
      return true;
    } catch {
      return false;
    } finally {
      b.inflight--;
    }
  }

  private startLoop(s: Subscription): () => void {
    const conn = this.redis.duplicate();
    conn.on("error", () => undefined);
    let stopped = false;
    const key = streamKey(s.topic);
    const consumer = "gantry";
    const minIdle = this.o.redeliverAfterMs ?? 3000;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const handle = async (entries: StreamEntry[]) => {
      await Promise.all(
        entries.map(async (e) => {
          if (await this.deliver(s, e)) await this.redis.xack(key, s.group, e[0]);
        }),
      );
    };
    const readLoop = async () => {
      while (!stopped && !this.closed) {
        try {
          if (!this.target(s.service)) {
            await sleep(300);
            continue;
          }
          const r = (await conn.xreadgroup(
            "GROUP",
            s.group,
            consumer,
            "COUNT",
            32,
            "BLOCK",
            1000,
            "STREAMS",
            key,
            ">",
          )) as [string, StreamEntry[]][] | null;
          if (r?.[0]) await handle(r[0][1]);
        } catch {
          if (!stopped) await sleep(500);
        }
      }
    };
    const reclaimLoop = async () => {
      while (!stopped && !this.closed) {
        await sleep(Math.min(1000, minIdle));
        try {
          // Entries delivered too often go to the dead-letter stream.
          const pending = (await this.redis.xpending(key, s.group, "IDLE", minIdle, "-", "+", 64)) as [
            string,
            string,
            number,
            number,
          ][];
          for (const [id, , , count] of pending) {
            if (count <= s.maxRetries) continue;
            const got = (await this.redis.xrange(key, id, id)) as StreamEntry[];
            if (s.deadLetter && got[0]) {
              await this.redis.xadd(
                deadLetterKey(s.topic),
                "*",
                ...got[0][1],
                "group",
                s.group,
                "deliveries",
                String(count),
              );
            }
            await this.redis.xack(key, s.group, id);
            this.o.log(
              `pubsub: event ${id} of ${s.topic} for ${s.service} failed ${count} deliveries; ${s.deadLetter ? `moved to ${deadLetterKey(s.topic)}` : "dropped"}`,
            );
          }
          if (!this.target(s.service)) continue;
          const claimed = (await this.redis.xautoclaim(
            key,
            s.group,
            consumer,
            minIdle,
            "0-0",
            "COUNT",
            32,
          )) as [string, StreamEntry[], string[]];
          const entries = claimed[1].filter((e) => Array.isArray(e) && e[1]);
          if (entries.length > 0) await handle(entries);
        } catch {
          /* Redis briefly unavailable: try again on the next tick */
        }
      }
    };
    void readLoop();
    void reclaimLoop();
    return () => {
      stopped = true;
      conn.disconnect();
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const l of this.loops.values()) l.stop();
    this.loops.clear();
    const s = this.server;
    if (s)
      await new Promise<void>((r) => {
        s.close(() => r());
        s.closeAllConnections();
      });
    this.redis.disconnect();
  }
}
