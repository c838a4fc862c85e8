// Slack and Teams channels on Azure: their action groups post to the alert relay, which turns Azure
// Monitor's common alert schema into Slack's or Teams' own message. The relay's generated code is run
// here against a local webhook; its channels' URLs stay secrets from the spec to the function.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { azureTarget, buildAzure } from "../src/targets/azure/index.js";
import { githubTarget } from "../src/targets/registry.js";
import { exampleContext, loadExample, tempDir } from "./helpers.js";

const project = (name: string) => loadExample(name).project;
const render = (name: string) => azureTarget.render(project(name), exampleContext(name, "azure"));

/** A metric alert in the common alert schema, as learn.microsoft.com's sample shows it. */
const ALERT = {
  schemaId: "azureMonitorCommonAlertSchema",
  data: {
    essentials: {
      alertId:
        "/subscriptions/sub/providers/Microsoft.AlertsManagement/alerts/b9569717-bc32-442f-add5-83a997729330",
      alertRule: "high-cpu-api",
      severity: "Sev1",
      signalType: "Metric",
      monitorCondition: "Fired",
      monitoringService: "Platform",
      alertTargetIDs: [
        "/subscriptions/sub/resourcegroups/rg-todo-production/providers/microsoft.web/serverfarms/asp-todo-api-prod",
      ],
      configurationItems: ["asp-todo-api-prod"],
      originAlertId: "3f2d4487-b0fc-4125-8bd5-7ad17384221e_PROD",
      firedDateTime: "2026-12-07T10:00:00.000Z",
      description: "CPU above 80% for 10m.",
      essentialsVersion: "1.0",
      alertContextVersion: "1.0",
    },
    alertContext: {},
  },
};

type Handler = (context: unknown, req: { body: unknown }) => Promise<void>;

/** Loads the relay's generated index.js as the Functions host would (CommonJS). */
function relayOf(tree: Record<string, string>): { handler: Handler; cleanup: () => void } {
  const code = tree["alert-relay/index.js"];
  assert.ok(code, "alert-relay/index.js is generated");
  const { dir, cleanup } = tempDir({ "relay/index.js": code });
  const handler = createRequire(join(dir, "relay", "index.js"))("./index.js") as Handler;
  return { handler, cleanup };
}

/** Runs the function for a channel; its answer and what it logged. */
async function invoke(handler: Handler, channels: unknown, channel: string, body: unknown) {
  const logs: string[] = [];
  const log = Object.assign((m: string) => logs.push(m), { error: (m: string) => logs.push(m) });
  const context: {
    bindingData: { channel: string };
    log: typeof log;
    res?: { status: number; body: string };
  } = { bindingData: { channel }, log };
  const before = process.env.ALERT_CHANNELS;
  process.env.ALERT_CHANNELS = JSON.stringify(channels);
  try {
    await handler(context, { body });
  } finally {
    if (before === undefined) delete process.env.ALERT_CHANNELS;
    else process.env.ALERT_CHANNELS = before;
  }
  return { res: context.res!, logs };
}

describe("azure: Slack and Teams channels through the alert relay", () => {
  let server: Server;
  let base = "";
  let answer = 200;
  const received: { path: string; body: Record<string, unknown> }[] = [];
  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let data = "";
      req.on("data", (c: Buffer) => (data += c.toString()));
      req.on("end", () => {
        received.push({ path: req.url ?? "", body: JSON.parse(data) as Record<string, unknown> });
        res.writeHead(answer).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
  });
  after(() => server.close());

  it("a Slack channel's action group posts to the relay, which the Slack channel is given to", () => {
    const tree = render("todo");
    const main = tree["main.bicep"]!;
    assert.match(
      main,
      /^ {6}slack: 'https:\/\/\$\{alertRelay\.outputs\.hostName\}\/api\/relay\/slack\?code=\$\{listKeys\('\$\{alertRelay\.outputs\.id\}\/host\/default', '2024-04-01'\)\.functionKeys\.default\}'$/m,
    );
    assert.match(
      main,
      /channels: \{\n {6}slack: \{\n {8}kind: 'slack'\n {8}url: slackWebhookUrl\n {6}\}\n {4}\}/,
    );
    const relay = tree["modules/alert-relay.bicep"]!;
    assert.match(relay, /'index\.js': loadTextContent\('\.\.\/alert-relay\/index\.js'\)/);
    assert.match(relay, /route: 'relay\/\{channel\}'/);
    assert.match(relay, /authLevel: 'function'/);
    // No chat channel, no relay.
    assert.equal(render("storefront")["modules/alert-relay.bicep"], undefined);
    assert.equal(render("storefront")["alert-relay/index.js"], undefined);
  });

  it("the relay posts Slack's message format (text, a coloured attachment) to the Slack webhook", async () => {
    const { handler, cleanup } = relayOf(render("todo"));
    try {
      received.length = 0;
      answer = 200;
      const { res } = await invoke(
        handler,
        { slack: { kind: "slack", url: `${base}/slack` } },
        "slack",
        ALERT,
      );
      assert.deepEqual(res, { status: 200, body: "sent to slack" });
      assert.equal(received.length, 1);
      const msg = received[0]!.body;
      assert.equal(received[0]!.path, "/slack");
      assert.equal(msg.text, "[FIRING] high-cpu-api");
      const [att] = msg.attachments as Record<string, unknown>[];
      assert.equal(att!.color, "danger");
      assert.equal(att!.text, "CPU above 80% for 10m.");
      assert.deepEqual(att!.fields, [
        { title: "Severity", value: "error (Sev1)", short: true },
        { title: "Resource", value: "asp-todo-api-prod", short: true },
        { title: "Signal", value: "Platform / Metric", short: true },
        { title: "Fired", value: "2026-12-07T10:00:00.000Z", short: true },
      ]);
      // Not the schema it was given: Slack would reject that.
      assert.equal(msg.schemaId, undefined);
    } finally {
      cleanup();
    }
  });

  it("the relay posts a Teams message with an Adaptive Card, and says when an alert resolved", async () => {
    const tree = render("augeo");
    assert.match(tree["main.bicep"]!, /kind: 'teams'\n {8}url: teamsWebhookUrl/);
    const { handler, cleanup } = relayOf(tree);
    try {
      received.length = 0;
      answer = 202;
      const resolved = structuredClone(ALERT);
      resolved.data.essentials.monitorCondition = "Resolved";
      Object.assign(resolved.data.essentials, { resolvedDateTime: "2026-12-07T10:20:00.000Z" });
      const { res } = await invoke(
        handler,
        { teams: { kind: "teams", url: `${base}/teams` } },
        "teams",
        resolved,
      );
      assert.equal(res.status, 200);
      const msg = received[0]!.body;
      assert.equal(msg.type, "message");
      const [att] = msg.attachments as {
        contentType: string;
        content: { type: string; body: Record<string, unknown>[] };
      }[];
      assert.equal(att!.contentType, "application/vnd.microsoft.card.adaptive");
      assert.equal(att!.content.type, "AdaptiveCard");
      assert.equal(att!.content.body[0]!.text, "[RESOLVED] high-cpu-api");
      assert.equal(att!.content.body[0]!.color, "Good");
      assert.deepEqual(
        (att!.content.body[2]!.facts as { title: string }[]).map((f) => f.title),
        ["Severity", "Resource", "Signal", "Resolved"],
      );
    } finally {
      cleanup();
    }
  });

  it("a refused post answers 503 (Azure Monitor retries) and never says the webhook's URL", async () => {
    const { handler, cleanup } = relayOf(render("todo"));
    try {
      answer = 500;
      const url = `${base}/T0000/B0000/secret-part-of-the-url`;
      const { res, logs } = await invoke(handler, { slack: { kind: "slack", url } }, "slack", ALERT);
      assert.deepEqual(res, { status: 503, body: "the slack webhook of slack answered 500" });
      for (const said of [res.body, ...logs]) assert.ok(!said.includes("secret-part"), said);
      const unknown = await invoke(handler, { slack: { kind: "slack", url } }, "ops", ALERT);
      assert.equal(unknown.res.status, 404);
    } finally {
      answer = 200;
      cleanup();
    }
  });

  it("the chat URLs are secrets: read from the environment at deployment, secure all the way", () => {
    for (const [name, param, secret] of [
      ["todo", "slackWebhookUrl", "SLACK_WEBHOOK_URL"],
      ["augeo", "teamsWebhookUrl", "TEAMS_WEBHOOK_URL"],
    ] as const) {
      const tree = render(name);
      assert.match(
        tree["main.bicep"]!,
        new RegExp(`@secure\\(\\)\\n@description\\([^\\n]*\\)\\nparam ${param} string`),
      );
      assert.match(
        tree["modules/alert-relay.bicep"]!,
        /@secure\(\)\n@description\([^\n]*\)\nparam channels object/,
      );
      const params = Object.entries(tree).filter(([file]) => file.startsWith("parameters/"));
      assert.ok(params.length > 0, "parameter files");
      for (const [file, text] of params) {
        // No fallback: a missing variable fails the parameter file, naming it.
        assert.match(
          text,
          new RegExp(`^param ${param} = readEnvironmentVariable\\('${secret}'\\)$`, "m"),
          file,
        );
      }
      // The URL is never an output of a deployment (outputs are readable by anyone who can read it).
      assert.ok(!/^output .*(Webhook|relay)/im.test(tree["main.bicep"]!));
      const required = buildAzure(project(name)).facts.deployVariables.find((v) => v.name === secret);
      assert.equal(required?.required, true);
    }
  });

  it("the deploy stops, naming the secret, when a chat channel's webhook secret is empty", () => {
    const p = project("augeo");
    const gh = githubTarget.render(p, exampleContext("augeo", "azure"));
    const script = Object.values(gh)
      .flatMap((text) => text.split("\n"))
      .map((l) => l.trim())
      .join("\n")
      .match(/for name in TEAMS_WEBHOOK_URL; do\n.*\ndone/);
    assert.ok(script, "the deploy checks TEAMS_WEBHOOK_URL before deploying");
    const run = (value: string) =>
      spawnSync("bash", ["-c", script[0]], {
        env: { PATH: process.env.PATH, TEAMS_WEBHOOK_URL: value },
        encoding: "utf8",
      });
    const unset = run("");
    assert.equal(unset.status, 1);
    assert.match(unset.stdout, /::error::the secret TEAMS_WEBHOOK_URL is not set/);
    assert.equal(run("https://example.invalid/hook").status, 0);
  });

  it("gantry check no longer warns that Slack and Teams cannot read Azure Monitor's payload", () => {
    for (const name of ["todo", "augeo"]) {
      const warnings = azureTarget.check(project(name), exampleContext(name, "azure"));
      assert.ok(!warnings.some((w) => w.path.startsWith("monitoring.channels")), JSON.stringify(warnings));
    }
  });
});
