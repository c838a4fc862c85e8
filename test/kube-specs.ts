// The examples' Kubernetes trees for the cluster tests and the deploy benchmark: each environment in
// a namespace of its own (`<example>-<env>`, so the examples share one control plane), the spec
// changes an upgrade must take, and the Secrets a release reads, made with placeholder values.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDocument, type Document } from "yaml";
import { SpecError } from "../src/errors.js";
import { applyBootstrap } from "../src/engine/kubernetes/bootstrap.js";
import { installedObjects, type ReleaseObjects } from "../src/engine/kubernetes/manifests.js";
import type { ClusterRelease } from "../src/model/cluster-release.js";
import { loadSpec, type LoadResult } from "../src/model/load.js";
import type { AppModel } from "../src/model/types.js";
import { writeTree } from "../src/output/writer.js";
import { kubernetesTarget } from "../src/targets/kubernetes/index.js";
import type { FileTree } from "../src/targets/target.js";
import { REPO_ROOT, exampleContext, examplePath } from "./helpers.js";
import type { ControlPlane } from "./kube-control-plane.js";

export interface ClusterCase {
  example: string;
  env: string;
  namespace: string;
  loaded: LoadResult;
  model: AppModel;
  tree: FileTree;
  /** The tree written to a scratch directory (chart/, cluster-bootstrap/); removed by cleanup. */
  dir: string;
  release: ClusterRelease;
  cleanup: () => void;
}

/** The examples with a Kubernetes tree (examples/<name>/deploy/kubernetes), and their environments. */
export function clusterExamples(examples: readonly string[]): { example: string; env: string }[] {
  return examples
    .filter((example) => existsSync(join(REPO_ROOT, "examples", example, "deploy", "kubernetes", "chart")))
    .flatMap((example) => {
      const doc = parseDocument(readFileSync(examplePath(example), "utf8")).toJS() as {
        environments?: Record<string, unknown>;
      };
      return Object.keys(doc.environments ?? {}).map((env) => ({ example, env }));
    });
}

export function exampleDoc(example: string): Document {
  return parseDocument(readFileSync(examplePath(example), "utf8"));
}

/** Renders the example (its document changed by `change`) with its environments in their own namespaces. */
export function clusterCase(
  example: string,
  env: string,
  doc: Document = exampleDoc(example),
  tag = "",
): ClusterCase {
  const namespace = `${example}-${env}${tag}`;
  for (const e of Object.keys((doc.toJS() as { environments?: object }).environments ?? {}))
    doc.setIn(["environments", e, "namespace"], `${example}-${e}${tag}`);
  const loaded = loadSpec(`examples/${example}/gantry.yaml`, doc.toString());
  const problems = kubernetesTarget
    .check(loaded.project, exampleContext(example))
    .filter((p) => p.severity !== "warning");
  if (problems.length)
    throw new Error(`${example}: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`);
  const tree = kubernetesTarget.render(loaded.project, exampleContext(example));
  const model = loaded.project.environments.find((m) => m.environment.name === env)!;
  const dir = mkdtempSync(join(tmpdir(), `gantry-k8s-${example}-`));
  writeTree(join(dir, "tree"), tree, true);
  return {
    example,
    env,
    namespace,
    loaded,
    model,
    tree,
    dir: join(dir, "tree"),
    release: kubernetesTarget.clusterRelease!(model, tree),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Whether the spec loads and the Kubernetes target takes it. */
function acceptable(example: string, doc: Document): boolean {
  try {
    const loaded = loadSpec(`examples/${example}/gantry.yaml`, doc.toString());
    return !kubernetesTarget
      .check(loaded.project, exampleContext(example))
      .some((p) => p.severity !== "warning");
  } catch (e) {
    if (e instanceof SpecError) return false;
    throw e;
  }
}

export interface SpecChange {
  doc: Document;
  /** The service whose replicas, resources and port changed. */
  changed: string;
  port: number;
  added: string;
  removed?: string;
}

/**
 * The spec changes an upgrade must take without an immutable-field error: a service's replicas,
 * resources and port change, a new service appears, another one goes.
 */
export function changedSpec(example: string, env: string): SpecChange {
  const doc = exampleDoc(example);
  const services = doc.toJS() as { services: Record<string, { port?: number; schedule?: string }> };
  const [changed, svc] = Object.entries(services.services).find(([, s]) => s.port !== undefined)!;
  const port = svc.port! + 100;
  doc.setIn(["services", changed, "port"], port);
  doc.setIn(["services", changed, "resources"], {
    requests: { cpu: "150m", memory: "192Mi" },
    limits: { cpu: "300m", memory: "384Mi" },
  });
  doc.setIn(["environments", env, "services", changed, "scale"], 3);
  const added = "added-api";
  doc.setIn(["services", added], { image: "nginx:1.27.3", port: 8080, health: "/healthz" });
  for (const name of Object.keys(services.services).reverse()) {
    if (name === changed) continue;
    const without = doc.clone();
    without.deleteIn(["services", name]);
    for (const e of Object.keys((doc.toJS() as { environments?: object }).environments ?? {}))
      if (without.hasIn(["environments", e, "services", name]))
        without.deleteIn(["environments", e, "services", name]);
    if (acceptable(example, without)) return { doc: without, changed, port, added, removed: name };
  }
  return { doc, changed, port, added };
}

/** The objects a case's release installs, read as `gantry deploy` reads them. */
export function installed(c: ClusterCase): ReleaseObjects {
  return installedObjects(c.release, c.tree);
}

/**
 * The environment's bootstrap (namespace, quota, limit range, Dapr configuration) as `gantry deploy`
 * applies it before an upgrade (quotas only grow), then its Secrets.
 */
export async function bootstrap(cp: ControlPlane, c: ClusterCase, objects: ReleaseObjects): Promise<void> {
  await applyBootstrap(cp.kube, c.release, c.tree, "before");
  await createSecrets(cp, c.namespace, objects);
}

/** The Secrets the pods read, with placeholder values for their keys. */
export async function createSecrets(
  cp: ControlPlane,
  namespace: string,
  objects: ReleaseObjects,
): Promise<void> {
  for (const s of objects.secrets) {
    const literals = (s.keys.length ? s.keys : ["placeholder"]).map((k) => `--from-literal=${k}=test-value`);
    const yaml = await cp.must([
      "create",
      "secret",
      "generic",
      s.name,
      "-n",
      namespace,
      ...literals,
      "--dry-run=client",
      "-o",
      "yaml",
    ]);
    await cp.must(["apply", "-f", "-"], yaml);
  }
}
