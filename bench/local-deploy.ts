// Benchmark of the local runtime (not a test): keeps a steady load through the proxy while it runs
// deploys and rollbacks of examples/hello, and prints failed/5xx requests, p99 latency in steady state and
// during deploys, seconds per deploy and per rollback, and the proxy's throughput against hitting an
// instance directly, against nginx as the proxy (when nginx is installed) and against a bare Node relay
// (bench/bare-relay.ts: the floor for a proxy written for Node). Loopback only.
// A service without a health path (`plain`) takes load too, through the same deploys and then through
// bad deploys of it (a process that accepts connections and answers nothing, then exits, as gunicorn's
// master does when the app fails to load): each must be refused, with no failed request.
//   npx tsx bench/local-deploy.ts [--deploys 10] [--rollbacks 2] [--rate 600] [--seconds 8]
//                                 [--rounds 3] [--connections 32] [--bad-deploys 2]
import { createRequire } from "node:module";
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../src/cli/main.js";
import { findOnPath } from "../src/engine/local/infra.js";
import { freePort } from "../src/engine/local/ports.js";
import { spawnProcess, type SpawnedProcess } from "../src/util/exec.js";
import type { SupervisorState } from "../src/engine/local/state.js";
import { REPO_ROOT } from "../src/validate/tools.js";

interface CannonResult {
  requests: { average: number; total: number };
  latency: { p99: number; p50: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  "2xx": number;
}
interface CannonInstance {
  stop: () => void;
}
type Autocannon = (
  opts: Record<string, unknown>,
  cb: (err: Error | null, result: CannonResult) => void,
) => CannonInstance;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const DEPLOYS = arg("deploys", 10);
const ROLLBACKS = arg("rollbacks", 2);
const RATE = arg("rate", 600);
const SECONDS = arg("seconds", 8);
const CONNECTIONS = arg("connections", 32);
const ROUNDS = arg("rounds", 3);
const BAD_DEPLOYS = arg("bad-deploys", 2);

const PLAIN_GOOD = `require("http").createServer((q, s) => s.end("plain")).listen(process.env.PORT, "127.0.0.1");\n`;
const PLAIN_BAD = `require("net").createServer((c) => setTimeout(() => c.destroy(), 200)).listen(process.env.PORT, "127.0.0.1");\nsetTimeout(() => process.exit(3), 1500);\n`;

/** Adds `plain`, an HTTP service without a health path, to the copy of examples/hello. */
function addPlainService(app: string): void {
  writeFileSync(join(app, "plain.cjs"), PLAIN_GOOD);
  const p = join(app, "gantry.yaml");
  writeFileSync(
    p,
    readFileSync(p, "utf8").replace(
      "services:\n",
      "services:\n  plain:\n    build: .\n    command: node plain.cjs\n    port: 8090\n    path: /plain\n    health: { startup_timeout: 10s }\n\n",
    ),
  );
}

function run(opts: Record<string, unknown>): { done: Promise<CannonResult>; stop: () => void } {
  let inst: CannonInstance | undefined;
  const done = new Promise<CannonResult>((resolve, reject) => {
    inst = autocannon({ connections: CONNECTIONS, pipelining: 1, ...opts }, (err, result) =>
      err ? reject(err) : resolve(result),
    );
  });
  return { done, stop: () => inst?.stop() };
}

async function gantry(app: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main([...args, app], { out: (s) => (out += s), err: (s) => (err += s), cwd: app });
  return { code, out, err };
}

function state(app: string): SupervisorState {
  return JSON.parse(readFileSync(join(app, ".gantry", "dev", "state.json"), "utf8")) as SupervisorState;
}

function setVersion(app: string, v: string): void {
  const p = join(app, "gantry.yaml");
  writeFileSync(
    p,
    readFileSync(p, "utf8").replace(
      / {4}env: \{ LOG_LEVEL: info[^\n]*\n/,
      `    env: { LOG_LEVEL: info, APP_VERSION: "${v}" }\n`,
    ),
  );
}

/** A proxy measured next to Gantry's, in front of the same instances. */
interface Peer {
  url: (path: string) => string;
  pid: number;
  stop: () => Promise<void>;
}

/** nginx as a proxy in front of the same instances, when installed. */
async function startNginx(ports: number[]): Promise<Peer | undefined> {
  const nginx = findOnPath("nginx", process.env.PATH) ?? findOnPath("nginx", "/usr/sbin:/usr/local/sbin");
  if (!nginx) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "gantry-bench-nginx-"));
  mkdirSync(join(dir, "logs"));
  const port = await freePort();
  writeFileSync(
    join(dir, "nginx.conf"),
    `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/logs/error.log;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n  upstream app { ${ports.map((p) => `server 127.0.0.1:${p};`).join(" ")} keepalive 64; }\n  server {\n    listen 127.0.0.1:${port};\n    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }\n  }\n}\n`,
  );
  const proc = await spawnProcess(nginx, ["-p", dir, "-c", join(dir, "nginx.conf"), "-g", "daemon off;"], {
    output: "ignore",
  });
  await new Promise((r) => setTimeout(r, 500));
  return peer(port, proc, () => rmSync(dir, { recursive: true, force: true }));
}

/** bench/bare-relay.ts in front of the same instances. */
async function startRelay(ports: number[]): Promise<Peer> {
  const port = await freePort();
  const proc = await spawnProcess(process.execPath, [
    "--import",
    "tsx",
    join(REPO_ROOT, "bench", "bare-relay.ts"),
    String(port),
    ...ports.map(String),
  ]);
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.once("data", () => resolve());
    void proc.exited.then(() => reject(new Error("bench/bare-relay.ts exited before it listened")));
  });
  return peer(port, proc);
}

/** A peer listening on 127.0.0.1:`port`; `cleanup` runs once it has stopped. */
function peer(port: number, proc: SpawnedProcess, cleanup = () => {}): Peer {
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    pid: proc.pid,
    stop: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
      cleanup();
    },
  };
}

/**
 * CPU time (user + system) of a process, in µs, with its running children when `children` (nginx's
 * worker is a child of its master); undefined without /proc.
 */
function cpuMicros(pid: number, children = false): number | undefined {
  const ticks = (p: number) => {
    const f = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ");
    return Number(f[11]) + Number(f[12]);
  };
  try {
    let total = ticks(pid);
    if (!children) return (total * 1e6) / 100; // USER_HZ is 100 on Linux
    for (const d of readdirSync("/proc")) {
      if (!/^\d+$/.test(d)) continue;
      const stat = readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1];
      if (stat && Number(stat.split(" ")[1]) === pid) total += ticks(Number(d));
    }
    return (total * 1e6) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** Runs a throughput sample and says what each process spent on it, in µs of CPU per request. */
async function sample(
  url: string,
  who: Record<string, number[]>,
  nginxPid?: number,
): Promise<{ rate: number; cpu: Record<string, number | undefined> }> {
  const sum = (pids: number[]): number | undefined => {
    let total = 0;
    for (const pid of pids) {
      const us = cpuMicros(pid, pid === nginxPid);
      if (us === undefined) return undefined;
      total += us;
    }
    return total;
  };
  const before = Object.fromEntries(Object.entries(who).map(([k, pids]) => [k, sum(pids)]));
  const r = await run({ url, duration: SECONDS }).done;
  const cpu: Record<string, number | undefined> = {};
  for (const [k, pids] of Object.entries(who)) {
    const a = sum(pids);
    const b = before[k];
    cpu[k] = a === undefined || b === undefined ? undefined : (a - b) / r.requests.total;
  }
  return { rate: r.requests.average, cpu };
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;

const app = mkdtempSync(join(tmpdir(), "gantry-bench-"));
chmodSync(app, 0o755);
cpSync(join(REPO_ROOT, "examples", "hello"), app, {
  recursive: true,
  filter: (src) => !/[/\\](dist|\.gantry)$/.test(src),
});
symlinkSync(join(REPO_ROOT, "node_modules"), join(app, "node_modules"));
setVersion(app, "bench-0");
addPlainService(app);
const lines: string[] = [];
const report = (s: string) => {
  lines.push(s);
  process.stdout.write(`${s}\n`);
};
try {
  process.stdout.write(`bench: gantry up in ${app}\n`);
  const up = await gantry(app, ["up"]);
  if (up.code !== 0) throw new Error(`gantry up failed:\n${up.err}`);
  const st = state(app);
  const proxyUrl = (path: string) => `http://127.0.0.1:${st.proxyPort}${path}`;
  const apiPorts = st.instances.filter((i) => i.service === "api").map((i) => i.port!);

  // Throughput, same load shape: one instance directly, the Gantry proxy (two instances), nginx and
  // the bare relay (the same two). After a warm-up of each (JIT, connection pools), ROUNDS alternated
  // rounds; the median of each is kept: on a shared machine one sample is mostly noise.
  const nginx = await startNginx(apiPorts);
  const relay = await startRelay(apiPorts);
  const paths: { name: "direct" | "proxy" | "nginx" | "relay"; url: string }[] = [
    { name: "direct", url: `http://127.0.0.1:${apiPorts[0]}/api/version` },
    { name: "proxy", url: proxyUrl("/api/version") },
    ...(nginx ? [{ name: "nginx" as const, url: nginx.url("/api/version") }] : []),
    { name: "relay", url: relay.url("/api/version") },
  ];
  const samples: Record<string, number[]> = { direct: [], proxy: [], nginx: [], relay: [] };
  const cpu: Record<string, Record<string, number[]>> = { direct: {}, proxy: {}, nginx: {}, relay: {} };
  const procs = {
    "load generator": [process.pid],
    instances: st.instances.filter((i) => i.service === "api").map((i) => i.pid!),
    supervisor: [st.pid],
    ...(nginx ? { nginx: [nginx.pid] } : {}),
    relay: [relay.pid],
  };
  try {
    for (const p of paths) await run({ url: p.url, duration: 2 }).done;
    for (let round = 0; round < ROUNDS; round++)
      for (const p of paths) {
        const r = await sample(p.url, procs, nginx?.pid);
        samples[p.name]!.push(r.rate);
        for (const [k, v] of Object.entries(r.cpu)) if (v !== undefined) (cpu[p.name]![k] ??= []).push(v);
      }
  } finally {
    await nginx?.stop();
    await relay.stop();
  }
  const cpuLine = (name: string) =>
    Object.entries(cpu[name]!)
      .filter(([, v]) => median(v) >= 0.5) // a peer that sat idle during this path's samples
      .map(([k, v]) => `${k} ${median(v).toFixed(0)}`)
      .join(", ");
  const direct = median(samples.direct!);
  const viaProxy = median(samples.proxy!);
  const viaNginx = nginx ? median(samples.nginx!) : undefined;
  const viaRelay = median(samples.relay!);

  // Steady state at a fixed rate.
  const steady = await run({
    url: proxyUrl("/api/version"),
    duration: SECONDS,
    overallRate: RATE,
    connections: 50,
  }).done;

  // The same rate during deploys and rollbacks.
  const during = run({ url: proxyUrl("/api/version"), duration: 3600, overallRate: RATE, connections: 50 });
  const plainRate = Math.max(50, Math.round(RATE / 4));
  const plain = run({ url: proxyUrl("/plain"), duration: 3600, overallRate: plainRate, connections: 10 });
  const deploySeconds: number[] = [];
  const rollbackSeconds: number[] = [];
  const failedCommands: string[] = [];
  for (let n = 1; n <= DEPLOYS; n++) {
    setVersion(app, `bench-${n}`);
    const t0 = Date.now();
    const r = await gantry(app, ["deploy"]);
    deploySeconds.push((Date.now() - t0) / 1000);
    if (r.code !== 0)
      failedCommands.push(`deploy ${n}: ${r.err.split("\n").find((l) => l.startsWith("error:")) ?? r.err}`);
    process.stdout.write(
      `  deploy ${n}: ${deploySeconds.at(-1)!.toFixed(1)}s${r.code === 0 ? "" : " FAILED"}\n`,
    );
  }
  for (let n = 1; n <= ROLLBACKS; n++) {
    const t0 = Date.now();
    const r = await gantry(app, ["rollback"]);
    rollbackSeconds.push((Date.now() - t0) / 1000);
    if (r.code !== 0)
      failedCommands.push(`rollback ${n}: ${r.err.split("\n").find((l) => l.startsWith("error:")) ?? r.err}`);
    process.stdout.write(
      `  rollback ${n}: ${rollbackSeconds.at(-1)!.toFixed(1)}s${r.code === 0 ? "" : " FAILED"}\n`,
    );
  }
  let badRefused = 0;
  for (let n = 1; n <= BAD_DEPLOYS; n++) {
    writeFileSync(join(app, "plain.cjs"), PLAIN_BAD);
    const r = await gantry(app, ["deploy"]);
    if (r.code !== 0) badRefused++;
    else failedCommands.push(`bad deploy ${n} of plain was not refused`);
    process.stdout.write(`  bad deploy ${n}: ${r.code === 0 ? "NOT REFUSED" : "refused"}\n`);
  }
  writeFileSync(join(app, "plain.cjs"), PLAIN_GOOD);
  during.stop();
  plain.stop();
  const d = await during.done;
  const pl = await plain.done;
  const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const fmt = (x: number) => x.toFixed(2);

  report("");
  report(`local runtime benchmark (examples/hello, ${DEPLOYS} deploys + ${ROLLBACKS} rollbacks under load)`);
  report(
    `  load during deploys:        ${fmt(d.requests.total / d.duration)} req/s offered at ${RATE} req/s, ${d.requests.total} requests over ${fmt(d.duration)}s`,
  );
  report(
    `  failed or 5xx requests:     ${d.errors + d.timeouts + d.non2xx} (errors ${d.errors}, timeouts ${d.timeouts}, non-2xx ${d.non2xx}; target 0)`,
  );
  report(
    `  service without health path: ${pl.errors + pl.timeouts + pl.non2xx} failed or 5xx of ${pl.requests.total} (at ${plainRate} req/s, through the deploys, rollbacks and ${BAD_DEPLOYS} bad deploys of it, ${badRefused} refused; target 0)`,
  );
  report(
    `  p99 latency, steady state:  ${steady.latency.p99} ms (p50 ${steady.latency.p50} ms; failed ${steady.errors + steady.timeouts + steady.non2xx})`,
  );
  report(`  p99 latency, during deploys:${d.latency.p99} ms (p50 ${d.latency.p50} ms)`);
  report(
    `  seconds per deploy:         ${fmt(avg(deploySeconds))} (min ${fmt(Math.min(...deploySeconds))}, max ${fmt(Math.max(...deploySeconds))}; includes the app's build)`,
  );
  report(`  seconds per rollback:       ${fmt(avg(rollbackSeconds))} (target < 3)`);
  report(
    `  machine:                    ${cpus().length} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  report(
    `  throughput direct:          ${fmt(direct)} req/s (one instance, median of ${ROUNDS}, ${CONNECTIONS} connections; samples ${samples.direct!.map((x) => x.toFixed(0)).join(", ")})`,
  );
  report(
    `  throughput via Gantry:      ${fmt(viaProxy)} req/s → ratio ${fmt(viaProxy / direct)} (target ≥ 0.7; samples ${samples.proxy!.map((x) => x.toFixed(0)).join(", ")})`,
  );
  report(
    viaNginx === undefined
      ? "  throughput via nginx:       nginx is not installed"
      : `  throughput via nginx:       ${fmt(viaNginx)} req/s → ratio ${fmt(viaNginx / direct)}, Gantry/nginx ${fmt(viaProxy / viaNginx)} (samples ${samples.nginx!.map((x) => x.toFixed(0)).join(", ")})`,
  );
  report(
    `  throughput via bare relay:  ${fmt(viaRelay)} req/s → ratio ${fmt(viaRelay / direct)} (no HTTP parsing: the floor for a Node proxy; samples ${samples.relay!.map((x) => x.toFixed(0)).join(", ")})`,
  );
  report(`  CPU µs per request, direct: ${cpuLine("direct")}`);
  report(`  CPU µs per request, Gantry: ${cpuLine("proxy")} (the supervisor runs the proxy)`);
  if (nginx) report(`  CPU µs per request, nginx:  ${cpuLine("nginx")}`);
  report(`  CPU µs per request, relay:  ${cpuLine("relay")}`);
  for (const f of failedCommands) report(`  FAILED: ${f}`);
} finally {
  await gantry(app, ["down"]).catch(() => undefined);
  await gantry(app, ["destroy", "--yes"]).catch(() => undefined);
  rmSync(app, { recursive: true, force: true });
}
process.exit(0);
