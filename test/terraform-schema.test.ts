// The offline provider-schema check: it must find each kind of mistake `tofu validate` would.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expr, nested, top, type HclFile } from "../src/format/hcl.js";
import { moduleCall, variable } from "../src/targets/terraform/blocks.js";
import { checkTerraform, parseTypeConstraint } from "../src/validate/terraform-schema.js";

const one = (items: HclFile["items"], extra: Record<string, HclFile> = {}) =>
  checkTerraform({ "main.tf": { items }, ...extra }).map((p) => `${p.address}: ${p.message}`);

describe("terraform schema check", () => {
  it("accepts a correct resource", () => {
    assert.deepEqual(
      one([
        top("resource", ["aws_vpc", "this"], {
          cidr_block: "10.0.0.0/16",
          enable_dns_hostnames: true,
          tags: { Name: "x" },
        }),
      ]),
      [],
    );
  });

  it("checks ephemeral resources and references to them against the ephemeral schemas", () => {
    assert.deepEqual(
      one([
        top("ephemeral", ["aws_secretsmanager_random_password", "pw"], { password_length: 40, lenght: 1 }),
        top("ephemeral", ["aws_secretsmanager_random_passwords", "x"], {}),
        top("resource", ["aws_secretsmanager_secret_version", "v"], {
          secret_id: "s",
          secret_string_wo: expr("ephemeral.aws_secretsmanager_random_password.pw.random_password"),
          secret_string_wo_version: 1,
        }),
        top("output", ["o"], {
          value: expr(
            "[ephemeral.aws_secretsmanager_random_password.pw.passwd, ephemeral.aws_ssm_parameter.p.value]",
          ),
        }),
      ]),
      [
        "ephemeral.aws_secretsmanager_random_password.pw: unknown argument `lenght`",
        "ephemeral.aws_secretsmanager_random_passwords.x: unknown ephemeral resource type `aws_secretsmanager_random_passwords`",
        "output.o: ephemeral.aws_secretsmanager_random_password.pw has no attribute `passwd`",
        "output.o: reference to undeclared ephemeral.aws_ssm_parameter.p",
      ],
    );
  });

  it("reports an unknown argument", () => {
    assert.deepEqual(one([top("resource", ["aws_vpc", "this"], { cidr_blok: "10.0.0.0/16" })]), [
      "resource.aws_vpc.this: unknown argument `cidr_blok`",
    ]);
  });

  it("reports a missing required argument", () => {
    assert.deepEqual(one([top("resource", ["aws_subnet", "a"], { cidr_block: "10.0.0.0/24" })]), [
      "resource.aws_subnet.a: missing required argument `vpc_id`",
    ]);
  });

  it("reports a computed-only attribute that is set", () => {
    assert.deepEqual(one([top("resource", ["aws_vpc", "this"], { arn: "x" })]), [
      "resource.aws_vpc.this: `arn` is computed by the provider and cannot be set",
    ]);
  });

  it("reports a block written as an argument and an argument written as a block", () => {
    assert.deepEqual(
      one([
        top("resource", ["aws_ecs_cluster", "c"], {
          name: "c",
          setting: [{ name: "containerInsights", value: "enabled" }],
        }),
      ]),
      [
        "resource.aws_ecs_cluster.c: `setting` is a nested block; write `setting { ... }`, not `setting = ...`",
      ],
    );
    assert.deepEqual(one([top("resource", ["aws_vpc", "this"], { tags: nested({ Name: "x" }) })]), [
      "resource.aws_vpc.this: `tags` is an argument; write `tags = ...`, not a block",
    ]);
  });

  it("checks nested blocks recursively, with their counts", () => {
    const listener = top("resource", ["aws_lb_listener", "l"], {
      load_balancer_arn: "arn",
      default_action: nested({ type: "redirect", redirect: nested({ port: "443" }) }),
    });
    assert.deepEqual(one([listener]), [
      "resource.aws_lb_listener.l: default_action.redirect: missing required argument `status_code`",
    ]);
    const noAction = top("resource", ["aws_lb_listener", "l"], { load_balancer_arn: "arn" });
    assert.deepEqual(one([noAction]), [
      "resource.aws_lb_listener.l: needs at least 1 `default_action` block(s), has 0",
    ]);
  });

  it("checks the content of dynamic blocks", () => {
    const b = top("resource", ["aws_ecs_service", "s"], {
      name: "s",
      dynamic: nested(
        { for_each: expr("[1]"), content: nested({ target_group_arn: "x", container_nam: "c" }) },
        ["load_balancer"],
      ),
    });
    assert.deepEqual(one([b]), [
      "resource.aws_ecs_service.s: load_balancer: unknown argument `container_nam`",
      "resource.aws_ecs_service.s: load_balancer: missing required argument `container_name`",
      "resource.aws_ecs_service.s: load_balancer: missing required argument `container_port`",
    ]);
  });

  it("reports literal values of the wrong shape", () => {
    assert.deepEqual(
      one([
        top("resource", ["aws_vpc", "this"], {
          cidr_block: ["10.0.0.0/16"],
          tags: "Name=x",
          enable_dns_support: "yes",
        }),
      ]),
      [
        "resource.aws_vpc.this: `cidr_block` must be a string, not a list",
        "resource.aws_vpc.this: `tags` must be a map of string",
        'resource.aws_vpc.this: `enable_dns_support` must be a bool, not "yes"',
      ],
    );
    assert.deepEqual(
      one([
        top("resource", ["aws_vpc", "this"], { cidr_block: expr("var.x[0]"), enable_dns_support: "true" }),
      ]).filter((p) => !p.includes("undeclared")),
      [],
    );
  });

  it("reports unknown resource and data source types", () => {
    assert.deepEqual(one([top("resource", ["aws_vpcx", "a"], {}), top("data", ["aws_regionx", "r"], {})]), [
      "resource.aws_vpcx.a: unknown resource type `aws_vpcx`",
      "data.aws_regionx.r: unknown data source type `aws_regionx`",
    ]);
  });

  it("reports references to undeclared variables, locals, resources and unknown attributes", () => {
    const problems = one([
      variable("name", { type: "string", description: "x" }),
      top("resource", ["aws_vpc", "this"], {
        cidr_block: expr("var.cidr"),
        tags: { Name: expr("local.nam") },
      }),
      top("resource", ["aws_subnet", "a"], {
        vpc_id: expr("aws_vpc.this.idd"),
        cidr_block: expr("aws_vpc.other.cidr_block"),
      }),
    ]);
    assert.deepEqual(problems, [
      "resource.aws_vpc.this: reference to undeclared variable var.cidr",
      "resource.aws_vpc.this: reference to undeclared local.nam",
      "resource.aws_subnet.a: aws_vpc.this has no attribute `idd`",
      "resource.aws_subnet.a: reference to undeclared resource aws_vpc.other",
    ]);
  });

  it("checks module arguments against the module's variables and outputs", () => {
    const mod: HclFile = {
      items: [
        variable("name", { type: "string", description: "x" }),
        variable("size", { type: "number", description: "y", default: 1 }),
      ],
    };
    const problems = checkTerraform({
      "main.tf": {
        items: [
          moduleCall("m", { source: "./modules/m", nme: "x" }),
          top("output", ["o"], { value: expr("module.m.missing") }),
        ],
      },
      "modules/m/variables.tf": mod,
    }).map((p) => p.message);
    assert.deepEqual(problems, [
      "module ./modules/m has no variable `nme`",
      "missing required module argument `name`",
      "module.m has no output `missing`",
    ]);
  });

  it("checks .tfvars names against the root variables", () => {
    const problems = checkTerraform({
      "variables.tf": { items: [variable("region", { type: "string", description: "r" })] },
      "environments/dev.tfvars": { items: [{ kind: "attr", name: "regoin", value: "x" }] },
    });
    assert.deepEqual(
      problems.map((p) => p.message),
      ["the root module declares no variable `regoin`", "sets no value for the required variable `region`"],
    );
  });

  it("checks .tfvars values and literal module arguments against the variables' types", () => {
    const vars: HclFile = {
      items: [
        variable("services", {
          type: 'map(object({ cpu = number, domains = list(string), tag = optional(string, "x") }))',
          description: "s",
        }),
        variable("zones", { type: "number", description: "z", default: 2 }),
      ],
    };
    const problems = checkTerraform({
      "variables.tf": vars,
      "main.tf": {
        items: [
          moduleCall("m", {
            source: "./modules/m",
            services: { api: { cpu: 256, domains: "api.example.com" } },
          }),
        ],
      },
      "modules/m/variables.tf": {
        items: [
          variable("services", {
            type: "map(object({ cpu = number, domains = list(string) }))",
            description: "s",
          }),
        ],
      },
      "environments/dev.tfvars": {
        items: [
          { kind: "attr", name: "services", value: { api: { domains: [] } } },
          { kind: "attr", name: "zones", value: ["a"] },
        ],
      },
    }).map((p) => `${p.address}: ${p.message}`);
    assert.deepEqual(problems, [
      'module.m: module argument `services` ["api"] attribute `domains` must be a list of string',
      'var.services: ["api"] is missing attribute `cpu`',
      "var.zones: must be a number, not a list",
    ]);
  });

  it("parses type constraints", () => {
    assert.deepEqual(parseTypeConstraint("map(object({ a = number, b = optional(list(string), []) }))"), [
      "map",
      ["object", { a: "number", b: ["list", "string"] }, ["b"]],
    ]);
    assert.equal(parseTypeConstraint("string"), "string");
    assert.equal(parseTypeConstraint("map(string"), undefined);
  });

  it("reads the DigitalOcean schema too (an old provider: newer arguments are unknown)", () => {
    assert.deepEqual(
      one([
        top("resource", ["digitalocean_container_registry", "r"], {
          name: "r",
          subscription_tier_slug: "basic",
          region: "nyc3",
        }),
      ]),
      [],
    );
    assert.deepEqual(one([top("resource", ["digitalocean_database_postgresql_config", "c"], {})]), [
      "resource.digitalocean_database_postgresql_config.c: unknown resource type `digitalocean_database_postgresql_config`",
    ]);
  });
});
