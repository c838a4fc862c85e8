// The passwords of the data stores, which Terraform generates and the tasks read from Secrets Manager.
// Secrets Manager generates each one as an ephemeral value (never in a plan or the state) and keeps
// it; the data store and the connection secret read it back from there, so they agree even after an
// apply that stopped half-way. The connection secret holds what the contract names (url, host, port,
// user, password...) as JSON keys, which ECS reads one by one (`<arn>:url::`). Raising
// `credentials_version` generates new passwords in one apply.
import { call, comment, expr, tmpl, type Block, type HclValue } from "../../format/hcl.js";
import { data, ephemeral, output, resource, type VariableSpec } from "../terraform/blocks.js";
import { v } from "../terraform/module.js";

export const CREDENTIALS_VERSION: VariableSpec = {
  type: "number",
  description:
    "Raise it to generate new passwords: the data store and its connection secret change in the same apply; redeploy the services so the tasks read them.",
  default: 1,
  validations: [
    { condition: "var.credentials_version >= 1", error_message: "credentials_version starts at 1." },
  ],
};

/** A secret of the data store, encrypted with the environment's key; `path` follows `<name>/`. */
function secret(name: string, path: string, description: string): Block {
  return resource("aws_secretsmanager_secret", name, {
    name: tmpl(`\${var.name}/${path}`),
    description,
    kms_key_id: v("kms_key_arn"),
    "#window": comment(
      "Generated again by raising credentials_version, so a short window; a re-created environment waits only a week for the name.",
    ),
    recovery_window_in_days: 7,
  });
}

/**
 * A password Secrets Manager generates into secret `name`. Letters and digits only: it goes into
 * URLs unescaped and RDS and ElastiCache refuse some punctuation. Its value is
 * `<kind> "aws_secretsmanager_secret_version" "<name>"` read back (see readBack).
 */
export function generatedPassword(name: string, path: string, length: number, description: string): Block[] {
  return [
    ephemeral("aws_secretsmanager_random_password", name, {
      password_length: length,
      exclude_punctuation: true,
    }),
    secret(name, path, description),
    resource("aws_secretsmanager_secret_version", name, {
      secret_id: expr(`aws_secretsmanager_secret.${name}.id`),
      secret_string_wo: expr(`ephemeral.aws_secretsmanager_random_password.${name}.random_password`),
      secret_string_wo_version: v("credentials_version"),
    }),
  ];
}

/**
 * Reads the generated password back: ephemeral where it goes only into write-only arguments, a
 * data source where the provider has none (ElastiCache's auth_token, which the state then holds).
 * Referring to the version makes the read wait for a new password in the same apply.
 */
export function readBack(kind: "ephemeral" | "data", name: string): Block {
  const input = { secret_id: expr(`aws_secretsmanager_secret_version.${name}.arn`) };
  return kind === "ephemeral"
    ? ephemeral("aws_secretsmanager_secret_version", name, input)
    : data("aws_secretsmanager_secret_version", name, input);
}

/** The password as an expression, as readBack reads it. */
export const passwordOf = (kind: "ephemeral" | "data", name: string): string =>
  `${kind}.aws_secretsmanager_secret_version.${name}.secret_string`;

/** The secret the tasks read the connection from: the parts as JSON keys, written with the password. */
export function connectionSecret(
  path: string,
  description: string,
  parts: Record<string, HclValue>,
): Block[] {
  return [
    secret("connection", path, description),
    resource("aws_secretsmanager_secret_version", "connection", {
      secret_id: expr("aws_secretsmanager_secret.connection.id"),
      secret_string_wo: call("jsonencode", parts),
      secret_string_wo_version: v("credentials_version"),
    }),
  ];
}

export const CONNECTION_OUTPUT = output(
  "connection_secret_arn",
  expr("aws_secretsmanager_secret_version.connection.arn"),
  "Secret with the connection as JSON keys (tasks read `<arn>:<key>::`); written after the password.",
);
