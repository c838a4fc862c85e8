// Progress while Helm installs a release: the hook Jobs (migrations) and every workload's replicas, one
// line whenever one changes; and, when a rollout fails, why: the Warning events of its pods and of the
// controllers that could not make them (a quota or limit range refusing a pod is an event of its
// ReplicaSet, a pod that fits no node one of the pod).
import type { Kube } from "./client.js";

interface Status {
  kind: string;
  name: string;
  line: string;
}

type Json = Record<string, unknown>;
const num = (v: unknown) => (typeof v === "number" ? v : 0);

function describe(o: Json): Status | undefined {
  const meta = o.metadata as { name: string } | undefined;
  const kind = o.kind as string;
  const spec = (o.spec ?? {}) as Json;
  const st = (o.status ?? {}) as Json;
  if (!meta) return undefined;
  if (kind === "Job") {
    const conds = (st.conditions ?? []) as { type: string; status: string }[];
    const done = conds.find((c) => c.status === "True" && (c.type === "Complete" || c.type === "Failed"));
    const state = done
      ? done.type === "Complete"
        ? "completed"
        : "failed"
      : num(st.active)
        ? "running"
        : "created";
    return { kind, name: meta.name, line: `job ${meta.name}: ${state}` };
  }
  const want = num(spec.replicas);
  return {
    kind,
    name: meta.name,
    line: `${meta.name}: ${num(st.updatedReplicas)}/${want} updated, ${num(st.readyReplicas)}/${want} ready`,
  };
}

/** The statuses of the release's Jobs, Deployments and StatefulSets now. */
export async function statuses(k: Kube, namespace: string, app: string): Promise<Status[]> {
  const r = await k.kubectl([
    "get",
    "jobs,deployments,statefulsets",
    "--namespace",
    namespace,
    "--selector",
    `app.kubernetes.io/part-of=${app}`,
    "--output",
    "json",
  ]);
  if (r.code !== 0) return [];
  const items = ((JSON.parse(r.stdout) as { items?: Json[] }).items ?? []).map(describe);
  return items.filter((s): s is Status => !!s).sort((a, b) => a.line.localeCompare(b.line));
}

/**
 * Reports each change of the release's workloads until `done` settles. Polling, not `kubectl get -w`:
 * one short request a second is all a progress line needs, and nothing is left running afterwards.
 */
export async function watchRollout<T>(
  k: Kube,
  namespace: string,
  app: string,
  progress: (line: string) => void,
  done: Promise<T>,
): Promise<T> {
  const seen = new Map<string, string>();
  let finished = false;
  const report = async () => {
    const now = await statuses(k, namespace, app).catch(() => undefined);
    if (!now) return;
    const ids = new Set<string>();
    for (const s of now) {
      const id = `${s.kind}/${s.name}`;
      ids.add(id);
      if (seen.get(id) !== s.line) progress(s.line);
      seen.set(id, s.line);
    }
    // A hook Job that ran and is gone was deleted by its hook-succeeded policy: it completed.
    for (const [id, line] of seen)
      if (id.startsWith("Job/") && !ids.has(id) && !/: (completed|failed)$/.test(line)) {
        const gone = `job ${id.slice(4)}: completed`;
        progress(gone);
        seen.set(id, gone);
      }
  };
  void done.finally(() => (finished = true)).catch(() => undefined);
  const poll = async () => {
    while (!finished) {
      await report();
      await Promise.race([done.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
    }
  };
  const polling = poll();
  try {
    return await done;
  } finally {
    finished = true;
    await polling;
    // The state the rollout ended in (Helm may return between two polls).
    await report();
  }
}

interface Event {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  involvedObject?: { kind?: string; name?: string };
  lastTimestamp?: string;
  eventTime?: string;
  metadata?: { creationTimestamp?: string };
}

/** The Warning events since `since` of the namespace's pods and of what makes them, newest last. */
export async function failureEvents(k: Kube, namespace: string, since: Date): Promise<string[]> {
  const r = await k.kubectl([
    "get",
    "events",
    "--namespace",
    namespace,
    "--field-selector",
    "type=Warning",
    "--output",
    "json",
  ]);
  if (r.code !== 0) return [];
  const kinds = new Set(["Pod", "ReplicaSet", "StatefulSet", "Job", "Deployment", "PersistentVolumeClaim"]);
  const lines = ((JSON.parse(r.stdout) as { items?: Event[] }).items ?? [])
    .map((e) => ({
      e,
      at: Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? ""),
    }))
    .filter(({ e, at }) => kinds.has(e.involvedObject?.kind ?? "") && !(at < since.getTime() - 1000))
    .sort((a, b) => a.at - b.at)
    .map(
      ({ e }) =>
        `${e.involvedObject?.kind ?? "?"}/${e.involvedObject?.name ?? "?"}: ${e.reason ?? "?"}: ${(e.message ?? "").trim()}${e.count && e.count > 1 ? ` (x${e.count})` : ""}`,
    );
  return [...new Set(lines)].slice(-15);
}
