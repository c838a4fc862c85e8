// Alertmanager of the cluster (kube-prometheus-stack's): every environment's alert rules reach the
// spec's channels. Webhook URLs and the SMTP password are read from files of one Secret the operator
// mounts (`*_file` settings), so no URL or password is ever written into a generated file. Alerts of
// an environment are routed by the `namespace` label the chart's PrometheusRule sets; a critical alert
// silences the warnings of the same metric in its namespace. Fields: Alertmanager v0.28 configuration
// (config/notifiers.go: api_url_file, webhook_url_file, url_file, auth_password_file).
import type { AppModel, ChannelModel, MonitoringModel } from "../../model/types.js";

type Smtp = MonitoringModel["smtp"];

/** The Secret in the monitoring namespace that holds the channels' webhook URLs and the SMTP password. */
export const ALERT_SECRET = "gantry-alert-channels";
/** Where the operator mounts it in the Alertmanager pod (alertmanagerSpec.secrets). */
const SECRET_DIR = `/etc/alertmanager/secrets/${ALERT_SECRET}`;
/** The key of ALERT_SECRET that holds the SMTP relay's password. */
export const SMTP_PASSWORD_KEY = "ALERT_SMTP_PASSWORD";
/** The Alertmanager image Gantry pins: the configuration below needs v0.28 (msteamsv2_configs). */
export const ALERTMANAGER_TAG = "v0.28.1";

type Config = Record<string, unknown>;

/** A channel as Alertmanager delivers it; undefined for e-mail without an SMTP relay to send it. */
function delivery(ch: ChannelModel, smtp: Smtp): [string, Config] | undefined {
  const file = (key: string | undefined) => `${SECRET_DIR}/${key ?? ""}`;
  switch (ch.type) {
    case "slack":
      return ["slack_configs", { api_url_file: file(ch.webhook_secret), send_resolved: true }];
    case "teams":
      // Teams Workflows (Power Automate); the Office 365 connectors of msteams_configs are retired.
      return ["msteamsv2_configs", { webhook_url_file: file(ch.webhook_secret), send_resolved: true }];
    case "webhook":
      return ["webhook_configs", { url_file: file(ch.webhook_secret), send_resolved: true }];
    case "email":
      if (!smtp) return undefined;
      return ["email_configs", { to: ch.to.join(", "), send_resolved: true }];
  }
}

/** The Secret keys the channels of every environment read (webhook URLs, and the SMTP password). */
export function alertSecretKeys(apps: readonly AppModel[]): string[] {
  const keys = new Set<string>();
  for (const app of apps)
    for (const ch of Object.values(app.monitoring.channels)) {
      if (ch.webhook_secret) keys.add(ch.webhook_secret);
      if (ch.type === "email" && app.monitoring.smtp?.username) keys.add(SMTP_PASSWORD_KEY);
    }
  return [...keys].sort();
}

/** The receiver of a set of channels of one environment: `<env>-<channel>-<channel>`. */
const receiverName = (env: string, channels: string[]) => `${env}-${channels.join("-")}`;

interface Route {
  receiver: string;
  matchers: string[];
}

/** One receiver per distinct set of channels an environment's rules notify, and the routes to them. */
function environmentRoutes(app: AppModel) {
  const smtp = app.monitoring.smtp;
  const receivers = new Map<string, Config>();
  const routes: Route[] = [];
  const byChannels = new Map<string, string[]>();
  for (const [rule, a] of Object.entries(app.monitoring.alerts)) {
    const deliverable = deliverableChannels(app, a.channels);
    if (deliverable.length === 0) continue;
    const key = [...deliverable].sort().join(",");
    byChannels.set(key, [...(byChannels.get(key) ?? []), rule]);
  }
  for (const [key, rules] of byChannels) {
    const channels = key.split(",");
    const name = receiverName(app.environment.name, channels);
    const receiver: Config = { name };
    for (const c of channels) {
      const [field, cfg] = delivery(app.monitoring.channels[c]!, smtp)!;
      receiver[field] = [...((receiver[field] as Config[] | undefined) ?? []), cfg];
    }
    receivers.set(name, receiver);
    routes.push({
      receiver: name,
      matchers: [
        `namespace="${app.environment.namespace}"`,
        `alertname=~"${rules.map(alertName).join("|")}"`,
      ],
    });
  }
  return { receivers: [...receivers.values()], routes };
}

/** high-error-rate → HighErrorRate, as the chart names the PrometheusRule's alerts. */
export function alertName(rule: string): string {
  return rule
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
}

/** kube-prometheus-stack's `alertmanager` values: the configuration, and the Secret it reads. */
export function alertmanagerValues(apps: readonly AppModel[]): Config {
  const envs = apps.map((a) => environmentRoutes(a));
  // The cluster's own alerts (nodes, the platform charts) go to production's first receiver.
  const production = apps.findIndex((a) => a.environment.tier === "production");
  const fallback = envs[production >= 0 ? production : 0]?.receivers[0]?.name ?? "null";
  // One Alertmanager serves every environment: one relay (production's, when environments differ).
  const smtp = apps[production]?.monitoring.smtp ?? apps.find((a) => a.monitoring.smtp)?.monitoring.smtp;
  const usesEmail = envs.some((e) => e.receivers.some((r) => "email_configs" in r));
  const config: Config = {
    global: {
      resolve_timeout: "5m",
      ...(smtp && usesEmail
        ? {
            smtp_smarthost: smtp.smarthost,
            smtp_from: smtp.from,
            ...(smtp.username
              ? {
                  smtp_auth_username: smtp.username,
                  smtp_auth_password_file: `${SECRET_DIR}/${SMTP_PASSWORD_KEY}`,
                }
              : {}),
          }
        : {}),
    },
    route: {
      receiver: fallback,
      group_by: ["alertname", "namespace"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "4h",
      routes: [
        // kube-prometheus-stack's always-firing heartbeat: it proves the pipeline, it is not news.
        { receiver: "null", matchers: ['alertname="Watchdog"'] },
        ...envs.flatMap((e) => e.routes).map((r) => ({ ...r, continue: false })),
      ],
    },
    inhibit_rules: [
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity=~"warning|info"'],
        equal: ["namespace", "metric"],
      },
    ],
    receivers: [{ name: "null" }, ...envs.flatMap((e) => e.receivers)],
  };
  const keys = alertSecretKeys(apps);
  return {
    config,
    alertmanagerSpec: {
      image: { tag: ALERTMANAGER_TAG },
      ...(keys.length ? { secrets: [ALERT_SECRET] } : {}),
    },
  };
}

/** The environments whose rules notify no channel Alertmanager can deliver to, with the rules. */
export function undeliveredAlerts(app: AppModel): string[] {
  return Object.entries(app.monitoring.alerts)
    .filter(([, a]) => deliverableChannels(app, a.channels).length === 0)
    .map(([rule]) => rule);
}

/** The channels of a rule Alertmanager can deliver to on this cluster (e-mail only with a relay). */
function deliverableChannels(app: AppModel, channels: string[]): string[] {
  return channels.filter((c) => {
    const ch = app.monitoring.channels[c];
    return ch !== undefined && delivery(ch, app.monitoring.smtp) !== undefined;
  });
}

/** The command that creates ALERT_SECRET from environment variables of the same names (never literals). */
function secretCommand(keys: string[]): string {
  const froms = keys.map((k) => `--from-literal=${k}="$${k}"`).join(" ");
  return `kubectl -n monitoring create secret generic ${ALERT_SECRET} ${froms}`;
}

/** install.sh's lines before the charts: Alertmanager mounts the Secret, so it must exist first. */
export function alertSecretSteps(apps: readonly AppModel[]): string[] {
  const keys = alertSecretKeys(apps);
  if (keys.length === 0) return [];
  return [
    "# The alert channels' webhook URLs (and SMTP password): Alertmanager mounts this Secret at start",
    "kubectl create namespace monitoring --dry-run=client -o yaml | kubectl apply -f -",
    `if ! kubectl -n monitoring get secret ${ALERT_SECRET} >/dev/null 2>&1; then`,
    `  echo "Create the Secret ${ALERT_SECRET} in namespace monitoring first (keys: ${keys.join(", ")}), for example:" >&2`,
    `  echo '  ${secretCommand(keys)}' >&2`,
    "  exit 1",
    "fi",
    "",
  ];
}

/** The README's section on where alerts go. */
export function alertReadme(apps: readonly AppModel[]): string[] {
  const keys = alertSecretKeys(apps);
  const lines = [
    "## Alerts",
    "",
    `Alertmanager (kube-prometheus-stack, image ${ALERTMANAGER_TAG}) routes each environment's alerts by namespace to the channels its rules name (\`values/kube-prometheus-stack.yaml\`, \`alertmanager.config\`); a critical alert silences the warnings of the same metric in its namespace. The cluster's own alerts go to production's channels.`,
    "",
  ];
  if (keys.length)
    lines.push(
      `Webhook URLs${keys.includes(SMTP_PASSWORD_KEY) ? " and the SMTP password" : ""} are read from the Secret \`${ALERT_SECRET}\` in namespace \`monitoring\` (keys: ${keys.map((k) => `\`${k}\``).join(", ")}), never written into these files. Create it before \`install.sh\` (which stops when it is missing), with each variable set in your shell:`,
      "",
      "```sh",
      secretCommand(keys),
      "```",
      "",
    );
  for (const app of apps) {
    const lost = undeliveredAlerts(app);
    if (lost.length)
      lines.push(
        `In ${app.environment.name}, ${lost.join(", ")} notify no channel Alertmanager can deliver to${Object.values(app.monitoring.channels).some((c) => c.type === "email") && !app.monitoring.smtp ? " (e-mail needs `monitoring.smtp`)" : ""}.`,
        "",
      );
  }
  return lines;
}
