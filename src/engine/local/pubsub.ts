// Topics on Redis Streams, behind a Dapr-compatible HTTP API so the same app code runs with a Dapr
// sidecar on Kubernetes and with Gantry on one machine.
//   publish:  POST /v1.0/publish/<pubsub>/<topic>  → XADD gantry:topic:<topic>  (204)
//   deliver:  one consumer group per subscription; each entry is POSTed to a ready instance of the
//             subscribing service as a CloudEvent; 2xx (status SUCCESS or DROP) → XACK; anything else,
//             or no answer in time, leaves it pending. Entries pending longer than the redelivery
//             timeout, and not still being delivered, are claimed again (XCLAIM) and redelivered; after
//             max_retries deliveries an entry moves to gantry:topic:<topic>:dead-letter (or is dropped
//             when dead_letter is off).
//   trim:     entries every group has acknowledged are removed (XTRIM MINID); a stream never holds more
//             than MAX_STREAM_LENGTH entries, nor a dead-letter stream more than MAX_DEAD_LETTERS.
// Delivery is at least once: consumers must be idempotent (the event id is stable across redeliveries).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type { Backend } from "./proxy.js";
import { redisErrorPrefix } from "./redis.js";

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

/** Events kept per topic when no subscriber reads them: a bound on Redis memory, documented in docs/local.md. */
export const MAX_STREAM_LENGTH = 100_000;
export const MAX_DEAD_LETTERS = 10_000;
/** Largest event accepted by the publish endpoint. */
export const MAX_EVENT_BYTES = 1024 * 1024;

export interface PubSubOptions {
  redisPort: number;
  redisPassword?: string;
  pubsubName: string;
  source: string;
  topics: string[];
  /** Ready instances of a service, looked up on every delivery. */
  targets: (service: string) => Backend[];
  log: (line: string) => void;
  redeliverAfterMs?: number;
  deliveryTimeoutMs?: number;
  /** How often acknowledged entries are trimmed from a topic's stream. */
  trimEveryMs?: number;
}

/** The body of a request, or undefined when it is larger than `limit` (the rest is read and dropped). */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on("end", () => resolve(size <= limit ? Buffer.concat(chunks) : undefined));
    req.on("error", reject);
    req.on("close", () => {
      if (!req.complete) reject(new Error("the publisher hung up before the whole event came"));
    });
  });
}

/** A URL path segment, or undefined when its percent-escapes are malformed. */
function decodeSegment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
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

/** Orders two stream ids ("ms-seq"). */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split("-").map(BigInt) as [bigint, bigint];
  return am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : as < bs ? -1 : 1;
}

/** The consumer name Gantry reads the groups as. */
const CONSUMER = "gantry";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A running delivery of one subscription. */
interface Loop {
  s: Subscription;
  /** Its own connection: XREADGROUP blocks it. */
  conn: Redis;
  key: string;
  stopped: boolean;
  /**
   * Entries whose delivery is under way: a slow subscriber's entry looks idle to Redis, and claiming
   * it again would deliver it twice at once and count a retry it never had.
   */
  inFlight: Set<string>;
  /** When each kind of failure was last logged: one line a minute, so a Redis that stays away shows without flooding. */
  lastLogged: Map<string, number>;
}

export class PubSub {
  private readonly redis: Redis;
  private server?: http.Server;
  private subs: Subscription[] = [];
  private readonly loops = new Map<string, { stop: () => void; sub: Subscription }>();
  private readonly rr = new Map<string, number>();
  /** When each topic was last trimmed: once per topic, however many subscriptions read it. */
  private readonly trimmedAt = new Map<string, number>();
  private closed = false;

  constructor(private readonly o: PubSubOptions) {
    this.redis = new Redis({
      host: "127.0.0.1",
      port: o.redisPort,
      ...(o.redisPassword ? { password: o.redisPassword } : {}),
      maxRetriesPerRequest: 2,
      lazyConnect: false,
    });
    this.redis.on("error", () => undefined);
  }

  async listen(port = 0): Promise<number> {
    // Any local process can call this endpoint: whatever it sends, the supervisor must stay up.
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(400, { "content-type": "application/json", connection: "close" });
          res.end(
            JSON.stringify({ errorCode: "ERR_MALFORMED_REQUEST", message: "the request could not be read" }),
          );
        } else res.destroy();
      });
    });
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
    const pubsub = decodeSegment(m[1]!);
    const topic = decodeSegment(m[2]!);
    if (pubsub === undefined || topic === undefined)
      return send(400, {
        errorCode: "ERR_MALFORMED_REQUEST",
        message: "malformed percent-escape in the path",
      });
    if (pubsub !== this.o.pubsubName)
      return send(400, {
        errorCode: "ERR_PUBSUB_NOT_FOUND",
        message: `pubsub ${pubsub} is not configured; use ${this.o.pubsubName}`,
      });
    if (!this.o.topics.includes(topic))
      return send(404, { errorCode: "ERR_TOPIC_NOT_FOUND", message: `topic ${topic} is not in the spec` });
    // Read to the end even when too large, so the publisher gets the 413 rather than a reset.
    const body = await readBody(req, MAX_EVENT_BYTES);
    if (!body) return send(413, { errorCode: "ERR_TOO_LARGE", message: "event larger than 1 MiB" });
    try {
      await this.publish(topic, body.toString("utf8"), req.headers["content-type"] ?? "application/json");
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
      String(MAX_STREAM_LENGTH),
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
      // Redis away now: the loop starts anyway, and creates the group once Redis answers (NOGROUP).
      await this.createGroup(s).catch((e: unknown) =>
        this.o.log(
          `pubsub: could not create consumer group ${s.group} of ${s.topic} yet: ${(e as Error).message}`,
        ),
      );
      this.loops.set(k, { sub: s, stop: this.startLoop(s) });
    }
    this.subs = subs;
  }

  subscriptions(): Subscription[] {
    return this.subs;
  }

  /** The subscription's consumer group, from the stream's start; one that exists already is kept. */
  private async createGroup(s: Subscription): Promise<void> {
    try {
      await this.redis.xgroup("CREATE", streamKey(s.topic), s.group, "0", "MKSTREAM");
    } catch (e) {
      if (redisErrorPrefix(e) !== "BUSYGROUP") throw e;
    }
  }

  private hasTarget(service: string): boolean {
    return this.o.targets(service).some((b) => b.ready);
  }

  /** The next ready instance of a service, round-robin. */
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

  private get minIdle(): number {
    return this.o.redeliverAfterMs ?? 3000;
  }

  private running(l: Loop): boolean {
    return !l.stopped && !this.closed;
  }

  /** Starts the delivery of a subscription's events: reading new entries, and reclaiming stale ones. */
  private startLoop(s: Subscription): () => void {
    const conn = this.redis.duplicate();
    conn.on("error", () => undefined);
    const loop: Loop = {
      s,
      conn,
      key: streamKey(s.topic),
      stopped: false,
      inFlight: new Set(),
      lastLogged: new Map(),
    };
    void this.readLoop(loop);
    void this.reclaimLoop(loop);
    return () => {
      loop.stopped = true;
      conn.disconnect();
    };
  }

  /** Delivers entries at once; each acknowledged when its delivery succeeded. */
  private async handleEntries(l: Loop, entries: StreamEntry[]): Promise<void> {
    await Promise.all(
      entries.map(async (e) => {
        l.inFlight.add(e[0]);
        try {
          if (await this.deliver(l.s, e)) await this.redis.xack(l.key, l.s.group, e[0]);
        } finally {
          l.inFlight.delete(e[0]);
        }
      }),
    );
  }

  private async loopFailed(l: Loop, e: unknown): Promise<void> {
    const { s } = l;
    if (redisErrorPrefix(e) === "NOGROUP") {
      // The group is gone (the app flushed its Redis, or the key was deleted): without it nothing
      // is delivered again, while publishing still works.
      this.o.log(`pubsub: consumer group ${s.group} of ${s.topic} was missing; created again`);
      await this.createGroup(s).catch(() => undefined);
      return;
    }
    const msg = e instanceof Error ? e.message : String(e);
    const kind = msg.split(":")[0] ?? msg;
    const now = Date.now();
    if ((l.lastLogged.get(kind) ?? 0) + 60_000 <= now) {
      l.lastLogged.set(kind, now);
      this.o.log(`pubsub: ${s.topic} for ${s.service}: ${msg}; retrying`);
    }
  }

  /** New entries, read as a consumer of the subscription's group while the service has a ready instance. */
  private async readLoop(l: Loop): Promise<void> {
    while (this.running(l)) {
      try {
        if (!this.hasTarget(l.s.service)) {
          await sleep(300);
          continue;
        }
        const r = (await l.conn.xreadgroup(
          "GROUP",
          l.s.group,
          CONSUMER,
          "COUNT",
          32,
          "BLOCK",
          1000,
          "STREAMS",
          l.key,
          ">",
        )) as [string, StreamEntry[]][] | null;
        if (r?.[0]) await this.handleEntries(l, r[0][1]);
      } catch (e) {
        if (!this.running(l)) return;
        await this.loopFailed(l, e);
        await sleep(500);
      }
    }
  }

  /** An entry delivered too often: to the dead-letter stream (or dropped), and acknowledged. */
  private async deadLetter(l: Loop, id: string, count: number): Promise<void> {
    const { s, key } = l;
    const got = (await this.redis.xrange(key, id, id)) as StreamEntry[];
    let fate = "dropped";
    if (!got[0]) fate = `gone from the stream (more than ${MAX_STREAM_LENGTH} events were waiting)`;
    else if (s.deadLetter) {
      await this.redis.xadd(
        deadLetterKey(s.topic),
        "MAXLEN",
        "~",
        String(MAX_DEAD_LETTERS),
        "*",
        ...got[0][1],
        "group",
        s.group,
        "deliveries",
        String(count),
      );
      fate = `moved to ${deadLetterKey(s.topic)}`;
    }
    await this.redis.xack(key, s.group, id);
    this.o.log(`pubsub: event ${id} of ${s.topic} for ${s.service} failed ${count} deliveries; ${fate}`);
  }

  /** Entries pending longer than the redelivery timeout: delivered again, or dead-lettered after max_retries. */
  private async reclaim(l: Loop): Promise<void> {
    const { s, key } = l;
    const pending = (await this.redis.xpending(key, s.group, "IDLE", this.minIdle, "-", "+", 64)) as [
      string,
      string,
      number,
      number,
    ][];
    const retry: string[] = [];
    for (const [id, , , count] of pending) {
      if (l.inFlight.has(id)) continue;
      if (count <= s.maxRetries) retry.push(id);
      else await this.deadLetter(l, id, count);
    }
    if (retry.length === 0 || !this.hasTarget(s.service)) return;
    // XCLAIM skips (and forgets) entries trimmed from the stream meanwhile.
    const claimed = (await this.redis.xclaim(
      key,
      s.group,
      CONSUMER,
      this.minIdle,
      ...retry,
    )) as StreamEntry[];
    const entries = claimed.filter((e) => Array.isArray(e) && e[1]);
    if (entries.length > 0) await this.handleEntries(l, entries);
  }

  private async reclaimLoop(l: Loop): Promise<void> {
    const topic = l.s.topic;
    const trimEvery = this.o.trimEveryMs ?? 30_000;
    if (!this.trimmedAt.has(topic)) this.trimmedAt.set(topic, Date.now());
    while (this.running(l)) {
      await sleep(Math.min(1000, this.minIdle));
      if (!this.running(l)) return;
      try {
        await this.reclaim(l);
        if (Date.now() - this.trimmedAt.get(topic)! >= trimEvery) {
          this.trimmedAt.set(topic, Date.now());
          await this.trim(topic);
        }
      } catch (e) {
        if (this.running(l)) await this.loopFailed(l, e);
      }
    }
  }

  /**
   * Removes the entries every consumer group of a topic is done with: older than each group's oldest
   * pending entry, or than its last delivered one when nothing is pending. A topic nobody subscribes
   * to keeps its events, up to MAX_STREAM_LENGTH.
   */
  async trim(topic: string): Promise<void> {
    const key = streamKey(topic);
    const groups = (await this.redis.xinfo("GROUPS", key)) as unknown[][];
    let min: string | undefined;
    for (const g of groups) {
      const info: Record<string, unknown> = {};
      for (let i = 0; i + 1 < g.length; i += 2) info[String(g[i])] = g[i + 1];
      let keep = String(info["last-delivered-id"]);
      if (Number(info.pending) > 0) {
        const oldest = (await this.redis.xpending(key, String(info.name), "-", "+", 1)) as [string][];
        if (oldest[0]) keep = oldest[0][0];
      }
      if (min === undefined || compareIds(keep, min) < 0) min = keep;
    }
    if (min !== undefined && min !== "0-0") await this.redis.xtrim(key, "MINID", min);
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
