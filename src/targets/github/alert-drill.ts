// alert-drill.yml: dispatched by hand, it sends one test notification through every channel of the
// spec, so that a wrong webhook URL or a relay that refuses the password shows up on a quiet day
// rather than during an incident. Chat and webhook channels get a POST to the URL their
// `webhook_secret` holds; e-mail channels a message through the relay of `monitoring.smtp` (its
// password: ALERT_SMTP_PASSWORD), the same relay and secret Alertmanager sends through on a cluster.
// The drill sends from the runner on every platform, not through each platform's alerting: it
// tests the channels themselves, the same way everywhere (docs/ci-cd.md, "Alert drill").
import type { ChannelModel, ProjectModel } from "../../model/types.js";
import type { CiSettings } from "../platform.js";
import { RUN_URL, postStep, type WebhookChannel } from "./notify.js";
import type { Pipeline } from "./pipeline.js";
import { RUNNER } from "./steps.js";
import { run, type Step, type Workflow } from "./workflow.js";

/** The secret that holds the SMTP relay's password (spec monitoring.smtp.username). */
export const SMTP_PASSWORD = "ALERT_SMTP_PASSWORD";

type Smtp = NonNullable<ProjectModel["environments"][number]["monitoring"]["smtp"]>;

/** Every channel of the spec by name (the first environment that defines a name wins), and the relay. */
export function drillChannels(project: ProjectModel): { channels: [string, ChannelModel][]; smtp?: Smtp } {
  const channels = new Map<string, ChannelModel>();
  for (const env of project.environments)
    for (const [name, ch] of Object.entries(env.monitoring.channels))
      if (!channels.has(name)) channels.set(name, ch);
  const smtp = project.environments.find((e) => e.monitoring.smtp)?.monitoring.smtp;
  return {
    channels: [...channels].sort(([a], [b]) => (a < b ? -1 : 1)),
    ...(smtp ? { smtp } : {}),
  };
}

/** Why a channel cannot be drilled, or undefined when it can. */
export function undrillable(ch: ChannelModel, smtp: Smtp | undefined): string | undefined {
  if (ch.type === "email")
    return smtp ? undefined : "no monitoring.smtp relay to send the test e-mail through";
  return ch.webhook_secret ? undefined : "no webhook_secret names the secret that holds its URL";
}

const webhook = (name: string, ch: ChannelModel): WebhookChannel | undefined =>
  ch.type !== "email" && ch.webhook_secret ? { type: ch.type, secret: ch.webhook_secret, name } : undefined;

/** The secrets the drill reads: each channel's webhook secret, and the relay's password when it has a user. */
export function drillSettings(project: ProjectModel): CiSettings {
  const { channels, smtp } = drillChannels(project);
  const secrets = channels.flatMap(([n, ch]) => {
    const hook = webhook(n, ch);
    if (hook) return [hook.secret];
    return ch.type === "email" && smtp?.username ? [SMTP_PASSWORD] : [];
  });
  return { variables: [], secrets: [...new Set(secrets)] };
}

/** Each channel is tried even when an earlier one failed; any failure fails the drill. */
const EVERY_CHANNEL = "!cancelled()";

function mailStep(name: string, ch: ChannelModel, smtp: Smtp, text: string): Step {
  return run(
    `E-mail ${ch.to.join(", ")} (${name})`,
    [
      "port=${SMARTHOST##*:}",
      "# 465 is TLS from the first byte (smtps); any other port must upgrade with STARTTLS (--ssl-reqd).",
      'if [ "$port" = 465 ]; then url="smtps://$SMARTHOST"; else url="smtp://$SMARTHOST"; fi',
      'mail="$RUNNER_TEMP/drill.eml"',
      "{",
      '  echo "From: $FROM"',
      '  echo "To: ${RECIPIENTS// /, }"',
      '  echo "Subject: [drill] $SUBJECT"',
      '  echo "Date: $(date --rfc-email)"',
      "  echo",
      '  echo "$TEXT"',
      '} > "$mail"',
      "args=()",
      'for rcpt in $RECIPIENTS; do args+=(--mail-rcpt "$rcpt"); done',
      ...(smtp.username
        ? [
            "# The password goes to curl in a file only this user reads, never on its command line.",
            `(umask 077; printf "machine %s login %s password %s\\n" "\${SMARTHOST%:*}" "$USERNAME" "$${SMTP_PASSWORD}" > "$RUNNER_TEMP/netrc")`,
            'args+=(--netrc-file "$RUNNER_TEMP/netrc")',
          ]
        : []),
      'curl --fail --silent --show-error --ssl-reqd --max-time 60 --url "$url" --mail-from "$FROM" "${args[@]}" --upload-file "$mail"',
    ],
    {
      if: EVERY_CHANNEL,
      env: {
        SMARTHOST: smtp.smarthost,
        FROM: smtp.from,
        RECIPIENTS: ch.to.join(" "),
        SUBJECT: `Alert drill: ${name}`,
        TEXT: text,
        ...(smtp.username ? { USERNAME: smtp.username } : {}),
      },
    },
  );
}

export function alertDrill(p: Pipeline, project: ProjectModel): Workflow | undefined {
  const { channels, smtp } = drillChannels(project);
  const text = (name: string, ch: ChannelModel) =>
    `Alert drill of ${p.app}: a test notification through the ${ch.type} channel ${name}, dispatched by \${{ github.actor }} (${RUN_URL}). Nothing is wrong; no action needed.`;
  const steps: Step[] = [];
  for (const [name, ch] of channels) {
    if (undrillable(ch, smtp)) continue;
    const hook = webhook(name, ch);
    if (hook) {
      steps.push(
        postStep(
          hook,
          text(name, ch),
          EVERY_CHANNEL,
          hook.type === "webhook" ? { app: p.app, channel: name } : {},
        ),
      );
    } else if (smtp) steps.push(mailStep(name, ch, smtp, text(name, ch)));
  }
  if (steps.length === 0) return undefined;
  const unset = drillSettings(project).secrets;
  return {
    name: "Alert drill",
    on: { workflow_dispatch: {} },
    permissions: { contents: "read" },
    concurrency: { group: "alert-drill", "cancel-in-progress": false },
    defaults: { run: { shell: "bash" } },
    jobs: {
      drill: {
        name: "Send a test notification through every channel",
        "runs-on": RUNNER,
        permissions: {},
        "timeout-minutes": 10,
        env: Object.fromEntries(unset.map((s) => [s, `\${{ secrets.${s} }}`])),
        steps: [
          ...(unset.length
            ? [
                run("Check that every channel's secret is set", [
                  "missing=0",
                  `for name in ${unset.join(" ")}; do`,
                  '  if [ -z "${!name}" ]; then echo "::error::the secret $name is not set: the drill cannot reach its channel"; missing=1; fi',
                  "done",
                  'exit "$missing"',
                ]),
              ]
            : []),
          ...steps,
        ],
      },
    },
  };
}
