// Where each variable an app receives gets its value on Azure, for `gantry env`. On App Service the
// answer is ./supply.ts, the same one the Bicep is built from; with `targets.azure.compute: aks` the
// services run the Helm chart of the Kubernetes target, so that target answers.
import type { AppModel, JobModel, ServiceModel } from "../../model/types.js";
import type { ContractSupport } from "../../model/contract-support.js";
import { kubernetesTarget } from "../kubernetes/index.js";
import { appSettings, type Supply } from "./supply.js";

function describe(s: Supply): string {
  switch (s.kind) {
    case "plain":
      return `app setting ${JSON.stringify(s.value)}`;
    case "vault": {
      const by =
        s.writer.by === "operator"
          ? "you set it"
          : s.writer.by === "composed"
            ? "the deployment composes it"
            : "the deployment writes it";
      return `Key Vault secret ${s.secret} (${by})`;
    }
    case "deployed":
      return s.value.kind === "application-insights"
        ? "Application Insights of the environment"
        : s.value.kind === "bucket-url"
          ? `blob container ${s.value.bucket} of the storage account`
          : "composed by the deployment";
    case "missing":
      return `not supplied: ${s.why}`;
  }
}

const supplyOf = (app: AppModel, w: ServiceModel | JobModel, name: string): Supply | undefined =>
  appSettings(app, w).find((s) => s.name === name)?.supply;

const appService: ContractSupport = {
  origin: (app, w, v) => {
    const s = supplyOf(app, w, v.name);
    return s ? describe(s) : "not supplied";
  },
  missing: (app, w, v) => {
    const s = supplyOf(app, w, v.name);
    return s?.kind === "missing" ? s.why : undefined;
  },
  platformVariables: (app, w) =>
    appSettings(app, w)
      .filter((s) => s.platform)
      .map((s) => ({ name: s.name, source: describe(s.supply) })),
};

const onAks = (app: AppModel) => app.targets.azure?.compute === "aks";

/** The Kubernetes target's contract, which the chart on AKS supplies. */
function aks(): ContractSupport {
  const k = kubernetesTarget.contract;
  if (!k) throw new Error("the Kubernetes target declares no contract, which Azure with AKS uses");
  return k;
}

export const azureContract: ContractSupport = {
  origin: (app, w, v) => (onAks(app) ? aks() : appService).origin(app, w, v),
  atRuntime: (app, w, name) => (onAks(app) ? (aks().atRuntime?.(app, w, name) ?? false) : false),
  missing: (app, w, v) => (onAks(app) ? aks() : appService).missing?.(app, w, v),
  platformVariables: (app, w) => (onAks(app) ? aks() : appService).platformVariables(app, w),
};
