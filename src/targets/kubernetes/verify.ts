// The checks after a Helm rollout (every platform that runs the chart): cert-manager's Certificates
// Ready, ingress-nginx's redirects, and during the load test each autoscaled service's
// HorizontalPodAutoscaler scaling out under the load and back to its minimum within the spec's
// scale-down window.
import type { AppModel, ServiceModel } from "../../model/types.js";
import { plainLoad, type LoadRun } from "../github/load-test.js";
import { publicHosts, type Pipeline } from "../github/pipeline.js";
import { run, type Step } from "../github/workflow.js";
import type { Verification } from "../platform.js";
import { tlsSecretName } from "./objects-services.js";
import { issuerTrusted, kubernetesSettings } from "./settings.js";

/** Metrics reach an autoscaler late: metrics-server scrapes about every minute, the HPA reads every 15 s. */
const METRICS_LAG_SECONDS = 75;

/**
 * cert-manager's ingress-shim names each Certificate after the `tls.secretName` of its Ingress
 * (cert-manager.io/docs/usage/ingress), which the chart sets per service and host.
 */
function certificateNames(env: AppModel): string[] {
  return Object.values(env.services)
    .flatMap((s) =>
      s.type === "http" || s.type === "static" ? s.domains.map((h) => tlsSecretName(s.name, h)) : [],
    )
    .sort();
}

function certificatesReady(p: Pipeline, env: AppModel): Step[] {
  const names = certificateNames(env).map((n) => `certificates.cert-manager.io/${n}`);
  if (names.length === 0) return [];
  return [
    run(
      "Wait for the certificates (cert-manager)",
      [
        "# shellcheck disable=SC2086 # CERTIFICATES is a list of names",
        'if ! kubectl wait --for=condition=Ready --namespace "$NAMESPACE" --timeout "$TIMEOUT" $CERTIFICATES; then',
        "  # shellcheck disable=SC2086",
        '  kubectl describe --namespace "$NAMESPACE" $CERTIFICATES',
        "  exit 1",
        "fi",
      ],
      {
        env: {
          NAMESPACE: env.environment.namespace,
          TIMEOUT: p.deployTimeout,
          CERTIFICATES: names.join(" "),
        },
      },
    ),
  ];
}

/**
 * Seconds after the load in which an autoscaler must be back at its minimum: the spec's scale-down
 * window, one period per step of `down.pods` replicas from max to min, and the metrics' lag.
 */
function scaleDownSeconds(s: ServiceModel): number {
  const steps = Math.ceil((s.scale.max - s.scale.min) / Math.max(1, s.scale.down.pods));
  return s.scale.down.window_seconds + steps * s.scale.down.period_seconds + METRICS_LAG_SECONDS;
}

/** The load test with each autoscaled service's HPA polled while it runs, then awaited back at its minimum. */
function loadWithAutoscalers(env: AppModel, load: LoadRun): Step {
  const hpas = load.autoscaled.map((s) => `${s.name}:${Math.max(1, s.scale.min)}:${scaleDownSeconds(s)}`);
  const wait = Math.max(...load.autoscaled.map(scaleDownSeconds));
  const replicas = `kubectl get hpa "$name" --namespace "$NAMESPACE" --output jsonpath='{.status.currentReplicas}'`;
  return run(
    `${load.name} and autoscaling`,
    [
      `${load.command} &`,
      "load=$!",
      "declare -A peak=()",
      'while kill -0 "$load" 2>/dev/null; do',
      "  for hpa in $HPAS; do",
      '    IFS=: read -r name _ _ <<<"$hpa"',
      `    n=$(${replicas} || true)`,
      '    if [ "${n:-0}" -gt "${peak[$name]:-0}" ]; then peak[$name]=$n; fi',
      "  done",
      "  sleep 10",
      "done",
      'status=0; wait "$load" || status=$?',
      "ended=$SECONDS",
      "for hpa in $HPAS; do",
      '  IFS=: read -r name min down <<<"$hpa"',
      '  if [ "${peak[$name]:-0}" -le "$min" ]; then',
      '    echo "::error::HorizontalPodAutoscaler $name stayed at ${peak[$name]:-0} replicas under the load (minimum $min): it did not scale out"',
      "    status=1; continue",
      "  fi",
      '  echo "$name scaled out to ${peak[$name]} replicas; it must be back at $min within $down s of the end of the load"',
      `  until n=$(${replicas}) && [ "$n" -le "$min" ]; do`,
      '    if [ $((SECONDS - ended)) -ge "$down" ]; then',
      '      echo "::error::HorizontalPodAutoscaler $name still runs ${n:-?} replicas $down s after the load (minimum $min)"',
      "      status=1; break",
      "    fi",
      "    sleep 15",
      "  done",
      "done",
      'exit "$status"',
    ],
    {
      env: { ...load.env, NAMESPACE: env.environment.namespace, HPAS: hpas.join(" ") },
      "timeout-minutes": Math.ceil((load.seconds + wait) / 60) + 5,
    },
  );
}

/** The Verification of the chart's rollout, reaching the cluster with `access`. */
export function helmVerification(access: (p: Pipeline, env: AppModel) => Step[]): Verification {
  return {
    certificates: certificatesReady,
    trusted: (env) => issuerTrusted(kubernetesSettings(env).tls_issuer),
    // Every Ingress of the chart has TLS and ssl-redirect / force-ssl-redirect (objects-services.ts):
    // ingress-nginx answers http:// with 308 (its http-redirect-code default).
    redirects: publicHosts,
    loadSteps: (p, env, load) =>
      load.autoscaled.length ? [...access(p, env), loadWithAutoscalers(env, load)] : [plainLoad(load)],
  };
}
