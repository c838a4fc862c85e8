// `gantry deploy --target kubernetes`: the plan of one environment's deploy (printable with --plan),
// then its steps in order. The cluster bootstrap when it is missing, the Secrets the pods read (names
// and keys only, never values), then one `helm upgrade --install --atomic`, which runs the migrations
// hook before any workload changes and undoes a rollout that does not complete; progress while it
// runs; smoke checks after it, and a rollback when they fail. A failure says why with the Warning
// events of the pods that failed.
import { join } from "node:path";
import { UserError } from "../../errors.js";
import { applyBootstrap } from "./bootstrap.js";
import { firstLines, type Kube } from "./client.js";
import { parseManifests, releaseObjects, type ReleaseObjects } from "./manifests.js";
import type { HelmRelease, KubeStep } from "./release.js";
import { smokeCheck } from "./smoke.js";
import { failureEvents, watchRollout } from "./watch.js";

export interface DeployOptions {
  /** The directory `gantry synth kubernetes` writes (chart/, cluster-bootstrap/). */
  tree: string;
  imageTag?: string;
  /** Skip the smoke checks (a cluster whose public URLs this machine cannot reach). */
  smoke: boolean;
  progress: (line: string) => void;
}

/** The objects the release installs, from `helm template` with the environment's values. */
export async function templateRelease(k: Kube, r: HelmRelease, o: DeployOptions): Promise<ReleaseObjects> {
  const t = await k.helm([
    "template",
    r.app,
    join(o.tree, r.chart),
    "--namespace",
    r.namespace,
    "--values",
    join(o.tree, r.values),
    ...valueArgs(o),
  ]);
  if (t.code !== 0) throw new UserError(`helm template of the chart failed: ${firstLines(t)}`);
  return releaseObjects(parseManifests(t.stdout));
}

const valueArgs = (o: { imageTag?: string }) =>
  o.imageTag ? ["--set-string", `global.imageTag=${o.imageTag}`] : [];

function upgradeArgs(r: HelmRelease, o: DeployOptions): string[] {
  return [
    "upgrade",
    "--install",
    r.app,
    join(o.tree, r.chart),
    "--namespace",
    r.namespace,
    "--values",
    join(o.tree, r.values),
    ...valueArgs(o),
    "--atomic",
    "--wait",
    "--wait-for-jobs",
    "--timeout",
    r.timeout,
    "--history-max",
    "10",
  ];
}

/** What the deploy will do, step by step. */
export function deployPlan(r: HelmRelease, objects: ReleaseObjects, o: DeployOptions): KubeStep[] {
  const steps: KubeStep[] = [
    { kind: "cluster", lines: ["reach the cluster and read which API versions it serves"] },
    {
      kind: "platform",
      lines: [
        `the chart uses ${objects.apiVersions.join(", ")}`,
        r.bootstrap.installer
          ? `when one is not served: run ${r.bootstrap.installer} (platform charts and their CRDs), then check again`
          : "when one is not served: stop and name it",
      ],
    },
    {
      kind: "namespace",
      lines: [
        `kubectl apply ${r.bootstrap.manifests.join(", ")}: namespace ${r.namespace} with its quota and limits, made when missing and kept to the spec`,
      ],
    },
    {
      kind: "secrets",
      lines: objects.secrets.length
        ? objects.secrets.map(
            (s) =>
              `${s.name} exists in ${r.namespace}${s.keys.length ? ` with keys ${s.keys.join(", ")}` : ""}`,
          )
        : ["the pods read no Secret"],
    },
  ];
  if (objects.hooks.length)
    steps.push({
      kind: "migrations",
      lines: objects.hooks.map(
        (h) => `job ${h.name} runs as the ${h.phases.join("/")} hook, before any workload changes`,
      ),
    });
  steps.push(
    { kind: "upgrade", lines: [`helm ${upgradeArgs(r, o).join(" ")}`] },
    {
      kind: "rollout",
      lines: [
        `${objects.workloads.map((w) => `${w.kind}/${w.name}`).join(", ") || "nothing"} reach their replicas; a rollout that does not is undone by --atomic`,
      ],
    },
    {
      kind: "smoke",
      lines: !o.smoke
        ? ["skipped (--no-smoke)"]
        : r.smoke.urls.length
          ? [...r.smoke.urls.map((u) => `GET ${u}`), "when one fails: helm rollback to the previous revision"]
          : ["no public health URL in the spec"],
    },
  );
  return steps;
}

/** Whether every group/version the chart uses is served; runs the cluster bootstrap once when not. */
async function ensurePlatform(k: Kube, r: HelmRelease, objects: ReleaseObjects, o: DeployOptions) {
  const missing = async () => {
    const served = new Set((await k.must(["api-versions"])).split("\n").map((l) => l.trim()));
    return objects.apiVersions.filter((v) => !served.has(v));
  };
  let absent = await missing();
  if (!absent.length) return;
  if (!r.bootstrap.installer)
    throw new UserError(`the cluster does not serve ${absent.join(", ")}, which the chart uses`);
  o.progress(`the cluster does not serve ${absent.join(", ")}: running ${r.bootstrap.installer}`);
  const run = await k.script(join(o.tree, r.bootstrap.installer));
  if (run.code !== 0)
    throw new UserError(
      `${r.bootstrap.installer} failed: ${firstLines(run)}`,
      "it installs the platform charts from their Helm repositories: run it yourself to see each step",
    );
  absent = await missing();
  if (absent.length)
    throw new UserError(
      `the cluster still does not serve ${absent.join(", ")} after ${r.bootstrap.installer}`,
    );
}

/** The environment's bootstrap before the upgrade (see bootstrap.ts: quotas only grow then). */
async function ensureNamespace(k: Kube, r: HelmRelease, o: DeployOptions) {
  const changed = await applyBootstrap(k, r, o.tree, "before");
  o.progress(
    changed.length
      ? `bootstrap of ${r.environment}: ${changed.join(", ")}`
      : `bootstrap of ${r.environment}: namespace ${r.namespace}, its quota and limits are in place`,
  );
}

/** The Secrets (and keys) the pods read that the namespace lacks. Only key names are read. */
async function missingSecrets(k: Kube, r: HelmRelease, objects: ReleaseObjects): Promise<string[]> {
  const out: string[] = [];
  for (const s of objects.secrets) {
    // The template prints key names only: the values never leave kubectl.
    const got = await k.kubectl([
      "get",
      "secret",
      s.name,
      "--namespace",
      r.namespace,
      "--output",
      'go-template={{range $k, $v := .data}}{{$k}}{{"\\n"}}{{end}}',
    ]);
    if (got.code !== 0) {
      out.push(
        `${s.name}${s.keys.length ? ` (keys ${s.keys.join(", ")})` : ""}, read by ${s.users.join(", ")}`,
      );
      continue;
    }
    const keys = new Set(got.stdout.split("\n").filter(Boolean));
    const lacking = s.keys.filter((key) => !keys.has(key));
    if (lacking.length) out.push(`${s.name} has no key ${lacking.join(", ")}`);
  }
  return out;
}

/** Why a failed upgrade failed: Helm's words, then what the cluster said about the pods. */
async function explain(k: Kube, r: HelmRelease, since: Date, helmError: string): Promise<never> {
  const events = await failureEvents(k, r.namespace, since);
  throw new UserError(
    `the deploy of ${r.app} to ${r.namespace} failed and was rolled back: ${helmError}${events.length ? `\n${events.map((e) => `  ${e}`).join("\n")}` : ""}`,
    `the release before it keeps serving; \`gantry releases --target kubernetes --env ${r.environment}\` lists the revisions`,
  );
}

export async function deploy(k: Kube, r: HelmRelease, o: DeployOptions): Promise<string> {
  const p = o.progress;
  const objects = await templateRelease(k, r, o);
  p(`cluster: ${await reach(k)}`);
  await ensurePlatform(k, r, objects, o);
  await ensureNamespace(k, r, o);
  const missing = await missingSecrets(k, r, objects);
  if (missing.length)
    throw new UserError(
      `namespace ${r.namespace} lacks the Secrets the pods read:\n${missing.map((m) => `  ${m}`).join("\n")}`,
      `create them first${r.bootstrap.secretsDoc ? ` (${r.bootstrap.secretsDoc} says how)` : ""}; the release was not touched`,
    );
  if (objects.hooks.length)
    p(`migrations run first: ${objects.hooks.map((h) => `job ${h.name}`).join(", ")}`);
  p(
    `helm upgrade --install ${r.app} (namespace ${r.namespace}${o.imageTag ? `, image tag ${o.imageTag}` : ""})`,
  );
  const since = new Date();
  const upgrade = await watchRollout(k, r.namespace, r.app, p, k.helm(upgradeArgs(r, o)));
  if (upgrade.code !== 0) return explain(k, r, since, firstLines(upgrade));
  // The spec's quota as is, now that no pod of the release before needs room.
  const settled = await applyBootstrap(k, r, o.tree, "after");
  if (settled.length) p(`bootstrap of ${r.environment}: ${settled.join(", ")}`);
  const revision = await currentRevision(k, r);
  if (o.smoke && r.smoke.urls.length) {
    const failed = await smokeCheck(r.smoke.urls, r.smoke.trusted, p);
    if (failed) await rollbackAfterSmoke(k, r, o, revision, failed);
  }
  return `deployed ${r.app} revision ${revision} to ${r.namespace}`;
}

/** The server's version, or why the cluster cannot be reached. */
async function reach(k: Kube): Promise<string> {
  const v = await k.kubectl(["version", "--output", "json"]);
  if (v.code !== 0)
    throw new UserError(
      `cannot reach the cluster: ${firstLines(v, 3)}`,
      "check the kubeconfig (KUBECONFIG) and --context",
    );
  try {
    const parsed = JSON.parse(v.stdout) as { serverVersion?: { gitVersion?: string } };
    return `Kubernetes ${parsed.serverVersion?.gitVersion ?? "(version unknown)"}`;
  } catch {
    return "reached";
  }
}

async function currentRevision(k: Kube, r: HelmRelease): Promise<number> {
  const h = await history(k, r);
  return h.at(-1)?.revision ?? 0;
}

async function rollbackAfterSmoke(k: Kube, r: HelmRelease, o: DeployOptions, revision: number, why: string) {
  if (revision <= 1)
    throw new UserError(
      `smoke check failed: ${why}; this is the first revision of ${r.app}, so there is nothing to roll back to`,
      `fix it and deploy again, or remove it with \`helm uninstall ${r.app} --namespace ${r.namespace}\``,
    );
  o.progress(`smoke check failed (${why}): rolling back to revision ${revision - 1}`);
  const back = await k.helm([
    "rollback",
    r.app,
    String(revision - 1),
    "--namespace",
    r.namespace,
    "--wait",
    "--timeout",
    r.timeout,
  ]);
  throw new UserError(
    `smoke check failed: ${why}; ${back.code === 0 ? `rolled back to revision ${revision - 1}` : `and the rollback failed too: ${firstLines(back)}`}`,
    "see `gantry status --target kubernetes` and the service's logs (`kubectl logs`)",
  );
}

export interface Revision {
  revision: number;
  updated: string;
  status: string;
  chart: string;
  app_version: string;
  description: string;
}

/** The release's revisions, oldest first; none when it was never installed. */
export async function history(k: Kube, r: HelmRelease): Promise<Revision[]> {
  const h = await k.helm(["history", r.app, "--namespace", r.namespace, "--max", "20", "--output", "json"]);
  if (h.code !== 0) {
    if (/not found/i.test(h.stderr)) return [];
    throw new UserError(`helm history failed: ${firstLines(h)}`);
  }
  return JSON.parse(h.stdout) as Revision[];
}

/** Rolls back to `revision` (default: the one before the current), waiting for the workloads. */
export async function rollback(
  k: Kube,
  r: HelmRelease,
  o: DeployOptions,
  revision?: number,
): Promise<string> {
  const revs = await history(k, r);
  const current = revs.at(-1);
  if (!current) throw new UserError(`${r.app} is not installed in ${r.namespace}`, "deploy it first");
  const to =
    revision ?? revs.filter((x) => x.revision < current.revision && x.status !== "failed").at(-1)?.revision;
  if (to === undefined || !revs.some((x) => x.revision === to))
    throw new UserError(
      revision === undefined
        ? "there is no earlier revision to roll back to"
        : `there is no revision ${revision}`,
      `\`gantry releases --target kubernetes --env ${r.environment}\` lists them`,
    );
  o.progress(`rolling back ${r.app} from revision ${current.revision} to ${to}`);
  const since = new Date();
  const back = await watchRollout(
    k,
    r.namespace,
    r.app,
    o.progress,
    k.helm(["rollback", r.app, String(to), "--namespace", r.namespace, "--wait", "--timeout", r.timeout]),
  );
  if (back.code !== 0) {
    const events = await failureEvents(k, r.namespace, since);
    throw new UserError(
      `the rollback failed: ${firstLines(back)}${events.length ? `\n${events.map((e) => `  ${e}`).join("\n")}` : ""}`,
    );
  }
  if (o.smoke && r.smoke.urls.length) {
    const failed = await smokeCheck(r.smoke.urls, r.smoke.trusted, o.progress);
    if (failed) throw new UserError(`rolled back to revision ${to}, but the smoke check failed: ${failed}`);
  }
  return `rolled back ${r.app} in ${r.namespace} to revision ${to} (now revision ${(await currentRevision(k, r)) || to + 1})`;
}
