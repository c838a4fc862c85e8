// The Node script the load-test job runs, written beside the workflows as load-test.mjs. It is a
// file of its own (not a `run:` block) so that test/github-load-test.test.ts runs these very bytes
// against a local server. It drives autocannon's programmatic API, because its CLI reports p90 and
// p97.5 but no p95 (hdr-histogram-percentiles-obj's fixed list): the script keeps every response's
// latency and status and computes the p95 and the error ratio the spec's alerts are written in.
// Plain JavaScript with no dependency but autocannon, which `npx --package autocannon@<pin>` puts
// on PATH: the script loads the module behind that bin, so the job needs no package.json.
// autocannon never verifies certificates (httpClient.js connects with rejectUnauthorized: false), so
// an environment on Let's Encrypt's staging issuer is loaded too; the deploy job checks the chain.

/** The file name in the workflows folder. */
export const LOAD_TEST_SCRIPT = "load-test.mjs";

/** The script's text: a header, then the same code for every project (its inputs are environment variables). */
export function loadTestScript(header: string[]): string {
  return `${header.map((h) => `// ${h}`.trimEnd()).join("\n")}\n${BODY}`;
}

const BODY = String.raw`//
// Environment:
//   LOAD_TARGETS   JSON list of { "url", "connections", "duration" (seconds), "p95_ms"?, "error_percent"? }:
//                  each URL is loaded with its profile, all at once; a limit left out is not checked.
//   GITHUB_STEP_SUMMARY  where the results table goes as well (set by GitHub Actions).
// Exit status: 0 when every URL stayed within its limits, 1 when one passed a limit, 2 on bad input.
import { appendFileSync, existsSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, join } from "node:path";

/** autocannon as "npx --package autocannon@<version>" installed it: the module behind its bin on PATH. */
function loadAutocannon() {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const bin = join(dir, "autocannon");
    if (dir && existsSync(bin)) {
      const file = realpathSync(bin);
      return createRequire(file)(file);
    }
  }
  throw new Error("autocannon is not on PATH: run this script with npx --package autocannon@<version> -- node");
}

function readTargets() {
  const targets = JSON.parse(process.env.LOAD_TARGETS ?? "[]");
  if (!Array.isArray(targets) || targets.length === 0) throw new Error("LOAD_TARGETS lists no URL");
  for (const t of targets) {
    if (typeof t.url !== "string" || !(t.connections >= 1) || !(t.duration >= 1))
      throw new Error("each LOAD_TARGETS entry needs url, connections and duration: " + JSON.stringify(t));
  }
  return targets;
}

/** The nearest-rank percentile of sorted values. */
function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Loads one URL; resolves to its measurements. */
function load(autocannon, target) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    let serverErrors = 0;
    let failed = 0;
    const instance = autocannon(
      { url: target.url, connections: target.connections, duration: target.duration, timeout: 10 },
      (err) => {
        if (err) return reject(err);
        latencies.sort((a, b) => a - b);
        const requests = latencies.length + failed;
        resolve({
          ...target,
          requests,
          p95: percentile(latencies, 95),
          // 5xx answers and requests that got none (refused, reset, timed out) both count as errors.
          errorPercent: requests ? ((serverErrors + failed) * 100) / requests : 100,
        });
      },
    );
    instance.on("response", (_client, status, _bytes, ms) => {
      latencies.push(ms);
      if (status >= 500) serverErrors++;
    });
    instance.on("reqError", () => failed++);
  });
}

function verdict(r) {
  const problems = [];
  if (r.requests === 0) problems.push("no request completed");
  if (r.p95_ms !== undefined && !(r.p95 <= r.p95_ms)) problems.push("p95 " + r.p95.toFixed(0) + " ms > " + r.p95_ms + " ms");
  if (r.error_percent !== undefined && r.errorPercent > r.error_percent)
    problems.push("errors " + r.errorPercent.toFixed(2) + " % > " + r.error_percent + " %");
  return problems;
}

async function main() {
  let targets;
  try {
    targets = readTargets();
  } catch (e) {
    console.error(e.message);
    return 2;
  }
  const autocannon = loadAutocannon();
  for (const t of targets)
    console.log("Loading " + t.url + " with " + t.connections + " connections for " + t.duration + " s");
  const results = await Promise.all(targets.map((t) => load(autocannon, t)));
  const rows = ["| URL | requests | p95 (ms) | limit | errors (%) | limit | result |", "| --- | --- | --- | --- | --- | --- | --- |"];
  let failures = 0;
  for (const r of results) {
    const problems = verdict(r);
    if (problems.length) failures++;
    rows.push(
      "| " + [r.url, r.requests, Number.isNaN(r.p95) ? "-" : r.p95.toFixed(0), r.p95_ms ?? "-",
        r.errorPercent.toFixed(2), r.error_percent ?? "-", problems.length ? problems.join("; ") : "within the limits"].join(" | ") + " |",
    );
    for (const p of problems) console.log("::error::" + r.url + ": " + p);
  }
  const table = rows.join("\n");
  console.log(table);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, "## Load test\n\n" + table + "\n");
  return failures ? 1 : 0;
}

process.exitCode = await main();
`;
