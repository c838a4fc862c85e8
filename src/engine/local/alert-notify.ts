// Where a local alert goes: each channel of its rule, in that channel's own form. A webhook gets the
// JSON of Alertmanager's webhook receiver (version 4), so a receiver written for the Kubernetes
// target reads the local one too; Slack an incoming-webhook message with a coloured attachment
// (api.slack.com/reference/messaging/attachments); Teams a Workflows webhook message holding an
// Adaptive Card (msteams-docs, "Send Adaptive Cards using Incoming Webhooks"), as Alertmanager's
// msteamsv2 sends; e-mail through the spec's SMTP relay (monitoring.smtp, its password the secret
// ALERT_SMTP_PASSWORD). Webhook URLs are secrets: read from the local store when sending and never
// written to a log, nor is anything an error says about where it was sent.
import { createHash } from "node:crypto";
import nodemailer from "nodemailer";
import type { AlertMetric, ChannelModel, MonitoringModel } from "../../model/types.js";
import type { AlertEvent, AlertInfo } from "./alerts-local.js";

/** The secret that holds the SMTP relay's password (as on Kubernetes: bootstrap-alertmanager.ts). */
const SMTP_PASSWORD_SECRET = "ALERT_SMTP_PASSWORD";

const WHAT: Record<AlertMetric, [string, string]> = {
  error_rate: ["error rate", "%"],
  latency_p95: ["p95 latency", " ms"],
  cpu: ["CPU use of its limit", "%"],
  memory: ["memory use of its limit", "%"],
  crash_loop: ["restarts a minute", "/min"],
  availability: ["unavailability", "%"],
};

/** Where the alert comes from: the app and the environment. */
export interface AlertOrigin {
  app: string;
  environment: string;
}

/** A rule's value in its unit: "50%", "813 ms", "0.4/min". */
export function withUnit(metric: AlertMetric, v: number): string {
  return `${Number(v.toFixed(v >= 100 ? 0 : 2))}${WHAT[metric][1]}`;
}

/** "[FIRING] high-error-rate: api (warning)". */
export function subject(e: AlertEvent): string {
  const a = e.alert;
  return `[${e.status.toUpperCase()}] ${a.rule}: ${a.service} (${a.severity})`;
}

/** "error rate of api is 50% (above 5% for 2s)"; for a resolved one, what it was when last seen. */
export function description(e: AlertEvent, o: AlertOrigin): string {
  const a = e.alert;
  const is = e.status === "firing" ? "is" : "was";
  return `${WHAT[a.metric][0]} of ${a.service} (${o.app}, ${o.environment}) ${is} ${withUnit(a.metric, a.value)}, above ${withUnit(a.metric, a.above)} for ${a.for}${e.status === "resolved" ? "; now resolved" : ""}`;
}

function labels(a: AlertInfo, o: AlertOrigin): Record<string, string> {
  return {
    alertname: a.rule,
    service: a.service,
    severity: a.severity,
    app: o.app,
    environment: o.environment,
  };
}

/** Alertmanager's webhook JSON (version 4) for one alert. */
function webhookBody(e: AlertEvent, channel: string, o: AlertOrigin): unknown {
  const l = labels(e.alert, o);
  const annotations = { summary: subject(e), description: description(e, o) };
  return {
    version: "4",
    groupKey: `{}:{alertname="${e.alert.rule}"}`,
    truncatedAlerts: 0,
    status: e.status,
    receiver: channel,
    groupLabels: { alertname: e.alert.rule },
    commonLabels: l,
    commonAnnotations: annotations,
    externalURL: "",
    alerts: [
      {
        status: e.status,
        labels: l,
        annotations,
        startsAt: e.alert.firedAt ?? e.alert.activeAt,
        // Alertmanager's zero time for an alert that has not ended.
        endsAt: e.endsAt ?? "0001-01-01T00:00:00Z",
        generatorURL: "",
        fingerprint: createHash("sha256").update(JSON.stringify(l)).digest("hex").slice(0, 16),
      },
    ],
  };
}

function slackBody(e: AlertEvent, o: AlertOrigin): unknown {
  const color = e.status === "resolved" ? "good" : e.alert.severity === "critical" ? "danger" : "warning";
  return {
    text: subject(e),
    attachments: [
      {
        color,
        fallback: `${subject(e)}: ${description(e, o)}`,
        title: subject(e),
        text: description(e, o),
        fields: [
          { title: "Service", value: e.alert.service, short: true },
          { title: "Environment", value: o.environment, short: true },
        ],
      },
    ],
  };
}

function teamsBody(e: AlertEvent, o: AlertOrigin): unknown {
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [
            {
              type: "TextBlock",
              text: subject(e),
              weight: "Bolder",
              size: "Medium",
              wrap: true,
              color: e.status === "resolved" ? "Good" : "Attention",
            },
            { type: "TextBlock", text: description(e, o), wrap: true },
            {
              type: "FactSet",
              facts: Object.entries(labels(e.alert, o)).map(([title, value]) => ({ title, value })),
            },
          ],
        },
      },
    ],
  };
}

/** What sending needs: secrets by name, and a line for the supervisor's log. */
export interface NotifyContext {
  origin: AlertOrigin;
  monitoring: MonitoringModel;
  secret(name: string): string | undefined;
  log(msg: string): void;
}

/** POSTs JSON; resolves with a short reason when it failed (a status, an error code), never the URL. */
async function post(url: string, body: unknown): Promise<string | undefined> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    return res.ok ? undefined : `answered ${res.status}`;
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    return cause?.code ?? (e as Error).name;
  }
}

async function mail(ch: ChannelModel, e: AlertEvent, c: NotifyContext): Promise<string | undefined> {
  const smtp = c.monitoring.smtp;
  if (!smtp) return "no SMTP relay in the spec (monitoring.smtp)";
  const [host, port] = smtp.smarthost.split(":");
  const pass = smtp.username ? c.secret(SMTP_PASSWORD_SECRET) : undefined;
  if (smtp.username && pass === undefined)
    return `the secret ${SMTP_PASSWORD_SECRET} is not set (\`gantry secrets set ${SMTP_PASSWORD_SECRET}\`)`;
  const transport = nodemailer.createTransport({
    host: host!,
    port: Number(port),
    // 465 speaks TLS from the start; others (587, 25) upgrade with STARTTLS when the relay offers it.
    secure: Number(port) === 465,
    ...(smtp.username ? { auth: { user: smtp.username, pass: pass! } } : {}),
    connectionTimeout: 10_000,
  });
  try {
    await transport.sendMail({
      from: smtp.from,
      to: ch.to.join(", "),
      subject: subject(e),
      text: `${description(e, c.origin)}\n\nsince ${e.alert.activeAt}${e.endsAt ? `, resolved at ${e.endsAt}` : ""}\n`,
    });
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? "the relay refused it";
  } finally {
    transport.close();
  }
}

/** Sends to one channel; a short reason when it could not. */
async function sendTo(
  name: string,
  ch: ChannelModel,
  e: AlertEvent,
  c: NotifyContext,
): Promise<string | undefined> {
  if (ch.type === "email") return mail(ch, e, c);
  const url = ch.webhook_secret ? c.secret(ch.webhook_secret) : undefined;
  if (!url)
    return ch.webhook_secret
      ? `the secret ${ch.webhook_secret} is not set (\`gantry secrets set ${ch.webhook_secret}\`)`
      : "it has no webhook_secret";
  const body =
    ch.type === "slack"
      ? slackBody(e, c.origin)
      : ch.type === "teams"
        ? teamsBody(e, c.origin)
        : webhookBody(e, name, c.origin);
  return post(url, body);
}

/** Delays between tries of one notification: a receiver restarting is given a little time. */
const RETRY_MS = [1000, 5000];

/** Tells each channel of the event, trying each up to three times; the outcome goes to the log. */
export async function notify(e: AlertEvent, c: NotifyContext): Promise<void> {
  await Promise.all(
    e.channels.map(async (name) => {
      const ch = c.monitoring.channels[name];
      if (!ch) return;
      let why = await sendTo(name, ch, e, c);
      for (const ms of RETRY_MS) {
        if (why === undefined || why.startsWith("the secret") || why.startsWith("no SMTP")) break;
        await new Promise((r) => setTimeout(r, ms));
        why = await sendTo(name, ch, e, c);
      }
      c.log(
        why === undefined
          ? `alert ${e.alert.rule} on ${e.alert.service} ${e.status}: ${name} (${ch.type}) notified`
          : `alert ${e.alert.rule} on ${e.alert.service} ${e.status}: ${name} (${ch.type}) not notified: ${why}`,
      );
    }),
  );
}
