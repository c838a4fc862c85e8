// Hello API: notes in PostgreSQL, counters in Redis, events through the Dapr HTTP pub/sub API.
// Plain node:http, no framework. Configuration comes only from the environment; values are never logged.
import http from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import pg from "pg";
import { Redis } from "ioredis";

const MAX_BODY_BYTES = 64 * 1024;
const SHUTDOWN_GRACE_MS = 10_000;
const DEPENDENCY_TIMEOUT_MS = 2_000;
const PUBLISH_TIMEOUT_MS = 3_000;
const NOTES_CREATED_KEY = "hello:notes:created";
const EVENTS_PROCESSED_KEY = "hello:events:processed";
const TOPIC = "note-events";

// ---------------------------------------------------------------------------------------------
// Logging: one JSON object per line on stdout.

type Fields = Record<string, string | number | boolean | null | undefined>;

function log(level: "info" | "warn" | "error", msg: string, fields: Fields = {}): void {
  process.stdout.write(
    JSON.stringify({ time: new Date().toISOString(), level, service: "api", msg, ...fields }) + "\n",
  );
}

function errorText(err: unknown): string {
  if (err instanceof AggregateError && err.message === "" && err.errors.length > 0)
    return errorText(err.errors[0]);
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
    process.stderr.write(`hello-api: environment variable ${name} is required but not set\n`);
    process.exit(1);
  }
  return value;
}

function parsePort(name: string, raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write(`hello-api: ${name} must be an integer between 1 and 65535\n`);
    process.exit(1);
  }
  return port;
}

const port = parsePort("PORT", requireEnv("PORT"));
const host = process.env.HOST?.trim() || "0.0.0.0";
const databaseUrl = requireEnv("DATABASE_URL");
const redisUrl = requireEnv("REDIS_URL");
const daprHttpPort = process.env.DAPR_HTTP_PORT?.trim()
  ? parsePort("DAPR_HTTP_PORT", process.env.DAPR_HTTP_PORT)
  : null;
const pubsubName = process.env.PUBSUB_NAME?.trim() || "pubsub";
const appVersion = process.env.APP_VERSION ?? "dev";
const release = process.env.GANTRY_RELEASE ?? null;

// ---------------------------------------------------------------------------------------------
// Dependencies.

const pool = new pg.Pool({
  connectionString: databaseUrl,
  max: 10,
  connectionTimeoutMillis: DEPENDENCY_TIMEOUT_MS,
  idleTimeoutMillis: 30_000,
  statement_timeout: 5_000,
});
pool.on("error", (err) => log("warn", "postgres idle client error", { error: errorText(err) }));

// No offline queue: while Redis is down, commands fail at once instead of hanging the request.
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

async function closeRedis(): Promise<void> {
  if (redis.status === "ready") {
    await withTimeout(redis.quit(), DEPENDENCY_TIMEOUT_MS, "redis quit").catch(() => redis.disconnect());
  } else {
    redis.disconnect(); // also stops reconnect attempts
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// Metrics (Prometheus text format, hand-written).

const startedAt = Date.now();
const requestsByClass: Record<string, number> = { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 };
let inFlight = 0;
let notesCreated = 0;
let publishFailures = 0;

function renderMetrics(): string {
  const lines = [
    "# HELP hello_http_requests_total HTTP requests served, by status class.",
    "# TYPE hello_http_requests_total counter",
    ...Object.entries(requestsByClass).map(([cls, n]) => `hello_http_requests_total{class="${cls}"} ${n}`),
    "# HELP hello_http_requests_in_flight HTTP requests being served.",
    "# TYPE hello_http_requests_in_flight gauge",
    `hello_http_requests_in_flight ${inFlight}`,
    "# HELP hello_notes_created_total Notes created by this process.",
    "# TYPE hello_notes_created_total counter",
    `hello_notes_created_total ${notesCreated}`,
    "# HELP hello_publish_failures_total Failed publishes to the pub/sub endpoint.",
    "# TYPE hello_publish_failures_total counter",
    `hello_publish_failures_total ${publishFailures}`,
    "# HELP hello_process_uptime_seconds Seconds since the process started.",
    "# TYPE hello_process_uptime_seconds gauge",
    `hello_process_uptime_seconds ${((Date.now() - startedAt) / 1000).toFixed(3)}`,
  ];
  return lines.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers.

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let shuttingDown = false;

function send(res: ServerResponse, status: number, body: string, contentType: string): void {
  if (res.headersSent) return;
  // While draining, ask keep-alive clients to reconnect elsewhere.
  if (shuttingDown) res.setHeader("connection", "close");
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), "application/json; charset=utf-8");
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > MAX_BODY_BYTES) {
      reject(new HttpError(413, `request body exceeds ${MAX_BODY_BYTES} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(new HttpError(413, `request body exceeds ${MAX_BODY_BYTES} bytes`));
        return; // keep draining so the 413 can be delivered
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

async function readJson(req: IncomingMessage): Promise<unknown> {
  const raw = await readBody(req);
  try {
    return JSON.parse(raw.toString("utf8")) as unknown;
  } catch {
    throw new HttpError(400, "request body is not valid JSON");
  }
}

// ---------------------------------------------------------------------------------------------
// Pub/sub through the Dapr HTTP API (a Dapr sidecar on Kubernetes, Gantry's endpoint locally).

let warnedNoDapr = false;

async function publishNoteEvent(note: { id: number; text: string }): Promise<void> {
  if (daprHttpPort === null) {
    if (!warnedNoDapr) {
      log("warn", "DAPR_HTTP_PORT is not set; note events are not published");
      warnedNoDapr = true;
    }
    return;
  }
  const url = `http://127.0.0.1:${daprHttpPort}/v1.0/publish/${encodeURIComponent(pubsubName)}/${TOPIC}`;
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: note.id, text: note.text }),
      signal: AbortSignal.timeout(PUBLISH_TIMEOUT_MS),
    });
    if (!res.ok) {
      publishFailures++;
      log("warn", "publish failed", { topic: TOPIC, noteId: note.id, status: res.status });
      await res.body?.cancel();
    }
  } catch (err) {
    publishFailures++;
    log("warn", "publish failed", { topic: TOPIC, noteId: note.id, error: errorText(err) });
  }
}

// ---------------------------------------------------------------------------------------------
// Handlers.

interface NoteRow {
  id: number;
  text: string;
  created_at: Date;
}

async function ready(res: ServerResponse): Promise<void> {
  const checks = await Promise.allSettled([
    withTimeout(pool.query("SELECT 1"), DEPENDENCY_TIMEOUT_MS, "postgres"),
    withTimeout(redis.ping(), DEPENDENCY_TIMEOUT_MS, "redis"),
  ]);
  const [pgCheck, redisCheck] = checks;
  const status = {
    postgres: pgCheck?.status === "fulfilled" ? "ok" : "unavailable",
    redis: redisCheck?.status === "fulfilled" ? "ok" : "unavailable",
  };
  const ok = !shuttingDown && status.postgres === "ok" && status.redis === "ok";
  sendJson(res, ok ? 200 : 503, {
    status: ok ? "ok" : shuttingDown ? "shutting-down" : "unavailable",
    ...status,
  });
}

async function createNote(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJson(req);
  const text =
    typeof body === "object" && body !== null && !Array.isArray(body)
      ? (body as { text?: unknown }).text
      : undefined;
  if (typeof text !== "string" || text.trim() === "") {
    throw new HttpError(400, 'body must be a JSON object with a non-empty string "text"');
  }
  const { rows } = await pool.query<NoteRow>(
    "INSERT INTO notes (text) VALUES ($1) RETURNING id, text, created_at",
    [text.trim()],
  );
  const note = rows[0]!;
  notesCreated++;
  try {
    await redis.incr(NOTES_CREATED_KEY);
  } catch (err) {
    // The note is stored; a missed counter increment must not make the client retry and duplicate it.
    log("warn", "could not increment counter", { key: NOTES_CREATED_KEY, error: errorText(err) });
  }
  await publishNoteEvent(note);
  sendJson(res, 201, note);
}

async function listNotes(res: ServerResponse): Promise<void> {
  const { rows } = await pool.query<NoteRow>(
    "SELECT id, text, created_at FROM notes ORDER BY id DESC LIMIT 20",
  );
  let notesCounter: number | null = null;
  let eventsCounter: number | null = null;
  try {
    const [created, processed] = await redis.mget(NOTES_CREATED_KEY, EVENTS_PROCESSED_KEY);
    notesCounter = Number(created ?? 0);
    eventsCounter = Number(processed ?? 0);
  } catch (err) {
    log("warn", "could not read counters", { error: errorText(err) });
  }
  sendJson(res, 200, { notes: rows, notesCreated: notesCounter, eventsProcessed: eventsCounter });
}

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

const routes: Record<string, Partial<Record<string, Route>>> = {
  "/health": { GET: (_req, res) => sendJson(res, 200, { status: "ok" }) },
  "/ready": { GET: (_req, res) => ready(res) },
  "/metrics": {
    GET: (_req, res) => send(res, 200, renderMetrics(), "text/plain; version=0.0.4; charset=utf-8"),
  },
  // The first URL `gantry up` prints is the API's root: it answers with what the API offers.
  "/api": {
    GET: (_req, res) =>
      sendJson(res, 200, { name: "hello api", version: appVersion, routes: ["/api/notes", "/api/version"] }),
  },
  "/api/version": { GET: (_req, res) => sendJson(res, 200, { version: appVersion, release }) },
  "/api/notes": { GET: (_req, res) => listNotes(res), POST: createNote },
};

async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const methods = routes[path];
  if (methods === undefined) throw new HttpError(404, "not found");
  const method = req.method === "HEAD" ? "GET" : (req.method ?? "GET");
  const route = methods[method];
  if (route === undefined) {
    res.setHeader("allow", Object.keys(methods).join(", "));
    throw new HttpError(405, "method not allowed");
  }
  await route(req, res);
}

const server = http.createServer((req, res) => {
  const started = process.hrtime.bigint();
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  inFlight++;
  res.on("close", () => {
    inFlight--;
    const cls = `${Math.floor(res.statusCode / 100)}xx`;
    if (cls in requestsByClass) requestsByClass[cls]!++;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    log("info", "request", {
      method: req.method,
      path,
      status: res.statusCode,
      ms: Math.round(ms * 10) / 10,
    });
  });
  handle(req, res, path).catch((err: unknown) => {
    if (err instanceof HttpError) {
      sendJson(res, err.status, { error: err.message });
    } else {
      log("error", "request failed", { method: req.method, path, error: errorText(err) });
      sendJson(res, 500, { error: "internal error" });
    }
  });
});
server.keepAliveTimeout = 5_000;

server.on("error", (err) => {
  log("error", "server error", { error: errorText(err) });
  process.exit(1);
});

server.listen(port, host, () => {
  log("info", "listening", { port, host, version: appVersion, publishing: daprHttpPort !== null });
});

// ---------------------------------------------------------------------------------------------
// Graceful shutdown.

async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) {
    log("warn", "second signal, exiting now", { signal });
    process.exit(1);
  }
  shuttingDown = true;
  log("info", "shutting down", { signal, inFlight });
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), SHUTDOWN_GRACE_MS);
  });
  if ((await Promise.race([closed, grace])) === "timeout") {
    log("warn", "grace period over, closing remaining connections", { inFlight });
    server.closeAllConnections();
  }
  clearTimeout(timer);
  await Promise.allSettled([pool.end(), closeRedis()]);
  log("info", "stopped");
  process.exit(0);
}

process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
