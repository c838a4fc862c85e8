// `gantry status --target kubernetes` and `gantry releases --target kubernetes`: what Helm and the
// cluster say about one environment's release, as rows for the CLI's table.
import type { Kube } from "./client.js";
import type { ClusterRelease } from "../../model/cluster-release.js";
import { history } from "./rollback.js";
import { statuses } from "./watch.js";

/** REVISION, STATUS, UPDATED, CHART, DESCRIPTION rows, oldest first; the deployed one is starred. */
export async function releaseRows(k: Kube, r: ClusterRelease): Promise<string[][]> {
  const revs = await history(k, r);
  return revs.map((x) => [
    `${x.revision}${x.status === "deployed" ? " *" : ""}`,
    x.status,
    x.updated.replace(/\.\d+/, ""),
    x.chart,
    x.description.replace(/\s+/g, " ").trim(),
  ]);
}

export interface ReleaseStatus {
  revision?: number;
  status?: string;
  /** One line per Job, Deployment and StatefulSet of the release. */
  workloads: string[];
}

export async function releaseStatus(k: Kube, r: ClusterRelease): Promise<ReleaseStatus> {
  const revs = await history(k, r);
  const current = revs.at(-1);
  if (!current) return { workloads: [] };
  return {
    revision: current.revision,
    status: current.status,
    workloads: (await statuses(k, r.namespace, r.app)).map((s) => s.line),
  };
}
