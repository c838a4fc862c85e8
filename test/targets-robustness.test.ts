// Specs no one on the team wrote: mutated examples that still validate go through every target's
// check() and render(). A target may refuse a spec with positioned problems, but never crash.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { loadSpec } from "../src/model/load.js";
import { SpecError, UserError } from "../src/errors.js";
import { TARGETS } from "../src/targets/registry.js";
import { EXAMPLES, exampleContext, examplePath } from "./helpers.js";
import { mutate, rng } from "./mutate.js";

describe("targets on mutated specs", () => {
  for (const name of EXAMPLES) {
    it(`${name}: every target checks or renders every valid mutation without crashing`, () => {
      const original = readFileSync(examplePath(name), "utf8");
      const r = rng(name.length * 104729);
      let valid = 0;
      for (let n = 0; n < 60; n++) {
        const text = mutate(original, r);
        let project;
        try {
          project = loadSpec("gantry.yaml", text).project;
        } catch (e) {
          if (e instanceof SpecError || e instanceof UserError) continue;
          throw e;
        }
        valid++;
        for (const target of TARGETS) {
          for (const deploy of target.name === "github"
            ? (["kubernetes", "azure", "aws", "digitalocean"] as const)
            : [undefined]) {
            const ctx = exampleContext(name, deploy);
            try {
              const problems = target.check(project, ctx);
              for (const p of problems) assert.ok(p.message.length > 0 && typeof p.path === "string");
              if (problems.some((p) => (p.severity ?? "error") === "error")) continue;
              const tree = target.render(project, ctx);
              assert.ok(Object.keys(tree).length > 0);
            } catch (e) {
              assert.fail(
                `${target.name}${deploy ? `/${deploy}` : ""} crashed on mutation ${n}: ${(e as Error).stack}\n--- spec ---\n${text}`,
              );
            }
          }
        }
      }
      assert.ok(valid >= 10, `only ${valid} mutations were valid`);
    });
  }
});

describe("an environment's own region", () => {
  // environments.<env>.region overrides every target's region: each cloud target either deploys the
  // environment there or refuses a region it has not, at the environment's position.
  const spec = (region: string) => `name: shop
services:
  api: { image: ghcr.io/acme/api:1.0, port: 8000, health: /health }
targets:
  aws: { region: us-east-1 }
  azure: { location: eastus }
  digitalocean: { region: nyc1 }
environments:
  staging: {}
  production: { region: ${region} }
`;
  const regionErrors = (target: string, region: string) =>
    TARGETS.find((t) => t.name === target)!
      .check(loadSpec("gantry.yaml", spec(region)).project, exampleContext("todo"))
      .filter((p) => (p.severity ?? "error") === "error" && p.path === "environments.production.region")
      .map((p) => p.env);

  it("is refused, at its position, by each target whose regions it does not name", () => {
    assert.deepEqual(regionErrors("aws", "eu-west-1"), []);
    assert.deepEqual(regionErrors("azure", "eu-west-1"), ["production"]);
    assert.deepEqual(regionErrors("digitalocean", "eu-west-1"), ["production"]);
    assert.deepEqual(regionErrors("aws", "westeurope"), ["production"]);
    assert.deepEqual(regionErrors("azure", "westeurope"), []);
    assert.deepEqual(regionErrors("digitalocean", "ams3"), []);
    assert.deepEqual(regionErrors("aws", "ams3"), ["production"]);
  });

  it("reaches the environment's files on DigitalOcean and Azure, and only that environment's", () => {
    const render = (target: string, region: string) =>
      TARGETS.find((t) => t.name === target)!.render(
        loadSpec("gantry.yaml", spec(region)).project,
        exampleContext("todo"),
      );
    const doTree = render("digitalocean", "ams3");
    assert.match(doTree["environments/production.tfvars"]!, /^region\s+= "ams3"$/m);
    assert.match(doTree["environments/staging.tfvars"]!, /^region\s+= "nyc1"$/m);
    const azTree = render("azure", "westeurope");
    assert.match(azTree["parameters/production.bicepparam"]!, /^param location = 'westeurope'$/m);
    assert.match(azTree["parameters/staging.bicepparam"]!, /^param location = 'eastus'$/m);
  });
});
