// The spec's `recovery`: how much data an environment may lose (RPO), how long getting it back may
// take (RTO), how often a drill proves both, and where a second copy of the backups lives. Environments
// override it like any other top-level key; what is not written comes from the tier (docs/spec.md).
import { Duration, Obj, Str } from "./schema-kit.js";

const Offsite = Obj(
  {
    endpoint: Str({
      description:
        "S3-compatible endpoint of the second backup repository, such as https://s3.eu-west-1.amazonaws.com or https://fra1.digitaloceanspaces.com.",
      format: "s3-endpoint",
    }),
    bucket: Str({ description: "Bucket that holds the second copy of the backups.", minLength: 3 }),
    region: Str({
      description: "Region of the bucket (the S3 signing region).",
      minLength: 1,
      default: "us-east-1",
    }),
    path: Str({ description: "Prefix inside the bucket.", minLength: 1, default: "/gantry" }),
    ca_file: Str({
      description:
        "PEM file of the certificate authorities that sign the endpoint's certificate, for self-hosted storage such as MinIO with a private CA (relative to gantry.yaml's folder, or absolute). Default: the system's CA bundle. Used by `gantry up` (pgBackRest); the endpoint's host name must be one the certificate names.",
      minLength: 1,
      "x-expected": "the path of a PEM file, such as certs/minio-ca.pem",
    }),
  },
  {
    description:
      "A second backup repository on S3-compatible object storage (a backup on the same disk is not disaster recovery). Its access key pair is read from the secrets GANTRY_BACKUP_S3_KEY and GANTRY_BACKUP_S3_SECRET, else from environment variables of those names.",
    required: ["endpoint", "bucket"],
  },
);

export const RecoverySchema = Obj(
  {
    rpo: Duration(
      "Recovery point objective: the most committed data a restore may lose. Default: by tier (see Tier defaults).",
    ),
    rto: Duration(
      "Recovery time objective: the longest a restore may take until the app is healthy again. Default: by tier (see Tier defaults).",
    ),
    drill: Str({
      description:
        "When a recovery drill restores the newest backup into a scratch server and measures RTO and RPO: a 5-field cron expression in UTC or a macro (@daily, @weekly, @monthly), or `none`. Default: by tier (see Tier defaults).",
      minLength: 1,
      "x-expected": "a cron expression such as '0 4 * * 1', a macro such as '@weekly', or 'none'",
    }),
    base_backup: Str({
      description:
        "When a full (base) backup is taken; between them the write-ahead log is archived continuously. A 5-field cron expression in UTC or a macro.",
      minLength: 1,
      default: "@daily",
      "x-expected": "a cron expression such as '0 2 * * *' or a macro such as '@daily'",
    }),
    offsite: Offsite,
  },
  {
    description: "Backups and restores: recovery objectives, drills and a second backup repository.",
    default: {},
  },
);
