// The local alert rules without a supervisor: `for` semantics (pending, firing once the condition held
// that long, resolved when it clears), no data is no breach, a deploy that drops a rule resolves it;
// each channel's payload as its receiver reads it (a webhook on 127.0.0.1, Slack, Teams, e-mail through
// an SMTP server on 127.0.0.1); and Prometheus' text format as a parser reads it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { spawn } from "node:child_process";
import { SMTPServer } from "smtp-server";
import { LOOKBACK_SECONDS, LocalAlerts, type AlertEvent } from "../src/engine/local/alerts-local.js";
import { notify, type NotifyContext } from "../src/engine/local/alert-notify.js";
import { exposition } from "../src/engine/local/metrics-text.js";
import { Proxy } from "../src/engine/local/proxy.js";
import type { Runtime } from "../src/engine/local/runtime.js";
import { Signals } from "../src/engine/local/signals.js";
import { usage } from "../src/engine/local/proc-usage.js";
import type { AlertMetric, AppModel, MonitoringModel, ServiceModel } from "../src/model/types.js";
import { loadExample } from "./helpers.js";

const parsePrometheus = createRequire(import.meta.url)("parse-prometheus-text-format") as (t: string) => {
  name: string;
  help: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string }[];
}[];

/** The hello example (api, worker, web) with one rule on error_rate. */
function model(rule: Partial<MonitoringModel["alerts"][string]> | undefined): AppModel {
  const m = structuredClone(loadExample("hello", "dev").project.environments[0]!);
  m.monitoring.alerts = rule
    ? {
        "high-error-rate": {
          metric: "error_rate",
          above: 5,
          for: "10s",
          severity: "warning",
          services: [],
          channels: ["ops"],
          ...rule,
        },
      }
    : {};
  return m;
}

describe("local alert rules", () => {
  let now = 1_000_000;
  let m = model({});
  const values = new Map<string, number>();
  const events: AlertEvent[] = [];
  const alerts = new LocalAlerts({
    model: () => m,
    sample: (metric: AlertMetric, service: string) => values.get(`${metric}/${service}`),
    notify: (e) => events.push(e),
    now: () => now,
  });

  it("is pending while the condition holds for less than `for`, then fires once", () => {
    values.set("error_rate/api", 50);
    alerts.evaluate();
    assert.deepEqual(
      alerts.list().map((a) => [a.rule, a.service, a.state]),
      [["high-error-rate", "api", "pending"]],
    );
    now += 9_000;
    alerts.evaluate();
    assert.equal(events.length, 0);
    now += 1_000;
    alerts.evaluate();
    now += 2_000;
    alerts.evaluate();
    assert.deepEqual(
      events.map((e) => [e.status, e.alert.service, e.alert.value, e.channels]),
      [["firing", "api", 50, ["ops"]]],
    );
    assert.equal(alerts.list()[0]!.state, "firing");
  });

  it("is resolved when the condition clears, and a condition that clears while pending sends nothing", () => {
    values.delete("error_rate/api"); // no request in the look-back: no data, no breach
    values.set("error_rate/web", 10);
    alerts.evaluate();
    assert.deepEqual(
      events.slice(1).map((e) => [e.status, e.alert.service]),
      [["resolved", "api"]],
    );
    assert.deepEqual(
      alerts.list().map((a) => [a.service, a.state]),
      [["web", "pending"]],
    );
    values.set("error_rate/web", 5); // not above
    alerts.evaluate();
    assert.equal(alerts.list().length, 0);
    assert.equal(events.length, 2);
  });

  it("resolves a firing alert whose rule a deploy removed, to the rule's channels", () => {
    values.set("error_rate/api", 90);
    m = model({ for: "0s", services: ["api"] });
    alerts.evaluate();
    assert.equal(events.at(-1)!.status, "firing");
    m = model(undefined);
    alerts.evaluate();
    assert.deepEqual([events.at(-1)!.status, events.at(-1)!.channels], ["resolved", ["ops"]]);
  });
});

/** A receiver on 127.0.0.1 that records the JSON posted to it and answers `status`. */
async function receiver(status = 200) {
  const bodies: unknown[] = [];
  const server = http.createServer((req, res) => {
    let t = "";
    req.on("data", (d: Buffer) => (t += d.toString()));
    req.on("end", () => {
      bodies.push(JSON.parse(t));
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { bodies, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/secret-path-x1` };
}

const EVENT: AlertEvent = {
  status: "firing",
  channels: ["hook", "slack", "teams", "mail", "nohook"],
  alert: {
    rule: "high-latency",
    service: "api",
    metric: "latency_p95",
    severity: "critical",
    state: "firing",
    value: 812.5,
    above: 500,
    for: "5m",
    activeAt: "2026-01-01T10:00:00.000Z",
    firedAt: "2026-01-01T10:05:00.000Z",
  },
};

describe("alert channels", () => {
  const mails: { from: string; to: string[]; data: string }[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onData(stream, session, done) {
      let data = "";
      stream.on("data", (d: Buffer) => (data += d.toString()));
      stream.on("end", () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          data,
        });
        done();
      });
    },
  });
  let smtpPort = 0;
  before(async () => {
    await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", () => r()));
    smtpPort = (smtp.server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => smtp.close(() => r())));

  it("sends each channel its own form, through the SMTP relay for e-mail, and never logs a URL", async () => {
    const hook = await receiver();
    const slack = await receiver();
    const teams = await receiver(500); // tried again, then reported
    const secrets: Record<string, string> = { HOOK: hook.url, SLACK: slack.url, TEAMS: teams.url };
    const lines: string[] = [];
    const ctx: NotifyContext = {
      origin: { app: "hello", environment: "dev" },
      monitoring: {
        ...model(undefined).monitoring,
        channels: {
          hook: { type: "webhook", to: [], webhook_secret: "HOOK" },
          slack: { type: "slack", to: [], webhook_secret: "SLACK" },
          teams: { type: "teams", to: [], webhook_secret: "TEAMS" },
          mail: { type: "email", to: ["ops@example.com", "dev@example.com"] },
          nohook: { type: "webhook", to: [], webhook_secret: "UNSET_HOOK" },
        },
        smtp: { smarthost: `127.0.0.1:${smtpPort}`, from: "alerts@example.com" },
      },
      secret: (n) => secrets[n],
      log: (l) => lines.push(l),
    };
    try {
      await notify(EVENT, ctx);
    } finally {
      for (const r of [hook, slack, teams]) r.server.close();
    }
    const wh = hook.bodies[0] as {
      version: string;
      status: string;
      alerts: { labels: object; endsAt: string }[];
    };
    assert.equal(wh.version, "4");
    assert.equal(wh.status, "firing");
    assert.deepEqual(wh.alerts[0]!.labels, {
      alertname: "high-latency",
      service: "api",
      severity: "critical",
      app: "hello",
      environment: "dev",
    });
    assert.equal(wh.alerts[0]!.endsAt, "0001-01-01T00:00:00Z");
    const sl = slack.bodies[0] as { text: string; attachments: { color: string; text: string }[] };
    assert.equal(sl.text, "[FIRING] high-latency: api (critical)");
    assert.equal(sl.attachments[0]!.color, "danger");
    assert.equal(sl.attachments[0]!.text, "p95 latency of api (hello, dev) is 813 ms, above 500 ms for 5m");
    const tm = teams.bodies[0] as {
      type: string;
      attachments: { contentType: string; content: { type: string } }[];
    };
    assert.equal(tm.type, "message");
    assert.equal(tm.attachments[0]!.contentType, "application/vnd.microsoft.card.adaptive");
    assert.equal(tm.attachments[0]!.content.type, "AdaptiveCard");
    assert.equal(teams.bodies.length, 3, "a failing receiver is tried three times");
    assert.equal(mails.length, 1);
    assert.deepEqual(
      [mails[0]!.from, mails[0]!.to],
      ["alerts@example.com", ["ops@example.com", "dev@example.com"]],
    );
    assert.match(mails[0]!.data, /^Subject: \[FIRING\] high-latency: api \(critical\)\r?$/m);
    assert.deepEqual(lines.sort(), [
      "alert high-latency on api firing: hook (webhook) notified",
      "alert high-latency on api firing: mail (email) notified",
      "alert high-latency on api firing: nohook (webhook) not notified: the secret UNSET_HOOK is not set (`gantry secrets set UNSET_HOOK`)",
      "alert high-latency on api firing: slack (slack) notified",
      "alert high-latency on api firing: teams (teams) not notified: answered 500",
    ]);
    assert.ok(lines.every((l) => !l.includes("secret-path-x1") && !l.includes("127.0.0.1")));
  });
});

describe("Prometheus text format", () => {
  it("parses, with HELP, TYPE and escaped label values", () => {
    const text = exposition([
      {
        name: "gantry_http_requests_total",
        help: "Requests.\nBy code \\ service.",
        type: "counter",
        samples: [
          { labels: { service: 'a"b\\c\nd', code: "200" }, value: 3 },
          { labels: { service: "api", code: "503" }, value: 1 },
        ],
      },
      { name: "gantry_up", help: "Up.", type: "gauge", samples: [{ labels: {}, value: NaN }] },
    ]);
    const f = parsePrometheus(text);
    assert.deepEqual(
      f.map((x) => [x.name, x.type, x.help]),
      [
        ["gantry_http_requests_total", "COUNTER", "Requests.\nBy code \\ service."],
        ["gantry_up", "GAUGE", "Up."],
      ],
    );
    assert.deepEqual(f[0]!.metrics, [
      { labels: { service: 'a"b\\c\nd', code: "200" }, value: "3" },
      { labels: { service: "api", code: "503" }, value: "1" },
    ]);
    assert.equal(f[1]!.metrics[0]!.value, "NaN");
  });

  it("writes a histogram's buckets cumulative, with +Inf, _sum and _count", () => {
    const text = exposition([
      {
        name: "d_seconds",
        help: "D.",
        type: "histogram",
        series: [{ labels: { service: "api" }, bounds: [0.1, 1], counts: [2, 3, 1], sum: 4.5 }],
      },
    ]);
    assert.equal(
      text,
      '# HELP d_seconds D.\n# TYPE d_seconds histogram\nd_seconds_bucket{service="api",le="0.1"} 2\nd_seconds_bucket{service="api",le="1"} 5\nd_seconds_bucket{service="api",le="+Inf"} 6\nd_seconds_sum{service="api"} 4.5\nd_seconds_count{service="api"} 6\n',
    );
    const [h] = parsePrometheus(text.replace(/\{service="api",/g, "{").replace(/\{service="api"\}/g, ""));
    assert.deepEqual(h, {
      name: "d_seconds",
      help: "D.",
      type: "HISTOGRAM",
      metrics: [{ buckets: { "0.1": "2", "1": "5", "+Inf": "6" }, sum: "4.5", count: "6" }],
    });
  });
});

describe("signals of instances", () => {
  it("reads restarts a minute over the last five minutes, and the memory of an instance's process and its children against its limit", async () => {
    // A parent that starts a child holding 48 MiB: the instance's memory is both processes'.
    const child = spawn(
      process.execPath,
      [
        "-e",
        "require('child_process').spawn(process.execPath, ['-e', 'globalThis.b = Buffer.alloc(48 * 2 ** 20, 1); setInterval(() => {}, 1000)'], { stdio: 'inherit' }); setInterval(() => {}, 1000)",
      ],
      { stdio: "ignore" },
    );
    const m = model(undefined);
    const rule = { for: "0s", severity: "critical" as const, services: ["api"], channels: [] };
    m.monitoring.alerts = {
      "high-memory": { metric: "memory", above: 50, ...rule },
      "crash-loop": { metric: "crash_loop", above: 0.2, ...rule },
    };
    (m.services.api as ServiceModel).resources.limits.memory = "64Mi";
    const instance = {
      id: "api-v1-1",
      service: "api",
      restarts: 0,
      ready: true,
      inflight: 0,
      proc: { pid: child.pid },
    };
    const lines: string[] = [];
    const rt = {
      serving: undefined,
      paths: { env: "dev" },
      model: m,
      instances: [instance],
      proxy: new Proxy(),
      store: { get: () => undefined },
      log: (l: string) => lines.push(l),
      addSecretValues: () => undefined,
    } as unknown as Runtime;
    // The signals' clock, moved on by the test: usage is read at most every 10 s, restarts are
    // counted over the last five minutes.
    let now = 1_000_000;
    const signals = new Signals(rt, () => now);
    try {
      // Once the child has filled its buffer, the instance's memory is the parent's and at least 48 MiB more.
      const limit = 64 * 2 ** 20;
      const parentAlone = () => usage(child.pid!, new Map())!.rssBytes;
      const deadline = Date.now() + 10_000;
      let memory: number | undefined;
      while (Date.now() < deadline) {
        now += 10_000;
        signals.tick();
        memory = signals.sample("memory", "api");
        if (memory !== undefined && (memory / 100) * limit >= parentAlone() + 48 * 2 ** 20) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const bytes = (memory! / 100) * limit;
      assert.ok(bytes >= parentAlone() + 48 * 2 ** 20 && bytes < 400 * 2 ** 20, `memory ${memory}% of 64Mi`);
      assert.equal(signals.sample("crash_loop", "api"), 0);
      instance.restarts = 2;
      signals.tick();
      // Two restarts in the last five minutes: 0.4 a minute.
      assert.equal(signals.sample("crash_loop", "api"), 0.4);
      assert.deepEqual(
        signals.alerts.list().map((a) => [a.rule, a.service, a.state]),
        [
          ["crash-loop", "api", "firing"],
          ["high-memory", "api", "firing"],
        ],
      );
      assert.ok(
        lines.some((l) =>
          /^alert crash-loop on api firing \(crash_loop 0\.4\/min, above 0\.2\/min\)$/.test(l),
        ),
        lines.join("\n"),
      );
      assert.equal(signals.sample("error_rate", "api"), undefined, "no request: no data");
      // Five minutes on, without a restart since: none is counted any more, and its alert resolves.
      now += LOOKBACK_SECONDS * 1000;
      signals.tick();
      assert.equal(signals.sample("crash_loop", "api"), 0);
      assert.deepEqual(
        signals.alerts.list().map((a) => a.rule),
        ["high-memory"],
      );
      assert.ok(
        lines.some((l) => /^alert crash-loop on api resolved /.test(l)),
        lines.join("\n"),
      );
    } finally {
      child.kill("SIGKILL");
    }
  });
});
