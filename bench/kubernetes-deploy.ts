// Benchmark of `gantry deploy --target kubernetes` (not a test): a 20-service spec (bench/big-spec.ts)
// deployed to a real control plane (test/kube-control-plane.ts, KWOK nodes), from the command to a
// completed rollout, first an install and then an upgrade to a new image tag; the peer, measured in the
// same run, is `helm upgrade --install --atomic --wait` of the same chart with the same values into a
// namespace of its own. Gantry's figure includes what it does besides Helm: the render, the
// bootstrap apply, the Secrets check and the rollout watch.
//   npx tsx bench/kubernetes-deploy.ts [--services 20]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { parseDocument } from "yaml";
import { main } from "../src/cli/main.js";
import {
  controlPlaneMissing,
  KUBE_BIN,
  startControlPlane,
  type ControlPlane,
} from "../test/kube-control-plane.js";
import { bootstrap, clusterCase, installed } from "../test/kube-specs.js";
import { bigSpec } from "./big-spec.js";

const services = Number(process.argv[process.argv.indexOf("--services") + 1] || 20) || 20;
const ENV = "staging";

async function timed(what: string, run: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await run();
  const s = (performance.now() - t0) / 1000;
  console.log(`  ${what.padEnd(52)} ${s.toFixed(1)} s`);
  return s;
}

async function gantryDeploy(dir: string, extra: string[]): Promise<void> {
  let err = "";
  const code = await main(["deploy", dir, "--target", "kubernetes", "--env", ENV, "--no-smoke", ...extra], {
    out: () => undefined,
    err: (s) => (err += s),
    cwd: dir,
  });
  if (code !== 0) throw new Error(`gantry deploy failed:\n${err}`);
  // Where the time went: the checks before Helm, and Helm with the rollout watch.
  const at = (what: RegExp) => /\[\s*([\d.]+)s\]/.exec(err.split("\n").find((l) => what.test(l)) ?? "")?.[1];
  console.log(`    (helm started ${at(/ helm upgrade --install /) ?? "?"} s after the command's first step)`);
}

async function helmDeploy(cp: ControlPlane, chart: string, values: string, ns: string, extra: string[]) {
  const r = await cp.helm([
    "upgrade",
    "--install",
    "bench",
    chart,
    "--namespace",
    ns,
    "--values",
    values,
    "--atomic",
    "--wait",
    "--timeout",
    "10m",
    ...extra,
  ]);
  if (r.code !== 0) throw new Error(`helm failed:\n${r.stderr}`);
}

async function run(): Promise<void> {
  const missing = controlPlaneMissing();
  if (missing) {
    console.log(`skipped: ${missing}`);
    return;
  }
  console.log(
    `${services} services, environment ${ENV}; ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`,
  );
  const t0 = performance.now();
  const cp = await startControlPlane();
  console.log(`  control plane up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const dir = mkdtempSync(join(tmpdir(), "gantry-bench-k8s-"));
  const saved = { KUBECONFIG: process.env.KUBECONFIG, PATH: process.env.PATH };
  try {
    process.env.KUBECONFIG = cp.kubeconfig;
    process.env.PATH = [KUBE_BIN, process.env.PATH].join(delimiter);
    for (const k of ["HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"]) process.env[k] = cp.env[k];
    // Both namespaces get their bootstrap and Secrets before the clock starts: the same starting point.
    // The same spec twice, each environment in a namespace of its own (bench-staging-gantry, -helm).
    const doc = parseDocument(bigSpec(services));
    const ours = clusterCase("bench", ENV, doc, "-gantry");
    writeFileSync(join(dir, "gantry.yaml"), doc.toString());
    const peer = clusterCase("bench", ENV, parseDocument(bigSpec(services)), "-helm");
    for (const c of [ours, peer]) await bootstrap(cp, c, installed(c));
    const chart = join(peer.dir, peer.release.chart);
    const values = join(peer.dir, peer.release.values);
    const rows: [string, number, number][] = [];
    for (const [what, extra] of [
      ["install", []],
      ["upgrade to a new image tag", ["--image-tag", "2.0.0"]],
    ] as const) {
      console.log(what);
      const g = await timed("gantry deploy --target kubernetes", () => gantryDeploy(dir, [...extra]));
      const h = await timed("helm upgrade --install --atomic --wait (peer)", () =>
        helmDeploy(
          cp,
          chart,
          values,
          peer.namespace,
          extra.length ? ["--set-string", "global.imageTag=2.0.0"] : [],
        ),
      );
      rows.push([what, g, h]);
    }
    console.log("\nseconds to a completed rollout      gantry    helm    gantry/helm");
    for (const [what, g, h] of rows)
      console.log(
        `  ${what.padEnd(32)} ${g.toFixed(1).padStart(7)} ${h.toFixed(1).padStart(7)} ${(g / h).toFixed(2).padStart(10)}`,
      );
    ours.cleanup();
    peer.cleanup();
  } finally {
    process.env.KUBECONFIG = saved.KUBECONFIG;
    process.env.PATH = saved.PATH;
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await run();
