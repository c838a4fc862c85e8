// bootstrap/: the stack a person applies once per app, before any environment, with their own
// credentials: what every environment and the pipelines share and what the pipelines cannot create
// for themselves. The account's GitHub OIDC provider, the image repositories build.yml pushes to
// (one per built workload, `<app>/<service>`, read by every environment's stack), the role that
// builds and pushes (repository variable AWS_ROLE_ARN) and the role that plans and applies the
// environments' stacks (AWS_INFRA_ROLE_ARN).
import { Block, expr, tmpl, type HclFile } from "../../format/hcl.js";
import { data, file, moduleCall, output, resource, terraformBlock } from "../terraform/blocks.js";
import { regenerateWith, type ProviderSpec } from "../terraform/module.js";
import { s3Backend } from "../terraform/stack.js";
import { GITHUB_OIDC_PROVIDER, githubTrust, policyDocument, type Statement } from "./iam.js";
import { awsOptions, stateBucket, stateRegion, type AwsShape } from "./shape.js";

export const BOOTSTRAP_DIR = "bootstrap";
export const INFRA_ROLE = (app: string) => `${app}-github-infrastructure`;
export const BUILD_ROLE = (app: string) => `${app}-github-build`;

/** The managed policies the environments' stacks attach (ECS task execution, RDS monitoring). */
const ATTACHED_POLICIES = [
  "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
  "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
];

const ACCOUNT = "${data.aws_caller_identity.current.account_id}";

/** Whether the app has a bootstrap stack: a repository to deploy from, or images to keep. */
export const hasBootstrap = (shape: AwsShape): boolean =>
  shape.app.ci.repository !== undefined || shape.built.length > 0;

/** The bootstrap stack's files, by path under the AWS tree. */
export function bootstrapFiles(
  shape: AwsShape,
  requiredVersion: string,
  provider: ProviderSpec,
): Record<string, HclFile> {
  const at = (f: string) => `${BOOTSTRAP_DIR}/${f}`;
  return {
    [at("versions.tf")]: file([
      terraformBlock(requiredVersion, {
        [provider.name]: { source: provider.source, version: provider.version },
      }),
    ]),
    [at("backend.tf")]: file(
      [backend(shape)],
      ["State of the bootstrap stack, in the state bucket of the environments (see the README)."],
    ),
    [at("main.tf")]: file(
      [providerBlock(shape), ...registry(shape), ...github(shape)],
      [
        "Applied once per app by a person, before any environment: the OIDC provider, the image repositories and the roles of the pipelines.",
        regenerateWith("aws"),
      ],
    ),
    [at("outputs.tf")]: file(outputs(shape)),
  };
}

function backend(shape: AwsShape): Block {
  return s3Backend({
    bucket: stateBucket(shape.app),
    key: `${shape.app.name}/${BOOTSTRAP_DIR}/terraform.tfstate`,
    region: stateRegion(shape.envs, shape.app),
    encrypt: true,
    use_lockfile: true,
  });
}

/** The first environment's region and account: where the images live. */
function providerBlock(shape: AwsShape): Block {
  const opts = awsOptions(shape.app);
  return new Block(
    "provider",
    ["aws"],
    [
      { kind: "attr", name: "region", value: opts.region },
      ...(opts.account_id
        ? [{ kind: "attr" as const, name: "allowed_account_ids", value: [opts.account_id] }]
        : []),
      {
        kind: "block",
        block: new Block(
          "default_tags",
          [],
          [{ kind: "attr", name: "tags", value: { Project: shape.app.name, ManagedBy: "gantry" } }],
        ),
      },
    ],
  );
}

/** One repository per built workload, named `<app>/<workload>` as build.yml pushes them. */
function registry(shape: AwsShape): Block[] {
  if (!shape.built.length) return [];
  return [
    moduleCall("kms", { source: "../modules/kms", name: shape.app.name }),
    moduleCall("registry", {
      source: "../modules/registry",
      name: shape.app.name,
      repositories: shape.built,
      kms_key_arn: expr("module.kms.key_arn"),
    }),
  ];
}

/** The OIDC provider, the build role and the infrastructure role, when the spec names the repository. */
function github(shape: AwsShape): Block[] {
  const repository = shape.app.ci.repository;
  if (!repository) return [];
  const repo = `repo:${repository}`;
  const envs = shape.envs.map((e) => `${repo}:environment:${e.environment.name}`);
  const branch = `${repo}:ref:refs/heads/${shape.app.ci.default_branch}`;
  const provider = expr("aws_iam_openid_connect_provider.github.arn");
  const blocks: Block[] = [
    data("aws_caller_identity", "current", {}),
    // AWS checks GitHub's certificate against its trusted CAs, so no thumbprint is needed (IAM's
    // UpdateOpenIDConnectProviderThumbprint reference).
    resource("aws_iam_openid_connect_provider", "github", {
      url: "https://token.actions.githubusercontent.com",
      client_id_list: ["sts.amazonaws.com"],
    }),
    // Plans run on pull requests and pushes to the default branch, applies in each environment.
    githubTrust("infrastructure_trust", provider, [`${repo}:pull_request`, branch, ...envs]),
    role(
      "infrastructure",
      INFRA_ROLE(shape.app.name),
      `GitHub Actions of ${repository} plan and apply ${shape.app.name}`,
    ),
    resource("aws_iam_role_policy_attachment", "infrastructure", {
      role: expr("aws_iam_role.infrastructure.name"),
      policy_arn: "arn:aws:iam::aws:policy/PowerUserAccess",
    }),
    ...inlinePolicy("infrastructure", infrastructureStatements(shape.app.name)),
  ];
  if (shape.built.length)
    blocks.push(
      // build.yml runs on pushes to the default branch, with no GitHub environment.
      githubTrust("build_trust", provider, [branch]),
      role(
        "build",
        BUILD_ROLE(shape.app.name),
        `GitHub Actions of ${repository} push the images of ${shape.app.name}`,
      ),
      ...inlinePolicy("build", [
        { sid: "RegistryLogin", actions: ["ecr:GetAuthorizationToken"], resources: ["*"] },
        {
          sid: "PushImages",
          // ECR's "IAM permissions for pushing an image" (BatchGetImage lets cosign read the manifest it signs).
          actions: [
            "ecr:BatchCheckLayerAvailability",
            "ecr:BatchGetImage",
            "ecr:CompleteLayerUpload",
            "ecr:DescribeImages",
            "ecr:InitiateLayerUpload",
            "ecr:PutImage",
            "ecr:UploadLayerPart",
          ],
          resources: expr("values(module.registry.repository_arns)"),
        },
      ]),
    );
  return blocks;
}

function role(name: string, roleName: string, description: string): Block {
  return resource("aws_iam_role", name, {
    name: roleName,
    description,
    assume_role_policy: expr(`data.aws_iam_policy_document.${name}_trust.json`),
    max_session_duration: 3600,
  });
}

function inlinePolicy(name: string, statements: readonly Statement[]): Block[] {
  return [
    policyDocument(name, statements),
    resource("aws_iam_role_policy", name, {
      name,
      role: expr(`aws_iam_role.${name}.id`),
      policy: expr(`data.aws_iam_policy_document.${name}.json`),
    }),
  ];
}

/**
 * PowerUserAccess (AWS managed policy reference: every action but iam:*, organizations:* and
 * account:*, plus iam:CreateServiceLinkedRole) manages every service but IAM; the stacks also
 * create their workloads' roles,
 * all named `<app>-<env>-...`. The GitHub roles themselves stay the bootstrap's: the role may not
 * change them (nor assume any role), so it cannot widen its own rights.
 */
function infrastructureStatements(app: string): Statement[] {
  const roles = tmpl(`arn:aws:iam::${ACCOUNT}:role/${app}-*`);
  return [
    {
      sid: "ManageAppRoles",
      actions: [
        "iam:CreateRole",
        "iam:DeleteRole",
        "iam:DeleteRolePolicy",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListInstanceProfilesForRole",
        "iam:ListRolePolicies",
        "iam:PassRole",
        "iam:PutRolePolicy",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:UpdateAssumeRolePolicy",
        "iam:UpdateRole",
        "iam:UpdateRoleDescription",
      ],
      resources: [roles],
    },
    {
      sid: "AttachServicePolicies",
      actions: ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
      resources: [roles],
      conditions: [{ test: "ArnEquals", variable: "iam:PolicyARN", values: ATTACHED_POLICIES }],
    },
    {
      sid: "KeepGitHubRoles",
      effect: "Deny",
      actions: ["iam:*"],
      resources: [
        tmpl(`arn:aws:iam::${ACCOUNT}:role/${app}-github-*`),
        tmpl(`arn:aws:iam::${ACCOUNT}:${GITHUB_OIDC_PROVIDER}`),
      ],
    },
    { sid: "NoRoleChaining", effect: "Deny", actions: ["sts:AssumeRole"], resources: ["*"] },
  ];
}

function outputs(shape: AwsShape): Block[] {
  const list: Block[] = [];
  if (shape.app.ci.repository)
    list.push(
      output(
        "infrastructure_role_arn",
        expr("aws_iam_role.infrastructure.arn"),
        "Repository variable AWS_INFRA_ROLE_ARN: the role infrastructure.yml and the pull request checks plan and apply with.",
      ),
    );
  if (shape.app.ci.repository && shape.built.length)
    list.push(
      output(
        "build_role_arn",
        expr("aws_iam_role.build.arn"),
        "Repository variable AWS_ROLE_ARN: the role build.yml pushes the images with (each environment's own AWS_ROLE_ARN overrides it).",
      ),
    );
  if (shape.built.length)
    list.push(
      output(
        "repository_urls",
        expr("module.registry.repository_urls"),
        "Image repository per built workload.",
      ),
    );
  return list;
}
