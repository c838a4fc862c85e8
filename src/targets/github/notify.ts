// The notify job that ends a deploy or a rollback: the result posted to every Slack or Teams
// channel of the spec that has a webhook secret, skipped for a channel whose secret is not set.
import type { Pipeline } from "./pipeline.js";
import { RUNNER } from "./steps.js";
import { action, run, type Job, type Step } from "./workflow.js";

export function notifyJob(
  p: Pipeline,
  what: string,
  needs: string[],
  result: string,
  condition: string,
): Job {
  const env: Record<string, string> = {};
  for (const n of p.notify) env[n.secret] = `\${{ secrets.${n.secret} }}`;
  const text = `${what}: ${result} (\${{ github.server_url }}/\${{ github.repository }}/actions/runs/\${{ github.run_id }})`;
  const steps: Step[] = p.notify.map((n) =>
    n.type === "slack"
      ? action(
          "Notify Slack",
          "slackapi/slack-github-action",
          {
            webhook: `\${{ secrets.${n.secret} }}`,
            "webhook-type": "incoming-webhook",
            payload: JSON.stringify({ text }),
          },
          { if: `env.${n.secret} != ''` },
        )
      : run(
          "Notify Microsoft Teams",
          [
            "jq --null-input --arg text \"$TEXT\" '{text: $text}' \\",
            `  | curl --fail --silent --show-error --request POST --header 'Content-Type: application/json' --data @- "$${n.secret}"`,
          ],
          {
            if: `env.${n.secret} != ''`,
            env: { TEXT: text },
          },
        ),
  );
  return {
    name: "Notify",
    "runs-on": RUNNER,
    needs,
    if: condition,
    permissions: {},
    "timeout-minutes": 5,
    env,
    steps,
  };
}
