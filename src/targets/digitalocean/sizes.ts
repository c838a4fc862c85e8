// What each size class of the spec means on DigitalOcean: the node size of a managed database
// cluster (PostgreSQL and Redis alike). Cluster nodes come from targets.digitalocean.node_size.
import type { Size } from "../../model/types.js";
import type { SizeColumn } from "../target.js";

export const DO_SIZES: Record<Size, { database: string }> = {
  xs: { database: "db-s-1vcpu-1gb" },
  s: { database: "db-s-1vcpu-2gb" },
  m: { database: "db-s-2vcpu-4gb" },
  l: { database: "db-s-4vcpu-8gb" },
  xl: { database: "db-s-8vcpu-16gb" },
};

/** The columns of the spec reference's size table. */
export const DO_SIZE_COLUMNS: SizeColumn[] = [{ heading: "DigitalOcean", cell: (s) => DO_SIZES[s].database }];
