// The spec's `recovery`: tier defaults, environment overrides and the positioned schedule errors.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadSpec } from "../src/model/load.js";
import { SpecError } from "../src/errors.js";
import type { AppModel } from "../src/model/types.js";

const envOf = (text: string, env: string): AppModel =>
  loadSpec("gantry.yaml", text, env).project.environments[0]!;

const SPEC = `name: shop
services:
  api: { build: ./api, port: 8080, uses: [db], scale: { min: 2, max: 3 } }
postgres:
  db: {}
environments:
  dev: {}
  staging: {}
  production:
    recovery: { rpo: 5m, drill: "0 4 * * 1" }
`;

describe("recovery", () => {
  it("fills RPO, RTO and drill from the tier and lets an environment override them", () => {
    const dev = envOf(SPEC, "dev").recovery;
    assert.deepEqual(dev, {
      rpo: "24h",
      rto: "24h",
      rpo_seconds: 86400,
      rto_seconds: 86400,
      base_backup: "@daily",
    });
    const staging = envOf(SPEC, "staging").recovery;
    assert.equal(staging.rpo_seconds, 3600);
    assert.equal(staging.drill, undefined);
    const prod = envOf(SPEC, "production").recovery;
    assert.equal(prod.rpo, "5m");
    assert.equal(prod.rpo_seconds, 300);
    assert.equal(prod.rto_seconds, 3600);
    assert.equal(prod.drill, "0 4 * * 1");
  });

  it("keeps the offsite repository with its defaults", () => {
    const text = `${SPEC}recovery:\n  offsite: { endpoint: "https://fra1.digitaloceanspaces.com", bucket: shop-backups }\n`;
    assert.deepEqual(envOf(text, "dev").recovery.offsite, {
      endpoint: "https://fra1.digitaloceanspaces.com",
      bucket: "shop-backups",
      region: "us-east-1",
      path: "/gantry",
    });
  });

  it("refuses a schedule that is not cron, at its line and column", () => {
    const text = `${SPEC}recovery:\n  drill: every tuesday\n  base_backup: "61 * * * *"\n`;
    assert.throws(
      () => loadSpec("gantry.yaml", text),
      (e: unknown) => {
        assert.ok(e instanceof SpecError);
        const at = e.problems.map((p) => `${p.pos.line}:${p.pos.col} ${p.path}`);
        assert.ok(at.includes("12:10 recovery.drill"), at.join("\n"));
        assert.ok(at.includes("13:16 recovery.base_backup"), at.join("\n"));
        return true;
      },
    );
  });

  it("refuses an offsite endpoint pgBackRest cannot use, at its line and column, with the fix", () => {
    const problems = (endpoint: string) => {
      try {
        loadSpec("gantry.yaml", `${SPEC}recovery:\n  offsite: { endpoint: "${endpoint}", bucket: b-1 }\n`);
        return [];
      } catch (e) {
        assert.ok(e instanceof SpecError);
        return e.problems.filter((p) => p.path === "recovery.offsite.endpoint");
      }
    };
    // pgBackRest speaks TLS only, and takes no path in the endpoint.
    const [http] = problems("http://minio.internal:9000");
    assert.equal(`${http?.pos.line}:${http?.pos.col}`, "12:24");
    assert.match(http!.hint ?? "", /https:\/\/minio\.internal:9000/);
    assert.equal(problems("https://minio.internal:9000/backups").length, 1);
    assert.equal(problems("minio.internal").length, 1);
    assert.deepEqual(problems("https://minio.internal:9000/"), []);
    assert.deepEqual(problems("https://s3.eu-west-1.amazonaws.com"), []);
  });

  it("keeps the offsite CA bundle as written", () => {
    const text = `${SPEC}recovery:\n  offsite: { endpoint: "https://minio.internal:9000", bucket: b-1, ca_file: certs/ca.pem }\n`;
    assert.equal(envOf(text, "dev").recovery.offsite?.ca_file, "certs/ca.pem");
  });

  it("refuses an RPO that is not a duration", () => {
    assert.throws(
      () => loadSpec("gantry.yaml", `${SPEC}recovery: { rpo: 15 minutes }\n`),
      (e: unknown) => e instanceof SpecError && e.problems.some((p) => p.path === "recovery.rpo"),
    );
  });
});
