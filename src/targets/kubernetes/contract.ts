// Where each variable of the contract gets its value on a cluster the chart deploys to (`gantry env
// --target kubernetes`), worded so that it reads right on any cluster: DOKS, AKS and EKS use it too.
import { workloadVariables } from "../../model/bindings.js";
import type { AppModel, JobModel, ServiceModel } from "../../model/types.js";
import type { ContractSupport } from "../../model/contract-support.js";
import { bindingValue, containerEnv, daprSidecar } from "./container-env.js";
import { kubernetesSettings } from "./settings.js";

const secretName = (app: AppModel) => kubernetesSettings(app).secret_name;

/** Whether a variable of the workload is the Dapr HTTP port, which only the sidecar injector sets. */
const isDaprPort = (app: AppModel, w: ServiceModel | JobModel, name: string) =>
  workloadVariables(app, w).some((v) => v.name === name && v.binding.kind === "pubsub-port");

/**
 * The Kubernetes target's answers; `keyOrigin` words where a key of the app's Secret comes from
 * (DigitalOcean adds which keys its Terraform output fills).
 */
export function kubernetesContractWith(keyOrigin: (app: AppModel, key: string) => string): ContractSupport {
  return {
    origin(app, w, v) {
      const value = bindingValue(app, w, v.binding);
      if (!value) return "the Dapr sidecar injector (not in the migrations Job, which runs no sidecar)";
      const keys = [...new Set(value.flatMap((s) => (typeof s === "string" ? [] : [s.key])))];
      if (keys.length === 0) return "the chart's values";
      if (value.length === 1) return keyOrigin(app, keys[0]!);
      return `composed by Kubernetes from ${keys.map((k) => keyOrigin(app, k)).join(" and ")}, and the chart's values`;
    },
    atRuntime: (app, w, name) => daprSidecar(app, w) && isDaprPort(app, w, name),
    missing: (app, w, v) =>
      v.binding.kind === "pubsub-port" && !daprSidecar(app, w)
        ? "a CronJob's pod runs no Dapr sidecar (it would keep the Job from finishing)"
        : undefined,
    platformVariables: (app, w) =>
      containerEnv(app, w).extras.map((e) => ({
        name: e.name,
        source: `${keyOrigin(app, e.key)}: ${e.why}`,
      })),
  };
}

export const kubernetesContract: ContractSupport = kubernetesContractWith(
  (app, key) => `Secret ${secretName(app)}, key ${key}`,
);
