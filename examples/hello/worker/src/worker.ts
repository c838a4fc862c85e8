// Hello worker: consumes `note-events` the Dapr way. The broker (a Dapr sidecar on Kubernetes, Gantry's
// Dapr-compatible endpoint locally) POSTs each event to /events/note-events; answering 200 SUCCESS acks it,
// 500 asks for redelivery. Processing is idempotent: an event id is recorded once in processed_events.
import { createHash } from "node:crypto";
import http from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import pg from "pg";
import { Redis } from "ioredis";

const MAX_BODY_BYTES = 64 * 1024;
const SHUTDOWN_GRACE_MS = 10_000;
const DEPENDENCY_TIMEOUT_MS = 2_000;
const EVENTS_PROCESSED_KEY = "hello:events:processed";
const TOPIC = "note-events";
const ROUTE = `/events/${TOPIC}`;

// ---------------------------------------------------------------------------------------------
// Logging: one JSON object per line on stdout.

type Fields = Record<string, string | number | boolean | null | undefined>;

function log(level: "info" | "warn" | "error", msg: string, fields: Fields = {}): void {
  process.stdout.write(
    JSON.stringify({ time: new Date().toISOString(), level, service: "worker", msg, ...fields }) + "\n",
  );
}

function errorText(err: unknown): string {
  if (err instanceof AggregateError && err.message === "" && err.errors.length > 0) return errorText(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

// ---------------------------------------------------------------------------------------------
// Configuration.

function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === "") {
    process.stderr.write(`hello-worker: environment variable ${name} is required but not set\n`);
    process.exit(1);
  }
  return value;
}

function parsePort(name: string, raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write(`hello-worker: ${name} must be an integer between 1 and 65535\n`);
    process.exit(1);
  }
  return port;
}

const port = parsePort("PORT", requireEnv("PORT"));
const host = process.env.HOST?.trim() || "0.0.0.0";
const databaseUrl = requireEnv("DATABASE_URL");
const redisUrl = requireEnv("REDIS_URL");
const pubsubName = process.env.PUBSUB_NAME?.trim() || "pubsub";

// ---------------------------------------------------------------------------------------------
// Dependencies.

const pool = new pg.Pool({
  connectionString: databaseUrl,
  max: 5,
  connectionTimeoutMillis: DEPENDENCY_TIMEOUT_MS,
  idleTimeoutMillis: 30_000,
  statement_timeout: 5_000,
});
pool.on("error", (err) => log("warn", "postgres idle client error", { error: errorText(err) }));

const redis = new Redis(redisUrl, {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: DEPENDENCY_TIMEOUT_MS,
  retryStrategy: (times) => Math.min(times * 200, 2_000),
});
let redisUp: boolean | null = null;
redis.on("ready", () => {
  if (redisUp !== true) log("info", "redis connected");
  redisUp = true;
});
redis.on("error", (err) => {
  if (redisUp !== false) log("warn", "redis unavailable", { error: errorText(err) });
  redisUp = false;
});

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function closeRedis(): Promise<void> {
  if (redis.status === "ready") {
    await withTimeout(redis.quit(), DEPENDENCY_TIMEOUT_MS, "redis quit").catch(() => redis.disconnect());
  } else {
    redis.disconnect(); // also stops reconnect attempts
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers.

let shuttingDown = false;

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  if (res.headersSent) return;
  if (shuttingDown) res.setHeader("connection", "close");
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(new BodyTooLarge(`event body exceeds ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on("error", (err) => {
      if (!failed) reject(err);
      failed = true;
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Events.

interface Event {
  id: string;
  data: unknown;
  enveloped: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// JSON with sorted keys, so the same plain body always hashes to the same id.
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

// A CloudEvents envelope (what Dapr delivers) carries its own id; a plain JSON body is its own data,
// identified by a hash of its content.
function toEvent(body: unknown): Event {
  if (isObject(body) && typeof body.id === "string" && body.id !== "" && ("data" in body || "specversion" in body)) {
    return { id: body.id, data: body.data ?? null, enveloped: true };
  }
  const id = "sha256:" + createHash("sha256").update(canonicalJson(body)).digest("hex");
  return { id, data: body, enveloped: false };
}

// Records the event and bumps the counter in one transaction: if Redis fails, the insert rolls back and the
// broker redelivers, so the counter is bumped exactly when an event id is first recorded.
async function processEvent(event: Event): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await client.query("INSERT INTO processed_events (id) VALUES ($1) ON CONFLICT (id) DO NOTHING", [
      event.id,
    ]);
    const inserted = result.rowCount === 1;
    if (inserted) await redis.incr(EVENTS_PROCESSED_KEY);
    await client.query("COMMIT");
    return inserted;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

async function handleEvent(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse((await readBody(req)).toString("utf8")) as unknown;
  } catch (err) {
    // Redelivering a malformed event cannot help: tell the broker to drop it.
    const reason = err instanceof BodyTooLarge ? err.message : "event body is not valid JSON";
    log("warn", "dropping event", { topic: TOPIC, reason });
    sendJson(res, 200, { status: "DROP", error: reason });
    return;
  }
  const event = toEvent(body);
  const noteId = isObject(event.data) && typeof event.data.id === "number" ? event.data.id : null;
  try {
    const inserted = await processEvent(event);
    log("info", inserted ? "event processed" : "duplicate event ignored", {
      topic: TOPIC,
      eventId: event.id,
      enveloped: event.enveloped,
      noteId,
    });
    sendJson(res, 200, { status: "SUCCESS" });
  } catch (err) {
    log("error", "event processing failed, asking for redelivery", {
      topic: TOPIC,
      eventId: event.id,
      error: errorText(err),
    });
    sendJson(res, 500, { status: "RETRY", error: "processing failed" });
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const method = req.method ?? "GET";
  if (path === "/health" && (method === "GET" || method === "HEAD")) {
    sendJson(res, 200, { status: "ok" });
  } else if (path === "/dapr/subscribe" && method === "GET") {
    // Programmatic subscription, read by a Dapr sidecar at startup.
    sendJson(res, 200, [{ pubsubname: pubsubName, topic: TOPIC, route: ROUTE }]);
  } else if (path === ROUTE && method === "POST") {
    await handleEvent(req, res);
  } else if (path === "/health" || path === "/dapr/subscribe" || path === ROUTE) {
    res.setHeader("allow", path === ROUTE ? "POST" : "GET");
    sendJson(res, 405, { error: "method not allowed" });
  } else {
    sendJson(res, 404, { error: "not found" });
  }
}

const server = http.createServer((req, res) => {
  const started = process.hrtime.bigint();
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  res.on("close", () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    log("info", "request", { method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 });
  });
  handle(req, res, path).catch((err: unknown) => {
    log("error", "request failed", { method: req.method, path, error: errorText(err) });
    sendJson(res, 500, { error: "internal error" });
  });
});
server.keepAliveTimeout = 5_000;

server.on("error", (err) => {
  log("error", "server error", { error: errorText(err) });
  process.exit(1);
});

server.listen(port, host, () => {
  log("info", "listening", { port, host, topic: TOPIC, route: ROUTE });
});

// ---------------------------------------------------------------------------------------------
// Graceful shutdown: stop accepting, let in-flight events finish (up to 10 s), close pg and Redis.

async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) {
    log("warn", "second signal, exiting now", { signal });
    process.exit(1);
  }
  shuttingDown = true;
  log("info", "shutting down", { signal });
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), SHUTDOWN_GRACE_MS);
  });
  if ((await Promise.race([closed, grace])) === "timeout") {
    log("warn", "grace period over, closing remaining connections");
    server.closeAllConnections();
  }
  clearTimeout(timer);
  await Promise.allSettled([pool.end(), closeRedis()]);
  log("info", "stopped");
  process.exit(0);
}

process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
