// The AWS modules around delivery: an environment's GitHub Actions deploy role and the monthly
// budget. The account's OIDC provider, the image repositories and the roles that build and apply the
// stacks are the bootstrap stack's (bootstrap.ts).
import { expr, nested, tmpl, type Block, type Nested } from "../../format/hcl.js";
import { data, output, resource, type VariableSpec } from "../terraform/blocks.js";
import { NAME_VAR, v, type ModuleSpec } from "../terraform/module.js";
import { GITHUB_OIDC_PROVIDER, githubTrust } from "./iam.js";

export function ciModule(): ModuleSpec {
  return {
    name: "ci",
    summary:
      "The GitHub Actions deploy role of one environment: OIDC federation (no stored keys), assumable only by the jobs of one repository's GitHub environment, allowed only to deploy this app there.",
    variables: CI_VARS,
    main: [...trust(), ...permissions()],
    outputs: [
      output(
        "role_arn",
        expr("aws_iam_role.deploy.arn"),
        "Role the workflows assume (aws-actions/configure-aws-credentials role-to-assume).",
      ),
    ],
  };
}

const CI_VARS: Record<string, VariableSpec> = {
  name: NAME_VAR,
  github_owner: { type: "string", description: "Owner (user or organisation) of the GitHub repository." },
  github_repo: { type: "string", description: "Name of the GitHub repository." },
  github_environment: {
    type: "string",
    description: "GitHub environment whose jobs may deploy (its protection rules apply).",
  },
  cluster_arn: { type: "string", description: "ECS cluster the pipeline deploys to." },
  pass_role_arns: {
    type: "list(string)",
    description: "Task and execution roles the pipeline passes when it registers task definitions.",
  },
  site_bucket_arns: {
    type: "list(string)",
    description: "Static site buckets the pipeline uploads to.",
    default: [],
  },
  state_bucket: {
    type: "string",
    description: "Bucket of the Terraform state (the pipeline reads the outputs).",
  },
  state_key: { type: "string", description: "Key of this environment's state object." },
  distribution_arns: {
    type: "list(string)",
    description: "CloudFront distributions the pipeline invalidates.",
    default: [],
  },
};

/**
 * The role only the jobs of this repository's GitHub environment may assume: the deploy and rollback
 * jobs run in it (`sub` is repo:<owner>/<repo>:environment:<env>, GitHub's OIDC reference), so its
 * protection rules guard this role. The OIDC provider it trusts is the bootstrap stack's.
 */
function trust(): Block[] {
  return [
    data("aws_caller_identity", "current", {}),
    githubTrust(
      "trust",
      tmpl(`arn:aws:iam::\${data.aws_caller_identity.current.account_id}:${GITHUB_OIDC_PROVIDER}`),
      [tmpl("repo:${var.github_owner}/${var.github_repo}:environment:${var.github_environment}")],
    ),
    resource("aws_iam_role", "deploy", {
      name: tmpl("${var.name}-github-deploy"),
      description: tmpl("GitHub Actions of ${var.github_owner}/${var.github_repo} deploy ${var.name}"),
      assume_role_policy: expr("data.aws_iam_policy_document.trust.json"),
      max_session_duration: 3600,
    }),
  ];
}

/**
 * What the deploy does: register and deploy task definitions, run the migrations, read the outputs
 * (the image repositories among them). It neither pushes nor pulls images: build.yml's role pushes,
 * the tasks' execution roles pull.
 */
const DEPLOY_STATEMENTS: Nested[] = [
  nested({
    sid: "TaskDefinitions",
    actions: ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"],
    resources: ["*"],
  }),
  nested({
    sid: "DeployServices",
    actions: ["ecs:DescribeServices", "ecs:UpdateService", "ecs:RunTask", "ecs:DescribeTasks"],
    resources: ["*"],
    condition: nested({ test: "ArnEquals", variable: "ecs:cluster", values: [v("cluster_arn")] }),
  }),
  nested({
    sid: "ListState",
    actions: ["s3:ListBucket"],
    resources: [tmpl("arn:aws:s3:::${var.state_bucket}")],
  }),
  nested({
    sid: "ReadStateOutputs",
    actions: ["s3:GetObject"],
    resources: [tmpl("arn:aws:s3:::${var.state_bucket}/${var.state_key}")],
  }),
  nested({
    sid: "PassTaskRoles",
    actions: ["iam:PassRole"],
    resources: v("pass_role_arns"),
    condition: nested({
      test: "StringEquals",
      variable: "iam:PassedToService",
      values: ["ecs-tasks.amazonaws.com"],
    }),
  }),
];

/** Uploading sites and invalidating their caches, only when the app has sites. */
const SITE_STATEMENTS: Nested[] = [
  nested(
    {
      for_each: expr("length(var.site_bucket_arns) > 0 ? [1] : []"),
      content: nested({
        sid: "UploadSites",
        actions: ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        resources: expr('concat(var.site_bucket_arns, [for b in var.site_bucket_arns : "${b}/*"])'),
      }),
    },
    ["statement"],
  ),
  nested(
    {
      for_each: expr("length(var.distribution_arns) > 0 ? [1] : []"),
      content: nested({
        sid: "InvalidateCaches",
        actions: ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
        resources: v("distribution_arns"),
      }),
    },
    ["statement"],
  ),
];

/** The deploy role's policy: only what deploying this app takes. */
function permissions(): Block[] {
  return [
    data("aws_iam_policy_document", "deploy", { statement: DEPLOY_STATEMENTS, dynamic: SITE_STATEMENTS }),
    resource("aws_iam_role_policy", "deploy", {
      name: "deploy",
      role: expr("aws_iam_role.deploy.id"),
      policy: expr("data.aws_iam_policy_document.deploy.json"),
    }),
  ];
}

export function budgetModule(): ModuleSpec {
  return {
    name: "budget",
    summary:
      "A monthly AWS Budget for the environment's tagged costs, notifying at each threshold (actual and forecast).",
    variables: {
      name: NAME_VAR,
      monthly_usd: { type: "number", description: "Monthly budget in US dollars." },
      thresholds: { type: "list(number)", description: "Percentages of the budget that notify." },
      emails: { type: "list(string)", description: "Addresses notified." },
      cost_filter_tag: {
        type: "string",
        description: "Cost allocation tag selecting the environment's costs, as Key$Value.",
        default: null,
      },
    },
    main: [
      resource("aws_budgets_budget", "monthly", {
        name: tmpl("${var.name}-monthly"),
        budget_type: "COST",
        limit_amount: expr("tostring(var.monthly_usd)"),
        limit_unit: "USD",
        time_unit: "MONTHLY",
        dynamic: [
          nested(
            {
              for_each: expr("var.cost_filter_tag == null ? [] : [var.cost_filter_tag]"),
              content: nested({ name: "TagKeyValue", values: [tmpl("user:${cost_filter.value}")] }),
            },
            ["cost_filter"],
          ),
          nested(
            {
              for_each: expr(
                '{ for pair in setproduct(var.thresholds, ["ACTUAL", "FORECASTED"]) : "${pair[0]}-${pair[1]}" => { threshold = pair[0], type = pair[1] } }',
              ),
              content: nested({
                comparison_operator: "GREATER_THAN",
                threshold: expr("notification.value.threshold"),
                threshold_type: "PERCENTAGE",
                notification_type: expr("notification.value.type"),
                subscriber_email_addresses: v("emails"),
              }),
            },
            ["notification"],
          ),
        ],
      }),
    ],
    outputs: [output("budget_name", expr("aws_budgets_budget.monthly.name"), "Name of the budget.")],
  };
}
