// How ECS Fargate supplies each variable of the contract (src/model/bindings.ts): in the task
// definition's environment when Terraform knows the value (module outputs, the port, composed
// templates), in environments/<env>.tfvars when it is a literal that may differ per environment, or
// as a secret ECS reads from Secrets Manager when the task starts (every credential: by ARN, or by
// ARN and JSON key of a data store's connection secret). ECS runs no Dapr sidecar, so the pub/sub
// variables are not supplied.
import { call, expr, tmpl, type Expr, type HclValue } from "../../format/hcl.js";
import type { ResourceRef, Variable } from "../../model/bindings.js";
import type { AppModel } from "../../model/types.js";
import { SECRET_PARTS } from "../../spec/env-references.js";
import { tfName } from "../terraform/blocks.js";
import { moduleName, q, type Workload } from "./names.js";

/** Literal text or an HCL expression: what a value is composed of. */
export type Piece = string | Expr;

export type Supply =
  | { in: "environment"; pieces: Piece[] }
  /** A literal of this environment, in `var.<services|jobs>[<name>].environment`. */
  | { in: "tfvars"; value: string }
  /** `valueFrom`; `composed` when Terraform writes the secret from a template (see ComposedSecret). */
  | { in: "secrets"; valueFrom: HclValue; composed?: ComposedSecret }
  | { in: "none"; why: string };

/** An `env` value with a credential in it: Terraform writes the whole value into a secret of its own. */
export interface ComposedSecret {
  /** Name of the root's aws_secretsmanager_secret and its version. */
  resource: string;
  workload: string;
  variable: string;
  pieces: Piece[];
  /** Module names of the data stores whose connection secret it reads. */
  connections: string[];
}

export const NO_DAPR =
  "ECS runs no Dapr sidecar: publish to and consume the topics on MSK Serverless with KAFKA_BROKERS (SASL/IAM)";

/**
 * How main.tf refers to a module (`module.postgres_db`) and to its connection secret's read: at
 * `[0]` where some environments lack it (src/targets/aws/presence.ts).
 */
export type ModuleRef = (module: string) => string;
const everywhere: ModuleRef = (m) => `module.${m}`;

const moduleOf = (r: ResourceRef): string =>
  r.kind === "postgres"
    ? moduleName.postgres(r.resource)
    : r.kind === "redis"
      ? moduleName.redis(r.resource)
      : moduleName.bucket(r.resource);

/** A part Terraform knows, from the data store's module outputs. */
function partPieces(r: ResourceRef, ref: ModuleRef): Piece[] {
  const m = ref(moduleOf(r));
  switch (r.part) {
    case "host":
      return [expr(`${m}.address`)];
    case "port":
      return [expr(`tostring(${m}.port)`)];
    case "database":
      return [expr(`${m}.database`)];
    case "user":
      return [expr(`${m}.username`)];
    case "sslmode":
      return ["require"];
    case "name":
      return [expr(`${m}.bucket`)];
    default:
      // A bucket's url: the one part left that holds no credential.
      return ["s3://", expr(`${m}.bucket`)];
  }
}

const isSecretPart = (r: ResourceRef) => SECRET_PARTS[r.kind].includes(r.part);

/**
 * The root's read of a data store's connection secret, for composing secrets: the same block name
 * as the data store's module, and the same count.
 */
export const connectionRead = (module: string, ref: ModuleRef = everywhere): string =>
  `ephemeral.aws_secretsmanager_secret_version.${ref(module).slice("module.".length)}`;

/** A part inside a composed secret: from the connection secret's JSON, or the module for a bucket. */
function composedPart(r: ResourceRef, ref: ModuleRef): Piece[] {
  if (r.kind === "bucket") return partPieces(r, ref);
  return [expr(`jsondecode(${connectionRead(moduleOf(r), ref)}.secret_string).${r.part}`)];
}

/**
 * How ECS supplies one variable of the contract to workload `w` of environment `app`; `ref` spells
 * the references to the data stores' modules.
 */
export function supply(app: AppModel, w: Workload, v: Variable, ref: ModuleRef = everywhere): Supply {
  const b = v.binding;
  switch (b.kind) {
    case "postgres":
    case "redis":
    case "bucket":
      return isSecretPart(b)
        ? { in: "secrets", valueFrom: tmpl(`\${${ref(moduleOf(b))}.connection_secret_arn}:${b.part}::`) }
        : { in: "environment", pieces: partPieces(b, ref) };
    case "template": {
      if (!v.secret)
        return {
          in: "environment",
          pieces: b.parts.flatMap((p) => (typeof p === "string" ? [p] : partPieces(p, ref))),
        };
      const refs = b.parts.filter((p): p is ResourceRef => typeof p !== "string" && p.kind !== "bucket");
      const composed: ComposedSecret = {
        resource: `${tfName(w.name)}_${tfName(v.name).toLowerCase()}`,
        workload: w.name,
        variable: v.name,
        pieces: b.parts.flatMap((p) => (typeof p === "string" ? [p] : composedPart(p, ref))),
        connections: [...new Set(refs.map(moduleOf))].sort(),
      };
      return {
        in: "secrets",
        valueFrom: expr(`aws_secretsmanager_secret_version.${composed.resource}.arn`),
        composed,
      };
    }
    case "secret":
      return { in: "secrets", valueFrom: expr(`module.secrets.arns[${q(b.name)}]`) };
    case "literal":
      return { in: "tfvars", value: b.value };
    case "email-domain":
      return { in: "tfvars", value: app.email?.domain ?? "" };
    case "port":
      return { in: "environment", pieces: [String(w.type === "job" ? "" : w.port)] };
    case "listen-address":
      return { in: "environment", pieces: ["0.0.0.0"] };
    case "environment-name":
      return { in: "environment", pieces: [expr("var.environment")] };
    case "service-name":
      return { in: "environment", pieces: [w.name] };
    case "pubsub-name":
    case "pubsub-port":
      return { in: "none", why: NO_DAPR };
  }
}

/**
 * One HCL value of pieces: an expression alone, a string, or a template. A literal `${` cannot sit
 * in a template as the printer writes it, so such a value is a join() of quoted strings instead.
 */
export function valueOf(pieces: readonly Piece[]): HclValue {
  if (pieces.length === 1 && typeof pieces[0] !== "string") return pieces[0]!;
  if (pieces.every((p) => typeof p === "string")) return pieces.join("");
  if (pieces.some((p) => typeof p === "string" && /[$%]\{/.test(p))) return call("join", "", [...pieces]);
  return tmpl(pieces.map((p) => (typeof p === "string" ? p : `\${${p.text}}`)).join(""));
}
