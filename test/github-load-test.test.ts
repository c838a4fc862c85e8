// The load test the deploy workflows run: its choice of environment, its profile and limits from
// the spec, and the generated load-test.mjs itself, run exactly as the job runs it (npx with the
// pinned autocannon) against a server on 127.0.0.1 that is healthy, fails half its requests, or
// is slow.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadSpec } from "../src/model/load.js";
import {
  AUTOCANNON_VERSION,
  loadProfile,
  loadTargets,
  loadTestEnvironment,
} from "../src/targets/github/load-test.js";
import { LOAD_TEST_SCRIPT } from "../src/targets/github/load-test-script.js";
import { readsEnvironment } from "../src/targets/github/steps.js";
import { run } from "../src/targets/github/workflow.js";
import { githubTarget } from "../src/targets/registry.js";
import { REPO_ROOT, exampleContext, loadExample, tempDir } from "./helpers.js";

const spec = (environments: string) =>
  loadSpec(
    "gantry.yaml",
    [
      "name: shop",
      "services:",
      "  api: { build: ./api, port: 8080, health: /ready, domain: api.shop.test, scale: { min: 2, max: 6 } }",
      "  web: { static: ./web, build: npm run build, output: dist, domain: shop.test }",
      "monitoring:",
      "  alerts:",
      "    slow-api: { metric: latency_p95, above: 250, services: [api] }",
      "    high-error-rate: { above: 2 }",
      "environments:",
      environments,
      "",
    ].join("\n"),
  ).project;

describe("load test: environment, profile and limits", () => {
  it("runs in the first staging-tier environment before production, else the first one before it, else nowhere", () => {
    const envs = (text: string) => loadTestEnvironment(spec(text).environments)?.environment.name;
    assert.equal(
      envs("  dev: { tier: development }\n  staging: { deploy: { on: push } }\n  production: {}"),
      "staging",
    );
    assert.equal(envs("  dev: { tier: development }\n  production: {}"), "dev");
    assert.equal(envs("  production: {}\n  staging: {}"), undefined);
  });

  it("names the GitHub environment only for steps that read its secrets or variables, or log in through OIDC", () => {
    assert.equal(
      readsEnvironment([run("Load", "node load.mjs", { env: { TOKEN: "${{ secrets.GITHUB_TOKEN }}" } })]),
      false,
    );
    assert.equal(
      readsEnvironment([run("Kubeconfig", 'echo "$K" > kc', { env: { K: "${{ secrets.KUBECONFIG }}" } })]),
      true,
    );
    assert.equal(readsEnvironment([run("Region", "echo ${{ vars.REGION }}")]), true);
  });

  it("takes the lowest threshold of the rules covering each service, and sizes the load from its scale", () => {
    const env = spec("  staging: {}\n  production: {}").environments[0]!;
    const targets = loadTargets(env);
    const api = targets.find((t) => t.url === "https://api.shop.test/ready")!;
    const web = targets.find((t) => t.url === "https://shop.test/")!;
    // slow-api (250 ms) is below the built-in high-latency (500 ms); high-error-rate is lowered to 2 %.
    assert.deepEqual([api.p95_ms, api.error_percent], [250, 2]);
    assert.deepEqual([web.p95_ms, web.error_percent], [500, 2]);
    // 10 connections per replica of max 6; long enough for the autoscaler (at least two minutes).
    assert.equal(api.connections, 60);
    assert.ok(api.duration >= 120 && api.duration <= 600, String(api.duration));
    assert.deepEqual([web.connections, web.duration], [10, 30]);
    const fixed = spec("  staging: { services: { api: { scale: 3 } } }\n  production: {}").environments[0]!;
    assert.deepEqual(loadProfile(fixed.services.api as Parameters<typeof loadProfile>[0]), {
      connections: 30,
      duration: 30,
    });
  });

  it("pins the autocannon release the project itself depends on", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
      devDependencies: Record<string, string>;
    };
    assert.equal(pkg.devDependencies.autocannon, AUTOCANNON_VERSION);
    const wf = githubTarget.render(loadExample("todo").project, exampleContext("todo", "kubernetes"))[
      "deploy-staging.yml"
    ]!;
    assert.match(wf, /npx --yes --package "autocannon@\$AUTOCANNON" -- node "\$SCRIPT"/);
    assert.match(wf, new RegExp(`AUTOCANNON: ${AUTOCANNON_VERSION.replace(/\./g, "\\.")}\\n`));
    assert.match(wf, new RegExp(`SCRIPT: \\.github/workflows/${LOAD_TEST_SCRIPT}`));
  });
});

/** Runs the generated script as the job does; resolves with its exit code and output. */
function runScript(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "npx",
      ["--yes", "--package", `autocannon@${AUTOCANNON_VERSION}`, "--", "node", script],
      // From the repository, npx finds the pinned release in its node_modules: no download.
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

function listen(handler: RequestListener): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ready` }),
    ),
  );
}

describe("load test: the generated load-test.mjs", () => {
  let dir: string;
  let cleanup: () => void;
  let script: string;
  const servers: Server[] = [];

  before(() => {
    const tree = githubTarget.render(loadExample("todo").project, exampleContext("todo", "kubernetes"));
    ({ dir, cleanup } = tempDir({ [LOAD_TEST_SCRIPT]: tree[LOAD_TEST_SCRIPT]!, "summary.md": "" }));
    script = join(dir, LOAD_TEST_SCRIPT);
  });
  after(() => {
    for (const s of servers) s.close();
    cleanup();
  });

  const target = (url: string) =>
    JSON.stringify([{ url, connections: 4, duration: 2, p95_ms: 200, error_percent: 5 }]);

  it("passes against a healthy server, and writes its table to the step summary", async () => {
    const { server, url } = await listen((_req, res) => res.end("ok"));
    servers.push(server);
    const summary = join(dir, "summary.md");
    const r = await runScript(script, { LOAD_TARGETS: target(url), GITHUB_STEP_SUMMARY: summary });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /within the limits/);
    assert.match(readFileSync(summary, "utf8"), /## Load test\n\n\| URL \| requests \| p95 \(ms\)/);
  });

  it("fails when half the requests fail", async () => {
    let n = 0;
    const { server, url } = await listen((_req, res) => {
      res.statusCode = n++ % 2 ? 500 : 200;
      res.end();
    });
    servers.push(server);
    const r = await runScript(script, { LOAD_TARGETS: target(url) });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /::error::http:\/\/127\.0\.0\.1:\d+\/ready: errors (49|50)\.\d\d % > 5 %/);
  });

  it("fails when the p95 latency passes the limit", async () => {
    const { server, url } = await listen((_req, res) => setTimeout(() => res.end("ok"), 300));
    servers.push(server);
    const r = await runScript(script, { LOAD_TARGETS: target(url) });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /p95 3\d\d ms > 200 ms/);
  });

  it("refuses input without a URL (exit 2), before any load", async () => {
    const r = await runScript(script, { LOAD_TARGETS: "[]" });
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /LOAD_TARGETS lists no URL/);
  });
});
