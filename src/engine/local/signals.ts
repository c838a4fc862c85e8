// The supervisor's view of how the app is doing: the proxy's request metrics (metrics.ts), the
// instances' CPU, memory and restarts (proc-usage.ts), the spec's alert rules evaluated over them
// (alerts-local.ts) and sent to the spec's channels (alert-notify.ts). `gantry status` gets the last
// minute's traffic and the alerts; `/metrics` (metrics-server.ts) all of it, in Prometheus' format.
import type { AlertMetric, AppModel } from "../../model/types.js";
import { bytes as memoryBytes } from "../../spec/formats.js";
import { quantity } from "../../util/quantity.js";
import { notify, withUnit } from "./alert-notify.js";
import {
  EVALUATION_MS,
  LOOKBACK_SECONDS,
  LocalAlerts,
  type AlertEvent,
  type AlertInfo,
} from "./alerts-local.js";
import { LATENCY_BUCKETS, UPSTREAM_ERROR_KINDS, type TrafficWindow } from "./metrics.js";
import type { MetricFamily } from "./metrics-text.js";
import { parents, usage } from "./proc-usage.js";
import { readRelease } from "./release.js";
import type { Runtime } from "./runtime.js";

/** How often the instances' CPU and memory are read. */
const USAGE_EVERY_MS = 10_000;

/** The window `gantry status` shows. */
const STATUS_WINDOW_SECONDS = 60;

/** What `gantry status` shows of the app's signals (in SupervisorState). */
export interface SignalsStatus {
  /** Per service the proxy routes to: its traffic over the last minute. */
  traffic: Record<string, TrafficWindow>;
  /** Alerts pending or firing. */
  alerts: AlertInfo[];
}

interface CpuSample {
  cpuSeconds: number;
  at: number;
}

export class Signals {
  readonly alerts: LocalAlerts;
  private timer?: NodeJS.Timeout;
  private cached?: { release: string | undefined; model: AppModel | undefined };
  /** Per instance: its CPU readings over the look-back (oldest first), and its restarts when last seen. */
  private readonly cpu = new Map<string, CpuSample[]>();
  private readonly restartsSeen = new Map<string, number>();
  /** Per service: when its instances restarted (ms), over the look-back; its CPU and memory, % of the limit. */
  private readonly restartTimes = new Map<string, number[]>();
  private readonly usagePct = new Map<string, { cpu?: number; memory?: number }>();
  private usageReadAt = 0;

  constructor(
    private readonly rt: Runtime,
    /** Milliseconds since the epoch; tests move it on rather than wait. */
    private readonly clock: () => number = Date.now,
  ) {
    this.alerts = new LocalAlerts({
      model: () => this.model(),
      sample: (metric, service) => this.sample(metric, service),
      notify: (e) => void this.send(e),
      now: this.clock,
    });
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), EVALUATION_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The model of the release serving now (a deploy may change the rules), else the environment's. */
  model(): AppModel | undefined {
    const release = this.rt.serving;
    const c = this.cached;
    if (c && c.release === release && c.model) return c.model;
    const model = (release ? readRelease(this.rt.paths, release)?.model : undefined) ?? this.rt.model;
    this.cached = { release, model };
    return model;
  }

  tick(): void {
    const now = this.clock();
    this.countRestarts(now);
    this.readUsage(now, this.model());
    this.alerts.evaluate();
  }

  /** Notes each instance's new restarts, and forgets those older than the look-back. */
  private countRestarts(now: number): void {
    const live = new Set<string>();
    for (const i of this.rt.instances) {
      live.add(i.id);
      const seen = this.restartsSeen.get(i.id) ?? 0;
      if (i.restarts > seen) {
        const times = this.restartTimes.get(i.service) ?? [];
        for (let n = seen; n < i.restarts; n++) times.push(now);
        this.restartTimes.set(i.service, times);
      }
      this.restartsSeen.set(i.id, i.restarts);
    }
    for (const id of [...this.restartsSeen.keys()]) if (!live.has(id)) this.restartsSeen.delete(id);
    for (const [service, times] of this.restartTimes)
      this.restartTimes.set(
        service,
        times.filter((t) => now - t < LOOKBACK_SECONDS * 1000),
      );
  }

  /**
   * Reads each running instance's CPU and memory (every USAGE_EVERY_MS: a walk of /proc costs a few
   * ms, and the rules on them hold for minutes), when a rule reads them.
   */
  private readUsage(now: number, model: AppModel | undefined): void {
    const rules = Object.values(model?.monitoring.alerts ?? {});
    if (!rules.some((a) => a.metric === "cpu" || a.metric === "memory")) return;
    if (now - this.usageReadAt < USAGE_EVERY_MS) return;
    this.usageReadAt = now;
    const parentOf = parents();
    this.usagePct.clear();
    const live = new Set<string>();
    for (const i of this.rt.instances) {
      const svc = model?.services[i.service];
      const pid = i.proc?.pid;
      const u = pid && svc && svc.type !== "static" ? usage(pid, parentOf) : undefined;
      if (!u || !svc || svc.type === "static") continue;
      live.add(i.id);
      const limits = svc.resources.limits;
      // rate(container_cpu_usage_seconds_total[5m]): from the oldest reading of the last five minutes
      // (of this process: a restarted instance starts again from zero).
      const readings = (this.cpu.get(i.id) ?? []).filter(
        (r) => now - r.at <= LOOKBACK_SECONDS * 1000 && r.cpuSeconds <= u.cpuSeconds,
      );
      const prev = readings[0];
      readings.push({ cpuSeconds: u.cpuSeconds, at: now });
      this.cpu.set(i.id, readings);
      // The busiest instance stands for the service, as any pod over its limit fires on Kubernetes.
      const pct = this.usagePct.get(i.service) ?? {};
      if (prev && now > prev.at) {
        const cores = (u.cpuSeconds - prev.cpuSeconds) / ((now - prev.at) / 1000);
        pct.cpu = Math.max(pct.cpu ?? 0, (100 * cores) / (quantity(limits.cpu) ?? NaN));
      }
      const limit = memoryBytes(limits.memory);
      if (limit) pct.memory = Math.max(pct.memory ?? 0, (100 * u.rssBytes) / limit);
      this.usagePct.set(i.service, pct);
    }
    for (const id of [...this.cpu.keys()]) if (!live.has(id)) this.cpu.delete(id);
  }

  /** A rule's metric for a service over the look-back, in the rule's unit; undefined: no data. */
  sample(metric: AlertMetric, service: string): number | undefined {
    switch (metric) {
      case "error_rate": {
        const r = this.rt.proxy.metrics.window(service, LOOKBACK_SECONDS)?.errorRatio;
        return r === undefined ? undefined : 100 * r;
      }
      case "latency_p95":
        return this.rt.proxy.metrics.window(service, LOOKBACK_SECONDS)?.p95Ms;
      case "cpu":
        return this.usagePct.get(service)?.cpu;
      case "memory":
        return this.usagePct.get(service)?.memory;
      case "crash_loop":
        // 60 * rate(restarts[5m]): restarts a minute, over five minutes.
        return (this.restartTimes.get(service)?.length ?? 0) / (LOOKBACK_SECONDS / 60);
      case "availability":
        // Checked from outside by the cloud targets; one machine has no second place to check from.
        return undefined;
    }
  }

  private async send(e: AlertEvent): Promise<void> {
    const model = this.model();
    if (!model) return;
    const { rt } = this;
    rt.log(
      `alert ${e.alert.rule} on ${e.alert.service} ${e.status} (${e.alert.metric} ${withUnit(e.alert.metric, e.alert.value)}, above ${withUnit(e.alert.metric, e.alert.above)})`,
    );
    await notify(e, {
      origin: { app: model.name, environment: rt.paths.env },
      monitoring: model.monitoring,
      secret: (name) => {
        const v = rt.store.get(name);
        // Redacted from every log from now on, should an error ever quote it.
        if (v) rt.addSecretValues({ [name]: v });
        return v;
      },
      log: (m) => rt.log(m),
    }).catch((err: unknown) => rt.log(`alert ${e.alert.rule}: could not notify: ${(err as Error).message}`));
  }

  status(): SignalsStatus {
    // Every service the proxy serves, those without a request yet too.
    const services = new Set(this.rt.proxy.metrics.all().map(([service]) => service));
    for (const [name, svc] of Object.entries(this.model()?.services ?? {}))
      if (svc.type === "static" || svc.type === "http") services.add(name);
    const traffic: Record<string, TrafficWindow> = {};
    for (const service of [...services].sort())
      traffic[service] = this.rt.proxy.metrics.window(service, STATUS_WINDOW_SECONDS);
    return {
      traffic,
      alerts: this.alerts.list(),
    };
  }

  /** Every metric, for `/metrics`. */
  families(): MetricFamily[] {
    const services = this.rt.proxy.metrics.all();
    const per = <T>(f: (s: string, m: (typeof services)[number][1]) => T[]) =>
      services.flatMap(([s, m]) => f(s, m));
    const inflight = new Map<string, number>();
    for (const i of this.rt.instances) inflight.set(i.service, (inflight.get(i.service) ?? 0) + i.inflight);
    return [
      {
        name: "gantry_http_requests_total",
        help: "Requests the proxy answered, by service and status code.",
        type: "counter",
        samples: per((service, m) =>
          [...m.codes]
            .sort(([a], [b]) => a - b)
            .map(([code, value]) => ({ labels: { service, code: String(code) }, value })),
        ),
      },
      {
        name: "gantry_http_request_duration_seconds",
        help: "Time from a request's head to the end of its answer, through the proxy.",
        type: "histogram",
        series: per((service, m) => [
          { labels: { service }, bounds: LATENCY_BUCKETS, counts: m.buckets, sum: m.durationSum },
        ]),
      },
      {
        name: "gantry_upstream_errors_total",
        help: "Connections to an instance that were refused, reset, timed out or brought a malformed answer.",
        type: "counter",
        samples: per((service, m) =>
          UPSTREAM_ERROR_KINDS.map((kind) => ({ labels: { service, kind }, value: m.upstreamErrors[kind] })),
        ),
      },
      {
        name: "gantry_health_checks_total",
        help: "Readiness and liveness checks of the instances, by result (not in the request counts).",
        type: "counter",
        samples: per((service, m) => [
          { labels: { service, result: "ok" }, value: m.healthChecks.ok },
          { labels: { service, result: "failed" }, value: m.healthChecks.failed },
        ]),
      },
      {
        name: "gantry_http_requests_in_flight",
        help: "Requests the instances of a service are answering now.",
        type: "gauge",
        samples: [...inflight].map(([service, value]) => ({ labels: { service }, value })),
      },
      {
        name: "gantry_instance_ready",
        help: "Whether an instance is in the proxy's rotation (1) or not (0).",
        type: "gauge",
        samples: this.rt.instances.map((i) => ({
          labels: { service: i.service, instance: i.id },
          value: i.ready ? 1 : 0,
        })),
      },
      {
        name: "gantry_instance_restarts_total",
        help: "Times the supervisor started an instance again after it exited.",
        type: "counter",
        samples: this.rt.instances.map((i) => ({
          labels: { service: i.service, instance: i.id },
          value: i.restarts,
        })),
      },
      {
        name: "gantry_alerts",
        help: "Alert rules pending or firing on a service (as Prometheus' ALERTS).",
        type: "gauge",
        samples: this.alerts.list().map((a) => ({
          labels: { alertname: a.rule, service: a.service, severity: a.severity, alertstate: a.state },
          value: 1,
        })),
      },
    ];
  }
}
