// The HCL printer: tofu-fmt-canonical layout, escaping, and (where tofu is installed) proof that
// `tofu fmt -check` accepts what it prints.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "@cdktf/hcl2json";
import {
  call,
  comment,
  expr,
  heredoc,
  inline,
  nested,
  printAttributeFile,
  printHcl,
  tmpl,
  top,
} from "../src/format/hcl.js";
import { findTool } from "../src/validate/tools.js";
import { tofuFmtCheck } from "../src/validate/tofu.js";

const sample = printHcl({
  header: ["Generated"],
  items: [
    top("resource", ["aws_vpc", "this"], {
      cidr_block: "10.0.0.0/16",
      enable_dns_hostnames: true,
      tags: call("merge", expr("var.tags"), { Name: tmpl("${var.name}-vpc"), "kubernetes.io/role": "x" }),
      "#": comment("why this matters"),
      list: [1, 2],
      objects: [{ a: 1, bb: 2 }],
      lifecycle: nested({ prevent_destroy: true }),
      after: 1,
      ingress: [nested({ from_port: 443, to_port: 443 }), nested({ from_port: 80 })],
    }),
    top("variable", ["services"], {
      type: call("map", call("object", { cpu: expr("number"), memory_target: expr("number") })),
      validation: nested({
        condition: expr("alltrue([for s in values(var.services) : s.cpu > 0])"),
        error_message: "bad",
      }),
    }),
    top("locals", [], {
      text: heredoc("line one\nline two\n"),
      literal: 'a ${not} %{interpolation} "quoted" \\ back',
      escaped: tmpl('${a ? "x" : "y"}-"z"'),
    }),
    { kind: "attr", name: "a", value: 1 },
    { kind: "attr", name: "bbb", value: { x: "1" } },
  ],
});

describe("hcl printer", () => {
  it("aligns = within runs of single-line attributes and indents by two spaces", () => {
    assert.match(
      sample,
      /\n {2}cidr_block {11}= "10\.0\.0\.0\/16"\n {2}enable_dns_hostnames = true\n {2}tags = merge\(var\.tags, \{\n {4}Name {17}= "\$\{var\.name\}-vpc"\n {4}"kubernetes\.io\/role" = "x"\n {2}\}\)\n/,
    );
    assert.match(
      sample,
      /\n {2}list = \[1, 2\]\n {2}objects = \[\n {4}\{\n {6}a {2}= 1\n {6}bb = 2\n {4}\},\n {2}\]\n\n {2}lifecycle \{\n {4}prevent_destroy = true\n {2}\}\n\n {2}after = 1\n/,
    );
    assert.match(
      sample,
      / {2}type = map\(object\(\{\n {4}cpu {11}= number\n {4}memory_target = number\n {2}\}\)\)\n/,
    );
  });

  it("escapes literal strings but keeps template interpolations", () => {
    assert.match(sample, /literal = "a \$\$\{not\} %%\{interpolation\} \\"quoted\\" \\\\ back"/);
    assert.match(sample, /escaped = "\$\{a \? "x" : "y"\}-\\"z\\""/);
  });

  it("prints a backend configuration: a comment, aligned attributes, an object on one line", async () => {
    const text = printAttributeFile("Spaces backend of one environment", {
      bucket: "app-terraform-state",
      endpoints: inline({ s3: "https://nyc3.digitaloceanspaces.com", "path-style": false }),
    });
    assert.equal(
      text,
      [
        "# Spaces backend of one environment",
        'bucket    = "app-terraform-state"',
        'endpoints = { s3 = "https://nyc3.digitaloceanspaces.com", "path-style" = false }',
        "",
      ].join("\n"),
    );
    const parsed = (await parse("x.tfbackend", text)) as { endpoints: { s3: string } };
    assert.equal(parsed.endpoints.s3, "https://nyc3.digitaloceanspaces.com");
  });

  it("prints text that parses back to the same values", async () => {
    const parsed = (await parse("sample.tf", sample)) as {
      locals: { literal: string }[];
      resource: { aws_vpc: { this: { cidr_block: string; ingress: unknown[] }[] } };
    };
    assert.equal(parsed.locals[0]!.literal, 'a $${not} %%{interpolation} "quoted" \\ back');
    assert.equal(parsed.resource.aws_vpc.this[0]!.cidr_block, "10.0.0.0/16");
    assert.equal(parsed.resource.aws_vpc.this[0]!.ingress.length, 2);
  });

  it("is canonical for tofu fmt", async (t) => {
    if (!findTool("tofu")) {
      if (process.env.CI) assert.fail("tofu is missing (bash scripts/install-tools.sh)");
      t.skip("tofu is not installed (bash scripts/install-tools.sh); set CI to make this fail");
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "gantry-hcl-"));
    try {
      writeFileSync(join(dir, "sample.tf"), sample);
      const r = await tofuFmtCheck(dir);
      assert.ok(r.ok, r.message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
