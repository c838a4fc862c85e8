// Each environment's namespace as the cluster bootstrap creates it: Pod Security labels, a
// ResourceQuota sized to what the environment can run at once, and default container limits.
import type { AppModel } from "../../model/types.js";
import { mebibytes, millicores } from "../../util/quantity.js";
import { labels, type K8sObject } from "./objects.js";
import { DAPR_SIDECAR, type ChartValues, type Resources } from "./values.js";

interface Totals {
  cpuReq: number;
  cpuLim: number;
  memReq: number;
  memLim: number;
  pods: number;
  storageGi: number;
  pvcs: number;
}

const gibibytes = (size: string) => Number(/^(\d+)Gi$/.exec(size)?.[1] ?? 0);

/** The most the environment can run at once (every HPA at max, one surge pod each, jobs, sidecars), plus 25%. */
export function quotaTotals(v: ChartValues): Totals {
  const t: Totals = { cpuReq: 0, cpuLim: 0, memReq: 0, memLim: 0, pods: 0, storageGi: 0, pvcs: 0 };
  const add = (r: Resources, n: number) => {
    t.cpuReq += (millicores(r.requests.cpu) ?? 0) * n;
    t.cpuLim += (millicores(r.limits.cpu) ?? 0) * n;
    t.memReq += (mebibytes(r.requests.memory) ?? 0) * n;
    t.memLim += (mebibytes(r.limits.memory) ?? 0) * n;
    t.pods += n;
  };
  for (const w of Object.values(v.services)) {
    if (!w.enabled) continue;
    if (w.type === "job") {
      add(w.resources, 1);
      continue;
    }
    const s = w;
    const n = (s.autoscaling.enabled ? s.autoscaling.maxReplicas : s.replicas) + s.strategy.maxSurge;
    add(s.resources, n);
    if (s.dapr.enabled) {
      add(DAPR_SIDECAR, n);
      t.pods -= n;
    }
    if (s.migrations.enabled) add(s.resources, 1);
  }
  for (const d of Object.values(v.datastores)) {
    if (!d.enabled) continue;
    add(d.resources, 1);
    t.storageGi += gibibytes(d.storage);
    t.pvcs += 1;
    if (!d.backup) continue;
    // Its backup volume, and a backup run and a restore run at once (each one pod of its resources).
    add(d.resources, 2);
    t.storageGi += gibibytes(d.backup.storage);
    t.pvcs += 1;
  }
  const up = (x: number, step: number) => Math.max(step, Math.ceil((x * 1.25) / step) * step);
  return {
    cpuReq: up(t.cpuReq, 500),
    cpuLim: up(t.cpuLim, 500),
    memReq: up(t.memReq, 512),
    memLim: up(t.memLim, 512),
    pods: Math.max(10, Math.ceil(t.pods * 1.25)),
    storageGi: t.storageGi,
    pvcs: t.pvcs,
  };
}

const cpuText = (m: number) => (m % 1000 === 0 ? String(m / 1000) : `${m}m`);
const memText = (mi: number) => (mi % 1024 === 0 ? `${mi / 1024}Gi` : `${mi}Mi`);

export function namespaceObjects(app: AppModel, v: ChartValues): K8sObject[] {
  const ns = app.environment.namespace;
  const t = quotaTotals(v);
  const lbl = (name: string) => labels(app.name, name, "platform");
  const hard: Record<string, string> = {
    "requests.cpu": cpuText(t.cpuReq),
    "requests.memory": memText(t.memReq),
    "limits.cpu": cpuText(t.cpuLim),
    "limits.memory": memText(t.memLim),
    pods: String(t.pods),
  };
  if (t.pvcs) {
    hard["requests.storage"] = `${t.storageGi}Gi`;
    hard.persistentvolumeclaims = String(t.pvcs);
  }
  return [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: ns,
        labels: {
          ...lbl(ns),
          "gantry.dev/environment": app.environment.name,
          // Restricted is enforced by Gantry's own pods; the Dapr sidecar meets baseline.
          "pod-security.kubernetes.io/enforce": "baseline",
          "pod-security.kubernetes.io/audit": "restricted",
          "pod-security.kubernetes.io/warn": "restricted",
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: { name: `${ns}-quota`, namespace: ns, labels: lbl(`${ns}-quota`) },
      spec: { hard },
    },
    {
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: { name: `${ns}-limits`, namespace: ns, labels: lbl(`${ns}-limits`) },
      spec: {
        limits: [
          {
            type: "Container",
            default: { cpu: "500m", memory: "512Mi" },
            defaultRequest: { cpu: "100m", memory: "128Mi" },
            max: { cpu: "4", memory: "8Gi" },
          },
        ],
      },
    },
  ];
}
