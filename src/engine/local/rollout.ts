// A rollout as the supervisor applies it: the plan (plan.ts), made from the release and what serves
// now, then a short loop over its steps, each kind handed to its executor. A step that fails ends the
// rollout: the new instances are stopped and the release serving before keeps serving (a crash right
// after the switch switches back first). If the command that asked goes away before the switch, the
// rollout is abandoned the same way.
import { join } from "node:path";
import type { AppModel } from "../../model/types.js";
import { UserError } from "../../errors.js";
import { releaseDir } from "./paths.js";
import {
  DEFAULT_CRASH_WATCH_MS,
  isCommandStep,
  planDeploy,
  type DeployPlan,
  type RolloutKind,
} from "./plan.js";
import type { RolloutEvent } from "./protocol.js";
import { readRelease, updateRelease } from "./release.js";
import { INTERRUPTED, type Failure, type Rollout } from "./rollout-context.js";
import { runStep } from "./rollout-steps.js";
import type { Runtime } from "./runtime.js";

/** The plan of a rollout of `model` as `release` now: what the supervisor runs, and what `--plan` prints. */
export function planRollout(rt: Runtime, model: AppModel, release: string, kind: RolloutKind): DeployPlan {
  return planDeploy({
    model,
    release,
    kind,
    current: {
      ...(rt.serving ? { release: rt.serving } : {}),
      instances: rt.instances.filter((i) => i.serving).map((i) => ({ id: i.id, service: i.service })),
    },
    crashWatchMs: rt.o.crashWatchMs ?? DEFAULT_CRASH_WATCH_MS,
  });
}

/** Ends a failed rollout: the new instances stopped, the release recorded as failed (see below). */
async function fail(r: Rollout, f: Failure): Promise<RolloutEvent> {
  const { rt, plan } = r;
  await Promise.all(r.started.map((i) => i.stop(0, 5000)));
  rt.instances = rt.instances.filter((i) => !r.started.includes(i));
  rt.deploying = undefined;
  // A rollback abandoned because its command went away (Ctrl-C) says nothing about the release,
  // which served before: it stays as it was, so that `gantry rollback` still offers it.
  if (plan.kind === "rollback" && r.aborted())
    updateRelease(rt.paths, plan.release, { status: r.rec.status, plan: r.rec.plan });
  else updateRelease(rt.paths, plan.release, { status: "failed", reason: rt.redact(f.reason) });
  rt.persist();
  const serving = rt.serving ? `; ${rt.serving} keeps serving` : "";
  rt.log(`${plan.kind} of ${plan.release} failed: ${f.reason}${serving}`);
  return {
    type: "failed",
    message: `${f.reason}${serving}`,
    logs: f.logs ?? [],
    ...(f.hint ? { hint: f.hint } : {}),
  };
}

/** Applies the steps of the plan that the supervisor runs, in order. */
async function apply(r: Rollout): Promise<Failure | undefined> {
  for (const step of r.plan.steps) {
    if (isCommandStep(step)) continue;
    if (!r.switched && r.aborted()) return { reason: INTERRUPTED };
    const failure = await runStep(step, r);
    if (failure) return failure;
  }
  return undefined;
}

/** Rolls out a built release (a deploy) or one that served before (a rollback); returns the last event. */
export async function rollout(
  rt: Runtime,
  release: string,
  kind: RolloutKind,
  progress: (e: RolloutEvent) => void,
  aborted: () => boolean,
): Promise<RolloutEvent> {
  const rec = readRelease(rt.paths, release);
  if (!rec) return { type: "failed", message: `release ${release} does not exist` };
  if (rt.stopping) return { type: "failed", message: "the supervisor is stopping" };
  const plan = planRollout(rt, rec.model, release, kind);
  rt.deploying = release;
  updateRelease(rt.paths, release, { status: "deploying", plan });
  rt.persist();
  const t0 = Date.now();
  const seconds = () => ((Date.now() - t0) / 1000).toFixed(2);
  const r: Rollout = {
    rt,
    plan,
    rec,
    model: rec.model,
    appCopy: join(releaseDir(rt.paths, release), "app"),
    // Every step also goes to the supervisor's log, with the time since the rollout began.
    emit: (e) => {
      rt.log(`${kind} ${release} +${seconds()}s: ${e.message}`);
      progress(e);
    },
    aborted,
    secrets: {},
    jobs: [],
    started: [],
    switched: false,
  };
  let failure: Failure | undefined;
  try {
    failure = await apply(r);
  } catch (e) {
    // A UserError (a command Gantry cannot run without a shell) keeps its hint.
    failure = { reason: (e as Error).message, ...(e instanceof UserError && e.hint ? { hint: e.hint } : {}) };
  }
  if (failure) return fail(r, failure);
  rt.log(`${kind} of ${release} done in ${seconds()}s`);
  return { type: "done", message: `${release} is serving` };
}
