// Every alert reaches the spec's channels on Kubernetes: Alertmanager's configuration (in the cluster
// bootstrap's kube-prometheus-stack values) routes each environment's rules by namespace to receivers
// of their channels, reads webhook URLs and the SMTP password from a Secret's files, and loads in
// Alertmanager itself (amtool, when installed: routes are asked of amtool, not re-implemented here).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { loadSpec } from "../src/model/load.js";
import { writeTree } from "../src/output/writer.js";
import { kubernetesTarget } from "../src/targets/kubernetes/index.js";
import { alertName } from "../src/targets/kubernetes/bootstrap-alertmanager.js";
import { alertRouteFindings, routeOf } from "../src/targets/kubernetes/system-alerts.js";
import { amtoolCheck, amtoolRoute } from "../src/validate/amtool.js";
import { findTool } from "../src/validate/tools.js";
import { EXAMPLES, exampleContext, loadExample } from "./helpers.js";

const VALUES = "cluster-bootstrap/values/kube-prometheus-stack.yaml";
const amtool = findTool("amtool") ? {} : { skip: "amtool is not installed (bash scripts/install-tools.sh)" };

type Receiver = { name: string; [k: string]: unknown };
type AmValues = {
  alertmanager: {
    config: { receivers: Receiver[]; global: Record<string, string> };
    alertmanagerSpec: { secrets?: string[] };
  };
};

function rendered(text: string) {
  const loaded = loadSpec("gantry.yaml", text);
  const ctx = exampleContext("hello");
  return {
    loaded,
    tree: kubernetesTarget.render(loaded.project, ctx),
    problems: kubernetesTarget.check(loaded.project, ctx),
  };
}

/** The tree written to a scratch folder, for amtool; removed afterwards. */
async function inScratch<T>(tree: Record<string, string>, use: (values: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "gantry-am-"));
  try {
    writeTree(dir, tree, true);
    return await use(join(dir, VALUES));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SPEC = `name: shop
services:
  api: { image: nginx:1.27, port: 8080, health: /health, domain: api.shop.test, scale: { min: 2, max: 3 } }
monitoring:
  channels:
    ops: { type: email, to: [ops@example.com] }
    chat: { type: teams, webhook_secret: TEAMS_URL }
    hook: { type: webhook, webhook_secret: HOOK_URL }
  alerts:
    high-cpu: { channels: [hook] }
  smtp: { smarthost: "smtp.example.com:587", from: alerts@example.com, username: apikey }
targets:
  kubernetes:
    registry: ghcr.io/acme
environments:
  staging: { tier: staging, namespace: shop-staging }
  production: { namespace: shop-production }
`;

describe("kubernetes: alerts reach the spec's channels", () => {
  for (const ex of EXAMPLES) {
    it(
      `${ex}: Alertmanager loads the configuration, and each rule routes to its channels' receiver`,
      amtool,
      async () => {
        const loaded = loadExample(ex);
        const tree = kubernetesTarget.render(loaded.project, exampleContext(ex));
        await inScratch(tree, async (values) => {
          assert.equal(await amtoolCheck(values), undefined);
          for (const app of loaded.project.environments) {
            for (const [rule, a] of Object.entries(app.monitoring.alerts)) {
              const labels = {
                namespace: app.environment.namespace,
                alertname: alertName(rule),
                severity: a.severity,
              };
              // E-mail goes out only through an SMTP relay (a warning of check() says so otherwise).
              const smtp = app.monitoring.smtp !== undefined;
              const channels = a.channels.filter((c) => smtp || app.monitoring.channels[c]?.type !== "email");
              const expected = channels.length
                ? `${app.environment.name}-${[...channels].sort().join("-")}`
                : "null";
              assert.deepEqual(
                await amtoolRoute(values, labels),
                [expected],
                `${ex} ${app.environment.name} ${rule}`,
              );
              // The system check's own route walk agrees with Alertmanager's.
              const config = (parse(tree[VALUES]!) as { alertmanager: { config: { route: object } } })
                .alertmanager.config;
              assert.equal(routeOf(config.route, labels), expected, `routeOf: ${ex} ${rule}`);
            }
          }
          assert.deepEqual(await amtoolRoute(values, { alertname: "Watchdog" }), ["null"]);
        });
      },
    );
  }

  it("every channel kind becomes its receiver, secrets read from files of one Secret and never written", () => {
    const { tree, problems } = rendered(SPEC);
    assert.deepEqual(
      problems.filter((p) => p.path.startsWith("monitoring")),
      [],
    );
    const v = parse(tree[VALUES]!) as AmValues;
    const prod = v.alertmanager.config.receivers.find((r) => r.name === "production-chat-hook-ops")!;
    assert.deepEqual(prod.msteamsv2_configs, [
      { webhook_url_file: "/etc/alertmanager/secrets/gantry-alert-channels/TEAMS_URL", send_resolved: true },
    ]);
    assert.deepEqual(prod.webhook_configs, [
      { url_file: "/etc/alertmanager/secrets/gantry-alert-channels/HOOK_URL", send_resolved: true },
    ]);
    assert.deepEqual(prod.email_configs, [{ to: "ops@example.com", send_resolved: true }]);
    assert.equal(
      v.alertmanager.config.global.smtp_auth_password_file,
      "/etc/alertmanager/secrets/gantry-alert-channels/ALERT_SMTP_PASSWORD",
    );
    assert.deepEqual(v.alertmanager.alertmanagerSpec.secrets, ["gantry-alert-channels"]);
    // install.sh stops before the charts when the Secret is missing, naming its keys.
    const install = tree["cluster-bootstrap/install.sh"]!;
    assert.ok(
      install.indexOf("get secret gantry-alert-channels") <
        install.indexOf("helm upgrade --install kube-prometheus-stack"),
    );
    assert.match(install, /keys: ALERT_SMTP_PASSWORD, HOOK_URL, TEAMS_URL/);
    assert.doesNotMatch(JSON.stringify(tree), /https:\/\/hooks\./);
  });

  it("the rules carry the namespace that routes them, and the metric that inhibits a warning by a critical", () => {
    const { tree } = rendered(SPEC);
    const rule = tree["rendered/production/prometheusrule-shop-alerts.yaml"];
    const text =
      rule ??
      Object.entries(tree).find(
        ([f, t]) => f.startsWith("rendered/production/") && t.includes("PrometheusRule"),
      )![1];
    const doc = parse(text) as {
      spec: { groups: { rules: { alert: string; labels: Record<string, string> }[] }[] };
    };
    const cpu = doc.spec.groups[0]!.rules.find((r) => r.alert === "HighCpu")!;
    assert.deepEqual(cpu.labels, { severity: "warning", metric: "cpu", namespace: "shop-production" });
    const v = parse(tree[VALUES]!) as { alertmanager: { config: { inhibit_rules: unknown[] } } };
    assert.deepEqual(v.alertmanager.config.inhibit_rules, [
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity=~"warning|info"'],
        equal: ["namespace", "metric"],
      },
    ]);
  });

  it("an availability rule fires below the spec's figure, which is the availability to keep", () => {
    const spec = SPEC.replace(
      "    high-cpu: { channels: [hook] }\n",
      "    high-cpu: { channels: [hook] }\n    up: { metric: availability, above: 99, for: 5m }\n",
    );
    const { tree } = rendered(spec);
    const text = Object.entries(tree).find(
      ([f, t]) => f.startsWith("rendered/production/") && t.includes("PrometheusRule"),
    )![1];
    const doc = parse(text) as { spec: { groups: { rules: { alert: string; expr: string }[] }[] } };
    const rule = doc.spec.groups[0]!.rules.find((r) => r.alert === "Up")!;
    // 100 × the share of successful scrapes, compared with 99: fires at 98 % available, not at 2 % down.
    assert.match(rule.expr, /^100 \* avg by \(service\) \(avg_over_time\(up\{[^}]*\}\[5m\]\)\) < 99$/);
  });

  it("says so, at the channel, when e-mail cannot be sent for lack of an SMTP relay", async () => {
    const { tree, problems } = rendered(SPEC.replace(/ {2}smtp: .*\n/, ""));
    const p = problems.find((x) => x.path === "monitoring.channels.ops");
    assert.equal(p?.severity, "warning");
    assert.match(p?.message ?? "", /SMTP relay/);
    const v = parse(tree[VALUES]!) as AmValues;
    assert.ok(!v.alertmanager.config.receivers.some((r) => "email_configs" in r));
    if (findTool("amtool"))
      await inScratch(tree, async (values) => assert.equal(await amtoolCheck(values), undefined));
  });

  it("kubernetes/alert-route: a production rule routed to a receiver that delivers nowhere is found, at the values file", () => {
    const loaded = loadExample("todo");
    const tree = kubernetesTarget.render(loaded.project, exampleContext("todo"));
    assert.deepEqual(alertRouteFindings(loaded.project, tree), []);
    const damaged = {
      ...tree,
      [VALUES]: tree[VALUES]!.replace(
        /( {6}- name: production-slack\n) {8}slack_configs:\n(?: {10}.*\n)+/,
        "$1",
      ),
    };
    assert.notEqual(damaged[VALUES], tree[VALUES]);
    const found = alertRouteFindings(loaded.project, damaged);
    assert.ok(
      found.length > 0 && found.every((f) => f.rule === "kubernetes/alert-route" && f.env === "production"),
    );
    assert.equal(found[0]!.file, VALUES);
    assert.ok((found[0]!.line ?? 0) > 0);
    assert.match(found[0]!.message, /routed to receiver production-slack, which delivers nowhere/);
  });

  it("the committed examples' bootstrap values exist where the validator looks", () => {
    for (const ex of EXAMPLES) {
      const path = join(exampleContext(ex).specDir, "deploy", "kubernetes", VALUES);
      assert.ok(existsSync(path) || existsSync(join("examples", ex, "deploy", "kubernetes", VALUES)), path);
    }
  });
});
