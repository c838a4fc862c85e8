// What a deploy needs to know of the objects a release installs, read from the manifests the target
// rendered for the environment beside the chart (the same objects as `helm template` gives, which
// test/kubernetes-validate.test.ts holds it to; the objects themselves, not the spec, so it holds for
// whatever the chart makes): the Secrets the pods read and that the chart does not create, the
// workloads whose rollout is watched, the hook Jobs (migrations) and the API versions the cluster must
// serve.
import { parseAllDocuments } from "yaml";
import type { ClusterRelease } from "../../model/cluster-release.js";

/** The tree a target rendered, in memory: relative path → content. */
export type TreeFiles = Readonly<Record<string, string>>;

export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

/** A Secret the pods need, with the keys they read from it (names only). */
export interface NeededSecret {
  name: string;
  keys: string[];
  /** The objects that read it: Deployment/api, Job/api-migrations. */
  users: string[];
}

export interface ReleaseObjects {
  objects: ManifestObject[];
  /** Deployments and StatefulSets, whose rollout a deploy waits for. */
  workloads: { kind: "Deployment" | "StatefulSet"; name: string }[];
  /** Jobs that are Helm hooks (the migrations run before the upgrade). */
  hooks: { name: string; phases: string[] }[];
  secrets: NeededSecret[];
  /** group/version of every object, as `kubectl api-versions` prints them. */
  apiVersions: string[];
}

export function parseManifests(text: string): ManifestObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((o): o is ManifestObject => {
      const m = o as Partial<ManifestObject> | null;
      return typeof m?.kind === "string" && typeof m.apiVersion === "string" && !!m.metadata?.name;
    });
}

type Json = Record<string, unknown>;
const asObj = (v: unknown): Json | undefined =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined;
const asList = (v: unknown): Json[] => (Array.isArray(v) ? v.map(asObj).filter((x): x is Json => !!x) : []);

/** The pod template of a workload: Deployment, StatefulSet, Job, CronJob. */
function podSpec(o: ManifestObject): Json | undefined {
  const spec = asObj(o.spec);
  if (o.kind === "CronJob") return asObj(asObj(asObj(asObj(spec?.jobTemplate)?.spec)?.template)?.spec);
  return asObj(asObj(spec?.template)?.spec);
}

/** Secret references of a pod spec that are not optional: name → keys (empty for whole-Secret references). */
function secretRefs(pod: Json): Map<string, Set<string>> {
  const refs = new Map<string, Set<string>>();
  const add = (name: unknown, key?: unknown) => {
    if (typeof name !== "string") return;
    const keys = refs.get(name) ?? new Set<string>();
    if (typeof key === "string") keys.add(key);
    refs.set(name, keys);
  };
  for (const c of [...asList(pod.containers), ...asList(pod.initContainers)]) {
    for (const e of asList(c.env)) {
      const ref = asObj(asObj(e.valueFrom)?.secretKeyRef);
      if (ref && ref.optional !== true) add(ref.name, ref.key);
    }
    for (const e of asList(c.envFrom)) {
      const ref = asObj(e.secretRef);
      if (ref && ref.optional !== true) add(ref.name);
    }
  }
  for (const v of asList(pod.volumes)) {
    const s = asObj(v.secret);
    if (s && s.optional !== true) add(s.secretName);
  }
  for (const p of asList(pod.imagePullSecrets)) add(p.name);
  return refs;
}

export function releaseObjects(objects: ManifestObject[]): ReleaseObjects {
  const created = new Set(objects.filter((o) => o.kind === "Secret").map((o) => o.metadata.name));
  const needed = new Map<string, NeededSecret>();
  for (const o of objects) {
    const pod = podSpec(o);
    if (!pod) continue;
    for (const [name, keys] of secretRefs(pod)) {
      if (created.has(name)) continue;
      const s = needed.get(name) ?? { name, keys: [], users: [] };
      s.keys = [...new Set([...s.keys, ...keys])].sort();
      s.users.push(`${o.kind}/${o.metadata.name}`);
      needed.set(name, s);
    }
  }
  const hookOf = (o: ManifestObject) => o.metadata.annotations?.["helm.sh/hook"];
  return {
    objects,
    workloads: objects
      .filter((o) => (o.kind === "Deployment" || o.kind === "StatefulSet") && !hookOf(o))
      .map((o) => ({ kind: o.kind as "Deployment" | "StatefulSet", name: o.metadata.name })),
    hooks: objects
      .filter((o) => o.kind === "Job" && hookOf(o))
      .map((o) => ({
        name: o.metadata.name,
        phases: hookOf(o)!
          .split(",")
          .map((p) => p.trim()),
      })),
    secrets: [...needed.values()].sort((a, b) => a.name.localeCompare(b.name)),
    apiVersions: [...new Set(objects.map((o) => o.apiVersion))].sort(),
  };
}

/** The objects the release installs, from the tree its target rendered. */
export function installedObjects(r: ClusterRelease, files: TreeFiles): ReleaseObjects {
  return releaseObjects(r.rendered.flatMap((f) => parseManifests(files[f] ?? "")));
}
