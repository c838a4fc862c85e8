// Where each variable an app receives gets its value on DigitalOcean: the app runs from the Kubernetes
// chart on DOKS, so the answers are the chart's, and a key of the Secret this stack fills says so.
import { kubernetesContractWith } from "../kubernetes/contract.js";
import { kubernetesSettings } from "../kubernetes/settings.js";
import { APP_SECRET, terraformKeys } from "./app-secret.js";

export const digitaloceanContract = kubernetesContractWith((app, key) => {
  const where = `Secret ${kubernetesSettings(app).secret_name}, key ${key}`;
  return terraformKeys(app).has(key) ? `${where} (from tofu output ${APP_SECRET})` : where;
});
