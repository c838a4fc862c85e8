// bootstrap/: the stack applied once per app creates what the pipelines assume and push to (the OIDC
// provider, the roles behind AWS_INFRA_ROLE_ARN and AWS_ROLE_ARN, the image repositories), and every
// environment reads the repositories it creates.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse as parseHcl } from "@cdktf/hcl2json";
import { loadSpec } from "../src/model/load.js";
import { awsTarget, buildAws } from "../src/targets/aws/index.js";
import { checkTerraform, formatSchemaProblems } from "../src/validate/terraform-schema.js";
import { CTX } from "./aws-environments-spec.js";
import { renderTrees, SPEC } from "./check-fixtures.js";

interface PolicyDoc {
  statement: {
    actions?: string[];
    effect?: string;
    resources?: string[] | string;
    condition?: { variable: string; values: string[] }[];
  }[];
}
interface Main {
  resource: Record<string, Record<string, Record<string, unknown>[]>>;
  data: { aws_iam_policy_document: Record<string, PolicyDoc[]> };
  module: Record<string, { source: string; name: string; repositories?: string[] }[]>;
}

const main = async (tree: Record<string, string>) =>
  (await parseHcl("bootstrap/main.tf", tree["bootstrap/main.tf"]!)) as unknown as Main;
const subjects = (doc: PolicyDoc[] | undefined) =>
  doc![0]!.statement[0]!.condition!.find((c) => c.variable.endsWith(":sub"))!.values;

describe("aws: the bootstrap stack", () => {
  const tree = renderTrees().aws!;

  it("creates the OIDC provider, the image repositories <app>/<workload> and the two pipeline roles", async () => {
    const m = await main(tree);
    assert.deepEqual(Object.keys(m.resource.aws_iam_openid_connect_provider!), ["github"]);
    assert.deepEqual(m.module.registry![0]!.repositories, ["api", "report"]);
    assert.equal(m.module.registry![0]!.name, "shop");
    assert.deepEqual(Object.keys(m.resource.aws_iam_role!).sort(), ["build", "infrastructure"]);
    assert.equal(m.resource.aws_iam_role!.infrastructure![0]!.name, "shop-github-infrastructure");
    assert.match(tree["bootstrap/outputs.tf"]!, /output "infrastructure_role_arn"/);
    assert.match(tree["bootstrap/outputs.tf"]!, /output "build_role_arn"/);
    assert.match(tree["bootstrap/backend.tf"]!, /key\s+= "shop\/bootstrap\/terraform.tfstate"/);
    assert.equal(
      formatSchemaProblems(checkTerraform(buildAws(loadSpec("gantry.yaml", SPEC).project, CTX).hcl)),
      "",
    );
  });

  it("trusts only the repository's pull requests, default branch and environments (plan/apply) and its branch (build)", async () => {
    const docs = (await main(tree)).data.aws_iam_policy_document;
    assert.deepEqual(subjects(docs.infrastructure_trust), [
      "repo:acme/shop:pull_request",
      "repo:acme/shop:ref:refs/heads/main",
      "repo:acme/shop:environment:staging",
      "repo:acme/shop:environment:production",
    ]);
    assert.deepEqual(subjects(docs.build_trust), ["repo:acme/shop:ref:refs/heads/main"]);
  });

  it("lets plan/apply manage the app's roles but not the GitHub roles, and the build role push only", async () => {
    const docs = (await main(tree)).data.aws_iam_policy_document;
    assert.match(tree["bootstrap/main.tf"]!, /policy_arn = "arn:aws:iam::aws:policy\/PowerUserAccess"/);
    const deny = docs.infrastructure![0]!.statement.find(
      (s) => s.effect === "Deny" && s.actions?.includes("iam:*"),
    )!;
    assert.ok(JSON.stringify(deny.resources).includes("role/shop-github-*"));
    const push = docs.build![0]!.statement.find((s) => s.actions?.includes("ecr:PutImage"))!;
    assert.equal(push.resources, "${values(module.registry.repository_arns)}");
  });

  it("the environments read the repositories (no per-environment registry, no OIDC provider of their own)", () => {
    assert.doesNotMatch(tree["main.tf"]!, /module "registry"/);
    assert.match(tree["main.tf"]!, /data "aws_ecr_repository" "image" \{\n\s+provider = aws\.registry/);
    assert.doesNotMatch(tree["modules/ci/main.tf"]!, /aws_iam_openid_connect_provider/);
    assert.match(tree["environments/production.tfvars"]!, /registry_region\s+= "eu-west-1"/);
  });

  it("the README says what to apply once and which GitHub variable takes each role's ARN", () => {
    const readme = tree["README.md"]!;
    assert.match(readme, /## Once per app: the bootstrap stack/);
    assert.match(
      readme,
      /gh variable set AWS_INFRA_ROLE_ARN --body "\$\(tofu output -raw infrastructure_role_arn\)"/,
    );
    assert.match(readme, /gh variable set AWS_ROLE_ARN --body "\$\(tofu output -raw build_role_arn\)"/);
    assert.match(
      readme,
      /gh variable set AWS_ROLE_ARN --env <env> --body "\$\(tofu output -raw deploy_role_arn\)"/,
    );
    assert.ok(readme.indexOf("bootstrap stack") < readme.indexOf("## Apply, per environment"));
  });

  it("an app without ci.repository gets the repositories but no roles", () => {
    const spec = SPEC.replace("ci: { repository: acme/shop }\n", "");
    const t = awsTarget.render(loadSpec("gantry.yaml", spec).project, CTX);
    assert.match(t["bootstrap/main.tf"]!, /module "registry"/);
    assert.doesNotMatch(t["bootstrap/main.tf"]!, /aws_iam_role|openid_connect/);
  });

  it("a deploy into another region than the registry's registers the image from the stack's repository output", () => {
    const github = renderTrees().github!;
    for (const file of ["deploy-production.yml", "rollback.yml"]) {
      assert.doesNotMatch(github[file]!, /steps\.login-ecr/, file);
      assert.match(github[file]!, /IMAGE: \$\{\{ env\.API_REPOSITORY \}\}:/, file);
      assert.match(github[file]!, /API_REPOSITORY=\$\(jq -r '\.ecr_repository_urls\.value\.api'/, file);
    }
  });
});
