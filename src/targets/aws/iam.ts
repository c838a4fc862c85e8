// IAM policy documents as the AWS modules write them, and the KMS key input every module that
// stores data takes.
import { Block, nested, type HclValue, type Nested } from "../../format/hcl.js";
import { data, type VariableSpec } from "../terraform/blocks.js";

export interface Statement {
  sid?: string;
  effect?: "Allow" | "Deny";
  actions: readonly string[];
  resources?: HclValue;
  principals?: { type: string; identifiers: HclValue };
  conditions?: readonly { test: string; variable: string; values: HclValue }[];
}

export function statement(s: Statement): Nested {
  return nested({
    sid: s.sid,
    effect: s.effect ?? "Allow",
    actions: [...s.actions],
    resources: s.resources,
    principals: s.principals
      ? nested({ type: s.principals.type, identifiers: s.principals.identifiers })
      : undefined,
    condition: s.conditions?.length
      ? s.conditions.map((c) => nested({ test: c.test, variable: c.variable, values: c.values }))
      : undefined,
  });
}

export function policyDocument(
  name: string,
  statements: readonly Statement[],
  extra: Record<string, HclValue> = {},
): Block {
  return data("aws_iam_policy_document", name, { ...extra, statement: statements.map(statement) });
}

/** Trust policy for a service principal (ecs-tasks.amazonaws.com, scheduler.amazonaws.com, ...). */
export function assumeRole(name: string, service: string, conditions?: Statement["conditions"]): Block {
  return policyDocument(name, [
    {
      actions: ["sts:AssumeRole"],
      principals: { type: "Service", identifiers: [service] },
      ...(conditions ? { conditions } : {}),
    },
  ]);
}

/** The resource part of the account's GitHub Actions OIDC provider's ARN (one per account and URL). */
export const GITHUB_OIDC_PROVIDER = "oidc-provider/token.actions.githubusercontent.com";

/**
 * Trust in GitHub Actions' OIDC tokens of exactly the given subjects (repo:<owner>/<repo>:environment:<env>,
 * :pull_request, :ref:refs/heads/<branch>, as GitHub's "About security hardening with OpenID Connect"
 * gives them) for the audience configure-aws-credentials asks for (sts.amazonaws.com).
 */
export function githubTrust(name: string, provider: HclValue, subjects: HclValue): Block {
  return policyDocument(name, [
    {
      actions: ["sts:AssumeRoleWithWebIdentity"],
      principals: { type: "Federated", identifiers: [provider] },
      conditions: [
        {
          test: "StringEquals",
          variable: "token.actions.githubusercontent.com:aud",
          values: ["sts.amazonaws.com"],
        },
        { test: "StringEquals", variable: "token.actions.githubusercontent.com:sub", values: subjects },
      ],
    },
  ]);
}

export const KMS_VAR: VariableSpec = {
  type: "string",
  description: "ARN of the environment's KMS key (encrypts logs, secrets and data at rest).",
};
