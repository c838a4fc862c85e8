// One environment's model → the chart values of that environment (values.ts says what they hold).
import type { AppModel } from "../../model/types.js";
import { kubernetesSettings, type KubernetesSettings } from "./settings.js";
import { alertValues } from "./values-alerts.js";
import { daprComponents } from "./values-dapr.js";
import { dataStoreValues } from "./values-datastores.js";
import { workloadValues } from "./values-workloads.js";
import { DEFAULT_IMAGE_TAG, RUN_AS_USER, type ChartValues } from "./values.js";

/** The values of one environment. */
export function buildValues(app: AppModel): ChartValues {
  const k8s = kubernetesSettings(app);
  const services: ChartValues["services"] = {};
  for (const svc of Object.values(app.services)) services[svc.name] = workloadValues(app, svc, k8s);
  return {
    global: globalValues(app, k8s),
    services,
    datastores: dataStoreValues(app),
    dapr: daprComponents(app, k8s.secret_name),
    alerts: alertValues(app, services),
  };
}

function globalValues(app: AppModel, k8s: KubernetesSettings): ChartValues["global"] {
  return {
    app: app.name,
    environment: app.environment.name,
    imageTag: DEFAULT_IMAGE_TAG,
    imagePullSecrets: [k8s.image_pull_secret],
    secretName: k8s.secret_name,
    runAsUser: RUN_AS_USER,
    ingress: {
      className: k8s.ingress_class,
      // The issuer is the spec's, per environment: a staging certificate would fail every smoke test
      // that checks trust, so no tier picks it on its own.
      clusterIssuer: k8s.tls_issuer,
      controllerNamespace: "ingress-nginx",
    },
    monitoringNamespace: "monitoring",
    daprNamespace: "dapr-system",
  };
}
