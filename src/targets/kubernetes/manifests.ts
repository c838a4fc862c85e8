// The plain manifests of one environment (rendered/<env>/): every chart template file → the objects
// it gives for that environment's values.
import type { K8sObject } from "./objects.js";
import { dataStoreService, statefulSet } from "./objects-datastores.js";
import { backupObjects } from "./objects-backup.js";
import { daprComponent, resiliency, subscriptions } from "./objects-events.js";
import { cronJob, migrationsJob } from "./objects-jobs.js";
import { podMonitor, prometheusRule, serviceMonitor } from "./objects-monitoring.js";
import { dataStoreNetworkPolicy, defaultDeny, networkPolicy } from "./objects-network.js";
import {
  configMap,
  deliveryDenyIngress,
  deployment,
  hpa,
  ingress,
  pdb,
  service,
} from "./objects-services.js";
import type { ChartValues } from "./values.js";

/** Every chart template file (without `.yaml`) → the objects it gives for these values. */
export function objectsByTemplate(v: ChartValues, ns: string): Record<string, K8sObject[]> {
  const out: Record<string, K8sObject[]> = {};
  // Two entries can name the same template (a service `postgres-db` and postgres `db`): keep both
  // lists, so that check() finds the clash instead of an object silently going missing.
  const add = (file: string, list: K8sObject[]) => (out[file] = [...(out[file] ?? []), ...list]);
  for (const name of Object.keys(v.services).sort()) {
    const w = v.services[name]!;
    add(`${name}-configmap`, configMap(v, ns, name, w));
    if (w.type === "job") {
      add(`${name}-cronjob`, cronJob(v, ns, name, w));
    } else {
      add(`${name}-deployment`, deployment(v, ns, name, w));
      if (w.type !== "worker") add(`${name}-service`, service(v, ns, name, w));
      add(`${name}-ingress`, [...ingress(v, ns, name, w), ...deliveryDenyIngress(v, ns, name, w)]);
      add(`${name}-hpa`, hpa(v, ns, name, w));
      add(`${name}-pdb`, pdb(v, ns, name, w));
      if (w.type === "worker") add(`${name}-podmonitor`, podMonitor(v, ns, name, w));
      else add(`${name}-servicemonitor`, serviceMonitor(v, ns, name, w));
      add(`${name}-migrations-job`, migrationsJob(v, ns, name, w));
      add(`${name}-subscriptions`, subscriptions(v, ns, name, w));
      add(`${name}-resiliency`, resiliency(v, ns, name, w));
    }
    add(`${name}-networkpolicy`, networkPolicy(v, ns, name, w));
  }
  for (const name of Object.keys(v.datastores).sort()) {
    const d = v.datastores[name]!;
    add(`${name}-statefulset`, statefulSet(v, ns, name, d));
    add(`${name}-service`, dataStoreService(v, ns, name, d));
    add(`${name}-networkpolicy`, dataStoreNetworkPolicy(v, ns, name, d));
    add(`${name}-backup`, backupObjects(v, ns, name, d));
  }
  for (const key of Object.keys(v.dapr).sort()) add(`dapr-${key}`, daprComponent(v, ns, key, v.dapr[key]!));
  add("networkpolicy-default-deny", defaultDeny(v, ns));
  add("prometheusrule", prometheusRule(v, ns));
  return out;
}
