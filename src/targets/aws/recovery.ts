// What AWS's data services recover, as AWS documents it: the RPO `gantry check` compares the spec's
// `recovery.rpo` with (../recovery.ts).
import type { PlatformRecovery, StoreRecovery } from "../recovery.js";

// "RDS uploads transaction logs for DB instances to Amazon S3 every 5 minutes ... the latest restorable
// time is typically within the last 5 minutes" (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIT.html).
const RDS_RPO = 5 * 60;

export const RDS = "Amazon RDS for PostgreSQL";

function postgres(): StoreRecovery {
  return {
    service: RDS,
    rpoSeconds: RDS_RPO,
    because:
      "RDS uploads the transaction log every 5 minutes, so the latest restorable time is up to 5 minutes behind",
    hint: "set recovery.rpo to 5m or more for this environment",
  };
}

// ElastiCache takes one automatic snapshot a day in its snapshot window, and has no append-only file
// ("AOF isn't supported for Redis OSS 2.8.22 and later"; docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups-automatic.html
// and RedisAOF.html): what persists between snapshots lives only in the replicas.
function redis(): StoreRecovery {
  return {
    service: "Amazon ElastiCache",
    rpoSeconds: 24 * 3600,
    because: "it takes one automatic snapshot a day and has no append-only file",
    hint: "keep what must survive in PostgreSQL (a replica, `ha: true`, covers the loss of a node, not of the data)",
  };
}

export const awsRecovery: PlatformRecovery = { postgres, redis };
