// A real Kubernetes control plane for the cluster tests and the deploy benchmark, without containers:
// etcd, kube-apiserver, kube-controller-manager, kube-scheduler and KWOK (which simulates nodes and
// marks pods Running/Ready, and Job pods Succeeded), all bound to 127.0.0.1 on free ports, in one
// temporary directory. scripts/install-kube.sh builds the binaries into .tools/kube. What this tests
// is the API: admission (quotas, limit ranges, pod security), controllers, scheduling and Helm, not
// the app's containers, which never run (the local runtime's tests run those).
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { stringify } from "yaml";
import { kube, type Kube } from "../src/engine/kubernetes/client.js";
import { exec, spawnProcess, type ExecResult, type SpawnedProcess } from "../src/util/exec.js";
import { REPO_ROOT } from "../src/validate/tools.js";
import { makeCa, openssl, signedByCa } from "./test-certificates.js";

export const KUBE_BIN = join(REPO_ROOT, ".tools", "kube", "bin");
const KUBE_STAGES = join(REPO_ROOT, ".tools", "kube", "stages");
const TOOLS_BIN = join(REPO_ROOT, ".tools", "bin");
/** The CRDs of the operators the chart's custom resources need (../shared/kubernetes-crds/README.md). */
export const SHARED_CRDS = join(REPO_ROOT, "..", "shared", "kubernetes-crds");
const CRD_FOLDERS = ["prometheus-operator", "cert-manager", "dapr", "keda", "external-secrets"];
const COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok"];
/** Zones of the simulated nodes: topology spread across zones and hosts can be observed. */
export const ZONES = ["zone-a", "zone-b", "zone-c"];
const NODES_PER_ZONE = 2;

/** Why the control plane cannot start here, or undefined when it can. */
export function controlPlaneMissing(): string | undefined {
  const missing = COMPONENTS.filter((c) => !existsSync(join(KUBE_BIN, c)));
  if (missing.length) return `not built: ${missing.join(", ")} (run bash scripts/install-kube.sh)`;
  if (!existsSync(join(TOOLS_BIN, "helm")))
    return "helm is not installed (run bash scripts/install-tools.sh)";
  if (!existsSync(SHARED_CRDS)) return `${SHARED_CRDS} is missing`;
  return undefined;
}

/**
 * The `skip` option of a cluster test file: on CI the binaries are required (a missing build must fail
 * the run, not skip it), elsewhere the tests skip and say why.
 */
export function controlPlaneSkip(): string | false {
  const why = controlPlaneMissing();
  if (!why) return false;
  if (process.env.CI === "true") throw new Error(`the Kubernetes control plane is required on CI: ${why}`);
  return why;
}

export interface ControlPlane {
  dir: string;
  /** The engine's client of this cluster (src/engine/kubernetes/client.ts). */
  kube: Kube;
  kubeconfig: string;
  /** The environment kubectl, helm and gantry run with: this cluster's kubeconfig, helm's homes in `dir`. */
  env: NodeJS.ProcessEnv;
  kubectl(args: readonly string[], input?: string): Promise<ExecResult>;
  helm(args: readonly string[]): Promise<ExecResult>;
  /** Like kubectl, but throws with its output when it fails. */
  must(args: readonly string[], input?: string): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A CA, the API server's serving certificate, the admin's client certificate and the service-account keys. */
async function certificates(dir: string): Promise<void> {
  await makeCa(dir, "gantry-test-ca");
  await signedByCa(
    dir,
    "apiserver",
    "/CN=kube-apiserver",
    "subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n",
  );
  // system:masters: the admin (and the controllers, which use its kubeconfig) may do anything.
  await signedByCa(dir, "admin", "/O=system:masters/CN=admin", "extendedKeyUsage=clientAuth\n");
  await openssl(dir, ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key"]);
  await openssl(dir, ["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
}

function kubeconfigYaml(dir: string, server: string): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "gantry-test", cluster: { server, "certificate-authority": join(dir, "ca.crt") } }],
    users: [
      {
        name: "admin",
        user: { "client-certificate": join(dir, "admin.crt"), "client-key": join(dir, "admin.key") },
      },
    ],
    contexts: [{ name: "gantry-test", context: { cluster: "gantry-test", user: "admin" } }],
    "current-context": "gantry-test",
  });
}

/** KWOK's stages as one configuration file (it reads Stage documents from --config). */
function kwokConfig(dir: string): string {
  const docs = readdirSync(KUBE_STAGES)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) =>
      readFileSync(join(KUBE_STAGES, f), "utf8")
        .trim()
        .replace(/^---\n/, ""),
    );
  const file = join(dir, "kwok.yaml");
  writeFileSync(file, `${docs.join("\n---\n")}\n`);
  return file;
}

async function waitFor(
  what: string,
  ok: () => Promise<boolean>,
  timeoutMs: number,
  died: () => string | undefined,
) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const dead = died();
    if (dead) throw new Error(`${what}: ${dead}`);
    if (await ok().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`${what}: not ready after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Nodes KWOK manages (annotation kwok.x-k8s.io/node=fake), spread over zones, with no taints. */
function nodes(): string {
  const list = ZONES.flatMap((zone) =>
    Array.from({ length: NODES_PER_ZONE }, (_, i) => {
      const name = `kwok-${zone}-${i}`;
      return {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
          name,
          annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
          labels: {
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "topology.kubernetes.io/zone": zone,
            type: "kwok",
          },
        },
        status: {
          allocatable: { cpu: "32", memory: "128Gi", pods: "110" },
          capacity: { cpu: "32", memory: "128Gi", pods: "110" },
        },
      };
    }),
  );
  return list.map((n) => stringify(n)).join("---\n");
}

/**
 * The default StorageClass: the controller manager's HostPath provisioner (--enable-hostpath-provisioner)
 * makes a volume for every claim, so StatefulSets' claims bind and their pods schedule.
 */
const STORAGE_CLASS = stringify({
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: { name: "hostpath", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
  provisioner: "kubernetes.io/host-path",
  reclaimPolicy: "Delete",
  volumeBindingMode: "Immediate",
});

/** Starts the control plane; on any failure it stops what it started and removes its directory. */
export async function startControlPlane(): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), "gantry-kube-"));
  const procs: { name: string; p: SpawnedProcess; exited: boolean; code?: number | null }[] = [];
  const logs: number[] = [];
  const killAll = () => {
    for (const x of procs) if (!x.exited) x.p.kill("SIGKILL");
  };
  // A test runner that dies (an uncaught error) or is stopped (Ctrl-C, a timeout's SIGTERM) must not
  // leave an API server behind: the processes lead groups of their own, so no signal reaches them.
  const onSignal = (signal: NodeJS.Signals) => {
    killAll();
    rmSync(dir, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  process.once("exit", killAll);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const start = async (name: string, args: string[]) => {
    const fd = openSync(join(dir, `${name}.log`), "a");
    logs.push(fd);
    const p = await spawnProcess(join(KUBE_BIN, name), args, { cwd: dir, group: true, output: fd });
    const entry: (typeof procs)[number] = { name, p, exited: false };
    void p.exited.then((e) => {
      entry.exited = true;
      entry.code = e.code;
    });
    procs.push(entry);
    return entry;
  };
  const died = () => {
    const dead = procs.find((x) => x.exited);
    if (!dead) return undefined;
    const log = readFileSync(join(dir, `${dead.name}.log`), "utf8")
      .split("\n")
      .slice(-15)
      .join("\n");
    return `${dead.name} exited (${dead.code}):\n${log}`;
  };
  const stop = async () => {
    process.off("exit", killAll);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    for (const x of [...procs].reverse()) if (!x.exited) x.p.kill("SIGTERM");
    await Promise.race([
      Promise.all(procs.map((x) => x.p.exited)),
      new Promise((r) => setTimeout(r, 10_000)),
    ]);
    killAll();
    await Promise.all(procs.map((x) => x.p.exited));
    for (const fd of logs) closeSync(fd);
    if (process.env.GANTRY_KEEP_KUBE !== "1") rmSync(dir, { recursive: true, force: true });
  };
  try {
    await certificates(dir);
    const [etcdClient, etcdPeer, apiPort, cmPort, schedPort] = await Promise.all(
      Array.from({ length: 5 }, () => freePort()),
    );
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    await start("etcd", [
      "--name=gantry",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=gantry=http://127.0.0.1:${etcdPeer}`,
      // A throwaway cluster: no fsync, so the shared disk does not slow every write.
      "--unsafe-no-fsync",
      "--log-level=warn",
    ]);
    await waitFor("etcd", async () => (await fetch(`${etcdUrl}/health`)).ok, 30_000, died);

    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, kubeconfigYaml(dir, server));
    const f = (name: string) => join(dir, name);
    await start("kube-apiserver", [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${f("apiserver.crt")}`,
      `--tls-private-key-file=${f("apiserver.key")}`,
      `--client-ca-file=${f("ca.crt")}`,
      `--service-account-key-file=${f("sa.pub")}`,
      `--service-account-signing-key-file=${f("sa.key")}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      "--service-cluster-ip-range=10.0.0.0/16",
      "--authorization-mode=Node,RBAC",
      "--profiling=false",
    ]);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KUBECONFIG: kubeconfig,
      PATH: [KUBE_BIN, TOOLS_BIN, process.env.PATH ?? ""].join(delimiter),
      HELM_CACHE_HOME: f("helm/cache"),
      HELM_CONFIG_HOME: f("helm/config"),
      HELM_DATA_HOME: f("helm/data"),
    };
    const kubectl = (args: readonly string[], input?: string) =>
      exec(join(KUBE_BIN, "kubectl"), args, {
        env,
        timeoutMs: 300_000,
        ...(input !== undefined ? { input } : {}),
      });
    const must = async (args: readonly string[], input?: string) => {
      const r = await kubectl(args, input);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed:\n${r.stderr}${r.stdout}`);
      return r.stdout;
    };
    await waitFor(
      "kube-apiserver",
      async () => (await kubectl(["get", "--raw", "/readyz"])).code === 0,
      90_000,
      died,
    );

    const common = [`--kubeconfig=${kubeconfig}`, "--bind-address=127.0.0.1", "--leader-elect=false"];
    await start("kube-controller-manager", [
      ...common,
      `--secure-port=${cmPort}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      `--service-account-private-key-file=${f("sa.key")}`,
      `--root-ca-file=${f("ca.crt")}`,
      "--enable-hostpath-provisioner",
      // KWOK renews the nodes' leases, but on a machine this loaded a renewal can come late: a node
      // marked NotReady would mark its pods unready and fail a rollout for no reason of the chart's.
      "--node-monitor-grace-period=30m",
      // Pods of deleted namespaces and finished hooks go at once.
      "--concurrent-gc-syncs=5",
    ]);
    await start("kube-scheduler", [
      ...common,
      `--secure-port=${schedPort}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
    ]);
    await start("kwok", [
      `--kubeconfig=${kubeconfig}`,
      `--config=${kwokConfig(dir)}`,
      "--manage-all-nodes=false",
      "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
      "--node-ip=127.0.0.1",
      "--cidr=10.1.0.0/16",
    ]);
    await must(["apply", "-f", "-"], nodes());
    await must(["apply", "-f", "-"], STORAGE_CLASS);
    await must([
      "apply",
      "--server-side",
      "--force-conflicts",
      ...CRD_FOLDERS.flatMap((c) => ["-f", join(SHARED_CRDS, c)]),
    ]);
    await must(["wait", "--for=condition=Established", "crd", "--all", "--timeout=120s"]);
    await must(["wait", "--for=condition=Ready", "node", "--all", "--timeout=120s"]);
    // Pods need the namespace's default ServiceAccount, which the controller manager creates.
    await waitFor(
      "the default ServiceAccount",
      async () => (await kubectl(["get", "serviceaccount", "default", "-n", "default"])).code === 0,
      60_000,
      died,
    );
    return {
      dir,
      kube: kube({ kubectl: join(KUBE_BIN, "kubectl"), helm: join(TOOLS_BIN, "helm"), env }),
      kubeconfig,
      env,
      kubectl,
      must,
      helm: (args) => exec(join(TOOLS_BIN, "helm"), args, { env, timeoutMs: 600_000 }),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
