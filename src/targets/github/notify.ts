// Posting to the spec's chat and webhook channels: the notify job that ends a deploy or a rollback
// (the result posted to every Slack or Teams channel that has a webhook secret, skipped for a
// channel whose secret is not set), and the alert drill's test messages (alert-drill.ts).
import type { Pipeline } from "./pipeline.js";
import { RUNNER } from "./steps.js";
import { action, run, type Job, type Step } from "./workflow.js";

/** The link to the workflow run that sends a message. */
export const RUN_URL = "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}";

/** A channel reached by posting to the URL a secret holds. */
export interface WebhookChannel {
  type: "slack" | "teams" | "webhook";
  secret: string;
  /** The channel's name in the spec, when the step is for one channel (the drill). */
  name?: string;
}

/**
 * The step that posts `text` to a channel, as `$<secret>` in the job's env: Slack through its
 * action, Teams and plain webhooks as `{ text }` JSON (plus `extra` fields for a webhook).
 * `condition`: the step's `if`.
 */
export function postStep(
  ch: WebhookChannel,
  text: string,
  condition: string,
  extra: Record<string, string> = {},
): Step {
  const label = ch.name ? ` (${ch.name})` : "";
  const cond = { if: condition };
  if (ch.type === "slack")
    return action(
      `Notify Slack${label}`,
      "slackapi/slack-github-action",
      {
        webhook: `\${{ secrets.${ch.secret} }}`,
        "webhook-type": "incoming-webhook",
        payload: JSON.stringify({ text }),
      },
      cond,
    );
  const args = Object.keys(extra).map((k) => `--arg ${k} "$${k.toUpperCase()}"`);
  const fields = ["text: $text", ...Object.keys(extra).map((k) => `${k}: $${k}`)].join(", ");
  return run(
    ch.type === "teams" ? `Notify Microsoft Teams${label}` : `Notify the webhook${label}`,
    [
      `jq --null-input --arg text "$TEXT" ${args.map((a) => `${a} `).join("")}'{${fields}}' \\`,
      `  | curl --fail --silent --show-error --request POST --header 'Content-Type: application/json' --data @- "$${ch.secret}"`,
    ],
    {
      ...cond,
      env: {
        TEXT: text,
        ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k.toUpperCase(), v])),
      },
    },
  );
}

export function notifyJob(
  p: Pipeline,
  what: string,
  needs: string[],
  result: string,
  condition: string,
): Job {
  const env: Record<string, string> = {};
  for (const n of p.notify) env[n.secret] = `\${{ secrets.${n.secret} }}`;
  const text = `${what}: ${result} (${RUN_URL})`;
  return {
    name: "Notify",
    "runs-on": RUNNER,
    needs,
    if: condition,
    permissions: {},
    "timeout-minutes": 5,
    env,
    // A channel whose secret is not set is skipped: deploys do not fail for a missing notification.
    steps: p.notify.map((n) => postStep(n, text, `env.${n.secret} != ''`)),
  };
}
