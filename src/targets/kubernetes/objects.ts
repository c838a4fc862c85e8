// What every builder of a Kubernetes object shares: the object type, names, labels and metadata,
// the restricted security contexts, the parts of a workload's pod, and the checkov skips. Each
// builder (objects-*.ts) does what the chart template of the same name (templates-*.ts) does, so the
// plain manifests in rendered/<env>/ are exactly what `helm template` gives (a test compares them);
// manifests.ts lists which builders make each template file's objects.
import { createHash } from "node:crypto";
import type { ChartValues, WorkloadValues } from "./values.js";

export interface Metadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A Kubernetes object: apiVersion, kind, metadata and the kind's own fields. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
  [field: string]: unknown;
}

import type { Plain } from "../../model/merge.js";

export type { Plain };

/** Go's encoding/json form of a string map (sorted keys, HTML-safe escapes), as Helm's toJson prints it. */
export function goJson(map: Record<string, string>): string {
  const body = Object.keys(map)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(map[k])}`)
    .join(",");
  return `{${body}}`.replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** sha256sum of `toJson` of the ConfigMap data, the pod annotation that restarts pods on config changes. */
export function configChecksum(config: Record<string, string>): string {
  return createHash("sha256").update(goJson(config)).digest("hex");
}

export function selectorLabels(app: string, name: string): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": app };
}

export function labels(app: string, name: string, component: string): Record<string, string> {
  return {
    ...selectorLabels(app, name),
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/managed-by": "gantry",
  };
}

export function meta(
  v: ChartValues,
  ns: string,
  name: string,
  component: string,
  annotations?: Record<string, string>,
): Metadata {
  return {
    name,
    namespace: ns,
    labels: labels(v.global.app, name, component),
    ...(annotations ? { annotations } : {}),
  };
}

export function podSecurityContext(v: ChartValues): Plain {
  const uid = v.global.runAsUser;
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export function containerSecurityContext(v: ChartValues, readOnly: boolean): Plain {
  const uid = v.global.runAsUser;
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: readOnly,
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** <repository>:<tag>, the tag from global.imageTag unless the service pins its own. */
export const imageRef = (v: ChartValues, w: WorkloadValues) => `${w.image}:${w.tag || v.global.imageTag}`;
export const pullSecrets = (v: ChartValues) => v.global.imagePullSecrets.map((name) => ({ name }));
/** The container's `env`: the Secret's keys by reference, then the values composed from them. */
export const containerEnvList = (v: ChartValues, w: WorkloadValues): Plain[] => [
  ...w.secretEnv.map((e) => ({
    name: e.name,
    valueFrom: { secretKeyRef: { name: v.global.secretName, key: e.key } },
  })),
  ...w.composedEnv.map((e) => ({ name: e.name, value: e.value })),
];
export const tmpMount = [{ name: "tmp", mountPath: "/tmp" }];
export const tmpVolume = [{ name: "tmp", emptyDir: {} }];
export const configName = (name: string) => `${name}-config`;

/** The workload's container: image, command, settings from the ConfigMap, secrets by reference. */
export function workloadContainer(v: ChartValues, name: string, w: WorkloadValues): Plain {
  const env = containerEnvList(v, w);
  return {
    name,
    image: imageRef(v, w),
    imagePullPolicy: "Always",
    ...(w.command.length ? { command: w.command } : {}),
    ...(w.type !== "static" ? { envFrom: [{ configMapRef: { name: configName(name) } }] } : {}),
    ...(env.length ? { env } : {}),
    resources: w.resources,
    securityContext: containerSecurityContext(v, w.readOnlyRootFilesystem),
    volumeMounts: tmpMount,
  };
}

/** checkov's per-object skip for a workload whose spec turns the read-only root file system off. */
export const WRITABLE_ROOT: Record<string, string> = {
  "checkov.io/skip3":
    "CKV_K8S_22=the spec gives this service a writable root file system (read_only_root is false)",
};

/** The annotations of the skips that apply (`false` for those that do not), or undefined when none does. */
export const checkovSkips = (...parts: (Record<string, string> | false)[]) => {
  const out = Object.assign({}, ...parts.filter((p) => p !== false)) as Record<string, string>;
  return Object.keys(out).length ? out : undefined;
};
