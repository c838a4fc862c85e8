// The app's signals on one machine, end to end with a real supervisor and instances: a service made to
// fail half its requests shows its error ratio in `gantry status` and fires the spec's alert to a
// webhook receiver on 127.0.0.1 within the rule's window; a healthy one next to it fires nothing;
// `/metrics` parses as Prometheus' text format and counts exactly the requests sent.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { envPaths } from "../src/engine/local/paths.js";
import { openStore } from "../src/engine/local/secrets.js";
import type { SupervisorState } from "../src/engine/local/state.js";
import { runCli, tempDir } from "./helpers.js";

interface PromSample {
  labels?: Record<string, string>;
  value?: string;
  count?: string;
  sum?: string;
  buckets?: Record<string, string>;
}
interface PromFamily {
  name: string;
  type: string;
  metrics: PromSample[];
}
const parsePrometheus = createRequire(import.meta.url)("parse-prometheus-text-format") as (
  t: string,
) => PromFamily[];

/** Fails every other request (not its health checks) with 500. */
const FLAKY = `let n = 0;
require("http").createServer((q, s) => {
  if (q.url === "/healthz") return s.end("ok");
  s.statusCode = n++ % 2 ? 500 : 200;
  s.end("flaky");
}).listen(process.env.PORT, "127.0.0.1");
`;
const STEADY = `require("http").createServer((q, s) => s.end("steady")).listen(process.env.PORT, "127.0.0.1");\n`;
const SPEC = `name: signals
services:
  flaky: { build: ., command: node flaky.js, port: 8080, path: /flaky, health: { readiness: /healthz } }
  steady: { build: ., command: node steady.js, port: 8080, path: /steady }
monitoring:
  channels:
    hook: { type: webhook, webhook_secret: ALERT_HOOK_URL }
  alerts:
    high-error-rate: { above: 20, for: 3s }
    critical-error-rate: { enabled: false }
`;
/** The part of the receiver's URL that makes it a secret; it must appear in no log. */
const HOOK_TOKEN = "T0KEN-b7d1e0c2a9";

interface Hook {
  at: number;
  body: {
    status: string;
    receiver: string;
    alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
  };
}

describe("signals of a local app", { timeout: 120_000 }, () => {
  const app = tempDir({ "gantry.yaml": SPEC, "flaky.js": FLAKY, "steady.js": STEADY });
  const hooks: Hook[] = [];
  const receiver = http.createServer((req, res) => {
    let text = "";
    req.on("data", (d: Buffer) => (text += d.toString()));
    req.on("end", () => {
      if (req.url === `/hook/${HOOK_TOKEN}`)
        hooks.push({ at: Date.now(), body: JSON.parse(text) as Hook["body"] });
      res.end();
    });
  });
  let st: SupervisorState;
  let loadStarted = 0;

  before(async () => {
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
    const port = (receiver.address() as AddressInfo).port;
    openStore(envPaths(app.dir, "production"), undefined).set(
      "ALERT_HOOK_URL",
      `http://127.0.0.1:${port}/hook/${HOOK_TOKEN}`,
    );
    const up = await runCli(["up", app.dir]);
    assert.equal(up.code, 0, up.err);
    st = JSON.parse((await runCli(["status", app.dir, "--json"])).out) as SupervisorState;
    loadStarted = Date.now();
    for (let i = 0; i < 20; i++)
      for (const path of ["/flaky/x", "/steady/x"]) {
        const res = await fetch(`http://127.0.0.1:${st.proxyPort}${path}`);
        await res.arrayBuffer();
      }
  });

  after(async () => {
    await runCli(["destroy", app.dir, "--yes"]);
    receiver.close();
    app.cleanup();
  });

  it("shows each service's error ratio, rate and p95 in `status`, human and JSON", async () => {
    const json = JSON.parse((await runCli(["status", app.dir, "--json"])).out) as SupervisorState;
    const flaky = json.traffic!.flaky!;
    const steady = json.traffic!.steady!;
    assert.deepEqual([flaky.requests, flaky.errors, flaky.errorRatio], [20, 10, 0.5]);
    assert.deepEqual([steady.requests, steady.errors, steady.errorRatio], [20, 0, 0]);
    assert.ok(flaky.requestsPerSecond > 0 && flaky.p95Ms! > 0);
    const human = (await runCli(["status", app.dir])).out;
    assert.match(
      human,
      /\ntraffic over the last \d+s, through the proxy:\nSERVICE +REQ\/S +REQUESTS +ERRORS \(5XX\) +P95\n/,
    );
    assert.match(human, /\nflaky +[\d.]+ +20 +50% \(10\) +[\d.]+ ms\n/);
    assert.match(human, /\nsteady +[\d.]+ +20 +0% \(0\) +[\d.]+ ms\n/);
    assert.match(human, new RegExp(`\\nmetrics: http://127\\.0\\.0\\.1:${json.metricsPort}/metrics\\n`));
  });

  it("fires the spec's alert for the failing service to the webhook within its window, and nothing for the healthy one", async () => {
    // `for: 3s`, evaluated every 2 s: pending at the first evaluation after the load, firing 3 s later.
    const deadline = Date.now() + 20_000;
    while (hooks.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    // One more evaluation: still nothing for the healthy service, nor a second one for the failing.
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(hooks.length, 1, "one notification");
    const h = hooks[0]!;
    const waited = h.at - loadStarted;
    assert.ok(waited >= 3000 && waited < 3000 + 2 * 2000 + 3000, `fired after ${waited} ms`);
    assert.equal(h.body.status, "firing");
    assert.equal(h.body.receiver, "hook");
    assert.equal(h.body.alerts.length, 1);
    assert.deepEqual(h.body.alerts[0]!.labels, {
      alertname: "high-error-rate",
      service: "flaky",
      severity: "warning",
      app: "signals",
      environment: "production",
    });
    assert.match(
      h.body.alerts[0]!.annotations.description!,
      /^error rate of flaky \(signals, production\) is 50%, above 20% for 3s$/,
    );
    const json = JSON.parse((await runCli(["status", app.dir, "--json"])).out) as SupervisorState;
    assert.deepEqual(
      json.alerts!.map((a) => [a.rule, a.service, a.state]),
      [["high-error-rate", "flaky", "firing"]],
    );
    assert.match(
      (await runCli(["status", app.dir])).out,
      /\nalerts:\nALERT +SERVICE +STATE.*\nhigh-error-rate +flaky +firing +warning +50% +20% +3s +\d+s\n/,
    );
    // The webhook's URL is a secret: in no log.
    const log = readFileSync(envPaths(app.dir, "production").logs + "/supervisor.log", "utf8");
    assert.match(log, /alert high-error-rate on flaky firing: hook \(webhook\) notified/);
    assert.doesNotMatch(log, new RegExp(HOOK_TOKEN));
  });

  it("serves /metrics in Prometheus' text format, counting exactly the requests sent", async () => {
    const res = await fetch(`http://127.0.0.1:${st.metricsPort}/metrics`);
    assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    const families = parsePrometheus(text);
    const family = (name: string) => families.find((f) => f.name === name)!;
    const value = (name: string, labels: Record<string, string>) =>
      Number(
        family(name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
          ?.value,
      );
    assert.equal(family("gantry_http_requests_total").type, "COUNTER");
    assert.equal(value("gantry_http_requests_total", { service: "flaky", code: "200" }), 10);
    assert.equal(value("gantry_http_requests_total", { service: "flaky", code: "500" }), 10);
    assert.equal(value("gantry_http_requests_total", { service: "steady", code: "200" }), 20);
    assert.equal(family("gantry_http_request_duration_seconds").type, "HISTOGRAM");
    // The parser flattens a histogram's labelled series into one: they are read from their lines.
    for (const service of ["flaky", "steady"]) {
      const line = (suffix: string, extra = "") =>
        Number(
          new RegExp(
            `^gantry_http_request_duration_seconds_${suffix}\\{service="${service}"${extra}\\} (\\S+)$`,
            "m",
          ).exec(text)?.[1],
        );
      assert.equal(line("count"), 20);
      assert.equal(line("bucket", ',le="\\+Inf"'), 20);
      assert.ok(line("sum") > 0);
    }
    assert.equal(value("gantry_upstream_errors_total", { service: "flaky", kind: "refused" }), 0);
    // Health checks are counted apart from the requests.
    assert.ok(value("gantry_health_checks_total", { service: "flaky", result: "ok" }) > 0);
    assert.equal(
      value("gantry_alerts", { alertname: "high-error-rate", service: "flaky", alertstate: "firing" }),
      1,
    );
    // The same text on the control socket.
    const viaSocket = await new Promise<string>((resolve, reject) =>
      http
        .get({ socketPath: st.socket, path: "/metrics" }, (r) => {
          let t = "";
          r.on("data", (d: Buffer) => (t += d.toString()));
          r.on("end", () => resolve(t));
        })
        .on("error", reject),
    );
    assert.match(viaSocket, /^gantry_http_requests_total\{service="steady",code="200"\} 20$/m);
  });
});
