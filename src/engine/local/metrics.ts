// What the proxy saw, per service: requests by status code, a latency histogram, the errors of the
// instances' connections (refused, reset, timed out, a malformed answer), and the supervisor's health
// checks. Totals since the supervisor started feed `/metrics` (Signals.families in signals.ts); a ring of
// one-second slots over the last five minutes feeds `gantry status` (the last minute) and the alert
// rules (alerts-local.ts, the last five minutes: the `[5m]` of the Kubernetes rules). Recording a
// request allocates nothing once its service and status code have been seen: the proxy does it for
// every request.

/**
 * Upper bounds of the latency buckets, in seconds: ingress-nginx's (so the same queries read both)
 * and 1 ms and 2.5 ms below them, where a local instance's answers mostly fall.
 */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Buckets with the +Inf one. */
const SLOTS_PER_HISTOGRAM = LATENCY_BUCKETS.length + 1;

/** How far back the ring reaches, in seconds. */
const RING_SECONDS = 300;

export type UpstreamErrorKind = "refused" | "reset" | "timeout" | "malformed";
export const UPSTREAM_ERROR_KINDS: readonly UpstreamErrorKind[] = [
  "refused",
  "reset",
  "timeout",
  "malformed",
];

/** The bucket of a duration in seconds: a scan of 14 numbers, cheaper than a search at this size. */
function bucketOf(seconds: number): number {
  let i = 0;
  while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
  return i;
}

/** A service's traffic over a recent window. */
export interface TrafficWindow {
  /** Seconds the figures cover: the window, or less when the supervisor started more recently. */
  seconds: number;
  requests: number;
  /** Answers 500 and above (those of the proxy itself included: 502, 503, 504), as on every target. */
  errors: number;
  requestsPerSecond: number;
  /** errors / requests; undefined without requests. */
  errorRatio?: number;
  /** 95th percentile latency in milliseconds, interpolated within its bucket; undefined without requests. */
  p95Ms?: number;
}

/** The 95th (or any) percentile of a histogram in seconds, as Prometheus' histogram_quantile reads it. */
export function quantile(q: number, counts: ArrayLike<number>): number | undefined {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return undefined;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (seen + c >= rank && c > 0) {
      // In the +Inf bucket: the highest finite bound, as histogram_quantile answers.
      if (i >= LATENCY_BUCKETS.length) return LATENCY_BUCKETS.at(-1)!;
      const lower = i === 0 ? 0 : LATENCY_BUCKETS[i - 1]!;
      return lower + (LATENCY_BUCKETS[i]! - lower) * ((rank - seen) / c);
    }
    seen += c;
  }
  return LATENCY_BUCKETS.at(-1)!;
}

/** One service's counters. */
class ServiceMetrics {
  /** Requests by status code since the start. */
  readonly codes = new Map<number, number>();
  /** Latency histogram since the start: counts per bucket (not cumulative), the last one +Inf. */
  readonly buckets = new Float64Array(SLOTS_PER_HISTOGRAM);
  durationSum = 0;
  requests = 0;
  readonly upstreamErrors: Record<UpstreamErrorKind, number> = {
    refused: 0,
    reset: 0,
    timeout: 0,
    malformed: 0,
  };
  readonly healthChecks = { ok: 0, failed: 0 };
  /** The ring: which second each slot holds, and its requests, errors and histogram. */
  private readonly slotSecond = new Float64Array(RING_SECONDS).fill(-1);
  private readonly slotRequests = new Uint32Array(RING_SECONDS);
  private readonly slotErrors = new Uint32Array(RING_SECONDS);
  private readonly slotBuckets = new Uint32Array(RING_SECONDS * SLOTS_PER_HISTOGRAM);

  constructor(readonly since: number) {}

  record(status: number, seconds: number, now: number): void {
    this.codes.set(status, (this.codes.get(status) ?? 0) + 1);
    const b = bucketOf(seconds);
    this.buckets[b]!++;
    this.durationSum += seconds;
    this.requests++;
    const second = Math.floor(now / 1000);
    const slot = second % RING_SECONDS;
    if (this.slotSecond[slot] !== second) {
      // A slot last used a ring's length ago (or never): it starts empty.
      this.slotSecond[slot] = second;
      this.slotRequests[slot] = 0;
      this.slotErrors[slot] = 0;
      this.slotBuckets.fill(0, slot * SLOTS_PER_HISTOGRAM, (slot + 1) * SLOTS_PER_HISTOGRAM);
    }
    this.slotRequests[slot]!++;
    if (status >= 500) this.slotErrors[slot]!++;
    this.slotBuckets[slot * SLOTS_PER_HISTOGRAM + b]!++;
  }

  /** The traffic of the last `windowSeconds` (at most RING_SECONDS) up to `now`. */
  window(windowSeconds: number, now: number): TrafficWindow {
    const second = Math.floor(now / 1000);
    const span = Math.min(windowSeconds, RING_SECONDS);
    let requests = 0;
    let errors = 0;
    const hist = new Float64Array(SLOTS_PER_HISTOGRAM);
    for (let s = second - span + 1; s <= second; s++) {
      const slot = s % RING_SECONDS;
      if (this.slotSecond[slot] !== s) continue;
      requests += this.slotRequests[slot]!;
      errors += this.slotErrors[slot]!;
      for (let i = 0; i < SLOTS_PER_HISTOGRAM; i++)
        hist[i]! += this.slotBuckets[slot * SLOTS_PER_HISTOGRAM + i]!;
    }
    // A supervisor up for 10 s has 10 s of traffic: its rate is over those, not over the whole window.
    const seconds = Math.max(1, Math.min(span, (now - this.since) / 1000));
    const p95 = quantile(0.95, hist);
    return {
      seconds: Math.round(seconds),
      requests,
      errors,
      requestsPerSecond: requests / seconds,
      ...(requests > 0 ? { errorRatio: errors / requests } : {}),
      ...(p95 !== undefined ? { p95Ms: p95 * 1000 } : {}),
    };
  }
}

/** The proxy's metrics, by service. */
export class ProxyMetrics {
  private readonly services = new Map<string, ServiceMetrics>();

  private readonly started: number;

  /**
   * `clock`: ms since the epoch, monotonic by default (performance.now() from performance.timeOrigin),
   * the same clock the proxy times requests with, so the slots and the windows agree.
   */
  constructor(private readonly clock: () => number = () => performance.timeOrigin + performance.now()) {
    this.started = clock();
  }

  private of(service: string): ServiceMetrics {
    let m = this.services.get(service);
    if (!m) this.services.set(service, (m = new ServiceMetrics(this.clock())));
    return m;
  }

  /**
   * A request answered (or given up on) with `status`, after `seconds`; `now` (ms since the epoch)
   * when the caller has the time already: the proxy passes the performance.now() it measured with.
   */
  request(service: string, status: number, seconds: number, now = this.clock()): void {
    this.of(service).record(status, seconds, now);
  }

  upstreamError(service: string, kind: UpstreamErrorKind): void {
    this.of(service).upstreamErrors[kind]++;
  }

  /** One of the supervisor's readiness or liveness checks of an instance of `service`. */
  healthCheck(service: string, ok: boolean): void {
    this.of(service).healthChecks[ok ? "ok" : "failed"]++;
  }

  get(service: string): ServiceMetrics | undefined {
    return this.services.get(service);
  }

  /** Every service seen so far, by name. */
  all(): [string, ServiceMetrics][] {
    return [...this.services].sort(([a], [b]) => a.localeCompare(b));
  }

  /** A service's traffic over the last `windowSeconds`; none yet for one that had no request. */
  window(service: string, windowSeconds: number): TrafficWindow {
    const now = this.clock();
    const m = this.services.get(service);
    if (m) return m.window(windowSeconds, now);
    const seconds = Math.max(1, Math.min(windowSeconds, RING_SECONDS, (now - this.started) / 1000));
    return { seconds: Math.round(seconds), requests: 0, errors: 0, requestsPerSecond: 0 };
  }

  now(): number {
    return this.clock();
  }
}

/** An upstream socket error's kind, by its code. */
export function upstreamErrorKind(code: string | undefined): UpstreamErrorKind {
  if (code === "ECONNREFUSED") return "refused";
  if (code === "ETIMEDOUT") return "timeout";
  return "reset";
}

/**
 * Counts a request the proxy's HTTP server answers (the slow path: static files, HTTP/1.0, no ready
 * instance) once it is over: its status, or 499 when the client left before an answer started (as
 * nginx logs it).
 */
export function countAnswer(
  metrics: ProxyMetrics,
  service: string,
  res: { headersSent: boolean; statusCode: number; once(e: "close", f: () => void): unknown },
): void {
  const t0 = performance.now();
  res.once("close", () => {
    const end = performance.now();
    metrics.request(
      service,
      res.headersSent ? res.statusCode : 499,
      (end - t0) / 1000,
      performance.timeOrigin + end,
    );
  });
}
