// The README section on what the workflows check after a deploy: the certificate and redirect
// checks per environment (and the hosts whose redirect the platform does not guarantee), the load
// test with its profile and limits, and the channels the alert drill reaches.
import { mdTable } from "../terraform/readme.js";
import { drillChannels, undrillable } from "./alert-drill.js";
import {
  AUTOCANNON_VERSION,
  CONNECTIONS_PER_REPLICA,
  MAX_CONNECTIONS,
  STEADY_SECONDS,
  loadRun,
  loadTargets,
  loadTestEnvironment,
} from "./load-test.js";
import { LOAD_TEST_SCRIPT } from "./load-test-script.js";
import { MIN_DAYS, uncheckedRedirects } from "./verify.js";
import type { Pipeline } from "./pipeline.js";

function loadSection(p: Pipeline): string[] {
  const env = loadTestEnvironment(p.envs);
  if (!env)
    return [
      'No load test: no environment with a public health URL deploys before production (docs/ci-cd.md, "Load test").',
    ];
  const name = env.environment.name;
  const run = loadRun(p, env);
  const rows = loadTargets(env).map((t) => [
    t.url,
    String(t.connections),
    `${t.duration} s`,
    t.p95_ms !== undefined ? `${t.p95_ms} ms` : "none",
    t.error_percent !== undefined ? `${t.error_percent} %` : "none",
  ]);
  return [
    `After each deploy of ${name}, the \`load-test\` job of \`deploy-${name}.yml\` runs \`${LOAD_TEST_SCRIPT}\` with autocannon ${AUTOCANNON_VERSION} (through npx) against every public health URL at once. It fails when a URL's p95 latency or error ratio passes the lowest \`latency_p95\` or \`error_rate\` alert threshold that covers its service: ${CONNECTIONS_PER_REPLICA} connections per replica the service may run (at most ${MAX_CONNECTIONS}), for ${STEADY_SECONDS} s, or where the service autoscales for long enough that its autoscaler can act.`,
    "",
    mdTable(["URL", "connections", "duration", "p95 limit", "error limit"], rows),
    ...(run.autoscaled.length && p.platform.verification?.loadSteps
      ? [
          "",
          `While the load runs, the job also checks that the autoscaler of ${run.autoscaled.map((s) => `\`${s.name}\``).join(", ")} scales out above its minimum, and back to it within its scale-down window after the load.`,
        ]
      : []),
  ];
}

function drillSection(p: Pipeline): string[] {
  const { channels, smtp } = drillChannels(p.project);
  const sent = channels.filter(([, ch]) => !undrillable(ch, smtp)).map(([n, ch]) => `\`${n}\` (${ch.type})`);
  const skipped = channels.flatMap(([n, ch]) => {
    const why = undrillable(ch, smtp);
    return why ? [`- \`${n}\` (${ch.type}) is not drilled: ${why}.`] : [];
  });
  return [
    sent.length
      ? `\`alert-drill.yml\`, run by hand (\`gh workflow run alert-drill.yml\`), sends one test notification through ${sent.join(", ")}${smtp ? `; e-mails go through ${smtp.smarthost}` : ""}. It fails when a channel's secret is not set or its service refuses the message.`
      : "No alert drill: the spec has no channel the drill can reach.",
    ...(skipped.length ? ["", ...skipped] : []),
  ];
}

/** The section's lines. */
export function verificationReadme(p: Pipeline): string[] {
  const unchecked = uncheckedRedirects(p);
  const v = p.platform.verification;
  const issued = v !== undefined && p.envs.some((e) => v.certificates(p, e).length > 0);
  return [
    "## Checks after a deploy",
    "",
    `Each deploy job ends, after its smoke tests, with the certificates of every public host (accepted by the system trust store for that name, more than ${MIN_DAYS} days left${issued ? ", once the platform reports them issued" : ""}) and \`http://\` answering 301 or 308 with \`https://\` on the same host. A failed check fails the deploy but rolls nothing back.`,
    ...(unchecked.length
      ? [
          "",
          `The ${p.target} platform does not guarantee the redirect of these hosts, so it is not checked:`,
          ...unchecked.map((u) => `- ${u.env}: ${u.hosts.join(", ")}`),
        ]
      : []),
    "",
    "## Load test",
    "",
    ...loadSection(p),
    "",
    "## Alert drill",
    "",
    ...drillSection(p),
    "",
  ];
}
