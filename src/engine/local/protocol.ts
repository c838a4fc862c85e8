// The local runtime's control protocol: what the commands and the supervisor say to each other over
// the environment's Unix socket (`.gantry/<env>/control.sock`). HTTP/1.1 with JSON requests; a
// request that takes long (a rollout, a job run) is answered with a stream of events, one JSON object
// a line (NDJSON), and one that is refused with a JSON error. This module holds every message type,
// the one server (a dispatcher the supervisor gives its handlers to) and the one client.
import http from "node:http";
import { existsSync, unlinkSync } from "node:fs";
import type { AppModel } from "../../model/types.js";
import type { DeployPlan, RolloutKind } from "./plan.js";
import type { RunRecord } from "./scheduler.js";
import type { SupervisorState } from "./state.js";
import { CONTENT_TYPE } from "./metrics-text.js";

/** `gantry up|deploy|rollback`: roll a built release out. */
export interface RolloutRequest {
  release: string;
  kind: RolloutKind;
}

/** One progress event of a rollout: steps, then one `done` or `failed`. */
export interface RolloutEvent {
  type: "step" | "done" | "failed";
  message: string;
  logs?: string[];
  /** What to change, when the failure says (an app on a fixed port, a health path it does not answer). */
  hint?: string;
}

/** `gantry run`: a job of the serving release, now; `retry: false` runs it once, without its retries. */
export interface RunRequest {
  job: string;
  retry?: boolean;
}

/** What `gantry run` receives while a job runs: its output, Gantry's steps, and at the end the run's record. */
export type JobRunEvent =
  { type: "line"; text: string } | { type: "step"; message: string } | { type: "end"; record: RunRecord };

/** `gantry deploy --plan` and `deploy`: the plan the supervisor would run for this model and release. */
export interface PlanRequest {
  model: AppModel;
  release: string;
  kind: RolloutKind;
}

/** A restore's target as it travels: the newest state, a time (ISO 8601), or one backup. */
export type WireTarget = { kind: "latest" } | { kind: "time"; at: string } | { kind: "backup"; id: string };

/** `gantry backup|restore|drill`: recovery work the supervisor does while the app runs. */
export type TaskRequest = { task: "backup" } | { task: "restore"; target: WireTarget } | { task: "drill" };

/** What a recovery task reports: steps, then one `done` (with its result) or `failed`. */
export type TaskEvent =
  | { type: "step"; message: string }
  | { type: "done"; message: string; result?: unknown }
  | { type: "failed"; message: string; hint?: string };

/** An answer other than 200: a request refused (no such job, one running already) or that failed. */
export interface Refusal {
  status: number;
  error: string;
  hint?: string;
}

/** The routes, each a method and a path. */
export const ROUTES = {
  status: { method: "GET", path: "/status" },
  stop: { method: "POST", path: "/stop" },
  plan: { method: "POST", path: "/plan" },
  rollout: { method: "POST", path: "/rollout" },
  run: { method: "POST", path: "/run" },
  metrics: { method: "GET", path: "/metrics" },
  task: { method: "POST", path: "/task" },
} as const;

type Route = (typeof ROUTES)[keyof typeof ROUTES];

/** Where a streamed answer's events go; `gone` once the asking command has gone away. */
export interface EventSink<E> {
  send: (e: E) => void;
  gone: () => boolean;
}

/** A streamed request accepted: sends its events, and resolves once the last is sent. */
export type Stream<E> = (out: EventSink<E>) => Promise<void>;

/** What the supervisor does for each request. */
export interface ControlHandlers {
  status(): SupervisorState;
  /** Called once the answer is on its way. */
  stop(): void;
  plan(req: PlanRequest): DeployPlan;
  rollout(req: RolloutRequest): Stream<RolloutEvent>;
  run(req: RunRequest): Stream<JobRunEvent> | Refusal;
  /** Prometheus' text format (metrics-text.ts). */
  metrics?(): string;
  /** Backups, restores and drills (absent: refused as an unknown request). */
  task?(req: TaskRequest): Stream<TaskEvent> | Refusal;
}

type Redact = (s: string) => string;

/** Events carry the output of the app and of Gantry: what could hold a secret's value is redacted. */
function redactRollout(e: RolloutEvent, r: Redact): RolloutEvent {
  return { ...e, message: r(e.message), ...(e.logs ? { logs: e.logs.map(r) } : {}) };
}

function redactRun(e: JobRunEvent, r: Redact): JobRunEvent {
  if (e.type === "line") return { type: "line", text: r(e.text) };
  if (e.type === "step") return { type: "step", message: r(e.message) };
  return { type: "end", record: { ...e.record, reason: r(e.record.reason) } };
}

/** A request whose body is not what its route takes. */
class BadRequest extends Error {}

function fields(v: unknown): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new BadRequest("the request is not an object");
  return v as Record<string, unknown>;
}

function rolloutKind(v: unknown): RolloutKind {
  if (v !== "deploy" && v !== "rollback") throw new BadRequest("kind is deploy or rollback");
  return v;
}

function text(v: unknown, name: string): string {
  if (typeof v !== "string") throw new BadRequest(`${name} is not a string`);
  return v;
}

function rolloutRequest(v: unknown): RolloutRequest {
  const o = fields(v);
  return { release: text(o.release, "release"), kind: rolloutKind(o.kind) };
}

function runRequest(v: unknown): RunRequest {
  const o = fields(v);
  if (o.retry !== undefined && typeof o.retry !== "boolean") throw new BadRequest("retry is not a boolean");
  return { job: text(o.job, "job"), ...(o.retry === false ? { retry: false } : {}) };
}

function wireTarget(v: unknown): WireTarget {
  const o = fields(v);
  if (o.kind === "latest") return { kind: "latest" };
  if (o.kind === "time") return { kind: "time", at: text(o.at, "at") };
  if (o.kind === "backup") return { kind: "backup", id: text(o.id, "id") };
  throw new BadRequest("target.kind is latest, time or backup");
}

function taskRequest(v: unknown): TaskRequest {
  const o = fields(v);
  if (o.task === "backup" || o.task === "drill") return { task: o.task };
  if (o.task === "restore") return { task: "restore", target: wireTarget(o.target) };
  throw new BadRequest("task is backup, restore or drill");
}

function redactTask(e: TaskEvent, r: Redact): TaskEvent {
  return { ...e, message: r(e.message) };
}

function planRequest(v: unknown): PlanRequest {
  const o = fields(v);
  return {
    model: fields(o.model) as unknown as AppModel,
    release: text(o.release, "release"),
    kind: rolloutKind(o.kind),
  };
}

async function body(req: http.IncomingMessage): Promise<unknown> {
  let s = "";
  for await (const c of req) s += (c as Buffer).toString("utf8");
  try {
    return JSON.parse(s) as unknown;
  } catch {
    throw new BadRequest("the request is not JSON");
  }
}

function answer(res: http.ServerResponse, status: number, v: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(v));
}

async function stream<E>(
  res: http.ServerResponse,
  accepted: Stream<E> | Refusal,
  redact: (e: E) => E,
): Promise<void> {
  if (typeof accepted !== "function") {
    const { status, ...refusal } = accepted;
    return answer(res, status, refusal);
  }
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  let gone = false;
  res.on("close", () => {
    if (!res.writableFinished) gone = true;
  });
  await accepted({
    send: (e) => {
      if (!gone && !res.destroyed) res.write(JSON.stringify(redact(e)) + "\n");
    },
    gone: () => gone,
  });
  res.end();
}

function routeOf(req: http.IncomingMessage): keyof typeof ROUTES | undefined {
  const names = Object.keys(ROUTES) as (keyof typeof ROUTES)[];
  return names.find((n) => ROUTES[n].path === req.url && ROUTES[n].method === req.method);
}

async function dispatch(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  h: ControlHandlers,
  r: Redact,
): Promise<void> {
  try {
    switch (routeOf(req)) {
      case "status":
        return answer(res, 200, h.status());
      case "stop":
        answer(res, 200, { ok: true });
        setImmediate(() => h.stop());
        return;
      case "plan":
        return answer(res, 200, h.plan(planRequest(await body(req))));
      case "rollout":
        return await stream(res, h.rollout(rolloutRequest(await body(req))), (e) => redactRollout(e, r));
      case "run":
        return await stream(res, h.run(runRequest(await body(req))), (e) => redactRun(e, r));
      case "metrics":
        if (!h.metrics) return answer(res, 404, { error: "unknown control request" });
        res.writeHead(200, { "content-type": CONTENT_TYPE });
        return void res.end(h.metrics());
      case "task":
        if (!h.task) return answer(res, 404, { error: "unknown control request" });
        return await stream(res, h.task(taskRequest(await body(req))), (e) => redactTask(e, r));
      case undefined:
        return answer(res, 404, { error: "unknown control request" });
    }
  } catch (e) {
    if (!res.headersSent)
      answer(res, e instanceof BadRequest ? 400 : 500, { error: r((e as Error).message) });
    else res.end();
  }
}

export interface ControlServer {
  close(): Promise<void>;
}

/** Serves the protocol on `socket` (a stale socket file is replaced); `redact` is applied to every event and error. */
export async function serveControl(
  socket: string,
  h: ControlHandlers,
  redact: Redact,
): Promise<ControlServer> {
  if (existsSync(socket)) unlinkSync(socket);
  const server = http.createServer((req, res) => void dispatch(req, res, h, redact));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socket, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The supervisor's answer when it is not a 200. */
export class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

interface Transfer {
  /** 0: none (a rollout takes as long as it takes). */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Each line of a 200 answer as it arrives (a streamed one); other answers are read whole. */
  onLine?: (line: string) => void;
}

function request(
  socket: string,
  route: Route,
  body: unknown,
  t: Transfer,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: socket,
        method: route.method,
        path: route.path,
        headers: { "content-type": "application/json" },
        ...(t.signal ? { signal: t.signal } : {}),
      },
      (res) => {
        const onLine = res.statusCode === 200 ? t.onLine : undefined;
        let all = "";
        let partial = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          all += d;
          if (onLine) {
            const lines = (partial + d).split("\n");
            partial = lines.pop() ?? "";
            for (const l of lines) if (l.trim()) onLine(l);
          }
        });
        res.on("end", () => {
          if (onLine && partial.trim()) onLine(partial);
          resolve({ status: res.statusCode ?? 0, text: all });
        });
        res.on("error", reject);
      },
    );
    if (t.timeoutMs > 0)
      req.setTimeout(t.timeoutMs, () => req.destroy(new Error("the supervisor did not answer in time")));
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function refused(r: { status: number; text: string }): Refused {
  let o: { error?: unknown; hint?: unknown } = {};
  try {
    o = JSON.parse(r.text) as typeof o;
  } catch {
    /* not JSON: the status says it */
  }
  return new Refused(
    r.status,
    typeof o.error === "string" ? o.error : `the supervisor answered ${r.status}`,
    typeof o.hint === "string" ? o.hint : undefined,
  );
}

/**
 * The commands' side. Connection errors (no supervisor, one that went away) are thrown as they come;
 * an answer other than 200 is thrown as Refused.
 */
export class ControlClient {
  constructor(readonly socket: string) {}

  private async call<T>(route: Route, body: unknown, timeoutMs: number): Promise<T> {
    const r = await request(this.socket, route, body, { timeoutMs });
    if (r.status !== 200) throw refused(r);
    return JSON.parse(r.text) as T;
  }

  /** A streamed request: each line of the answer, one event, goes to onLine as it arrives. */
  private async stream(route: Route, body: unknown, onLine: (line: string) => void, signal?: AbortSignal) {
    const r = await request(this.socket, route, body, {
      timeoutMs: 0,
      ...(signal ? { signal } : {}),
      onLine,
    });
    if (r.status !== 200) throw refused(r);
  }

  status(timeoutMs = 10_000): Promise<SupervisorState> {
    return this.call(ROUTES.status, undefined, timeoutMs);
  }

  async stop(): Promise<void> {
    await this.call(ROUTES.stop, {}, 5000);
  }

  plan(req: PlanRequest): Promise<DeployPlan> {
    return this.call(ROUTES.plan, req, 30_000);
  }

  rollout(req: RolloutRequest, onEvent: (e: RolloutEvent) => void, signal?: AbortSignal): Promise<void> {
    return this.stream(ROUTES.rollout, req, (l) => onEvent(JSON.parse(l) as RolloutEvent), signal);
  }

  run(req: RunRequest, onEvent: (e: JobRunEvent) => void, signal?: AbortSignal): Promise<void> {
    return this.stream(ROUTES.run, req, (l) => onEvent(JSON.parse(l) as JobRunEvent), signal);
  }

  task(req: TaskRequest, onEvent: (e: TaskEvent) => void, signal?: AbortSignal): Promise<void> {
    return this.stream(ROUTES.task, req, (l) => onEvent(JSON.parse(l) as TaskEvent), signal);
  }
}
