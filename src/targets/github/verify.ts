// The checks at the end of every deploy and rollback job, after the smoke tests: the platform's own
// certificate readiness (cert-manager's Certificate Ready on a cluster), then for every public host
// a certificate the runner's trust store accepts for that name with more than MIN_DAYS left, and
// http:// answering 301 or 308 with `Location: https://<same host>/` where the platform redirects.
// They fail the job but roll nothing back: the release passed its smoke tests, and a certificate
// or a listener is not the release's to fix.
import type { AppModel } from "../../model/types.js";
import type { Verification } from "../platform.js";
import { publicHosts, type Pipeline } from "./pipeline.js";
import { run, type Step } from "./workflow.js";

/**
 * Fewer days than this left on a certificate fails the check: every issuer here renews long before
 * (cert-manager at two thirds of the lifetime, pkg/util/pki/renewaltime.go: 30 of Let's Encrypt's
 * 90 days), so a certificate this close to expiry means its renewal is failing.
 */
export const MIN_DAYS = 14;

function certificateStep(hosts: string[], trusted: boolean): Step {
  return run(
    "Check the certificates",
    [
      "failed=0",
      "for host in $HOSTS; do",
      ...(trusted
        ? [
            "  # curl checks the chain against the runner's trust store and the name against the host.",
            '  if ! curl --silent --show-error --output /dev/null --max-time 10 --retry 5 --retry-delay 6 --retry-all-errors "https://$host/"; then',
            '    echo "::error::https://$host/: no certificate the system trust store accepts for $host"; failed=1; continue',
            "  fi",
          ]
        : []),
      '  cert=$(openssl s_client -connect "$host:443" -servername "$host" </dev/null 2>/dev/null | openssl x509) ||',
      '    { echo "::error::$host: no certificate over TLS"; failed=1; continue; }',
      '  if ! openssl x509 -noout -checkhost "$host" <<<"$cert" | grep --quiet "does match"; then',
      '    echo "::error::$host: the certificate is not valid for this name"; failed=1; continue',
      "  fi",
      '  end=$(openssl x509 -noout -enddate <<<"$cert"); end=${end#notAfter=}',
      '  days=$(( ($(date --date "$end" +%s) - $(date +%s)) / 86400 ))',
      '  echo "$host: certificate valid until $end ($days days left)"',
      '  if [ "$days" -lt "$MIN_DAYS" ]; then',
      '    echo "::error::$host: the certificate expires in $days days: its renewal is failing"; failed=1',
      "  fi",
      "done",
      'exit "$failed"',
    ],
    { env: { HOSTS: hosts.join(" "), MIN_DAYS: String(MIN_DAYS) } },
  );
}

function redirectStep(hosts: string[]): Step {
  return run(
    "Check the HTTP to HTTPS redirects",
    [
      "failed=0",
      "for host in $HOSTS; do",
      "  out=$(curl --silent --show-error --output /dev/null --max-time 10 --retry 3 --retry-delay 5 --retry-all-errors \\",
      "    --write-out '%{http_code} %{redirect_url}' \"http://$host/\") ||",
      '    { echo "::error::http://$host/ does not answer"; failed=1; continue; }',
      "  code=${out%% *}; location=${out#* }",
      '  echo "http://$host/ -> $code $location"',
      "  # A load balancer may name the port (https://host:443/); the host must stay the same.",
      '  if [[ $code != 301 && $code != 308 ]] || [[ $location != "https://$host/"* && $location != "https://$host:443/"* ]]; then',
      '    echo "::error::http://$host/ answers $code $location, not a permanent redirect to https://$host/"; failed=1',
      "  fi",
      "done",
      'exit "$failed"',
    ],
    { env: { HOSTS: hosts.join(" ") } },
  );
}

/** The verification steps of one environment's deploy or rollback job (empty without public hosts). */
export function verifySteps(p: Pipeline, env: AppModel): Step[] {
  const hosts = publicHosts(env);
  if (hosts.length === 0) return [];
  const v = p.platform.verification;
  const redirects = v ? v.redirects(env).filter((h) => hosts.includes(h)) : [];
  return [
    ...(v?.certificates(p, env) ?? []),
    certificateStep(hosts, v?.trusted(env) ?? true),
    ...(redirects.length ? [redirectStep(redirects)] : []),
  ];
}

/** The public hosts whose redirect no check proves, per environment, for the README. */
export function uncheckedRedirects(p: Pipeline): { env: string; hosts: string[] }[] {
  const v: Verification | undefined = p.platform.verification;
  return p.envs
    .map((env) => {
      const redirected = new Set(v?.redirects(env) ?? []);
      return { env: env.environment.name, hosts: publicHosts(env).filter((h) => !redirected.has(h)) };
    })
    .filter((e) => e.hosts.length > 0);
}
