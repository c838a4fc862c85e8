// Running the app: `monitoring` (notification channels, alert rules, availability checks, telemetry)
// and the monthly `budget`.
import { Bool, Duration, Enum, Int, List, MapOf, nameKey, Num, Obj, SecretName, Str } from "./schema-kit.js";

const Channel = Obj(
  {
    type: Enum(["email", "slack", "teams", "webhook"], { description: "Where notifications go." }),
    to: List(Str({ description: "E-mail address.", format: "email" }), {
      description: "E-mail recipients (type email).",
      minItems: 1,
      uniqueItems: true,
    }),
    webhook_secret: SecretName,
  },
  {
    description:
      "A notification channel. Webhook URLs are secrets: name the secret that holds the URL in `webhook_secret`.",
    required: ["type"],
  },
);

const AlertRule = Obj(
  {
    metric: Enum(["error_rate", "latency_p95", "cpu", "memory", "crash_loop", "availability"], {
      description:
        "What is measured: error_rate (% of 5xx responses), latency_p95 (ms), cpu (% of limit), memory (% of limit), crash_loop (restarts per minute), availability (% of successful checks).",
    }),
    above: Num({
      description: "Fire when the metric is above this value (below, for availability).",
      minimum: 0,
      maximum: 1000000,
    }),
    for: Duration("How long the condition must hold. Default: the built-in rule's, else 5m."),
    severity: Enum(["info", "warning", "critical"], {
      description: "How urgent the alert is. Default: the built-in rule's, else warning.",
    }),
    services: List(Str({ description: "Service name.", format: "name" }), {
      description: "Services the rule covers. Default: all that the metric applies to.",
      uniqueItems: true,
    }),
    channels: List(Str({ description: "Channel name.", format: "name" }), {
      description: "Channels notified. Default: all.",
      uniqueItems: true,
    }),
    enabled: Bool({ description: "Set false to turn a default rule off.", default: true }),
  },
  {
    description:
      "An alert rule. A rule named like a built-in one (high-error-rate, critical-error-rate, high-latency, high-cpu, high-memory, crash-loop) changes only the fields it sets; any other rule needs `metric` and `above`.",
  },
);

export const MonitoringSchema = Obj(
  {
    channels: MapOf(Channel, { description: "Notification channels by name.", ...nameKey }),
    smtp: Obj(
      {
        smarthost: Str({
          description: "The SMTP relay as host:port, such as smtp.sendgrid.net:587.",
          format: "smarthost",
        }),
        from: Str({ description: "The sender of alert e-mails.", format: "email" }),
        username: Str({
          description:
            "The relay's user name; its password is the secret ALERT_SMTP_PASSWORD (on Kubernetes, a key of the gantry-alert-channels Secret).",
          maxLength: 256,
        }),
      },
      {
        description:
          "The SMTP relay alert e-mails are sent through where the platform has no mail service of its own (Kubernetes: Alertmanager). Azure, AWS and DigitalOcean send e-mail alerts themselves.",
        required: ["smarthost", "from"],
      },
    ),
    alerts: MapOf(AlertRule, {
      description:
        "Alert rules by name. Defaults (high-error-rate, critical-error-rate, high-latency, high-cpu, high-memory, crash-loop) are added unless set here; set `enabled: false` to drop one.",
      ...nameKey,
    }),
    availability: Obj(
      {
        enabled: Bool({
          description: "Probe each public HTTP service's health endpoint from outside.",
          default: true,
        }),
        interval: Duration("Time between probes.", "5m"),
        locations: Int({ description: "Probe locations.", minimum: 1, maximum: 16, default: 3 }),
        failures: Int({
          description: "Failed locations before the availability alert fires.",
          minimum: 1,
          maximum: 16,
          default: 2,
        }),
      },
      { description: "Availability checks.", default: {} },
    ),
    log_retention_days: Int({ description: "Days logs and metrics are kept.", minimum: 1, maximum: 730 }),
    sampling_percent: Num({
      description: "Percent of requests traced. Default: 100, and 10 in production.",
      minimum: 0,
      maximum: 100,
    }),
    daily_cap_gb: Num({
      description:
        "Daily log ingestion cap in GB (0: none). Default: none in development, 1 in staging, 5 in production.",
      minimum: 0,
      maximum: 1000,
    }),
  },
  { description: "Alerts, availability checks and telemetry." },
);

export const BudgetSchema = Obj(
  {
    monthly_usd: Num({ description: "Monthly budget in US dollars.", minimum: 1, maximum: 10000000 }),
    thresholds: List(Int({ description: "Percent of the budget.", minimum: 1, maximum: 1000 }), {
      description: "Notify at these percentages of the budget.",
      minItems: 1,
      uniqueItems: true,
      default: [80, 100],
    }),
    notify: List(Str({ description: "E-mail address.", format: "email" }), {
      description: "Who is notified.",
      uniqueItems: true,
    }),
  },
  { description: "A monthly cost budget with alerts.", required: ["monthly_usd"] },
);
