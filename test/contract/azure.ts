// What the Azure target sets for a workload, read from the typed Bicep it builds: on App Service,
// the names of the app settings in the service's parameter of that environment's parameter file
// (values, Key Vault references, values of the deployment); with `compute: aks` the Helm chart of
// the Kubernetes target runs the services, so its reader answers.
import { isExpr, type BicepObject, type BicepValue } from "../../src/format/bicep.js";
import { buildAzure } from "../../src/targets/azure/index.js";
import { camel } from "../../src/targets/azure/names.js";
import { computeOf } from "../../src/targets/azure/decisions.js";
import { NAMES_SET, type ReaderInput } from "./targets.js";

const isObject = (v: BicepValue | undefined): v is BicepObject =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !isExpr(v);

const SETTING_FIELDS = ["settings", "secretSettings", "deployedSettings"] as const;

export function azure(input: ReaderInput): string[] {
  const { project, app, workload } = input;
  if (computeOf(project) === "aks") {
    // The lead wires the Kubernetes reader in at merge: Azure with AKS sets what the chart sets.
    const kubernetes = NAMES_SET.kubernetes;
    if (!kubernetes) throw new Error("test/contract/targets.ts has no kubernetes reader");
    return kubernetes(input);
  }
  const file = buildAzure(project).params[`parameters/${app.environment.name}.bicepparam`];
  const config = file?.params.find((p) => p.name === `${camel(workload.name)}Config`)?.value;
  // A job has no App Service: nothing is set for it.
  if (!isObject(config)) return [];
  const names = SETTING_FIELDS.flatMap((f) => {
    const v = (config as BicepObject)[f];
    if (!isObject(v)) throw new Error(`${workload.name}Config.${f} is not an object`);
    return Object.keys(v);
  });
  return [...new Set(names)].sort();
}
