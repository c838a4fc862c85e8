// Specs written by a user no one on the team has met (test/fixtures/fresh): a Django app with every
// kind of service, two databases, every channel type and three environments with overrides, and a
// worker-only pipeline with a fixed and an autoscaled count. Each synthesizes for every target, and
// `gantry check` (with the validators installed here) finds no error in the spec or the files.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli } from "./helpers.js";

const FRESH = ["ledger", "pipes"];
const CLOUDS = ["kubernetes", "azure", "aws", "digitalocean"];

describe("fresh specs", () => {
  for (const name of FRESH) {
    const spec = join("test", "fixtures", "fresh", name);

    it(`${name}: synthesizes for every target, GitHub Actions for every cloud`, async () => {
      const out = mkdtempSync(join(tmpdir(), `gantry-fresh-${name}-`));
      try {
        for (const target of CLOUDS) {
          const r = await runCli(["synth", target, spec, "--out", join(out, target)]);
          assert.equal(r.code, 0, `${target}: ${r.err}`);
          const gh = await runCli([
            "synth",
            "github",
            spec,
            "--target",
            target,
            "--out",
            join(out, `gh-${target}`),
          ]);
          assert.equal(gh.code, 0, `github --target ${target}: ${gh.err}`);
        }
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });

    it(`${name}: gantry check reports no errors`, async () => {
      const r = await runCli(["check", spec, "--format", "json"]);
      const { findings } = JSON.parse(r.out) as {
        findings: { rule: string; severity: string; path: string; message: string }[];
      };
      const errors = findings.filter((f) => f.severity === "error");
      assert.deepEqual(
        errors.map((f) => `${f.rule} ${f.path}: ${f.message}`),
        [],
      );
      assert.equal(r.code, 0, r.err);
    });
  }
});
