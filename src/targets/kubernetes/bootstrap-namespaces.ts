// Each environment's namespace as the cluster bootstrap creates it: Pod Security labels, a
// ResourceQuota sized to what the environment can run at once, and default container limits.
import type { AppModel } from "../../model/types.js";
import { labels, type K8sObject } from "./objects.js";
import { DAPR_SIDECAR, type ChartValues, type Resources } from "./values.js";

/** CPU in millicores ("250m", "1", "1.5"). */
export function millicores(cpu: string | number): number {
  const s = String(cpu);
  return s.endsWith("m") ? Number(s.slice(0, -1)) : Math.round(Number(s) * 1000);
}

/** Memory in MiB ("512Mi", "1Gi", "1G"). */
export function mebibytes(mem: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(mem);
  if (!m) return 0;
  const n = Number(m[1]);
  const unit = m[2] ?? "";
  const factor: Record<string, number> = {
    "": 1 / 1048576,
    Ki: 1 / 1024,
    Mi: 1,
    Gi: 1024,
    Ti: 1048576,
    K: 1000 / 1048576,
    M: 1e6 / 1048576,
    G: 1e9 / 1048576,
    T: 1e12 / 1048576,
  };
  return Math.ceil(n * (factor[unit] ?? 1));
}

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
    t.cpuReq += millicores(r.requests.cpu) * n;
    t.cpuLim += millicores(r.limits.cpu) * n;
    t.memReq += mebibytes(r.requests.memory) * n;
    t.memLim += mebibytes(r.limits.memory) * n;
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
