// Changes Kubernetes refuses on `helm upgrade`: fields of an existing object that cannot change once
// it exists. The release in the cluster is not known offline, but the tree `gantry synth` wrote last
// is (it is what the pipelines deployed from): each environment's rendered objects of the new render
// are compared with the same objects there, so a spec change that would fail the deploy is a finding
// at the spec line that causes it, before any cluster sees it.
// Immutable fields, from the API reference: a Deployment's and StatefulSet's spec.selector ("It must
// match the pod template's labels ... immutable"); a StatefulSet accepts updates only to replicas,
// ordinals, template, updateStrategy, persistentVolumeClaimRetentionPolicy and minReadySeconds (the
// API server's validation of StatefulSet updates); a Job's spec.template and spec.selector are
// immutable (Job hooks are deleted and created anew, so only Jobs that are not hooks count).
import { isDeepStrictEqual } from "node:util";
import type { ProjectModel } from "../../model/types.js";
import type { FileTree, RuleDoc, SystemFinding } from "../target.js";
import { parseFile } from "./parsed-yaml.js";

export const IMMUTABLE_RULE: RuleDoc = {
  id: "kubernetes/immutable-change",
  title:
    "A change to a field Kubernetes does not let an upgrade change (a selector, a volume claim template)",
  severity: "error",
  why: "The API server refuses to update a Deployment's or StatefulSet's selector, a StatefulSet's volumeClaimTemplates or serviceName, or a Job's template: `helm upgrade --atomic` fails and rolls back, so the change never deploys.",
  fix: "Keep the field as it was; or replace the object on purpose: for a StatefulSet, resize its claims (`kubectl patch pvc`) and `kubectl delete statefulset <name> --cascade=orphan` before the deploy, so that the upgrade creates it anew over the same pods and volumes.",
};

interface Obj {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

/** The fields of an object of this kind that cannot change, as [field, value]. */
function immutable(o: Obj): [string, unknown][] {
  const spec = o.spec ?? {};
  switch (o.kind) {
    case "Deployment":
    case "DaemonSet":
      return [["spec.selector", spec.selector]];
    case "StatefulSet":
      return [
        ["spec.selector", spec.selector],
        ["spec.volumeClaimTemplates", spec.volumeClaimTemplates],
        ["spec.serviceName", spec.serviceName],
        ["spec.podManagementPolicy", spec.podManagementPolicy],
      ];
    case "Job":
      return o.metadata.annotations?.["helm.sh/hook"]
        ? []
        : [
            ["spec.template", spec.template],
            ["spec.selector", spec.selector],
          ];
    default:
      return [];
  }
}

/** The objects of one environment's rendered manifests, by `Kind/name`, with the file each is in. */
function objectsOf(tree: FileTree, env: string): Map<string, { o: Obj; file: string; line?: number }> {
  const out = new Map<string, { o: Obj; file: string; line?: number }>();
  const prefix = `rendered/${env}/`;
  for (const file of Object.keys(tree).filter((f) => f.startsWith(prefix) && f.endsWith(".yaml"))) {
    const parsed = parseFile(tree, file);
    for (const doc of parsed?.docs ?? []) {
      const o = doc.toJS() as Obj | null;
      if (!o?.kind || !o.metadata?.name) continue;
      const line = parsed!.line(doc.contents);
      out.set(`${o.kind}/${o.metadata.name}`, { o, file, ...(line ? { line } : {}) });
    }
  }
  return out;
}

const partOf = (x: Obj) => x.metadata.labels?.["app.kubernetes.io/part-of"];

/** The spec entry an object comes from, and the field of it a changed immutable field follows. */
function specPath(project: ProjectModel, o: Obj, field: string, before: Obj): string {
  const base = project.environments[0];
  if (field === "spec.selector" && partOf(o) !== partOf(before)) return "name";
  const name = o.metadata.labels?.["app.kubernetes.io/name"] ?? o.metadata.name;
  for (const kind of ["postgres", "redis"] as const) {
    const entry = name.startsWith(`${kind}-`) ? name.slice(kind.length + 1) : undefined;
    if (entry && base?.[kind][entry])
      return `${kind}.${entry}${field === "spec.volumeClaimTemplates" ? ".storage_gb" : ""}`;
  }
  return base?.services[name] ? `services.${name}` : "services";
}

const show = (v: unknown) => (v === undefined ? "unset" : JSON.stringify(v));

/**
 * Every immutable field of an object in both trees whose value differs, per environment. `previous`
 * is the tree on disk from the last synth; objects only one tree has are created or deleted, which
 * Kubernetes allows.
 */
export function immutableChanges(project: ProjectModel, previous: FileTree, next: FileTree): SystemFinding[] {
  const findings: SystemFinding[] = [];
  for (const app of project.environments) {
    const env = app.environment.name;
    const before = objectsOf(previous, env);
    const renamed = new Set<string>();
    for (const [id, now] of objectsOf(next, env)) {
      const old = before.get(id);
      if (!old) continue;
      const [app0, app1] = [partOf(old.o), partOf(now.o)];
      if (app0 && app1 && app0 !== app1) {
        // One finding for the app's new name, not one per selector it is in.
        if (!renamed.has(app1))
          findings.push({
            rule: IMMUTABLE_RULE.id,
            env,
            path: "name",
            message: `the app was ${app0} at the last synth: its name is the Helm release's and is in every selector (app.kubernetes.io/part-of), so ${app1}'s objects would collide with ${app0}'s in namespace ${app.environment.namespace} (${id} first)`,
            hint: `keep the name, or remove the old release first (\`helm uninstall ${app0} --namespace ${app.environment.namespace}\`; volume claims stay)`,
          });
        renamed.add(app1);
        continue;
      }
      const was = new Map(immutable(old.o));
      for (const [field, value] of immutable(now.o)) {
        if (isDeepStrictEqual(was.get(field), value)) continue;
        const brief =
          field === "spec.template" ? "" : ` (${show(was.get(field))} before, ${show(value)} now)`;
        findings.push({
          rule: IMMUTABLE_RULE.id,
          env,
          path: specPath(project, now.o, field, old.o),
          file: now.file,
          ...(now.line ? { line: now.line } : {}),
          message: `${id}'s ${field} changes from the last synth${brief}, and Kubernetes refuses that change on upgrade: the deploy would fail and roll back`,
          hint:
            now.o.kind === "StatefulSet"
              ? `keep it as it was, or resize the claims with \`kubectl patch pvc\` and run \`kubectl delete statefulset ${now.o.metadata.name} --namespace ${app.environment.namespace} --cascade=orphan\` before the deploy (the pods and volumes stay)`
              : `keep it as it was, or delete ${id} in namespace ${app.environment.namespace} before the deploy so that the upgrade creates it anew`,
        });
      }
    }
  }
  return findings;
}
