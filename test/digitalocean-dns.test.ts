// DigitalOcean DNS: the ingress address reaches the DNS records as an input the infrastructure
// workflow reads from the cluster before each plan, never as an edit of a generated tfvars file; the
// system check digitalocean/dns-input finds either defect in a damaged tree, with a file and a line.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { digitaloceanTarget } from "../src/targets/digitalocean/index.js";
import { githubTarget } from "../src/targets/registry.js";
import type { FileTree } from "../src/targets/target.js";
import { EXAMPLES, exampleContext, loadExample } from "./helpers.js";

interface Step {
  name?: string;
  run?: string;
  env?: Record<string, string>;
}

function rendered(example: string) {
  const { project } = loadExample(example);
  const ctx = exampleContext(example, "digitalocean");
  return {
    project,
    ctx,
    tree: digitaloceanTarget.render(project, ctx),
    github: githubTarget.render(project, ctx),
  };
}

describe("digitalocean: the ingress address is an input", () => {
  it("each plan job of todo reads its cluster's ingress address into TF_VAR_ingress_ip before planning", () => {
    const { github, tree } = rendered("todo");
    assert.ok(tree["modules/dns/main.tf"], "todo has DNS records");
    const jobs = (parse(github["infrastructure.yml"]!) as { jobs: Record<string, { steps: Step[] }> }).jobs;
    const plans = Object.entries(jobs).filter(([, j]) =>
      j.steps.some((s) => /tofu .* plan /.test(s.run ?? "")),
    );
    assert.deepEqual(
      plans.map(([, j]) => {
        const read = j.steps.findIndex((s) => s.name === "Read the ingress address");
        const plan = j.steps.findIndex((s) => /tofu .* plan /.test(s.run ?? ""));
        assert.ok(read >= 0 && read < plan);
        assert.match(j.steps[read]!.run!, /echo "TF_VAR_ingress_ip=\$ip" >> "\$GITHUB_ENV"/);
        return j.steps[read]!.env!.CLUSTER;
      }),
      ["todo-staging", "todo-production"],
    );
  });

  for (const example of EXAMPLES)
    it(`examples/${example}: no tfvars sets ingress_ip, the README asks for no edit, no dns-input finding`, () => {
      const { tree, github, ctx, project } = rendered(example);
      for (const [f, text] of Object.entries(tree))
        if (f.endsWith(".tfvars")) assert.doesNotMatch(text, /ingress_ip/, f);
      assert.doesNotMatch(tree["README.md"]!, /in `ingress_ip` of the environment's tfvars/);
      assert.deepEqual(
        digitaloceanTarget.systemChecks!(project, tree, ctx, { digitalocean: tree, github }),
        [],
      );
    });

  it("digitalocean/dns-input: an address written into a tfvars file, at its line", () => {
    const { tree, github, ctx, project } = rendered("todo");
    const file = "environments/production.tfvars";
    const damaged: FileTree = { ...tree, [file]: `${tree[file]!}ingress_ip = "203.0.113.7"\n` };
    const found = digitaloceanTarget.systemChecks!(project, damaged, ctx, { digitalocean: damaged, github });
    assert.deepEqual(
      found.map((f) => [f.rule, f.env, f.file]),
      [["digitalocean/dns-input", "production", file]],
    );
    assert.equal(damaged[file]!.split("\n")[found[0]!.line! - 1], 'ingress_ip = "203.0.113.7"');
  });

  it("digitalocean/dns-input: a plan job that does not read the address", () => {
    const { tree, github, ctx, project } = rendered("todo");
    const wf = parse(github["infrastructure.yml"]!) as { jobs: Record<string, { steps: Step[] }> };
    const [name, job] = Object.entries(wf.jobs)[0]!;
    job.steps = job.steps.filter((s) => s.name !== "Read the ingress address");
    const damaged = { ...github, "infrastructure.yml": stringify(wf) };
    const found = digitaloceanTarget.systemChecks!(project, tree, ctx, {
      digitalocean: tree,
      github: damaged,
    });
    assert.deepEqual(
      found.map((f) => [f.rule, f.file]),
      [["digitalocean/dns-input", "main.tf"]],
    );
    assert.match(found[0]!.message, new RegExp(`job ${name} `));
    assert.match(tree["main.tf"]!.split("\n")[found[0]!.line! - 1]!, /ingress_ip\s*=\s*var\.ingress_ip/);
  });
});
