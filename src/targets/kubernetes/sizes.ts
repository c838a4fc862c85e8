// What each size class of the spec means for a data store that runs in the cluster (hosting:
// cluster): the requests and limits of its StatefulSet. A managed database's SKU comes from the
// cloud's own table. Read by the values builder and by the spec reference (docs/spec.md, "Sizes").
import type { Size } from "../../model/types.js";
import type { SizeColumn } from "../target.js";

export const KUBERNETES_SIZES: Record<Size, { cpu: string; memory: string }> = {
  xs: { cpu: "250m", memory: "512Mi" },
  s: { cpu: "500m", memory: "1Gi" },
  m: { cpu: "1", memory: "2Gi" },
  l: { cpu: "2", memory: "4Gi" },
  xl: { cpu: "4", memory: "8Gi" },
};

/** The columns of the spec reference's size table. */
export const KUBERNETES_SIZE_COLUMNS: SizeColumn[] = [
  {
    heading: "Kubernetes (in-cluster)",
    cell: (s) => `${KUBERNETES_SIZES[s].cpu} CPU, ${KUBERNETES_SIZES[s].memory}`,
  },
];
