// A release's revisions as Helm keeps them, and `gantry rollback --target kubernetes`: back to an
// earlier revision (by default the last one before the current that did not fail), waiting for the
// workloads, then the smoke checks. The one way back, also for a deploy whose smoke check failed.
import type { ClusterRelease } from "../../model/cluster-release.js";
import { UserError } from "../../errors.js";
import { firstLines, type Kube } from "./client.js";
import { SMOKE_ATTEMPTS, SMOKE_PAUSE_MS } from "./plan.js";
import { smokeCheck } from "./smoke.js";
import { failureEvents, watchRollout } from "./watch.js";

export interface Revision {
  revision: number;
  updated: string;
  status: string;
  chart: string;
  app_version: string;
  description: string;
}

/** The release's revisions, oldest first; none when it was never installed. */
export async function history(k: Kube, r: ClusterRelease): Promise<Revision[]> {
  const h = await k.helm(["history", r.app, "--namespace", r.namespace, "--max", "20", "--output", "json"]);
  if (h.code !== 0) {
    if (/not found/i.test(h.stderr)) return [];
    throw new UserError(`helm history failed: ${firstLines(h)}`);
  }
  return JSON.parse(h.stdout) as Revision[];
}

export async function currentRevision(k: Kube, r: ClusterRelease): Promise<number> {
  return (await history(k, r)).at(-1)?.revision ?? 0;
}

export interface RollbackOptions {
  /** Whether the smoke checks run after the rollback. */
  smoke: boolean;
  progress: (line: string) => void;
}

/** Rolls back to `revision` (default: the last one before the current that did not fail). */
export async function rollback(
  k: Kube,
  r: ClusterRelease,
  o: RollbackOptions,
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
        ? `there is no earlier revision of ${r.app} to roll back to`
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
    const failed = await smokeCheck(
      r.smoke.urls,
      r.smoke.trusted,
      o.progress,
      SMOKE_ATTEMPTS,
      SMOKE_PAUSE_MS,
    );
    if (failed) throw new UserError(`rolled back to revision ${to}, but the smoke check failed: ${failed}`);
  }
  return `rolled back ${r.app} in ${r.namespace} to revision ${to} (now revision ${(await currentRevision(k, r)) || to + 1})`;
}
